//! Detection profiles: which published version of the ESCU detection the
//! added fields identify (id, name, score, message), chosen with
//! `profile=…` (`--profile` in `scan`). `detection_id=`/`detection_name=`
//! replace the identity (the app's scheduled searches pass their own) and
//! `score=` the score; the profile then gives the rest.
//!
//! * `escu2021` (the default) — "Wmiprsve LOLBAS Execution Process Spawn",
//!   `95a455f0-4c04-11ec-b8ac-3e22fbd008af`, impact 90 × confidence 60 / 100
//!   = 54, the message with the detection's own misspelling. ESCU removed it
//!   in release 5.20.0.
//! * `escu2025` — its replacement, "Wmiprvse LOLBAS Execution Process
//!   Spawn", `b7e11721-08b1-4d8b-9628-813bb2380514` (2025-05-02, version 5 of
//!   2026-05-13): the same 55 names and logic, a finding score of 50 (no
//!   impact/confidence pair), the spelling fixed.
//!
//! Both are the same ATT&CK technique, story and annotations; see
//! `docs/detection.md` for the history and sources.

/// One published identity of the detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The option value (`profile=<key>`).
    pub key: &'static str,
    /// ESCU detection id (`detection_id`).
    pub id: &'static str,
    /// ESCU detection name (`detection_name`).
    pub name: &'static str,
    /// The published risk score, in hundredths (54 → 5400).
    pub score_hundredths: u32,
    /// The published impact and confidence, when the version had them.
    pub impact_confidence: Option<(u8, u8)>,
    /// The published risk message / finding title (`$field$` tokens).
    pub message: &'static str,
}

/// The 2021 detection (the default): what ES customers on ESCU 3.x–5.19 run.
pub const ESCU2021: Profile = Profile {
    key: "escu2021",
    id: "95a455f0-4c04-11ec-b8ac-3e22fbd008af",
    name: "Wmiprsve LOLBAS Execution Process Spawn",
    score_hundredths: 5400,
    impact_confidence: Some((90, 60)),
    message: "Wmiprsve.exe spawned a LOLBAS process on $dest$.",
};

/// The 2025 replacement: what customers on current ESCU run.
pub const ESCU2025: Profile = Profile {
    key: "escu2025",
    id: "b7e11721-08b1-4d8b-9628-813bb2380514",
    name: "Wmiprvse LOLBAS Execution Process Spawn",
    score_hundredths: 5000,
    impact_confidence: None,
    message: "Wmiprvse.exe spawned a LOLBAS process on $dest$.",
};

/// Every profile, the default first.
pub const PROFILES: [Profile; 2] = [ESCU2021, ESCU2025];

/// The impact and confidence that complete an explicit `impact=` or
/// `confidence=` given alone (the 2021 detection's values).
pub const DEFAULT_IMPACT_CONFIDENCE: (u8, u8) = (90, 60);

impl Profile {
    /// The profile named `key` (ASCII case ignored).
    pub fn find(key: &str) -> Option<Profile> {
        PROFILES
            .iter()
            .find(|p| p.key.eq_ignore_ascii_case(key))
            .copied()
    }

    /// The valid keys, for messages: `escu2021, escu2025`.
    pub fn keys() -> String {
        PROFILES.map(|p| p.key).join(", ")
    }
}

impl Default for Profile {
    fn default() -> Profile {
        ESCU2021
    }
}

/// What does not change between profiles: the technique, story and the
/// annotations contentctl adds at build time.
pub mod constant {
    /// Analytic story.
    pub const STORY: &str = "Active Directory Lateral Movement";
    /// ATT&CK technique id.
    pub const TECHNIQUE_ID: &str = "T1047";
    /// ATT&CK technique name.
    pub const TECHNIQUE: &str = "Windows Management Instrumentation";
    /// ATT&CK tactic id.
    pub const TACTIC_ID: &str = "TA0002";
    /// ATT&CK tactic name.
    pub const TACTIC: &str = "Execution";
    /// Lockheed kill-chain phase contentctl derives from the tactic.
    pub const KILL_CHAIN: &str = "Installation";
    /// NIST CSF category contentctl gives every TTP detection.
    pub const NIST: &str = "DE.CM";
    /// CIS control contentctl gives every endpoint detection.
    pub const CIS: &str = "CIS 10";
    /// Risk object type of `dest`.
    pub const RISK_OBJECT_TYPE: &str = "system";
    /// Threat object type of the child process.
    pub const THREAT_OBJECT_TYPE: &str = "process_name";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_found_by_key_case_insensitively() {
        assert_eq!(Profile::find("escu2021"), Some(ESCU2021));
        assert_eq!(Profile::find("ESCU2025"), Some(ESCU2025));
        assert_eq!(Profile::find("escu2024"), None);
        assert_eq!(Profile::keys(), "escu2021, escu2025");
        assert_eq!(Profile::default(), ESCU2021);
    }

    #[test]
    fn the_2021_score_is_its_impact_times_confidence() {
        let (i, c) = ESCU2021.impact_confidence.unwrap();
        assert_eq!(u32::from(i) * u32::from(c), ESCU2021.score_hundredths);
    }
}
