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
            parents: vec![DEFAULT_PARENT.to_string()],
            message: None,
            catalog: CatalogChoice::Escu,
            lineage: false,
            launchers: None,
        }
    }
}

/// The search-time option names, for messages and searchbnf.conf.
pub const OPTION_NAMES: [&str; 10] = [
    "mode",
    "strict",
    "profile",
    "impact",
    "confidence",
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

    /// The risk score in hundredths: impact × confidence when either was
    /// given (the other from [`DEFAULT_IMPACT_CONFIDENCE`]), else the
    /// profile's published score.
    pub fn risk_score_hundredths(&self) -> u32 {
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
            (&["colour=red"], "unknown option \"colour\"; wmilolbas takes mode, strict, profile, impact, confidence, parent, message, catalog, lineage, launchers"),
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
