//! Sessions driven by the splunkd stand-in (`tests/tools/fake_splunkd.py`):
//! real-shaped getinfo, `__mv_` columns, random chunk sizes, injected empty
//! chunks, header-only finish — checked against the oracle.

use std::collections::HashMap;
use std::path::Path;

use crate::detection::generated;
use crate::oracle::Oracle;
use crate::util::*;

pub struct Session {
    pub summary: serde_json::Value,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Rows of an input CSV: header, rows, and each row as a field map.
type Input = (Vec<String>, Vec<Vec<String>>, Vec<HashMap<String, String>>);

pub fn fake_splunkd(input: Option<&Path>, args: &str, extra: &[&str], command: &Path) -> Session {
    let dir = tempdir();
    let out = dir.join("out.csv");
    let summary = dir.join("summary.json");
    let mut cmd = std::process::Command::new(python());
    cmd.arg(tests_dir("tools/fake_splunkd.py"))
        .args(["--out", out.to_str().unwrap()])
        .args([
            "--summary",
            summary.to_str().unwrap(),
            "--args",
            args,
            "--session-key",
            SECRET,
        ])
        .args(input.map(|p| format!("--input={}", p.display())))
        .args(extra)
        .arg("--")
        .arg(command);
    let st = cmd.output().unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert!(
        st.status.success(),
        "fake_splunkd failed: {}\n{}",
        String::from_utf8_lossy(&st.stderr),
        summary["errors"]
    );
    assert!(!String::from_utf8_lossy(&st.stderr).contains(SECRET));
    if !out.exists() {
        return Session {
            summary,
            header: Vec::new(),
            rows: Vec::new(),
        }; // probe: no rows
    }
    let mut r = csv::Reader::from_path(&out).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    Session {
        summary,
        header,
        rows,
    }
}

fn input_maps(path: &Path) -> Input {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    let maps = rows
        .iter()
        .map(|row| header.iter().cloned().zip(row.iter().cloned()).collect())
        .collect();
    (header, rows, maps)
}

/// Issue 2: 20,000 rows in annotate mode with random chunk sizes, injected
/// empty chunks and a header-only finish: no protocol error, every row back
/// unchanged.
#[test]
fn twenty_thousand_rows_annotate_with_random_chunks_come_back_unchanged() {
    let dir = tempdir();
    let input = dir.join("rows20k.csv");
    let st = std::process::Command::new(python())
        .arg(tests_dir("tools/gen_processes.py"))
        .args([
            "--rows",
            "20000",
            "--seed",
            "3",
            "--out",
            input.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(st.status.success());
    let s = fake_splunkd(
        Some(&input),
        "mode=annotate",
        &[
            "--random-chunk-sizes",
            "7",
            "--chunk-rows",
            "4000",
            "--inject-empty-chunks",
            "--finish-mode",
            "header-only",
        ],
        &bin(),
    );
    let (header, rows, _) = input_maps(&input);
    assert_eq!(s.summary["rows_out"], 20000);
    assert!(s.summary["chunks_sent"].as_u64().unwrap() > 10);
    assert_eq!(&s.header[..header.len()], &header[..]);
    assert_eq!(s.rows.len(), rows.len());
    for (got, want) in s.rows.iter().zip(&rows) {
        assert_eq!(&got[..want.len()], &want[..]);
    }
}

/// Both modes, plain and prefixed input, every option: fake_splunkd's
/// returned rows are exactly the oracle's detections.
#[test]
fn sessions_agree_with_the_oracle_for_every_option() {
    let cases: &[(&str, bool, &[&str])] = &[
        ("", false, &[]),
        ("strict=true", true, &[]),
        (
            "strict=t impact=75 confidence=50",
            true,
            &["--random-chunk-sizes", "1"],
        ),
        (
            "mode=filter parent=wmiprvse.exe,svchost.exe message=\"$user$ on $dest$\"",
            false,
            &["--chunk-rows", "777"],
        ),
    ];
    for prefix in [false, true] {
        let input = generated(prefix);
        let (_, _, maps) = input_maps(&input);
        for (args, strict, extra) in cases {
            let mut oracle = Oracle::new(*strict);
            if args.contains("svchost") {
                oracle.parents.push("svchost.exe".into());
            }
            let want: Vec<&HashMap<String, String>> = maps
                .iter()
                .filter(|m| oracle.evaluate(m).is_some())
                .collect();
            let s = fake_splunkd(Some(&input), args, extra, &bin());
            assert_eq!(s.rows.len(), want.len(), "{args} prefix={prefix}");
            let col = |name: &str| s.header.iter().position(|h| h == name).unwrap();
            let score = if args.contains("impact=75") {
                "37.5"
            } else {
                "54"
            };
            let dest_field = if prefix { "Processes.dest" } else { "dest" };
            let user_field = if prefix { "Processes.user" } else { "user" };
            for (got, w) in s.rows.iter().zip(&want) {
                assert_eq!(got[col(dest_field)], w[dest_field]);
                assert_eq!(got[col("risk_score")], score);
                assert_eq!(got[col("risk_object")], w[dest_field]);
                let msg = if args.contains("message=") {
                    format!("{} on {}", w[user_field], w[dest_field])
                } else {
                    format!(
                        "Wmiprsve.exe spawned a LOLBAS process on {}.",
                        w[dest_field]
                    )
                };
                assert_eq!(got[col("risk_message")], msg);
            }
        }
    }
}

/// A probe run through the stand-in: getinfo only, exit 0 quietly.
#[test]
fn probe_through_fake_splunkd() {
    let s = fake_splunkd(None, "", &["--probe"], &bin());
    assert_eq!(s.summary["getinfo_reply"]["metadata"]["type"], "streaming");
    assert_eq!(s.summary["exit_code"], 0);
    assert!(s.rows.is_empty());
}

/// The CIM sample CSVs through the stand-in, plain and `Processes.`-
/// prefixed: strict returns exactly the `expected_match` rows; the default
/// mode adds the renamed binaries (synthetic rows 8 and 10), nothing else.
#[test]
fn cim_samples_through_fake_splunkd_in_both_modes() {
    let dir = tempdir();
    for (file, renamed) in [
        (
            "attack_data/cim/endpoint_processes_from_samples.csv",
            vec![],
        ),
        ("attack_data/cim/synthetic_edge_cases.csv", vec![7usize, 9]),
    ] {
        let (header, rows, _) = input_maps(&data(file));
        let expected: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                rows[i][header.iter().position(|h| h == "expected_match").unwrap()] == "true"
            })
            .collect();
        for prefix in [false, true] {
            let path = dir.join(format!(
                "{}{}.csv",
                if prefix { "p_" } else { "" },
                file.rsplit('/').next().unwrap()
            ));
            let mut w = csv::Writer::from_path(&path).unwrap();
            w.write_record(header.iter().map(|h| {
                if prefix && !h.starts_with('_') {
                    format!("Processes.{h}")
                } else {
                    h.clone()
                }
            }))
            .unwrap();
            for r in &rows {
                w.write_record(r).unwrap();
            }
            w.flush().unwrap();
            for (args, mut want) in [
                ("strict=true", expected.clone()),
                ("", [expected.clone(), renamed.clone()].concat()),
            ] {
                want.sort_unstable();
                let s = fake_splunkd(Some(&path), args, &["--chunk-rows", "5"], &bin());
                let t = s.header.iter().position(|h| h.ends_with("_time")).unwrap();
                let got: Vec<usize> = s
                    .rows
                    .iter()
                    .map(|r| rows.iter().position(|x| x[0] == r[t]).unwrap())
                    .collect();
                assert_eq!(got, want, "{file} prefix={prefix} args={args:?}");
            }
        }
    }
}

/// Multivalue input as splunkd would send it (`__mv_` cells set), through
/// the stand-in with `--plain-input`: the rows the oracle expects.
#[test]
fn multivalue_input_through_fake_splunkd() {
    let (header, rows, _) = input_maps(&generated(false));
    let mut full_header = header.clone();
    full_header.extend(header.iter().map(|h| format!("__mv_{h}")));
    let name_col = header.iter().position(|h| h == "process_name").unwrap();
    let dir = tempdir();
    let path = dir.join("mv.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&full_header).unwrap();
    let mut maps = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let mut plain = r.clone();
        let mut mv = vec![String::new(); r.len()];
        if i % 3 == 0 {
            let values = [r[name_col].as_str(), "conhost.exe"];
            plain[name_col] = values.join("\n");
            mv[name_col] = values
                .iter()
                .map(|v| format!("${}$", v.replace('$', "$$")))
                .collect::<Vec<_>>()
                .join(";");
        }
        let map: HashMap<String, String> = full_header
            .iter()
            .cloned()
            .zip(plain.iter().chain(mv.iter()).cloned())
            .collect();
        maps.push(map);
        plain.extend(mv);
        w.write_record(&plain).unwrap();
    }
    w.flush().unwrap();
    for (args, strict) in [("strict=true", true), ("", false)] {
        let oracle = Oracle::new(strict);
        let want = maps.iter().filter(|m| oracle.evaluate(m).is_some()).count();
        let s = fake_splunkd(
            Some(&path),
            args,
            &["--plain-input", "--keep-internal", "--chunk-rows", "999"],
            &bin(),
        );
        assert_eq!(s.rows.len(), want, "{args}");
        let mv_idx = s
            .header
            .iter()
            .position(|h| h == "__mv_process_name")
            .unwrap();
        assert!(
            s.rows.iter().any(|r| r[mv_idx].contains("$;$")),
            "multivalue cells come back"
        );
    }
}

/// Issue 11: the CIM sample through the stand-in under each profile. The
/// default is the 2021 identity with score 54; `profile=escu2025` is the
/// replacement's id, score 50 and message; explicit impact/confidence still
/// win. Every detection names the child as its threat object.
#[test]
fn profiles_and_threat_objects_through_fake_splunkd() {
    let input = data("attack_data/cim/endpoint_processes_from_samples.csv");
    let cases = [
        (
            "",
            "95a455f0-4c04-11ec-b8ac-3e22fbd008af",
            "Wmiprsve LOLBAS Execution Process Spawn",
            "54",
            "Wmiprsve.exe spawned a LOLBAS process on ",
        ),
        (
            "profile=escu2025",
            "b7e11721-08b1-4d8b-9628-813bb2380514",
            "Wmiprvse LOLBAS Execution Process Spawn",
            "50",
            "Wmiprvse.exe spawned a LOLBAS process on ",
        ),
        (
            "profile=escu2025 impact=80 confidence=50",
            "b7e11721-08b1-4d8b-9628-813bb2380514",
            "Wmiprvse LOLBAS Execution Process Spawn",
            "40",
            "Wmiprvse.exe spawned a LOLBAS process on ",
        ),
    ];
    for (args, id, name, score, message) in cases {
        let s = fake_splunkd(Some(&input), args, &["--chunk-rows", "9"], &bin());
        assert_eq!(s.rows.len(), 4, "{args}");
        let col = |n: &str| s.header.iter().position(|h| h == n).unwrap();
        for row in &s.rows {
            assert_eq!(row[col("detection_id")], id, "{args}");
            assert_eq!(row[col("detection_name")], name, "{args}");
            assert_eq!(row[col("risk_score")], score, "{args}");
            assert_eq!(
                row[col("risk_message")],
                format!("{message}{}.", row[col("dest")]),
                "{args}"
            );
            // The child as observed, computed here independently.
            let present = |v: &str| {
                !v.is_empty() && !["-", "?", "unknown", "null"].contains(&v.to_lowercase().as_str())
            };
            let name = &row[col("process_name")];
            let path = &row[col("process_path")];
            let want = if present(name) {
                name.clone()
            } else {
                path.rsplit(['\\', '/']).next().unwrap().to_string()
            };
            assert!(!want.is_empty());
            assert_eq!(row[col("threat_object")], want, "{args}");
            assert_eq!(row[col("threat_object_type")], "process_name", "{args}");
        }
    }
}
