//! No silent zeros: every reader's input goes through one rule when it has
//! been read (`src/scan/report.rs`). A known layout without process
//! creations is named with the events it holds (exit 0); records of no
//! layout known are an error when the file is named and passed over in a
//! folder walk; process creations whose process fields were not read are
//! an error, whether one record is like that or all.

use std::path::{Path, PathBuf};

use crate::util::*;

fn scan(args: &[&str]) -> Run {
    let mut full = vec!["scan", "--format", "csv"];
    full.extend_from_slice(args);
    run(&full, b"")
}

fn put(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn summary(r: &Run) -> &str {
    r.stderr.lines().last().unwrap_or("")
}

/// A Security 4624 as `XmlWinEventLog` stores it.
const XML_4624: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4624</EventID><TimeCreated SystemTime='2024-03-05T10:15:00.000Z'/><Channel>Security</Channel><Computer>WS01</Computer></System><EventData><Data Name='TargetUserName'>alice</Data></EventData></Event>\n";

#[test]
fn a_known_layout_without_process_creations_is_named_with_its_events_in_every_reader() {
    let dir = tempdir();
    let csv = put(
        &dir,
        "timeline.csv",
        "\"Timestamp\",\"RuleTitle\",\"Level\",\"Computer\",\"Channel\",\"EventID\",\"RecordID\",\"Details\",\"ExtraFieldInfo\",\"RuleID\"\n\
         \"2024-03-05 10:15:00.000 +00:00\",\"Logon (Network)\",\"info\",\"WS01\",\"Sec\",4624,1,\"Type: 3 - NETWORK\",\"\",\"x\"\n\
         \"2024-03-05 10:15:01.000 +00:00\",\"Logon (Network)\",\"info\",\"WS01\",\"Sec\",4624,2,\"Type: 3 - NETWORK\",\"\",\"x\"\n",
    );
    let jsonl = put(
        &dir,
        "nxlog.jsonl",
        "{\"EventTime\":\"2024-03-05 10:15:00\",\"Hostname\":\"WS01\",\"SourceName\":\"Microsoft-Windows-Security-Auditing\",\"Channel\":\"Security\",\"EventID\":5158}\n",
    );
    let array = put(
        &dir,
        "search.json",
        "[\n  {\"Event\": {\"System\": {\"EventID\": 4624, \"Channel\": \"Security\", \"Computer\": \"WS01\"}, \"EventData\": {\"LogonType\": 3}}},\n  {\"Event\": {\"System\": {\"EventID\": 4634, \"Channel\": \"Security\", \"Computer\": \"WS01\"}, \"EventData\": {}}}\n]\n",
    );
    let xml = put(&dir, "events.xml", XML_4624);
    let evtx = data("evtx/4799_remote_local_groups_enumeration.evtx");
    for (path, held) in [
        (
            &csv,
            "(hayabusa timeline): it holds 2 events: Security 4624 (2)",
        ),
        (&jsonl, "(NXLog): it holds 1 event: Security 5158 (1)"),
        (
            &array,
            "(event record JSON): it holds 2 events: Security 4624 (1), Security 4634 (1)",
        ),
        (
            &xml,
            "(Windows events as XML): it holds 1 event: Security 4624 (1)",
        ),
        (
            &evtx,
            "(Windows event log (.evtx)): it holds 5 events: Security 4799 (5)",
        ),
    ] {
        let r = scan(&[path.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            r.stderr.lines().next().unwrap(),
            format!("wmilolbas: {}: no process creations {held}", path.display())
        );
        assert!(
            summary(&r).contains("(0 process creations), 0 detections"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn records_of_no_layout_known_are_an_error_when_named_and_passed_over_in_a_walk() {
    let dir = tempdir();
    let jsonl = put(
        &dir,
        "app.jsonl",
        "{\"message\":\"hello\",\"level\":\"info\"}\n{\"message\":\"bye\"}\n",
    );
    let array = put(
        &dir,
        "list.json",
        "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\"}\n]\n",
    );
    let es = put(
        &dir,
        "search.json",
        "{\n  \"took\": 1,\n  \"hits\": {\"hits\": [{\"_index\": \"x\", \"_source\": {\"msg\": \"hi\"}}]}\n}\n",
    );
    for (path, first) in [
        (
            &jsonl,
            ":1: 2 records of no layout known (the first has the fields: message, level)",
        ),
        (
            &array,
            ":2: 2 records of no layout known (the first has the fields: name)",
        ),
        (
            &es,
            ":3: 1 record of no layout known (the first has the fields: msg)",
        ),
    ] {
        let r = scan(&[path.to_str().unwrap()]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let line = r.stderr.lines().next().unwrap();
        assert!(
            line.starts_with(&format!(
                "wmilolbas: {}{first}; not read. Layouts known: ",
                path.display()
            )),
            "{line}"
        );
        assert!(line.contains("ECS, Winlogbeat 5/6, NXLog"), "{line}");
        assert!(r.stdout.is_empty());
    }
    // In a walk: one line each, not an error, counted in the summary.
    let r = scan(&[dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.stderr);
    assert_eq!(
        lines[0],
        format!(
            "wmilolbas: {}: passed over: JSON of no layout known (its first record has the \
             fields: message, level)",
            jsonl.display()
        )
    );
    assert_eq!(
        lines[3],
        "wmilolbas scan: 0 files, 0 events read (0 process creations), 0 detections; \
         3 files passed over"
    );
}

#[test]
fn a_named_xml_file_without_events_is_an_error() {
    let dir = tempdir();
    let page = put(&dir, "page.html", "<html><body>hello</body></html>\n");
    let r = scan(&[page.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: {}:1: no <Event> element: read as XML (it starts with '<'), but it \
             holds no Windows event; nothing was read\n\
             wmilolbas scan: 1 file, 0 events read (0 process creations), 0 detections, 1 error\n",
            page.display()
        )
    );
}

/// Sysmon 1 with everything but the process fields.
fn nameless_sysmon(n: u32) -> String {
    format!(
        "{{\"EventTime\":\"2024-03-05 10:15:0{n}\",\"Hostname\":\"WS01\",\"SourceName\":\"Microsoft-Windows-Sysmon\",\"EventID\":1,\"ProcessId\":\"4{n}\",\"CommandLine\":\"x\"}}\n"
    )
}

#[test]
fn process_creations_without_process_fields_are_an_error_even_one_of_many() {
    let dir = tempdir();
    // The silent zero: ECS documents whose names were not read.
    let mut ecs = String::new();
    for i in 0..4 {
        ecs.push_str(&format!(
            "{{\"event\":{{\"code\":\"1\"}},\"winlog\":{{\"channel\":\"Microsoft-Windows-Sysmon/Operational\",\"computer_name\":\"WS01\"}},\"proc\":{{\"exe\":\"C:\\\\W\\\\a{i}.exe\"}}}}\n"
        ));
    }
    let ecs = put(&dir, "ecs.ndjson", &ecs);
    let r = scan(&[ecs.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: {}:1: 4 process creations of ECS with neither a process nor a parent \
             name or path read (the first has the fields: event, winlog, proc); the rule \
             cannot match them\n\
             wmilolbas scan: 1 file, 4 events read (4 process creations), 0 detections, 1 error\n",
            ecs.display()
        )
    );
    // One of four: still an error; the others are read and detected.
    let good = "{\"EventTime\":\"2024-03-05 10:15:01\",\"Hostname\":\"WS01\",\"SourceName\":\"Microsoft-Windows-Sysmon\",\"EventID\":1,\"Image\":\"C:\\\\W\\\\mshta.exe\",\"ParentImage\":\"C:\\\\W\\\\WmiPrvSE.exe\"}\n";
    let mixed = put(
        &dir,
        "nxlog.jsonl",
        &format!("{good}{good}{}{good}", nameless_sysmon(3)),
    );
    let r = scan(&[mixed.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "wmilolbas: {}:3: 1 process creation of NXLog with neither a process nor a parent \
             name or path read (the first has the fields: EventTime, Hostname, SourceName, \
             EventID, ProcessId, CommandLine)",
            mixed.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(
        summary(&r),
        "wmilolbas scan: 1 file, 4 events read (4 process creations), 3 detections, 1 error"
    );
    // A CIM CSV row without names, and an XML Sysmon 1 without Image.
    let cim = put(
        &dir,
        "cim.csv",
        "dest,parent_process_name,process_name,process_id\nWS01,WmiPrvSE.exe,mshta.exe,1\nWS01,,,2\n",
    );
    let xml = put(
        &dir,
        "sysmon.xml",
        "<Event><System><EventID>1</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS01</Computer></System><EventData><Data Name='ProcessId'>42</Data></EventData></Event>\n",
    );
    for (path, at) in [
        (&cim, ":3: 1 process creation of CIM Endpoint.Processes"),
        (&xml, ":1: 1 process creation of Windows events as XML"),
    ] {
        let r = scan(&[path.to_str().unwrap()]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr
                .starts_with(&format!("wmilolbas: {}{at} with neither", path.display())),
            "{}",
            r.stderr
        );
    }
}

/// A layout not yet known (CrowdStrike ProcessRollup2, docs/detection.md
/// §7.3) is an error naming its fields, never read as process creations.
#[test]
fn a_vendor_layout_not_known_is_an_error_not_a_zero() {
    let dir = tempdir();
    let falcon = put(
        &dir,
        "fdr.json",
        "{\"event_simpleName\":\"ProcessRollup2\",\"ImageFileName\":\"\\\\Device\\\\HarddiskVolume3\\\\Windows\\\\System32\\\\mshta.exe\",\"CommandLine\":\"mshta x\",\"ParentBaseFileName\":\"cmd.exe\",\"RawProcessId\":\"4300\",\"ComputerName\":\"WS01\"}\n",
    );
    let r = scan(&[falcon.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "wmilolbas: {}:1: 1 record of no layout known (the first has the fields: \
             event_simpleName, ImageFileName, CommandLine, ParentBaseFileName, RawProcessId, \
             ComputerName); not read.",
            falcon.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(
        summary(&r),
        "wmilolbas scan: 1 file, 1 event read (0 process creations), 0 detections, 1 error"
    );
}
