//! The LOLBAS catalog: the child names the rule looks for.
//!
//! The built-in catalog is the 55 names of the ESCU search "Wmiprsve LOLBAS
//! Execution Process Spawn", in its own order and spelling (see
//! `docs/detection.md` §2.1). `catalog=<file>.csv` replaces it with the
//! `process_name` column of a CSV lookup in the app's `lookups/` folder; the
//! app ships the full LOLBAS list as `wmilolbas_lolbas_binaries.csv`.
//!
//! Names compare ASCII-case-insensitively and whole (no trimming, no
//! wildcards): Windows folds file names with an upcase table, so Unicode
//! case folding (`K` vs the Kelvin sign) must not apply.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::hash::MixState;

/// The 55 child names of the ESCU search, exactly as written there.
pub const ESCU_NAMES: [&str; 55] = [
    "Regsvcs.exe",
    "Ftp.exe",
    "OfflineScannerShell.exe",
    "Rasautou.exe",
    "Schtasks.exe",
    "Xwizard.exe",
    "Dllhost.exe",
    "Pnputil.exe",
    "Atbroker.exe",
    "Pcwrun.exe",
    "Ttdinject.exe",
    "Mshta.exe",
    "Bitsadmin.exe",
    "Certoc.exe",
    "Ieexec.exe",
    "Microsoft.Workflow.Compiler.exe",
    "Runscripthelper.exe",
    "Forfiles.exe",
    "Msbuild.exe",
    "Register-cimprovider.exe",
    "Tttracer.exe",
    "Ie4uinit.exe",
    "Bash.exe",
    "Hh.exe",
    "SettingSyncHost.exe",
    "Cmstp.exe",
    "Mmc.exe",
    "Stordiag.exe",
    "Scriptrunner.exe",
    "Odbcconf.exe",
    "Extexport.exe",
    "Msdt.exe",
    "WorkFolders.exe",
    "Diskshadow.exe",
    "Mavinject.exe",
    "Regasm.exe",
    "Gpscript.exe",
    "Rundll32.exe",
    "Regsvr32.exe",
    "Msiexec.exe",
    "Wuauclt.exe",
    "Presentationhost.exe",
    "Wmic.exe",
    "Runonce.exe",
    "Syncappvpublishingserver.exe",
    "Verclsid.exe",
    "Infdefaultinstall.exe",
    "Explorer.exe",
    "Installutil.exe",
    "Netsh.exe",
    "Wab.exe",
    "Dnscmd.exe",
    "At.exe",
    "Pcalua.exe",
    "Msconfig.exe",
];

/// Longest name a catalog may hold (NTFS's file-name limit).
pub const MAX_NAME: usize = 255;

/// The lookup file the app ships with the full LOLBAS list.
pub const SHIPPED_LOOKUP: &str = "wmilolbas_lolbas_binaries.csv";

/// Where the child names come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogChoice {
    /// The ESCU search's 55 names.
    Escu,
    /// A lookup in the app's `lookups/` folder (search time).
    Lookup(String),
    /// A CSV file path (`scan --catalog`).
    File(PathBuf),
}

/// Loads the catalog `choice` names; lookups are read from `app_dir`.
pub fn load(choice: &CatalogChoice, app_dir: Option<&Path>) -> Result<Catalog> {
    match choice {
        CatalogChoice::Escu => Ok(Catalog::escu()),
        CatalogChoice::Lookup(name) => Catalog::from_path(&lookup_path(app_dir, name)?, name),
        CatalogChoice::File(path) => Catalog::from_path(path, &path.display().to_string()),
    }
}

/// A set of file names, compared ASCII-case-insensitively.
#[derive(Debug, Clone)]
pub struct Catalog {
    names: HashSet<Box<[u8]>, MixState>,
    max_len: usize,
}

impl Catalog {
    /// The ESCU search's 55 names.
    pub fn escu() -> Catalog {
        Catalog::from_names(ESCU_NAMES.iter().map(|n| n.as_bytes()))
    }

    /// A catalog from names (empty names and names over [`MAX_NAME`] bytes
    /// are ignored; callers that read files report them first).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a [u8]>) -> Catalog {
        let mut set = HashSet::default();
        let mut max_len = 0;
        for n in names {
            if n.is_empty() || n.len() > MAX_NAME {
                continue;
            }
            max_len = max_len.max(n.len());
            set.insert(n.to_ascii_lowercase().into_boxed_slice());
        }
        Catalog {
            names: set,
            max_len,
        }
    }

    /// Reads the `process_name` column of a CSV lookup.
    pub fn from_lookup<R: Read>(reader: R, name: &str) -> Result<Catalog> {
        let err = |message: String| Error::catalog(name, message);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(reader);
        let headers = rdr
            .byte_headers()
            .map_err(|e| err(format!("cannot read the CSV header: {e}")))?
            .clone();
        let column = headers
            .iter()
            .position(|h| h == b"process_name")
            .ok_or_else(|| {
                let cols: Vec<String> = headers
                    .iter()
                    .take(10)
                    .map(|h| String::from_utf8_lossy(h).into_owned())
                    .collect();
                err(format!(
                    "has no process_name column (columns: {})",
                    if cols.is_empty() {
                        "none".to_string()
                    } else {
                        cols.join(", ")
                    }
                ))
            })?;
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut record = csv::ByteRecord::new();
        let mut line = 1u64;
        loop {
            match rdr.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(err(format!("line {}: {e}", line + 1))),
            }
            line = record.position().map_or(line + 1, |p| p.line());
            let value = record.get(column).unwrap_or(b"");
            if value.len() > MAX_NAME {
                return Err(err(format!(
                    "line {line}: process_name is {} bytes long; file names have at most {MAX_NAME}",
                    value.len()
                )));
            }
            if !value.is_empty() {
                names.push(value.to_vec());
            }
        }
        if names.is_empty() {
            return Err(err("has no process_name values".to_string()));
        }
        Ok(Catalog::from_names(names.iter().map(|n| n.as_slice())))
    }

    /// Reads a lookup file from disk.
    pub fn from_path(path: &Path, name: &str) -> Result<Catalog> {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::catalog(name, format!("cannot open {}: {e}", path.display())))?;
        Catalog::from_lookup(std::io::BufReader::new(file), name)
    }

    /// True when `name` is in the catalog, ignoring ASCII case only.
    pub fn contains(&self, name: &[u8]) -> bool {
        if name.is_empty() || name.len() > self.max_len {
            return false;
        }
        let mut buf = [0u8; MAX_NAME];
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.names.contains(&*lower)
    }

    /// Number of distinct names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when the catalog holds no name.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Checks a `catalog=` lookup name: a plain `.csv` file name, no path.
pub fn check_lookup_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.contains(['/', '\\']) || name.contains("..") {
        return Err("must be a file name in the app's lookups folder, without /, \\ or ..".into());
    }
    if name.contains(['\0', '\n', '\r']) {
        return Err("contains a control character".into());
    }
    if !name.to_ascii_lowercase().ends_with(".csv") || name.len() <= 4 {
        return Err("must name a .csv lookup file".into());
    }
    Ok(())
}

/// Platform folders splunkd looks in before `bin/` (commands.conf).
const PLATFORM_DIRS: [&str; 6] = [
    "linux_x86_64",
    "linux_x86",
    "linux_aarch64",
    "windows_x86_64",
    "windows_x86",
    "darwin_x86_64",
];

/// The app folder of an executable at `<app>/bin/x` or
/// `<app>/<platform>/bin/x`.
pub fn app_dir_of(exe: &Path) -> Option<PathBuf> {
    let bin = exe.parent()?;
    if bin.file_name()? != "bin" {
        return None;
    }
    let parent = bin.parent()?;
    let is_platform = parent
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| PLATFORM_DIRS.contains(&n));
    if is_platform {
        parent.parent().map(Path::to_path_buf)
    } else {
        Some(parent.to_path_buf())
    }
}

/// Resolves `catalog=<name>` to `<app>/lookups/<name>`.
pub fn lookup_path(app_dir: Option<&Path>, name: &str) -> Result<PathBuf> {
    check_lookup_name(name).map_err(|why| Error::catalog(name, format!("the name {why}")))?;
    let app = app_dir.ok_or_else(|| {
        Error::catalog(
            name,
            "cannot find the app folder (the executable is not in <app>/bin or <app>/<platform>/bin)",
        )
    })?;
    Ok(app.join("lookups").join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escu_catalog_has_55_names_compared_ascii_case_insensitively() {
        let c = Catalog::escu();
        assert_eq!(c.len(), 55);
        assert!(c.contains(b"rundll32.exe"));
        assert!(c.contains(b"RUNDLL32.EXE"));
        assert!(c.contains(b"microsoft.workflow.compiler.exe"));
        assert!(!c.contains(b"rundll32.exe "));
        assert!(!c.contains(b"rundll32"));
        assert!(!c.contains(b"cmd.exe"));
        // KELVIN SIGN (U+212A) is not an ASCII K.
        assert!(!c.contains("DIS\u{212A}SHADOW.EXE".as_bytes()));
        assert!(c.contains(b"DISKSHADOW.EXE"));
        assert!(!c.contains(&[b'a'; 300]));
        assert!(!c.contains(b""));
    }

    #[test]
    fn lookup_reads_the_process_name_column() {
        let csv =
            "category,process_name\nOSBinaries,Foo.exe\nOSBinaries,\n\"x\",\"Bar, Inc.exe\"\n";
        let c = Catalog::from_lookup(csv.as_bytes(), "t.csv").unwrap();
        assert_eq!(c.len(), 2);
        assert!(c.contains(b"FOO.EXE"));
        assert!(c.contains(b"bar, inc.exe"));
    }

    #[test]
    fn lookup_errors_name_the_problem() {
        let e = Catalog::from_lookup("name\nfoo.exe\n".as_bytes(), "t.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "catalog t.csv: has no process_name column (columns: name)"
        );
        let e = Catalog::from_lookup("process_name\n".as_bytes(), "t.csv").unwrap_err();
        assert!(e.to_string().contains("no process_name values"), "{e}");
        let long = format!("process_name\n{}\n", "a".repeat(300));
        let e = Catalog::from_lookup(long.as_bytes(), "t.csv").unwrap_err();
        assert!(
            e.to_string().contains("line 2: process_name is 300 bytes"),
            "{e}"
        );
    }

    #[test]
    fn lookup_names_cannot_escape_the_lookups_folder() {
        for bad in [
            "../x.csv", "a/b.csv", "a\\b.csv", "x.txt", "", ".csv", "..csv",
        ] {
            assert!(check_lookup_name(bad).is_err(), "{bad}");
        }
        assert!(check_lookup_name("wmilolbas_lolbas_binaries.csv").is_ok());
    }

    #[test]
    fn app_dir_is_found_from_either_bin_folder() {
        let p = Path::new("/opt/splunk/etc/apps/wmilolbas/linux_x86_64/bin/wmilolbas");
        assert_eq!(
            app_dir_of(p).unwrap(),
            Path::new("/opt/splunk/etc/apps/wmilolbas")
        );
        let p = Path::new("/opt/splunk/etc/apps/wmilolbas/bin/wmilolbas");
        assert_eq!(
            app_dir_of(p).unwrap(),
            Path::new("/opt/splunk/etc/apps/wmilolbas")
        );
        assert!(app_dir_of(Path::new("/usr/local/wmilolbas")).is_none());
    }
}
