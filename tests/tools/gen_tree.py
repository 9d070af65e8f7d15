#!/usr/bin/env python3
"""gen_tree.py - deterministic Endpoint.Processes rows that form real process trees.

Every row carries a process GUID and PID and its parent's GUID, PID and name,
as a tstats search over Sysmon data returns them (`by Processes.process_guid
Processes.parent_process_guid Processes.process_id Processes.parent_process_id
...`). About --launcher-share of the rows have a launcher parent (cmd.exe,
powershell.exe), the shape lineage=true walks; a few are WMI chains
(WmiPrvSE.exe > cmd.exe > a LOLBAS binary); PIDs are reused on each host.
Rows come in time order.

    python3 gen_tree.py --rows 200000 --seed 1 --out tree.csv

Stdlib only. Same --seed and options => byte-identical output.
"""

import argparse
import csv
import random
import sys
import uuid

FIELDS = ["_time", "dest", "user", "parent_process_name", "parent_process_path",
          "parent_process_id", "parent_process_guid", "process_name", "process_path",
          "process_id", "process_guid", "process", "original_file_name"]

SYS32 = "C:\\Windows\\System32\\"
LAUNCHERS = ["cmd.exe", "powershell.exe"]
LOLBAS = ["rundll32.exe", "mshta.exe", "regsvr32.exe", "certutil.exe", "bitsadmin.exe"]
OTHER_PARENTS = ["explorer.exe", "services.exe", "svchost.exe", "chrome.exe", "taskhostw.exe"]
BENIGN = ["conhost.exe", "notepad.exe", "whoami.exe", "ipconfig.exe", "git.exe", "python.exe",
          "tasklist.exe", "find.exe", "reg.exe", "net.exe"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=200000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--hosts", type=int, default=1000)
    p.add_argument("--launcher-share", type=float, default=0.10)
    p.add_argument("--out", "-o", default="-")
    o = p.parse_args(argv)
    rng = random.Random(o.seed)
    guid = lambda: "{" + str(uuid.UUID(int=rng.getrandbits(128))) + "}"
    hosts = [f"WS-{i:04d}.corp.example.com" for i in range(o.hosts)]
    # Per host: live launchers and the one WMI provider host, as
    # (name, pid, guid).
    launchers = {h: [] for h in hosts}
    wmi = {h: ("WmiPrvSE.exe", rng.randrange(4, 65536, 4), guid()) for h in hosts}
    fh = sys.stdout if o.out == "-" else open(o.out, "w", newline="", encoding="utf-8")
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(FIELDS)
    t = 1735689600.0
    for i in range(o.rows):
        t += rng.random() * 0.02
        host = rng.choice(hosts)
        r = rng.random()
        if r < o.launcher_share and launchers[host]:
            parent = rng.choice(launchers[host])
            child = rng.choice(LOLBAS if rng.random() < 0.05 else BENIGN + LAUNCHERS)
        elif r < o.launcher_share + 0.005:
            parent = wmi[host]
            child = rng.choice(LAUNCHERS)
        else:
            parent = (rng.choice(OTHER_PARENTS), rng.randrange(4, 65536, 4), guid())
            child = rng.choice(BENIGN + LAUNCHERS + LAUNCHERS)
        pid, g = rng.randrange(4, 65536, 4), guid()
        if child in LAUNCHERS:
            launchers[host].append((child, pid, g))
            if len(launchers[host]) > 8:
                launchers[host].pop(rng.randrange(len(launchers[host])))
        ppath = (SYS32 + "wbem\\" if parent[0] == "WmiPrvSE.exe" else SYS32) + parent[0]
        path = SYS32 + child
        line = f"{child} /c run.bat" if child == "cmd.exe" else f"{path} -arg {i}"
        w.writerow([f"{t:.3f}", host, "CORP\\alice", parent[0], ppath, parent[1], parent[2],
                    child, path, pid, g, line, child.upper()])
    if fh is not sys.stdout:
        fh.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
