//! Arbitrary bytes as a `scan` input in each format (CSV, JSON, XML), with
//! `--lineage` as one input and as two (a chain may span them), and inside
//! the shapes the export layouts add: a JSON document (one array), a syslog
//! line, a payload column (hayabusa's `Key: value ¦` pairs, EvtxECmd's
//! `Payload` JSON), a rendered `Message` (PowerShell) and a Splunk `_raw`
//! (XML, classic WinEventLog text or JSON): never panics; every problem is
//! counted as an error, not a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wmilolbas::options::Options;
use wmilolbas::scan::output::Format;
use wmilolbas::scan::{run_on_bytes, InputFormat, ScanConfig};

fn config(format: Option<InputFormat>, out: Format, lineage: bool) -> ScanConfig {
    ScanConfig {
        files: Vec::new(),
        input_format: format,
        format: out,
        options: Options {
            mode: wmilolbas::options::Mode::Annotate,
            lineage,
            ..Options::default()
        },
        strict_input: false,
        progress: false,
        timezone: None,
    }
}

/// `data` as one CSV cell (quoted, quotes doubled).
fn cell(data: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &b in data {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

/// `data` as one JSON string.
fn string(data: &[u8]) -> String {
    serde_json::to_string(&String::from_utf8_lossy(data)).unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let half = data.len() / 2;
    let one: &[(&str, &[u8])] = &[("fuzz", data)];
    let two: &[(&str, &[u8])] = &[("a", &data[..half]), ("b", &data[half..])];
    for (format, out, lineage, inputs) in [
        (Some(InputFormat::Csv), Format::Csv, false, one),
        (Some(InputFormat::Json), Format::Json, false, one),
        (Some(InputFormat::Xml), Format::Table, false, one),
        (None, Format::Csv, false, one),
        (None, Format::Table, true, one),
        (None, Format::Json, true, two),
    ] {
        let mut stderr = Vec::new();
        let cfg = config(format, out, lineage);
        let summary = run_on_bytes(&cfg, inputs, Vec::new(), &mut stderr).unwrap();
        assert!(summary.processes <= summary.events);
        assert_eq!(summary.lineage.is_some(), lineage);
    }
    // The new readers, with the bytes where each layout reads text.
    let mut array = b"[\n".to_vec();
    array.extend_from_slice(data);
    array.extend_from_slice(b"\n]\n");
    let mut syslog = b"<14>Mar  5 10:15:02 WS01 nxWinEvt[3028]: ".to_vec();
    syslog.extend_from_slice(data);
    let mut pairs = b"RuleTitle,Computer,Channel,EventID,RecordID,Details\nx,WS01,Sysmon,1,1,".to_vec();
    pairs.extend_from_slice(&cell(data));
    let mut payload = b"PayloadData1,Computer,EventId,Payload\nx,WS01,1,".to_vec();
    payload.extend_from_slice(&cell(data));
    let message = format!(
        "{{\"MachineName\":\"WS01\",\"Id\":4688,\"TimeCreated\":\"/Date(0)/\",\"Message\":{}}}\n\
         {{\"MachineName\":\"WS01\",\"Id\":1,\"TimeCreated\":\"/Date(0)/\",\"Message\":{}}}\n",
        string(data),
        string(data)
    );
    let raw = format!("{{\"_raw\":{},\"_time\":\"0\"}}\n", string(data));
    let shaped: [(&str, &[u8]); 6] = [
        ("array", &array),
        ("syslog", &syslog),
        ("pairs", &pairs),
        ("payload", &payload),
        ("message", message.as_bytes()),
        ("raw", raw.as_bytes()),
    ];
    let mut stderr = Vec::new();
    let summary = run_on_bytes(&config(None, Format::Json, true), &shaped, Vec::new(), &mut stderr)
        .unwrap();
    assert!(summary.processes <= summary.events);
});
