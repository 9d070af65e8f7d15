//! Helpers shared by the integration tests: run the real binary, build and
//! parse SCPv2 chunks, read fixtures.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The session key every test getinfo carries; it must never come back.
pub const SECRET: &str = "SECRET-session-key-7f3a9c";

/// Path of the built `wmilolbas` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wmilolbas"))
}

/// A fixture under `tests/data`.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A file under `tests/`.
pub fn tests_dir(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

/// Reads a gzip file.
pub fn gunzip(path: &Path) -> Vec<u8> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(f)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts the secret appears nowhere.
    pub fn assert_no_secret(&self) {
        assert!(
            !self.stderr.contains(SECRET),
            "session key on stderr: {}",
            self.stderr
        );
        assert!(
            !self
                .stdout
                .windows(SECRET.len())
                .any(|w| w == SECRET.as_bytes()),
            "session key on stdout"
        );
    }
}

/// Spawns `cmd`. A binary the test has just copied can be "busy" (ETXTBSY)
/// for a moment: a child forked concurrently by another test thread may
/// still hold the copy's write descriptor until it execs. Retry then.
pub fn spawn(cmd: &mut Command, program: &Path) -> std::process::Child {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Ok(child) => return child,
            Err(e) if e.raw_os_error() == Some(26) && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("spawn {}: {e}", program.display()),
        }
    }
}

/// Runs a program with `stdin` fed from a thread (no pipe deadlock).
pub fn run_program(program: &Path, args: &[&str], stdin: &[u8], cwd: Option<&Path>) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    let mut child = spawn(&mut cmd, program);
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The command may exit early (errors): a broken pipe is expected then.
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Runs `cmd` with stdin from /dev/null; fails the test (instead of
/// hanging) if it has not ended after 20 s. `what` names it in the failure.
pub fn run_with_deadline(mut cmd: Command, what: &str) -> Run {
    use std::time::{Duration, Instant};
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let program = PathBuf::from(cmd.get_program());
    let mut child = spawn(&mut cmd, &program);
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        out.read_to_end(&mut v).unwrap();
        v
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{what}` still running after 20 s (hangs)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        code: status.code().unwrap_or(-1),
    }
}

/// Runs the built binary.
pub fn run(args: &[&str], stdin: &[u8]) -> Run {
    run_program(&bin(), args, stdin, None)
}

/// One chunk: header, metadata, body.
pub fn chunk(meta: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("chunked 1.0,{},{}\n", meta.len(), body.len()).into_bytes();
    out.extend_from_slice(meta.as_bytes());
    out.extend_from_slice(body);
    out
}

/// A getinfo request shaped like splunkd's (compact JSON, string times).
pub fn getinfo(args: &[&str]) -> Vec<u8> {
    let meta = serde_json::json!({
        "action": "getinfo",
        "preview": false,
        "streaming_command_will_restart": false,
        "searchinfo": {
            "args": args,
            "raw_args": args,
            "dispatch_dir": "/opt/splunk/var/run/splunk/dispatch/1700000000.1",
            "sid": "1700000000.1",
            "app": "search",
            "owner": "admin",
            "username": "admin",
            "session_key": SECRET,
            "splunkd_uri": "https://127.0.0.1:8089",
            "splunk_version": "9.2.0",
            "search": "%7C%20wmilolbas",
            "command": "wmilolbas",
            "maxresultrows": 50000,
            "earliest_time": "0",
            "latest_time": "0"
        }
    });
    chunk(&meta.to_string(), b"")
}

/// An execute request.
pub fn execute(finished: bool, body: &[u8]) -> Vec<u8> {
    chunk(
        &format!("{{\"action\":\"execute\",\"finished\":{finished}}}"),
        body,
    )
}

/// One parsed reply chunk.
#[derive(Debug, Clone)]
pub struct Reply {
    pub meta_raw: Vec<u8>,
    pub meta: serde_json::Value,
    pub body: Vec<u8>,
}

/// Parses replies strictly: no bytes outside chunks, exact lengths,
/// `chunked 1.0,<m>,<b>\n` headers, ASCII JSON objects.
pub fn parse_replies(mut out: &[u8]) -> Vec<Reply> {
    let mut replies = Vec::new();
    while !out.is_empty() {
        let nl = out
            .iter()
            .position(|&b| b == b'\n')
            .expect("header line ends");
        let header = std::str::from_utf8(&out[..nl]).expect("ASCII header");
        let rest = header
            .strip_prefix("chunked 1.0,")
            .unwrap_or_else(|| panic!("bad header {header:?}"));
        let (m, b) = rest.split_once(',').expect("two lengths");
        let (m, b): (usize, usize) = (m.parse().unwrap(), b.parse().unwrap());
        let meta_raw = out[nl + 1..nl + 1 + m].to_vec();
        assert!(meta_raw.is_ascii(), "metadata must be ASCII-escaped JSON");
        let meta: serde_json::Value = serde_json::from_slice(&meta_raw).expect("JSON metadata");
        assert!(meta.is_object());
        let body = out[nl + 1 + m..nl + 1 + m + b].to_vec();
        replies.push(Reply {
            meta_raw,
            meta,
            body,
        });
        out = &out[nl + 1 + m + b..];
    }
    replies
}

/// Splits a request stream into (metadata JSON, body) pairs, skipping blank
/// lines between chunks.
pub fn parse_requests(mut input: &[u8]) -> Vec<(serde_json::Value, Vec<u8>)> {
    let mut chunks = Vec::new();
    loop {
        while let Some(&b) = input.first() {
            if b == b'\n' || b == b'\r' {
                input = &input[1..];
            } else {
                break;
            }
        }
        if input.is_empty() {
            return chunks;
        }
        let nl = input.iter().position(|&b| b == b'\n').unwrap();
        let header = std::str::from_utf8(&input[..nl]).unwrap().trim_end();
        let (m, b) = header
            .strip_prefix("chunked 1.0,")
            .unwrap()
            .split_once(',')
            .unwrap();
        let (m, b): (usize, usize) = (m.parse().unwrap(), b.parse().unwrap());
        let meta = serde_json::from_slice(&input[nl + 1..nl + 1 + m]).unwrap();
        let body = input[nl + 1 + m..(nl + 1 + m + b).min(input.len())].to_vec();
        chunks.push((meta, body));
        input = &input[(nl + 1 + m + b).min(input.len())..];
    }
}

/// Re-frames parsed requests (e.g. after editing the getinfo args).
pub fn frame_requests(chunks: &[(serde_json::Value, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (meta, body) in chunks {
        out.extend(chunk(&meta.to_string(), body));
    }
    out
}

/// Parses a CSV body into rows of strings (header first).
pub fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    if body.is_empty() {
        return Vec::new();
    }
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    r.records()
        .map(|rec| {
            rec.expect("well-formed reply CSV")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Parses a CSV body into byte rows (header first).
pub fn csv_byte_rows(body: &[u8]) -> Vec<Vec<Vec<u8>>> {
    if body.is_empty() {
        return Vec::new();
    }
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    r.byte_records()
        .map(|rec| {
            rec.expect("well-formed reply CSV")
                .iter()
                .map(<[u8]>::to_vec)
                .collect()
        })
        .collect()
}

/// Compares `actual` with a golden file; `UPDATE_GOLDEN=1` rewrites it.
pub fn assert_golden(name: &str, actual: &[u8]) {
    let path = tests_dir("golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "golden {}: {e} (UPDATE_GOLDEN=1 creates it)",
            path.display()
        )
    });
    if want != actual {
        panic!(
            "output differs from golden {}\n--- want\n{}\n--- got\n{}",
            path.display(),
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(actual)
        );
    }
}

/// The added fields, in order.
pub const ADDED: [&str; 18] = [
    "risk_score",
    "risk_message",
    "risk_object",
    "risk_object_type",
    "threat_object",
    "threat_object_type",
    "match_reason",
    "detection_id",
    "detection_name",
    "analyticstories",
    "annotations.mitre_attack",
    "annotations.mitre_attack.mitre_technique_id",
    "annotations.mitre_attack.mitre_technique",
    "annotations.mitre_attack.mitre_tactic_id",
    "annotations.mitre_attack.mitre_tactic",
    "annotations.kill_chain_phases",
    "annotations.nist",
    "annotations.cis20",
];

/// Python 3 for the splunkd stand-in.
pub fn python() -> &'static str {
    "python3"
}

/// A temporary directory for one test.
pub fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "wmilolbas-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `scan`'s JSON rows on the layout samples (`tests/data/layouts`): the
/// helpers of the layout and EDR tests.
pub mod layout_json {
    use serde_json::Value;

    use super::{bin, data, run_program, Run};

    /// `scan --format json ARGS FILE` from `tests/data/layouts`.
    pub fn scan(file: &str, args: &[&str]) -> Run {
        let mut full = vec!["scan", "--format", "json"];
        full.extend_from_slice(args);
        full.push(file);
        run_program(&bin(), &full, b"", Some(&data("layouts")))
    }

    pub fn rows(r: &Run) -> Vec<Value> {
        r.stdout_str()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The row whose process is `name` (case-insensitive).
    pub fn row<'a>(rows: &'a [Value], name: &str) -> &'a Value {
        rows.iter()
            .find(|r| {
                r["process_name"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(name)
            })
            .unwrap_or_else(|| panic!("no {name} row in {rows:#?}"))
    }

    pub fn field<'a>(r: &'a Value, name: &str) -> &'a str {
        r[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {r}"))
    }
}
