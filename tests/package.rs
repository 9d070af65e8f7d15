//! `cargo xtask package` (the `xtask` workspace member, called here as a
//! library): the archive's file list and modes, the .conf files' syntax and
//! settings, and the packaged binary run from the unpacked app. (The
//! portable zig build is exercised by .ci/run; here the test build of the
//! binary is packaged with --binary.)

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

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
            "wmilolbas/lookups/wmilolbas_lolbas_binaries.csv",
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
    let commands =
        String::from_utf8(pkg.files["wmilolbas/default/commands.conf"].1.clone()).unwrap();
    let conf = parse_conf(&commands).unwrap();
    assert_eq!(
        conf["wmilolbas"],
        vec![
            ("filename".to_string(), "wmilolbas".to_string()),
            ("chunked".into(), "true".into()),
            ("run_in_preview".into(), "false".into())
        ]
    );
    let dist = packaged_conf(&pkg, "default/distsearch.conf");
    assert!(
        !dist.contains_key("replicationDenylist") && !dist.contains_key("replicationBlacklist")
    );
    assert_eq!(dist["replicationAllowlist"], dist["replicationWhitelist"]);
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
        &getinfo(&["catalog=wmilolbas_lolbas_binaries.csv"]),
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
        // docs/commands-conf.md §3: the settings valid with chunked = true, plus
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
        "distsearch.conf" => [
            "replicationDenylist",
            "replicationBlacklist",
            "replicationAllowlist",
            "replicationWhitelist",
        ]
        .contains(&stanza),
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
                "allow_skew",
                "realtime_schedule",
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
    let bnf = parse_conf(&std::fs::read_to_string(root().join("default/searchbnf.conf")).unwrap())
        .unwrap();
    let syntax = get(&bnf, "wmilolbas-command", "syntax");
    for option in wmilolbas::options::OPTION_NAMES {
        assert!(
            syntax.contains(&format!("({option}=")),
            "searchbnf syntax names {option}"
        );
        let description = get(&bnf, "wmilolbas-command", "description");
        let upper = option.to_ascii_uppercase();
        assert!(
            description.contains(&format!("{upper}:"))
                || description.contains(&format!("{upper},")),
            "searchbnf description explains {option}"
        );
    }
}

/// A .conf file of an unpacked package, parsed.
fn packaged_conf(pkg: &Unpacked, rel: &str) -> Conf {
    let (_, data) = &pkg.files[&format!("wmilolbas/{rel}")];
    parse_conf(std::str::from_utf8(data).unwrap()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn value<'c>(conf: &'c Conf, stanza: &str, key: &str) -> &'c str {
    conf[stanza]
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("[{stanza}] has no {key}"))
}

/// Knowledge-object names ESCU, the CIM add-on and ES define that an app
/// next to them must not reuse (docs/deployment.md, "Names").
const FOREIGN_NAMES: [&str; 9] = [
    "security_content_summariesonly",
    "security_content_ctime(1)",
    "summariesonly_config",
    "oldsummaries_config",
    "fillnull_config",
    "drop_dm_object_name(1)",
    "wmiprsve_lolbas_execution_process_spawn_filter",
    "wmiprvse_lolbas_execution_process_spawn_filter",
    "lolbas_binaries.csv",
];

/// Issue 11: the packaged app's knowledge objects live in the `wmilolbas`
/// namespace, it exports only the command, its help and its macros, and
/// every correlation search carries the ES 7 and ES 8 keys, its own
/// detection id, the score's one source and a threat object.
#[test]
fn packaged_knowledge_objects_are_namespaced_and_es8_ready() {
    let (_, pkg) = default_package();
    let macros = packaged_conf(pkg, "default/macros.conf");
    let saved = packaged_conf(pkg, "default/savedsearches.conf");
    let meta = packaged_conf(pkg, "metadata/default.meta");
    let lookups: Vec<&str> = pkg
        .files
        .keys()
        .filter_map(|p| p.strip_prefix("wmilolbas/lookups/"))
        .filter(|p| !p.is_empty())
        .collect();
    assert!(!lookups.is_empty());
    let names = macros
        .keys()
        .chain(saved.keys())
        .map(String::as_str)
        .chain(lookups.iter().copied());
    for name in names {
        assert!(
            name.starts_with("wmilolbas"),
            "{name} is outside the namespace"
        );
        assert!(!FOREIGN_NAMES.contains(&name), "{name}");
    }
    assert!(!pkg.files.contains_key("wmilolbas/default/transforms.conf"));

    // Exports: only what users call from other apps.
    let exported: Vec<&str> = meta
        .iter()
        .filter(|(_, keys)| keys.iter().any(|(k, v)| k == "export" && v == "system"))
        .map(|(s, _)| s.as_str())
        .collect();
    assert_eq!(exported, ["commands", "macros", "searchbnf"]);

    // Every saved search uses only macros the app defines, or the CIM's,
    // and carries the ES 7 and ES 8 keys with its own detection id.
    let macro_key = |call: &str| match call.split_once('(') {
        Some((n, args)) => format!("{n}({})", args.matches(',').count() + 1),
        None => call.to_string(),
    };
    let mut ids = Vec::new();
    let mut filters = Vec::new();
    for name in correlation_searches(&saved) {
        let search = value(&saved, name, "search");
        for key in ["search", "action.notable.param.drilldown_search"] {
            let text = value(&saved, name, key);
            let calls: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
            assert!(calls.len() >= 4, "[{name}] {key}: {calls:?}");
            for call in calls {
                let k = macro_key(call);
                assert!(
                    macros.contains_key(&k) || k == "drop_dm_object_name(1)",
                    "[{name}] {key} uses `{call}`, which nobody defines"
                );
            }
        }
        // Its own tuning: an options macro (the score's one source) and a
        // filter macro applied last, neither shared with another search.
        let options: Vec<&str> = wmilolbas_segment(search)
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|m| m.ends_with("options"))
            .collect();
        assert_eq!(
            options.len(),
            1,
            "[{name}] the score's source is not passed: {search}"
        );
        let filter = search
            .rsplit_once("| `")
            .and_then(|(_, last)| last.strip_suffix('`'))
            .unwrap_or_else(|| panic!("[{name}] does not end with a macro: {search}"));
        assert!(filter.ends_with("filter"), "[{name}] ends with `{filter}`");
        assert_eq!(value(&macros, filter, "definition"), "search *", "[{name}]");
        for taken in [options[0], filter] {
            assert!(
                !filters.contains(&taken),
                "[{name}] shares `{taken}` with another search"
            );
            filters.push(taken);
        }

        // ES 8 keys, as contentctl writes them.
        assert_eq!(
            value(&saved, name, "action.correlationsearch.detection_type"),
            "ebd"
        );
        assert_eq!(value(&saved, name, "allow_skew"), "100%");
        assert_eq!(value(&saved, name, "realtime_schedule"), "0");
        let meta_json = json(&saved, name, "action.correlationsearch.metadata");
        assert_eq!(meta_json["deprecated"], "0");
        let own_id = meta_json["detection_id"].as_str().unwrap().to_string();
        assert_eq!(own_id.len(), 36);
        assert!(!own_id.starts_with("95a455f0") && !own_id.starts_with("b7e11721"));
        assert!(
            !ids.contains(&own_id),
            "[{name}] reuses detection_id {own_id}"
        );
        ids.push(own_id);
        assert!(json(&saved, name, "action.notable.param._entities").is_array());
        let drilldowns = json(&saved, name, "action.notable.param.drilldown_searches");
        let drilldowns = drilldowns.as_array().unwrap();
        assert_eq!(drilldowns.len(), 2, "[{name}]");
        for d in drilldowns {
            for k in ["name", "search", "earliest_offset", "latest_offset"] {
                assert!(d[k].is_string(), "[{name}] drilldown without {k}: {d}");
            }
            for call in d["search"].as_str().unwrap().split('`').skip(1).step_by(2) {
                let k = macro_key(call);
                assert!(
                    macros.contains_key(&k) || k == "drop_dm_object_name(1)",
                    "[{name}] {call}"
                );
            }
        }

        // The risk action: dest as risk object, the threat object field.
        let risk = json(&saved, name, "action.risk.param._risk");
        let risk = risk.as_array().unwrap();
        assert_eq!(risk[0]["risk_object_field"], "dest");
        assert_eq!(risk[0]["risk_object_type"], "system");
        let threat = risk
            .iter()
            .find(|e| e.get("threat_object_field").is_some())
            .expect("a threat object entry");
        assert_eq!(threat["threat_object_field"], "threat_object");
        assert_eq!(threat["threat_object_type"], "process_name");
    }

    // Preview: off, as 9.0+ defaults for chunked commands, also on 8.x.
    let commands = packaged_conf(pkg, "default/commands.conf");
    assert_eq!(value(&commands, "wmilolbas", "run_in_preview"), "false");
}

/// The stanzas of a savedsearches.conf that are ES correlation searches.
fn correlation_searches(saved: &Conf) -> Vec<&str> {
    let names: Vec<&str> = saved
        .iter()
        .filter(|(_, keys)| {
            keys.iter()
                .any(|(k, v)| k == "action.correlationsearch.enabled" && v == "1")
        })
        .map(|(s, _)| s.as_str())
        .collect();
    assert!(!names.is_empty(), "no correlation search");
    names
}

/// A JSON-valued setting, parsed.
fn json(conf: &Conf, stanza: &str, key: &str) -> serde_json::Value {
    serde_json::from_str(value(conf, stanza, key))
        .unwrap_or_else(|e| panic!("[{stanza}] {key} is not JSON: {e}"))
}

/// What follows `| wmilolbas ` in a search, up to the next pipe outside
/// double quotes.
fn wmilolbas_segment(search: &str) -> &str {
    let (_, rest) = search
        .split_once("| wmilolbas ")
        .unwrap_or_else(|| panic!("no | wmilolbas in {search}"));
    let mut quoted = false;
    let end = rest
        .char_indices()
        .find(|&(_, c)| {
            if c == '"' {
                quoted = !quoted;
            }
            c == '|' && !quoted
        })
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

/// The argument string a saved search passes to `| wmilolbas`, its macros
/// expanded (argument-less macros only, as the app's are), quotes kept: what
/// splunkd tokenizes (and the stand-in's `--args` takes).
fn command_arg_string(search: &str, macros: &Conf) -> String {
    let mut expanded = String::new();
    for (i, piece) in wmilolbas_segment(search).split('`').enumerate() {
        if i % 2 == 1 {
            expanded.push_str(value(macros, piece, "definition"));
        } else {
            expanded.push_str(piece);
        }
    }
    expanded.trim().to_string()
}

/// The arguments a saved search passes to `| wmilolbas`, as splunkd hands
/// them over in getinfo's `args`: split on spaces outside double quotes,
/// the quotes removed (the app's values hold no `\"`).
fn command_args(search: &str, macros: &Conf) -> Vec<String> {
    let text = command_arg_string(search, macros);
    assert!(!text.contains('\\'), "extend command_args for {text}");
    let (mut args, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    args.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    assert!(!quoted, "unbalanced quote in {text}");
    if !cur.is_empty() {
        args.push(cur);
    }
    args
}

/// The risk_score `| wmilolbas ARGS` gives a wmiprvse.exe → mshta.exe row.
fn score_with(args: &[&str]) -> f64 {
    let mut input = getinfo(args);
    input.extend(execute(
        true,
        b"dest,parent_process_name,process_name\nH,wmiprvse.exe,mshta.exe\n",
    ));
    let r = run(&[], &input);
    let rows = csv_rows(&parse_replies(&r.stdout)[1].body);
    let col = rows[0].iter().position(|h| h == "risk_score").unwrap();
    let row = rows
        .get(1)
        .unwrap_or_else(|| panic!("| wmilolbas {args:?} did not detect the probe row"));
    row[col].parse().unwrap()
}

/// contentctl's notable severity for a risk score (`detection_abstract.py`,
/// `severity`: 0–20 informational, then up to 40 low, 60 medium, 80 high,
/// 100 critical; docs/deployment.md §4).
fn contentctl_severity(score: f64) -> &'static str {
    match score {
        s if s <= 20.0 => "informational",
        s if s <= 40.0 => "low",
        s if s <= 60.0 => "medium",
        s if s <= 80.0 => "high",
        _ => "critical",
    }
}

/// contentctl's `providing_technologies` for a search: each key found in
/// the search text adds its technologies (`enums.py`,
/// `ProvidingTechnology.getProvidingTechFromSearch`, v5.6.0), sorted.
fn contentctl_providing_technologies(search: &str) -> Vec<&'static str> {
    const GOOGLE: &[&str] = &["Google Cloud Platform", "Google Workspace"];
    const MAP: &[(&str, &[&str])] = &[
        ("`amazon_security_lake`", &["Amazon Security Lake"]),
        ("audit_searches", &["Splunk Internal Logs"]),
        ("`azure_monitor_aad`", &["Azure AD", "Entra ID"]),
        ("`cloudtrail`", &["Amazon Web Services - Cloudtrail"]),
        (
            "Endpoint",
            &[
                "Microsoft Sysmon",
                "Microsoft Windows",
                "Carbon Black Response",
                "CrowdStrike Falcon",
                "Symantec Endpoint Protection",
            ],
        ),
        ("`google_", GOOGLE),
        ("`gsuite", GOOGLE),
        ("`gws_", GOOGLE),
        ("`kube", &["Kubernetes"]),
        ("`ms_defender`", &["Microsoft Defender"]),
        ("`o365_", &["Microsoft Office 365"]),
        ("`okta", &["Okta"]),
        ("`pingid`", &["Ping ID"]),
        ("`powershell`", &["Microsoft Windows"]),
        ("`splunkd_", &["Splunk Internal Logs"]),
        ("`sysmon`", &["Microsoft Sysmon"]),
        ("`wineventlog_security`", &["Microsoft Windows"]),
        ("`zeek_", &["Zeek"]),
    ];
    let mut found: Vec<&str> = MAP
        .iter()
        .filter(|(key, _)| search.contains(key))
        .flat_map(|(_, techs)| techs.iter().copied())
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

#[test]
fn contentctl_severity_bands_match_its_source() {
    for (score, want) in [
        (0.0, "informational"),
        (20.0, "informational"),
        (20.25, "low"),
        (40.0, "low"),
        (40.5, "medium"),
        (50.0, "medium"),
        (54.0, "medium"),
        (60.0, "medium"),
        (60.5, "high"),
        (80.0, "high"),
        (81.0, "critical"),
        (100.0, "critical"),
    ] {
        assert_eq!(contentctl_severity(score), want, "{score}");
    }
}

/// Issue 19: every correlation search carries what contentctl 5.x writes
/// (annotations with type, type_list and data_source and without
/// confidence/impact; providing_technologies as contentctl derives it),
/// its 7-day risk drilldown is not bounded by the detection's own window,
/// and its notable severity is the band of the score its results carry.
#[test]
fn correlation_searches_follow_contentctl_5_and_severity_follows_the_score() {
    let (_, pkg) = default_package();
    let macros = packaged_conf(pkg, "default/macros.conf");
    let saved = packaged_conf(pkg, "default/savedsearches.conf");
    for name in correlation_searches(&saved) {
        let search = value(&saved, name, "search");

        // Annotations: contentctl 5 writes analytic_story, type, type_list,
        // data_source and the mappings; since 5.0 no confidence or impact.
        let ann = json(&saved, name, "action.correlationsearch.annotations");
        let ann = ann.as_object().unwrap();
        assert!(!ann.contains_key("confidence"), "[{name}] {ann:?}");
        assert!(!ann.contains_key("impact"), "[{name}] {ann:?}");
        let kind = ann["type"].as_str().expect("type is a string");
        assert!(
            ["TTP", "Anomaly", "Hunting", "Correlation"].contains(&kind),
            "[{name}] type {kind}"
        );
        assert_eq!(ann["type_list"], serde_json::json!([kind]), "[{name}]");
        let sources = ann["data_source"].as_array().expect("data_source list");
        assert!(!sources.is_empty(), "[{name}]");
        assert!(sources.iter().all(|s| s.is_string()), "[{name}]");
        assert_eq!(
            ann["analytic_story"],
            json(&saved, name, "action.escu.analytic_story"),
            "[{name}]"
        );
        let mappings = json(&saved, name, "action.escu.mappings");
        for (k, v) in mappings.as_object().unwrap() {
            assert_eq!(&ann[k], v, "[{name}] annotations.{k} vs mappings");
        }
        let keys: Vec<&str> = ann.keys().map(String::as_str).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "[{name}] contentctl sorts the keys");

        // Providing technologies: derived from the search, as contentctl does.
        let techs = json(&saved, name, "action.escu.providing_technologies");
        let want = contentctl_providing_technologies(search);
        assert!(!want.is_empty(), "[{name}]");
        assert_eq!(techs, serde_json::json!(want), "[{name}]");

        // The risk drilldown covers the 7 days before the notable (ESCU
        // b7e11721 v5: earliest_offset 7d, latest_offset "0"); the results
        // drilldown keeps the detection's own window.
        let drilldowns = json(&saved, name, "action.notable.param.drilldown_searches");
        let drilldowns = drilldowns.as_array().unwrap();
        let risk_dd = drilldowns
            .iter()
            .find(|d| {
                d["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("View risk events for the last 7 days")
            })
            .unwrap_or_else(|| panic!("[{name}] no 7-day risk drilldown"));
        assert_eq!(risk_dd["earliest_offset"], "7d", "[{name}]");
        assert_eq!(risk_dd["latest_offset"], "0", "[{name}]");
        let risk_search = risk_dd["search"].as_str().unwrap();
        assert!(risk_search.starts_with("| from datamodel Risk.All_Risk"));
        assert!(!risk_search.contains("$info_"), "[{name}] {risk_search}");
        assert!(!risk_search.contains("hoursago"), "[{name}] {risk_search}");
        for d in drilldowns.iter().filter(|d| *d != risk_dd) {
            assert_eq!(d["earliest_offset"], "$info_min_time$", "[{name}]");
            assert_eq!(d["latest_offset"], "$info_max_time$", "[{name}]");
        }

        // One source for the score: the options in the search's macro give
        // the results' risk_score; the risk action shows the same number and
        // the notable's severity is its contentctl band.
        let args = command_args(search, &macros);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let score = score_with(&args);
        let risk = json(&saved, name, "action.risk.param._risk");
        let shown = risk[0]["risk_score"].as_f64().unwrap();
        assert_eq!(shown, score, "[{name}] risk action vs | wmilolbas {args:?}");
        assert_eq!(
            value(&saved, name, "action.notable.param.severity"),
            contentctl_severity(score),
            "[{name}] severity vs score {score}"
        );
    }

    // Switching profile keeps the band; a custom score can leave it, which
    // is why the macro's description says to set the severity with it.
    assert_eq!(score_with(&["profile=escu2021"]), 54.0);
    assert_eq!(score_with(&["profile=escu2025"]), 50.0);
    assert_eq!(contentctl_severity(50.0), contentctl_severity(54.0));
    assert_eq!(
        contentctl_severity(score_with(&["impact=90", "confidence=90"])),
        "critical"
    );
    let help = value(&macros, "wmilolbas_options", "description");
    for needle in [
        "severity",
        "action.notable.param.severity",
        "above 80 critical",
    ] {
        assert!(
            help.contains(needle),
            "wmilolbas_options description: {needle}"
        );
    }
}

/// Splunk's system default replication allowlist entries (distsearch.conf,
/// 7.2 to 10.4: the same text under `[replicationWhitelist]` up to 8.2 and
/// `[replicationAllowlist]` from 9.0). `other`'s `(?!pdfserver)` lookahead
/// is left out (the regex crate has no lookaround; no path here is
/// pdfserver's).
const SYSTEM_ALLOWLIST: [&str; 3] = [
    "(system|(apps/*)|users(/_reserved)?/*/*)/(default|local)/*.conf",
    "(system|(apps/*)|users(/_reserved)?/*/*)/metadata/*.meta",
    "(system|(apps/*)|users(/_reserved)?/*/*)/(bin|lookups)/...",
];

/// A replication pattern as a regular expression: `...` matches anything,
/// `*` anything but a directory separator; the whole path must match.
fn replication_regex(pattern: &str) -> regex::Regex {
    let r = pattern
        .replace("...", "\u{0}")
        .replace('*', "[^/]*")
        .replace('\u{0}', ".*");
    regex::Regex::new(&format!("^(?:{r})$")).unwrap()
}

/// The files of an app a search peer receives in the knowledge bundle, as
/// Splunk `major` (8 or 9+) reads the app's distsearch.conf.
fn replicated(files: &[String], distsearch: Option<&Conf>, major: u32) -> Vec<String> {
    let (allow, deny): (&[&str], &[&str]) = if major < 9 {
        (&["replicationWhitelist"], &["replicationBlacklist"])
    } else {
        (
            &["replicationAllowlist", "replicationWhitelist"],
            &["replicationDenylist", "replicationBlacklist"],
        )
    };
    let entries = |stanzas: &[&str]| -> Vec<regex::Regex> {
        stanzas
            .iter()
            .filter_map(|s| distsearch.and_then(|c| c.get(*s)))
            .flatten()
            .map(|(_, v)| replication_regex(v))
            .collect()
    };
    let mut allow_re: Vec<regex::Regex> = SYSTEM_ALLOWLIST
        .iter()
        .map(|p| replication_regex(p))
        .collect();
    allow_re.extend(entries(allow));
    let deny_re = entries(deny);
    files
        .iter()
        .filter(|f| {
            let etc = format!("apps/wmilolbas/{f}");
            allow_re.iter().any(|r| r.is_match(&etc)) && !deny_re.iter().any(|r| r.is_match(&etc))
        })
        .cloned()
        .collect()
}

/// The ELF machine of a binary (`e_machine`), 0 for anything else.
fn elf_machine(data: &[u8]) -> u16 {
    if data.len() < 20 || !data.starts_with(b"\x7fELF") {
        return 0;
    }
    u16::from_le_bytes([data[18], data[19]])
}

/// Issue 11: with Splunk's default replication rules plus the app's own
/// distsearch.conf, as 8.x and as 9.x+ read them, each kind of search peer
/// receives a binary it can run (`<platform>/bin/` first, then `bin/`); the
/// search-head-only package sends peers no binary at all.
#[test]
fn distributed_layout_replicates_a_runnable_binary_on_8x_and_9x() {
    let x86 = std::fs::read(env!("CARGO_BIN_EXE_wmilolbas")).unwrap();
    assert_eq!(elf_machine(&x86), 62);
    let mut arm = vec![0u8; 64];
    arm[..4].copy_from_slice(b"\x7fELF");
    arm[18..20].copy_from_slice(&183u16.to_le_bytes());
    let others = xtask::package::OtherPlatforms {
        linux_aarch64: arm,
        windows_x86_64: b"MZ fake PE".to_vec(),
    };
    for distributed in [false, true] {
        for all_platforms in [false, true] {
            let placed =
                xtask::package::place_binaries(x86.clone(), all_platforms.then(|| others.clone()));
            let entries = xtask::package::entries(&root(), VERSION, distributed, &placed).unwrap();
            let files: Vec<String> = entries.iter().map(|e| e.path.clone()).collect();
            let data = |p: &str| &entries.iter().find(|e| e.path == p).unwrap().data;
            let distsearch = entries
                .iter()
                .find(|e| e.path == "default/distsearch.conf")
                .map(|e| parse_conf(std::str::from_utf8(&e.data).unwrap()).unwrap());
            for major in [8, 9, 10] {
                let got = replicated(&files, distsearch.as_ref(), major);
                let what = format!("distributed={distributed} all={all_platforms} {major}.x");
                assert!(got.contains(&"default/commands.conf".to_string()), "{what}");
                let bins: Vec<&String> = got.iter().filter(|f| f.contains("bin/")).collect();
                if !distributed {
                    assert!(bins.is_empty(), "{what}: binaries replicated: {bins:?}");
                    continue;
                }
                // How a peer finds the command: <platform>/bin/, then bin/.
                let find = |platform: Option<&str>| {
                    platform
                        .map(|p| format!("{p}/bin/wmilolbas"))
                        .into_iter()
                        .chain(["bin/wmilolbas".to_string()])
                        .find(|p| got.contains(p))
                };
                let on_x86 = find(Some("linux_x86_64")).expect("x86-64 peer finds a binary");
                assert_eq!(
                    elf_machine(data(&on_x86)),
                    62,
                    "{what}: x86-64 peer runs {on_x86}"
                );
                if all_platforms {
                    let on_arm = find(None).expect("ARM peer finds a binary");
                    assert_eq!(
                        elf_machine(data(&on_arm)),
                        183,
                        "{what}: ARM peer runs {on_arm}"
                    );
                    assert!(got.contains(&"windows_x86_64/bin/wmilolbas.exe".to_string()));
                }
            }
        }
    }
}

/// The names a `$field$ IN ("a", "b")` macro lists.
fn in_list(definition: &str) -> Vec<String> {
    definition
        .split('"')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

#[test]
fn the_lineage_search_narrows_to_chains_keeps_lineage_detections_and_reports_each_once() {
    let (_, pkg) = default_package();
    let macros = packaged_conf(pkg, "default/macros.conf");
    let saved = packaged_conf(pkg, "default/savedsearches.conf");
    let plain = "wmilolbas - Wmiprsve LOLBAS Execution Process Spawn - Rule";
    let name = "wmilolbas - Wmiprvse LOLBAS Execution Through a Shell - Rule";
    assert_eq!(value(&saved, name, "disabled"), "true");
    let search = value(&saved, name, "search");

    // The command: lineage=true and the search's own options macro; only
    // lineage detections are kept (direct children are the first search's).
    let args = command_args(search, &macros);
    assert!(args.iter().any(|a| a == "lineage=true"), "{args:?}");
    assert!(wmilolbas_segment(search).contains("`wmilolbas_lineage_options`"));
    assert!(search.contains(r#"| search match_reason IN ("lineage", "launcher_command_line")"#));

    // Each detection reported by one run: hourly over 120 minutes, keeping
    // the rows created in the last 60.
    assert_eq!(value(&saved, name, "cron_schedule"), "0 * * * *");
    assert_eq!(value(&saved, name, "dispatch.earliest_time"), "-130m@m");
    assert_eq!(value(&saved, name, "dispatch.latest_time"), "-10m@m");
    assert!(
        search.contains("| addinfo | where firstTime >= info_max_time - 3600 | fields - info_*")
    );

    // Its own identity, the one the binary writes on lineage detections.
    let meta = json(&saved, name, "action.correlationsearch.metadata");
    assert_eq!(meta["detection_id"], wmilolbas::lineage::identity::ID);
    // Its annotations: every technique a lineage row can carry (T1047, and
    // T1059.003 for cmd.exe, T1059.001 for PowerShell, T1059 for another
    // launcher).
    let ann = json(&saved, name, "action.correlationsearch.annotations");
    assert_eq!(
        ann["mitre_attack"],
        serde_json::json!(wmilolbas::annotate::technique::LINEAGE_TECHNIQUE_IDS)
    );
    assert_ne!(
        meta["detection_id"],
        json(&saved, plain, "action.correlationsearch.metadata")["detection_id"]
    );

    // The tstats macros name what the command uses.
    let launchers = in_list(value(&macros, "wmilolbas_launchers(1)", "definition"));
    assert_eq!(launchers, wmilolbas::lineage::DEFAULT_LAUNCHERS);
    let paths = in_list(value(&macros, "wmilolbas_launcher_paths(1)", "definition"));
    let want: Vec<String> = launchers.iter().map(|l| format!("*\\\\{l}")).collect();
    assert_eq!(paths, want);
    let lolbas = in_list(value(&macros, "wmilolbas_lolbas(1)", "definition"));
    assert_eq!(lolbas, wmilolbas::rule::catalog::ESCU_NAMES);

    // The narrowing keeps every row a chain needs: the fixtures filtered by
    // the tstats condition (the macros' lists, as tstats compares: ASCII
    // case ignored) give the same detections. Every launcher is kept,
    // whatever its parent: narrowed to launchers under wmiprvse.exe or a
    // launcher, the PID fixture's explorer.exe shell that reuses an exited
    // WMI shell's PID (G) is dropped, and its child is linked to the WMI
    // shell — a false detection (regression test for that first design).
    assert!(search.contains(
        "where (`wmilolbas_launchers(Processes.process_name)` OR `wmilolbas_launcher_paths(Processes.process_path)` OR ((`wmilolbas_launchers(Processes.parent_process_name)` OR `wmilolbas_launcher_paths(Processes.parent_process_path)`) AND (`wmilolbas_lolbas(Processes.process_name)` OR `wmilolbas_lolbas(Processes.original_file_name)`))) by "
    ));
    let is_in = |list: &[String], v: &str| list.iter().any(|x| x.eq_ignore_ascii_case(v));
    for fixture in ["chains_guid.csv", "chains_pid.csv"] {
        let path = data(&format!("lineage/{fixture}"));
        let mut r = csv::Reader::from_path(&path).unwrap();
        let h = r.headers().unwrap().clone();
        let col = |n: &str| h.iter().position(|x| x == n).unwrap();
        let (parent, child, expect) = (
            col("parent_process_name"),
            col("process_name"),
            col("expect"),
        );
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&h).unwrap();
        let mut want = Vec::new();
        for row in r.records().map(Result::unwrap) {
            let (p, c) = (&row[parent], &row[child]);
            let kept = is_in(&launchers, c) || (is_in(&launchers, p) && is_in(&lolbas, c));
            if kept {
                w.write_record(&row).unwrap();
            }
            let e = &row[expect];
            if e.starts_with("lineage|") || e.starts_with("launcher_command_line|") {
                assert!(kept, "{fixture}: {e} must pass the tstats condition");
                want.push(e.to_string());
            }
        }
        let narrowed = tempdir().join("narrowed.csv");
        std::fs::write(&narrowed, w.into_inner().unwrap()).unwrap();
        let s = crate::fake_splunkd::fake_splunkd(
            Some(&narrowed),
            &command_arg_string(search, &macros),
            &["--chunk-rows", "3"],
            &bin(),
        );
        let (reason, path_col) = (
            s.header.iter().position(|x| x == "match_reason").unwrap(),
            s.header.iter().position(|x| x == "lineage_path").unwrap(),
        );
        let mut got: Vec<String> = s
            .rows
            .iter()
            .filter(|r| r[reason] == "lineage" || r[reason] == "launcher_command_line")
            .map(|r| format!("{}|{}", r[reason], r[path_col]))
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{fixture}");
    }
}

/// Issue 25: the rows each shipped correlation search writes carry the
/// `detection_id` of that stanza's metadata and the `detection_name` its
/// label and rule title give (`wmilolbas - <name> - Rule`, as contentctl
/// names a detection's stanza). Each search's SPL is read from the package,
/// its macros expanded, and the command run with the resulting arguments
/// through the splunkd stand-in, on inputs that give each search detections.
/// Typed by hand, `| wmilolbas` keeps the profile's identity.
#[test]
fn each_shipped_search_writes_rows_carrying_its_own_detection_id_and_name() {
    let (_, pkg) = default_package();
    let macros = packaged_conf(pkg, "default/macros.conf");
    let saved = packaged_conf(pkg, "default/savedsearches.conf");
    let inputs = [
        "attack_data/cim/endpoint_processes_from_samples.csv",
        "lineage/chains_guid.csv",
        "lineage/chains_pid.csv",
    ];
    let mut identities = Vec::new();
    for name in correlation_searches(&saved) {
        let meta = json(&saved, name, "action.correlationsearch.metadata");
        let want_id = meta["detection_id"].as_str().unwrap().to_string();
        assert_eq!(value(&saved, name, "action.correlationsearch.label"), name);
        let want_name = name
            .strip_prefix("wmilolbas - ")
            .and_then(|n| n.strip_suffix(" - Rule"))
            .unwrap_or_else(|| panic!("[{name}] is not named wmilolbas - <name> - Rule"));
        assert_eq!(
            value(&saved, name, "action.notable.param.rule_title"),
            want_name
        );
        let args = command_arg_string(value(&saved, name, "search"), &macros);
        let mut rows = 0;
        let mut reasons = std::collections::BTreeSet::new();
        for input in inputs {
            let s = crate::fake_splunkd::fake_splunkd(
                Some(&data(input)),
                &args,
                &["--chunk-rows", "5"],
                &bin(),
            );
            let col = |n: &str| s.header.iter().position(|h| h == n).unwrap();
            let (id, det, reason) = (
                col("detection_id"),
                col("detection_name"),
                col("match_reason"),
            );
            for row in &s.rows {
                assert_eq!(row[id], want_id, "[{name}] {input}: {row:?}");
                assert_eq!(row[det], want_name, "[{name}] {input}: {row:?}");
                reasons.insert(row[reason].clone());
                rows += 1;
            }
        }
        assert!(rows > 0, "[{name}] no rows: the test proves nothing");
        if args.contains("lineage=true") {
            assert!(reasons.contains("lineage"), "[{name}] {reasons:?}");
            assert!(
                reasons.contains("launcher_command_line"),
                "[{name}] {reasons:?}"
            );
        }
        identities.push((want_id, want_name));
    }
    assert_eq!(identities.len(), 2);
    assert_ne!(identities[0], identities[1]);

    // By hand: the profile's identity (ESCU's), for plain and lineage rows alike.
    for (args, want) in [
        ("", "95a455f0-4c04-11ec-b8ac-3e22fbd008af"),
        ("profile=escu2025", "b7e11721-08b1-4d8b-9628-813bb2380514"),
        ("lineage=true", "95a455f0-4c04-11ec-b8ac-3e22fbd008af"),
    ] {
        let s = crate::fake_splunkd::fake_splunkd(
            Some(&data("lineage/chains_guid.csv")),
            args,
            &[],
            &bin(),
        );
        let col = |n: &str| s.header.iter().position(|h| h == n).unwrap();
        let plain: Vec<&Vec<String>> = s
            .rows
            .iter()
            .filter(|r| {
                !["lineage", "launcher_command_line"].contains(&r[col("match_reason")].as_str())
            })
            .collect();
        assert!(!plain.is_empty(), "{args}");
        for row in plain {
            assert_eq!(row[col("detection_id")], want, "{args}: {row:?}");
        }
    }
}

/// Issue 25: `| wmilolbas score=70` gives risk_score=70 (contentctl 5's
/// direct score); the profile keeps the identity.
#[test]
fn score_70_gives_risk_score_70() {
    assert_eq!(score_with(&["score=70"]), 70.0);
    assert_eq!(score_with(&["profile=escu2025", "score=70"]), 70.0);
    assert_eq!(score_with(&["score=0"]), 0.0);
    let r = run(
        &[],
        &[
            getinfo(&["score=70", "impact=90"]),
            execute(true, b"a\n1\n"),
        ]
        .concat(),
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("for score: expected no impact with it"),
        "{}",
        r.stderr
    );
}

/// Jinja's `tojson`, as contentctl's template renders every JSON setting:
/// Python's `json.dumps(v, sort_keys=True)` (`", "` and `": "` separators,
/// non-ASCII as `\uXXXX`), then `<`, `>`, `&` and `'` as `\u003c`,
/// `\u003e`, `\u0026`, `\u0027` (`markupsafe`'s `htmlsafe_json_dumps`).
fn contentctl_tojson(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    '<' | '>' | '&' | '\'' => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c if (c as u32) < 0x20 || !c.is_ascii() => {
                        let mut units = [0u16; 2];
                        for u in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{u:04x}"));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(contentctl_tojson)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}: {}",
                        contentctl_tojson(&Value::String((*k).clone())),
                        contentctl_tojson(&o[*k])
                    )
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Issue 25: every JSON setting of every correlation search is written
/// byte for byte as contentctl's `tojson` writes it, so both risk
/// drilldowns spell `ATT\u0026CK` (one of them had a literal `&`).
#[test]
fn json_settings_are_written_as_contentctl_tojson_writes_them() {
    let (_, pkg) = default_package();
    let saved = packaged_conf(pkg, "default/savedsearches.conf");
    let mut checked = 0;
    for name in correlation_searches(&saved) {
        for (key, raw) in &saved[name] {
            if !(raw.starts_with('[') || raw.starts_with('{')) {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(raw)
                .unwrap_or_else(|e| panic!("[{name}] {key} is not JSON: {e}"));
            assert_eq!(raw, &contentctl_tojson(&v), "[{name}] {key}");
            checked += 1;
        }
        let dd = value(&saved, name, "action.notable.param.drilldown_searches");
        assert!(
            dd.contains("ATT\\u0026CK Tactics") && !dd.contains('&'),
            "[{name}]"
        );
    }
    assert!(checked >= 20, "{checked}");
}

/// contentctl 5.6's template (`savedsearches_detections.j2`, v5.6.0) writes
/// these keys for every detection with a risk action and a notable, as a
/// TTP detection has; and these values whatever the detection.
const CONTENTCTL_TTP_KEYS: [&str; 47] = [
    "action.escu",
    "action.escu.enabled",
    "description",
    "action.escu.mappings",
    "action.escu.data_models",
    "action.escu.eli5",
    "action.escu.how_to_implement",
    "action.escu.known_false_positives",
    "action.escu.creation_date",
    "action.escu.modification_date",
    "action.escu.confidence",
    "action.escu.search_type",
    "action.escu.product",
    "action.escu.providing_technologies",
    "action.escu.analytic_story",
    "action.risk",
    "action.risk.param._risk_message",
    "action.risk.param._risk",
    "action.risk.param._risk_score",
    "action.risk.param.verbose",
    "cron_schedule",
    "dispatch.earliest_time",
    "dispatch.latest_time",
    "action.correlationsearch.enabled",
    "action.correlationsearch.detection_type",
    "action.correlationsearch.label",
    "action.correlationsearch.annotations",
    "action.correlationsearch.metadata",
    "schedule_window",
    "action.notable",
    "action.notable.param._entities",
    "action.notable.param.nes_fields",
    "action.notable.param.rule_description",
    "action.notable.param.rule_title",
    "action.notable.param.security_domain",
    "action.notable.param.severity",
    "alert.digest_mode",
    "disabled",
    "enableSched",
    "allow_skew",
    "counttype",
    "relation",
    "quantity",
    "realtime_schedule",
    "is_visible",
    "search",
    "action.notable.param.drilldown_searches",
];

/// Issue 25: each correlation search writes every key contentctl 5.6
/// writes for a TTP detection, with its fixed values, and beyond them only
/// the four it documents: ES before 7.2.0's single drilldown
/// (`drilldown_name`, `drilldown_search`) and `alert.suppress`/`alert.track`
/// set to their off values.
#[test]
fn correlation_searches_write_every_key_contentctl_5_6_writes_for_a_ttp_detection() {
    let (_, pkg) = default_package();
    let saved = packaged_conf(pkg, "default/savedsearches.conf");
    let fixed = [
        ("action.escu", "0"),
        ("action.escu.enabled", "1"),
        ("action.escu.confidence", "high"),
        ("action.escu.search_type", "detection"),
        ("action.risk", "1"),
        ("action.risk.param._risk_message", "$risk_message$"),
        ("action.risk.param._risk_score", "0"),
        ("action.risk.param.verbose", "0"),
        ("action.correlationsearch.enabled", "1"),
        ("action.correlationsearch.detection_type", "ebd"),
        ("action.notable", "1"),
        (
            "action.notable.param._entities",
            r#"[{"risk_object_field": "N/A", "risk_object_type": "N/A", "risk_score": 0}]"#,
        ),
        ("action.notable.param.nes_fields", "user,dest"),
        ("alert.digest_mode", "1"),
        ("disabled", "true"),
        ("enableSched", "1"),
        ("allow_skew", "100%"),
        ("counttype", "number of events"),
        ("relation", "greater than"),
        ("quantity", "0"),
        ("realtime_schedule", "0"),
        ("is_visible", "false"),
    ];
    for name in correlation_searches(&saved) {
        let keys: Vec<&str> = saved[name].iter().map(|(k, _)| k.as_str()).collect();
        for key in CONTENTCTL_TTP_KEYS {
            assert!(keys.contains(&key), "[{name}] lacks {key}");
        }
        for (key, want) in fixed {
            assert_eq!(value(&saved, name, key), want, "[{name}] {key}");
        }
        let mut extra: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| !CONTENTCTL_TTP_KEYS.contains(k))
            .collect();
        extra.sort_unstable();
        assert_eq!(
            extra,
            [
                "action.notable.param.drilldown_name",
                "action.notable.param.drilldown_search",
                "alert.suppress",
                "alert.track"
            ],
            "[{name}]"
        );
        assert_eq!(value(&saved, name, "alert.suppress"), "0", "[{name}]");
        assert_eq!(value(&saved, name, "alert.track"), "0", "[{name}]");
        // The legacy drilldown is the first drilldown of the ES 7.2+ list.
        let list = json(&saved, name, "action.notable.param.drilldown_searches");
        assert_eq!(
            list[0]["name"],
            value(&saved, name, "action.notable.param.drilldown_name"),
            "[{name}]"
        );
        assert_eq!(
            list[0]["search"],
            value(&saved, name, "action.notable.param.drilldown_search"),
            "[{name}]"
        );
    }
}

/// The fields of a search's tstats BY clause, without `Processes.`.
fn by_fields(search: &str) -> Vec<String> {
    let (_, rest) = search
        .split_once(" by ")
        .unwrap_or_else(|| panic!("no BY clause: {search}"));
    rest.split('|')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(|f| {
            f.strip_prefix("Processes.")
                .unwrap_or_else(|| panic!("{f} is not a Processes. field"))
                .to_string()
        })
        .collect()
}

/// `$name$` tokens of a text (Splunk's notable and drilldown tokens).
fn dollar_tokens(text: &str) -> Vec<String> {
    text.split('$')
        .skip(1)
        .step_by(2)
        .filter(|t| !t.is_empty() && !t.contains(' '))
        .map(String::from)
        .collect()
}

/// What `| tstats count min(_time) as firstTime max(_time) as lastTime …
/// by <by> | drop_dm_object_name(Processes)` returns for `events`: one row
/// per distinct BY tuple, with its count and first and last time.
fn tstats_by(events: &[BTreeMap<String, String>], by: &[String]) -> Vec<u8> {
    let mut groups: BTreeMap<Vec<String>, (u32, f64, f64)> = BTreeMap::new();
    for e in events {
        let key: Vec<String> = by.iter().map(|f| e[f].clone()).collect();
        let t: f64 = e["_time"].parse().unwrap();
        let g = groups.entry(key).or_insert((0, f64::MAX, f64::MIN));
        *g = (g.0 + 1, g.1.min(t), g.2.max(t));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = by
        .iter()
        .map(String::as_str)
        .chain(["count", "firstTime", "lastTime"])
        .collect();
    w.write_record(&header).unwrap();
    for (key, (count, first, last)) in groups {
        let mut row = key;
        row.extend([count.to_string(), first.to_string(), last.to_string()]);
        w.write_record(&row).unwrap();
    }
    w.into_inner().unwrap()
}

/// The lineage fixtures as Endpoint.Processes events with all 20 fields the
/// first search's BY clause names: the fixtures' own fields, the others
/// filled as a Sysmon event would fill them (a hash and integrity level
/// per event, four users), `null` where the event has no value (tstats
/// `fillnull_value=null`).
fn lineage_events(fixture: &str, all: &[String]) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(data(&format!("lineage/{fixture}"))).unwrap();
    let h = r.headers().unwrap().clone();
    let mut out = Vec::new();
    for (i, row) in r.records().map(Result::unwrap).enumerate() {
        let mut e: BTreeMap<String, String> = all
            .iter()
            .map(|f| (f.clone(), "null".to_string()))
            .collect();
        for (k, v) in h.iter().zip(row.iter()) {
            if k != "tag" && k != "expect" {
                e.insert(k.to_string(), v.to_string());
            }
        }
        let (name, parent) = (e["process_name"].clone(), e["parent_process_name"].clone());
        let fill = [
            ("action", "allowed".to_string()),
            ("original_file_name", name.to_uppercase()),
            ("process_path", format!("C:\\Windows\\System32\\{name}")),
            (
                "parent_process_path",
                format!("C:\\Windows\\System32\\{parent}"),
            ),
            ("process_exec", name.clone()),
            ("parent_process_exec", parent.clone()),
            ("process_hash", format!("SHA256={i:064X}")),
            (
                "process_integrity_level",
                ["System", "High", "Medium"][i % 3].to_string(),
            ),
            ("user", format!("CORP\\u{}", i % 4)),
            ("user_id", format!("S-1-5-21-1000-{}", i % 4)),
            ("vendor_product", "Microsoft Sysmon".to_string()),
        ];
        for (k, v) in fill {
            e.insert(k.to_string(), v);
        }
        assert_eq!(e.len(), all.len() + 1, "{fixture}: {e:?}");
        out.push(e);
    }
    out
}

/// Issue 25: the lineage search's BY clause names only the fields the
/// command, the notable, the drilldowns and the risk message use: its own
/// arguments run through the stand-in on the fixtures as tstats returns
/// them with the first search's 20 BY fields (before) and with the lineage
/// search's (after) give the same detections with the same values in every
/// field the trimmed search returns.
#[test]
fn the_lineage_search_by_clause_drops_only_fields_nothing_uses() {
    let (_, pkg) = default_package();
    let macros = packaged_conf(pkg, "default/macros.conf");
    let saved = packaged_conf(pkg, "default/savedsearches.conf");
    let plain = "wmilolbas - Wmiprsve LOLBAS Execution Process Spawn - Rule";
    let name = "wmilolbas - Wmiprvse LOLBAS Execution Through a Shell - Rule";
    let search = value(&saved, name, "search");
    let before = by_fields(value(&saved, plain, "search"));
    let after = by_fields(search);
    assert_eq!(before.len(), 20);
    assert!(after.iter().all(|f| before.contains(f)), "{after:?}");
    let dropped: Vec<&String> = before.iter().filter(|f| !after.contains(f)).collect();
    assert_eq!(
        dropped,
        [
            "action",
            "parent_process",
            "parent_process_exec",
            "process_exec",
            "process_hash",
            "process_integrity_level",
            "user_id",
            "vendor_product"
        ]
    );

    // What the notable, the drilldowns and the risk action and message
    // read is in the trimmed search's results.
    let mut used: Vec<String> = Vec::new();
    for key in [
        "action.notable.param.rule_title",
        "action.notable.param.rule_description",
        "action.notable.param.drilldown_searches",
        "action.notable.param.drilldown_name",
        "action.risk.param._risk_message",
    ] {
        used.extend(dollar_tokens(value(&saved, name, key)));
    }
    used.extend(
        value(&saved, name, "action.notable.param.nes_fields")
            .split(',')
            .map(String::from),
    );
    for e in json(&saved, name, "action.risk.param._risk")
        .as_array()
        .unwrap()
    {
        for k in ["risk_object_field", "threat_object_field"] {
            used.extend(e[k].as_str().map(String::from));
        }
    }
    used.extend(dollar_tokens(wmilolbas::lineage::identity::MESSAGE));
    let returned: Vec<String> = after
        .iter()
        .cloned()
        .chain(["count", "firstTime", "lastTime"].map(String::from))
        .chain(
            wmilolbas::annotate::added_fields(true)
                .iter()
                .map(|f| f.to_string()),
        )
        .collect();
    for f in used.iter().filter(|f| !f.starts_with("info_")) {
        assert!(returned.contains(f), "{f} is used but not returned");
    }

    let args = command_arg_string(search, &macros);
    for fixture in ["chains_guid.csv", "chains_pid.csv"] {
        let events = lineage_events(fixture, &before);
        let run = |by: &[String]| {
            let input = tempdir().join("tstats.csv");
            std::fs::write(&input, tstats_by(&events, by)).unwrap();
            crate::fake_splunkd::fake_splunkd(Some(&input), &args, &["--chunk-rows", "4"], &bin())
        };
        let (full, trimmed) = (run(&before), run(&after));
        let kept = |s: &crate::fake_splunkd::Session| -> Vec<Vec<String>> {
            let reason = s.header.iter().position(|h| h == "match_reason").unwrap();
            let cols: Vec<usize> = trimmed
                .header
                .iter()
                .map(|h| s.header.iter().position(|x| x == h).unwrap())
                .collect();
            let mut rows: Vec<Vec<String>> = s
                .rows
                .iter()
                .filter(|r| r[reason] == "lineage" || r[reason] == "launcher_command_line")
                .map(|r| cols.iter().map(|&c| r[c].clone()).collect())
                .collect();
            rows.sort();
            rows
        };
        let want = kept(&full);
        assert!(
            want.len() >= 3,
            "{fixture}: {} lineage detections",
            want.len()
        );
        assert_eq!(kept(&trimmed), want, "{fixture}");
        let mut extra: Vec<&String> = full
            .header
            .iter()
            .filter(|h| !trimmed.header.contains(h))
            .collect();
        extra.sort();
        assert_eq!(extra, dropped, "{fixture}");
    }
}
