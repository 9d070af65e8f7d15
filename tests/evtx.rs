//! `wmilolbas scan` on Windows event log files (`.evtx`) and folders: the
//! counts of `tests/data/evtx/README.md`, the same rows as the records
//! rendered to XML, and damaged copies built here.

use std::path::{Path, PathBuf};

use crate::util::*;

fn scan(args: &[&str]) -> Run {
    let mut full = vec!["scan", "--format", "csv"];
    full.extend_from_slice(args);
    run(&full, b"")
}

fn evtx_dir() -> PathBuf {
    data("evtx")
}

const POISON: &str = "LM_wmi_PoisonHandler_Mr-Un1k0d3r_sysmon_1_13.evtx";

/// Rows without their `source` column, header first.
fn rows_without_source(r: &Run) -> Vec<Vec<String>> {
    csv_rows(&r.stdout)
        .into_iter()
        .map(|row| row.into_iter().skip(1).collect())
        .collect()
}

/// The acceptance figures: the folder of five logs.
#[test]
fn evtx_folder_gives_5_files_43_records_20_process_creations_3_detections() {
    let r = scan(&[evtx_dir().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: {}: passed over: Windows event log (.evtx), no process creations: it \
             holds 5 events: Security 4799 (5)\n\
             wmilolbas: {}: passed over: not an EVTX log, XML events, JSON, or a CSV whose \
             header is of a layout known (its first line: # Windows event log files (.evtx))\n\
             wmilolbas scan: 5 files, 43 events read (20 process creations), 3 detections; \
             2 files passed over\n",
            evtx_dir()
                .join("4799_remote_local_groups_enumeration.evtx")
                .display(),
            evtx_dir().join("README.md").display()
        )
    );
    let rows = csv_rows(&r.stdout);
    let name = rows[0].iter().position(|h| h == "process_name").unwrap();
    let children: Vec<&str> = rows[1..].iter().map(|r| r[name].as_str()).collect();
    assert_eq!(children, ["rundll32.exe", "rundll32.exe", "explorer.exe"]);
    let sources: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    let file = evtx_dir().join(POISON).display().to_string();
    assert_eq!(
        sources,
        [
            format!("{file}#2"),
            format!("{file}#6"),
            format!("{file}#14")
        ]
    );
}

/// Every record rendered to XML by the `evtx` crate, one file per log.
fn export_as_xml(dir: &Path) {
    for entry in std::fs::read_dir(evtx_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "evtx") {
            continue;
        }
        let mut parser = evtx::EvtxParser::from_path(&path).unwrap();
        let mut xml = String::new();
        for record in parser.records() {
            xml.push_str(&record.unwrap().data);
            xml.push('\n');
        }
        let out = dir.join(path.file_stem().unwrap()).with_extension("xml");
        std::fs::write(out, xml).unwrap();
    }
}

/// The same events exported as XML give the same detection rows (all but
/// `source`) and the same counts, in both modes.
#[test]
fn evtx_and_its_xml_export_give_the_same_rows_apart_from_source() {
    let dir = tempdir();
    export_as_xml(&dir);
    for mode in [&["--strict"][..], &["--mode", "annotate"]] {
        let mut args = mode.to_vec();
        let evtx_path = evtx_dir();
        args.push(evtx_path.to_str().unwrap());
        let from_evtx = scan(&args);
        args.pop();
        args.push(dir.to_str().unwrap());
        let from_xml = scan(&args);
        assert_eq!(from_evtx.code, 0, "{}", from_evtx.stderr);
        assert_eq!(from_xml.code, 0, "{}", from_xml.stderr);
        // The summary lines (the evtx folder also has a README, passed over;
        // in both, the log without process creations is passed over too).
        assert_eq!(
            from_evtx
                .stderr
                .lines()
                .last()
                .map(|l| l.replace("; 2 files passed over", "; 1 file passed over")),
            from_xml.stderr.lines().last().map(String::from),
            "{mode:?}"
        );
        // The log without process creations is named in both.
        for r in [&from_evtx, &from_xml] {
            assert!(
                r.stderr.contains("4799_remote_local_groups_enumeration.")
                    && r.stderr.contains("no process creations")
                    && r.stderr.contains("it holds 5 events: Security 4799 (5)"),
                "{}",
                r.stderr
            );
        }
        let (a, b) = (
            rows_without_source(&from_evtx),
            rows_without_source(&from_xml),
        );
        assert!(a.len() > 1, "{mode:?}");
        assert_eq!(a, b, "{mode:?}");
    }
}

/// A file is recognised as EVTX by its magic, whatever its name.
#[test]
fn evtx_is_recognised_by_magic_not_only_by_name() {
    let dir = tempdir();
    let copy = dir.join("exported.log");
    std::fs::copy(evtx_dir().join(POISON), &copy).unwrap();
    for args in [vec![copy.to_str().unwrap()], vec![dir.to_str().unwrap()]] {
        let r = scan(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            r.stderr,
            "wmilolbas scan: 1 file, 15 events read (11 process creations), 3 detections\n"
        );
    }
}

/// Deterministic pseudo-random bytes (xorshift).
fn random_bytes(n: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Damaged copies of the PoisonHandler log beside a good one, named
/// `<what>.evtx`.
fn damaged_folder() -> PathBuf {
    let dir = tempdir();
    let good = std::fs::read(evtx_dir().join(POISON)).unwrap();
    std::fs::write(dir.join("a_good.evtx"), &good).unwrap();
    // Cut in the middle of chunk 0's records.
    std::fs::write(dir.join("cut.evtx"), &good[..4096 + 3000]).unwrap();
    // The chunk header's magic flipped: the chunk is refused.
    let mut bad_chunk = good.clone();
    bad_chunk[4096] ^= 0xff;
    std::fs::write(dir.join("bad_chunk.evtx"), &bad_chunk).unwrap();
    // A record's header magic flipped (the first record is 512 bytes in).
    let mut bad_record = good.clone();
    bad_record[4096 + 512] ^= 0xff;
    std::fs::write(dir.join("bad_record.evtx"), &bad_record).unwrap();
    let mut wrong_magic = good.clone();
    wrong_magic[..8].copy_from_slice(b"NotAnEvt");
    std::fs::write(dir.join("wrong_magic.evtx"), &wrong_magic).unwrap();
    std::fs::write(dir.join("empty.evtx"), b"").unwrap();
    std::fs::write(dir.join("random.evtx"), random_bytes(70_000)).unwrap();
    dir
}

/// Each damaged copy is named in an error (with its chunk where known), no
/// panic, exit 1, and the good file beside them is still fully scanned.
#[test]
fn damaged_evtx_copies_are_each_named_and_the_good_file_is_still_scanned() {
    let dir = damaged_folder();
    let r = scan(&[dir.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let p = |name: &str| dir.join(name).display().to_string();
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("wmilolbas: "))
        .collect();
    for (file, what) in [
        ("bad_chunk.evtx", ", chunk 0: bad chunk: "),
        ("bad_record.evtx", ", chunk 0"),
        (
            "cut.evtx",
            ", chunk 0: file is cut 3000 bytes into this chunk",
        ),
        ("empty.evtx", ": empty file, not a Windows event log"),
        ("random.evtx", ": not a Windows event log"),
        ("wrong_magic.evtx", ": not a Windows event log"),
    ] {
        let want = format!("wmilolbas: {}{what}", p(file));
        assert!(
            errors.iter().any(|l| l.starts_with(&want)),
            "no error starting {want:?} in\n{}",
            r.stderr
        );
    }
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let rows = csv_rows(&r.stdout);
    let good: Vec<&Vec<String>> = rows[1..]
        .iter()
        .filter(|row| row[0].starts_with(&p("a_good.evtx")))
        .collect();
    assert_eq!(good.len(), 3, "{}", r.stderr);
    let summary = r.stderr.lines().last().unwrap();
    assert!(
        summary.starts_with("wmilolbas scan: 7 files, "),
        "{summary}"
    );
    assert!(
        summary.ends_with(&format!(", {} errors", errors.len())),
        "{summary}"
    );
}

/// `--strict-input` stops at the first problem: one error, then the summary.
#[test]
fn strict_input_stops_at_the_first_damaged_evtx() {
    let dir = damaged_folder();
    let r = scan(&["--strict-input", dir.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert!(
        lines[0].starts_with(&format!(
            "wmilolbas: {}, chunk 0: bad chunk: ",
            dir.join("bad_chunk.evtx").display()
        )),
        "{}",
        lines[0]
    );
    assert!(lines[1].ends_with(", 1 error"), "{}", lines[1]);
}

/// In a folder: hidden entries and symlinks are skipped, files are chosen by
/// content (a CSV with process fields, not a text note), subfolders walked
/// in name order.
#[test]
fn folder_walk_skips_hidden_and_symlinks_and_chooses_by_content() {
    let dir = tempdir();
    let src = evtx_dir().join(POISON);
    std::fs::create_dir_all(dir.join(".hidden")).unwrap();
    std::fs::copy(&src, dir.join(".hidden/x.evtx")).unwrap();
    std::fs::copy(&src, dir.join(".dot.evtx")).unwrap();
    std::fs::create_dir_all(dir.join("b/c")).unwrap();
    std::fs::copy(&src, dir.join("b/c/log.evtx")).unwrap();
    std::fs::write(dir.join("notes.txt"), "nothing to see\n").unwrap();
    std::fs::write(
        dir.join("a.csv"),
        "parent_process_name,process_name\nwmiprvse.exe,mshta.exe\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&src, dir.join("link.evtx")).unwrap();
    let r = scan(&[dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "wmilolbas: {}: passed over: not an EVTX log, XML events, JSON, or a CSV whose \
             header is of a layout known (its first line: nothing to see)\n\
             wmilolbas scan: 2 files, 16 events read (12 process creations), 4 detections; \
             1 file passed over\n",
            dir.join("notes.txt").display()
        )
    );
    let sources: Vec<String> = csv_rows(&r.stdout)[1..]
        .iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(sources[0], format!("{}:2", dir.join("a.csv").display()));
    assert!(sources[1].starts_with(&dir.join("b/c/log.evtx").display().to_string()));
}
