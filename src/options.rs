//! Options of the detection, from search-time `key=value` arguments
//! (`| wmilolbas mode=annotate strict=true`) or from `scan` flags.
//!
//! Both front ends funnel into [`Options::set`], so a value means the same
//! thing everywhere and every error names the option and its allowed values
//! — in the front end's own vocabulary ([`Front`]: `mode=` or `--mode`).

use crate::error::{Front, OptionError, OptionProblem, Result};
use crate::lineage::DEFAULT_LAUNCHERS;
pub use crate::rule::catalog::CatalogChoice;
use crate::rule::catalog::{check_lookup_name, SHIPPED_LOOKUP};
use crate::rule::profile::{Profile, DEFAULT_IMPACT_CONFIDENCE};
use crate::rule::DEFAULT_PARENT;

/// Which rows come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only detections.
    Filter,
    /// Every row; non-detections with the added fields empty.
    Annotate,
}

/// A detection's identity as `detection_id=` and `detection_name=` give it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `detection_id` (a UUID, as contentctl requires of a detection id).
    pub id: String,
    /// `detection_name`.
    pub name: String,
}

/// Validated options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `mode=filter|annotate` (default filter).
    pub mode: Mode,
    /// `strict=true`: exactly the ESCU search.
    pub strict: bool,
    /// `profile=escu2021|escu2025`: the detection's published identity,
    /// score and message.
    pub profile: Profile,
    /// `impact=0..100`, when given (else the profile's score applies).
    pub impact: Option<u8>,
    /// `confidence=0..100`, when given.
    pub confidence: Option<u8>,
    /// `score=0..100`, when given: the risk score itself, as contentctl 5
    /// sets it (`rba: risk_objects: score`); an error with `impact` or
    /// `confidence`.
    pub score: Option<u8>,
    /// `detection_id=<uuid>` and `detection_name=<text>`, when given: the
    /// identity every detection carries instead of the profile's (or, on a
    /// lineage detection, the lineage identity). Given together or not at
    /// all: a shipped search names its own identity this way.
    pub identity: Option<Identity>,
    /// `parent=a.exe,b.exe` (default `wmiprvse.exe`).
    pub parents: Vec<String>,
    /// `message=...` risk message template with `$field$` tokens, when
    /// given (else the profile's).
    pub message: Option<String>,
    /// `catalog=<file>.csv`.
    pub catalog: CatalogChoice,
    /// `lineage=true`: also follow the process tree through launchers
    /// (see [`crate::lineage`]).
    pub lineage: bool,
    /// `launchers=a.exe,b.exe`, when given (see [`Options::launchers`]).
    pub launchers: Option<Vec<String>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            mode: Mode::Filter,
            strict: false,
            profile: Profile::default(),
            impact: None,
            confidence: None,
            score: None,
            identity: None,
            parents: vec![DEFAULT_PARENT.to_string()],
            message: None,
            catalog: CatalogChoice::Escu,
            lineage: false,
            launchers: None,
        }
    }
}

/// The search-time option names, for messages and searchbnf.conf.
pub const OPTION_NAMES: [&str; 13] = [
    "mode",
    "strict",
    "profile",
    "impact",
    "confidence",
    "score",
    "detection_id",
    "detection_name",
    "parent",
    "message",
    "catalog",
    "lineage",
    "launchers",
];

impl Options {
    /// Parses searchinfo `args` (`key=value` tokens, quotes already removed
    /// by splunkd). An option given twice is an error.
    pub fn from_args(args: &[String]) -> Result<Options> {
        let mut options = Options::default();
        let mut seen: Vec<&str> = Vec::new();
        for arg in args {
            let Some((key, value)) = arg.split_once('=') else {
                return Err(search_error(
                    "",
                    OptionProblem::NotKeyValue {
                        arg: arg.clone(),
                        valid: OPTION_NAMES.join(", "),
                    },
                ));
            };
            if seen.contains(&key) {
                return Err(search_error(key, OptionProblem::Repeated));
            }
            options.set(Front::Search, key, value)?;
            seen.extend(OPTION_NAMES.iter().find(|n| **n == key));
        }
        options.check(Front::Search)?;
        Ok(options)
    }

    /// Checks what no single option can: `launchers` needs `lineage`, and
    /// no name is both a parent and a launcher. Both front ends call it
    /// after the last option.
    pub fn check(&self, front: Front) -> Result<()> {
        if let Some(score) = self.score {
            if let Some(other) = [("impact", self.impact), ("confidence", self.confidence)]
                .iter()
                .find(|(_, v)| v.is_some())
                .map(|(k, _)| *k)
            {
                return Err(OptionError {
                    front,
                    option: "score".to_string(),
                    problem: OptionProblem::BadValue {
                        value: score.to_string(),
                        expected: format!(
                            "no {} with it: score sets the risk score itself, impact and confidence compute one (give one or the other)",
                            front.name(other)
                        ),
                    },
                }
                .into());
            }
        }
        if let Some(identity) = &self.identity {
            let missing = [
                ("detection_id", &identity.id),
                ("detection_name", &identity.name),
            ]
            .into_iter()
            .find(|(_, v)| v.is_empty());
            if let Some((missing, _)) = missing {
                let given = if missing == "detection_id" {
                    "detection_name"
                } else {
                    "detection_id"
                };
                return Err(OptionError {
                    front,
                    option: missing.to_string(),
                    problem: OptionProblem::Missing {
                        with: front.name(given),
                    },
                }
                .into());
            }
        }
        let problem = |expected: String| OptionError {
            front,
            option: "launchers".to_string(),
            problem: OptionProblem::BadValue {
                value: self.launchers().join(","),
                expected,
            },
        };
        if self.launchers.is_some() && !self.lineage {
            let lineage = match front {
                Front::Search => "lineage=true",
                Front::Cli => "--lineage",
            };
            return Err(problem(format!(
                "launchers only with {lineage} (they have no effect without it)"
            ))
            .into());
        }
        let launchers = self.launchers();
        if let Some(both) = launchers
            .iter()
            .filter(|_| self.lineage)
            .find(|l| self.parents.iter().any(|p| p.eq_ignore_ascii_case(l)))
        {
            return Err(
                problem(format!("names that are not parent names ({both} is both)")).into(),
            );
        }
        Ok(())
    }

    /// Sets one option from its text value, as `front` gave it. The only
    /// way options are set: `catalog` is a lookup name in a search and a
    /// file path on the command line.
    pub fn set(&mut self, front: Front, key: &str, value: &str) -> Result<()> {
        let bad = |expected: &str| OptionError {
            front,
            option: key.to_string(),
            problem: OptionProblem::BadValue {
                value: value.to_string(),
                expected: expected.to_string(),
            },
        };
        match key {
            "mode" => {
                self.mode = match value.to_ascii_lowercase().as_str() {
                    "filter" => Mode::Filter,
                    "annotate" => Mode::Annotate,
                    _ => return Err(bad("filter or annotate").into()),
                }
            }
            "strict" => {
                self.strict = parse_bool(value).ok_or_else(|| bad("true or false"))?;
            }
            "impact" | "confidence" => {
                let n = parse_percent(value).ok_or_else(|| bad("a whole number from 0 to 100"))?;
                if key == "impact" {
                    self.impact = Some(n);
                } else {
                    self.confidence = Some(n);
                }
            }
            "score" => {
                let n = parse_percent(value).ok_or_else(|| bad("a whole number from 0 to 100"))?;
                self.score = Some(n);
            }
            "detection_id" => {
                if !is_uuid(value) {
                    return Err(bad(
                        "a UUID such as 22d0835e-1d7d-493b-8d44-7df312eb0b02 (8-4-4-4-12 hexadecimal digits)",
                    )
                    .into());
                }
                self.identity.get_or_insert_with(Identity::default).id = value.to_string();
            }
            "detection_name" => {
                if value.trim().is_empty() {
                    return Err(bad("a non-empty detection name").into());
                }
                self.identity.get_or_insert_with(Identity::default).name = value.to_string();
            }
            "profile" => {
                self.profile = Profile::find(value)
                    .ok_or_else(|| bad(&format!("one of {}", Profile::keys())))?;
            }
            "parent" => {
                let parents: Vec<String> = value
                    .split(',')
                    .map(|p| p.trim_matches(' ').to_string())
                    .collect();
                if parents.iter().any(|p| p.is_empty()) {
                    return Err(bad(
                        "a comma-separated list of process names, such as wmiprvse.exe,mmc.exe",
                    )
                    .into());
                }
                self.parents = parents;
            }
            "lineage" => {
                self.lineage = parse_bool(value).ok_or_else(|| bad("true or false"))?;
            }
            "launchers" => {
                let launchers: Vec<String> = value
                    .split(',')
                    .map(|p| p.trim_matches(' ').to_string())
                    .collect();
                if launchers.iter().any(|p| p.is_empty()) {
                    return Err(bad(
                        "a comma-separated list of process names, such as cmd.exe,powershell.exe",
                    )
                    .into());
                }
                self.launchers = Some(launchers);
            }
            "message" => {
                if value.trim().is_empty() {
                    return Err(bad("a non-empty text with $field$ tokens").into());
                }
                self.message = Some(value.to_string());
            }
            "catalog" => {
                self.catalog = match front {
                    Front::Cli => CatalogChoice::File(value.into()),
                    Front::Search => {
                        check_lookup_name(value).map_err(|why| OptionError {
                            front,
                            option: key.to_string(),
                            problem: OptionProblem::BadLookupName {
                                value: value.to_string(),
                                why: why.to_string(),
                                example: SHIPPED_LOOKUP.to_string(),
                            },
                        })?;
                        CatalogChoice::Lookup(value.to_string())
                    }
                };
            }
            _ => {
                return Err(OptionError {
                    front,
                    option: key.to_string(),
                    problem: OptionProblem::Unknown {
                        valid: OPTION_NAMES.map(|n| front.name(n)).join(", "),
                    },
                }
                .into())
            }
        }
        Ok(())
    }

    /// The risk score in hundredths: `score=` when given; impact ×
    /// confidence when either was given (the other from
    /// [`DEFAULT_IMPACT_CONFIDENCE`]); else the profile's published score.
    pub fn risk_score_hundredths(&self) -> u32 {
        if let Some(score) = self.score {
            return u32::from(score) * 100;
        }
        if self.impact.is_none() && self.confidence.is_none() {
            return self.profile.score_hundredths;
        }
        let (impact, confidence) = DEFAULT_IMPACT_CONFIDENCE;
        u32::from(self.impact.unwrap_or(impact)) * u32::from(self.confidence.unwrap_or(confidence))
    }

    /// The launchers: `launchers=`, else `cmd.exe,powershell.exe,pwsh.exe`.
    pub fn launchers(&self) -> Vec<String> {
        match &self.launchers {
            Some(l) => l.clone(),
            None => DEFAULT_LAUNCHERS.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The identity of a plain detection: `detection_id=`/`detection_name=`,
    /// else the profile's.
    pub fn plain_identity(&self) -> (&str, &str) {
        match &self.identity {
            Some(i) => (&i.id, &i.name),
            None => (self.profile.id, self.profile.name),
        }
    }

    /// The identity of a lineage detection: `detection_id=`/`detection_name=`,
    /// else the lineage detection's own.
    pub fn lineage_identity(&self) -> (&str, &str) {
        match &self.identity {
            Some(i) => (&i.id, &i.name),
            None => (crate::lineage::identity::ID, crate::lineage::identity::NAME),
        }
    }

    /// The risk message template: `message=`, else the profile's.
    pub fn message(&self) -> &str {
        self.message.as_deref().unwrap_or(self.profile.message)
    }
}

fn search_error(option: &str, problem: OptionProblem) -> crate::error::Error {
    OptionError {
        front: Front::Search,
        option: option.to_string(),
        problem,
    }
    .into()
}

/// Splunk's boolean spellings.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" | "y" => Some(true),
        "false" | "f" | "0" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// `8-4-4-4-12` hexadecimal digits, the form of a contentctl detection id.
fn is_uuid(v: &str) -> bool {
    let groups: Vec<&str> = v.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn parse_percent(v: &str) -> Option<u8> {
    if v.is_empty() || v.len() > 3 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u8>().ok().filter(|n| *n <= 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<Options> {
        Options::from_args(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn defaults_are_the_escu_values() {
        let o = args(&[]).unwrap();
        assert_eq!(o.mode, Mode::Filter);
        assert!(!o.strict);
        assert_eq!((o.impact, o.confidence), (None, None));
        assert_eq!(o.profile.key, "escu2021");
        assert_eq!(o.risk_score_hundredths(), 5400);
        assert_eq!(o.parents, vec!["wmiprvse.exe"]);
        assert_eq!(
            o.message(),
            "Wmiprsve.exe spawned a LOLBAS process on $dest$."
        );
        assert_eq!(o.catalog, CatalogChoice::Escu);
        assert!(!o.lineage);
        assert_eq!(o.launchers(), ["cmd.exe", "powershell.exe", "pwsh.exe"]);
    }

    #[test]
    fn lineage_and_launchers() {
        let o = args(&["lineage=true", "launchers=cmd.exe, wscript.exe"]).unwrap();
        assert!(o.lineage);
        assert_eq!(o.launchers(), ["cmd.exe", "wscript.exe"]);
        let o = args(&["lineage=f"]).unwrap();
        assert!(!o.lineage);
        let err = args(&["launchers=cmd.exe"]).unwrap_err().to_string();
        assert!(err.contains("launchers only with lineage=true"), "{err}");
        let err = args(&["lineage=true", "parent=cmd.exe"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cmd.exe is both"), "{err}");
        let err = args(&["lineage=true", "launchers=a.exe,"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("for launchers: expected a comma-separated list"),
            "{err}"
        );
        let err = args(&["lineage=maybe"]).unwrap_err().to_string();
        assert!(err.contains("for lineage: expected true or false"), "{err}");
    }

    #[test]
    fn every_option_parses() {
        let o = args(&[
            "mode=annotate",
            "strict=T",
            "impact=75",
            "confidence=50",
            "parent=wmiprvse.exe, mmc.exe",
            "message=on $dest$ by $user$",
            "catalog=wmilolbas_lolbas_binaries.csv",
        ])
        .unwrap();
        assert_eq!(o.mode, Mode::Annotate);
        assert!(o.strict);
        assert_eq!(o.risk_score_hundredths(), 3750);
        assert_eq!(o.parents, vec!["wmiprvse.exe", "mmc.exe"]);
        assert_eq!(o.message(), "on $dest$ by $user$");
        assert_eq!(
            o.catalog,
            CatalogChoice::Lookup("wmilolbas_lolbas_binaries.csv".into())
        );
    }

    #[test]
    fn profiles_set_score_and_message_unless_given_explicitly() {
        let o = args(&["profile=escu2025"]).unwrap();
        assert_eq!(o.risk_score_hundredths(), 5000);
        assert_eq!(
            o.message(),
            "Wmiprvse.exe spawned a LOLBAS process on $dest$."
        );
        let o = args(&["profile=escu2025", "impact=80", "confidence=50"]).unwrap();
        assert_eq!(o.risk_score_hundredths(), 4000);
        let o = args(&["profile=escu2025", "impact=80"]).unwrap();
        assert_eq!(o.risk_score_hundredths(), 80 * 60);
        let o = args(&["confidence=100"]).unwrap();
        assert_eq!(o.risk_score_hundredths(), 90 * 100);
        let o = args(&["profile=ESCU2025", "message=m $dest$"]).unwrap();
        assert_eq!((o.profile.key, o.message()), ("escu2025", "m $dest$"));
    }

    #[test]
    fn score_sets_the_risk_score_itself_and_keeps_the_profile() {
        let o = args(&["score=70"]).unwrap();
        assert_eq!(o.risk_score_hundredths(), 7000);
        assert_eq!(
            o.plain_identity(),
            (ESCU2021_ID, "Wmiprsve LOLBAS Execution Process Spawn")
        );
        let o = args(&["profile=escu2025", "score=0"]).unwrap();
        assert_eq!(o.risk_score_hundredths(), 0);
        assert_eq!(o.plain_identity().0, "b7e11721-08b1-4d8b-9628-813bb2380514");
        assert_eq!(
            o.message(),
            "Wmiprvse.exe spawned a LOLBAS process on $dest$."
        );
    }

    const ESCU2021_ID: &str = "95a455f0-4c04-11ec-b8ac-3e22fbd008af";

    #[test]
    fn detection_id_and_name_set_both_identities_the_profile_keeps_score_and_message() {
        let o = args(&["profile=escu2025"]).unwrap();
        assert_eq!(o.identity, None);
        assert_eq!(
            o.lineage_identity(),
            (
                "18c7474d-dc38-4e8c-9687-0bee44df759e",
                "Wmiprvse LOLBAS Execution Through a Shell"
            )
        );
        let o = args(&[
            "detection_id=22D0835E-1d7d-493b-8d44-7df312eb0b02",
            "profile=escu2025",
            "detection_name=Wmiprsve LOLBAS Execution Process Spawn",
        ])
        .unwrap();
        let want = (
            "22D0835E-1d7d-493b-8d44-7df312eb0b02",
            "Wmiprsve LOLBAS Execution Process Spawn",
        );
        assert_eq!(o.plain_identity(), want);
        assert_eq!(o.lineage_identity(), want);
        assert_eq!(o.risk_score_hundredths(), 5000);
        assert_eq!(
            o.message(),
            "Wmiprvse.exe spawned a LOLBAS process on $dest$."
        );
    }

    #[test]
    fn errors_name_the_option_and_the_allowed_values() {
        let cases: &[(&[&str], &str)] = &[
            (&["mode=all"], "invalid value \"all\" for mode: expected filter or annotate"),
            (&["strict=maybe"], "invalid value \"maybe\" for strict: expected true or false"),
            (&["impact=101"], "for impact: expected a whole number from 0 to 100"),
            (&["confidence=-1"], "for confidence: expected a whole number from 0 to 100"),
            (&["impact=5.5"], "for impact"),
            (&["parent=a.exe,,b.exe"], "for parent: expected a comma-separated list"),
            (&["message= "], "for message"),
            (&["catalog=../etc/passwd.csv"], "without /, \\ or .."),
            (&["catalog=x.txt"], "must name a .csv lookup file"),
            (&["colour=red"], "unknown option \"colour\"; wmilolbas takes mode, strict, profile, impact, confidence, score, detection_id, detection_name, parent, message, catalog, lineage, launchers"),
            (&["score=101"], "invalid value \"101\" for score: expected a whole number from 0 to 100"),
            (&["score=70", "impact=80"], "invalid value \"70\" for score: expected no impact with it"),
            (&["confidence=80", "score=70"], "expected no confidence with it"),
            (&["detection_id=22d0835e"], "for detection_id: expected a UUID"),
            (&["detection_id=22d0835e-1d7d-493b-8d44-7df312eb0b0g"], "for detection_id: expected a UUID"),
            (&["detection_id=22d0835e-1d7d-493b-8d44-7df312eb0b02"], "detection_id is given without detection_name: give both, or neither"),
            (&["detection_name=Own"], "detection_name is given without detection_id"),
            (&["detection_name= "], "for detection_name: expected a non-empty detection name"),
            (&["profile=escu2019"], "invalid value \"escu2019\" for profile: expected one of escu2021, escu2025"),
            (&["annotate"], "wmilolbas takes key=value options, got \"annotate\""),
            (&["mode=filter", "mode=annotate"], "option mode is given more than once"),
        ];
        for (a, want) in cases {
            let err = args(a).unwrap_err().to_string();
            assert!(err.contains(want), "{a:?}: {err}");
        }
    }
}
