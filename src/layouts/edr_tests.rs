//! The EDR tables on one record each: which process is the new one, the
//! event-type filter, vendor ids, the grandparent, and the vendors' times
//! (the samples under `tests/data/layouts/` test whole files).

use super::walk::{load_json, Loaded};
use super::*;

/// A record's layout, kind and CIM row by field name, as `scan` maps it
/// (the layout's `vendor_product` included).
fn mapped(json: &str) -> (&'static str, EventKind, String, Vec<(String, String)>) {
    let mut b = EventBuilder::new();
    let Ok(Loaded::Record(layout)) = load_json(json.as_bytes(), &mut b) else {
        panic!("not a record of a layout known: {json}");
    };
    if let Some(v) = layout.vendor_product {
        b.vendor(v);
    }
    let mut rec = csv::ByteRecord::new();
    let kind = b.finish(&mut rec);
    let row = CIM_FIELDS
        .iter()
        .zip(rec.iter())
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    (layout.name, kind, b.label(), row)
}

fn get<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    &row.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn defender_reads_the_initiating_process_as_the_parent_and_its_parent_as_the_grandparent() {
    let (layout, kind, _, r) = mapped(
        r#"{"Timestamp":"2024-03-05T10:15:02.3000000Z","DeviceName":"ws1","ActionType":"ProcessCreated",
            "FileName":"mshta.exe","FolderPath":"C:\\W\\mshta.exe","ProcessId":4300,
            "AccountDomain":"corp","AccountName":"alice","InitiatingProcessFileName":"cmd.exe",
            "InitiatingProcessId":4200,"InitiatingProcessParentId":2864,
            "InitiatingProcessParentFileName":"\\Device\\HarddiskVolume3\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            "InitiatingProcessVersionInfoOriginalFileName":"Cmd.Exe","AccountObjectId":"0b1c"}"#,
    );
    assert_eq!(layout, "Defender for Endpoint advanced hunting");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_id"), "4300");
    assert_eq!(get(&r, "parent_process_id"), "4200");
    assert_eq!(get(&r, "parent_process_name"), "cmd.exe");
    assert_eq!(get(&r, "grandparent_process_name"), "WmiPrvSE.exe");
    assert_eq!(get(&r, "process_path"), "C:\\W\\mshta.exe");
    assert_eq!(get(&r, "user"), "corp\\alice");
    assert_eq!(get(&r, "original_file_name"), "");
    assert_eq!(get(&r, "process_guid"), "");
    assert_eq!(get(&r, "_time"), "1709633702.300000");
    // Not the add-on's value: these rows' GUIDs, when given, are process ids.
    assert_eq!(
        get(&r, "vendor_product"),
        "Microsoft Defender for Endpoint (advanced hunting)"
    );
}

#[test]
fn defender_other_action_types_and_tables_are_other_events_labelled_by_them() {
    let (_, kind, label, _) = mapped(
        r#"{"category":"AdvancedHunting-DeviceImageLoadEvents","properties":{"DeviceName":"ws1",
            "ActionType":"ImageLoaded","FileName":"x.dll","InitiatingProcessFileName":"a.exe"}}"#,
    );
    assert_eq!(kind, EventKind::Other);
    assert_eq!(label, "AdvancedHunting-DeviceImageLoadEvents/ImageLoaded");
    let (_, kind, label, _) = mapped(
        r#"{"DeviceName":"ws1","ActionType":"ProcessCreatedUsingWmiQuery",
            "InitiatingProcessFileName":"WmiPrvSE.exe"}"#,
    );
    assert_eq!(
        (kind, label.as_str()),
        (EventKind::Other, "ProcessCreatedUsingWmiQuery")
    );
}

#[test]
fn log_analytics_utc_headers_are_utc_and_local_time_is_zone_less() {
    let mut b = EventBuilder::new();
    for (name, value) in [
        ("Timestamp [UTC]", "3/5/2024, 10:15:02.300 AM"),
        ("FileName", "mshta.exe"),
        ("InitiatingProcessFileName", "cmd.exe"),
        ("Type", "DeviceProcessEvents"),
    ] {
        b.set(&defender::LOG_ANALYTICS, name, &[value.as_bytes()]);
    }
    b.set_local_zone(Some(crate::time::LocalZone::from_arg("-05:00").unwrap()));
    let mut rec = csv::ByteRecord::new();
    assert_eq!(b.finish(&mut rec), EventKind::ProcessCreation);
    // UTC by its header: not shifted by --timezone, not noted.
    assert_eq!(&rec[Cim::Time.index()], b"1709633702.300");
    assert!(b.take_notes().is_empty());
}

#[test]
fn crowdstrike_falcon_ids_are_the_guid_pair_and_never_a_parent_pid() {
    let (layout, kind, _, r) = mapped(
        r#"{"event_simpleName":"ProcessRollup2","aid":"8c3d","RawProcessId":"4300",
            "TargetProcessId":"5642124300","ParentProcessId":"5642124200",
            "ImageFileName":"\\Device\\HarddiskVolume3\\Windows\\System32\\mshta.exe",
            "ParentBaseFileName":"cmd.exe","GrandParentBaseFileName":"WmiPrvSE.exe",
            "timestamp":"1709633702700","UserSid":"S-1-5-18"}"#,
    );
    assert_eq!(layout, "CrowdStrike Falcon");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_name"), "mshta.exe");
    assert_eq!(get(&r, "process_id"), "4300");
    assert_eq!(get(&r, "parent_process_id"), "");
    assert_eq!(get(&r, "process_guid"), "5642124300");
    assert_eq!(get(&r, "parent_process_guid"), "5642124200");
    assert_eq!(get(&r, "grandparent_process_name"), "WmiPrvSE.exe");
    // No ComputerName: the sensor id; epoch milliseconds.
    assert_eq!(get(&r, "dest"), "8c3d");
    assert_eq!(get(&r, "user"), "S-1-5-18");
    assert_eq!(get(&r, "_time"), "1709633702.700");
    assert_eq!(get(&r, "vendor_product"), "CrowdStrike Falcon");
    let (_, kind, label, _) =
        mapped(r#"{"event_simpleName":"DnsRequest","aid":"8c3d","ContextProcessId":"1"}"#);
    assert_eq!((kind, label.as_str()), (EventKind::Other, "DnsRequest"));
}

#[test]
fn carbon_black_forwarder_child_is_childproc_and_only_procstart_counts() {
    let (layout, kind, _, r) = mapped(
        r#"{"type":"endpoint.event.procstart","org_key":"7DES","device_name":"WS1",
            "device_timestamp":"2024-03-05 10:15:02.3000000 +0000 UTC",
            "process_path":"c:\\windows\\system32\\cmd.exe","process_pid":4200,"process_guid":"g-cmd",
            "process_cmdline":"cmd.exe /Q /c run.bat","process_username":"NT AUTHORITY\\SYSTEM",
            "parent_path":"c:\\windows\\system32\\wbem\\wmiprvse.exe","parent_pid":2864,
            "childproc_name":"c:\\windows\\system32\\mshta.exe","childproc_pid":4300,
            "childproc_guid":"g-mshta","childproc_username":"CORP\\alice",
            "target_cmdline":"mshta.exe http://x/b.hta"}"#,
    );
    assert_eq!(layout, "Carbon Black Cloud event forwarder");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_name"), "mshta.exe");
    assert_eq!(get(&r, "process_id"), "4300");
    assert_eq!(get(&r, "process_guid"), "g-mshta");
    assert_eq!(get(&r, "process"), "mshta.exe http://x/b.hta");
    assert_eq!(get(&r, "user"), "CORP\\alice");
    assert_eq!(get(&r, "parent_process_name"), "cmd.exe");
    assert_eq!(get(&r, "parent_process_id"), "4200");
    assert_eq!(get(&r, "parent_process_guid"), "g-cmd");
    assert_eq!(get(&r, "parent_process"), "cmd.exe /Q /c run.bat");
    assert_eq!(get(&r, "grandparent_process_name"), "wmiprvse.exe");
    assert_eq!(get(&r, "_time"), "1709633702.300000");
    // The same names in another event type describe the actor: not read.
    let (_, kind, label, _) = mapped(
        r#"{"type":"endpoint.event.procend","org_key":"7DES","device_timestamp":"2024-03-05 10:15:09 +0000 UTC",
            "process_path":"c:\\windows\\system32\\mshta.exe","process_guid":"g-mshta"}"#,
    );
    assert_eq!(
        (kind, label.as_str()),
        (EventKind::Other, "endpoint.event.procend")
    );
}

#[test]
fn carbon_black_process_search_rows_are_their_process() {
    let (layout, kind, _, r) = mapped(
        r#"{"process_guid":"g-mshta","parent_guid":"g-cmd","device_timestamp":"2024-03-05T10:15:02.300Z",
            "process_name":"c:\\windows\\system32\\mshta.exe","process_pid":[4300,4301],
            "process_cmdline":["mshta.exe x"],"parent_name":"c:\\windows\\system32\\cmd.exe",
            "parent_pid":4200,"device_name":"WS1","process_username":["CORP\\alice"]}"#,
    );
    assert_eq!(layout, "Carbon Black Cloud process search");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_name"), "mshta.exe");
    assert_eq!(get(&r, "process_id"), "4300");
    assert_eq!(get(&r, "parent_process_name"), "cmd.exe");
    assert_eq!(get(&r, "parent_process_guid"), "g-cmd");
    assert_eq!(get(&r, "user"), "CORP\\alice");
    assert_eq!(get(&r, "grandparent_process_name"), "");
}

#[test]
fn sentinelone_target_is_the_new_process_in_every_spelling() {
    for json in [
        r#"{"eventType":"Process Creation","endpointName":"WS1","tgtProcName":"mshta.exe","tgtProcPid":"4300",
            "srcProcName":"cmd.exe","srcProcPid":"4200","srcProcParentName":"WmiPrvSE.exe","pid":"4200",
            "processName":"cmd.exe","eventTime":"2024-03-05T10:15:02.300Z"}"#,
        r#"{"EventType":"Process Creation","EndpointName":"WS1","TgtProcName":"mshta.exe","TgtProcPID":"4300",
            "SrcProcName":"cmd.exe","SrcProcPID":"4200","SrcProcParentName":"WmiPrvSE.exe",
            "EventTime":"2024-03-05T10:15:02.300Z"}"#,
        r#"{"event.type":"Process Creation","endpoint.name":"WS1","tgt":{"process":{"name":"mshta.exe","pid":4300}},
            "src":{"process":{"name":"cmd.exe","pid":4200,"parent":{"name":"WmiPrvSE.exe"}}},
            "timestamp":1709633702300000000}"#,
    ] {
        let (layout, kind, _, r) = mapped(json);
        assert!(layout.starts_with("SentinelOne"), "{layout}");
        assert_eq!(kind, EventKind::ProcessCreation, "{json}");
        assert_eq!(get(&r, "process_name"), "mshta.exe", "{json}");
        assert_eq!(get(&r, "process_id"), "4300", "{json}");
        assert_eq!(get(&r, "parent_process_id"), "4200", "{json}");
        assert_eq!(
            get(&r, "grandparent_process_name"),
            "WmiPrvSE.exe",
            "{json}"
        );
        assert!(get(&r, "_time").starts_with("1709633702.300"), "{json}");
    }
}

#[test]
fn cortex_action_is_new_actor_its_creator_and_the_causality_actor_no_grandparent() {
    let (layout, kind, _, r) = mapped(
        r#"{"event_type":"PROCESS","event_sub_type":"PROCESS_START","agent_hostname":"WS1",
            "action_process_image_name":"mshta.exe","action_process_os_pid":"4300",
            "actor_process_image_name":"cmd.exe","actor_process_os_pid":"4200",
            "causality_actor_process_image_name":"WmiPrvSE.exe","event_timestamp":"1709633702300"}"#,
    );
    assert_eq!(layout, "Cortex XDR xdr_data");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_id"), "4300");
    assert_eq!(get(&r, "parent_process_id"), "4200");
    assert_eq!(get(&r, "grandparent_process_name"), "");
    assert_eq!(get(&r, "_time"), "1709633702.300");
    let (_, kind, label, _) = mapped(
        r#"{"event_type":"PROCESS","event_sub_type":"PROCESS_STOP","agent_hostname":"WS1",
            "actor_process_image_name":"cmd.exe"}"#,
    );
    assert_eq!(
        (kind, label.as_str()),
        (EventKind::Other, "PROCESS/PROCESS_STOP")
    );
}

/// CSV exports leave cells empty: an empty cell never hides a fallback
/// (the sensor id for an empty `ComputerName`, a path for an empty name)
/// nor rejects a record by an empty event type.
#[test]
fn empty_cells_hide_no_fallback_and_reject_nothing() {
    let header: Vec<String> = [
        "event_simpleName",
        "aid",
        "ComputerName",
        "UserName",
        "UserSid",
        "ImageFileName",
        "ParentBaseFileName",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let layout = recognise_header(&header).unwrap();
    assert_eq!(layout.name, "CrowdStrike Falcon");
    let mut b = EventBuilder::new();
    for (name, value) in header.iter().zip([
        "ProcessRollup2",
        "8c3d",
        "",
        "",
        "S-1-5-18",
        "\\Device\\HarddiskVolume3\\W\\mshta.exe",
        "cmd.exe",
    ]) {
        b.set(layout.map, name, &[value.as_bytes()]);
    }
    let mut rec = csv::ByteRecord::new();
    assert_eq!(b.finish(&mut rec), EventKind::ProcessCreation);
    assert_eq!(&rec[Cim::Dest.index()], b"8c3d");
    assert_eq!(&rec[Cim::User.index()], b"S-1-5-18");
    let mut b = EventBuilder::new();
    for (name, value) in [
        ("EventType", ""),
        ("TgtProcName", "mshta.exe"),
        ("SrcProcName", "cmd.exe"),
        ("SrcProcParentName", ""),
        ("SrcProcParentImagePath", "C:\\W\\wbem\\WmiPrvSE.exe"),
    ] {
        b.set(&sentinelone::DEEP_VISIBILITY, name, &[value.as_bytes()]);
    }
    assert_eq!(b.finish(&mut rec), EventKind::ProcessCreation);
    assert_eq!(&rec[Cim::GrandparentProcessName.index()], b"WmiPrvSE.exe");
}

/// A Splunk export of a vendor's JSON events (`_raw`) is read with the
/// vendor's table and names its product.
#[test]
fn a_splunk_raw_holding_a_vendors_json_is_read_as_the_vendors() {
    let raw = serde_json::json!({
        "_time": "1709633702.300",
        "_raw": r#"{"event_simpleName":"ProcessRollup2","aid":"8c3d","RawProcessId":"4300","TargetProcessId":"5642124300","ParentProcessId":"5642124200","ImageFileName":"\\Device\\HarddiskVolume3\\W\\mshta.exe","ParentBaseFileName":"cmd.exe"}"#
    })
    .to_string();
    let (layout, kind, _, r) = mapped(&raw);
    assert_eq!(layout, "Splunk _raw");
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_guid"), "5642124300");
    assert_eq!(get(&r, "parent_process_id"), "");
    assert_eq!(get(&r, "vendor_product"), "CrowdStrike Falcon");
}

/// CIM rows given as JSON (a Splunk REST export of the SPL recipe's rows)
/// keep the grandparent field lineage reads.
#[test]
fn cim_json_rows_keep_the_grandparent_field() {
    for (field, value) in [
        ("grandparent_process_name", "WmiPrvSE.exe"),
        ("grandparent_process_path", "C:\\W\\wbem\\WmiPrvSE.exe"),
    ] {
        let json = serde_json::json!({
            "process_name": "mshta.exe", "parent_process_name": "cmd.exe", field: value
        })
        .to_string();
        let (layout, kind, _, r) = mapped(&json);
        assert_eq!(layout, "CIM Endpoint.Processes");
        assert_eq!(kind, EventKind::ProcessCreation);
        assert_eq!(
            get(&r, "grandparent_process_name"),
            "WmiPrvSE.exe",
            "{field}"
        );
    }
}
