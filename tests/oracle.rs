//! A deliberately naive second implementation of the rule, written from the
//! issue text alone (strings, lowercase copies, no shared code), used to
//! check the binary.

use std::collections::HashMap;

pub const ESCU: [&str; 55] = [
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

pub struct Oracle {
    pub strict: bool,
    pub parents: Vec<String>,
    pub catalog: Vec<String>,
}

fn lower(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect()
}

fn decode_mv(cell: &str) -> Option<Vec<String>> {
    // $a$;$b$$c$ -> [a, b$c]
    let chars: Vec<char> = cell.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        if chars.get(i) != Some(&'$') {
            return None;
        }
        i += 1;
        let mut item = String::new();
        loop {
            match chars.get(i) {
                None => return None,
                Some('$') if chars.get(i + 1) == Some(&'$') => {
                    item.push('$');
                    i += 2;
                }
                Some('$') => {
                    i += 1;
                    break;
                }
                Some(c) => {
                    item.push(*c);
                    i += 1;
                }
            }
        }
        out.push(item);
        match chars.get(i) {
            None => return Some(out),
            Some(';') => i += 1,
            Some(_) => return None,
        }
    }
}

impl Oracle {
    pub fn new(strict: bool) -> Oracle {
        Oracle {
            strict,
            parents: vec!["wmiprvse.exe".into()],
            catalog: ESCU.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// All values of a field, plain column first, then `Processes.`.
    pub fn values(row: &HashMap<String, String>, field: &str) -> Vec<String> {
        let mut out = Vec::new();
        for name in [field.to_string(), format!("Processes.{field}")] {
            let Some(v) = row.get(&name) else { continue };
            let mv = row
                .get(&format!("__mv_{name}"))
                .map(String::as_str)
                .unwrap_or("");
            match (mv.is_empty(), decode_mv(mv)) {
                (false, Some(items)) => out.extend(items.into_iter().filter(|s| !s.is_empty())),
                _ => {
                    if !v.is_empty() {
                        out.push(v.clone())
                    }
                }
            }
        }
        out
    }

    fn present(v: &str) -> bool {
        !(v.is_empty() || ["-", "?", "unknown", "null"].contains(&lower(v).as_str()))
    }

    fn base(p: &str) -> &str {
        p.rsplit(['\\', '/']).next().unwrap_or(p)
    }

    fn in_catalog(&self, v: &str) -> bool {
        self.catalog.iter().any(|c| lower(c) == lower(v))
    }

    fn is_parent(&self, v: &str) -> bool {
        self.parents.iter().any(|p| lower(p) == lower(v))
    }

    pub fn evaluate(&self, row: &HashMap<String, String>) -> Option<&'static str> {
        let ppn = Self::values(row, "parent_process_name");
        let pn = Self::values(row, "process_name");
        if self.strict {
            let ok = ppn.iter().any(|v| self.is_parent(v)) && pn.iter().any(|v| self.in_catalog(v));
            return ok.then_some("process_name");
        }
        let names: Vec<&String> = ppn.iter().filter(|v| Self::present(v)).collect();
        let parent_ok = if names.is_empty() {
            Self::values(row, "parent_process_path")
                .iter()
                .filter(|v| Self::present(v))
                .any(|v| self.is_parent(Self::base(v)))
        } else {
            names.iter().any(|v| self.is_parent(v))
        };
        if !parent_ok {
            return None;
        }
        let present_names: Vec<&String> = pn.iter().filter(|v| Self::present(v)).collect();
        if present_names.iter().any(|v| self.in_catalog(v)) {
            return Some("process_name");
        }
        if present_names.is_empty()
            && Self::values(row, "process_path")
                .iter()
                .filter(|v| Self::present(v))
                .any(|v| self.in_catalog(Self::base(v)))
        {
            return Some("process_path");
        }
        let ofn = Self::values(row, "original_file_name");
        if ofn.iter().filter(|v| Self::present(v)).any(|v| {
            let l = lower(v);
            let stripped = if l.len() > 4 && l.ends_with(".mui") {
                &v[..v.len() - 4]
            } else {
                v.as_str()
            };
            self.in_catalog(stripped)
        }) {
            return Some("original_file_name");
        }
        None
    }
}

#[test]
fn oracle_self_check() {
    let row = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>()
    };
    let o = Oracle::new(false);
    assert_eq!(
        o.evaluate(&row(&[
            ("parent_process_name", "WMIPRVSE.exe"),
            ("process_name", "x.exe"),
            ("original_file_name", "rundll32.exe.mui")
        ])),
        Some("original_file_name")
    );
    assert_eq!(
        decode_mv("$a$;$b$$c$"),
        Some(vec!["a".into(), "b$c".into()])
    );
}
