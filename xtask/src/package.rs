//! `cargo xtask package`: builds the installable Splunk app,
//! `dist/wmilolbas-<version>.tgz`, from `default/` (the .conf files),
//! `app/` (metadata, lookups, static, README) and the release binaries.
//!
//! The archive has one top folder, `wmilolbas/`; binaries are mode 755,
//! everything else 644, directories 755; dotfiles and `local/` never ship.
//!
//! The Linux x86-64 binary is built with `cargo zigbuild` against glibc 2.17
//! (tools from `scripts/install-tools.sh`), so it starts on RHEL 7/8 and
//! Amazon Linux 2 as well as on current distributions. When the tools are
//! missing the command fails and names the script; it never quietly ships
//! the host's binary, which needs glibc 2.34.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::binfmt::{self, Binary};
use crate::cross;
use crate::{Error, Result};

/// The app's folder name and id.
pub const APP: &str = "wmilolbas";

/// Highest glibc version a shipped Linux binary may need.
pub const GLIBC_FLOOR: (u32, u32) = (2, 17);

/// commands.conf of the distributed (on-premises) variant.
pub const DISTRIBUTED_COMMANDS_CONF: &str = "\
# | wmilolbas — a compiled command speaking the chunked protocol (SCPv2).
#
# Distributed (on-premises) package: the binary answers getinfo with type
# \"streaming\", so splunkd may run it on every search peer in parallel for
# raw-event searches (index=... EventCode=1 | wmilolbas). The binaries travel
# to the peers in the knowledge bundle (see distsearch.conf). Peers must be
# x86-64 Linux (or aarch64 Linux with the multi-platform build).
# run_in_preview = false: the 9.0+ default for chunked commands, set so 8.x
# behaves the same.
#
# splunkd tries <app>/<platform>/bin/ before <app>/bin/ for chunked commands.

[wmilolbas]
filename = wmilolbas
chunked = true
run_in_preview = false
";

/// distsearch.conf of the distributed variant.
///
/// Splunk's default replication allowlist (`other = (system|(apps/…*)|…)/
/// (bin|lookups)/...`, the same from 7.2 to 10.4) carries `apps/<app>/bin/`
/// but no platform folder, because `*` does not cross a `/`. Allowlists are
/// applied globally whichever app defines them, so the app adds its platform
/// folders; 8.x reads only `[replicationWhitelist]`, 9.0 and later
/// `[replicationAllowlist]` (and the deprecated name), so both are written.
pub const DISTRIBUTED_DISTSEARCH_CONF: &str = "\
# Distributed package: the knowledge bundle must carry the binaries to the
# search peers. Splunk's default allowlist replicates apps/<app>/bin/ but not
# apps/<app>/<platform>/bin/, so this app adds its platform folders: x86-64
# Linux peers then find linux_x86_64/bin/wmilolbas first, and ARM peers fall
# back to bin/ (the aarch64 build in the multi-platform package).
# Splunk 9.0 and later read [replicationAllowlist]; 8.x reads only
# [replicationWhitelist] (deprecated, still read, from 9.0 on).

[replicationAllowlist]
wmilolbas_platform_bin = apps/wmilolbas/(linux_x86_64|windows_x86_64)/bin/...

[replicationWhitelist]
wmilolbas_platform_bin = apps/wmilolbas/(linux_x86_64|windows_x86_64)/bin/...
";

/// Where a binary for one platform comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinarySource {
    /// Build it here (cross tools from the project's scripts).
    Build,
    /// Use this file as is (checked; a glibc floor above 2.17 is refused
    /// unless `allow_new_glibc`).
    File(PathBuf),
}

/// What to package.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    /// The on-premises variant (streaming, replicated to indexers).
    pub distributed: bool,
    /// The Linux x86-64 binary.
    pub linux_x86_64: BinarySource,
    /// Also build Linux aarch64 and Windows x86-64 binaries.
    pub all_platforms: bool,
    /// Accept a given Linux binary that needs a glibc newer than 2.17
    /// (development packages only; printed loudly).
    pub allow_new_glibc: bool,
    /// Output folder (default `<root>/dist`).
    pub out_dir: Option<PathBuf>,
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path inside the archive, below `wmilolbas/`.
    pub path: String,
    /// Contents.
    pub data: Vec<u8>,
    /// Unix mode (0o644 or 0o755).
    pub mode: u32,
}

/// Finds the project root: the nearest folder, from `start` up, holding
/// `Cargo.toml`, `default/` and `app/`.
pub fn find_root(start: &Path) -> Result<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join("Cargo.toml").is_file() && d.join("default").is_dir() && d.join("app").is_dir() {
            return Ok(d.to_path_buf());
        }
        dir = d.parent();
    }
    Err(Error::Package(format!(
        "no project root (Cargo.toml with default/ and app/) at or above {}; run it from the repository",
        start.display()
    )))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))
}

/// Reads `key` of `[stanza]` from a .conf text (no continuation lines).
pub fn conf_value(text: &str, stanza: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            current = name.to_string();
        } else if current == stanza {
            if let Some((k, v)) = t.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

/// Checks that app.conf carries the crate's version.
pub fn check_version(root: &Path, version: &str) -> Result<()> {
    let text = String::from_utf8_lossy(&read(&root.join("default/app.conf"))?).into_owned();
    for (stanza, key) in [("launcher", "version"), ("id", "version")] {
        let found = conf_value(&text, stanza, key);
        if found.as_deref() != Some(version) {
            return Err(Error::Package(format!(
                "default/app.conf [{stanza}] {key} is {}, but the crate's version is {version}; make them equal",
                found.as_deref().unwrap_or("missing")
            )));
        }
    }
    Ok(())
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let mut items: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("listing {}", dir.display()), e))?
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    items.sort_by_key(|e| e.file_name());
    for item in items {
        let name = item.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "local" || name.ends_with('~') {
            continue;
        }
        let path = item.path();
        let rel_path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            walk(&path, &rel_path, out)?;
        } else {
            out.push((rel_path, path));
        }
    }
    Ok(())
}

/// The app manifest (schema 2.0.0), as `slim generate-manifest` would write it.
pub fn manifest(version: &str, distributed: bool) -> String {
    let workloads: &[&str] = if distributed {
        &["_search_heads", "_indexers"]
    } else {
        &["_search_heads"]
    };
    let m = serde_json::json!({
        "schemaVersion": "2.0.0",
        "info": {
            "title": "WMI LOLBAS Detection",
            "id": {"group": null, "name": APP, "version": version},
            "author": [{"name": "wmilolbas developers", "email": null, "company": null}],
            "releaseDate": null,
            "description": "Custom search command | wmilolbas: finds wmiprvse.exe (WMI) spawning LOLBAS binaries and adds risk-based alerting fields (T1047).",
            "classification": {
                "intendedAudience": "Security",
                "categories": ["Security, Fraud & Compliance"],
                "developmentStatus": "Production/Stable"
            },
            "commonInformationModels": null,
            "license": {"name": "Apache-2.0", "text": null, "uri": "https://www.apache.org/licenses/LICENSE-2.0"},
            "privacyPolicy": {"name": null, "text": null, "uri": null},
            "releaseNotes": {"name": null, "text": null, "uri": null}
        },
        "dependencies": null,
        "tasks": null,
        "inputGroups": null,
        "incompatibleApps": null,
        "platformRequirements": null,
        "supportedDeployments": ["_standalone", "_distributed", "_search_head_clustering"],
        "targetWorkloads": workloads
    });
    let mut text = serde_json::to_string_pretty(&m).unwrap_or_default();
    text.push('\n');
    text
}

/// A binary placed in the app.
#[derive(Debug, Clone)]
pub struct PlacedBinary {
    /// Path inside the app, e.g. `linux_x86_64/bin/wmilolbas`.
    pub path: String,
    /// Contents.
    pub data: Vec<u8>,
}

/// Collects the archive's files (without directories), sorted.
pub fn entries(
    root: &Path,
    version: &str,
    distributed: bool,
    binaries: &[PlacedBinary],
) -> Result<Vec<Entry>> {
    let mut files = Vec::new();
    walk(&root.join("default"), "default", &mut files)?;
    walk(&root.join("app"), "", &mut files)?;
    let mut out = Vec::new();
    for (rel, path) in files {
        let data = match (distributed, rel.as_str()) {
            (true, "default/commands.conf") => DISTRIBUTED_COMMANDS_CONF.as_bytes().to_vec(),
            (true, "default/distsearch.conf") => DISTRIBUTED_DISTSEARCH_CONF.as_bytes().to_vec(),
            _ => read(&path)?,
        };
        out.push(Entry {
            path: rel,
            data,
            mode: 0o644,
        });
    }
    out.push(Entry {
        path: "app.manifest".into(),
        data: manifest(version, distributed).into_bytes(),
        mode: 0o644,
    });
    for b in binaries {
        out.push(Entry {
            path: b.path.clone(),
            data: b.data.clone(),
            mode: 0o755,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(w) = out.windows(2).find(|w| w[0].path == w[1].path) {
        return Err(Error::Package(format!(
            "two files would be packaged as {}",
            w[0].path
        )));
    }
    Ok(out)
}

/// Writes a `.tgz` with a single top folder `wmilolbas/`.
pub fn write_tgz(path: &Path, entries: &[Entry], mtime: u64) -> Result<()> {
    let io = |e: std::io::Error| Error::io(format!("writing {}", path.display()), e);
    let file = std::fs::File::create(path).map_err(io)?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut dirs = BTreeSet::new();
    dirs.insert(String::new());
    for e in entries {
        let mut p = e.path.as_str();
        while let Some((parent, _)) = p.rsplit_once('/') {
            dirs.insert(parent.to_string());
            p = parent;
        }
    }
    for d in &dirs {
        let name = if d.is_empty() {
            format!("{APP}/")
        } else {
            format!("{APP}/{d}/")
        };
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_path(&name).map_err(io)?;
        h.set_mode(0o755);
        h.set_size(0);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h.set_cksum();
        tar.append(&h, std::io::empty()).map_err(io)?;
    }
    for e in entries {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_path(format!("{APP}/{}", e.path)).map_err(io)?;
        h.set_mode(e.mode);
        h.set_size(e.data.len() as u64);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h.set_cksum();
        tar.append(&h, &e.data[..]).map_err(io)?;
    }
    let gz = tar.into_inner().map_err(io)?;
    gz.finish().map_err(io)?.flush().map_err(io)
}

/// Checks a Linux binary: the right machine and, unless allowed, a glibc
/// floor of at most 2.17.
pub fn check_linux_binary(
    data: &[u8],
    machine: u16,
    what: &str,
    allow_new_glibc: bool,
    log: &mut dyn Write,
) -> Result<()> {
    match binfmt::inspect(data).map_err(|e| Error::Package(format!("{what}: {e}")))? {
        Binary::Elf { machine: m, glibc } if m == machine => {
            if let Some(g) = glibc {
                if g > GLIBC_FLOOR {
                    let msg = format!(
                        "{what} needs GLIBC_{}.{}, above the {}.{} floor: it will not start on RHEL 7/8 or Amazon Linux 2",
                        g.0, g.1, GLIBC_FLOOR.0, GLIBC_FLOOR.1
                    );
                    if !allow_new_glibc {
                        return Err(Error::Package(msg));
                    }
                    let _ = writeln!(log, "WARNING: {msg} (packaged anyway: --allow-new-glibc)");
                }
            }
            Ok(())
        }
        other => Err(Error::Package(format!(
            "{what} is not a Linux binary for ELF machine {machine}: {other:?}"
        ))),
    }
}

/// The command crate's version: `version` of `[package]` in the root
/// `Cargo.toml`.
pub fn crate_version(root: &Path) -> Result<String> {
    let text = String::from_utf8_lossy(&read(&root.join("Cargo.toml"))?).into_owned();
    conf_value(&text, "package", "version")
        .map(|v| v.trim_matches('"').to_string())
        .ok_or_else(|| Error::Package("Cargo.toml has no [package] version".into()))
}

/// The binaries of the multi-platform package besides Linux x86-64.
#[derive(Debug, Clone)]
pub struct OtherPlatforms {
    /// The Linux aarch64 build.
    pub linux_aarch64: Vec<u8>,
    /// The Windows x86-64 build.
    pub windows_x86_64: Vec<u8>,
}

/// Where each binary goes in the app.
///
/// splunkd looks in `<app>/<platform>/bin/` before `<app>/bin/`, and there
/// is no aarch64 platform folder (commands.conf.spec lists `linux_x86_64`,
/// `linux_x86`, `windows_x86_64`, `windows_x86`, `darwin_x86_64`). So:
/// * x86-64 only: the x86-64 build in `linux_x86_64/bin/` and in `bin/`;
/// * multi-platform: `bin/` carries the aarch64 build (ARM hosts fall back
///   to it), x86-64 Linux hosts find `linux_x86_64/bin/` first, Windows hosts
///   `windows_x86_64/bin/` — under both names, since whether Windows splunkd
///   maps `filename = wmilolbas` to the `.exe` is undocumented.
///
/// On search peers the same holds for the distributed package because its
/// distsearch.conf replicates the platform folders too.
pub fn place_binaries(linux_x86_64: Vec<u8>, others: Option<OtherPlatforms>) -> Vec<PlacedBinary> {
    let mut binaries = vec![PlacedBinary {
        path: "linux_x86_64/bin/wmilolbas".into(),
        data: linux_x86_64.clone(),
    }];
    let generic = match others {
        None => linux_x86_64,
        Some(o) => {
            for name in ["wmilolbas.exe", "wmilolbas"] {
                binaries.push(PlacedBinary {
                    path: format!("windows_x86_64/bin/{name}"),
                    data: o.windows_x86_64.clone(),
                });
            }
            o.linux_aarch64
        }
    };
    binaries.push(PlacedBinary {
        path: "bin/wmilolbas".into(),
        data: generic,
    });
    binaries
}

/// Builds the package and returns its path.
pub fn build(root: &Path, options: &PackageOptions, log: &mut dyn Write) -> Result<PathBuf> {
    let version = &crate_version(root)?;
    check_version(root, version)?;
    let linux = match &options.linux_x86_64 {
        BinarySource::File(path) => read(path)?,
        BinarySource::Build => read(&cross::build(root, cross::Target::LinuxX86_64, log)?)?,
    };
    check_linux_binary(
        &linux,
        binfmt::EM_X86_64,
        "the Linux x86-64 binary",
        options.allow_new_glibc,
        log,
    )?;
    let others = if options.all_platforms {
        let arm = read(&cross::build(root, cross::Target::LinuxAarch64, log)?)?;
        check_linux_binary(
            &arm,
            binfmt::EM_AARCH64,
            "the Linux aarch64 binary",
            false,
            log,
        )?;
        let win = read(&cross::build(root, cross::Target::WindowsX86_64, log)?)?;
        match binfmt::inspect(&win)
            .map_err(|e| Error::Package(format!("the Windows binary: {e}")))?
        {
            Binary::Pe {
                machine: 0x8664,
                pe32_plus: true,
                subsystem: 3,
            } => {}
            other => {
                return Err(Error::Package(format!(
                    "the Windows binary is not a PE32+ x86-64 console program: {other:?}"
                )))
            }
        }
        Some(OtherPlatforms {
            linux_aarch64: arm,
            windows_x86_64: win,
        })
    } else {
        None
    };
    let binaries = place_binaries(linux, others);
    let files = entries(root, version, options.distributed, &binaries)?;
    let out_dir = options.out_dir.clone().unwrap_or_else(|| root.join("dist"));
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Error::io(format!("creating {}", out_dir.display()), e))?;
    let name = if options.distributed {
        format!("{APP}-{version}-distributed.tgz")
    } else {
        format!("{APP}-{version}.tgz")
    };
    let path = out_dir.join(name);
    let mtime = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    write_tgz(&path, &files, mtime)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_values_are_read_by_stanza() {
        let text = "# c\n[launcher]\nversion = 1.2.3\n[id]\nname = x\nversion=1.2.3\n";
        assert_eq!(
            conf_value(text, "launcher", "version").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(conf_value(text, "id", "version").as_deref(), Some("1.2.3"));
        assert_eq!(conf_value(text, "ui", "label"), None);
    }

    #[test]
    fn manifest_names_the_version_and_workloads() {
        let m: serde_json::Value = serde_json::from_str(&manifest("9.9.9", false)).unwrap();
        assert_eq!(m["info"]["id"]["version"], "9.9.9");
        assert_eq!(m["targetWorkloads"], serde_json::json!(["_search_heads"]));
        let m: serde_json::Value = serde_json::from_str(&manifest("9.9.9", true)).unwrap();
        assert_eq!(
            m["targetWorkloads"],
            serde_json::json!(["_search_heads", "_indexers"])
        );
    }
}
