//! The ATT&CK techniques of one lineage detection, from its chain.
//!
//! A lineage detection is WMI (T1047) through one or more launchers. Each
//! launcher names its own sub-technique of T1059 (Command and Scripting
//! Interpreter), as ESCU tags its detections: `cmd.exe` is T1059.003
//! (Windows Command Shell), `powershell.exe` and `pwsh.exe` are T1059.001
//! (PowerShell), and any other shell given with `launchers=` is T1059
//! itself. The launchers are read from the chain the lineage engine reports
//! ([`Verdict::path`](crate::lineage::Verdict::path), for example
//! `WmiPrvSE.exe > cmd.exe > MSBuild.exe`): the names between the first (the
//! WMI parent) and the last (the LOLBAS binary, or for
//! `launcher_command_line` the program the shell's command line runs).

use crate::rule::profile::constant;

/// One ATT&CK technique: id and name.
pub type Technique = (&'static str, &'static str);

/// T1059.003, Windows Command Shell (`cmd.exe`).
pub const WINDOWS_COMMAND_SHELL: Technique = ("T1059.003", "Windows Command Shell");
/// T1059.001, PowerShell (`powershell.exe`, `pwsh.exe`).
pub const POWERSHELL: Technique = ("T1059.001", "PowerShell");
/// T1059, Command and Scripting Interpreter (any other launcher).
pub const INTERPRETER: Technique = ("T1059", "Command and Scripting Interpreter");
/// T1047, Windows Management Instrumentation (every detection).
pub const WMI: Technique = (constant::TECHNIQUE_ID, constant::TECHNIQUE);

/// Every technique id a lineage detection can carry, in the order the
/// lineage search's annotations list them.
pub const LINEAGE_TECHNIQUE_IDS: [&str; 4] =
    [WMI.0, INTERPRETER.0, POWERSHELL.0, WINDOWS_COMMAND_SHELL.0];

/// The technique of one launcher, by its name as observed (ASCII case
/// ignored, whole name).
pub fn of_launcher(name: &[u8]) -> Technique {
    if name.eq_ignore_ascii_case(b"cmd.exe") {
        WINDOWS_COMMAND_SHELL
    } else if name.eq_ignore_ascii_case(b"powershell.exe") || name.eq_ignore_ascii_case(b"pwsh.exe")
    {
        POWERSHELL
    } else {
        INTERPRETER
    }
}

/// The launchers of a chain `a > b > c > d`: `b` and `c`. A chain of fewer
/// than three names has none.
pub fn launchers(path: &[u8]) -> Vec<&[u8]> {
    let names: Vec<&[u8]> = split(path);
    match names.len() {
        0..=2 => Vec::new(),
        n => names[1..n - 1].to_vec(),
    }
}

/// The techniques of a lineage detection with chain `path`: T1047, then each
/// launcher's technique in chain order, each once. A chain that shows no
/// launcher (it cannot happen: a lineage detection runs through one) still
/// gets T1059.
pub fn of_chain(path: &[u8]) -> Vec<Technique> {
    let mut out = vec![WMI];
    for launcher in launchers(path) {
        let t = of_launcher(launcher);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() == 1 {
        out.push(INTERPRETER);
    }
    out
}

/// Splits a chain on ` > `.
fn split(path: &[u8]) -> Vec<&[u8]> {
    const SEP: &[u8] = b" > ";
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(at) = rest.windows(SEP.len()).position(|w| w == SEP) {
        out.push(&rest[..at]);
        rest = &rest[at + SEP.len()..];
    }
    out.push(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launchers_are_the_names_between_the_wmi_parent_and_the_last() {
        assert_eq!(
            launchers(b"WmiPrvSE.exe > cmd.exe > MSBuild.exe"),
            [&b"cmd.exe"[..]]
        );
        assert_eq!(
            launchers(b"WmiPrvSE.exe > cmd.exe > powershell.exe > rundll32.exe"),
            [&b"cmd.exe"[..], &b"powershell.exe"[..]]
        );
        assert!(launchers(b"WmiPrvSE.exe > rundll32.exe").is_empty());
        assert!(launchers(b"").is_empty());
    }

    #[test]
    fn each_launcher_names_its_sub_technique_and_others_t1059() {
        assert_eq!(of_launcher(b"CMD.EXE"), WINDOWS_COMMAND_SHELL);
        assert_eq!(of_launcher(b"powershell.exe"), POWERSHELL);
        assert_eq!(of_launcher(b"Pwsh.exe"), POWERSHELL);
        assert_eq!(of_launcher(b"wscript.exe"), INTERPRETER);
        assert_eq!(of_launcher(b"cmd.exe "), INTERPRETER);
    }

    #[test]
    fn a_chain_gives_t1047_then_each_launchers_technique_once_in_order() {
        let ids = |p: &[u8]| of_chain(p).iter().map(|t| t.0).collect::<Vec<_>>();
        assert_eq!(
            ids(b"WmiPrvSE.exe > cmd.exe > MSBuild.exe"),
            ["T1047", "T1059.003"]
        );
        assert_eq!(
            ids(b"WmiPrvSE.exe > powershell.exe > cmd.exe > cmd.exe > mshta.exe"),
            ["T1047", "T1059.001", "T1059.003"]
        );
        assert_eq!(
            ids(b"WmiPrvSE.exe > wscript.exe > mshta.exe"),
            ["T1047", "T1059"]
        );
        assert_eq!(ids(b"WmiPrvSE.exe > mshta.exe"), ["T1047", "T1059"]);
    }
}
