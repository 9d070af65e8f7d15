//! The hot path: one 50,000-row execute body (splunkd-shaped: every field
//! plus its `__mv_` column, splunkd's quoting) through the transform, at a
//! 2 % and a 100 % detection rate, in filter and annotate mode.
//!
//! Run: `cargo bench --bench hot_path`. Criterion reports MB/s of body; the
//! 2 % filter case also runs on every SIMD path the host has
//! (`filter_2pct_<isa>`), and `copy_body` (one `memcpy` of the body into the
//! reply buffer) is the in-process stand-in for `cat`. A summary at the end
//! prints each case's median time as a multiple of `copy_body`'s, from the
//! same run.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use std::time::{Duration, Instant};

use wmilolbas::options::Options;
use wmilolbas::records::simd::{with_isa, Isa};
use wmilolbas::rule::Catalog;
use wmilolbas::transform::Transform;

const ROWS: usize = 50_000;

/// A tiny deterministic PRNG (xorshift), so the body is the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// splunkd quotes every non-empty value with a character other than ASCII
/// letters and digits.
fn cell(out: &mut String, v: &str) {
    if !v.is_empty() && v.bytes().any(|b| !b.is_ascii_alphanumeric()) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}

fn body(hit_percent: u64) -> Vec<u8> {
    const FIELDS: [&str; 12] = [
        "_time",
        "dest",
        "user",
        "parent_process_name",
        "parent_process",
        "parent_process_path",
        "parent_process_id",
        "process_name",
        "process",
        "process_path",
        "process_id",
        "original_file_name",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut s = String::new();
    let header: Vec<String> = FIELDS
        .iter()
        .map(|f| f.to_string())
        .chain(FIELDS.iter().map(|f| format!("__mv_{f}")))
        .collect();
    for (i, h) in header.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        cell(&mut s, h);
    }
    s.push('\n');
    let lolbas = [
        "rundll32.exe",
        "MSHTA.EXE",
        "msbuild.exe",
        "Regsvr32.exe",
        "wmic.exe",
    ];
    let benign = [
        "conhost.exe",
        "svchost.exe",
        "chrome.exe",
        "notepad.exe",
        "git.exe",
        "python.exe",
    ];
    let parents = [
        "explorer.exe",
        "services.exe",
        "svchost.exe",
        "cmd.exe",
        "powershell.exe",
    ];
    for i in 0..ROWS {
        // Spread the detections evenly: row i hits when (i * 7919) mod 100
        // falls below the rate.
        let hit = (i as u64 * 7919) % 100 < hit_percent;
        let (parent, child) = if hit {
            ("WmiPrvSE.exe", rng.pick(&lolbas))
        } else {
            (rng.pick(&parents), rng.pick(&benign))
        };
        let vals = [
            format!("{}.{:03}", 1_700_000_000 + i, i % 1000),
            format!("WS-{:04}.corp.example.com", rng.next() % 5000),
            format!("CORP\\user{}", rng.next() % 300),
            parent.to_string(),
            format!("C:\\Windows\\System32\\{parent} -k netsvcs"),
            format!("C:\\Windows\\System32\\{parent}"),
            (rng.next() % 30000).to_string(),
            child.to_string(),
            format!(
                "\"C:\\Program Files\\App\\{child}\" --flag=\"a, b\" /c {}",
                rng.next() % 99999
            ),
            format!("C:\\Program Files\\App\\{child}"),
            (rng.next() % 30000).to_string(),
            child.to_ascii_uppercase(),
        ];
        for (k, v) in vals.iter().enumerate() {
            if k > 0 {
                s.push(',');
            }
            cell(&mut s, v);
        }
        s.push_str(&",".repeat(FIELDS.len())); // the empty __mv_ cells
        s.push('\n');
    }
    s.into_bytes()
}

/// Median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed()
        })
        .collect();
    t.sort();
    t[runs / 2]
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("execute_body_50k_rows");
    group.sample_size(20);
    let mut summary = Vec::new();
    let copy_src = body(2);
    let mut copy_out = Vec::with_capacity(copy_src.len());
    group.throughput(Throughput::Bytes(copy_src.len() as u64));
    group.bench_function("copy_body", |b| {
        b.iter(|| {
            copy_out.clear();
            copy_out.extend_from_slice(&copy_src);
            copy_out.len()
        })
    });
    let copy_t = median(31, || {
        copy_out.clear();
        copy_out.extend_from_slice(&copy_src);
        std::hint::black_box(&copy_out);
    });
    let mut cases: Vec<(String, u64, &str, Option<Isa>)> = vec![
        ("filter_2pct".into(), 2, "filter", None),
        ("filter_100pct".into(), 100, "filter", None),
        ("annotate_2pct".into(), 2, "annotate", None),
    ];
    for isa in Isa::available() {
        cases.push((
            format!("filter_2pct_{}", isa.name()),
            2,
            "filter",
            Some(isa),
        ));
    }
    for (name, hit, mode, isa) in cases {
        let isa = isa.unwrap_or_else(Isa::current);
        let body = body(hit);
        let options = Options::from_args(&[format!("mode={mode}"), "strict=true".into()]).unwrap();
        let mut t = Transform::new(&options, Catalog::escu());
        let mut out = Vec::with_capacity(body.len() * 2);
        let mut msgs = Vec::new();
        out.clear();
        let stats = t.process(2, &body, &mut out, &mut msgs).unwrap();
        assert_eq!(stats.rows, ROWS as u64);
        eprintln!("{name}: {} bytes, {} detections", body.len(), stats.hits);
        group.throughput(Throughput::Bytes(body.len() as u64));
        let mut run = || {
            out.clear();
            msgs.clear();
            with_isa(isa, || t.process(2, &body, &mut out, &mut msgs).unwrap())
        };
        group.bench_function(&name, |b| b.iter(&mut run));
        let m = median(31, || {
            run();
        });
        summary.push((name, body.len(), m));
    }
    group.finish();
    eprintln!("\nsummary (median of 31 runs each, same process):");
    eprintln!(
        "  copy_body (cat stand-in): {:>8.2} ms  {:>6.2} GB/s",
        copy_t.as_secs_f64() * 1e3,
        copy_src.len() as f64 / copy_t.as_secs_f64() / 1e9
    );
    for (name, len, m) in summary {
        eprintln!(
            "  {name:<24} {:>8.2} ms  {:>6.2} GB/s  {:>5.1}x copy_body's time",
            m.as_secs_f64() * 1e3,
            len as f64 / m.as_secs_f64() / 1e9,
            m.as_secs_f64() / copy_t.as_secs_f64()
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
