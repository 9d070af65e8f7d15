//! One execute body through the transform, both modes: never panics; the
//! fast path (the fused SIMD pass: row spans + prefilter) on every
//! instruction set the host has (AVX2, SSE2, NEON, scalar) and the
//! full-parse path agree byte for byte; what comes out is CSV; annotate mode
//! returns as many rows as went in; the body streamed through a reader in
//! tiny pieces (selector bits 3–7: the piece size) gives the same result.
//! Also the `__mv_` codec:
//! decode(encode(values)) = values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wmilolbas::options::Options;
use wmilolbas::records::mv;
use wmilolbas::records::simd::{with_isa, Isa};
use wmilolbas::rule::Catalog;
use wmilolbas::transform::Transform;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let mut args = vec![];
    if selector & 1 == 1 {
        args.push("mode=annotate".to_string());
    }
    if selector & 2 == 2 {
        args.push("strict=true".to_string());
    }
    if selector & 4 == 4 {
        args.push("parent=wmiprvse.exe,a".to_string());
    }
    let options = Options::from_args(&args).unwrap();
    let mut full = Transform::new(&options, Catalog::escu());
    let (mut out_b, mut msg_b) = (Vec::new(), Vec::new());
    let b = full.process_parsed(2, body, &mut out_b, &mut msg_b);
    for isa in Isa::available() {
        let mut fast = Transform::new(&options, Catalog::escu());
        let (mut out_a, mut msg_a) = (Vec::new(), Vec::new());
        let a = with_isa(isa, || fast.process(2, body, &mut out_a, &mut msg_a));
        // The same body read through a reader, in pieces of 1–32 bytes.
        let mut streamed = Transform::new(&options, Catalog::escu());
        streamed.set_piece_size(usize::from(selector >> 3) + 1);
        let (mut out_c, mut msg_c) = (Vec::new(), Vec::new());
        let c = with_isa(isa, || {
            streamed.process_reader(2, &mut &body[..], &mut out_c, &mut msg_c)
        });
        match (&c, &b) {
            (Ok(sc), Ok(sb)) => {
                assert_eq!(sc, sb, "{isa:?} streamed");
                assert_eq!(out_c, out_b, "{isa:?} streamed");
                assert_eq!(msg_c, msg_b, "{isa:?} streamed");
            }
            (Err(ec), Err(eb)) => assert_eq!(ec.to_string(), eb.to_string(), "{isa:?} streamed"),
            _ => panic!("{isa:?}: streamed and full-parse paths disagree"),
        }
        match (&a, &b) {
            (Ok(sa), Ok(sb)) => {
                assert_eq!(sa, sb, "{isa:?}");
                assert_eq!(out_a, out_b, "{isa:?}");
                assert_eq!(msg_a, msg_b, "{isa:?}");
                check_reply(&out_a, sa.rows_out, selector & 1 == 1, sa.rows);
            }
            (Err(ea), Err(eb)) => assert_eq!(ea.to_string(), eb.to_string(), "{isa:?}"),
            _ => panic!(
                "{isa:?}: paths disagree: {:?} vs {:?}",
                a.map(|_| ()),
                b.as_ref().map(|_| ())
            ),
        }
    }

    // The multivalue codec over values cut from the input.
    let values: Vec<&[u8]> = body.split(|&b| b == 0xff).collect();
    if values.len() >= 2 {
        let mut cell = Vec::new();
        mv::encode(values.iter().copied(), &mut cell);
        let back = mv::decode(&cell).expect("encoded cells decode");
        assert_eq!(back, values);
    }
    let _ = mv::decode(body);
});

/// The reply is CSV with one width, holding the header and `rows_out` rows
/// (all input rows in annotate mode).
fn check_reply(out: &[u8], rows_out: u64, annotate: bool, rows: u64) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(out);
    let mut n = 0u64;
    let mut width = None;
    for rec in rdr.byte_records() {
        let rec = rec.expect("reply is CSV");
        assert_eq!(
            *width.get_or_insert(rec.len()),
            rec.len(),
            "every reply row has the header's width"
        );
        n += 1;
    }
    assert_eq!(n.saturating_sub(1), rows_out);
    if annotate {
        assert_eq!(rows_out, rows);
    }
}
