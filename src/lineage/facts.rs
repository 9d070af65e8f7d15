//! What lineage reads from one row: who the process is and who its parent
//! is (host, GUIDs, PIDs, creation time, names as observed), and the part
//! the row plays ([`Role`], decided by [`super::rule`]).
//!
//! Fields are read plain or `Processes.`-prefixed, with their `__mv_`
//! values, like every field the rule reads:
//!
//! | what | fields, first present wins |
//! | --- | --- |
//! | host | `dest` (CIM), `Computer` (raw Windows events) — not Splunk's `host`, which is the forwarder or collector (a Windows Event Forwarding collector's `host` covers many machines) |
//! | process GUID | `process_guid` (CIM), `ProcessGuid` (Sysmon) |
//! | parent GUID | `parent_process_guid`, `ParentProcessGuid` |
//! | PID | `process_id` (CIM) |
//! | parent PID | `parent_process_id` (CIM) |
//! | creation time | `_time`, `firstTime` (tstats `min(_time) as firstTime`) |
//! | command line | `process` (CIM) |
//!
//! **Optional values, one rule.** A host, GUID, PID or time that is absent
//! (empty, `-`, `unknown` …) is absent. A PID or time that is present but
//! cannot be read (a PID that is no decimal or `0x` number below 2³², a
//! time in none of [`crate::time`]'s forms) is *unreadable*: used as absent
//! for linking, and noted ([`Facts::notes`]) so the end-of-search warning
//! names the field and an example. Any present GUID text is an identifier
//! (Falcon and Carbon Black ids are not GUIDs), so a GUID is never
//! unreadable. A time without a zone is read as UTC (or in the zone
//! [`LineageRule::set_local_zone`] gives) and noted too.
//!
//! Raw Sysmon `ProcessId` is not read by the command: in Security 4688
//! the same name is the *creator's* PID, so only the CIM names (which the
//! Windows and Sysmon add-ons fill correctly) are trusted. `scan` maps raw
//! events onto the CIM names itself, 4688 included.

use std::borrow::Cow;

use super::cmdline::named_program;
use super::ids::{parse_guid, parse_pid};
use super::rule::Role;
use crate::notes::NoteKind;
use crate::records::{FieldSet, RowView, Slot};
use crate::rule::{is_present, observed, Rule};
use crate::time::{self, LocalZone, Zone};

/// The launchers by default: the shells WMI lateral-movement tools start
/// (Impacket wmiexec and CrackMapExec `cmd.exe /Q /c`, Empire and lsassy
/// `cmd.exe /c` or `powershell.exe -NoP -C`, PowerShell 7).
pub const DEFAULT_LAUNCHERS: [&str; 3] = ["cmd.exe", "powershell.exe", "pwsh.exe"];

/// Longest name kept for a lineage path (Windows' `MAX_PATH`); a longer
/// observed name is cut there.
pub const MAX_NAME: usize = 260;

/// What a row's parent name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentKind {
    /// One of the rule's parents (`wmiprvse.exe`).
    Wmi,
    /// A launcher.
    Launcher,
    /// Some other process: no chain to WMI runs through it.
    Other,
    /// No parent name or path is present.
    Absent,
}

/// A value noted while reading a row: what, the field, the value.
pub type Note = (NoteKind, &'static str, Vec<u8>);

/// What lineage knows of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts<'a> {
    /// The host (`dest`, …), as given; empty when absent.
    pub host: Cow<'a, [u8]>,
    /// The process's GUID.
    pub guid: Option<u128>,
    /// The parent's GUID.
    pub parent_guid: Option<u128>,
    /// The process's PID.
    pub pid: Option<u32>,
    /// The parent's PID.
    pub parent_pid: Option<u32>,
    /// Creation time, microseconds since the Unix epoch.
    pub time: Option<i64>,
    /// The process's name as observed (name, else path's file name, else
    /// original file name), at most [`MAX_NAME`] bytes.
    pub name: Cow<'a, [u8]>,
    /// What the parent name says.
    pub parent_kind: ParentKind,
    /// The parent's name as observed (the value that decided
    /// `parent_kind`), at most [`MAX_NAME`] bytes; empty when absent.
    pub parent_name: Cow<'a, [u8]>,
    /// The part the row plays.
    pub role: Role,
    /// The process is one of the rule's parents (a WMI provider host) and
    /// not a launcher.
    pub root: bool,
    /// For [`Role::names_program`]: the catalog binary its command line
    /// runs (as written, `.exe` added to a bare name).
    pub program: Option<Vec<u8>>,
    /// Values present but unreadable, and times without a zone.
    pub notes: Vec<Note>,
    /// What the row's grandparent name (`grandparent_process_name`, else
    /// the file name of `grandparent_process_path`) says: EDR rows carry
    /// their process's grandparent (see [`GRANDPARENT_FIELDS`]).
    pub grandparent_kind: ParentKind,
    /// The grandparent's name as observed; empty when absent.
    pub grandparent_name: Cow<'a, [u8]>,
    /// How the row's ids are to be read (vendor shapes).
    pub ids: IdShape,
}

/// The grandparent fields lineage reads: names of our own, since CIM has
/// none. The EDR layouts fill them (Defender `InitiatingProcessParentFileName`,
/// CrowdStrike `GrandParentBaseFileName`, SentinelOne `src.process.parent.name`,
/// Carbon Black's forwarder `parent_path`), and an SPL recipe renames a
/// vendor's field to `grandparent_process_name`.
pub const GRANDPARENT_FIELDS: [&str; 2] = ["grandparent_process_name", "grandparent_process_path"];

/// What a row's ids turned out to be, when they are not what their CIM
/// names say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdShape {
    /// `parent_process_id` is a CrowdStrike Falcon process id, not a PID:
    /// a decimal above 2³² while `process_id` is a PID, or a row whose
    /// `vendor_product` names CrowdStrike (the Falcon add-on fills
    /// `parent_process_id` from `ParentProcessId`, a Falcon id, and
    /// `process_id` from `RawProcessId`, the PID).
    pub falcon_parent_id: bool,
    /// `process_guid`/`parent_process_guid` are not process ids: the
    /// Microsoft 365 Defender add-on fills them with the user's account
    /// object id (`vendor_product` "Microsoft Defender for Endpoint").
    pub account_guids: bool,
}

impl Facts<'_> {
    /// The same facts, owning their bytes (to cross threads).
    pub fn into_owned(self) -> Facts<'static> {
        Facts {
            host: Cow::Owned(self.host.into_owned()),
            name: Cow::Owned(self.name.into_owned()),
            parent_name: Cow::Owned(self.parent_name.into_owned()),
            guid: self.guid,
            parent_guid: self.parent_guid,
            pid: self.pid,
            parent_pid: self.parent_pid,
            time: self.time,
            parent_kind: self.parent_kind,
            role: self.role,
            root: self.root,
            program: self.program,
            notes: self.notes,
            grandparent_kind: self.grandparent_kind,
            grandparent_name: Cow::Owned(self.grandparent_name.into_owned()),
            ids: self.ids,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Slots {
    host: [Slot; 2],
    guid: [Slot; 2],
    parent_guid: [Slot; 2],
    pid: Slot,
    parent_pid: Slot,
    time: [Slot; 2],
    command_line: Slot,
    name: Slot,
    path: Slot,
    original_file_name: Slot,
    grandparent: [Slot; 2],
    vendor_product: Slot,
}

/// Field names of [`Slots::time`], in order.
const TIME_FIELDS: [&str; 2] = ["_time", "firstTime"];

/// The launchers and the fields lineage reads: compiled once, used on
/// every row (and on every thread of `scan`).
#[derive(Debug, Clone)]
pub struct LineageRule {
    launchers: Vec<Vec<u8>>,
    slots: Slots,
    local: Option<LocalZone>,
    /// Note unreadable and zone-less times (off where the caller notes
    /// each row's time itself: `scan`).
    time_notes: bool,
}

impl LineageRule {
    /// Compiles the launcher names and registers the fields read in
    /// `fields`.
    pub fn new(launchers: &[String], fields: &mut FieldSet) -> LineageRule {
        let slots = Slots {
            host: [fields.add("dest"), fields.add("Computer")],
            guid: [fields.add("process_guid"), fields.add("ProcessGuid")],
            parent_guid: [
                fields.add("parent_process_guid"),
                fields.add("ParentProcessGuid"),
            ],
            pid: fields.add("process_id"),
            parent_pid: fields.add("parent_process_id"),
            time: [fields.add("_time"), fields.add("firstTime")],
            command_line: fields.add("process"),
            name: fields.add("process_name"),
            path: fields.add("process_path"),
            original_file_name: fields.add("original_file_name"),
            grandparent: GRANDPARENT_FIELDS.map(|f| fields.add(f)),
            vendor_product: fields.add("vendor_product"),
        };
        LineageRule {
            launchers: launchers.iter().map(|l| l.as_bytes().to_vec()).collect(),
            slots,
            local: None,
            time_notes: true,
        }
    }

    /// Whether [`Facts::notes`] holds unreadable and zone-less times
    /// (default: yes).
    pub fn set_time_notes(&mut self, on: bool) {
        self.time_notes = on;
    }

    /// Reads times without a zone in `zone` instead of UTC (`scan
    /// --timezone`).
    pub fn set_local_zone(&mut self, zone: Option<LocalZone>) {
        self.local = zone;
    }

    /// The launcher names.
    pub fn launchers(&self) -> &[Vec<u8>] {
        &self.launchers
    }

    /// Whether `name` is a launcher (ASCII case ignored, whole).
    pub fn is_launcher(&self, name: &[u8]) -> bool {
        self.launchers.iter().any(|l| l.eq_ignore_ascii_case(name))
    }

    /// What the row is to lineage, or `None` when it plays no part in any
    /// chain. `plain_hit`: the plain rule detected it (a direct child of
    /// the WMI parent), so it is no lineage candidate, but may still be a
    /// link.
    pub fn facts<'r>(&self, row: &RowView<'r>, rule: &Rule, plain_hit: bool) -> Option<Facts<'r>> {
        let launcher = rule.child_in(row, |v| self.is_launcher(v)).is_some();
        let wmi_host = rule.child_in(row, |v| rule.is_parent(v)).is_some();
        let (parent_kind, parent_name) = self.parent(row, rule);
        let catalog =
            !plain_hit && parent_kind == ParentKind::Launcher && rule.child_reason(row).is_some();
        let program = if launcher && !plain_hit && parent_kind == ParentKind::Wmi {
            let line = row.first_value(self.slots.command_line);
            named_program(&line, rule.catalog(), &self.launchers)
        } else {
            None
        };
        let role = Role::of(launcher, wmi_host, catalog, program.is_some());
        if role.is_none() {
            return None;
        }
        let s = &self.slots;
        let mut notes = Vec::new();
        let vendor = row.first_value(s.vendor_product);
        let mut ids = IdShape {
            // Only a parent_process_id given is one (scan's CrowdStrike
            // rows carry the Falcon ids as GUIDs, and none).
            falcon_parent_id: contains_ignore_case(&vendor, b"crowdstrike")
                && row.any_value(s.parent_pid, is_present),
            account_guids: vendor.eq_ignore_ascii_case(b"Microsoft Defender for Endpoint"),
        };
        let pid = read_pid(row, s.pid, "process_id", &mut notes);
        let parent_pid = if ids.falcon_parent_id {
            None
        } else {
            let mut raw = Vec::new();
            let ppid = read_pid(row, s.parent_pid, "parent_process_id", &mut raw);
            // A decimal above 2³² beside a PID: a Falcon id, said as such.
            ids.falcon_parent_id = pid.is_some()
                && raw
                    .iter()
                    .any(|(_, _, v)| v.len() > 9 && v.iter().all(u8::is_ascii_digit));
            if !ids.falcon_parent_id {
                notes.append(&mut raw);
            }
            ppid
        };
        let (guid, parent_guid) = if ids.account_guids {
            (None, None)
        } else {
            (first_guid(row, &s.guid), first_guid(row, &s.parent_guid))
        };
        let (grandparent_kind, grandparent_name) = self.grandparent(row, rule);
        Some(Facts {
            host: first_of(row, &s.host),
            guid,
            parent_guid,
            pid,
            parent_pid,
            time: self.read_time(row, &mut notes),
            name: cut(self.observed_name(row)),
            parent_kind,
            parent_name: cut(parent_name),
            role,
            root: wmi_host && !launcher,
            program,
            notes,
            grandparent_kind,
            grandparent_name: cut(grandparent_name),
            ids,
        })
    }

    /// The grandparent's kind and observed name: its name, else its path's
    /// file name.
    fn grandparent<'r>(&self, row: &RowView<'r>, rule: &Rule) -> (ParentKind, Cow<'r, [u8]>) {
        let [name, path] = self.slots.grandparent;
        let mut found = Vec::new();
        observed(row, name, path, None, &mut found);
        let kind = if found.is_empty() {
            ParentKind::Absent
        } else if rule.is_parent(&found) {
            ParentKind::Wmi
        } else if self.is_launcher(&found) {
            ParentKind::Launcher
        } else {
            ParentKind::Other
        };
        (kind, Cow::Owned(found))
    }

    /// The first readable time of `_time`, `firstTime`; unreadable and
    /// zone-less values noted.
    fn read_time(&self, row: &RowView<'_>, notes: &mut Vec<Note>) -> Option<i64> {
        for (slot, field) in self.slots.time.iter().zip(TIME_FIELDS) {
            let mut found = None;
            row.any_value(*slot, |v| {
                if !is_present(v) {
                    return false;
                }
                match time::parse(v) {
                    Some(p) => {
                        if p.zone == Zone::Naive && self.time_notes {
                            let kind = if self.local.is_some() {
                                NoteKind::ZonelessLocal
                            } else {
                                NoteKind::ZonelessUtc
                            };
                            notes.push((kind, field, v.to_vec()));
                        }
                        found = Some(p.resolve(self.local.as_ref()));
                        true
                    }
                    None => {
                        if self.time_notes {
                            notes.push((NoteKind::Unreadable, field, v.to_vec()));
                        }
                        false
                    }
                }
            });
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// The parent's kind and observed name: a WMI value wins over a
    /// launcher, a launcher over another name.
    fn parent<'r>(&self, row: &RowView<'r>, rule: &Rule) -> (ParentKind, Cow<'r, [u8]>) {
        let mut kind = ParentKind::Absent;
        let mut name: Vec<u8> = Vec::new();
        rule.any_parent_of_rule(row, |v| {
            let k = if rule.is_parent(v) {
                ParentKind::Wmi
            } else if self.is_launcher(v) {
                ParentKind::Launcher
            } else {
                ParentKind::Other
            };
            if rank(k) > rank(kind) {
                kind = k;
                name.clear();
                name.extend_from_slice(v);
            }
            kind == ParentKind::Wmi
        });
        (kind, Cow::Owned(name))
    }

    /// The process as observed: its present name, else its path's file
    /// name, else its original file name.
    fn observed_name<'r>(&self, row: &RowView<'r>) -> Cow<'r, [u8]> {
        let s = &self.slots;
        let mut found = Vec::new();
        observed(row, s.name, s.path, Some(s.original_file_name), &mut found);
        Cow::Owned(found)
    }
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn rank(k: ParentKind) -> u8 {
    match k {
        ParentKind::Absent => 0,
        ParentKind::Other => 1,
        ParentKind::Launcher => 2,
        ParentKind::Wmi => 3,
    }
}

fn cut(v: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    if v.len() <= MAX_NAME {
        return v;
    }
    // Cut at a character boundary when the name is UTF-8.
    let mut end = MAX_NAME;
    while end > 0 && (v[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    Cow::Owned(v[..end].to_vec())
}

/// The first present value of the first field that has one.
fn first_of<'r>(row: &RowView<'r>, slots: &[Slot]) -> Cow<'r, [u8]> {
    for &slot in slots {
        let v = row.first_value(slot);
        if is_present(&v) {
            return cut(v);
        }
    }
    Cow::Borrowed(b"")
}

/// The first GUID of the fields in order.
fn first_guid(row: &RowView<'_>, slots: &[Slot]) -> Option<u128> {
    let mut found = None;
    for &slot in slots {
        if row.any_value(slot, |v| {
            found = parse_guid(v);
            found.is_some()
        }) {
            return found;
        }
    }
    None
}

/// The first readable PID of `slot`'s values; unreadable ones noted.
fn read_pid(
    row: &RowView<'_>,
    slot: Slot,
    field: &'static str,
    notes: &mut Vec<Note>,
) -> Option<u32> {
    let mut found = None;
    row.any_value(slot, |v| {
        if !is_present(v) {
            return false;
        }
        found = parse_pid(v);
        if found.is_none() {
            notes.push((NoteKind::Unreadable, field, v.to_vec()));
        }
        found.is_some()
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Layout;
    use crate::rule::Catalog;
    use csv::ByteRecord;

    #[test]
    fn times_read_through_the_time_module_and_unreadable_ones_are_noted() {
        let h = ["parent_process_name", "process_name", "_time", "firstTime"];
        let f = facts_of(&h, &["cmd.exe", "mshta.exe", "", "1578959090.348"], false).unwrap();
        assert_eq!(f.time, Some(1_578_959_090_348_000));
        assert!(f.notes.is_empty());
        // _time unreadable: noted, firstTime used.
        let f = facts_of(
            &h,
            &["cmd.exe", "mshta.exe", "yesterday", "01/13/2020 23:44:50"],
            false,
        )
        .unwrap();
        assert_eq!(f.time, Some(1_578_959_090_000_000));
        assert_eq!(
            f.notes,
            [
                (NoteKind::Unreadable, "_time", b"yesterday".to_vec()),
                (
                    NoteKind::ZonelessUtc,
                    "firstTime",
                    b"01/13/2020 23:44:50".to_vec()
                ),
            ]
        );
        // Absent values are absent, not unreadable.
        let f = facts_of(&h, &["cmd.exe", "mshta.exe", "-", "unknown"], false).unwrap();
        assert_eq!((f.time, f.notes.len()), (None, 0));
    }

    #[test]
    fn unreadable_pids_are_noted_and_pids_above_32_bits_are_none() {
        let h = [
            "parent_process_name",
            "process_name",
            "process_id",
            "parent_process_id",
        ];
        let f = facts_of(&h, &["cmd.exe", "mshta.exe", "12a", "5459598860"], false).unwrap();
        assert_eq!((f.pid, f.parent_pid), (None, None));
        assert_eq!(
            f.notes,
            [
                (NoteKind::Unreadable, "process_id", b"12a".to_vec()),
                (
                    NoteKind::Unreadable,
                    "parent_process_id",
                    b"5459598860".to_vec()
                ),
            ]
        );
    }

    #[test]
    fn a_local_zone_reads_zoneless_times_in_it() {
        let mut fields = FieldSet::new();
        let rule = Rule::new(
            false,
            &["wmiprvse.exe".to_string()],
            Catalog::escu(),
            &mut fields,
        );
        let launchers: Vec<String> = DEFAULT_LAUNCHERS.iter().map(|s| s.to_string()).collect();
        let mut lineage = LineageRule::new(&launchers, &mut fields);
        lineage.set_local_zone(Some(LocalZone::from_arg("+02:00").unwrap()));
        let header = ByteRecord::from(vec!["parent_process_name", "process_name", "_time"]);
        let layout = Layout::resolve(&fields, &header);
        let record = ByteRecord::from(vec!["cmd.exe", "mshta.exe", "2020-01-14 01:44:50"]);
        let f = lineage
            .facts(&RowView::new(&record, &layout), &rule, false)
            .unwrap();
        assert_eq!(f.time, Some(1_578_959_090_000_000));
        assert_eq!(f.notes[0].0, NoteKind::ZonelessLocal);
    }

    fn facts_of(header: &[&str], row: &[&str], plain_hit: bool) -> Option<Facts<'static>> {
        let mut fields = FieldSet::new();
        let rule = Rule::new(
            false,
            &["wmiprvse.exe".to_string()],
            Catalog::escu(),
            &mut fields,
        );
        let launchers: Vec<String> = DEFAULT_LAUNCHERS.iter().map(|s| s.to_string()).collect();
        let lineage = LineageRule::new(&launchers, &mut fields);
        let header = ByteRecord::from(header.to_vec());
        let layout = Layout::resolve(&fields, &header);
        let record = ByteRecord::from(row.to_vec());
        let view = RowView::new(&record, &layout);
        lineage
            .facts(&view, &rule, plain_hit)
            .map(Facts::into_owned)
    }

    const H: [&str; 9] = [
        "dest",
        "parent_process_name",
        "process_name",
        "process",
        "process_guid",
        "parent_process_guid",
        "process_id",
        "parent_process_id",
        "_time",
    ];

    #[test]
    fn a_wmi_started_launcher_is_a_link_and_names_its_program() {
        let f = facts_of(
            &H,
            &[
                "HOST",
                "WmiPrvSE.exe",
                "cmd.exe",
                r"cmd.exe /Q /c C:\Windows\System32\rundll32.exe x,#1",
                "{747f3d96-75d1-5f8b-0000-001088c23300}",
                "{747f3d96-75d1-5f8b-0000-00101dab3300}",
                "2784",
                "0x8b4",
                "1602975185.776",
            ],
            false,
        )
        .unwrap();
        assert_eq!(
            f.role,
            Role {
                node: true,
                candidate: Some(super::super::rule::Candidate::CommandLine)
            }
        );
        assert!(!f.root);
        assert_eq!(f.parent_kind, ParentKind::Wmi);
        assert_eq!(&*f.parent_name, b"WmiPrvSE.exe");
        assert_eq!(f.program.as_deref(), Some(&b"rundll32.exe"[..]));
        assert_eq!(f.pid, Some(2784));
        assert_eq!(f.parent_pid, Some(0x8b4));
        assert_eq!(f.time, Some(1_602_975_185_776_000));
        assert_eq!(&*f.host, b"HOST");
        assert!(f.guid.is_some() && f.parent_guid.is_some());
    }

    #[test]
    fn a_catalog_binary_under_a_launcher_is_a_candidate() {
        let f = facts_of(
            &H,
            &["h", "CMD.EXE", "mshta.exe", "", "", "", "", "9", ""],
            false,
        )
        .unwrap();
        assert_eq!(
            f.role,
            Role {
                node: false,
                candidate: Some(super::super::rule::Candidate::Catalog)
            }
        );
        assert_eq!(f.parent_kind, ParentKind::Launcher);
        assert_eq!(f.parent_pid, Some(9));
        assert_eq!(f.time, None);
        // under explorer.exe it plays no part
        assert_eq!(
            facts_of(
                &H,
                &["h", "explorer.exe", "mshta.exe", "", "", "", "", "9", ""],
                false
            ),
            None
        );
        // a plain detection is no candidate
        assert_eq!(
            facts_of(
                &H,
                &["h", "wmiprvse.exe", "mshta.exe", "", "", "", "", "", ""],
                true
            ),
            None
        );
        // a catalog binary with no parent name is no candidate
        assert_eq!(
            facts_of(&H, &["h", "", "mshta.exe", "", "", "", "", "9", ""], false),
            None
        );
    }

    #[test]
    fn the_wmi_host_itself_is_a_root() {
        let f = facts_of(
            &H,
            &["h", "svchost.exe", "WmiPrvSE.exe", "", "", "", "1", "", ""],
            false,
        )
        .unwrap();
        assert!(f.root && f.role.node && f.role.candidate.is_none());
        assert_eq!(f.parent_kind, ParentKind::Other);
    }

    #[test]
    fn a_wmi_parent_wins_over_a_launcher_in_a_multivalue_parent() {
        let h = [
            "parent_process_name",
            "__mv_parent_process_name",
            "process_name",
        ];
        let f = facts_of(
            &h,
            &["x", "$cmd.exe$;$wmiprvse.exe$", "powershell.exe"],
            false,
        )
        .unwrap();
        assert_eq!(f.parent_kind, ParentKind::Wmi);
        assert_eq!(&*f.parent_name, b"wmiprvse.exe");
    }

    #[test]
    fn prefixed_and_raw_names_are_read() {
        let h = [
            "Processes.dest",
            "Processes.parent_process_name",
            "Processes.process_name",
            "ProcessGuid",
            "ParentProcessGuid",
        ];
        let f = facts_of(&h, &["h", "cmd.exe", "cmd.exe", "{a}", "{b}"], false).unwrap();
        assert_eq!(&*f.host, b"h");
        assert!(f.role.node && f.guid.is_some() && f.parent_guid.is_some());
        assert_ne!(f.guid, f.parent_guid);
    }

    #[test]
    fn long_names_are_cut_at_a_character_boundary() {
        let long = "é".repeat(200);
        let f = facts_of(
            &H,
            &[
                "h",
                "cmd.exe",
                &format!("{long}mshta.exe"),
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            false,
        );
        assert_eq!(f, None);
        let v = cut(Cow::Owned(long.into_bytes()));
        assert!(v.len() <= MAX_NAME && std::str::from_utf8(&v).is_ok());
    }
}
