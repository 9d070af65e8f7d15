//! The transform's unit and property tests: exact bytes for each case, and
//! the fast path against the full-parse path. Compiled only under
//! #[cfg(test)] (declared so in `mod.rs`).

use super::*;
use crate::annotate::ADDED_FIELDS;
use crate::records::quoting::canonical_quoting;
use proptest::prelude::*;

fn transform(args: &[&str]) -> Transform {
    let options =
        Options::from_args(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    Transform::new(&options, Catalog::escu())
}

fn run(args: &[&str], body: &str) -> (String, BodyStats, Vec<Message>) {
    let mut t = transform(args);
    let mut out = Vec::new();
    let mut msgs = Vec::new();
    let stats = t.process(3, body.as_bytes(), &mut out, &mut msgs).unwrap();
    (String::from_utf8(out).unwrap(), stats, msgs)
}

const SUFFIX: &str = ",system,rundll32.exe,process_name,process_name,95a455f0-4c04-11ec-b8ac-3e22fbd008af,Wmiprsve LOLBAS Execution Process Spawn,\
    Active Directory Lateral Movement,T1047,T1047,Windows Management Instrumentation,TA0002,Execution,Installation,DE.CM,CIS 10";

fn header_suffix() -> String {
    format!(",{}", ADDED_FIELDS.join(","))
}

#[test]
fn filter_mode_returns_hits_with_their_bytes_unchanged() {
    let body = "\"dest\",\"parent_process_name\",\"process_name\",\"__mv_dest\"\n\
                \"h1\",\"WmiPrvSE.exe\",\"rundll32.exe\",\n\
                \"h2\",\"explorer.exe\",\"rundll32.exe\",\n";
    let (out, stats, msgs) = run(&[], body);
    assert_eq!(
        stats,
        BodyStats {
            rows: 2,
            hits: 1,
            rows_out: 1,
            parent_fields: true,
            child_fields: true
        }
    );
    assert!(msgs.is_empty());
    assert_eq!(
        out,
        format!(
            "\"dest\",\"parent_process_name\",\"process_name\",\"__mv_dest\"{}\n\
             \"h1\",\"WmiPrvSE.exe\",\"rundll32.exe\",,54,Wmiprsve.exe spawned a LOLBAS process on h1.,h1{SUFFIX}\n",
            header_suffix()
        )
    );
}

#[test]
fn annotate_mode_returns_every_row_and_crlf_becomes_lf() {
    let body = "a,parent_process_name\r\n\"x\r\ny\",wmiprvse.exe\r\n\r\nz,\r\n";
    let (out, stats, _) = run(&["mode=annotate"], body);
    assert_eq!((stats.rows, stats.rows_out, stats.hits), (2, 2, 0));
    let empty = ",".repeat(18);
    assert_eq!(
        out,
        format!(
            "a,parent_process_name{}\n\"x\r\ny\",wmiprvse.exe{empty}\nz,{empty}\n",
            header_suffix()
        )
    );
}

#[test]
fn empty_and_header_only_bodies_give_no_output() {
    assert_eq!(run(&["mode=annotate"], "").0, "");
    assert_eq!(run(&["mode=annotate"], "a,b\n").0, "");
    assert_eq!(run(&["mode=annotate"], "\n\n").0, "");
}

#[test]
fn no_hits_in_filter_mode_gives_an_empty_body() {
    let (out, stats, _) = run(
        &[],
        "parent_process_name,process_name\nexplorer.exe,cmd.exe\n",
    );
    assert_eq!(out, "");
    assert_eq!(stats.rows, 1);
}

#[test]
fn short_rows_are_padded_and_reported_long_rows_are_errors() {
    let (out, _, msgs) = run(&["mode=annotate"], "a,b,c\n1,2\n");
    assert_eq!(
        out,
        format!("a,b,c{}\n1,2,{}\n", header_suffix(), ",".repeat(18))
    );
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0]
            .1
            .contains("chunk 3: 1 row(s) had fewer fields than the header (first: row 1)"),
        "{msgs:?}"
    );

    let mut t = transform(&["mode=annotate"]);
    let err = t
        .process(4, b"a,b\n1,2\n1,2,3\n", &mut Vec::new(), &mut Vec::new())
        .unwrap_err();
    assert_eq!(err.to_string(), "chunk 4, row 2: row has 3 fields but the header has 2; the extra values have no field name");
}

#[test]
fn stray_quotes_take_the_re_encoding_path() {
    let (out, _, _) = run(&["mode=annotate"], "a,b\nx\"y,\"q\"z\n");
    // csv reads `x"y` and `qz`; they come back properly quoted.
    assert_eq!(
        out,
        format!("a,b{}\n\"x\"\"y\",qz{}\n", header_suffix(), ",".repeat(18))
    );
}

#[test]
fn unterminated_quote_does_not_swallow_the_added_fields() {
    let (out, _, _) = run(&["mode=annotate"], "a\n\"open\n");
    let mut r = csv::ReaderBuilder::new().from_reader(out.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].len(), 19);
    assert_eq!(&rows[0][0], "open\n");
}

#[test]
fn existing_fields_of_our_names_are_replaced_not_duplicated() {
    let body = "risk_score,parent_process_name,process_name,__mv_risk_score\n7,wmiprvse.exe,mshta.exe,$7$;$8$\n";
    let (out, _, _) = run(&[], body);
    let mut r = csv::ReaderBuilder::new().from_reader(out.as_bytes());
    let header = r.headers().unwrap().clone();
    assert_eq!(header.len(), 4 + 17);
    assert_eq!(header.iter().filter(|h| *h == "risk_score").count(), 1);
    let row = r.records().next().unwrap().unwrap();
    assert_eq!(&row[0], "54");
    assert_eq!(&row[3], "");
}

#[test]
fn invalid_utf8_is_passed_through_and_reported() {
    let mut t = transform(&["mode=annotate"]);
    let mut out = Vec::new();
    let mut msgs = Vec::new();
    t.process(2, b"a\nok\nbad\xff\n", &mut out, &mut msgs)
        .unwrap();
    assert!(out.windows(4).any(|w| w == b"bad\xff"));
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].1.contains("chunk 2, row 2, field a: invalid UTF-8"),
        "{msgs:?}"
    );
}

#[test]
fn invalid_utf8_in_a_field_name_is_located() {
    let mut t = transform(&["mode=annotate"]);
    let mut msgs = Vec::new();
    t.process(7, b"a,b\xff\nx,y\n", &mut Vec::new(), &mut msgs)
        .unwrap();
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0]
            .1
            .contains("chunk 7, CSV header, field #2: invalid UTF-8"),
        "{msgs:?}"
    );
}

#[test]
fn canonical_quoting_cases() {
    assert!(canonical_quoting(b"a,\"b,c\",\"\"\"\",d"));
    assert!(canonical_quoting(b"\"\",\"\""));
    assert!(canonical_quoting(b""));
    assert!(!canonical_quoting(b"a\"b"));
    assert!(!canonical_quoting(b"\"a\"b"));
    assert!(!canonical_quoting(b"\"open"));
    assert!(!canonical_quoting(b"\"a\"\""));
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("wmiprvse.exe".to_string()),
        Just("Rundll32.exe".to_string()),
        "[a-z,\"\r\n ท$;]{0,8}",
    ]
}

fn row_field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("wmiprvse.exe".to_string()),
        Just("WMIPRVSE.EXE".to_string()),
        Just("C:\\Windows\\wbem\\WmiPrvSE.exe".to_string()),
        Just("mshta.exe".to_string()),
        Just("unknown".to_string()),
        Just("x".repeat(70)), // crosses 64-byte blocks
        "[a-z,\"\r\n ]{0,6}",
    ]
}

/// A csv writer of ragged rows into memory, with CRLF or LF terminators.
fn rows_writer(crlf: bool) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .flexible(true)
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new())
}

/// Renders rows as a body: a csv writer (canonical), optionally with a
/// raw tail (stray quotes, ragged rows, CR terminators…).
fn render(rows: &[Vec<String>], crlf: bool, tail: &str) -> Vec<u8> {
    let mut w = rows_writer(crlf);
    w.write_record([
        "parent_process_name",
        "process_name",
        "parent_process_path",
        "x",
    ])
    .unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    let mut body = w.into_inner().unwrap();
    body.extend_from_slice(tail.as_bytes());
    body
}

proptest! {
    /// Whatever the quoting, annotate mode returns every input row with
    /// every field value unchanged, plus the 18 added fields.
    #[test]
    fn annotate_round_trips_every_field(
        rows in proptest::collection::vec(proptest::collection::vec(field(), 3), 0..6),
        crlf in any::<bool>(),
        quote_all in any::<bool>(),
    ) {
        let header = ["parent_process_name", "process_name", "x"];
        let mut w = csv::WriterBuilder::new()
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .quote_style(if quote_all { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary })
            .from_writer(Vec::new());
        w.write_record(header).unwrap();
        for r in &rows { w.write_record(r).unwrap(); }
        let body = w.into_inner().unwrap();
        let mut t = transform(&["mode=annotate"]);
        let mut out = Vec::new();
        t.process(2, &body, &mut out, &mut Vec::new()).unwrap();
        let nonblank: Vec<&Vec<String>> = rows.iter().filter(|r| !(r.len() == 1 && r[0].is_empty())).collect();
        if nonblank.is_empty() {
            prop_assert!(out.is_empty());
        } else {
            let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(&out[..]);
            prop_assert_eq!(r.headers().unwrap().len(), 21);
            let got: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
            prop_assert_eq!(got.len(), nonblank.len());
            for (g, want) in got.iter().zip(&nonblank) {
                for i in 0..3 {
                    prop_assert_eq!(&g[i], want[i].as_str());
                }
            }
        }
    }
}

proptest! {
    /// The fast path, on every SIMD path the host has (AVX2, SSE2, NEON,
    /// scalar), gives the full-parse path's bytes, counts and messages (or
    /// its error), in both modes.
    #[test]
    fn every_simd_path_agrees_with_the_full_parse_path(
        rows in proptest::collection::vec(proptest::collection::vec(row_field(), 1..6), 0..12),
        crlf in any::<bool>(),
        tail in prop_oneof![Just(String::new()), "[a-z,\"\n]{0,12}", Just("wmiprvse.exe,mshta.exe,a,b,c\n".to_string())],
        annotate in any::<bool>(),
    ) {
        use crate::records::simd::{with_isa, Isa};
        let body = render(&rows, crlf, &tail);
        let args: &[&str] = if annotate { &["mode=annotate"] } else { &[] };
        let (mut out_b, mut msg_b) = (Vec::new(), Vec::new());
        let b = transform(args)
            .process_parsed(5, &body, &mut out_b, &mut msg_b)
            .map_err(|e| e.to_string());
        for isa in Isa::available() {
            let (mut out_a, mut msg_a) = (Vec::new(), Vec::new());
            let a = with_isa(isa, || transform(args).process(5, &body, &mut out_a, &mut msg_a))
                .map_err(|e| e.to_string());
            prop_assert_eq!(&a, &b, "{:?}", isa);
            prop_assert_eq!(String::from_utf8_lossy(&out_a), String::from_utf8_lossy(&out_b), "{:?}", isa);
            prop_assert_eq!(&msg_a, &msg_b, "{:?}", isa);
        }
    }
}

/// A reader that hands out its bytes in the given (tiny, varying) sizes, as
/// a pipe might: each `fill_buf` shows the next size's worth.
struct Trickle<'a> {
    bytes: &'a [u8],
    sizes: Vec<usize>,
    next: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::BufRead;
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl std::io::BufRead for Trickle<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let size = self
            .sizes
            .get(self.next % self.sizes.len().max(1))
            .copied()
            .unwrap_or(1);
        Ok(&self.bytes[..size.max(1).min(self.bytes.len())])
    }

    fn consume(&mut self, n: usize) {
        self.bytes = &self.bytes[n.min(self.bytes.len())..];
        self.next += 1;
    }
}

/// Bodies for the streaming test: blank lines first or not, a plain, long,
/// non-canonical or colliding header, canonical rows, a raw middle (stray
/// quote, CR, ragged row, open quote…) and more rows after it.
fn stream_body(
    prefix: &str,
    header: usize,
    rows: &[Vec<String>],
    middle: &str,
    more: &[Vec<String>],
    crlf: bool,
) -> Vec<u8> {
    let mut body = prefix.as_bytes().to_vec();
    let long = format!(
        "parent_process_name,process_name,parent_process_path,{}",
        "y".repeat(150)
    );
    body.extend_from_slice(
        match header {
            0 => "parent_process_name,process_name,parent_process_path,x\n",
            1 => long.as_str(),
            2 => "parent_process_name,process_name,\"parent\"_process_path,x\n",
            3 => "parent_process_name,process_name,risk_score,x\n",
            _ => "\"parent_process_name\",process_name,parent_process_path,\"x\"\r\n",
        }
        .as_bytes(),
    );
    if header == 1 {
        body.push(b'\n');
    }
    let mut w = rows_writer(crlf);
    for r in rows {
        w.write_record(r).unwrap();
    }
    body.extend_from_slice(&w.into_inner().unwrap());
    body.extend_from_slice(middle.as_bytes());
    let mut w = rows_writer(false);
    for r in more {
        w.write_record(r).unwrap();
    }
    body.extend_from_slice(&w.into_inner().unwrap());
    body
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]
    /// A body read through a reader that returns a few bytes at a time,
    /// with tiny pieces (rows and quotes cut everywhere, rows longer than
    /// a piece, the scanner declining mid-body), gives exactly the
    /// full-parse path's bytes, counts, messages or error, in both modes
    /// and on every SIMD path.
    #[test]
    fn a_body_streamed_in_tiny_pieces_agrees_with_the_full_parse_path(
        prefix in prop_oneof![Just(""), Just("\n\n"), Just("\r\n")],
        header in 0usize..5,
        rows in proptest::collection::vec(proptest::collection::vec(row_field(), 1..6), 0..10),
        middle in prop_oneof![
            Just(String::new()),
            Just("a,b\r\n".to_string()),
            Just("q\"r,wmiprvse.exe\n".to_string()),
            Just("\n\n".to_string()),
            Just("wmiprvse.exe,mshta.exe,a,b,c\n".to_string()),
            Just("x,\"open\n".to_string()),
            "[a-z,\"\n\r]{0,12}",
        ],
        more in proptest::collection::vec(proptest::collection::vec(row_field(), 1..6), 0..6),
        crlf in any::<bool>(),
        piece in 1usize..80,
        sizes in proptest::collection::vec(1usize..40, 1..8),
        annotate in any::<bool>(),
    ) {
        use crate::records::simd::{with_isa, Isa};
        let body = stream_body(prefix, header, &rows, &middle, &more, crlf);
        let args: &[&str] = if annotate { &["mode=annotate"] } else { &[] };
        let (mut out_b, mut msg_b) = (Vec::new(), Vec::new());
        let b = transform(args)
            .process_parsed(5, &body, &mut out_b, &mut msg_b)
            .map_err(|e| e.to_string());
        for isa in Isa::available() {
            let (mut out_a, mut msg_a) = (Vec::new(), Vec::new());
            let mut t = transform(args);
            t.set_piece_size(piece);
            let mut reader = Trickle { bytes: &body, sizes: sizes.clone(), next: 0 };
            let a = with_isa(isa, || t.process_reader(5, &mut reader, &mut out_a, &mut msg_a))
                .map_err(|e| e.to_string());
            prop_assert_eq!(&a, &b, "{:?}", isa);
            if b.is_ok() {
                prop_assert_eq!(String::from_utf8_lossy(&out_a), String::from_utf8_lossy(&out_b), "{:?}", isa);
                prop_assert_eq!(&msg_a, &msg_b, "{:?}", isa);
            }
            // The same transform, used again with the default piece size on
            // the body in memory (buffers reused), agrees too.
            let (mut out_c, mut msg_c) = (Vec::new(), Vec::new());
            let c = with_isa(isa, || t.process(5, &body, &mut out_c, &mut msg_c)).map_err(|e| e.to_string());
            prop_assert_eq!(&c, &b, "{:?}", isa);
            if b.is_ok() {
                prop_assert_eq!(&out_c, &out_b);
                prop_assert_eq!(&msg_c, &msg_b);
            }
        }
    }
}

/// Regression: a row longer than many read buffers (one 3 MiB field) is
/// completed by appending at least as much as is carried, so its bytes are
/// scanned a few times — the first in-place version appended one line at a
/// time and rescanned the carried row once per 4 KiB buffer (quadratic:
/// hundreds of times the body).
#[test]
fn a_row_longer_than_many_read_buffers_is_rescanned_a_few_times_not_once_per_buffer() {
    let big = "x".repeat(3 << 20);
    let body = format!(
        "parent_process_name,process_name,process\nwmiprvse.exe,mshta.exe,\"{big}\"\nwmiprvse.exe,mshta.exe,y\n"
    );
    let mut t = transform(&[]);
    t.set_piece_size(4096);
    let mut reader = Trickle {
        bytes: body.as_bytes(),
        sizes: vec![4096],
        next: 0,
    };
    let (mut out, mut msg) = (Vec::new(), Vec::new());
    let stats = t
        .process_reader(5, &mut reader, &mut out, &mut msg)
        .unwrap();
    assert_eq!((stats.rows, stats.hits), (2, 2));
    let (scanned, len) = (t.scanned_bytes(), body.len() as u64);
    assert!(
        scanned >= len - 42,
        "every byte after the header is scanned"
    );
    assert!(
        scanned < 8 * len,
        "{scanned} bytes scanned for a {len}-byte body"
    );
}

/// The scanner declines after handing out whole batches of rows (more rows
/// than a batch before the stray quote, the CR or the open quote): the csv
/// reader takes over at the next row, for an in-memory body and for pieces
/// of several sizes.
#[test]
fn declining_after_whole_batches_continues_at_the_next_row() {
    let mut rows = String::from("parent_process_name,process_name,parent_process_path,x\n");
    for i in 0..1500 {
        if i % 97 == 0 {
            rows.push_str(&format!("WmiPrvSE.exe,rundll32.exe,,\"{i}\"\"\"\n"));
        } else {
            rows.push_str(&format!("explorer.exe,notepad.exe,c:\\w,{i}\n"));
        }
    }
    for bad in [
        "q\"r,wmiprvse.exe,mshta.exe,x\n",
        "wmiprvse.exe,mshta.exe,,x\r\n",
        "wmiprvse.exe,\"open,x\n",
    ] {
        let mut body = rows.clone().into_bytes();
        body.extend_from_slice(bad.as_bytes());
        for i in 0..700 {
            body.extend_from_slice(format!("wmiprvse.exe,mshta.exe,c:\\y,{i}\n").as_bytes());
        }
        for args in [&[][..], &["mode=annotate"][..]] {
            let (mut out_b, mut msg_b) = (Vec::new(), Vec::new());
            let b = transform(args)
                .process_parsed(5, &body, &mut out_b, &mut msg_b)
                .unwrap();
            let (mut out_a, mut msg_a) = (Vec::new(), Vec::new());
            let a = transform(args)
                .process(5, &body, &mut out_a, &mut msg_a)
                .unwrap();
            assert_eq!(
                (a, &out_a, &msg_a),
                (b, &out_b, &msg_b),
                "{bad:?} {args:?} in memory"
            );
            for piece in [7, 4096, 60_000, super::fast::PIECE] {
                let (mut out_a, mut msg_a) = (Vec::new(), Vec::new());
                let mut t = transform(args);
                t.set_piece_size(piece);
                let a = t
                    .process_reader(5, &mut &body[..], &mut out_a, &mut msg_a)
                    .unwrap();
                assert_eq!(
                    (a, &out_a, &msg_a),
                    (b, &out_b, &msg_b),
                    "{bad:?} {args:?} piece {piece}"
                );
            }
        }
    }
}
