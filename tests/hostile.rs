//! Hostile and broken input: each class gets the exact exit code and the
//! message's key words; nothing panics, hangs or leaks the session key.

use crate::util::*;

fn assert_clean_failure(r: &Run, stderr_has: &str) {
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "one line on stderr: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains(stderr_has),
        "want {stderr_has:?} in {}",
        r.stderr
    );
    r.assert_no_secret();
    parse_replies(&r.stdout); // whatever was written is well-formed
}

fn after_getinfo(tail: &[u8]) -> Vec<u8> {
    let mut input = getinfo(&[]);
    input.extend_from_slice(tail);
    input
}

#[test]
fn lengths_huge_negative_non_numeric_or_overflowing() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"chunked 1.0,2,99999999999\n{}",
            "body length 99999999999 exceeds the limit of 1073741824 bytes",
        ),
        (
            b"chunked 1.0,99999999,0\n{}",
            "metadata length 99999999 exceeds the limit of 16777216 bytes",
        ),
        (
            b"chunked 1.0,2,-5\n{}",
            "the body length is not a decimal number",
        ),
        (
            b"chunked 1.0,x,0\n{}",
            "the metadata length is not a decimal number",
        ),
        (
            b"chunked 1.0,2,99999999999999999999999\n{}",
            "the body length does not fit in 64 bits",
        ),
        (b"chunked 1.0,2\n{}", "the body length is missing"),
        (
            b"CHUNKED 1.0,2,0\n{}",
            "it does not start with \"chunked 1.0,\"",
        ),
    ];
    for (tail, want) in cases {
        let r = run(&[], &after_getinfo(tail));
        assert_clean_failure(&r, want);
        assert_eq!(
            parse_replies(&r.stdout).len(),
            1,
            "nothing after the getinfo reply"
        );
    }
}

#[test]
fn a_header_line_that_never_ends() {
    let mut tail = b"chunked 1.0,".to_vec();
    tail.extend(std::iter::repeat_n(b'7', 1 << 20));
    let r = run(&[], &after_getinfo(&tail));
    assert_clean_failure(&r, "chunk header line is longer than 128 bytes");
}

/// A valid two-execute session cut after every single byte: a cut at a
/// chunk boundary is a normal end (exit 0); anywhere else a framing error
/// (exit 1) naming the truncated part; the replies written are always whole.
#[test]
fn stdin_closed_at_every_possible_point() {
    let body = b"dest,parent_process_name,process_name\nH1,wmiprvse.exe,mshta.exe\n";
    let mut session = getinfo(&[]);
    let mut boundaries = vec![0, session.len()];
    session.extend(execute(false, body));
    boundaries.push(session.len());
    session.extend(execute(true, b""));
    boundaries.push(session.len());
    for cut in 0..=session.len() {
        let r = run(&[], &session[..cut]);
        assert!(!r.stderr.contains("panicked"), "cut {cut}: {}", r.stderr);
        r.assert_no_secret();
        let replies = parse_replies(&r.stdout);
        if boundaries.contains(&cut) {
            assert_eq!(r.code, 0, "cut {cut} at a boundary: {}", r.stderr);
            // boundaries[k] ends the k-th chunk: k replies.
            assert_eq!(
                replies.len(),
                boundaries.iter().position(|b| *b == cut).unwrap()
            );
        } else {
            assert_eq!(r.code, 1, "cut {cut} inside a chunk");
            assert!(
                r.stderr.contains("input ended inside"),
                "cut {cut}: {}",
                r.stderr
            );
        }
    }
}

#[test]
fn metadata_invalid_not_an_object_deeply_nested_or_mistyped() {
    let mut deep = String::new();
    deep.extend(std::iter::repeat_n('[', 50_000));
    let cases: Vec<(String, &str)> = vec![
        (
            "{\"action\":\"execute\",\"finished\":tru".into(),
            "metadata is not valid JSON",
        ),
        (
            "\"execute\"".into(),
            "metadata must be a JSON object, got a string",
        ),
        (deep, "metadata is not valid JSON"),
        (
            "{\"action\":\"execute\",\"finished\":1}".into(),
            "\"finished\" must be true or false, got a number",
        ),
        (
            "{\"action\":[\"execute\"]}".into(),
            "\"action\" must be a string",
        ),
        (
            "{\"action\":\"execute\",\"finished\":false,\"x\":\"\\u0000\",\"y\":[{}]}".into(),
            "",
        ),
    ];
    for (meta, want) in cases {
        let r = run(&[], &after_getinfo(&chunk(&meta, b"")));
        if want.is_empty() {
            assert_eq!(r.code, 0, "unknown keys are ignored: {}", r.stderr);
            continue;
        }
        assert_clean_failure(&r, want);
        let last = parse_replies(&r.stdout).pop().unwrap();
        assert!(last.meta["error"].as_str().unwrap().contains(want));
    }
    // wrong types in the getinfo arguments
    let meta = format!("{{\"action\":\"getinfo\",\"searchinfo\":{{\"session_key\":\"{SECRET}\",\"args\":[\"mode=annotate\",true]}}}}");
    let r = run(&[], &chunk(&meta, b""));
    assert_clean_failure(&r, "searchinfo.args[1] must be a string, got a boolean");
}

#[test]
fn bodies_with_nul_bytes_and_invalid_utf8_come_back_unchanged() {
    let body = b"a,parent_process_name,process_name\nx\0y,wmiprvse.exe,mshta.exe\n\xff\xfe,wmiprvse.exe,RUNDLL32.EXE\n";
    let mut input = getinfo(&["mode=annotate"]);
    input.extend(execute(true, body));
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reply = &parse_replies(&r.stdout)[1];
    let rows = csv_byte_rows(&reply.body);
    assert_eq!(rows[1][0], b"x\0y");
    assert_eq!(rows[2][0], b"\xff\xfe");
    assert_eq!(rows[1][3], b"54");
    assert_eq!(rows[2][3], b"54");
    let msg = reply.meta["inspector"]["messages"][0][1].as_str().unwrap();
    assert!(
        msg.contains("chunk 2, row 2, field a: invalid UTF-8"),
        "{msg}"
    );
}

#[test]
fn an_unterminated_quote_is_reported_and_does_not_lose_rows() {
    let body = b"a,b\n1,2\n\"open,3\n4,5\n";
    let mut input = getinfo(&["mode=annotate"]);
    input.extend(execute(true, body));
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reply = &parse_replies(&r.stdout)[1];
    let rows = csv_rows(&reply.body);
    assert_eq!(
        rows.len(),
        3,
        "header, row 1, and row 2 that ran to the end"
    );
    assert_eq!(rows[2][0], "open,3\n4,5\n");
    let msgs = reply.meta["inspector"]["messages"].as_array().unwrap();
    assert!(
        msgs.iter().any(|m| m[1]
            .as_str()
            .unwrap()
            .contains("ends inside a quoted field")),
        "{msgs:?}"
    );
}

#[test]
fn ragged_rows_short_are_padded_long_are_an_error() {
    let mut input = getinfo(&["mode=annotate"]);
    input.extend(execute(false, b"a,b,c\n1,2\n"));
    input.extend(execute(true, b"a,b\n1,2,3\n"));
    let r = run(&[], &input);
    assert_clean_failure(&r, "chunk 3, row 1: row has 3 fields but the header has 2");
    let replies = parse_replies(&r.stdout);
    let msg = replies[1].meta["inspector"]["messages"][0][1]
        .as_str()
        .unwrap();
    assert!(
        msg.contains("1 row(s) had fewer fields than the header"),
        "{msg}"
    );
    assert_eq!(csv_rows(&replies[1].body)[1].len(), 3 + ADDED.len());
}

#[test]
fn tens_of_megabytes_in_one_field() {
    let big = "x".repeat(30 << 20);
    let body = format!(
        "dest,parent_process_name,process_name,process\nH,wmiprvse.exe,mshta.exe,\"{big}\"\n"
    );
    for mode in ["mode=filter", "mode=annotate"] {
        let mut input = getinfo(&[mode]);
        input.extend(execute(true, body.as_bytes()));
        let r = run(&[], &input);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let rows = csv_rows(&parse_replies(&r.stdout)[1].body);
        assert_eq!(rows[1][3].len(), 30 << 20);
        assert_eq!(rows[1][4], "54");
    }
}

#[test]
fn tens_of_thousands_of_empty_and_header_only_chunks() {
    let mut input = getinfo(&[]);
    for i in 0..20_000 {
        input.extend(execute(
            false,
            if i % 2 == 0 {
                b""
            } else {
                b"dest,process_name\n"
            },
        ));
    }
    input.extend(execute(true, b""));
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies.len(), 20_002);
    assert!(replies[1..].iter().all(|rep| rep.body.is_empty()));
}

#[test]
fn more_rows_than_a_chunk_may_hold() {
    let mut body = b"a\n".to_vec();
    body.extend(b"x\n".repeat(1_000_001));
    let mut input = getinfo(&["mode=annotate"]);
    input.extend(execute(true, &body));
    let r = run(&[], &input);
    assert_clean_failure(
        &r,
        "chunk 2, row 1000001: more than 1000000 rows in one chunk",
    );
}

/// Garbage files are read as CSV (the fallback format) without panicking.
#[test]
fn scan_survives_garbage_files() {
    let dir = tempdir();
    let mut garbage = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        garbage.push((x >> 16) as u8);
    }
    let f = dir.join("garbage.bin");
    std::fs::write(&f, &garbage).unwrap();
    for format in ["auto", "csv", "json", "xml"] {
        let r = run(
            &[
                "scan",
                "--input-format",
                format,
                "--format",
                "csv",
                f.to_str().unwrap(),
            ],
            b"",
        );
        assert!(r.code == 0 || r.code == 1, "{format}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{format}: {}", r.stderr);
        assert!(
            r.stderr.contains("wmilolbas scan:"),
            "{format}: summary line: {}",
            r.stderr
        );
    }
}
