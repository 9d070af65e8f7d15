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

/// The layouts every "no layout known" message lists.
const LAYOUTS_KNOWN: &str = "hayabusa timeline, chainsaw hunt CSV, EvtxECmd, event record JSON, \
    Velociraptor, PowerShell Get-WinEvent, Defender for Endpoint in Log Analytics, Defender for \
    Endpoint streaming API, Defender for Endpoint advanced hunting, CrowdStrike Falcon, Carbon \
    Black Cloud event forwarder, Carbon Black Cloud process search, SentinelOne Deep Visibility, \
    SentinelOne SDL, Cortex XDR xdr_data, HELK, CIM Endpoint.Processes, Splunk _raw, ECS, \
    Winlogbeat 5/6, NXLog, Windows event fields";

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
            "wmilolbas: {}:1: no layout known: read as CSV, its header has 3 columns (a, b, c); \
             its 2 rows are not read. Layouts known: {}; see wmilolbas scan --help\n\
             wmilolbas scan: 1 file, 2 events read (0 process creations), 0 detections, 1 error\n",
            abc.display(),
            LAYOUTS_KNOWN
        )
    );
    assert!(r.stdout.is_empty());

    let text = dir.join("notes.txt");
    std::fs::write(&text, "Remember to check the logs\nthen go home\n").unwrap();
    let r = scan(&[text.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "wmilolbas: {}:1: no layout known: read as CSV, its header has 1 column \
             (Remember to check the logs); its 1 row is not read. ",
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
            "its header has 20 columns (c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, … 8 more); \
             it has no rows"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(
        summary(&r),
        "wmilolbas scan: 1 file, 0 events read (0 process creations), 0 detections, 1 error"
    );
}

/// In a folder walk, each file passed over gets one line (not an error),
/// a refused format saying what it is; CSVs with event names are chosen
/// like CIM ones, and a gzip-compressed CSV is read.
#[test]
fn a_folder_walk_names_each_file_it_passes_over() {
    let dir = tempdir();
    std::fs::write(dir.join("abc.csv"), "a,b,c\n1,2,3\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "nothing to see\n").unwrap();
    std::fs::write(dir.join("page.html"), "<html></html>\n").unwrap();
    std::fs::write(dir.join("logs.zip"), zip("logs.csv", b"a\n")).unwrap();
    let sysmon = format!("EventID,ParentImage,Image\n1,{WMI},C:\\W\\mshta.exe\n");
    std::fs::write(dir.join("sysmon.csv"), &sysmon).unwrap();
    std::fs::write(dir.join("sysmon2.csv.gz"), gzip(sysmon.as_bytes())).unwrap();
    let r = scan(&[dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let over =
        |f: &str, why: &str| format!("wmilolbas: {}: passed over: {why}", dir.join(f).display());
    let not_ours = |first: &str| {
        format!(
            "not an EVTX log, XML events, JSON, or a CSV whose header is of a layout known \
             (its first line: {first})"
        )
    };
    assert_eq!(
        r.stderr.lines().collect::<Vec<_>>(),
        [
            over("abc.csv", &not_ours("a, b, c")),
            over(
                "logs.zip",
                "a zip archive: not read (scan reads plain text, gzip and .evtx files); \
                 unpack it first"
            ),
            over("notes.txt", &not_ours("nothing to see")),
            over(
                "page.html",
                "XML without an <Event> element in its first 4 KiB"
            ),
            "wmilolbas scan: 2 files, 2 events read (2 process creations), 2 detections; \
             4 files passed over"
                .into()
        ]
    );
    assert_eq!(col(&r, "process_name"), ["mshta.exe", "mshta.exe"]);
}

const XML_SAMPLE: &str = "attack_data/evtx_attack_samples/sysmon_eid1_wmi_related.xml.log";
const CSV_SAMPLE: &str = "attack_data/cim/synthetic_edge_cases.csv";

/// What must not change with how the input is handed over: the rows with
/// `source` cut to its line number, and the summary line.
fn answer(r: &Run) -> (Vec<Vec<String>>, String) {
    assert!(r.code == 0, "{}", r.stderr);
    let rows = csv_rows(&r.stdout)
        .into_iter()
        .enumerate()
        .map(|(i, mut row)| {
            if i > 0 {
                row[0] = row[0].rsplit(':').next().unwrap().to_string();
            }
            row
        })
        .collect();
    (rows, r.stderr.clone())
}

fn plain(file: &str) -> (Vec<Vec<String>>, String) {
    let r = scan(&[data(file).to_str().unwrap()]);
    let a = answer(&r);
    assert!(a.0.len() > 1, "the sample has detections");
    a
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// `text` as UTF-16 with a BOM, as Windows PowerShell 5.1's `>` writes it
/// (and with CRLF line ends, as it writes them).
fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for u in crlf.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

/// A `.gz` file (one member or two), gzip on a pipe, and what `zcat`
/// sends on a pipe, each give the plain file's answer.
#[test]
fn gzip_from_a_file_or_a_pipe_gives_the_same_detections() {
    let dir = tempdir();
    for file in [CSV_SAMPLE, XML_SAMPLE] {
        let want = plain(file);
        let bytes = std::fs::read(data(file)).unwrap();
        let gz = dir.join("input.gz");
        std::fs::write(&gz, gzip(&bytes)).unwrap();
        assert_eq!(answer(&scan(&[gz.to_str().unwrap()])), want, "{file} .gz");

        // Two members (`cat a.gz b.gz`): the whole text, split anywhere.
        let cut = bytes.len() / 3;
        let mut two = gzip(&bytes[..cut]);
        two.extend(gzip(&bytes[cut..]));
        std::fs::write(&gz, &two).unwrap();
        assert_eq!(
            answer(&scan(&[gz.to_str().unwrap()])),
            want,
            "{file} 2 members"
        );

        // `cat x.gz | scan -` and `zcat x.gz | scan -`.
        assert_eq!(
            answer(&run(&["scan", "--format", "csv", "-"], &two)),
            want,
            "{file} gzip on stdin"
        );
        assert_eq!(
            answer(&run(&["scan", "--format", "csv", "-"], &bytes)),
            want,
            "{file} zcat on stdin"
        );
    }
}

/// UTF-16LE (PowerShell 5.1 `>`) and UTF-16BE copies of a CSV and of an
/// XML export, and UTF-8 with a BOM, give the plain file's answer; so does
/// a gzip-compressed UTF-16 file.
#[test]
fn utf16_and_utf8_bom_copies_give_the_same_detections() {
    let dir = tempdir();
    for file in [CSV_SAMPLE, XML_SAMPLE] {
        let want = plain(file);
        let text = std::fs::read_to_string(data(file)).unwrap();
        let mut bom8 = b"\xEF\xBB\xBF".to_vec();
        bom8.extend_from_slice(text.as_bytes());
        let copies = [
            ("utf16le", utf16(&text, false)),
            ("utf16be", utf16(&text, true)),
            ("utf8bom", bom8),
            ("utf16le.gz", gzip(&utf16(&text, false))),
        ];
        for (kind, bytes) in copies {
            let path = dir.join(kind);
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(
                answer(&scan(&[path.to_str().unwrap()])),
                want,
                "{file} {kind}"
            );
            assert_eq!(
                answer(&run(&["scan", "--format", "csv", "-"], &bytes)),
                want,
                "{file} {kind} on stdin"
            );
        }
    }
}

/// JSON lines saved as UTF-16LE are read too.
#[test]
fn utf16_json_lines_are_read() {
    let json = format!(
        "{{\"EventID\":1,\"ParentImage\":\"{}\",\"Image\":\"C:\\\\W\\\\mshta.exe\"}}\n",
        WMI.replace('\\', "\\\\")
    );
    let r = run(&["scan", "--format", "csv", "-"], &utf16(&json, false));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "wmilolbas scan: 1 file, 1 event read (1 process creation), 1 detection\n"
    );
}

/// An unpaired surrogate in a command line becomes U+FFFD: the events
/// after it are still read (no event can hide behind it), and the input
/// gets one error with the line, so the exit status is 1.
#[test]
fn invalid_utf16_is_replaced_reported_and_hides_nothing() {
    let text = "parent_process_name,process_name,process\n\
                WmiPrvSE.exe,mshta.exe,mshta X\n\
                WmiPrvSE.exe,wmic.exe,wmic after\n";
    let mut bytes = utf16(text, false);
    // Replace the `X` (line 2) with a lone high surrogate.
    let x = bytes.chunks(2).position(|u| u == [b'X', 0]).unwrap();
    bytes[x * 2..x * 2 + 2].copy_from_slice(&0xD83Du16.to_le_bytes());
    let r = run(&["scan", "--format", "csv", "-"], &bytes);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: -:2: 1 invalid UTF-16 code unit (an unpaired surrogate or an odd last \
             byte) was read as U+FFFD, the first at byte {} of the UTF-16 text; every event \
             was still read\n\
             wmilolbas scan: 1 file, 2 events read (2 process creations), 2 detections, 1 error\n",
            x * 2
        )
    );
    assert_eq!(col(&r, "process"), ["mshta \u{FFFD}", "wmic after"]);
}

/// A minimal zip archive (one stored file), built here.
fn zip(name: &str, data: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let (crc, size, n) = (crc.sum(), data.len() as u32, name.len() as u16);
    let mut local = b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    for v in [crc, size, size] {
        local.extend_from_slice(&v.to_le_bytes());
    }
    local.extend_from_slice(&n.to_le_bytes());
    local.extend_from_slice(&0u16.to_le_bytes());
    local.extend_from_slice(name.as_bytes());
    local.extend_from_slice(data);
    let mut central = b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    for v in [crc, size, size] {
        central.extend_from_slice(&v.to_le_bytes());
    }
    central.extend_from_slice(&n.to_le_bytes());
    central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
    central.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    central.extend_from_slice(name.as_bytes());
    let mut out = local.clone();
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&(local.len() as u32).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A .zip gets an error naming the format (exit 1); so does a gzip-
/// compressed .evtx, and an EVTX log on stdin.
#[test]
fn zip_and_gzip_compressed_evtx_get_an_error_naming_the_format() {
    let dir = tempdir();
    let csv = std::fs::read(data(CSV_SAMPLE)).unwrap();
    let path = dir.join("logs.zip");
    std::fs::write(&path, zip("logs.csv", &csv)).unwrap();
    let r = scan(&[path.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: {}: a zip archive: not read (scan reads plain text, gzip and .evtx \
             files); unpack it first\n\
             wmilolbas scan: 1 file, 0 events read (0 process creations), 0 detections, 1 error\n",
            path.display()
        )
    );
    // Named by content, whatever the name.
    let r = run(&["scan", "-"], &zip("logs.csv", &csv));
    assert!(
        r.stderr
            .starts_with("wmilolbas: -: a zip archive: not read"),
        "{}",
        r.stderr
    );

    let evtx = std::fs::read(data("evtx/LM_wmiexec_impacket_sysmon_whoami.evtx")).unwrap();
    let gz = dir.join("log.evtx.gz");
    std::fs::write(&gz, gzip(&evtx)).unwrap();
    let r = scan(&[gz.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "wmilolbas: {}: a gzip-compressed EVTX log: gunzip it first",
            gz.display()
        )),
        "{}",
        r.stderr
    );
    let r = run(&["scan", "-"], &evtx);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("wmilolbas: -: an EVTX log must be a regular file"),
        "{}",
        r.stderr
    );
}

/// An empty input named on the command line is an error, not silence.
#[test]
fn an_empty_named_input_is_an_error() {
    let r = run(&["scan", "-"], b"\n  \n");
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "wmilolbas: -: nothing to read: the input is empty or holds only blank lines\n\
         wmilolbas scan: 1 file, 0 events read (0 process creations), 0 detections, 1 error\n"
    );
}

/// Runs the binary through `bash -c` (`$0` is the binary), failing (not
/// hanging) after 20 s.
#[cfg(unix)]
fn bash_with_deadline(script: &str, args: &[&str]) -> Run {
    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-c").arg(script).arg(bin()).args(args);
    run_with_deadline(cmd, script)
}

/// `scan <(cat x)` and `scan <(zcat x.gz)`: a pipe named by /dev/fd/N is
/// read once, so every event is there; `zcat x.gz | scan -` and
/// `cat x.gz | scan -` too.
#[cfg(unix)]
#[test]
fn process_substitution_gives_the_same_detections() {
    let dir = tempdir();
    for file in [CSV_SAMPLE, XML_SAMPLE] {
        let want = plain(file);
        let path = data(file);
        let path = path.to_str().unwrap();
        let r = bash_with_deadline(r#""$0" scan --format csv <(cat "$1")"#, &[path]);
        assert_eq!(answer(&r), want, "{file}");
        let gz = dir.join("x.gz");
        std::fs::write(&gz, gzip(&std::fs::read(path).unwrap())).unwrap();
        let gz = gz.to_str().unwrap();
        let r = bash_with_deadline(r#""$0" scan --format csv <(cat "$1")"#, &[gz]);
        assert_eq!(answer(&r), want, "{file} gzip through <(cat)");
        let r = bash_with_deadline(r#""$0" scan --format csv <(gzip -dc "$1")"#, &[gz]);
        assert_eq!(answer(&r), want, "{file} <(gzip -dc)");
        let r = bash_with_deadline(r#"gzip -dc "$1" | "$0" scan --format csv -"#, &[gz]);
        assert_eq!(answer(&r), want, "{file} gzip -dc | scan -");
        let r = bash_with_deadline(r#"cat "$1" | "$0" scan --format csv -"#, &[gz]);
        assert_eq!(answer(&r), want, "{file} cat x.gz | scan -");
    }
}

/// A named FIFO is opened and read once: the scan ends when its writer
/// has finished (it hung before, opening it a second time), with every
/// event read.
#[cfg(unix)]
#[test]
fn a_named_fifo_is_read_once_and_does_not_hang() {
    let dir = tempdir();
    let fifo = dir.join("events.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for file in [CSV_SAMPLE, XML_SAMPLE] {
        let want = plain(file);
        let bytes = std::fs::read(data(file)).unwrap();
        let target = fifo.clone();
        // Opening for writing waits for the reader; the writer then closes.
        let writer = std::thread::spawn(move || std::fs::write(target, bytes).unwrap());
        let r = bash_with_deadline(r#""$0" scan --format csv "$1""#, &[fifo.to_str().unwrap()]);
        writer.join().unwrap();
        assert_eq!(answer(&r), want, "{file}");
    }
}
