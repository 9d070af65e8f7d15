//! `lineage=true` driven by arbitrary rows: each 10-byte group of the input
//! is one process-creation row built from a small vocabulary (hosts, WMI /
//! launcher / LOLBAS / other names, command lines naming a LOLBAS or not),
//! with GUIDs, PIDs and times from a few values — so chains, duplicates,
//! GUID and PID floods, PID reuse, cycles and self-parents all occur, in
//! any order — cut into execute bodies where the input says, run through a
//! session's transforms with small caps (so they are reached).
//!
//! Checked: never panics; the streamed fast path (every instruction set,
//! tiny read pieces) gives the full-parse path's replies body for body;
//! nothing is held after the last body; annotate mode returns every row
//! exactly once; filter mode returns only detections; the tree directly,
//! fed the same rows shuffled, never holds more than its cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wmilolbas::lineage::Limits;
use wmilolbas::options::Options;
use wmilolbas::records::simd::{with_isa, Isa};
use wmilolbas::rule::Catalog;
use wmilolbas::transform::Transform;

const HEADER: &str = "dest,parent_process_name,process_name,process,process_guid,parent_process_guid,process_id,parent_process_id,_time";
const HOSTS: [&str; 3] = ["h1", "H1", "h2"];
const NAMES: [&str; 8] = [
    "WmiPrvSE.exe",
    "cmd.exe",
    "powershell.exe",
    "mshta.exe",
    "rundll32.exe",
    "explorer.exe",
    "notepad.exe",
    "",
];
const LINES: [&str; 4] = [
    "cmd.exe /c rundll32.exe x,y",
    "cmd.exe /Q /c cd \\\\ 1> \\\\\\\\127.0.0.1\\\\ADMIN$\\\\__1",
    "powershell -c mshta http://x",
    "",
];

fn id(n: u8, prefix: &str) -> String {
    match n % 5 {
        0 => String::new(),
        k => format!("{prefix}{k}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let annotate = selector & 1 == 1;
    let mut rows = Vec::new();
    let mut cuts = Vec::new();
    for (i, g) in rest.chunks_exact(10).enumerate() {
        if g[9] & 0x80 != 0 {
            cuts.push(i);
        }
        rows.push(format!(
            "{},{},{},\"{}\",{},{},{},{},{}",
            HOSTS[usize::from(g[0]) % HOSTS.len()],
            NAMES[usize::from(g[1]) % NAMES.len()],
            NAMES[usize::from(g[2]) % NAMES.len()],
            LINES[usize::from(g[3]) % LINES.len()],
            id(g[4], "{g"),
            id(g[5], "{g"),
            id(g[6], ""),
            id(g[7], "0x"),
            id(g[8], "10"),
        ));
    }
    let mut bodies = Vec::new();
    let mut at = 0;
    for cut in cuts.into_iter().chain(std::iter::once(rows.len())) {
        let end = cut.clamp(at, rows.len());
        let mut body = format!("{HEADER}\n");
        for r in &rows[at..end] {
            body.push_str(r);
            body.push('\n');
        }
        bodies.push(body);
        at = end;
    }
    let mut args = vec!["lineage=true".to_string()];
    if annotate {
        args.push("mode=annotate".to_string());
    }
    let options = Options::from_args(&args).unwrap();
    let limits = Limits {
        max_nodes: 6,
        max_held: 4,
        max_held_bytes: 64 << 10,
    };
    let mut full = Transform::with_limits(&options, Catalog::escu(), limits);
    let mut want = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        full.set_last(i + 1 == bodies.len());
        let (mut out, mut msgs) = (Vec::new(), Vec::new());
        full.process_parsed(2, body.as_bytes(), &mut out, &mut msgs)
            .unwrap();
        assert!(full.held_rows() <= 4);
        want.push(out);
    }
    assert_eq!(full.held_rows(), 0);
    for isa in Isa::available() {
        let mut t = Transform::with_limits(&options, Catalog::escu(), limits);
        t.set_piece_size(usize::from(selector >> 3) + 1);
        for (i, body) in bodies.iter().enumerate() {
            t.set_last(i + 1 == bodies.len());
            let (mut out, mut msgs) = (Vec::new(), Vec::new());
            with_isa(isa, || {
                t.process_reader(2, &mut body.as_bytes(), &mut out, &mut msgs)
            })
            .unwrap();
            assert_eq!(out, want[i], "{isa:?} body {i}");
        }
    }
    // What came back: every row once in annotate mode; detections only in
    // filter mode.
    let mut returned = 0;
    for out in &want {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(false)
            .from_reader(&out[..]);
        let mut records = r.records();
        let Some(header) = records.next() else {
            continue;
        };
        let header = header.unwrap();
        let reason = header.iter().position(|h| h == "match_reason").unwrap();
        for rec in records {
            let rec = rec.unwrap();
            assert_eq!(rec.len(), header.len());
            if !annotate {
                assert!(!rec[reason].is_empty());
            }
            returned += 1;
        }
    }
    if annotate {
        assert_eq!(returned, rows.len());
    }
});
