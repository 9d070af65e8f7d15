//! The rule, end to end through the protocol: the binary against the
//! independent oracle on generated rows (plain, `Processes.`-prefixed,
//! multivalue), every option, and catalog lookups from the app folder.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use crate::oracle::Oracle;
use crate::util::*;

/// Rows from the team's generator (near misses, fill values, mixed case,
/// quotes, newlines, non-ASCII), generated once per test run.
pub fn generated(prefix: bool) -> PathBuf {
    static PLAIN: OnceLock<PathBuf> = OnceLock::new();
    static PREFIXED: OnceLock<PathBuf> = OnceLock::new();
    let cell = if prefix { &PREFIXED } else { &PLAIN };
    cell.get_or_init(|| {
        let dir = tempdir();
        let out = dir.join("rows.csv");
        let mut args = vec![
            tests_dir("tools/gen_processes.py")
                .to_str()
                .unwrap()
                .to_string(),
            "--rows".into(),
            "5000".into(),
            "--seed".into(),
            "11".into(),
            "--out".into(),
            out.to_str().unwrap().into(),
        ];
        if prefix {
            args.extend(["--prefix".into(), "Processes.".into()]);
        }
        let st = std::process::Command::new(python())
            .args(&args)
            .output()
            .expect("python3 runs");
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        out
    })
    .clone()
}

fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn mv_encode(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("${}$", v.replace('$', "$$")))
        .collect::<Vec<_>>()
        .join(";")
}

/// A splunkd-style body: every field, then every `__mv_` column. With
/// `multivalue`, some rows get a decoy extra value in a name field.
fn splunkd_body(
    header: &[String],
    rows: &[Vec<String>],
    multivalue: bool,
) -> (Vec<u8>, Vec<HashMap<String, String>>) {
    let mut full_header: Vec<String> = header.to_vec();
    full_header.extend(header.iter().map(|h| format!("__mv_{h}")));
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(&full_header).unwrap();
    let mut maps = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut plain = row.clone();
        let mut mv = vec![String::new(); row.len()];
        if multivalue {
            let target = match i % 5 {
                0 => Some(("process_name", "a$decoy.exe")),
                1 => Some(("parent_process_name", "svchost.exe")),
                2 => Some(("original_file_name", "NOTEPAD.EXE")),
                _ => None,
            };
            if let Some((field, decoy)) = target {
                if let Some(k) = header
                    .iter()
                    .position(|h| h == field || h == &format!("Processes.{field}"))
                {
                    let values = if i % 2 == 0 {
                        [decoy, row[k].as_str()]
                    } else {
                        [row[k].as_str(), decoy]
                    };
                    plain[k] = values.join("\n");
                    mv[k] = mv_encode(&values);
                }
            }
        }
        let mut map = HashMap::new();
        for (k, h) in header.iter().enumerate() {
            map.insert(h.clone(), plain[k].clone());
            map.insert(format!("__mv_{h}"), mv[k].clone());
        }
        maps.push(map);
        plain.extend(mv);
        w.write_record(&plain).unwrap();
    }
    (w.into_inner().unwrap(), maps)
}

/// Runs one annotate session and returns each row's match_reason.
fn reasons(args: &[&str], body: &[u8]) -> Vec<String> {
    let mut input = getinfo(args);
    input.extend(execute(true, body));
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    let rows = csv_rows(&replies[1].body);
    let i = rows[0].iter().position(|h| h == "match_reason").unwrap();
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

fn check(prefix: bool, multivalue: bool) {
    let (header, rows) = read_csv(&generated(prefix));
    let (body, maps) = splunkd_body(&header, &rows, multivalue);
    for strict in [true, false] {
        let oracle = Oracle::new(strict);
        let want: Vec<String> = maps
            .iter()
            .map(|m| oracle.evaluate(m).unwrap_or("").to_string())
            .collect();
        let mut args = vec!["mode=annotate"];
        if strict {
            args.push("strict=true");
        }
        let got = reasons(&args, &body);
        assert_eq!(got.len(), want.len());
        let diffs: Vec<usize> = (0..got.len()).filter(|&i| got[i] != want[i]).collect();
        assert!(diffs.is_empty(), "strict={strict} prefix={prefix} mv={multivalue}: {} rows differ, first row {} got {:?} want {:?}: {:?}",
            diffs.len(), diffs[0], got[diffs[0]], want[diffs[0]], maps[diffs[0]]);
        let hits = want.iter().filter(|r| !r.is_empty()).count();
        assert!(hits > 50, "the generated data has detections ({hits})");
        if !strict {
            for reason in ["process_name", "process_path"] {
                assert!(want.iter().any(|r| r == reason), "data exercises {reason}");
            }
        }
    }
}

#[test]
fn plain_fields_agree_with_the_oracle() {
    check(false, false);
}

#[test]
fn prefixed_fields_agree_with_the_oracle() {
    check(true, false);
}

#[test]
fn multivalue_fields_agree_with_the_oracle() {
    check(false, true);
    check(true, true);
}

/// Filter mode returns exactly the annotate-mode detections, in order.
#[test]
fn filter_mode_returns_exactly_the_detections() {
    let (header, rows) = read_csv(&generated(false));
    let (body, maps) = splunkd_body(&header, &rows, false);
    let oracle = Oracle::new(false);
    let mut input = getinfo(&[]);
    input.extend(execute(true, &body));
    let r = run(&[], &input);
    let replies = parse_replies(&r.stdout);
    let got = csv_rows(&replies[1].body);
    let want: Vec<&HashMap<String, String>> = maps
        .iter()
        .filter(|m| oracle.evaluate(m).is_some())
        .collect();
    assert_eq!(got.len() - 1, want.len());
    let t = got[0].iter().position(|h| h == "process").unwrap();
    for (g, w) in got[1..].iter().zip(want) {
        assert_eq!(g[t], w["process"]);
    }
}

/// impact/confidence/parent/message change the added fields as documented.
#[test]
fn every_option_changes_what_it_should() {
    let body = b"dest,user,parent_process_name,process_name\nH1,bob,svchost.exe,mshta.exe\nH2,amy,wmiprvse.exe,mshta.exe\n";
    let mut input = getinfo(&[
        "impact=75",
        "confidence=50",
        "parent=svchost.exe",
        "message=$user$ ran it on $dest$",
        "mode=filter",
        "strict=false",
    ]);
    input.extend(execute(true, body));
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = csv_rows(&parse_replies(&r.stdout)[1].body);
    assert_eq!(rows.len(), 2);
    let get = |name: &str| rows[1][rows[0].iter().position(|h| h == name).unwrap()].clone();
    assert_eq!(get("dest"), "H1");
    assert_eq!(get("risk_score"), "37.5");
    assert_eq!(get("risk_message"), "bob ran it on H1");
    assert_eq!(get("risk_object"), "H1");
    assert_eq!(get("risk_object_type"), "system");
}

/// `catalog=<file>.csv` reads the app's lookups folder next to the binary.
#[test]
fn catalog_lookup_is_read_from_the_apps_lookups_folder() {
    let app = tempdir().join("wmilolbas");
    std::fs::create_dir_all(app.join("linux_x86_64/bin")).unwrap();
    std::fs::create_dir_all(app.join("lookups")).unwrap();
    let exe = app.join("linux_x86_64/bin/wmilolbas");
    std::fs::copy(bin(), &exe).unwrap();
    std::fs::write(
        app.join("lookups/mine.csv"),
        "process_name,category\nnotepad.exe,custom\n",
    )
    .unwrap();
    let body =
        b"parent_process_name,process_name\nwmiprvse.exe,notepad.exe\nwmiprvse.exe,mshta.exe\n";

    let mut input = getinfo(&["catalog=mine.csv"]);
    input.extend(execute(true, body));
    let r = run_program(&exe, &[], &input, None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = csv_rows(&parse_replies(&r.stdout)[1].body);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], "notepad.exe");

    let r = run_program(&exe, &[], &getinfo(&["catalog=missing.csv"]), None);
    assert_eq!(r.code, 1);
    let meta = &parse_replies(&r.stdout)[0].meta;
    let err = meta["error"].as_str().unwrap();
    assert!(
        err.starts_with("catalog missing.csv: cannot open "),
        "{err}"
    );
    assert!(err.contains("lookups/missing.csv"), "{err}");

    let r = run_program(&exe, &[], &getinfo(&["catalog=../../etc/passwd.csv"]), None);
    assert_eq!(r.code, 1);
    let err = parse_replies(&r.stdout)[0].meta["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(err.contains("without /, \\ or .."), "{err}");
}
