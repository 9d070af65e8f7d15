//! The layouts: recognition order, and what each table reads, on one
//! record each (the samples under `tests/data/layouts/` test whole files).

use super::walk::{load_json, Loaded};
use super::*;

/// A record's CIM row by field name.
fn mapped(json: &str) -> (&'static str, EventKind, Vec<(String, String)>) {
    let mut b = EventBuilder::new();
    let Ok(Loaded::Record(layout)) = load_json(json.as_bytes(), &mut b) else {
        panic!("not a record of a layout known: {json}");
    };
    let mut rec = csv::ByteRecord::new();
    let kind = b.finish(&mut rec);
    let row = CIM_FIELDS
        .iter()
        .zip(rec.iter())
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    (layout.name, kind, row)
}

fn get<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    &row.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn every_signature_name_list_is_recognised_as_its_own_layout_or_an_earlier_one() {
    for (i, layout) in LAYOUTS.iter().enumerate() {
        for sig in layout.signatures {
            let names: Vec<String> = sig.iter().map(|s| s.to_string()).collect();
            let found = recognise_header(&names).unwrap();
            let at = LAYOUTS
                .iter()
                .position(|l| std::ptr::eq(*l, found))
                .unwrap();
            assert!(
                at <= i,
                "{sig:?} of {} is read as {}",
                layout.name,
                found.name
            );
        }
    }
    assert!(recognise_header(&["a".into(), "b".into()]).is_none());
}

#[test]
fn ecs_reads_process_and_parent_and_prefers_the_events_computer() {
    let (layout, kind, r) = mapped(
        r#"{"@timestamp":"2020-10-27T20:00:14.320Z","event":{"code":"1"},
            "host":{"name":"wec-collector"},
            "winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"WS1",
                      "process":{"pid":7144},"event_data":{"LogonId":"0x1"}},
            "process":{"executable":"C:\\W\\notepad.exe","name":"notepad.exe","pid":3616,
                       "entity_id":"{a}","command_line":"notepad",
                       "parent":{"executable":"C:\\W\\explorer.exe","pid":4212,"entity_id":"{b}"}},
            "user":{"name":"alice","domain":"CORP"}}"#,
    );
    assert_eq!(layout, "ECS");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "dest"), "WS1");
    assert_eq!(get(&r, "process_id"), "3616");
    assert_eq!(get(&r, "parent_process_id"), "4212");
    assert_eq!(get(&r, "parent_process_name"), "explorer.exe");
    assert_eq!(get(&r, "process_guid"), "{a}");
    assert_eq!(get(&r, "user"), "CORP\\alice");
    assert_eq!(get(&r, "_time"), "1603828814.320");
}

#[test]
fn winlogbeat_5_6_top_level_process_id_never_stands_for_the_events() {
    let (layout, _, r) = mapped(
        r#"{"computer_name":"WS1","event_id":1,"log_name":"Microsoft-Windows-Sysmon/Operational",
            "process_id":940,"event_data":{"ProcessId":"5848","Image":"C:\\W\\a.exe"}}"#,
    );
    assert_eq!(layout, "Winlogbeat 5/6");
    assert_eq!(get(&r, "process_id"), "5848");
}

#[test]
fn security_4688_message_text_is_read_for_what_the_fields_lack() {
    let msg = "A new process has been created.\r\n\r\nCreator Subject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n\tAccount Name:\t\tWS1$\r\n\tAccount Domain:\t\tCORP\r\n\r\nTarget Subject:\r\n\tAccount Name:\t\t-\r\n\r\nProcess Information:\r\n\tNew Process ID:\t\t0x1168\r\n\tNew Process Name:\tC:\\W\\cmd.exe\r\n\tCreator Process ID:\t0xe80\r\n\tCreator Process Name:\tC:\\W\\wbem\\WmiPrvSE.exe\r\n\tProcess Command Line:\tcmd.exe /Q /c run.bat";
    let json = serde_json::json!({
        "MachineName": "WS1", "Id": 4688, "TimeCreated": "/Date(1595374458918)/",
        "ProcessId": 4, "Message": msg
    })
    .to_string();
    let (layout, kind, r) = mapped(&json);
    assert_eq!(layout, "PowerShell Get-WinEvent");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_id"), "0x1168");
    assert_eq!(get(&r, "parent_process_id"), "0xe80");
    assert_eq!(get(&r, "parent_process_name"), "WmiPrvSE.exe");
    assert_eq!(get(&r, "process"), "cmd.exe /Q /c run.bat");
    assert_eq!(get(&r, "user"), "CORP\\WS1$");
    assert_eq!(get(&r, "_time"), "1595374458.918");
}

#[test]
fn hayabusa_pairs_and_abbreviations() {
    let (layout, kind, r) = mapped(
        r#"{ "Timestamp":"2019-03-18 22:15:49.676 +00:00","RuleTitle":"Proc Exec","Computer":"H1","Channel":"Sec","EventID":4688,"RecordID":563299,"Details":"Cmdline: ¦ Proc: C:\\W\\calc.exe ¦ PID: 1060 ¦ User: H1$ ¦ LID: 0x3e4","ExtraFieldInfo":"ProcessId: 2792 ¦ SubjectDomainName: EXAMPLE" }"#,
    );
    assert_eq!(layout, "hayabusa timeline");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_name"), "calc.exe");
    assert_eq!(get(&r, "process_id"), "1060");
    assert_eq!(get(&r, "parent_process_id"), "2792");
    assert_eq!(get(&r, "user"), "EXAMPLE\\H1$");
    assert_eq!(get(&r, "_time"), "1552947349.676");
}

#[test]
fn unknown_records_name_their_fields() {
    let mut b = EventBuilder::new();
    match load_json(br#"{"message":"hello","n":1}"#, &mut b) {
        Ok(Loaded::Unknown(keys)) => assert_eq!(keys, ["message", "n"]),
        other => panic!("{other:?}"),
    }
}

/// A CIM row of one CSV column's JSON (Kibana's `_source` before 7.12).
#[test]
fn kibana_source_column_is_read_as_an_ecs_document() {
    let mut b = EventBuilder::new();
    let doc = br#"{"process":{"executable":"C:\\W\\mshta.exe","parent":{"name":"WmiPrvSE.exe"}},"event":{"code":"1"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"WS1"}}"#;
    b.set(&elastic::ECS, "_source", &[doc]);
    let mut rec = csv::ByteRecord::new();
    assert_eq!(b.finish(&mut rec), EventKind::ProcessCreation);
    assert_eq!(&rec[Cim::ProcessName.index()], b"mshta.exe");
    assert_eq!(&rec[Cim::ParentProcessName.index()], b"WmiPrvSE.exe");
    assert_eq!(&rec[Cim::Dest.index()], b"WS1");
}

/// A Splunk `_raw` holding JSON is read as the JSON's own layout (NXLog
/// through a Splunk HEC, say); one that is none of the three forms is a
/// problem said with the record.
#[test]
fn splunk_raw_holding_json_or_nothing_known() {
    let raw = serde_json::json!({
        "_time": "1709633701.100",
        "_raw": r#"{"EventTime":"2024-03-05 05:15:01","Hostname":"WS1","SourceName":"Microsoft-Windows-Sysmon","EventID":1,"Image":"C:\\W\\mshta.exe","ParentImage":"C:\\W\\WmiPrvSE.exe","ProcessID":1840,"ProcessId":"4300"}"#
    })
    .to_string();
    let (layout, kind, r) = mapped(&raw);
    assert_eq!(layout, "Splunk _raw");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_id"), "4300");
    assert_eq!(get(&r, "dest"), "WS1");
    assert_eq!(get(&r, "_time"), "1709633701.100");

    let mut b = EventBuilder::new();
    let Ok(Loaded::Record(_)) = load_json(br#"{"_raw":"just a line of text"}"#, &mut b) else {
        panic!()
    };
    assert_eq!(
        b.take_problem().unwrap(),
        "its _raw was not read: _raw is neither XmlWinEventLog XML, JSON, nor WinEventLog text"
    );
}

/// ECS `event.type` `end` without `start`: a process end, not a creation.
#[test]
fn ecs_process_end_events_are_not_process_creations() {
    let (_, kind, _) = mapped(
        r#"{"ecs":{"version":"8.0.0"},"event":{"type":["end"],"category":["process"]},"process":{"executable":"C:\\W\\a.exe","pid":1}}"#,
    );
    assert_eq!(kind, EventKind::Other);
}

/// An Elasticsearch hit without `_source`: its `fields`, dotted names with
/// array values.
#[test]
fn an_elasticsearch_hit_with_only_fields_is_read() {
    let (layout, kind, r) = mapped(
        r#"{"_index":"winlogbeat-1","_id":"x","_score":1.0,"fields":{"process.executable":["C:\\W\\mshta.exe"],"process.parent.name":["WmiPrvSE.exe"],"process.pid":[4300],"event.code":["1"],"winlog.channel":["Microsoft-Windows-Sysmon/Operational"],"winlog.computer_name":["WS1"],"@timestamp":["2024-03-05T10:15:02.300Z"]}}"#,
    );
    assert_eq!(layout, "ECS");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_name"), "mshta.exe");
    assert_eq!(get(&r, "parent_process_name"), "WmiPrvSE.exe");
    assert_eq!(get(&r, "process_id"), "4300");
    assert_eq!(get(&r, "dest"), "WS1");
    assert_eq!(get(&r, "_time"), "1709633702.300");
}
