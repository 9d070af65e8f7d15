//! `wmilolbas scan` on inputs as people hand them over: CSV exports with
//! Windows event field names, files with no process field, compressed and
//! UTF-16 files, pipes and FIFOs. Every input is built here.

use std::path::{Path, PathBuf};

use crate::util::*;

fn scan(args: &[&str]) -> Run {
    let mut full = vec!["scan", "--format", "csv"];
    full.extend_from_slice(args);
    run(&full, b"")
}

/// Rows without their `source` column, header first.
fn rows_without_source(r: &Run) -> Vec<Vec<String>> {
    csv_rows(&r.stdout)
        .into_iter()
        .map(|row| row.into_iter().skip(1).collect())
        .collect()
}

fn col(r: &Run, name: &str) -> Vec<String> {
    let rows = csv_rows(&r.stdout);
    let i = rows[0].iter().position(|h| h == name).unwrap();
    rows[1..].iter().map(|row| row[i].clone()).collect()
}

/// The summary line (the last line of stderr).
fn summary(r: &Run) -> &str {
    r.stderr.lines().last().unwrap_or("")
}

/// Events as (name, value) pairs, all with the same names in the same order.
type Events = Vec<Vec<(&'static str, &'static str)>>;

/// Writes `events` as a CSV (the names as its header) and as JSON lines
/// (numbers as JSON numbers where `numeric` names them), in `dir`.
fn write_both(dir: &Path, stem: &str, events: &Events, numeric: &[&str]) -> (PathBuf, PathBuf) {
    let csv_path = dir.join(format!("{stem}.csv"));
    let mut w = csv::Writer::from_path(&csv_path).unwrap();
    w.write_record(events[0].iter().map(|(k, _)| k)).unwrap();
    for e in events {
        w.write_record(e.iter().map(|(_, v)| v)).unwrap();
    }
    w.flush().unwrap();
    let json_path = dir.join(format!("{stem}.jsonl"));
    let mut lines = String::new();
    for e in events {
        let mut obj = serde_json::Map::new();
        for (k, v) in e {
            let value = if numeric.contains(k) {
                serde_json::Value::from(v.parse::<u64>().unwrap())
            } else {
                serde_json::Value::from(*v)
            };
            obj.insert(k.to_string(), value);
        }
        lines.push_str(&serde_json::Value::Object(obj).to_string());
        lines.push('\n');
    }
    std::fs::write(&json_path, lines).unwrap();
    (csv_path, json_path)
}

/// A Sysmon event (Event ID `id`) with a raw Sysmon search's columns.
fn sysmon(
    id: &'static str,
    time: &'static str,
    parent: &'static str,
    image: &'static str,
    original: &'static str,
    pid: &'static str,
) -> Vec<(&'static str, &'static str)> {
    vec![
        ("EventID", id),
        ("UtcTime", time),
        ("Computer", "WS1.corp.example"),
        ("User", "CORP\\alice"),
        ("ParentImage", parent),
        (
            "ParentCommandLine",
            "C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding",
        ),
        ("Image", image),
        ("CommandLine", "payload http://198.51.100.7/a"),
        ("OriginalFileName", original),
        ("ProcessId", pid),
        ("ParentProcessId", "3000"),
        ("ProcessGuid", "{747f3d96-2842-5e1e-0000-00100c417a00}"),
        (
            "ParentProcessGuid",
            "{747f3d96-0001-5e1e-0000-0010aaaaaaaa}",
        ),
    ]
}

const WMI: &str = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe";

fn sysmon_events() -> Events {
    vec![
        sysmon(
            "1",
            "2020-01-14 20:44:50.348",
            WMI,
            "C:\\Windows\\System32\\mshta.exe",
            "MSHTA.EXE",
            "4180",
        ),
        sysmon(
            "1",
            "2020-01-14 20:45:00.000",
            WMI,
            "C:\\Users\\Public\\notavirus.exe",
            "MSHTA.EXE",
            "4181",
        ),
        sysmon(
            "1",
            "2020-01-14 20:46:00.000",
            "C:\\Windows\\explorer.exe",
            "C:\\Windows\\System32\\mshta.exe",
            "MSHTA.EXE",
            "4182",
        ),
        // A network connection by a listed binary: not a process creation.
        sysmon(
            "3",
            "2020-01-14 20:47:00.000",
            WMI,
            "C:\\Windows\\System32\\mshta.exe",
            "MSHTA.EXE",
            "4183",
        ),
    ]
}

/// A CSV exported from a raw Sysmon search gives the same detections as
/// JSON lines with the same names, with and without an EventID column.
#[test]
fn csv_with_sysmon_names_gives_the_same_detections_as_json_lines() {
    let dir = tempdir();
    let events = sysmon_events();
    let (csv, json) = write_both(&dir, "sysmon", &events, &["EventID", "ProcessId"]);
    let from_csv = scan(&[csv.to_str().unwrap()]);
    let from_json = scan(&[json.to_str().unwrap()]);
    assert_eq!(from_csv.code, 0, "{}", from_csv.stderr);
    assert_eq!(from_json.code, 0, "{}", from_json.stderr);
    assert_eq!(
        from_csv.stderr,
        "wmilolbas scan: 1 file, 4 events read (3 process creations), 2 detections\n"
    );
    assert_eq!(from_csv.stderr, from_json.stderr);
    assert_eq!(
        rows_without_source(&from_csv),
        rows_without_source(&from_json)
    );
    assert_eq!(
        col(&from_csv, "process_name"),
        ["mshta.exe", "notavirus.exe"]
    );
    assert_eq!(
        col(&from_csv, "match_reason"),
        ["process_name", "original_file_name"]
    );
    assert_eq!(col(&from_csv, "_time")[0], "1579034690.348");
    assert_eq!(col(&from_csv, "dest")[0], "WS1.corp.example");
    assert_eq!(col(&from_csv, "process_id"), ["4180", "4181"]);
    assert_eq!(col(&from_csv, "parent_process_id"), ["3000", "3000"]);
    assert_eq!(
        col(&from_csv, "parent_process")[0],
        "C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding"
    );

    // Without EventID: every row with Image/ParentImage is a process
    // creation (the network event too), in both kinds alike.
    let no_id: Events = events
        .iter()
        .map(|e| e.iter().filter(|(k, _)| *k != "EventID").copied().collect())
        .collect();
    let (csv, json) = write_both(&dir, "sysmon_no_id", &no_id, &["ProcessId"]);
    let from_csv = scan(&[csv.to_str().unwrap()]);
    let from_json = scan(&[json.to_str().unwrap()]);
    assert_eq!(
        from_csv.stderr,
        "wmilolbas scan: 1 file, 4 events read (4 process creations), 3 detections\n"
    );
    assert_eq!(from_csv.stderr, from_json.stderr);
    assert_eq!(
        rows_without_source(&from_csv),
        rows_without_source(&from_json)
    );
}

fn security_4688(
    parent: &'static str,
    image: &'static str,
    new_pid: &'static str,
) -> Vec<(&'static str, &'static str)> {
    vec![
        ("TimeCreated", "2024-05-01T10:00:00.123Z"),
        ("Computer", "DC01.corp.example"),
        ("SubjectUserName", "bob"),
        ("SubjectDomainName", "CORP"),
        ("NewProcessName", image),
        ("ParentProcessName", parent),
        ("CommandLine", "payload x"),
        ("NewProcessId", new_pid),
        ("ProcessId", "0x1f4"),
    ]
}

/// A Security 4688 CSV export (no EventID column) gives the same
/// detections as JSON lines with those names; `NewProcessId` is the
/// process, `ProcessId` its creator, both kept as hex.
#[test]
fn csv_with_security_4688_names_gives_the_same_detections_as_json_lines() {
    let dir = tempdir();
    let events: Events = vec![
        security_4688(WMI, "C:\\Windows\\System32\\mshta.exe", "0x2a0"),
        security_4688(WMI, "C:\\Windows\\System32\\cmd.exe", "0x2a4"),
        security_4688(
            "C:\\Windows\\explorer.exe",
            "C:\\Windows\\System32\\wmic.exe",
            "0x2a8",
        ),
        security_4688(WMI, "C:\\Windows\\System32\\wmic.exe", "0x2ac"),
    ];
    let (csv, json) = write_both(&dir, "security", &events, &[]);
    let from_csv = scan(&[csv.to_str().unwrap()]);
    let from_json = scan(&[json.to_str().unwrap()]);
    assert_eq!(from_csv.code, 0, "{}", from_csv.stderr);
    assert_eq!(
        from_csv.stderr,
        "wmilolbas scan: 1 file, 4 events read (4 process creations), 2 detections\n"
    );
    assert_eq!(from_csv.stderr, from_json.stderr);
    assert_eq!(
        rows_without_source(&from_csv),
        rows_without_source(&from_json)
    );
    assert_eq!(col(&from_csv, "process_name"), ["mshta.exe", "wmic.exe"]);
    assert_eq!(col(&from_csv, "process_id"), ["0x2a0", "0x2ac"]);
    assert_eq!(col(&from_csv, "parent_process_id"), ["0x1f4", "0x1f4"]);
    assert_eq!(col(&from_csv, "user"), ["CORP\\bob", "CORP\\bob"]);
    assert_eq!(col(&from_csv, "dest")[0], "DC01.corp.example");
    assert_eq!(col(&from_csv, "_time")[0], "1714557600.123");
}

/// A named file with no process field (`a,b,c`, or plain text) is named on
/// stderr with its columns, its rows are 0 process creations, exit 1.
#[test]
fn a_named_file_without_a_process_field_is_named_with_its_columns() {
    let dir = tempdir();
    let abc = dir.join("abc.csv");
    std::fs::write(&abc, "a,b,c\n1,2,3\n4,5,6\n").unwrap();
    let r = scan(&[abc.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: {}:1: no process field: read as CSV, its header has 3 columns (a, b, c); \
             expected CIM names (parent_process_name, parent_process_path, process_name, \
             process_path, original_file_name, plain or Processes.-prefixed) or Windows event \
             names (Image, ParentImage, NewProcessName, ParentProcessName); its rows are not \
             process creations\n\
             wmilolbas scan: 1 file, 2 events read (0 process creations), 0 detections, 1 error\n",
            abc.display()
        )
    );
    assert!(r.stdout.is_empty());

    let text = dir.join("notes.txt");
    std::fs::write(&text, "Remember to check the logs\nthen go home\n").unwrap();
    let r = scan(&[text.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "wmilolbas: {}:1: no process field: read as CSV, its header has 1 column \
             (Remember to check the logs); ",
            text.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(
        summary(&r),
        "wmilolbas scan: 1 file, 1 event read (0 process creations), 0 detections, 1 error"
    );
}

/// A wide header is cut to its first 12 columns.
#[test]
fn a_wide_header_without_a_process_field_lists_twelve_columns() {
    let names: Vec<String> = (1..=20).map(|i| format!("c{i}")).collect();
    let r = run(
        &["scan", "--format", "csv", "-"],
        format!("{}\n", names.join(",")).as_bytes(),
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "its header has 20 columns (c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, … 8 more)"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(
        summary(&r),
        "wmilolbas scan: 1 file, 0 events read (0 process creations), 0 detections, 1 error"
    );
}

/// In a folder walk, each file passed over gets one line (not an error);
/// CSVs with event names are chosen like CIM ones.
#[test]
fn a_folder_walk_names_each_file_it_passes_over() {
    let dir = tempdir();
    std::fs::write(dir.join("abc.csv"), "a,b,c\n1,2,3\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "nothing to see\n").unwrap();
    std::fs::write(dir.join("page.html"), "<html></html>\n").unwrap();
    std::fs::write(
        dir.join("sysmon.csv"),
        format!("EventID,ParentImage,Image\n1,{WMI},C:\\W\\mshta.exe\n"),
    )
    .unwrap();
    let r = scan(&[dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let over = |f: &str| {
        format!(
            "wmilolbas: {}: passed over: not an EVTX log, XML events, JSON lines or a CSV \
             with a process field",
            dir.join(f).display()
        )
    };
    assert_eq!(
        r.stderr.lines().collect::<Vec<_>>(),
        [
            over("abc.csv"),
            over("notes.txt"),
            over("page.html"),
            "wmilolbas scan: 1 file, 1 event read (1 process creation), 1 detection".into()
        ]
    );
    assert_eq!(col(&r, "process_name"), ["mshta.exe"]);
}
