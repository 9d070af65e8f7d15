//! `cargo xtask package` (the `xtask` workspace member, called here as a
//! library): the archive's file list and modes, the .conf files' syntax and
//! settings, and the packaged binary run from the unpacked app. (The
//! portable zig build is exercised by .ci/run; here the test build of the
//! binary is packaged with --binary.)

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::scan::tempdir;
use crate::util::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Unpacked {
    /// path → (mode, bytes), directories with a trailing `/`.
    files: BTreeMap<String, (u32, Vec<u8>)>,
}

/// The default package, built once for the tests that read it.
fn default_package() -> &'static (PathBuf, Unpacked) {
    static PKG: std::sync::OnceLock<(PathBuf, Unpacked)> = std::sync::OnceLock::new();
    PKG.get_or_init(|| package(&[]))
}

/// Runs `cargo xtask package ARGS` in `root`: the package's path, or the
/// error's text; and what it logged.
fn xtask_package(root: &Path, args: &[&str]) -> (Result<PathBuf, String>, String) {
    let mut log = Vec::new();
    let args = args.iter().map(std::ffi::OsString::from).collect();
    let result = match xtask::cli::parse_package(args).map_err(|e| e.to_string()) {
        Ok(xtask::cli::PackageRequest::Run(options)) => {
            xtask::package::build(root, &options, &mut log).map_err(|e| e.to_string())
        }
        Ok(xtask::cli::PackageRequest::Help) => Err("help".into()),
        Err(e) => Err(e),
    };
    (result, String::from_utf8(log).unwrap())
}

fn package(extra: &[&str]) -> (PathBuf, Unpacked) {
    let out = tempdir();
    let mut args = vec![
        "--binary",
        env!("CARGO_BIN_EXE_wmilolbas"),
        "--allow-new-glibc",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (result, log) = xtask_package(&root(), &args);
    let path = result.unwrap_or_else(|e| panic!("{e}\n{log}"));
    assert!(path.starts_with(&out), "{}", path.display());
    let mut files = BTreeMap::new();
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap());
    let mut tar = tar::Archive::new(gz);
    for entry in tar.entries().unwrap() {
        let mut e = entry.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mode = e.header().mode().unwrap();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        files.insert(name, (mode, data));
    }
    (path, Unpacked { files })
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn default_package_has_the_expected_files_and_modes() {
    let (path, pkg) = default_package();
    assert_eq!(
        path.file_name().unwrap().to_str().unwrap(),
        format!("wmilolbas-{VERSION}.tgz")
    );
    let names: Vec<&str> = pkg.files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "wmilolbas/",
            "wmilolbas/README.md",
            "wmilolbas/app.manifest",
            "wmilolbas/bin/",
            "wmilolbas/bin/wmilolbas",
            "wmilolbas/default/",
            "wmilolbas/default/app.conf",
            "wmilolbas/default/commands.conf",
            "wmilolbas/default/distsearch.conf",
            "wmilolbas/default/macros.conf",
            "wmilolbas/default/savedsearches.conf",
            "wmilolbas/default/searchbnf.conf",
            "wmilolbas/linux_x86_64/",
            "wmilolbas/linux_x86_64/bin/",
            "wmilolbas/linux_x86_64/bin/wmilolbas",
            "wmilolbas/lookups/",
            "wmilolbas/lookups/lolbas_binaries.csv",
            "wmilolbas/metadata/",
            "wmilolbas/metadata/default.meta",
            "wmilolbas/static/",
            "wmilolbas/static/appIcon.png",
            "wmilolbas/static/appIconAlt.png",
            "wmilolbas/static/appIconAlt_2x.png",
            "wmilolbas/static/appIcon_2x.png",
        ]
    );
    for (name, (mode, _)) in &pkg.files {
        let mode = *mode;
        let want = if name.ends_with('/') || name.contains("bin/wmilolbas") {
            0o755
        } else {
            0o644
        };
        assert_eq!(mode, want, "{name} mode {mode:o}");
        assert!(
            !name.split('/').any(|p| p.starts_with('.') || p == "local"),
            "{name}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&pkg.files["wmilolbas/app.manifest"].1).unwrap();
    assert_eq!(manifest["info"]["id"]["name"], "wmilolbas");
    assert_eq!(manifest["info"]["id"]["version"], VERSION);
    let commands =
        String::from_utf8(pkg.files["wmilolbas/default/commands.conf"].1.clone()).unwrap();
    assert!(commands.contains("command.arg.1 = --stateful") && commands.contains("local = true"));
}

#[test]
fn distributed_package_streams_and_replicates() {
    let (path, pkg) = package(&["--distributed"]);
    assert_eq!(
        path.file_name().unwrap().to_str().unwrap(),
        format!("wmilolbas-{VERSION}-distributed.tgz")
    );
    assert!(!pkg.files.contains_key("wmilolbas/default/distsearch.conf"));
    let commands =
        String::from_utf8(pkg.files["wmilolbas/default/commands.conf"].1.clone()).unwrap();
    let conf = parse_conf(&commands).unwrap();
    assert_eq!(
        conf["wmilolbas"],
        vec![
            ("filename".to_string(), "wmilolbas".to_string()),
            ("chunked".into(), "true".into())
        ]
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&pkg.files["wmilolbas/app.manifest"].1).unwrap();
    assert_eq!(
        manifest["targetWorkloads"],
        serde_json::json!(["_search_heads", "_indexers"])
    );
}

/// The unpacked app's binary (as splunkd finds it: linux_x86_64/bin first)
/// answers getinfo as stateful, reads the app's lookups, and — driven by the
/// splunkd stand-in over the CIM sample — returns exactly the 4 real
/// WMI-spawned LOLBAS events.
#[test]
fn packaged_binary_completes_a_session_from_the_unpacked_app() {
    let (_, pkg) = default_package();
    let dir = tempdir();
    for (name, (mode, data)) in &pkg.files {
        let p = dir.join(name);
        if name.ends_with('/') {
            std::fs::create_dir_all(&p).unwrap();
        } else {
            std::fs::write(&p, data).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*mode)).unwrap();
        }
    }
    let exe = dir.join("wmilolbas/linux_x86_64/bin/wmilolbas");
    let r = run_program(
        &exe,
        &["--stateful"],
        &getinfo(&["catalog=lolbas_binaries.csv"]),
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout_str(), "chunked 1.0,19,0\n{\"type\":\"stateful\"}");

    let out = dir.join("out.csv");
    let st = std::process::Command::new(python())
        .arg(tests_dir("tools/fake_splunkd.py"))
        .args([
            "--input",
            data("attack_data/cim/endpoint_processes_from_samples.csv")
                .to_str()
                .unwrap(),
        ])
        .args([
            "--out",
            out.to_str().unwrap(),
            "--random-chunk-sizes",
            "2",
            "--chunk-rows",
            "9",
        ])
        .arg("--")
        .arg(&exe)
        .arg("--stateful")
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let rows = csv_rows(&std::fs::read(&out).unwrap());
    let src = rows[0].iter().position(|h| h == "source_ref").unwrap();
    let got: Vec<&str> = rows[1..].iter().map(|r| r[src].as_str()).collect();
    assert_eq!(
        got,
        [
            "sysmon_eid1_wmi_related.xml.log:1",
            "sysmon_eid1_wmi_related.xml.log:4",
            "sysmon_eid1_wmi_related.xml.log:10",
            "sysmon_eid1_wmi_related.xml.log:13"
        ]
    );
}

/// Without the zig tools, packaging fails loudly and names the script —
/// it never ships the host's glibc-2.34 binary instead.
#[test]
fn missing_build_tools_fail_loudly() {
    let fake = tempdir();
    std::fs::copy(root().join("Cargo.toml"), fake.join("Cargo.toml")).unwrap();
    for d in ["default", "app"] {
        copy_dir(&root().join(d), &fake.join(d));
    }
    let (result, _) = xtask_package(&fake, &[]);
    let err = result.unwrap_err();
    assert!(
        err.contains("cargo-zigbuild (with zig) is not installed"),
        "{err}"
    );
    assert!(
        err.contains("install it with: scripts/install-tools.sh"),
        "{err}"
    );
    assert!(!fake.join("dist").exists());

    let (result, _) = xtask_package(&fake, &["--binary", env!("CARGO_BIN_EXE_wmilolbas")]);
    let err = result
        .expect_err("a host binary above the glibc floor is refused without --allow-new-glibc");
    assert!(err.contains("above the 2.17 floor"), "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

type Conf = BTreeMap<String, Vec<(String, String)>>;

/// Parses .conf syntax: comments, `[stanza]`, `key = value`, `\` continuation
/// lines. Errors name the line.
fn parse_conf(text: &str) -> Result<Conf, String> {
    let mut conf: Conf = BTreeMap::new();
    let mut stanza: Option<String> = None;
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with('[') {
            let name = t
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .ok_or(format!("line {}: bad stanza", i + 1))?;
            if conf.contains_key(name) {
                return Err(format!("line {}: stanza [{name}] twice", i + 1));
            }
            conf.insert(name.to_string(), Vec::new());
            stanza = Some(name.to_string());
            continue;
        }
        let (k, v) = t
            .split_once('=')
            .ok_or(format!("line {}: not key = value: {t}", i + 1))?;
        let mut value = v.trim().to_string();
        while value.ends_with('\\') {
            value.pop();
            let (_, next) = lines
                .next()
                .ok_or(format!("line {}: continuation at end of file", i + 1))?;
            value.push_str(next.trim());
        }
        let s = stanza
            .clone()
            .ok_or(format!("line {}: key outside a stanza", i + 1))?;
        let keys = conf.get_mut(&s).unwrap();
        if keys.iter().any(|(key, _)| key == k.trim()) {
            return Err(format!("line {}: key {} twice in [{s}]", i + 1, k.trim()));
        }
        keys.push((k.trim().to_string(), value));
    }
    Ok(conf)
}

fn allowed(file: &str, stanza: &str, key: &str) -> bool {
    let numbered = |prefix: &str| {
        key.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match file {
        // commands-conf.md §3: the settings valid with chunked = true, plus
        // `local` (read by AppInspect; see the comment in commands.conf).
        "commands.conf" => {
            [
                "filename",
                "chunked",
                "is_risky",
                "maxwait",
                "maxchunksize",
                "run_in_preview",
                "python.version",
                "python.required",
                "local",
            ]
            .contains(&key)
                || numbered("command.arg.")
        }
        "app.conf" => matches!(
            (stanza, key),
            ("install", "is_configured" | "state" | "build")
                | ("package", "id" | "check_for_updates")
                | ("launcher", "author" | "description" | "version")
                | ("ui", "is_visible" | "label")
                | ("id", "name" | "version")
        ),
        "searchbnf.conf" => {
            [
                "syntax",
                "simplesyntax",
                "shortdesc",
                "description",
                "usage",
                "tags",
                "related",
                "category",
            ]
            .contains(&key)
                || numbered("example")
                || numbered("comment")
        }
        "macros.conf" => [
            "definition",
            "args",
            "description",
            "iseval",
            "validation",
            "errormsg",
        ]
        .contains(&key),
        "distsearch.conf" => stanza == "replicationDenylist",
        "savedsearches.conf" => {
            [
                "search",
                "description",
                "disabled",
                "enableSched",
                "is_visible",
                "cron_schedule",
                "schedule_window",
                "counttype",
                "relation",
                "quantity",
            ]
            .contains(&key)
                || ["action.", "alert.", "dispatch."]
                    .iter()
                    .any(|p| key.starts_with(p))
        }
        "default.meta" => ["access", "export", "owner"].contains(&key),
        _ => false,
    }
}

#[test]
fn conf_files_parse_and_use_only_known_settings() {
    let files: Vec<PathBuf> = std::fs::read_dir(root().join("default"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .chain([root().join("app/metadata/default.meta")])
        .collect();
    assert!(files.len() >= 7);
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let conf = parse_conf(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (stanza, keys) in &conf {
            for (k, _) in keys {
                assert!(
                    allowed(&name, stanza, k),
                    "{name} [{stanza}] has unknown setting {k}"
                );
            }
        }
    }
    // The values that matter.
    let app =
        parse_conf(&std::fs::read_to_string(root().join("default/app.conf")).unwrap()).unwrap();
    let get = |c: &Conf, s: &str, k: &str| {
        c[s].iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(get(&app, "launcher", "version"), VERSION);
    assert_eq!(get(&app, "id", "version"), VERSION);
    assert_eq!(get(&app, "package", "id"), "wmilolbas");
    assert_eq!(get(&app, "package", "check_for_updates"), "false");
    let macros =
        parse_conf(&std::fs::read_to_string(root().join("default/macros.conf")).unwrap()).unwrap();
    assert_eq!(
        get(
            &macros,
            "wmiprsve_lolbas_execution_process_spawn_filter",
            "definition"
        ),
        "search *"
    );
    assert!(
        !macros.contains_key("drop_dm_object_name(1)"),
        "the CIM add-on owns drop_dm_object_name"
    );
    let saved =
        parse_conf(&std::fs::read_to_string(root().join("default/savedsearches.conf")).unwrap())
            .unwrap();
    let (name, _) = saved.iter().next().unwrap();
    let search = get(&saved, name, "search");
    assert!(search.contains("| wmilolbas |"), "{search}");
    assert!(
        search.contains("`security_content_ctime(firstTime)`")
            && search.ends_with("`wmiprsve_lolbas_execution_process_spawn_filter`")
    );
    assert_eq!(get(&saved, name, "disabled"), "true");
    assert_eq!(get(&saved, name, "action.risk"), "1");
    let risk: serde_json::Value =
        serde_json::from_str(&get(&saved, name, "action.risk.param._risk")).unwrap();
    assert_eq!(risk[0]["risk_score"], 54);
    let ann: serde_json::Value =
        serde_json::from_str(&get(&saved, name, "action.correlationsearch.annotations")).unwrap();
    assert_eq!(ann["mitre_attack"], serde_json::json!(["T1047"]));
    let bnf = parse_conf(&std::fs::read_to_string(root().join("default/searchbnf.conf")).unwrap())
        .unwrap();
    let syntax = get(&bnf, "wmilolbas-command", "syntax");
    for option in [
        "mode",
        "strict",
        "impact",
        "confidence",
        "parent",
        "message",
        "catalog",
    ] {
        assert!(
            syntax.contains(&format!("({option}=")),
            "searchbnf syntax names {option}"
        );
    }
}
