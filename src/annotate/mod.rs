//! The fields added to each row: risk, match reason, and the detection's
//! identity and annotations, named as Splunk Enterprise Security names them
//! on risk events (`risk_score`, `risk_object`, `annotations.mitre_attack…`).
//!
//! Everything that does not depend on the row is encoded to CSV once, when
//! the annotator is built; per detection only the risk message, the risk
//! object and the threat object are rendered and quoted.

use std::borrow::Cow;
use std::fmt::Write as _;

mod line;
pub mod technique;
mod template;

pub use line::CsvLine;
pub use template::Template;

use crate::lineage::{identity, Verdict};
use crate::options::Options;
use crate::records::{FieldSet, RowView, Slot};
use crate::rule::profile::constant;
use crate::rule::{observed, MatchReason};

/// Names of the added fields, in output order.
pub const ADDED_FIELDS: [&str; 18] = [
    "risk_score",
    "risk_message",
    "risk_object",
    "risk_object_type",
    "threat_object",
    "threat_object_type",
    "match_reason",
    "detection_id",
    "detection_name",
    "analyticstories",
    "annotations.mitre_attack",
    "annotations.mitre_attack.mitre_technique_id",
    "annotations.mitre_attack.mitre_technique",
    "annotations.mitre_attack.mitre_tactic_id",
    "annotations.mitre_attack.mitre_tactic",
    "annotations.kill_chain_phases",
    "annotations.nist",
    "annotations.cis20",
];

/// Fields added after [`ADDED_FIELDS`] with `lineage=true`: the chain, and
/// the `__mv_` companions of the annotation fields that hold several values
/// on a lineage detection (T1047 and its launchers' techniques, see
/// [`technique`]).
pub const LINEAGE_FIELDS: [&str; 4] = [
    "lineage_path",
    "__mv_annotations.mitre_attack",
    "__mv_annotations.mitre_attack.mitre_technique_id",
    "__mv_annotations.mitre_attack.mitre_technique",
];

/// The added fields' names, in output order: [`ADDED_FIELDS`], then with
/// `lineage=true` [`LINEAGE_FIELDS`].
pub fn added_fields(lineage: bool) -> Vec<&'static str> {
    ADDED_FIELDS
        .iter()
        .chain(LINEAGE_FIELDS.iter().filter(|_| lineage))
        .copied()
        .collect()
}

/// What a returned row is: a plain detection (a direct child of the WMI
/// parent) or a lineage detection.
#[derive(Debug, Clone, Copy)]
pub enum Hit<'v> {
    /// The plain rule matched, for this reason.
    Plain(MatchReason),
    /// Lineage found it.
    Lineage(&'v Verdict),
}

/// Values of the fields after `match_reason` for a plain detection (the
/// same for every one): its identity, then the constants.
fn constant_fields((id, name): (&str, &str)) -> [String; 11] {
    [
        id,
        name,
        constant::STORY,
        constant::TECHNIQUE_ID,
        constant::TECHNIQUE_ID,
        constant::TECHNIQUE,
        constant::TACTIC_ID,
        constant::TACTIC,
        constant::KILL_CHAIN,
        constant::NIST,
        constant::CIS,
    ]
    .map(str::to_string)
}

/// The same fields for a lineage detection with chain `path`: its identity,
/// and the techniques of [`technique::of_chain`] (newline-separated: a
/// multivalue field, with its `__mv_` companion in [`LINEAGE_FIELDS`]).
fn lineage_fields((id, name): (&str, &str), path: &[u8]) -> [String; 11] {
    let techniques = technique::of_chain(path);
    let ids = techniques
        .iter()
        .map(|t| t.0)
        .collect::<Vec<_>>()
        .join("\n");
    let names = techniques
        .iter()
        .map(|t| t.1)
        .collect::<Vec<_>>()
        .join("\n");
    [
        id.to_string(),
        name.to_string(),
        constant::STORY.to_string(),
        ids.clone(),
        ids,
        names,
        constant::TACTIC_ID.to_string(),
        constant::TACTIC.to_string(),
        constant::KILL_CHAIN.to_string(),
        constant::NIST.to_string(),
        constant::CIS.to_string(),
    ]
}

/// The `__mv_` cells of the three technique fields of a lineage detection.
fn lineage_mv_cells(path: &[u8]) -> [String; 3] {
    let techniques = technique::of_chain(path);
    let ids = techniques.iter().map(|t| t.0).collect::<Vec<_>>();
    let names = techniques.iter().map(|t| t.1).collect::<Vec<_>>();
    [mv_cell(&ids), mv_cell(&ids), mv_cell(&names)]
}

/// A multivalue cell: `$a$;$b$`, `$` doubled.
fn mv_cell(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("${}$", v.replace('$', "$$")))
        .collect::<Vec<_>>()
        .join(";")
}

/// Formats impact × confidence / 100 given in hundredths: `54`, `37.5`,
/// `10.89`.
pub fn format_score(hundredths: u32) -> String {
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    let mut s = whole.to_string();
    if frac != 0 {
        if frac % 10 == 0 {
            let _ = write!(s, ".{}", frac / 10);
        } else {
            let _ = write!(s, ".{frac:02}");
        }
    }
    s
}

/// Renders the added fields for matched and unmatched rows.
pub struct Annotator {
    template: Template,
    dest: Slot,
    /// The child's fields, for the threat object.
    child: ChildSlots,
    score: String,
    constants: [String; 11],
    /// `,<name>,<name>…` for the header line.
    header_suffix: Vec<u8>,
    /// `,<score>,`
    score_cell: Vec<u8>,
    /// `,process_name,<reason>,<constants>` per reason (indexed like
    /// MatchReason::ALL): everything after the threat object.
    tails: [Vec<u8>; 3],
    /// `,,,…` for rows that did not match (annotate mode).
    empty_suffix: Vec<u8>,
    line: CsvLine,
    message: Vec<u8>,
    threat: Vec<u8>,
    /// With `lineage=true`.
    lineage: Option<LineageCells>,
}

/// What `lineage=true` adds to the annotator.
struct LineageCells {
    template: Template,
    /// `detection_id`, `detection_name` of a lineage detection.
    identity: (String, String),
    parent: ParentSlots,
    path: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
struct ParentSlots {
    name: Slot,
    path: Slot,
}

impl ParentSlots {
    /// The parent as observed: its first present name, else the file name
    /// of its first present path.
    fn observed(&self, row: &RowView<'_>, out: &mut Vec<u8>) {
        observed(row, self.name, self.path, None, out);
    }
}

#[derive(Debug, Clone, Copy)]
struct ChildSlots {
    name: Slot,
    path: Slot,
    original_file_name: Slot,
}

impl ChildSlots {
    /// The threat object: the child as observed — its first present
    /// `process_name`, else the file name of its first present
    /// `process_path`, else its first present `original_file_name`.
    fn threat_object(&self, row: &RowView<'_>, out: &mut Vec<u8>) {
        out.clear();
        observed(
            row,
            self.name,
            self.path,
            Some(self.original_file_name),
            out,
        );
    }
}

fn reason_index(r: MatchReason) -> usize {
    match r {
        MatchReason::ProcessName => 0,
        MatchReason::ProcessPath => 1,
        MatchReason::OriginalFileName => 2,
    }
}

impl Annotator {
    /// Builds an annotator; registers `dest`, the child fields and the
    /// template's fields.
    pub fn new(options: &Options, fields: &mut FieldSet) -> Annotator {
        let dest = fields.add("dest");
        let child = ChildSlots {
            name: fields.add("process_name"),
            path: fields.add("process_path"),
            original_file_name: fields.add("original_file_name"),
        };
        let template = Template::compile(options.message(), fields);
        let score = format_score(options.risk_score_hundredths());
        let constants = constant_fields(options.plain_identity());
        let mut line = CsvLine::default();
        let lineage = options.lineage.then(|| {
            let message = options.message.as_deref().unwrap_or(identity::MESSAGE);
            LineageCells {
                template: Template::compile(message, fields),
                identity: {
                    let (id, name) = options.lineage_identity();
                    (id.to_string(), name.to_string())
                },
                parent: ParentSlots {
                    name: fields.add("parent_process_name"),
                    path: fields.add("parent_process_path"),
                },
                path: Vec::with_capacity(64),
            }
        });
        let names = added_fields(lineage.is_some());
        let mut header_suffix = b",".to_vec();
        line.encode_into(&names, &mut header_suffix);
        let mut score_cell = b",".to_vec();
        line.encode_into([score.as_str()], &mut score_cell);
        score_cell.push(b',');
        let tails = MatchReason::ALL.map(|reason| {
            let mut tail = b",".to_vec();
            let fields = [constant::THREAT_OBJECT_TYPE, reason.as_str()]
                .into_iter()
                .chain(constants.iter().map(String::as_str));
            line.encode_into(fields, &mut tail);
            tail
        });
        Annotator {
            template,
            dest,
            child,
            score,
            constants,
            header_suffix,
            score_cell,
            tails,
            empty_suffix: vec![b','; names.len()],
            line,
            message: Vec::with_capacity(128),
            threat: Vec::with_capacity(64),
            lineage,
        }
    }

    /// The added fields' names, in output order: [`ADDED_FIELDS`], then
    /// [`LINEAGE_FIELDS`] with `lineage=true`.
    pub fn fields(&self) -> Vec<&'static str> {
        added_fields(self.lineage.is_some())
    }

    /// `,risk_score,risk_message,…` to append to a CSV header line.
    pub fn header_suffix(&self) -> &[u8] {
        &self.header_suffix
    }

    /// Appends `,<value>,…` for a detection.
    pub fn write_hit(&mut self, row: &RowView<'_>, reason: MatchReason, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.score_cell);
        self.message.clear();
        self.template.render(row, &mut self.message);
        self.child.threat_object(row, &mut self.threat);
        let dest = row.first_value(self.dest);
        let cells: [&[u8]; 4] = [
            &self.message,
            &dest,
            constant::RISK_OBJECT_TYPE.as_bytes(),
            &self.threat,
        ];
        self.line.encode_into(cells, out);
        out.extend_from_slice(&self.tails[reason_index(reason)]);
        if let Some(lin) = self.lineage.as_mut() {
            // The path of a direct child: parent > child.
            lin.path.clear();
            lin.parent.observed(row, &mut lin.path);
            lin.path.extend_from_slice(b" > ");
            lin.path.extend_from_slice(&self.threat);
            out.push(b',');
            self.line.encode_into([&lin.path[..]], out);
            out.extend_from_slice(b",,,");
        }
    }

    /// Appends `,<value>,…` for a lineage detection (`lineage=true` only;
    /// without it, nothing is appended).
    pub fn write_lineage(&mut self, row: &RowView<'_>, verdict: &Verdict, out: &mut Vec<u8>) {
        if self.lineage.is_none() {
            return;
        }
        let values = self.hit_values(row, Some(Hit::Lineage(verdict)));
        out.push(b',');
        self.line.encode_into(values.iter().map(|v| &v[..]), out);
    }

    /// Appends empty cells for a row that did not match.
    pub fn write_miss(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.empty_suffix);
    }

    /// The added values for one row (empty for a non-detection), in
    /// [`Annotator::fields`] order. Allocates; for the slow paths and
    /// `scan`.
    pub fn values<'r>(&self, row: &RowView<'r>, reason: Option<MatchReason>) -> Vec<Cow<'r, [u8]>> {
        self.hit_values(row, reason.map(Hit::Plain))
    }

    /// [`Annotator::values`] for a plain or a lineage detection.
    pub fn hit_values<'r>(&self, row: &RowView<'r>, hit: Option<Hit<'_>>) -> Vec<Cow<'r, [u8]>> {
        let width = ADDED_FIELDS.len() + self.lineage.as_ref().map_or(0, |_| LINEAGE_FIELDS.len());
        let Some(hit) = hit else {
            return vec![Cow::Borrowed(&b""[..]); width];
        };
        let lineage = match hit {
            Hit::Lineage(v) => match &self.lineage {
                Some(lin) => Some((v, lin)),
                None => return vec![Cow::Borrowed(&b""[..]); width],
            },
            Hit::Plain(_) => None,
        };
        let mut message = Vec::new();
        match lineage {
            Some((_, lin)) => lin.template.render(row, &mut message),
            None => self.template.render(row, &mut message),
        }
        let mut threat = Vec::new();
        match lineage {
            Some((Verdict::LauncherCommandLine { program, .. }, _)) => {
                threat.extend_from_slice(program)
            }
            _ => self.child.threat_object(row, &mut threat),
        }
        let reason: &'static str = match (hit, lineage) {
            (Hit::Plain(r), _) => r.as_str(),
            (Hit::Lineage(v), _) => v.reason(),
        };
        let path: Option<Vec<u8>> = match (hit, &self.lineage) {
            (Hit::Lineage(v), _) => Some(v.path().to_vec()),
            (Hit::Plain(_), Some(lin)) => {
                let mut p = Vec::new();
                lin.parent.observed(row, &mut p);
                p.extend_from_slice(b" > ");
                p.extend_from_slice(&threat);
                Some(p)
            }
            (Hit::Plain(_), None) => None,
        };
        let mut values: Vec<Cow<'r, [u8]>> = vec![
            Cow::Owned(self.score.as_bytes().to_vec()),
            Cow::Owned(message),
            row.first_value(self.dest),
            Cow::Borrowed(constant::RISK_OBJECT_TYPE.as_bytes()),
            Cow::Owned(threat),
            Cow::Borrowed(constant::THREAT_OBJECT_TYPE.as_bytes()),
            Cow::Borrowed(reason.as_bytes()),
        ];
        match lineage {
            Some((v, lin)) => values.extend(
                lineage_fields((&lin.identity.0, &lin.identity.1), v.path())
                    .into_iter()
                    .map(|c| Cow::Owned(c.into_bytes())),
            ),
            None => values.extend(
                self.constants
                    .iter()
                    .map(|c| Cow::Owned(c.as_bytes().to_vec())),
            ),
        }
        if let Some(path) = path {
            values.push(Cow::Owned(path));
            if let Some((v, _)) = lineage {
                values.extend(
                    lineage_mv_cells(v.path())
                        .into_iter()
                        .map(|c| Cow::Owned(c.into_bytes())),
                );
            } else {
                values.extend([
                    Cow::Borrowed(&b""[..]),
                    Cow::Borrowed(&b""[..]),
                    Cow::Borrowed(&b""[..]),
                ]);
            }
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Layout;
    use csv::ByteRecord;

    #[test]
    fn score_is_an_integer_when_whole_else_the_shortest_decimal() {
        assert_eq!(format_score(90 * 60), "54");
        assert_eq!(format_score(75 * 50), "37.5");
        assert_eq!(format_score(33 * 33), "10.89");
        assert_eq!(format_score(0), "0");
        assert_eq!(format_score(100 * 100), "100");
        assert_eq!(format_score(1), "0.01");
    }

    fn annotate(options: &Options, header: &[&str], row: &[&str], reason: MatchReason) -> String {
        let mut fields = FieldSet::new();
        let mut a = Annotator::new(options, &mut fields);
        let header = ByteRecord::from(header.to_vec());
        let layout = Layout::resolve(&fields, &header);
        let row = ByteRecord::from(row.to_vec());
        let mut out = Vec::new();
        a.write_hit(&RowView::new(&row, &layout), reason, &mut out);
        let fast = String::from_utf8(out).unwrap();
        // The slow path must agree with the fast path.
        let mut line = CsvLine::default();
        let values = a.values(&RowView::new(&row, &layout), Some(reason));
        let slow = format!(
            ",{}",
            String::from_utf8(line.encode(values.iter().map(|v| &v[..]))).unwrap()
        );
        assert_eq!(fast, slow);
        fast
    }

    #[test]
    fn default_fields_follow_escu() {
        let out = annotate(
            &Options::default(),
            &["dest"],
            &["HOST-1"],
            MatchReason::ProcessName,
        );
        assert_eq!(
            out,
            ",54,Wmiprsve.exe spawned a LOLBAS process on HOST-1.,HOST-1,system,,process_name,process_name,\
             95a455f0-4c04-11ec-b8ac-3e22fbd008af,Wmiprsve LOLBAS Execution Process Spawn,\
             Active Directory Lateral Movement,T1047,T1047,Windows Management Instrumentation,\
             TA0002,Execution,Installation,DE.CM,CIS 10"
        );
    }

    #[test]
    fn message_tokens_take_the_first_value_plain_or_prefixed() {
        let o = Options {
            message: Some(
                "$user$ on $Processes.dest$ ran \"$process_name$\" ($missing$) $ $5 $$".into(),
            ),
            ..Options::default()
        };
        let out = annotate(
            &o,
            &["Processes.dest", "user", "__mv_user", "process_name"],
            &["h, 2", "a\nb", "$a$;$b$", "x.exe"],
            MatchReason::OriginalFileName,
        );
        assert!(
            out.starts_with(",54,\"a on h, 2 ran \"\"x.exe\"\" () $ $5 $$\",\"h, 2\",system,x.exe,process_name,original_file_name,"),
            "{out}"
        );
    }

    #[test]
    fn threat_object_is_the_child_as_observed() {
        let hit = |header: &[&str], row: &[&str]| {
            let out = annotate(&Options::default(), header, row, MatchReason::ProcessName);
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(&out.as_bytes()[1..]);
            let cells = r.records().next().unwrap().unwrap();
            (cells[4].to_string(), cells[5].to_string())
        };
        let h = [
            "process_name",
            "process_path",
            "original_file_name",
            "__mv_process_name",
        ];
        let want = |v: &str| (v.to_string(), "process_name".to_string());
        assert_eq!(
            hit(&h, &["Rundll32.exe", "C:\\x\\a.exe", "b.exe", ""]),
            want("Rundll32.exe")
        );
        assert_eq!(
            hit(&h, &["unknown", "C:\\x\\a.exe", "b.exe", ""]),
            want("a.exe")
        );
        assert_eq!(hit(&h, &["-", "C:\\x\\", "b.exe", ""]), want("b.exe"));
        assert_eq!(
            hit(&h, &["", "", "", "$null$;$mshta.exe$"]),
            want("mshta.exe")
        );
    }

    #[test]
    fn the_profile_sets_identity_score_and_message() {
        let o = Options {
            profile: crate::rule::profile::ESCU2025,
            ..Options::default()
        };
        let out = annotate(&o, &["dest"], &["H"], MatchReason::ProcessPath);
        assert_eq!(
            out,
            ",50,Wmiprvse.exe spawned a LOLBAS process on H.,H,system,,process_name,process_path,\
             b7e11721-08b1-4d8b-9628-813bb2380514,Wmiprvse LOLBAS Execution Process Spawn,\
             Active Directory Lateral Movement,T1047,T1047,Windows Management Instrumentation,\
             TA0002,Execution,Installation,DE.CM,CIS 10"
        );
    }

    fn lineage_options() -> Options {
        Options {
            lineage: true,
            ..Options::default()
        }
    }

    #[test]
    fn with_lineage_a_plain_detection_gains_its_path_and_empty_mv_cells() {
        let out = annotate(
            &lineage_options(),
            &["dest", "parent_process_name", "process_name"],
            &["H", "WmiPrvSE.exe", "Rundll32.exe"],
            MatchReason::ProcessName,
        );
        assert!(
            out.ends_with(",T1047,T1047,Windows Management Instrumentation,TA0002,Execution,Installation,DE.CM,CIS 10,WmiPrvSE.exe > Rundll32.exe,,,"),
            "{out}"
        );
        assert!(
            out.contains(",95a455f0-4c04-11ec-b8ac-3e22fbd008af,"),
            "{out}"
        );
    }

    fn lineage_hit(verdict: &Verdict) -> String {
        let mut fields = FieldSet::new();
        let mut a = Annotator::new(&lineage_options(), &mut fields);
        let header = ByteRecord::from(vec!["dest", "parent_process_name", "process_name"]);
        let layout = Layout::resolve(&fields, &header);
        let row = ByteRecord::from(vec!["H", "cmd.exe", "MSBuild.exe"]);
        let view = RowView::new(&row, &layout);
        let mut out = Vec::new();
        a.write_lineage(&view, verdict, &mut out);
        let values = a.hit_values(&view, Some(Hit::Lineage(verdict)));
        assert_eq!(values.len(), a.fields().len());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_lineage_detection_has_its_own_identity_its_launchers_techniques_and_its_path() {
        let out = lineage_hit(&Verdict::Lineage {
            path: b"WmiPrvSE.exe > cmd.exe > MSBuild.exe".to_vec(),
        });
        assert_eq!(
            out,
            ",54,Wmiprvse.exe started a LOLBAS process through a shell on H.,H,system,MSBuild.exe,process_name,lineage,\
             18c7474d-dc38-4e8c-9687-0bee44df759e,Wmiprvse LOLBAS Execution Through a Shell,\
             Active Directory Lateral Movement,\"T1047\nT1059.003\",\"T1047\nT1059.003\",\
             \"Windows Management Instrumentation\nWindows Command Shell\",\
             TA0002,Execution,Installation,DE.CM,CIS 10,WmiPrvSE.exe > cmd.exe > MSBuild.exe,\
             $T1047$;$T1059.003$,$T1047$;$T1059.003$,$Windows Management Instrumentation$;$Windows Command Shell$"
        );
        let out = lineage_hit(&Verdict::Lineage {
            path: b"WmiPrvSE.exe > powershell.exe > cmd.exe > mshta.exe".to_vec(),
        });
        assert!(
            out.contains(
                ",\"T1047\nT1059.001\nT1059.003\",\"T1047\nT1059.001\nT1059.003\",\
                 \"Windows Management Instrumentation\nPowerShell\nWindows Command Shell\",TA0002,"
            ),
            "{out}"
        );
        assert!(
            out.ends_with(
                ",$T1047$;$T1059.001$;$T1059.003$,$T1047$;$T1059.001$;$T1059.003$,\
                 $Windows Management Instrumentation$;$PowerShell$;$Windows Command Shell$"
            ),
            "{out}"
        );
        let out = lineage_hit(&Verdict::LauncherCommandLine {
            path: b"WmiPrvSE.exe > cmd.exe > rundll32.exe".to_vec(),
            program: b"rundll32.exe".to_vec(),
        });
        assert!(
            out.starts_with(",54,Wmiprvse.exe started a LOLBAS process through a shell on H.,H,system,rundll32.exe,process_name,launcher_command_line,18c7474d-"),
            "{out}"
        );
        // The shell of a launcher_command_line detection is the chain's middle name.
        let out = lineage_hit(&Verdict::LauncherCommandLine {
            path: b"WmiPrvSE.exe > pwsh.exe > rundll32.exe".to_vec(),
            program: b"rundll32.exe".to_vec(),
        });
        assert!(
            out.ends_with(",$T1047$;$T1059.001$,$T1047$;$T1059.001$,$Windows Management Instrumentation$;$PowerShell$"),
            "{out}"
        );
    }

    #[test]
    fn detection_id_and_name_replace_the_profile_and_lineage_identities_not_the_score() {
        let o = Options {
            identity: Some(crate::options::Identity {
                id: "22d0835e-1d7d-493b-8d44-7df312eb0b02".into(),
                name: "Own Name".into(),
            }),
            profile: crate::rule::profile::ESCU2025,
            lineage: true,
            ..Options::default()
        };
        let out = annotate(&o, &["dest"], &["H"], MatchReason::ProcessName);
        assert!(
            out.starts_with(",50,Wmiprvse.exe spawned a LOLBAS process on H.,H,system,,process_name,process_name,\
                 22d0835e-1d7d-493b-8d44-7df312eb0b02,Own Name,Active Directory Lateral Movement,T1047,"),
            "{out}"
        );
        let mut fields = FieldSet::new();
        let a = Annotator::new(&o, &mut fields);
        let layout = Layout::resolve(&fields, &ByteRecord::from(vec!["dest"]));
        let row = ByteRecord::from(vec!["H"]);
        let v = Verdict::Lineage {
            path: b"WmiPrvSE.exe > cmd.exe > mshta.exe".to_vec(),
        };
        let values = a.hit_values(&RowView::new(&row, &layout), Some(Hit::Lineage(&v)));
        assert_eq!(&values[7][..], b"22d0835e-1d7d-493b-8d44-7df312eb0b02");
        assert_eq!(&values[8][..], b"Own Name");
    }

    #[test]
    fn score_sets_risk_score_and_keeps_the_profiles_identity() {
        let o = Options {
            score: Some(70),
            ..Options::default()
        };
        let out = annotate(&o, &["dest"], &["H"], MatchReason::ProcessName);
        assert!(
            out.starts_with(",70,Wmiprsve.exe spawned a LOLBAS process on H.,H,system,,process_name,process_name,\
                 95a455f0-4c04-11ec-b8ac-3e22fbd008af,Wmiprsve LOLBAS Execution Process Spawn,"),
            "{out}"
        );
    }

    #[test]
    fn without_lineage_nothing_changes_and_a_lineage_verdict_adds_nothing() {
        let mut fields = FieldSet::new();
        let mut a = Annotator::new(&Options::default(), &mut fields);
        assert_eq!(a.fields(), ADDED_FIELDS);
        let layout = Layout::resolve(&fields, &ByteRecord::from(vec!["dest"]));
        let row = ByteRecord::from(vec!["H"]);
        let mut out = Vec::new();
        let v = Verdict::Lineage {
            path: b"a > b".to_vec(),
        };
        a.write_lineage(&RowView::new(&row, &layout), &v, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn header_and_empty_suffix_have_one_cell_per_field() {
        let mut fields = FieldSet::new();
        let a = Annotator::new(&Options::default(), &mut fields);
        let header = String::from_utf8(a.header_suffix().to_vec()).unwrap();
        assert_eq!(header.matches(',').count(), ADDED_FIELDS.len());
        assert!(header
            .starts_with(",risk_score,risk_message,risk_object,risk_object_type,threat_object,threat_object_type,match_reason,"));
        let mut out = Vec::new();
        a.write_miss(&mut out);
        assert_eq!(out, vec![b','; 18]);

        let mut fields = FieldSet::new();
        let a = Annotator::new(&lineage_options(), &mut fields);
        let header = String::from_utf8(a.header_suffix().to_vec()).unwrap();
        assert!(header.ends_with(",annotations.cis20,lineage_path,__mv_annotations.mitre_attack,__mv_annotations.mitre_attack.mitre_technique_id,__mv_annotations.mitre_attack.mitre_technique"));
        let mut out = Vec::new();
        a.write_miss(&mut out);
        assert_eq!(out, vec![b','; 22]);
    }
}
