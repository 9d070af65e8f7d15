//! `lineage=true` end to end: the real binary driven by the splunkd
//! stand-in over the lineage fixtures (tests/data/lineage, made by
//! tests/tools/mk_lineage_fixtures.py), newest row first and cut into chunks
//! every way, so children arrive chunks before their parents; and the
//! hostile cases (a million orphans, caps, the WARN).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::fake_splunkd::{fake_splunkd, Session};
use crate::util::*;

/// `tag → expect` of a fixture (only the rows that must come back).
fn expected(path: &Path) -> BTreeMap<String, String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let (tag, expect) = (
        h.iter().position(|x| x == "tag").unwrap(),
        h.iter().position(|x| x == "expect").unwrap(),
    );
    r.records()
        .map(|x| x.unwrap())
        .filter(|x| !x[expect].is_empty())
        .map(|x| (x[tag].to_string(), x[expect].to_string()))
        .collect()
}

/// `tag → match_reason|lineage_path` of what a session returned; a tag
/// returned twice fails.
fn returned(s: &Session) -> BTreeMap<String, String> {
    let col = |name: &str| {
        s.header
            .iter()
            .position(|h| h == name || h == &format!("Processes.{name}"))
            .unwrap_or_else(|| panic!("no {name} in {:?}", s.header))
    };
    let (tag, reason, path) = (col("tag"), col("match_reason"), col("lineage_path"));
    let mut out = BTreeMap::new();
    for row in &s.rows {
        if row[reason].is_empty() {
            continue;
        }
        let prev = out.insert(row[tag].clone(), format!("{}|{}", row[reason], row[path]));
        assert!(prev.is_none(), "{} returned twice", row[tag]);
    }
    out
}

fn fixture(name: &str) -> PathBuf {
    data(&format!("lineage/{name}"))
}

/// The fixture with every field but `_time` prefixed `Processes.` (tstats
/// before `drop_dm_object_name`).
fn prefixed(path: &Path) -> PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let header: Vec<String> = header
        .split(',')
        .map(|h| {
            if h == "_time" {
                h.to_string()
            } else {
                format!("Processes.{h}")
            }
        })
        .collect();
    let out = tempdir().join("prefixed.csv");
    std::fs::write(&out, format!("{}\n{rest}", header.join(","))).unwrap();
    out
}

const CHUNKINGS: [&[&str]; 5] = [
    &["--chunk-rows", "1"],
    &["--chunk-rows", "2", "--finish-mode", "header-only"],
    &["--chunk-rows", "3", "--inject-empty-chunks"],
    &["--random-chunk-sizes", "11", "--chunk-rows", "5"],
    &["--chunk-rows", "50000", "--finish-mode", "empty-body"],
];

#[test]
fn guid_and_pid_chains_are_found_in_every_chunking_and_the_decoys_are_not() {
    for name in ["chains_guid.csv", "chains_pid.csv"] {
        let path = fixture(name);
        let want = expected(&path);
        assert_eq!(want.len(), 5, "{name}: A, B, C, G and J");
        for input in [path.clone(), prefixed(&path)] {
            for extra in CHUNKINGS {
                let s = fake_splunkd(Some(&input), "lineage=true", extra, &bin());
                assert_eq!(
                    s.summary["getinfo_reply"]["metadata"]["type"], "stateful",
                    "lineage runs where it sees every row"
                );
                assert_eq!(returned(&s), want, "{name} {extra:?} {}", input.display());
            }
        }
    }
}

#[test]
fn annotate_mode_returns_every_row_once_with_its_verdict() {
    for name in ["chains_guid.csv", "chains_pid.csv"] {
        let path = fixture(name);
        let rows = csv::Reader::from_path(&path).unwrap().records().count();
        let s = fake_splunkd(
            Some(&path),
            "lineage=true mode=annotate",
            &["--chunk-rows", "2"],
            &bin(),
        );
        assert_eq!(s.rows.len(), rows, "{name}");
        assert_eq!(returned(&s), expected(&path), "{name}");
        let tag = s.header.iter().position(|h| h == "tag").unwrap();
        let mut tags: Vec<_> = s.rows.iter().map(|r| r[tag].clone()).collect();
        tags.sort();
        tags.dedup();
        assert_eq!(tags.len(), rows, "{name}: every row exactly once");
    }
}

#[test]
fn without_lineage_only_the_direct_child_is_found_as_before() {
    for name in ["chains_guid.csv", "chains_pid.csv"] {
        let s = fake_splunkd(Some(&fixture(name)), "", &["--chunk-rows", "2"], &bin());
        assert_eq!(s.summary["getinfo_reply"]["metadata"]["type"], "streaming");
        let tag = s.header.iter().position(|h| h == "tag").unwrap();
        let tags: Vec<_> = s.rows.iter().map(|r| r[tag].as_str()).collect();
        assert_eq!(tags, ["J-rundll32"]);
        assert!(!s.header.iter().any(|h| h == "lineage_path"));
    }
}

#[test]
fn lineage_detections_carry_their_own_identity_and_their_launchers_techniques() {
    let s = fake_splunkd(
        Some(&fixture("chains_guid.csv")),
        "lineage=true",
        &["--chunk-rows", "4"],
        &bin(),
    );
    let col = |name: &str| s.header.iter().position(|h| h == name).unwrap();
    let by_tag: BTreeMap<&str, &Vec<String>> =
        s.rows.iter().map(|r| (r[col("tag")].as_str(), r)).collect();
    let msbuild = by_tag["A-msbuild"];
    assert_eq!(
        msbuild[col("detection_id")],
        "18c7474d-dc38-4e8c-9687-0bee44df759e"
    );
    assert_eq!(
        msbuild[col("detection_name")],
        "Wmiprvse LOLBAS Execution Through a Shell"
    );
    // the stand-in folds __mv_ cells into newline-joined values
    assert_eq!(
        msbuild[col("annotations.mitre_attack.mitre_technique_id")],
        "T1047\nT1059.003"
    );
    assert_eq!(
        msbuild[col("annotations.mitre_attack.mitre_technique")],
        "Windows Management Instrumentation\nWindows Command Shell"
    );
    assert_eq!(msbuild[col("threat_object")], "MSBuild.exe");
    assert_eq!(msbuild[col("risk_score")], "54");
    assert_eq!(
        msbuild[col("risk_message")],
        "Wmiprvse.exe started a LOLBAS process through a shell on WS-1."
    );
    let smbmap = by_tag["C-cmd"];
    assert_eq!(smbmap[col("threat_object")], "rundll32.exe");
    assert_eq!(
        smbmap[col("annotations.mitre_attack.mitre_technique_id")],
        "T1047\nT1059.003"
    );
    let direct = by_tag["J-rundll32"];
    assert_eq!(
        direct[col("detection_id")],
        "95a455f0-4c04-11ec-b8ac-3e22fbd008af"
    );
    assert_eq!(
        direct[col("annotations.mitre_attack.mitre_technique_id")],
        "T1047"
    );
    // the end-of-search INFO gives the counts
    let info = s.summary["inspector_messages"].to_string();
    assert!(info.contains("4 lineage detections"), "{info}");
}

/// A getinfo request like [`getinfo`], with another dispatch directory.
fn getinfo_in(dispatch_dir: &str, args: &[&str]) -> Vec<u8> {
    let raw = getinfo(args);
    let text = String::from_utf8(raw).unwrap();
    let (_, meta) = text.split_once('\n').unwrap();
    let meta = meta.replace(
        "/opt/splunk/var/run/splunk/dispatch/1700000000.1",
        dispatch_dir,
    );
    chunk(&meta, b"")
}

#[test]
fn on_a_search_peer_lineage_stops_with_an_error_instead_of_missing_chains() {
    let input = [
        getinfo_in(
            "/opt/splunk/var/run/splunk/dispatch/remote_sh1_scheduler__admin__search__RMD5x_at_1700000000_7",
            &["lineage=true"],
        ),
        execute(true, b""),
    ]
    .concat();
    let r = run(&[], &input);
    assert_eq!(r.code, 1);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies.len(), 1);
    let error = replies[0].meta["error"].as_str().unwrap();
    assert!(
        error.contains("lineage=true needs every row in one process")
            && error.contains("remote_sh1_scheduler"),
        "{error}"
    );
    r.assert_no_secret();
    // the same search without lineage is fine there (the distributed package)
    let input = [
        getinfo_in("/x/dispatch/remote_sh1_1700000000.7", &[]),
        execute(true, b""),
    ]
    .concat();
    assert_eq!(run(&[], &input).code, 0);
}

#[test]
fn lineage_declares_stateful_even_in_the_distributed_package() {
    // The distributed package starts the binary with no argument (streaming).
    let input = [getinfo(&["lineage=true"]), execute(true, b"")].concat();
    let r = run(&[], &input);
    assert_eq!(r.code, 0);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies[0].meta["type"], "stateful");
    let input = [getinfo(&[]), execute(true, b"")].concat();
    let replies = parse_replies(&run(&[], &input).stdout);
    assert_eq!(replies[0].meta["type"], "streaming");
}

#[test]
fn raw_session_held_row_goes_out_in_the_reply_to_its_parents_chunk_and_the_final_reply_settles_the_rest(
) {
    let h = "dest,parent_process_name,process_name,process,process_guid,parent_process_guid";
    let input = [
        getinfo(&["lineage=true"]),
        // the grandchild first
        execute(
            false,
            format!("{h}\nW,cmd.exe,mshta.exe,mshta x,{{3}},{{2}}\n").as_bytes(),
        ),
        // its parent: the held row comes back in this reply
        execute(
            false,
            format!("{h}\nW,WmiPrvSE.exe,cmd.exe,cmd /c mshta x,{{2}},{{1}}\n").as_bytes(),
        ),
        // a launcher naming rundll32, whose own row never comes
        execute(
            false,
            format!("{h}\nW,WmiPrvSE.exe,cmd.exe,\"cmd /Q /c rundll32.exe a.dll,B\",{{4}},{{1}}\n")
                .as_bytes(),
        ),
        // the final request, header-only
        execute(true, format!("{h}\n").as_bytes()),
    ]
    .concat();
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    assert_eq!(replies.len(), 5);
    let rows = |i: usize| csv_rows(&replies[i].body);
    assert!(replies[1].body.is_empty(), "the grandchild is held");
    let second = rows(2);
    assert_eq!(second.len(), 2);
    assert_eq!(&second[1][..3], ["W", "cmd.exe", "mshta.exe"]);
    assert!(second[1].contains(&"lineage".to_string()));
    assert!(
        replies[3].body.is_empty(),
        "the launcher is held to the end"
    );
    let last = rows(4);
    assert_eq!(last.len(), 2);
    assert!(last[1].contains(&"launcher_command_line".to_string()));
    assert_eq!(replies[4].meta["finished"], true);
    let msgs = replies[4].meta["inspector"]["messages"].to_string();
    assert!(msgs.contains("2 lineage detections"), "{msgs}");
}

/// Runs the binary with `stdin` from a file, stdout to a file; returns the
/// exit code, stdout and its peak RSS in KiB (GNU/Linux `wait4`, through
/// python3: std has no rusage for a child).
#[cfg(unix)]
fn run_measured(stdin: &Path, stdout: &Path) -> (i32, Vec<u8>, u64) {
    let script = "import os,subprocess,sys\n\
        p=subprocess.Popen([sys.argv[1]],stdin=open(sys.argv[2],'rb'),stdout=open(sys.argv[3],'wb'),stderr=subprocess.DEVNULL)\n\
        _,st,ru=os.wait4(p.pid,0)\n\
        print(os.waitstatus_to_exitcode(st),ru.ru_maxrss)\n";
    let out = std::process::Command::new(python())
        .args(["-c", script])
        .arg(bin())
        .arg(stdin)
        .arg(stdout)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut it = text.split_whitespace();
    let code = it.next().unwrap().parse().unwrap();
    let rss = it.next().unwrap().parse().unwrap();
    (code, std::fs::read(stdout).unwrap(), rss)
}

/// A million launcher children whose parents never arrive (600,000
/// cmd.exe under cmd.exe — links to keep — and 400,000 rundll32.exe under
/// cmd.exe — rows to hold), in 50,000-row chunks: the session ends, memory
/// stays under 256 MiB (the caps: 500,000 links, 100,000 held rows or 64 MiB),
/// and the WARN gives the counts. Filter and annotate mode (where every row
/// must still come back).
#[cfg(unix)]
#[test]
fn a_million_orphans_finish_in_bounded_memory_with_a_warning() {
    use std::io::Write;
    let dir = tempdir();
    for mode in ["filter", "annotate"] {
        let stream = dir.join(format!("orphans-{mode}.bin"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&stream).unwrap());
        let args: &[&str] = if mode == "filter" {
            &["lineage=true"]
        } else {
            &["lineage=true", "mode=annotate"]
        };
        f.write_all(&getinfo(args)).unwrap();
        let header = "dest,parent_process_name,process_name,process,process_guid,parent_process_guid,process_id,parent_process_id,_time\n";
        let mut body = String::new();
        for i in 0..1_000_000u64 {
            let child = if i % 5 < 3 { "cmd.exe" } else { "rundll32.exe" };
            body.push_str(&format!(
                "WS-{},cmd.exe,{child},{child} /c x,{{{i:x}}},{{f{i:x}}},{},{},{}.5\n",
                i % 997,
                i % 65536,
                (i + 7) % 65536,
                1_700_000_000 + i / 100,
            ));
            if (i + 1) % 50_000 == 0 {
                f.write_all(&execute(false, format!("{header}{body}").as_bytes()))
                    .unwrap();
                body.clear();
            }
        }
        f.write_all(&execute(true, b"")).unwrap();
        f.flush().unwrap();
        drop(f);
        let (code, out, rss_kib) = run_measured(&stream, &dir.join("out.bin"));
        assert_eq!(code, 0, "{mode}");
        let replies = parse_replies(&out);
        assert_eq!(replies.len(), 22, "{mode}: getinfo and 21 executes");
        assert!(
            rss_kib <= 256 * 1024,
            "{mode}: peak RSS {rss_kib} KiB is over 256 MiB"
        );
        // Each cap is said in the reply to the chunk where it is reached:
        // the 100,001st rundll32.exe to hold is row 250,003 (chunk 6), the
        // 500,001st cmd.exe node row 833,335 (chunk 17).
        let first_with = |text: &str| {
            replies
                .iter()
                .position(|r| r.meta["inspector"]["messages"].to_string().contains(text))
        };
        assert_eq!(
            first_with("the cap of 100000 held rows (64 MiB) was reached: rows waiting"),
            Some(6),
            "{mode}"
        );
        assert_eq!(
            first_with("the cap of 500000 processes kept for linking was reached: launcher"),
            Some(17),
            "{mode}"
        );
        let last = replies.last().unwrap();
        let msgs = last.meta["inspector"]["messages"].to_string();
        assert!(
            msgs.contains("the cap of 500000 processes kept for linking was reached; 100000 more"),
            "{mode}: {msgs}"
        );
        assert!(
            msgs.contains("the cap of 100000 held rows (64 MiB) was reached; 300000 rows waiting"),
            "{mode}: {msgs}"
        );
        let returned: usize = replies[1..]
            .iter()
            .map(|r| csv_rows(&r.body).len().saturating_sub(1))
            .sum();
        let want = if mode == "filter" { 0 } else { 1_000_000 };
        assert_eq!(returned, want, "{mode}");
        eprintln!("{mode}: peak RSS {} MiB", rss_kib / 1024);
    }
}

/// `scan … --format csv` (and `extra` options): the summary line and, per
/// returned row, `source | process_name | match_reason | lineage_path`.
fn scan_rows(files: &[&Path], extra: &[&str]) -> (String, Vec<String>) {
    let mut args = vec!["scan", "--format", "csv"];
    args.extend_from_slice(extra);
    let files: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    args.extend(files.iter().map(String::as_str));
    let r = run(&args, b"");
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    let mut rdr = csv::Reader::from_reader(&r.stdout[..]);
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let path = h.iter().position(|x| x == "lineage_path");
    let rows = rdr
        .records()
        .map(|x| {
            let x = x.unwrap();
            format!(
                "{} | {} | {} | {}",
                x[col("source")].rsplit('/').next().unwrap(),
                &x[col("process_name")],
                &x[col("match_reason")],
                path.map_or("-", |i| &x[i])
            )
        })
        .collect();
    (
        r.stderr.trim_end().lines().last().unwrap().to_string(),
        rows,
    )
}

#[test]
fn scan_lineage_on_the_built_in_sample_reports_the_empire_chain_once_on_msbuild() {
    let (summary, rows) = scan_rows(&[], &["--lineage"]);
    assert_eq!(
        rows,
        [
            "sample:sysmon_eid1_wmi_related.xml.log:1 | rundll32.exe | process_name | WmiPrvSE.exe > rundll32.exe",
            "sample:sysmon_eid1_wmi_related.xml.log:4 | rundll32.exe | process_name | WmiPrvSE.exe > rundll32.exe",
            "sample:sysmon_eid1_wmi_related.xml.log:10 | explorer.exe | process_name | WmiPrvSE.exe > explorer.exe",
            "sample:sysmon_eid1_wmi_related.xml.log:13 | rundll32.exe | process_name | WmiPrvSE.exe > rundll32.exe",
            // Empire: on MSBuild.exe's row, not again on cmd.exe's
            "sample:sysmon_eid1_wmiprvse_lineage.jsonl:3 | MSBuild.exe | lineage | WmiPrvSE.exe > cmd.exe > MSBuild.exe",
            // smbmap: the launcher names rundll32, whose event is missing (settled at the end)
            "sample:sysmon_eid1_wmi_related.xml.log:20 | cmd.exe | launcher_command_line | WmiPrvSE.exe > cmd.exe > rundll32.exe",
        ]
    );
    assert_eq!(
        summary,
        "wmilolbas scan: 2 files, 50 events read (50 process creations), 6 detections (2 through a shell)"
    );
    // Without --lineage: the four plain detections, no lineage field.
    let (summary, rows) = scan_rows(&[], &[]);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.ends_with("| -")), "{rows:?}");
    assert_eq!(
        summary,
        "wmilolbas scan: 2 files, 50 events read (50 process creations), 4 detections"
    );
}

#[test]
fn scan_lineage_reads_every_input_kind() {
    // .evtx (Sysmon): the launcher naming rundll32.
    let (summary, rows) = scan_rows(
        &[&fixture("smbmap_upload_exec_sysmon.evtx")],
        &["--lineage"],
    );
    assert_eq!(
        rows,
        ["smbmap_upload_exec_sysmon.evtx#23 | cmd.exe | launcher_command_line | WmiPrvSE.exe > cmd.exe > rundll32.exe"]
    );
    assert!(
        summary.ends_with("1 detection (1 through a shell)"),
        "{summary}"
    );
    // .evtx (Security 4688): WmiPrvSE > calc.exe, no chain, read all the same.
    let (_, rows) = scan_rows(
        &[&data("evtx/LM_WMI_4624_4688_TargetHost.evtx")],
        &["--lineage"],
    );
    assert!(rows.is_empty(), "{rows:?}");
    // JSON lines, Sysmon (GUIDs, no ProcessId) and 4688 (hex PIDs) of the
    // same processes: both MSBuild rows, no cmd row.
    let (_, rows) = scan_rows(
        &[&fixture("empire_msbuild_process_creations.jsonl")],
        &["--lineage"],
    );
    assert_eq!(
        rows,
        [
            "empire_msbuild_process_creations.jsonl:9 | MSBuild.exe | lineage | WmiPrvSE.exe > cmd.exe > MSBuild.exe",
            "empire_msbuild_process_creations.jsonl:10 | MSBuild.exe | lineage | WmiPrvSE.exe > cmd.exe > MSBuild.exe",
        ]
    );
    // XML, Security 4688.
    let (_, rows) = scan_rows(&[&fixture("empire_msbuild_4688.xml.log")], &["--lineage"]);
    assert_eq!(
        rows,
        ["empire_msbuild_4688.xml.log:5 | MSBuild.exe | lineage | WmiPrvSE.exe > cmd.exe > MSBuild.exe"]
    );
    // CSV (CIM names), GUID and PID links: see the next test.
}

/// `line → tag` of a fixture CSV (line 1 is the header).
fn tags_by_line(path: &Path) -> BTreeMap<String, String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let tag = h.iter().position(|x| x == "tag").unwrap();
    r.records()
        .enumerate()
        .map(|(i, x)| (format!("{}", i + 2), x.unwrap()[tag].to_string()))
        .collect()
}

#[test]
fn scan_lineage_on_csv_finds_the_chains_and_a_chain_may_span_files() {
    for name in ["chains_guid.csv", "chains_pid.csv"] {
        let path = fixture(name);
        let want = expected(&path);
        let tags = tags_by_line(&path);
        let found = |rows: &[String], files: &[(&str, BTreeMap<String, String>)]| {
            rows.iter()
                .map(|r| {
                    let parts: Vec<&str> = r.split(" | ").collect();
                    let (file, line) = parts[0].rsplit_once(':').unwrap();
                    let tags = &files.iter().find(|(f, _)| *f == file).unwrap().1;
                    (tags[line].clone(), format!("{}|{}", parts[2], parts[3]))
                })
                .collect::<BTreeMap<_, _>>()
        };
        let (_, rows) = scan_rows(&[&path], &["--lineage"]);
        assert_eq!(found(&rows, &[(name, tags.clone())]), want, "{name}");
        // The same rows in two files, every child in the first and every
        // launcher in the second: the chains span the files.
        let text = std::fs::read_to_string(&path).unwrap();
        let (header, body) = text.split_once('\n').unwrap();
        let dir = tempdir();
        let (mut first, mut second) = (format!("{header}\n"), format!("{header}\n"));
        let (mut tags1, mut tags2) = (BTreeMap::new(), BTreeMap::new());
        for (i, line) in body.lines().enumerate() {
            let tag = &tags[&format!("{}", i + 2)];
            let launcher = line.split(',').nth(3) == Some("cmd.exe")
                || line.split(',').nth(3) == Some("powershell.exe");
            let (file, map) = if launcher {
                (&mut second, &mut tags2)
            } else {
                (&mut first, &mut tags1)
            };
            file.push_str(line);
            file.push('\n');
            map.insert(format!("{}", file.lines().count()), tag.clone());
        }
        let (a, b) = (dir.join("1-children.csv"), dir.join("2-launchers.csv"));
        std::fs::write(&a, first).unwrap();
        std::fs::write(&b, second).unwrap();
        let (_, rows) = scan_rows(&[&a, &b], &["--lineage"]);
        assert_eq!(
            found(
                &rows,
                &[("1-children.csv", tags1), ("2-launchers.csv", tags2)]
            ),
            want,
            "{name} in two files"
        );
    }
}

#[test]
fn scan_launchers_sets_the_shells_a_chain_may_run_through() {
    let path = fixture("chains_guid.csv");
    let (_, rows) = scan_rows(&[&path], &["--lineage", "--launchers", "cmd.exe"]);
    // B runs through powershell.exe: no longer a chain.
    assert!(
        !rows
            .iter()
            .any(|r| r.contains("powershell.exe > rundll32.exe")),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.contains("cmd.exe > MSBuild.exe")),
        "{rows:?}"
    );
    let r = run(&["scan", "--launchers", "cmd.exe"], b"");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("launchers only with --lineage"),
        "{}",
        r.stderr
    );
}

/// The same inputs on one CPU (`taskset -c 0`: one reader thread) and on
/// every CPU give the same bytes: the output does not depend on how the
/// units were spread over threads.
#[cfg(unix)]
#[test]
fn scan_lineage_output_does_not_depend_on_the_number_of_threads() {
    let inputs = [
        fixture("chains_pid.csv"),
        fixture("empire_msbuild_process_creations.jsonl"),
        fixture("smbmap_upload_exec_sysmon.evtx"),
        fixture("chains_guid.csv"),
    ];
    let mut args = vec!["scan", "--lineage", "--mode", "annotate", "--format", "csv"];
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let all = run(&args, b"");
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(
        all.stderr.contains("13 detections (11 through a shell)"),
        "{}",
        all.stderr
    );
    let bin = bin();
    let mut pinned_args = vec!["-c", "0", bin.to_str().unwrap()];
    pinned_args.extend(args.iter().copied());
    let Ok(one) = std::process::Command::new("taskset")
        .args(&pinned_args)
        .output()
    else {
        eprintln!("taskset not available: compared two unpinned runs");
        assert_eq!(run(&args, b"").stdout, all.stdout);
        return;
    };
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&one.stdout),
        String::from_utf8_lossy(&all.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&one.stderr), all.stderr);
}

#[test]
fn an_input_that_ends_before_finished_says_how_many_held_rows_were_lost() {
    let h = "dest,parent_process_name,process_name,process,process_guid,parent_process_guid";
    let input = [
        getinfo(&["lineage=true"]),
        execute(
            false,
            format!("{h}\nW,cmd.exe,mshta.exe,mshta x,{{3}},{{2}}\n").as_bytes(),
        ),
    ]
    .concat();
    let r = run(&[], &input);
    assert_eq!(r.code, 0);
    assert_eq!(parse_replies(&r.stdout).len(), 2);
    assert!(
        r.stderr.contains(
            "the input ended before the request with finished:true; 1 held rows were not returned"
        ),
        "{}",
        r.stderr
    );
    // With the finished:true request, nothing is left and nothing is said.
    let input = [input, execute(true, b"")].concat();
    let r = run(&[], &input);
    assert!(!r.stderr.contains("held rows"), "{}", r.stderr);
}

/// Hostile shapes for the held rows' headers: 300 chunks, each with a
/// header of its own and a held row, whose parent comes last — the final
/// reply has every row, under one header with every chunk's extra column;
/// and one chunk with a 1,000-column header and 5,000 held rows (the
/// header is looked up once, not once per row; the rows' places in the
/// reply are computed once per header).
#[test]
fn held_rows_under_many_headers_and_under_a_huge_header_come_back_whole() {
    let base = "dest,parent_process_name,process_name,process_guid,parent_process_guid";
    let mut input = getinfo(&["lineage=true"]);
    for i in 0..300 {
        let body = format!("{base},extra{i}\nW,cmd.exe,mshta.exe,{{m{i}}},{{c}},v{i}\n");
        input.extend(execute(false, body.as_bytes()));
    }
    input.extend(execute(
        true,
        format!("{base}\nW,WmiPrvSE.exe,cmd.exe,{{c}},{{w}}\n").as_bytes(),
    ));
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    let last = csv_rows(&replies.last().unwrap().body);
    assert_eq!(last.len(), 301, "header and 300 rows");
    let header = &last[0];
    for (k, row) in last[1..].iter().enumerate() {
        assert_eq!(row.len(), header.len());
        let col = header
            .iter()
            .position(|h| h == &format!("extra{k}"))
            .unwrap();
        assert_eq!(row[col], format!("v{k}"));
        assert!(row.contains(&"lineage".to_string()));
    }

    let extra: Vec<String> = (0..1000).map(|i| format!("f{i}")).collect();
    let header_text = format!("{base},{}", extra.join(","));
    let empty = ",".repeat(1000);
    let mut body = format!("{header_text}\n");
    for i in 0..5_000 {
        body.push_str(&format!("W,cmd.exe,mshta.exe,{{m{i}}},{{c}}{empty}\n"));
    }
    let input = [
        getinfo(&["lineage=true"]),
        execute(false, body.as_bytes()),
        execute(
            true,
            format!("{base}\nW,WmiPrvSE.exe,cmd.exe,{{c}},{{w}}\n").as_bytes(),
        ),
    ]
    .concat();
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    let rows = csv_rows(&replies[2].body);
    assert_eq!(rows.len(), 1 + 5_000);
    // Every held row whole, in input order: its own values under the
    // 1,000-column header (the final body's row is not returned: the shell
    // is no detection), and the lineage verdict.
    let header = &rows[0];
    assert_eq!(&header[..1005], header_of(&header_text).as_slice());
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row.len(), header.len(), "row {i}");
        assert_eq!(
            row[..5],
            ["W", "cmd.exe", "mshta.exe", &format!("{{m{i}}}"), "{c}"],
            "row {i}"
        );
        assert!(row[5..1005].iter().all(String::is_empty), "row {i}");
        assert_eq!(row[col("match_reason")], "lineage", "row {i}");
        assert_eq!(
            row[col("lineage_path")],
            "WmiPrvSE.exe > cmd.exe > mshta.exe",
            "row {i}"
        );
    }
}

fn header_of(text: &str) -> Vec<String> {
    text.split(',').map(str::to_string).collect()
}

// Issue 22: links that can be trusted. `trust_pid.csv` (made by
// tests/tools/mk_lineage_fixtures.py): a reused PID of a process lineage does
// not track (K), the same through the WMI host's row (L), real chains on
// hosts whose shell PID is reused, with times as `convert ctime()` (M),
// PowerShell en-US (N) and ISO with ` UTC` and a comma (O) write them,
// host-less rows (P) and an unreadable time (Q).

#[test]
fn pid_links_are_made_only_when_sound_in_every_chunking() {
    let path = fixture("trust_pid.csv");
    let want = expected(&path);
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        ["M-mshta", "N-mshta", "O-mshta", "Q-regsvr32"]
    );
    for extra in CHUNKINGS {
        let s = fake_splunkd(Some(&path), "lineage=true", extra, &bin());
        assert_eq!(returned(&s), want, "{extra:?}");
        let msgs = s.summary["inspector_messages"].to_string();
        assert!(
            msgs.contains("3 candidate rows (a LOLBAS binary under a launcher) could not be linked to their WMI parent: 2 had a parent PID but no parent name (a PID link needs parent_process_name or parent_process_path); 1 had a parent PID but no host (dest) to scope it"),
            "{extra:?}: {msgs}"
        );
        assert!(
            msgs.contains(r#"values present but not readable were used as absent: 1 in _time (e.g. \"yesterday\")"#),
            "{extra:?}: {msgs}"
        );
        assert!(
            msgs.contains("times without a zone were read as UTC (every such row moves by the same amount, so their order holds)"),
            "{extra:?}: {msgs}"
        );
    }
}

#[test]
fn scan_makes_the_same_pid_links_as_the_command() {
    let path = fixture("trust_pid.csv");
    let tags = tags_by_line(&path);
    let (_, rows) = scan_rows(&[&path], &["--lineage"]);
    let found: BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            let parts: Vec<&str> = r.split(" | ").collect();
            let line = parts[0].rsplit_once(':').unwrap().1;
            (tags[line].clone(), format!("{}|{}", parts[2], parts[3]))
        })
        .collect();
    assert_eq!(found, expected(&path));
    // Every one of them settles at the end (PID links): printed in input
    // order, as --help says.
    let lines: Vec<u64> = rows
        .iter()
        .map(|r| {
            let source = r.split(" | ").next().unwrap();
            source.rsplit(':').next().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(lines, [5, 10, 14, 18]);
    let r = run(
        &[
            "scan",
            "--lineage",
            "--format",
            "csv",
            path.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        r.stderr.contains("wmilolbas: lineage: 3 candidate rows"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(
            r#"times present but not readable were left empty: 1 in _time (e.g. "yesterday")"#
        ),
        "{}",
        r.stderr
    );
}

/// Unreadable PIDs are named in the WARN with an example, and a PID above
/// 2³² is no PID (beside a PID, it is said as a Falcon id).
#[test]
fn unreadable_pids_are_named_in_the_warning() {
    let h = "dest,parent_process_name,process_name,process_id,parent_process_id,_time";
    let body = format!(
        "{h}\nW,WmiPrvSE.exe,cmd.exe,12,4,1700000010\nW,cmd.exe,mshta.exe,13,twelve,1700000011\nW,cmd.exe,mshta.exe,14,5459598860,1700000012\n"
    );
    let input = [getinfo(&["lineage=true"]), execute(true, body.as_bytes())].concat();
    let r = run(&[], &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let replies = parse_replies(&r.stdout);
    let msgs = replies[1].meta["inspector"]["messages"].to_string();
    assert!(
        msgs.contains(r#"values present but not readable were used as absent: 1 in parent_process_id (e.g. \"twelve\")"#),
        "{msgs}"
    );
    // The one above 2^32 beside a PID is said as what it looks like.
    assert!(
        msgs.contains("1 rows had a parent_process_id that is no Windows PID"),
        "{msgs}"
    );
    assert!(
        msgs.contains("2 had neither parent_process_guid nor parent_process_id"),
        "{msgs}"
    );
}

/// With no creation times, a parent PID that more than 256 processes had
/// is given up and counted; a PID link made without times is said.
#[test]
fn a_pid_flood_and_an_untimed_link_are_said_in_the_warning() {
    let h = "dest,parent_process_name,process_name,process_id,parent_process_id";
    let mut body = format!("{h}\nW,WmiPrvSE.exe,cmd.exe,100,4\n");
    for _ in 0..300 {
        body.push_str("W,explorer.exe,powershell.exe,100,5\n");
    }
    body.push_str("W,cmd.exe,mshta.exe,101,100\n");
    body.push_str("V,WmiPrvSE.exe,cmd.exe,200,4\nV,cmd.exe,regsvr32.exe,201,200\n");
    let input = [getinfo(&["lineage=true"]), execute(true, body.as_bytes())].concat();
    let r = run(&[], &input);
    let reply = &parse_replies(&r.stdout)[1];
    let msgs = reply.meta["inspector"]["messages"].to_string();
    assert!(
        msgs.contains("1 had no creation time, and a parent PID that more than 256 processes had"),
        "{msgs}"
    );
    assert!(
        msgs.contains("1 lineage detections were linked by PID without a creation time"),
        "{msgs}"
    );
    let rows = csv_rows(&reply.body);
    assert_eq!(rows.len(), 2, "V's regsvr32 only: {rows:?}");
}

/// `scan --timezone`: NXLog's `EventTime` is the host's local time with no
/// zone, and through Logstash `@timestamp` is the time Logstash received
/// the event. `nxlog_logstash_utc2.jsonl`: a Security 4688 shell (EventTime
/// only, and an `@timestamp` 3 s after its Sysmon child started) on a UTC+2
/// host, and its Sysmon child (UtcTime). The event's own time wins over the
/// receive time; read in the host's zone, the shell starts before its
/// child and the chain is found; read as UTC it starts two hours after, and
/// stderr names the zone-less times.
#[test]
fn scan_reads_local_times_in_the_zone_given_and_prefers_the_events_own_time() {
    let path = fixture("nxlog_logstash_utc2.jsonl");
    let (_, rows) = scan_rows(&[&path], &["--lineage", "--timezone", "+02:00"]);
    assert_eq!(
        rows,
        ["nxlog_logstash_utc2.jsonl:2 | mshta.exe | lineage | WmiPrvSE.exe > cmd.exe > mshta.exe"]
    );
    let (_, rows) = scan_rows(&[&path], &["--lineage", "--timezone", "Europe/Berlin"]);
    assert_eq!(rows.len(), 1, "Berlin in July is UTC+2");
    let r = run(
        &[
            "scan",
            "--lineage",
            "--format",
            "csv",
            path.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(r.code, 0);
    let mut rdr = csv::Reader::from_reader(&r.stdout[..]);
    assert_eq!(
        rdr.records().count(),
        0,
        "read as UTC, the shell is 2 h late"
    );
    assert!(
        r.stderr.contains(r#"times without a zone were read as UTC (give --timezone with the hosts' zone if they are local times): 1 in EventTime (e.g. "2023-07-01 12:00:00")"#),
        "{}",
        r.stderr
    );
    // The `_time` written is the event's own, in the zone given.
    let r = run(
        &[
            "scan",
            "--timezone",
            "+02:00",
            "--mode",
            "annotate",
            "--format",
            "csv",
            path.to_str().unwrap(),
        ],
        b"",
    );
    let mut rdr = csv::Reader::from_reader(&r.stdout[..]);
    let times: Vec<String> = rdr.records().map(|x| x.unwrap()[1].to_string()).collect();
    assert_eq!(times, ["1688205600", "1688205601.250"]);
    let bad = run(&["scan", "--timezone", "Mars/Olympus"], b"");
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("Mars/Olympus"), "{}", bad.stderr);
}

// Issue 24: CrowdStrike in Splunk.

/// A `[stanza]`'s `definition` in the repository's default/macros.conf.
fn macro_definition(stanza: &str) -> String {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("default/macros.conf"),
    )
    .unwrap();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with('[') {
            inside = line == format!("[{stanza}]");
        } else if inside {
            if let Some(d) = line.strip_prefix("definition = ") {
                return d.to_string();
            }
        }
    }
    panic!("no {stanza}")
}

/// Applies an `eval a=B, c=coalesce(D, E), f=null()` (the only forms the
/// recipe uses; anything else fails the test) to an event's fields, in
/// order, as Splunk's eval does.
fn apply_eval(definition: &str, event: &mut BTreeMap<String, String>) {
    let body = definition.strip_prefix("eval ").expect("an eval");
    // Split at the commas outside parentheses.
    let (mut parts, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for c in body.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    for part in parts {
        let (lhs, rhs) = part.trim().split_once('=').expect("a=b");
        let value = if rhs == "null()" {
            None
        } else if let Some(args) = rhs
            .strip_prefix("coalesce(")
            .and_then(|r| r.strip_suffix(')'))
        {
            args.split(',')
                .find_map(|a| event.get(a.trim()).filter(|v| !v.is_empty()).cloned())
        } else {
            assert!(
                rhs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{rhs}"
            );
            event.get(rhs).cloned()
        };
        match value {
            Some(v) => event.insert(lhs.to_string(), v),
            None => event.remove(lhs),
        };
    }
}

/// Writes field maps as one CSV (the union of their fields).
fn write_rows(rows: &[BTreeMap<String, String>]) -> PathBuf {
    let mut names: Vec<&String> = rows.iter().flat_map(|r| r.keys()).collect();
    names.sort();
    names.dedup();
    let path = tempdir().join("rows.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&names).unwrap();
    for r in rows {
        w.write_record(names.iter().map(|n| r.get(*n).map_or("", String::as_str)))
            .unwrap();
    }
    w.flush().unwrap();
    path
}

fn falcon_events() -> Vec<BTreeMap<String, String>> {
    std::fs::read_to_string(data("edr/crowdstrike_pr2_wmi_chain.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `Endpoint.Processes` rows as the Falcon add-on fills them (ESCU's data
/// source *CrowdStrike ProcessRollup2*: `RawProcessId` → `process_id`,
/// `ParentProcessId` → `parent_process_id`): nothing links, and the WARN
/// says these are Falcon ids and what links them.
#[test]
fn crowdstrike_cim_rows_get_the_falcon_id_warning() {
    let rows: Vec<BTreeMap<String, String>> = falcon_events()
        .into_iter()
        .map(|e| {
            let mut r = BTreeMap::new();
            for (from, to) in [
                ("RawProcessId", "process_id"),
                ("ParentProcessId", "parent_process_id"),
                ("ImageFileName", "process_path"),
                ("ParentBaseFileName", "parent_process_name"),
                ("CommandLine", "process"),
                ("UserSid", "user"),
                ("ComputerName", "dest"),
            ] {
                r.insert(to.to_string(), e[from].clone());
            }
            r
        })
        .collect();
    let s = fake_splunkd(Some(&write_rows(&rows)), "lineage=true", &[], &bin());
    assert!(s.rows.is_empty(), "{:?}", s.rows);
    let msgs = s.summary["inspector_messages"].to_string();
    assert!(
        msgs.contains("3 rows had a parent_process_id that is no Windows PID (a decimal above 2^32, or vendor_product CrowdStrike) while their process_id is one: these look like CrowdStrike Falcon process ids"),
        "{msgs}"
    );
    assert!(
        msgs.contains("the `wmilolbas_crowdstrike_fields` macro renames them to process_guid and parent_process_guid"),
        "{msgs}"
    );
}

/// The app's recipe for raw ProcessRollup2 events links the chain by
/// Falcon ids, and reads the grandparent of a LOLBAS binary whose shell is
/// not in the data.
#[test]
fn crowdstrike_raw_events_through_the_recipe_link_the_chain() {
    let recipe = macro_definition("wmilolbas_crowdstrike_fields");
    let rows: Vec<BTreeMap<String, String>> = falcon_events()
        .into_iter()
        .map(|mut e| {
            apply_eval(&recipe, &mut e);
            e
        })
        .collect();
    assert!(rows.iter().all(|r| !r.contains_key("parent_process_id")));
    let path = write_rows(&rows);
    for extra in CHUNKINGS {
        let s = fake_splunkd(Some(&path), "lineage=true", extra, &bin());
        let col = |n: &str| s.header.iter().position(|h| h == n).unwrap();
        let got: Vec<String> = s
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {}",
                    r[col("RawProcessId")],
                    r[col("match_reason")],
                    r[col("lineage_path")],
                    r[col("threat_object")]
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                "3316 lineage WmiPrvSE.exe > cmd.exe > mshta.exe mshta.exe",
                "4410 lineage WmiPrvSE.exe > cmd.exe > rundll32.exe rundll32.exe",
            ],
            "{extra:?}"
        );
        let dest: Vec<&String> = s.rows.iter().map(|r| &r[col("dest")]).collect();
        assert_eq!(dest, ["WS-30", "WS-30"]);
    }
}
