//! One execute body through the transform, both modes: never panics; the
//! fast path (row spans + prefilter) and the full-parse path agree byte for
//! byte; what comes out is CSV; annotate mode returns as many rows as went
//! in. Also the `__mv_` codec: decode(encode(values)) = values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wmilolbas::transform::Transform;
use wmilolbas::options::Options;
use wmilolbas::records::mv;
use wmilolbas::rule::Catalog;

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
    let mut fast = Transform::new(&options, Catalog::escu());
    let mut full = Transform::new(&options, Catalog::escu());
    let (mut out_a, mut msg_a, mut out_b, mut msg_b) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let a = fast.process(2, body, &mut out_a, &mut msg_a);
    let b = full.process_parsed(2, body, &mut out_b, &mut msg_b);
    match (&a, &b) {
        (Ok(sa), Ok(sb)) => {
            assert_eq!(sa, sb);
            assert_eq!(out_a, out_b);
            assert_eq!(msg_a, msg_b);
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(&out_a[..]);
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
            assert_eq!(n.saturating_sub(1), sa.rows_out);
            if selector & 1 == 1 {
                assert_eq!(sa.rows_out, sa.rows);
            }
        }
        (Err(ea), Err(eb)) => assert_eq!(ea.to_string(), eb.to_string()),
        _ => panic!("paths disagree: {:?} vs {:?}", a.map(|_| ()), b.map(|_| ())),
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
