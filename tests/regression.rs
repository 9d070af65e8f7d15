//! One test per protocol bug of the Python SDK (splunk-sdk-python), named
//! after its issue or pull request (see docs/protocol.md §10), so the same
//! mistake cannot creep in here.

use crate::util::*;

fn rows(n: usize) -> Vec<u8> {
    let mut body = b"_time,dest,parent_process_name,process_name,__mv__time,__mv_dest,__mv_parent_process_name,__mv_process_name\n".to_vec();
    for i in 0..n {
        let (p, c) = if i % 1000 == 0 {
            ("WmiPrvSE.exe", "mshta.exe")
        } else {
            ("explorer.exe", "notepad.exe")
        };
        body.extend(format!("{i},WS{i},{p},{c},,,,\n").as_bytes());
    }
    body
}

/// SDK #150 / PR #301: partial flushes desynchronised the stream ("buffer
/// full"). A 50,001-row request gets exactly one reply.
// See: https://github.com/splunk/splunk-sdk-python/issues/150
#[test]
fn sdk_150_one_reply_for_a_50001_row_request() {
    let mut input = getinfo(&["mode=annotate"]);
    input.extend(execute(true, &rows(50_001)));
    let r = run(&[], &input);
    assert_eq!(r.code, 0);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies.len(), 2);
    assert_eq!(csv_rows(&replies[1].body).len(), 50_002);
}

/// SDK #161 / PR #181: probe processes did work before any execute.
// See: https://github.com/splunk/splunk-sdk-python/issues/161
#[test]
fn sdk_161_a_probe_writes_only_the_getinfo_reply() {
    let r = run(&[], &getinfo(&["mode=annotate"]));
    assert_eq!(
        (r.code, r.stdout_str().as_str()),
        (0, "chunked 1.0,20,0\n{\"type\":\"streaming\"}")
    );
}

/// SDK #376 / PR #402: empty-body requests were skipped without a reply.
// See: https://github.com/splunk/splunk-sdk-python/issues/376
#[test]
fn sdk_376_empty_and_header_only_requests_are_answered() {
    let mut input = getinfo(&[]);
    input.extend(execute(false, b""));
    input.extend(execute(true, b"dest\n"));
    let r = run(&[], &input);
    assert_eq!(parse_replies(&r.stdout).len(), 3);
}

/// SDK #401 / PR #407: fields first seen after row 1 were dropped from the
/// header. Here the first returned row is not a detection, later ones are:
/// every added field is in the header.
// See: https://github.com/splunk/splunk-sdk-python/issues/401
#[test]
fn sdk_401_fields_set_only_on_later_rows_are_in_the_header() {
    let mut input = getinfo(&["mode=annotate"]);
    input.extend(execute(
        true,
        b"parent_process_name,process_name\nexplorer.exe,cmd.exe\nwmiprvse.exe,mshta.exe\n",
    ));
    let r = run(&[], &input);
    let rows = csv_rows(&parse_replies(&r.stdout)[1].body);
    assert_eq!(&rows[0][2..], &ADDED[..]);
    assert_eq!(rows[1][2], "");
    assert_eq!(rows[2][2], "54");
}

/// SDK #288-style hang on bad UTF-8: bytes that are not UTF-8 are passed
/// through with a warning, promptly.
#[test]
fn sdk_288_invalid_utf8_neither_hangs_nor_is_rewritten() {
    let mut input = getinfo(&["mode=annotate"]);
    input.extend(execute(true, b"a\n\xc3\x28\n"));
    let r = run(&[], &input);
    assert_eq!(r.code, 0);
    assert_eq!(
        csv_byte_rows(&parse_replies(&r.stdout)[1].body)[1][0],
        b"\xc3\x28"
    );
}

/// SDK commit 72372f9 (2.0.0): a stray newline after the getinfo reply made
/// splunkd log errors. Nothing is written outside chunks.
#[test]
fn sdk_72372f9_nothing_outside_chunks() {
    let mut input = getinfo(&[]);
    input.extend(execute(true, b""));
    let r = run(&[], &input);
    assert_eq!(
        r.stdout_str(),
        "chunked 1.0,20,0\n{\"type\":\"streaming\"}chunked 1.0,17,0\n{\"finished\":true}"
    );
}

/// Multibyte data broke the SDK's Python 3 reader (the reason
/// multibyte_input.gz exists): lengths are bytes, not characters.
#[test]
fn sdk_multibyte_lengths_are_bytes() {
    let body = "dest,parent_process_name,process_name\n\"ทท\",wmiprvse.exe,mshta.exe\n";
    let mut input = getinfo(&[]);
    input.extend(execute(true, body.as_bytes()));
    let r = run(&[], &input);
    let reply = &parse_replies(&r.stdout)[1];
    assert_eq!(csv_rows(&reply.body)[1][0], "ทท");
}

/// An embedded newline in a quoted field is data, not a row break.
#[test]
fn embedded_newline_in_a_quoted_field() {
    let mut input = getinfo(&[]);
    input.extend(execute(
        true,
        b"process,parent_process_name,process_name\n\"a\nb\",wmiprvse.exe,mshta.exe\n",
    ));
    let r = run(&[], &input);
    let rows = csv_rows(&parse_replies(&r.stdout)[1].body);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "a\nb");
}

/// A repeated getinfo is refused with a reply, not silently accepted.
#[test]
fn repeated_getinfo_is_an_error() {
    let mut input = getinfo(&[]);
    input.extend(getinfo(&[]));
    let r = run(&[], &input);
    assert_eq!(r.code, 1);
    assert!(r.stdout_str().contains("unexpected second getinfo"));
}
