//! The builder on Windows event names and CIM names (the mapping of
//! `docs/detection.md` §7.1–7.2), multivalue cells, and the time.

use super::*;
use crate::layouts::target::CIM_FIELDS;
use crate::layouts::windows::WINDOWS;

#[test]
fn epoch_text_displays_as_utc() {
    assert_eq!(epoch_to_display("1579034690.348"), "2020-01-14 20:44:50");
    assert_eq!(
        epoch_to_display("2021-11-23T14:05:09"),
        "2021-11-23T14:05:09"
    );
    assert_eq!(epoch_to_display(""), "");
}

fn row(fields: &[(&str, &str)]) -> (EventKind, Vec<String>) {
    let mut b = EventBuilder::new();
    for (k, v) in fields {
        b.set(&WINDOWS, k, &[v.as_bytes()]);
    }
    let mut rec = ByteRecord::new();
    let kind = b.finish(&mut rec);
    (
        kind,
        rec.iter()
            .take(N)
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect(),
    )
}

fn get<'a>(r: &'a [String], f: &str) -> &'a str {
    &r[CIM_FIELDS.iter().position(|c| *c == f).unwrap()]
}

#[test]
fn sysmon_fields_map_onto_cim_with_names_from_paths() {
    let (kind, r) = row(&[
        ("EventID", "1"),
        ("Channel", "Microsoft-Windows-Sysmon/Operational"),
        ("Image", "C:\\Windows\\System32\\rundll32.exe"),
        ("ParentImage", "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"),
        ("Computer", "WS1"),
        ("UtcTime", "2020-01-14 20:44:50.348"),
        ("IntegrityLevel", "High"),
        ("ProcessId", "4180"),
        ("ParentProcessId", "3000"),
        ("ProcessGuid", "{747f3d96-2842-5e1e-0000-00100c417a00}"),
        (
            "ParentProcessGuid",
            "{747f3d96-0001-5e1e-0000-0010aaaaaaaa}",
        ),
        ("CommandLine", "rundll32 url.dll,OpenURL x"),
        ("ParentCommandLine", "wmiprvse.exe -Embedding"),
    ]);
    assert_eq!(kind, EventKind::ProcessCreation);
    // What process lineage links on: GUIDs, or host + PID + time.
    assert_eq!(get(&r, "process_id"), "4180");
    assert_eq!(get(&r, "parent_process_id"), "3000");
    assert_eq!(
        get(&r, "process_guid"),
        "{747f3d96-2842-5e1e-0000-00100c417a00}"
    );
    assert_eq!(
        get(&r, "parent_process_guid"),
        "{747f3d96-0001-5e1e-0000-0010aaaaaaaa}"
    );
    assert_eq!(get(&r, "process"), "rundll32 url.dll,OpenURL x");
    assert_eq!(get(&r, "parent_process"), "wmiprvse.exe -Embedding");
    assert_eq!(get(&r, "process_name"), "rundll32.exe");
    assert_eq!(get(&r, "parent_process_name"), "WmiPrvSE.exe");
    assert_eq!(get(&r, "dest"), "WS1");
    assert_eq!(get(&r, "_time"), "1579034690.348");
    assert_eq!(get(&r, "process_integrity_level"), "high");
    assert_eq!(get(&r, "vendor_product"), "Microsoft Sysmon");
}

#[test]
fn other_events_and_other_channels_are_not_process_creations() {
    assert_eq!(
        row(&[("EventID", "3"), ("Image", "x.exe")]).0,
        EventKind::Other
    );
    assert_eq!(
        row(&[("EventID", "1"), ("Channel", "System"), ("Image", "x.exe")]).0,
        EventKind::Other
    );
    assert_eq!(row(&[("message", "hello")]).0, EventKind::Other);
}

#[test]
fn security_4688_maps_creator_and_new_process_ids() {
    let (kind, r) = row(&[
        ("EventID", "4688"),
        ("NewProcessName", "C:\\Windows\\System32\\mshta.exe"),
        (
            "ParentProcessName",
            "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        ),
        ("ProcessId", "0x1f4"),
        ("SubjectUserName", "alice"),
        ("SubjectDomainName", "CORP"),
        ("NewProcessId", "0x2a0"),
    ]);
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_id"), "0x2a0");
    assert_eq!(get(&r, "parent_process_id"), "0x1f4");
    assert_eq!(get(&r, "user"), "CORP\\alice");
    assert_eq!(get(&r, "process_name"), "mshta.exe");
}

#[test]
fn security_4688_names_without_an_event_id_are_read_as_4688() {
    let (kind, r) = row(&[
        ("NewProcessName", "C:\\Windows\\System32\\mshta.exe"),
        ("ProcessId", "0x1f4"),
        ("NewProcessId", "0x2a0"),
        ("SubjectUserName", "alice"),
    ]);
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_id"), "0x2a0");
    assert_eq!(get(&r, "parent_process_id"), "0x1f4");
    assert_eq!(get(&r, "user"), "alice");
    assert_eq!(get(&r, "signature_id"), "4688");
    assert_eq!(get(&r, "vendor_product"), "Microsoft Windows");
    // Sysmon names keep ProcessId as the process itself.
    let (_, r) = row(&[("Image", "C:\\x\\a.exe"), ("ProcessId", "42")]);
    assert_eq!(get(&r, "process_id"), "42");
    assert_eq!(get(&r, "parent_process_id"), "");
    assert_eq!(get(&r, "signature_id"), "");
}

#[test]
fn explicit_cim_fields_win_over_derived_ones() {
    let (kind, r) = row(&[
        ("Image", "C:\\x\\renamed.exe"),
        ("Processes.process_name", "given.exe"),
    ]);
    assert_eq!(kind, EventKind::ProcessCreation);
    assert_eq!(get(&r, "process_name"), "given.exe");
    assert_eq!(get(&r, "process_path"), "C:\\x\\renamed.exe");
}

#[test]
fn multivalue_fields_get_mv_cells() {
    let mut b = EventBuilder::new();
    b.set(&WINDOWS, "process_name", &[b"a.exe", b"b.exe"]);
    let mut rec = ByteRecord::new();
    b.finish(&mut rec);
    let i = Cim::ProcessName.index();
    assert_eq!(&rec[i], b"a.exe\nb.exe");
    assert_eq!(&rec[N + i], b"$a.exe$;$b.exe$");
}

#[test]
fn a_process_creation_without_names_is_unread_and_others_are_labelled() {
    let mut b = EventBuilder::new();
    b.set(&WINDOWS, "EventID", &[b"1"]);
    b.set(&WINDOWS, "ProcessId", &[b"42"]);
    let mut rec = ByteRecord::new();
    assert_eq!(b.finish(&mut rec), EventKind::ProcessCreation);
    assert!(b.unread());
    b.clear();
    b.set(&WINDOWS, "EventID", &[b"4624"]);
    b.set(&WINDOWS, "Channel", &[b"Security"]);
    assert_eq!(b.finish(&mut rec), EventKind::Other);
    assert_eq!(b.label(), "Security 4624");
}

#[test]
fn a_time_the_layout_says_is_utc_is_not_shifted_or_noted() {
    use crate::layouts::target::TimeField;
    let zone = crate::time::LocalZone::from_arg("+02:00").unwrap();
    let mut b = EventBuilder::new();
    b.set_local_zone(Some(zone));
    let utc = Target::Time(TimeField { rank: 3, utc: true });
    b.apply(
        "TimeCreated",
        utc,
        Prio::Event,
        &[b"2016-10-06 01:47:21.9551972"],
    );
    let mut rec = ByteRecord::new();
    b.finish(&mut rec);
    assert_eq!(&rec[0], b"1475718441.955197");
    assert!(b.take_notes().is_empty());
    b.clear();
    let local = Target::Time(TimeField {
        rank: 3,
        utc: false,
    });
    b.apply("TimeCreated", local, Prio::Event, &[b"2016-10-06 01:47:21"]);
    b.finish(&mut rec);
    assert_eq!(&rec[0], b"1475711241");
    assert!(!b.take_notes().is_empty());
}
