//! The whole SCPv2 session reader on arbitrary stdin bytes: never panics,
//! and whatever it writes is a sequence of well-formed chunks (exact
//! lengths, JSON object metadata), at most one reply per request read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wmilolbas::command::{CommandType, SearchCommand};
use wmilolbas::protocol::{frame::Limits, session};

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    let mut output = Vec::new();
    let mut command = SearchCommand::new(CommandType::Streaming, None);
    let limits = Limits {
        max_metadata: 1 << 16,
        max_body: 1 << 20,
    };
    let outcome = session::run(&mut input, &mut output, &mut command, limits);
    // Replies are well-formed chunks.
    let mut out = &output[..];
    let mut replies = 0u64;
    while !out.is_empty() {
        let nl = out.iter().position(|&b| b == b'\n').expect("header line");
        let header = std::str::from_utf8(&out[..nl]).expect("ASCII header");
        let rest = header.strip_prefix("chunked 1.0,").expect("header prefix");
        let (m, b) = rest.split_once(',').expect("two lengths");
        let (m, b): (usize, usize) = (m.parse().unwrap(), b.parse().unwrap());
        let meta: serde_json::Value =
            serde_json::from_slice(&out[nl + 1..nl + 1 + m]).expect("JSON");
        assert!(meta.is_object());
        assert!(out.len() >= nl + 1 + m + b, "body length");
        out = &out[nl + 1 + m + b..];
        replies += 1;
    }
    assert!(
        replies <= outcome.chunks,
        "{replies} replies for {} requests",
        outcome.chunks
    );
    if outcome.exit_code == 0 {
        assert!(outcome.error.is_none());
    }
});
