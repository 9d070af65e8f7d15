//! Replays of sessions recorded from real splunkd (splunk-sdk-python test
//! data, Apache-2.0; see tests/data/README.md).

use serde_json::json;

use crate::util::*;

/// Replaces the recorded getinfo's arguments (the recordings were made for
/// other commands) and re-frames the stream.
fn with_args(stream: &[u8], args: &[&str]) -> Vec<u8> {
    let mut chunks = parse_requests(stream);
    chunks[0].0["searchinfo"]["args"] = json!(args);
    frame_requests(&chunks)
}

/// Checks that `reply` holds exactly the rows of `request` (plus the added
/// fields, empty) in order, byte for byte.
fn assert_rows_back(request: &[u8], reply: &[u8]) -> usize {
    let want = csv_byte_rows(request);
    let got = csv_byte_rows(reply);
    if want.len() <= 1 {
        assert!(reply.is_empty(), "no rows in, no body out");
        return 0;
    }
    assert_eq!(got.len(), want.len(), "row count");
    let n = want[0].len();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(&g[..n], &w[..], "row {i}");
        assert_eq!(g.len(), n + ADDED.len());
    }
    want.len() - 1
}

/// Splunk 8.0.3, nine execute requests, 40,682 rows with multibyte values:
/// annotate mode gives one reply per request and every row back intact.
#[test]
fn multibyte_recording_annotate_returns_every_row() {
    let stream = gunzip(&data("recordings/Splunk-8.0.3/multibyte_input.gz"));
    let input = with_args(&stream, &["mode=annotate"]);
    let requests = parse_requests(&input);
    assert_eq!(requests.len(), 10);
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies.len(), 10, "one reply per request");
    let mut rows = 0;
    for ((meta, body), reply) in requests[1..].iter().zip(&replies[1..]) {
        assert_eq!(reply.meta["finished"], meta["finished"]);
        rows += assert_rows_back(body, &reply.body);
    }
    assert_eq!(rows, 40_682);
    let first = csv_rows(&replies[1].body);
    assert_eq!(first[1][1], "ทt");
}

/// The same replay in filter mode: no rows, and the final reply warns that
/// no row had the parent fields; exit 0.
#[test]
fn multibyte_recording_filter_warns_about_missing_fields() {
    let stream = gunzip(&data("recordings/Splunk-8.0.3/multibyte_input.gz"));
    let r = run(&[], &with_args(&stream, &[]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies.len(), 10);
    assert!(replies.iter().all(|rep| rep.body.is_empty()));
    for rep in &replies[1..9] {
        assert_eq!(rep.meta, json!({"finished": false}));
    }
    let last = &replies[9].meta;
    assert_eq!(last["finished"], true);
    let msgs = last["inspector"]["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0][0], "WARN");
    let text = msgs[0][1].as_str().unwrap();
    assert!(text.contains("none of the 40682 input rows had the fields parent_process_name or parent_process_path"), "{text}");
    assert!(text.contains("from datamodel=Endpoint.Processes"), "{text}");
    assert!(
        text.contains("| `wmilolbas_fields` | wmilolbas"),
        "the remedy for raw events: {text}"
    );
    assert!(r.stderr.is_empty());
}

/// Splunk 6.3, 500 tweets in one `finished:true` request: every row comes
/// back unchanged in annotate mode.
#[test]
fn countmatches_recording_round_trips() {
    let stream = gunzip(&data("recordings/Splunk-6.3/countmatches.input.gz"));
    let input = with_args(&stream, &["mode=annotate"]);
    let requests = parse_requests(&input);
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies.len(), 2);
    assert_eq!(assert_rows_back(&requests[1].1, &replies[1].body), 500);
}

/// A single 16 MB, 50,000-row request (the SDK's partial-flush bugs #150 and
/// #301 were about chunks this size): one reply with all rows.
#[test]
fn sum_map_recording_fifty_thousand_rows_in_one_chunk() {
    let stream = gunzip(&data("recordings/Splunk-6.3/sum.map.input.gz"));
    let input = with_args(&stream, &["mode=annotate"]);
    let requests = parse_requests(&input);
    assert_eq!(requests[1].1.len(), 16_109_782);
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies.len(), 2);
    assert_eq!(assert_rows_back(&requests[1].1, &replies[1].body), 50_000);
}

/// The generatehello input ends inside an execute chunk (header claims 150
/// body bytes, none follow): framing error on stderr, exit 1, and only the
/// getinfo reply on stdout.
#[test]
fn generatehello_recording_truncated_chunk_is_a_framing_error() {
    let stream = gunzip(&data("recordings/Splunk-6.3/generatehello.input.gz"));
    // Replace the getinfo args but keep the truncated tail byte for byte.
    let first_end = {
        let nl = stream.iter().position(|&b| b == b'\n').unwrap();
        let m: usize = std::str::from_utf8(&stream[12..nl])
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        nl + 1 + m
    };
    let mut input = with_args(&stream[..first_end], &[]);
    input.extend_from_slice(&stream[first_end..]);
    let r = run(&[], &input);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout_str(), "chunked 1.0,20,0\n{\"type\":\"streaming\"}");
    assert_eq!(
        r.stderr,
        "wmilolbas: chunk 2: input ended inside the body: expected 150 bytes, got 0\n"
    );
}

/// The SDK writer's byte-exact fixture: 31 rows with `$…$;$…$` multivalue
/// cells and invalid UTF-8. As an execute body, every row comes back byte for
/// byte and the invalid UTF-8 is reported, not repaired.
#[test]
fn sdk_writer_fixture_multivalue_and_invalid_utf8_pass_through() {
    let out = gunzip(&data("recordings/Splunk-6.3/TestInternals.test_record_writer_with_recordings.1443154424.42.output.gz"));
    let nl = out.iter().position(|&b| b == b'\n').unwrap();
    let header = std::str::from_utf8(&out[..nl]).unwrap();
    assert_eq!(header, "chunked 1.0,14904,762288");
    let body = out[nl + 1 + 14904..].to_vec();
    assert_eq!(body.len(), 762_288);
    assert!(
        std::str::from_utf8(&body).is_err(),
        "fixture holds invalid UTF-8"
    );
    let mut input = getinfo(&["mode=annotate"]);
    input.extend(execute(true, &body));
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    assert_eq!(assert_rows_back(&body, &replies[1].body), 31);
    let msgs = replies[1].meta["inspector"]["messages"].as_array().unwrap();
    assert_eq!(msgs[0][0], "WARN");
    assert!(msgs[0][1].as_str().unwrap().contains("invalid UTF-8"));
    // Multivalue cells really are there.
    let rows = csv_rows_lossy(&body);
    let mv = rows[0]
        .iter()
        .position(|h| h == "__mv_random_integers")
        .unwrap();
    assert!(rows[1..]
        .iter()
        .any(|r| r[mv].starts_with('$') && r[mv].contains("$;$")));
}

fn csv_rows_lossy(body: &[u8]) -> Vec<Vec<String>> {
    csv_byte_rows(body)
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|f| String::from_utf8_lossy(&f).into_owned())
                .collect()
        })
        .collect()
}
