//! Raw-byte SCPv2 conversations against the built binary, asserting the
//! exact reply bytes (mini-redis style).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use crate::util::*;

const BODY: &str = "\"_time\",dest,\"parent_process_name\",\"process_name\",\"__mv__time\",\"__mv_dest\",\"__mv_parent_process_name\",\"__mv_process_name\"\n\
\"1700000000.5\",\"WS-1\",\"WmiPrvSE.exe\",\"rundll32.exe\",,,,\n\
\"1700000001.5\",\"WS-2\",\"explorer.exe\",\"rundll32.exe\",,,,\n\
\"1700000002.5\",\"WS-3\",\"wmiprvse.exe\",\"cmd.exe\",,,,\n";

/// A probe run (getinfo, then EOF) answers getinfo once and exits 0 quietly.
#[test]
fn probe_answers_getinfo_once_and_exits_zero() {
    let r = run(&[], &getinfo(&[]));
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout_str(), "chunked 1.0,20,0\n{\"type\":\"streaming\"}");
    assert_eq!(r.stderr, "");
}

/// `--stateful` (commands.conf `command.arg.1`) declares a search-head-only type.
#[test]
fn stateful_switch_declares_stateful() {
    let r = run(&["--stateful"], &getinfo(&[]));
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout_str(), "chunked 1.0,19,0\n{\"type\":\"stateful\"}");
}

/// EOF before any byte: nothing to answer, exit 0.
#[test]
fn empty_input_exits_zero_silently() {
    let r = run(&[], b"");
    assert_eq!((r.code, r.stdout.len(), r.stderr.as_str()), (0, 0, ""));
}

/// A whole filter-mode session, byte for byte.
#[test]
fn filter_session_exact_bytes() {
    let mut input = getinfo(&[]);
    input.extend(execute(false, BODY.as_bytes()));
    input.extend(execute(true, b"\"_time\",dest\n"));
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.assert_no_secret();
    assert_golden("filter_session.out", &r.stdout);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies.len(), 3);
    let rows = csv_rows(&replies[1].body);
    assert_eq!(rows.len(), 2, "header + one hit");
    assert_eq!(rows[1][1], "WS-1");
}

/// annotate mode returns every row, in order, with the added fields.
#[test]
fn annotate_session_exact_bytes() {
    let mut input = getinfo(&["mode=annotate"]);
    input.extend(execute(true, BODY.as_bytes()));
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_golden("annotate_session.out", &r.stdout);
    let replies = parse_replies(&r.stdout);
    let rows = csv_rows(&replies[1].body);
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[0][8..], &ADDED[..]);
    assert_eq!(rows[1][8], "54");
    assert_eq!(rows[2][8], "");
    assert_eq!(rows[3][8], "");
}

/// Every execute request gets exactly one reply echoing its `finished`,
/// even for empty and header-only bodies.
#[test]
fn one_reply_per_request_echoing_finished() {
    let mut input = getinfo(&["mode=annotate"]);
    input.extend(execute(false, b""));
    input.extend(execute(false, b"a,b\n"));
    input.extend(execute(false, b"a,b\r\n"));
    input.extend(execute(true, b""));
    let r = run(&[], &input);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout_str(),
        "chunked 1.0,20,0\n{\"type\":\"streaming\"}\
         chunked 1.0,18,0\n{\"finished\":false}\
         chunked 1.0,18,0\n{\"finished\":false}\
         chunked 1.0,18,0\n{\"finished\":false}\
         chunked 1.0,17,0\n{\"finished\":true}"
    );
}

/// Blank lines (`\n`, `\r\n`) between chunks and CRLF bodies are accepted;
/// the reply uses LF and writes nothing outside chunks.
#[test]
fn blank_lines_between_chunks_and_crlf_bodies() {
    let mut input = getinfo(&[]);
    input.extend(b"\n\r\n");
    input.extend(execute(false, BODY.replace('\n', "\r\n").as_bytes()));
    input.extend(b"\n");
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies.len(), 2);
    let body = String::from_utf8(replies[1].body.clone()).unwrap();
    assert!(!body.contains('\r'));
    assert_eq!(body.lines().count(), 2);
}

/// Lengths are UTF-8 byte counts, in and out.
#[test]
fn lengths_are_byte_counts() {
    let body = "dest,parent_process_name,process_name\n\"ทดสอบ\",wmiprvse.exe,mshta.exe\n";
    let mut input = getinfo(&[]);
    input.extend(execute(true, body.as_bytes()));
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    let rows = csv_rows(&replies[1].body);
    assert_eq!(rows[1][0], "ทดสอบ");
    assert_eq!(
        rows[1][4],
        "Wmiprsve.exe spawned a LOLBAS process on ทดสอบ."
    );
}

/// The command answers each request before reading the next (lock-step):
/// splunkd sends nothing more until it has the reply.
#[test]
fn replies_are_flushed_before_the_next_request() {
    let mut child = Command::new(bin())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let read_reply = |stdout: &mut BufReader<std::process::ChildStdout>| {
        let mut header = String::new();
        stdout.read_line(&mut header).unwrap();
        let lens: Vec<usize> = header
            .trim_end()
            .trim_start_matches("chunked 1.0,")
            .split(',')
            .map(|n| n.parse().unwrap())
            .collect();
        let mut payload = vec![0u8; lens[0] + lens[1]];
        stdout.read_exact(&mut payload).unwrap();
        String::from_utf8(payload).unwrap()
    };
    stdin.write_all(&getinfo(&[])).unwrap();
    stdin.flush().unwrap();
    assert_eq!(read_reply(&mut stdout), "{\"type\":\"streaming\"}");
    for finished in [false, false, true] {
        stdin
            .write_all(&execute(finished, BODY.as_bytes()))
            .unwrap();
        stdin.flush().unwrap();
        let reply = read_reply(&mut stdout);
        assert!(
            reply.starts_with(&format!("{{\"finished\":{finished}}}")),
            "{reply}"
        );
    }
    drop(stdin);
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "nothing after the last reply");
    assert!(child.wait().unwrap().success());
}

/// A bad option is an ERROR in the getinfo reply (inspector first, error
/// last), one line on stderr, exit 1.
#[test]
fn bad_option_is_an_error_in_the_getinfo_reply() {
    let r = run(&[], &getinfo(&["mode=everything"]));
    assert_eq!(r.code, 1);
    let msg = "invalid value \\\"everything\\\" for mode: expected filter or annotate";
    let meta = format!("{{\"inspector\":{{\"messages\":[[\"ERROR\",\"{msg}\"]]}},\"finished\":true,\"error\":\"{msg}\"}}");
    assert_eq!(
        r.stdout_str(),
        format!("chunked 1.0,{},0\n{meta}", meta.len())
    );
    assert_eq!(
        r.stderr,
        "wmilolbas: invalid value \"everything\" for mode: expected filter or annotate\n"
    );
    r.assert_no_secret();
}

fn error_reply(input: &[u8]) -> (Run, String) {
    let r = run(&[], input);
    assert_eq!(r.code, 1, "stdout {}", r.stdout_str());
    r.assert_no_secret();
    let replies = parse_replies(&r.stdout);
    let last = replies.last().expect("an error reply");
    assert_eq!(last.meta["finished"], true);
    let error = last.meta["error"].as_str().unwrap().to_string();
    assert_eq!(last.meta["inspector"]["messages"][0][0], "ERROR");
    assert_eq!(last.meta["inspector"]["messages"][0][1], error.as_str());
    let raw = String::from_utf8(last.meta_raw.clone()).unwrap();
    assert!(raw.find("\"inspector\"").unwrap() < raw.find("\"error\"").unwrap());
    assert_eq!(r.stderr, format!("wmilolbas: {error}\n"));
    (r, error)
}

/// Requests out of order are error replies naming the chunk.
#[test]
fn out_of_order_requests_are_error_replies() {
    let (_, e) = error_reply(&execute(false, b""));
    assert_eq!(e, "chunk 1: expected a getinfo request first, got execute (splunkd always starts with getinfo)");

    let mut input = getinfo(&[]);
    input.extend(getinfo(&[]));
    let (r, e) = error_reply(&input);
    assert_eq!(
        e,
        "chunk 2: unexpected second getinfo request (getinfo comes once, first)"
    );
    assert_eq!(parse_replies(&r.stdout).len(), 2);

    let mut input = getinfo(&[]);
    input.extend(chunk("{\"action\":\"cancel\"}", b""));
    let (_, e) = error_reply(&input);
    assert_eq!(
        e,
        "chunk 2: unknown action \"cancel\" (expected \"getinfo\" or \"execute\")"
    );

    let meta = String::from_utf8(getinfo(&[])).unwrap();
    let meta = &meta[meta.find('{').unwrap()..];
    let (_, e) = error_reply(&chunk(meta, b"a,b\n"));
    assert_eq!(
        e,
        "chunk 1: the getinfo request carries a 4-byte body; getinfo has no body"
    );
}

/// Metadata that is not valid JSON, or has wrong types, is an error reply
/// that names the key, never the value.
#[test]
fn bad_metadata_is_an_error_reply() {
    let mut input = getinfo(&[]);
    input.extend(chunk("{\"action\":\"execute\",\"finished\":\"yes\"}", b""));
    let (_, e) = error_reply(&input);
    assert_eq!(
        e,
        "chunk 2: metadata key \"finished\" must be true or false, got a string"
    );

    let mut input = getinfo(&[]);
    input.extend(chunk("{\"action\":\"execute\"", b""));
    let (_, e) = error_reply(&input);
    assert!(
        e.starts_with("chunk 2: metadata is not valid JSON (unexpected end at line 1 column"),
        "{e}"
    );

    let meta = format!("{{\"action\":\"getinfo\",\"searchinfo\":{{\"session_key\":\"{SECRET}\",\"args\":[\"mode=annotate\",{{\"x\":1}}]}}}}");
    let (_, e) = error_reply(&chunk(&meta, b""));
    assert_eq!(
        e,
        "chunk 1: searchinfo.args[1] must be a string, got an object"
    );
}

/// Broken framing: one line on stderr, exit 1, nothing more on stdout.
#[test]
fn broken_framing_is_reported_on_stderr_only() {
    let mut input = getinfo(&[]);
    input.extend(b"chunked 2.0,1,1\n{}x");
    let r = run(&[], &input);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout_str(), "chunked 1.0,20,0\n{\"type\":\"streaming\"}");
    assert_eq!(
        r.stderr,
        "wmilolbas: chunk 2: malformed chunk header: it does not start with \"chunked 1.0,\" (expected \"chunked 1.0,<metadata bytes>,<body bytes>\")\n"
    );

    let mut input = getinfo(&[]);
    input.extend(b"chunked 1.0,37,500\n{\"action\":\"execute\",\"finished\":false}a,b\n");
    let r = run(&[], &input);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "wmilolbas: chunk 2: input ended inside the body: expected 500 bytes, got 4\n"
    );
    assert_eq!(parse_replies(&r.stdout).len(), 1);
}
