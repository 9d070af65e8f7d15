#!/usr/bin/env python3
"""What the lineage correlation search hands | wmilolbas each hour, and what
the command costs for it.

The search ("wmilolbas - Wmiprvse LOLBAS Execution Through a Shell - Rule")
runs hourly over 120 minutes and its tstats returns every launcher process
(cmd.exe, powershell.exe, pwsh.exe) and every launcher's child whose name is
one of the 55 catalog names. With H endpoints creating R processes an hour
each, of which a share S passes that condition, one run hands the command

    rows = H x R x 2 h x S

rows (tstats returns one row per process: the BY clause holds the process
GUID and PID). This script generates a session of that many rows as the
trimmed tstats returns them (its 12 BY fields, count, firstTime, lastTime;
launchers linked to their parents and children by GUID, a few through
wmiprvse.exe), frames it as splunkd sends it (50,000 rows per chunk, __mv_
columns), runs the release binary with the search's own arguments (read from
default/savedsearches.conf, macros expanded) and prints the rows, the
detections, the median wall time and the peak RSS (GNU time).

Defaults (README, "What the lineage search costs", cites both):
  --per-host-hour 316   process creations per host per hour
  --share 0.157         share that passes the tstats condition (launchers
                        0.102 + launchers' catalog children 0.055)

    python3 benches/lineage_volume.py [--hosts 1000] [--runs 5]

Stdlib only; builds nothing (run `cargo build --release` first).
"""
import argparse
import csv
import io
import os
import random
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "target", "bench")
BIN = os.path.join(ROOT, "target", "release", "wmilolbas")
SEARCH = "wmilolbas - Wmiprvse LOLBAS Execution Through a Shell - Rule"
LAUNCHERS = ["cmd.exe", "powershell.exe", "pwsh.exe"]
LAUNCHER_WEIGHTS = [0.75, 0.23, 0.02]
SHELL_PARENTS = ["explorer.exe", "svchost.exe", "services.exe", "cmd.exe", "powershell.exe",
                 "CcmExec.exe", "taskhostw.exe"]
BENIGN_CATALOG = ["rundll32.exe", "regsvr32.exe", "netsh.exe", "schtasks.exe", "msiexec.exe",
                  "wmic.exe", "dllhost.exe", "explorer.exe", "hh.exe", "mmc.exe"]
FIELDS = ["dest", "original_file_name", "parent_process_guid", "parent_process_id",
          "parent_process_name", "parent_process_path", "process", "process_guid", "process_id",
          "process_name", "process_path", "user"]
SYS32 = "C:\\Windows\\System32\\"


def conf(path):
    """Parses a .conf file: {stanza: {key: value}}."""
    out, stanza = {}, None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^\[(.*)\]$", line)
        if m:
            stanza = m.group(1)
            out[stanza] = {}
        elif " = " in line:
            k, v = line.split(" = ", 1)
            out[stanza][k.strip()] = v
    return out


def search_args():
    """The lineage search's arguments to | wmilolbas, its macros expanded."""
    saved = conf(os.path.join(ROOT, "default", "savedsearches.conf"))
    macros = conf(os.path.join(ROOT, "default", "macros.conf"))
    seg = saved[SEARCH]["search"].split("| wmilolbas ", 1)[1]
    seg = re.split(r'\|(?=(?:[^"]*"[^"]*")*[^"]*$)', seg)[0]
    by = saved[SEARCH]["search"].split(" by ", 1)[1].split("|", 1)[0].split()
    fields = [f.removeprefix("Processes.") for f in by]
    parts = seg.split("`")
    return "".join(macros[p]["definition"] if i % 2 else p for i, p in enumerate(parts)).strip(), fields


def guid(rng):
    return "{%08x-%04x-%04x-0000-%012x}" % (rng.getrandbits(32), rng.getrandbits(16),
                                           rng.getrandbits(16), rng.getrandbits(48))


def generate(path, hosts, per_host, share, child_share, seed):
    """Writes the tstats rows; returns (rows, chains through wmiprvse.exe)."""
    rng = random.Random(seed)
    t0 = 1_700_000_000.0
    rows, chains = 0, 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(FIELDS + ["count", "firstTime", "lastTime"])
        for h in range(hosts):
            dest = f"WS-{h:05d}"
            user = f"CORP\\user{h % 997}"
            n = per_host
            n_children = round(n * child_share)
            shells = []
            for _ in range(n - n_children):
                t = t0 + rng.random() * 7200
                name = rng.choices(LAUNCHERS, LAUNCHER_WEIGHTS)[0]
                # About one shell in 400 is started by WMI (management scripts).
                parent = "WmiPrvSE.exe" if rng.random() < 0.0025 else rng.choice(SHELL_PARENTS)
                g, pid = guid(rng), str(rng.randrange(4, 65536, 4))
                shells.append((g, pid, name, t, parent))
                cmdline = f'{name} /c "echo {rng.getrandbits(24):06x}"' if name == "cmd.exe" \
                    else f"{name} -NoProfile -Command Get-Item {rng.getrandbits(24):06x}"
                w.writerow([dest, name.upper(), guid(rng), str(rng.randrange(4, 65536, 4)), parent,
                            SYS32 + parent, cmdline, g, pid, name, SYS32 + name, user,
                            "1", f"{t:.3f}", f"{t:.3f}"])
                rows += 1
            for _ in range(n_children):
                pg, ppid, pname, pt, pparent = rng.choice(shells)
                child = rng.choice(BENIGN_CATALOG)
                t = pt + rng.random() * 5
                chains += pparent == "WmiPrvSE.exe"
                w.writerow([dest, child.upper(), pg, ppid, pname, SYS32 + pname,
                            f"{child} {rng.getrandbits(24):06x}", guid(rng),
                            str(rng.randrange(4, 65536, 4)), child, SYS32 + child, user,
                            "1", f"{t:.3f}", f"{t:.3f}"])
                rows += 1
    return rows, chains


def reply_rows(stream):
    """Data rows in the command's replies."""
    n, i = 0, 0
    while i < len(stream):
        nl = stream.index(b"\n", i)
        _, m, b = stream[i:nl].decode().split(",")
        body = stream[nl + 1 + int(m): nl + 1 + int(m) + int(b)]
        i = nl + 1 + int(m) + int(b)
        if body:
            n += max(0, len(list(csv.reader(io.StringIO(body.decode("utf-8", "replace"))))) - 1)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--per-host-hour", type=float, default=316.0)
    ap.add_argument("--share", type=float, default=0.157)
    ap.add_argument("--child-share", type=float, default=0.055,
                    help="of all processes, launchers' catalog children (the rest of --share are launchers)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=25)
    o = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: run cargo build --release first")
    os.makedirs(WORK, exist_ok=True)
    per_host = round(o.per_host_hour * 2 * o.share)
    args, fields = search_args()
    assert fields == FIELDS, f"the search's BY clause changed: {fields}"
    csv_path = os.path.join(WORK, f"lineage_volume_{o.hosts}.csv")
    rows, chains = generate(csv_path, o.hosts, per_host, o.share, o.child_share / o.share, o.seed)
    stream = os.path.join(WORK, f"lineage_volume_{o.hosts}.bin")
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "tools", "mkstream.py"), csv_path, stream,
                    "--rows-per-chunk", "50000", "--mv", "--args", args], check=True)
    times, rss, out = [], [], b""
    for _ in range(o.runs):
        with open(stream, "rb") as fin:
            p = subprocess.run(["/usr/bin/time", "-f", "%e %M", BIN], stdin=fin,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
        e, m = p.stderr.decode().strip().splitlines()[-1].split()
        times.append(float(e))
        rss.append(int(m))
        out = p.stdout
    print(f"args: {args}")
    print(f"{o.hosts} hosts x {o.per_host_hour:g} processes/h x 2 h x {o.share:g} = {rows} rows per run "
          f"({per_host} per host; {os.path.getsize(stream) / 1e6:.1f} MB as splunkd sends them)")
    print(f"detections returned (filter mode, before | search match_reason IN ...): {reply_rows(out)} "
          f"(chains through wmiprvse.exe generated: {chains})")
    print(f"wall time: median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
          f"{o.runs} runs); peak RSS: {max(rss) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
