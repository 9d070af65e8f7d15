#!/usr/bin/env python3
"""Session-replay benchmark: wmilolbas vs the splunklib peer vs cat.

Generates a splunkd-like request stream (tests/tools/gen_processes.py rows,
tests/tools/mkstream.py framing with an __mv_ column per field, 50,000 rows
per chunk), replays it into each command (stdin from the file, stdout to
/dev/null), and prints rows/s, MB/s, peak RSS and the ratios. It also checks
that wmilolbas and the peer return the same number of rows, that peak RSS is
flat from 200,000 to 2,000,000 rows, and how long a probe run (getinfo, EOF)
takes.

    python3 benches/session_replay.py [--rows 200000] [--runs 7]

The peer (benches/peer/splunklib_wmilolbas.py, splunk-sdk 2.1.1) is installed
into .tools/bench on first use (PyPI). It also times lineage=true against the
default rule on the same rows (--lineage-only: just that), and with
--lineage-dense on rows that form real process trees (tests/tools/gen_tree.py:
every row with a GUID and a PID, about a tenth with a launcher parent); for
those it prints the ratio of wall times and of CPU times (user + system).
--bin PATH measures that binary instead of building this tree's.
"""
import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "target", "bench")
VENV = os.path.join(ROOT, ".tools", "bench")


def sh(*args, **kw):
    subprocess.run(args, check=True, **kw)


GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def run_once(cmd, stdin_path, with_rss=False):
    """Runs cmd with stdin from a file; returns (seconds, peak RSS KiB or None,
    user seconds, system seconds).

    Peak RSS comes from GNU time when installed: a child forked from this
    Python process would report Python's own pages as its high-water mark."""
    with_rss = with_rss and GNU_TIME is not None
    wrapped = [GNU_TIME, "-f", "%M", "--"] + cmd if with_rss else cmd
    with open(stdin_path, "rb") as fin, open(os.devnull, "wb") as fout:
        t0 = time.perf_counter()
        p = subprocess.Popen(wrapped, stdin=fin, stdout=fout, stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({p.returncode}): {err[-400:]!r}")
    rss = int(err.split()[-1]) if with_rss else None
    return dt, rss, ru.ru_utime, ru.ru_stime


def measure(cmd, path, runs):
    """(median seconds, best seconds, peak RSS KiB or None, median user s, median system s)."""
    rss = run_once(cmd, path, with_rss=True)[1]  # also warms the page cache
    runs = [run_once(cmd, path) for _ in range(runs)]
    med = lambda i: statistics.median(r[i] for r in runs)
    return med(0), min(r[0] for r in runs), rss, med(2), med(3)


def measure_pair(cmd, path_a, path_b, runs):
    """Both sessions, runs alternating (a, b, a, b, ...), so a change in the
    machine's load falls on both: two measure() results."""
    rss = [run_once(cmd, p, with_rss=True)[1] for p in (path_a, path_b)]
    ra, rb = [], []
    for _ in range(runs):
        ra.append(run_once(cmd, path_a))
        rb.append(run_once(cmd, path_b))
    out = []
    for r, m in ((ra, rss[0]), (rb, rss[1])):
        med = lambda i: statistics.median(x[i] for x in r)
        out.append((med(0), min(x[0] for x in r), m, med(2), med(3)))
    return out


def cpu_ratio(a, b):
    """b's median CPU time (user + system, both threads) over a's: steadier
    than wall time on a shared VM, and a second view of the same runs."""
    return (b[3] + b[4]) / (a[3] + a[4])


def reply_rows(cmd, path):
    """Rows returned over a whole session (counts CSV records per reply)."""
    import csv
    import io
    with open(path, "rb") as f:
        out = subprocess.run(cmd, stdin=f, capture_output=True, check=True).stdout
    i, n = 0, 0
    while i < len(out):
        j = out.index(b"\n", i)
        m = re.match(rb"chunked 1\.0,(\d+),(\d+)", out[i:j])
        ml, bl = int(m[1]), int(m[2])
        body = out[j + 1 + ml:j + 1 + ml + bl]
        if body:
            n += sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8", "replace")))) - 1
        i = j + 1 + ml + bl
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--lineage-only", action="store_true",
                    help="only lineage=true against the default rule on the same rows")
    ap.add_argument("--lineage-dense", action="store_true",
                    help="only lineage=true against the default rule on process-tree rows "
                         "(every row with a GUID and a PID, a tenth with a launcher parent)")
    ap.add_argument("--bin", help="the wmilolbas binary to measure (default: build this tree's)")
    o = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)

    if o.bin:
        ours = [os.path.abspath(o.bin)]
    else:
        sh("cargo", "build", "--release", "--quiet", cwd=ROOT)
        ours = [os.path.join(ROOT, "target", "release", "wmilolbas")]
    py = [sys.executable]
    if o.lineage_dense:
        return lineage_dense(o, ours, py)
    rows_csv = os.path.join(WORK, f"rows{o.rows}.csv")
    if not os.path.exists(rows_csv):
        sh(*py, os.path.join(ROOT, "tests/tools/gen_processes.py"), "--rows", str(o.rows), "--seed", "1",
           "--out", rows_csv, stderr=subprocess.DEVNULL)
    mk = os.path.join(ROOT, "tests/tools/mkstream.py")
    s_ours = os.path.join(WORK, f"session{o.rows}_strict.bin")
    s_peer = os.path.join(WORK, f"session{o.rows}_peer.bin")
    s_big = os.path.join(WORK, f"session{o.rows * 10}_strict.bin")
    s_ann = os.path.join(WORK, f"session{o.rows}_annotate.bin")
    s_default = os.path.join(WORK, f"session{o.rows}_default.bin")
    s_lineage = os.path.join(WORK, f"session{o.rows}_lineage.bin")
    p_ours = os.path.join(WORK, "probe_ours.bin")
    p_peer = os.path.join(WORK, "probe_peer.bin")
    for path, args, repeat in [(s_ours, "strict=true", 1), (s_peer, "", 1), (s_big, "strict=true", 10),
                               (s_ann, "strict=true mode=annotate", 1), (s_default, "", 1),
                               (s_lineage, "lineage=true", 1)]:
        if not os.path.exists(path):
            sh(*py, mk, rows_csv, path, "--rows-per-chunk", "50000", "--mv", "--args", args, "--repeat", str(repeat))
    for session, probe in [(s_ours, p_ours), (s_peer, p_peer)]:
        with open(session, "rb") as f:
            head = f.readline()
            m = re.match(rb"chunked 1\.0,(\d+),(\d+)", head)
            meta = f.read(int(m[1]))
        with open(probe, "wb") as f:
            f.write(head + meta)  # getinfo only, then EOF

    size = os.path.getsize(s_ours)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"session: {o.rows:,} rows, 50,000 rows/chunk, __mv_ columns, {size / 1e6:.1f} MB "
          f"({s_ours}); median of {o.runs} runs")

    results = {}
    # lineage=true against the default rule on the same rows (the rows
    # carry dest, PIDs and _time; links by host + PID + time).
    a, b = measure_pair(ours, s_default, s_lineage, o.runs)
    lin = {"wmilolbas default rule": a, "wmilolbas lineage=true": b}
    if o.lineage_only:
        for name, (med, best, rss, user, system) in lin.items():
            print(f"{name:<24}{med:>10.3f} s median{best:>9.3f} s best{o.rows / med:>14,.0f} rows/s"
                  f"{(rss or 0) / 1024:>8.1f} MB")
        a, b = reply_rows(ours, s_default), reply_rows(ours, s_lineage)
        print(f"lineage=true: {lin['wmilolbas lineage=true'][0] / lin['wmilolbas default rule'][0]:.2f}x "
              f"the default rule's time; rows returned {a:,} -> {b:,}")
        print(f"lineage=true: {cpu_ratio(lin['wmilolbas default rule'], lin['wmilolbas lineage=true']):.2f}x "
              f"the default rule's CPU time (user + system)")
        return
    results["wmilolbas strict=true"] = measure(ours, s_ours, o.runs)
    results["cat"] = measure(["cat"], s_ours, o.runs)
    results["wmilolbas mode=annotate"] = measure(ours, s_ann, o.runs)
    # The SSE2 path (hosts without AVX2), and what reading each chunk into a
    # chunk-sized buffer costs by itself (no processing).
    results["wmilolbas SSE2 path"] = measure(["env", "WMILOLBAS_SIMD=sse2"] + ours, s_ours, o.runs)
    results["dd bs=16M (read only)"] = measure(["dd", "bs=16M", "status=none"], s_ours, o.runs)
    if not o.skip_peer:
        if not os.path.exists(os.path.join(VENV, "bin", "python")):
            sh(*py, "-m", "venv", VENV)
            sh(os.path.join(VENV, "bin", "pip"), "install", "--quiet", "--disable-pip-version-check",
               "splunk-sdk==2.1.1")
        peer = [os.path.join(VENV, "bin", "python"), os.path.join(ROOT, "benches/peer/splunklib_wmilolbas.py")]
        results["splunklib peer"] = measure(peer, s_peer, max(3, o.runs // 2))

    print(f"\n{'command':<24}{'median s':>10}{'best s':>9}{'rows/s':>14}{'MB/s':>9}{'peak RSS':>11}"
          f"{'user ms':>9}{'sys ms':>8}")
    for name, (med, best, rss, user, system) in results.items():
        mem = f"{rss / 1024:>8.1f} MB" if rss else "       n/a"
        print(f"{name:<24}{med:>10.3f}{best:>9.3f}{o.rows / med:>14,.0f}{size / med / 1e6:>9.0f}{mem}"
              f"{user * 1e3:>9.1f}{system * 1e3:>8.1f}")
    results.update(lin)
    ours_t = results["wmilolbas strict=true"][0]
    if "splunklib peer" in results:
        print(f"\nwmilolbas vs splunklib: {results['splunklib peer'][0] / ours_t:.1f}x faster (median)")
        a, b = reply_rows(ours, s_ours), reply_rows(peer, s_peer)
        print(f"rows returned: wmilolbas {a:,}, splunklib {b:,} ({'same' if a == b else 'DIFFERENT'})")
    print(f"wmilolbas vs cat: {ours_t / results['cat'][0]:.1f}x cat's time "
          f"(SSE2 path {results['wmilolbas SSE2 path'][0] / results['cat'][0]:.1f}x; "
          f"dd bs=16M {results['dd bs=16M (read only)'][0] / results['cat'][0]:.1f}x)")
    ann_t = results["wmilolbas mode=annotate"][0]
    print(f"annotate mode: {size / ann_t / 1e9:.2f} GB/s of input, {ann_t / results['cat'][0]:.1f}x cat's time")
    print(f"lineage=true: {lin['wmilolbas lineage=true'][0] / lin['wmilolbas default rule'][0]:.2f}x "
          f"the default rule's time on the same rows")
    simd = os.environ.get("WMILOLBAS_SIMD")
    print(f"SIMD path: {simd or 'auto (AVX2, else SSE2 on x86-64; NEON on aarch64)'}")

    big_med, _, big_rss, _, _ = measure(ours, s_big, 3)
    if big_rss:
        print(f"\npeak RSS: {results['wmilolbas strict=true'][2] / 1024:.1f} MB at {o.rows:,} rows, "
              f"{big_rss / 1024:.1f} MB at {o.rows * 10:,} rows ({o.rows * 10 / big_med:,.0f} rows/s)")
    else:
        print(f"\n{o.rows * 10:,} rows: {o.rows * 10 / big_med:,.0f} rows/s (install GNU time for peak RSS)")
    probe = measure(ours, p_ours, 20)
    line = f"probe run (getinfo, EOF): wmilolbas {probe[0] * 1000:.1f} ms"
    if not o.skip_peer:
        pp = measure(peer, p_peer, 5)
        line += f", splunklib {pp[0] * 1000:.0f} ms"
    print(line)


def lineage_dense(o, ours, py):
    """lineage=true against the default rule on rows that form process trees."""
    rows_csv = os.path.join(WORK, f"tree{o.rows}.csv")
    if not os.path.exists(rows_csv):
        sh(*py, os.path.join(ROOT, "tests/tools/gen_tree.py"), "--rows", str(o.rows), "--seed", "1",
           "--out", rows_csv)
    mk = os.path.join(ROOT, "tests/tools/mkstream.py")
    sessions = {}
    for name, args in [("default rule", ""), ("lineage=true", "lineage=true")]:
        path = os.path.join(WORK, f"tree{o.rows}_{'lineage' if args else 'default'}.bin")
        if not os.path.exists(path):
            sh(*py, mk, rows_csv, path, "--rows-per-chunk", "50000", "--mv", "--args", args)
        sessions[name] = path
    size = os.path.getsize(sessions["default rule"])
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"session: {o.rows:,} process-tree rows (GUID and PID on every row, ~10% launcher parents), "
          f"50,000 rows/chunk, __mv_ columns, {size / 1e6:.1f} MB; median of {o.runs} runs, alternating")
    a, b = measure_pair(ours, sessions["default rule"], sessions["lineage=true"], o.runs)
    res = {"default rule": a, "lineage=true": b}
    for name, (med, best, rss, user, system) in res.items():
        print(f"wmilolbas {name:<14}{med:>10.3f} s median{best:>9.3f} s best{o.rows / med:>14,.0f} rows/s"
              f"{(rss or 0) / 1024:>8.1f} MB")
    a, b = reply_rows(ours, sessions["default rule"]), reply_rows(ours, sessions["lineage=true"])
    print(f"lineage=true: {res['lineage=true'][0] / res['default rule'][0]:.2f}x the default rule's time; "
          f"rows returned {a:,} -> {b:,}")
    print(f"lineage=true: {cpu_ratio(res['default rule'], res['lineage=true']):.2f}x "
          f"the default rule's CPU time (user + system)")


if __name__ == "__main__":
    main()
