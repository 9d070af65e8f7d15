//! Options of the detection, from search-time `key=value` arguments
//! (`| wmilolbas mode=annotate strict=true`) or from `scan` flags.
//!
//! Both front ends funnel into [`Options::set`], so a value means the same
//! thing everywhere and every error names the option and its allowed values.

use crate::error::{Error, Result};
use crate::protocol::message::quote_short;
use crate::rule::catalog::{check_lookup_name, SHIPPED_LOOKUP};
use crate::rule::DEFAULT_PARENT;

/// Which rows come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only detections.
    Filter,
    /// Every row; non-detections with the added fields empty.
    Annotate,
}

/// Where the child names come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogChoice {
    /// The ESCU search's 55 names.
    Escu,
    /// A lookup in the app's `lookups/` folder (search time).
    Lookup(String),
    /// A CSV file path (`scan --catalog`).
    File(std::path::PathBuf),
}

/// The default risk message: the ESCU detection's own text, spelling included.
pub const DEFAULT_MESSAGE: &str = "Wmiprsve.exe spawned a LOLBAS process on $dest$.";

/// Validated options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `mode=filter|annotate` (default filter).
    pub mode: Mode,
    /// `strict=true`: exactly the ESCU search.
    pub strict: bool,
    /// `impact=0..100` (default 90).
    pub impact: u8,
    /// `confidence=0..100` (default 60).
    pub confidence: u8,
    /// `parent=a.exe,b.exe` (default `wmiprvse.exe`).
    pub parents: Vec<String>,
    /// `message=...` risk message template with `$field$` tokens.
    pub message: String,
    /// `catalog=<file>.csv`.
    pub catalog: CatalogChoice,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            mode: Mode::Filter,
            strict: false,
            impact: 90,
            confidence: 60,
            parents: vec![DEFAULT_PARENT.to_string()],
            message: DEFAULT_MESSAGE.to_string(),
            catalog: CatalogChoice::Escu,
        }
    }
}

/// The search-time option names, for messages and searchbnf.conf.
pub const OPTION_NAMES: [&str; 7] = [
    "mode",
    "strict",
    "impact",
    "confidence",
    "parent",
    "message",
    "catalog",
];

impl Options {
    /// Parses searchinfo `args` (`key=value` tokens, quotes already removed
    /// by splunkd). An option given twice is an error.
    pub fn from_args(args: &[String]) -> Result<Options> {
        let mut options = Options::default();
        let mut seen: Vec<&str> = Vec::new();
        for arg in args {
            let Some((key, value)) = arg.split_once('=') else {
                return Err(Error::option(
                    "",
                    format!(
                        "wmilolbas takes key=value options, got {} (options: {}; write them without spaces around =)",
                        quote_short(arg),
                        OPTION_NAMES.join(", ")
                    ),
                ));
            };
            if let Some(dup) = seen.iter().find(|k| **k == key) {
                return Err(Error::option(
                    key,
                    format!("option {dup} is given more than once"),
                ));
            }
            options.set(key, value)?;
            seen.push(
                OPTION_NAMES
                    .iter()
                    .find(|n| **n == key)
                    .copied()
                    .unwrap_or("?"),
            );
        }
        Ok(options)
    }

    /// Sets one option from its text value.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        match key {
            "mode" => {
                self.mode = match value.to_ascii_lowercase().as_str() {
                    "filter" => Mode::Filter,
                    "annotate" => Mode::Annotate,
                    _ => return Err(bad_value(key, value, "filter or annotate")),
                }
            }
            "strict" => {
                self.strict =
                    parse_bool(value).ok_or_else(|| bad_value(key, value, "true or false"))?;
            }
            "impact" | "confidence" => {
                let n = parse_percent(value)
                    .ok_or_else(|| bad_value(key, value, "a whole number from 0 to 100"))?;
                if key == "impact" {
                    self.impact = n;
                } else {
                    self.confidence = n;
                }
            }
            "parent" => {
                let parents: Vec<String> = value
                    .split(',')
                    .map(|p| p.trim_matches(' ').to_string())
                    .collect();
                if parents.iter().any(|p| p.is_empty()) {
                    return Err(bad_value(
                        key,
                        value,
                        "a comma-separated list of process names, such as wmiprvse.exe,mmc.exe",
                    ));
                }
                self.parents = parents;
            }
            "message" => {
                if value.trim().is_empty() {
                    return Err(bad_value(
                        key,
                        value,
                        "a non-empty text with $field$ tokens",
                    ));
                }
                self.message = value.to_string();
            }
            "catalog" => {
                check_lookup_name(value).map_err(|why| {
                    Error::option(
                        key,
                        format!(
                            "invalid value {} for catalog: the name {why} (for example catalog={SHIPPED_LOOKUP})",
                            quote_short(value)
                        ),
                    )
                })?;
                self.catalog = CatalogChoice::Lookup(value.to_string());
            }
            _ => {
                return Err(Error::option(
                    key,
                    format!(
                        "unknown option {}; wmilolbas takes {}",
                        quote_short(key),
                        OPTION_NAMES.join(", ")
                    ),
                ))
            }
        }
        Ok(())
    }

    /// The risk score, impact × confidence / 100, in hundredths.
    pub fn risk_score_hundredths(&self) -> u32 {
        u32::from(self.impact) * u32::from(self.confidence)
    }
}

fn bad_value(key: &str, value: &str, allowed: &str) -> Error {
    Error::option(
        key,
        format!(
            "invalid value {} for {key}: expected {allowed}",
            quote_short(value)
        ),
    )
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
        assert_eq!((o.impact, o.confidence), (90, 60));
        assert_eq!(o.risk_score_hundredths(), 5400);
        assert_eq!(o.parents, vec!["wmiprvse.exe"]);
        assert_eq!(
            o.message,
            "Wmiprsve.exe spawned a LOLBAS process on $dest$."
        );
        assert_eq!(o.catalog, CatalogChoice::Escu);
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
            "catalog=lolbas_binaries.csv",
        ])
        .unwrap();
        assert_eq!(o.mode, Mode::Annotate);
        assert!(o.strict);
        assert_eq!(o.risk_score_hundredths(), 3750);
        assert_eq!(o.parents, vec!["wmiprvse.exe", "mmc.exe"]);
        assert_eq!(o.message, "on $dest$ by $user$");
        assert_eq!(
            o.catalog,
            CatalogChoice::Lookup("lolbas_binaries.csv".into())
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
            (&["colour=red"], "unknown option \"colour\"; wmilolbas takes mode, strict, impact, confidence, parent, message, catalog"),
            (&["annotate"], "wmilolbas takes key=value options, got \"annotate\""),
            (&["mode=filter", "mode=annotate"], "option mode is given more than once"),
        ];
        for (a, want) in cases {
            let err = args(a).unwrap_err().to_string();
            assert!(err.contains(want), "{a:?}: {err}");
        }
    }
}
