//! `lineage=true` end to end: the real binary driven by the splunkd
//! stand-in over the lineage fixtures (tests/data/lineage, made by
//! tests/tools/mk_lineage_fixtures.py), newest row first and cut into chunks
//! every way, so children arrive chunks before their parents; and the
//! hostile cases (a million orphans, caps, the WARN).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::fake_splunkd::{fake_splunkd, Session};
use crate::util::*;

/// `tag → expect` of a fixture (only the rows that must come back).
fn expected(path: &Path) -> BTreeMap<String, String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let (tag, expect) = (
        h.iter().position(|x| x == "tag").unwrap(),
        h.iter().position(|x| x == "expect").unwrap(),
    );
    r.records()
        .map(|x| x.unwrap())
        .filter(|x| !x[expect].is_empty())
        .map(|x| (x[tag].to_string(), x[expect].to_string()))
        .collect()
}

/// `tag → match_reason|lineage_path` of what a session returned; a tag
/// returned twice fails.
fn returned(s: &Session) -> BTreeMap<String, String> {
    let col = |name: &str| {
        s.header
            .iter()
            .position(|h| h == name || h == &format!("Processes.{name}"))
            .unwrap_or_else(|| panic!("no {name} in {:?}", s.header))
    };
    let (tag, reason, path) = (col("tag"), col("match_reason"), col("lineage_path"));
    let mut out = BTreeMap::new();
    for row in &s.rows {
        if row[reason].is_empty() {
            continue;
        }
        let prev = out.insert(
            row[tag].clone(),
            format!("{}|{}", row[reason], row[path]),
        );
        assert!(prev.is_none(), "{} returned twice", row[tag]);
    }
    out
}

fn fixture(name: &str) -> PathBuf {
    data(&format!("lineage/{name}"))
}

/// The fixture with every field but `_time` prefixed `Processes.` (tstats
/// before `drop_dm_object_name`).
fn prefixed(path: &Path) -> PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let header: Vec<String> = header
        .split(',')
        .map(|h| {
            if h == "_time" {
                h.to_string()
            } else {
                format!("Processes.{h}")
            }
        })
        .collect();
    let out = tempdir().join("prefixed.csv");
    std::fs::write(&out, format!("{}\n{rest}", header.join(","))).unwrap();
    out
}

const CHUNKINGS: [&[&str]; 5] = [
    &["--chunk-rows", "1"],
    &["--chunk-rows", "2", "--finish-mode", "header-only"],
    &["--chunk-rows", "3", "--inject-empty-chunks"],
    &["--random-chunk-sizes", "11", "--chunk-rows", "5"],
    &["--chunk-rows", "50000", "--finish-mode", "empty-body"],
];

#[test]
fn guid_and_pid_chains_are_found_in_every_chunking_and_the_decoys_are_not() {
    for name in ["chains_guid.csv", "chains_pid.csv"] {
        let path = fixture(name);
        let want = expected(&path);
        assert_eq!(want.len(), 5, "{name}: A, B, C, G and J");
        for input in [path.clone(), prefixed(&path)] {
            for extra in CHUNKINGS {
                let s = fake_splunkd(Some(&input), "lineage=true", extra, &bin());
                assert_eq!(
                    s.summary["getinfo_reply"]["metadata"]["type"], "stateful",
                    "lineage runs where it sees every row"
                );
                assert_eq!(returned(&s), want, "{name} {extra:?} {}", input.display());
            }
        }
    }
}

#[test]
fn annotate_mode_returns_every_row_once_with_its_verdict() {
    for name in ["chains_guid.csv", "chains_pid.csv"] {
        let path = fixture(name);
        let rows = csv::Reader::from_path(&path).unwrap().records().count();
        let s = fake_splunkd(
            Some(&path),
            "lineage=true mode=annotate",
            &["--chunk-rows", "2"],
            &bin(),
        );
        assert_eq!(s.rows.len(), rows, "{name}");
        assert_eq!(returned(&s), expected(&path), "{name}");
        let tag = s.header.iter().position(|h| h == "tag").unwrap();
        let mut tags: Vec<_> = s.rows.iter().map(|r| r[tag].clone()).collect();
        tags.sort();
        tags.dedup();
        assert_eq!(tags.len(), rows, "{name}: every row exactly once");
    }
}

#[test]
fn without_lineage_only_the_direct_child_is_found_as_before() {
    for name in ["chains_guid.csv", "chains_pid.csv"] {
        let s = fake_splunkd(Some(&fixture(name)), "", &["--chunk-rows", "2"], &bin());
        assert_eq!(s.summary["getinfo_reply"]["metadata"]["type"], "streaming");
        let tag = s.header.iter().position(|h| h == "tag").unwrap();
        let tags: Vec<_> = s.rows.iter().map(|r| r[tag].as_str()).collect();
        assert_eq!(tags, ["J-rundll32"]);
        assert!(!s.header.iter().any(|h| h == "lineage_path"));
    }
}

#[test]
fn lineage_detections_carry_their_own_identity_and_both_techniques() {
    let s = fake_splunkd(
        Some(&fixture("chains_guid.csv")),
        "lineage=true",
        &["--chunk-rows", "4"],
        &bin(),
    );
    let col = |name: &str| s.header.iter().position(|h| h == name).unwrap();
    let by_tag: BTreeMap<&str, &Vec<String>> = s
        .rows
        .iter()
        .map(|r| (r[col("tag")].as_str(), r))
        .collect();
    let msbuild = by_tag["A-msbuild"];
    assert_eq!(msbuild[col("detection_id")], "18c7474d-dc38-4e8c-9687-0bee44df759e");
    assert_eq!(
        msbuild[col("detection_name")],
        "Wmiprvse LOLBAS Execution Through a Shell"
    );
    // the stand-in folds __mv_ cells into newline-joined values
    assert_eq!(
        msbuild[col("annotations.mitre_attack.mitre_technique_id")],
        "T1047\nT1059"
    );
    assert_eq!(msbuild[col("threat_object")], "MSBuild.exe");
    assert_eq!(msbuild[col("risk_score")], "54");
    assert_eq!(
        msbuild[col("risk_message")],
        "Wmiprvse.exe started a LOLBAS process through a shell on WS-1."
    );
    let smbmap = by_tag["C-cmd"];
    assert_eq!(smbmap[col("threat_object")], "rundll32.exe");
    let direct = by_tag["J-rundll32"];
    assert_eq!(
        direct[col("detection_id")],
        "95a455f0-4c04-11ec-b8ac-3e22fbd008af"
    );
    assert_eq!(direct[col("annotations.mitre_attack.mitre_technique_id")], "T1047");
    // the end-of-search INFO gives the counts
    let info = s.summary["inspector_messages"].to_string();
    assert!(info.contains("4 lineage detections"), "{info}");
}
