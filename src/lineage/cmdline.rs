//! Which catalog binary a launcher's command line runs.
//!
//! `cmd.exe /Q /c c:\windows\system32\rundll32.exe c:\programdata\x,#1`
//! names `rundll32.exe`; `cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__1`
//! names nothing. The command line is cut into words at whitespace, quotes
//! (`"`, `'`) and the shell's operators (`& | ; ( ) < > ,`); cmd's escape
//! character `^` is dropped (`r^undll32` is `rundll32` to cmd). The first
//! word is the launcher itself and is skipped. A word names a program when
//!
//! * its file name — the part after the last `\` or `/` — is a catalog
//!   name, whole and ASCII-case-insensitively (`rundll32.exe`,
//!   `C:\Windows\System32\RUNDLL32.EXE`); or
//! * it has no path and no extension, stands where a command stands —
//!   right after a launcher switch (`/c`, `/k`, `/r`, `-c`, `-Command` and
//!   its abbreviations) or after an operator (`&`, `|`, `;`, `(`) — and is
//!   a catalog name without its `.exe` (`cmd /c rundll32 x.dll,Y`).
//!
//! A word is never a substring of another word: `notrundll32.exe` and
//! `rundll32.exe.bak` name nothing, nor does `at` in `echo look at this`.
//! Launcher names (`cmd.exe`, …) are skipped: a shell that starts a shell is
//! a link, not a LOLBAS binary.

use crate::rule::{basename, Catalog};

/// Longest command line read (Windows caps a command line at 32,767
/// UTF-16 units; a longer value is read up to here).
pub const MAX_COMMAND_LINE: usize = 1 << 16;

/// The first catalog program `line` runs (after its first word), as
/// written: its file name, with `.exe` added to a bare name. `launchers`
/// are names never reported.
pub fn named_program(line: &[u8], catalog: &Catalog, launchers: &[Vec<u8>]) -> Option<Vec<u8>> {
    let line = &line[..line.len().min(MAX_COMMAND_LINE)];
    let mut words = Words::new(line);
    words.next()?; // the launcher itself
    let mut at_command = false;
    while let Some(word) = words.next() {
        let after_operator = words.operator_before;
        let command_position = at_command || after_operator;
        at_command = is_switch(&word.text);
        let name = basename(&word.text);
        if name.is_empty() || launchers.iter().any(|l| l.eq_ignore_ascii_case(name)) {
            continue;
        }
        if catalog.contains(name) {
            return Some(name.to_vec());
        }
        let bare = name.len() == word.text.len() && !name.contains(&b'.');
        if bare && command_position {
            let mut exe = name.to_vec();
            exe.extend_from_slice(b".exe");
            if catalog.contains(&exe) && !launchers.iter().any(|l| l.eq_ignore_ascii_case(&exe)) {
                return Some(exe);
            }
        }
    }
    None
}

/// A launcher switch after which a command follows: cmd's `/c`, `/k`,
/// `/r`; PowerShell's `-c` and `-Command` with any abbreviation down to
/// `-com` (`-co` is ambiguous to PowerShell), with `-`, `--` or `/`.
fn is_switch(word: &[u8]) -> bool {
    let lower = word.to_ascii_lowercase();
    if matches!(lower.as_slice(), b"/c" | b"/k" | b"/r" | b"-c") {
        return true;
    }
    let rest = lower
        .strip_prefix(b"--")
        .or_else(|| lower.strip_prefix(b"-"))
        .or_else(|| lower.strip_prefix(b"/"));
    matches!(rest, Some(r) if r.len() >= 3 && b"command".starts_with(r))
}

/// One word of a command line, carets removed.
struct Word {
    text: Vec<u8>,
}

/// The words of a command line.
struct Words<'a> {
    line: &'a [u8],
    at: usize,
    /// Whether an operator came between the previous word and this one.
    operator_before: bool,
}

impl<'a> Words<'a> {
    fn new(line: &'a [u8]) -> Words<'a> {
        Words {
            line,
            at: 0,
            operator_before: false,
        }
    }

    fn next(&mut self) -> Option<Word> {
        self.operator_before = false;
        while let Some(&b) = self.line.get(self.at) {
            if is_operator(b) {
                self.operator_before = true;
            }
            if !is_delimiter(b) {
                break;
            }
            self.at += 1;
        }
        if self.at >= self.line.len() {
            return None;
        }
        let mut text = Vec::new();
        while let Some(&b) = self.line.get(self.at) {
            if is_delimiter(b) {
                break;
            }
            if b != b'^' {
                text.push(b);
            }
            self.at += 1;
        }
        Some(Word { text })
    }
}

fn is_operator(b: u8) -> bool {
    matches!(b, b'&' | b'|' | b';' | b'(' | b'\n' | b'\r')
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\'' | b'&' | b'|' | b';' | b'(' | b')' | b'<' | b'>' | b','
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launchers() -> Vec<Vec<u8>> {
        ["cmd.exe", "powershell.exe", "pwsh.exe"]
            .map(|s| s.as_bytes().to_vec())
            .to_vec()
    }

    fn named(line: &str) -> Option<String> {
        named_program(line.as_bytes(), &Catalog::escu(), &launchers())
            .map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn real_command_lines() {
        // smbmap over WMI (EVTX-ATTACK-SAMPLES): the rundll32 event is missing.
        assert_eq!(
            named(r"cmd.exe /Q /c c:\windows\system32\rundll32.exe c:\programdata\7okjer,#1 1> \\127.0.0.1\C$\WqEVwJZYOe 2>&1").as_deref(),
            Some("rundll32.exe")
        );
        // Impacket wmiexec's working-directory probe names nothing.
        assert_eq!(
            named(r"cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__1556656369.7 2>&1"),
            None
        );
        assert_eq!(
            named(r"cmd.exe /Q /c whoami /all 1> \\127.0.0.1\ADMIN$\__1556656369.7 2>&1"),
            None
        );
        // Empire's msbuild stager (OTRF Security-Datasets).
        assert_eq!(
            named(r"cmd.exe /c C:\Windows\Microsoft.NET\Framework64\v4.0.30319\MSBuild.exe C:\Windows\Tasks\pshell.xml").as_deref(),
            Some("MSBuild.exe")
        );
        // lsassy's PowerShell form.
        assert_eq!(
            named(r#"powershell.exe -NoP -C "C:\Windows\System32\rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\x.dmp full""#).as_deref(),
            Some("rundll32.exe")
        );
        assert_eq!(named("cmd.exe /c start ms-browser://"), None);
        assert_eq!(named("cmd.exe"), None);
        assert_eq!(named(""), None);
    }

    #[test]
    fn bare_names_only_where_a_command_stands() {
        assert_eq!(
            named("cmd.exe /Q /c rundll32 x.dll,Y").as_deref(),
            Some("rundll32.exe")
        );
        assert_eq!(
            named("cmd /c echo a & mshta http://x/a.hta").as_deref(),
            Some("mshta.exe")
        );
        assert_eq!(
            named("powershell -Command mshta http://x").as_deref(),
            Some("mshta.exe")
        );
        assert_eq!(
            named("powershell -com mshta http://x").as_deref(),
            Some("mshta.exe")
        );
        assert_eq!(named("cmd.exe /c echo look at this"), None);
        assert_eq!(named("cmd.exe /c echo hh"), None);
        assert_eq!(named("powershell -c Write-Host explorer"), None);
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(named(r"cmd.exe /c C:\x\notrundll32.exe"), None);
        assert_eq!(named(r"cmd.exe /c copy a rundll32.exe.bak"), None);
        assert_eq!(named(r"cmd.exe /c dir C:\rundll32.exe\"), None);
        assert_eq!(named("cmd.exe /c type x_mshta.exe"), None);
    }

    #[test]
    fn quotes_carets_and_case() {
        assert_eq!(
            named(r#"cmd.exe /c "C:\Windows\System32\MSHTA.EXE" http://x"#).as_deref(),
            Some("MSHTA.EXE")
        );
        assert_eq!(
            named("cmd.exe /c r^und^ll32.exe x.dll,Y").as_deref(),
            Some("rundll32.exe")
        );
        assert_eq!(
            named(r#"cmd /c "echo a"&&"C:\x\regsvr32.exe" /s y.dll"#).as_deref(),
            Some("regsvr32.exe")
        );
    }

    #[test]
    fn launchers_are_links_not_programs() {
        let full = Catalog::from_names([&b"Cmd.exe"[..], b"Mshta.exe"]);
        let n = named_program(b"cmd.exe /c cmd.exe /c mshta x", &full, &launchers());
        assert_eq!(n.as_deref(), Some(&b"mshta.exe"[..]));
        let n = named_program(b"cmd.exe /c cmd /c echo", &full, &launchers());
        assert_eq!(n, None);
    }

    #[test]
    fn switches() {
        for s in [
            "/c",
            "/C",
            "/k",
            "/r",
            "-c",
            "-C",
            "-com",
            "-Command",
            "-comm",
            "--command",
        ] {
            assert!(is_switch(s.as_bytes()), "{s}");
        }
        for s in [
            "-co",
            "-commandx",
            "-Q",
            "/q",
            "-nop",
            "-enc",
            "-EncodedCommand",
            "-cx",
        ] {
            assert!(!is_switch(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn long_lines_are_read_up_to_the_cap_and_never_panic() {
        let mut line = b"cmd.exe /c ".to_vec();
        line.resize(MAX_COMMAND_LINE + 10, b'a');
        assert_eq!(named_program(&line, &Catalog::escu(), &launchers()), None);
        for bytes in [
            &b"\xff\xfe^^^^"[..],
            b"^",
            b"\"",
            b"a \" b",
            b"&&&",
            b"x /c",
        ] {
            let _ = named_program(bytes, &Catalog::escu(), &launchers());
        }
    }
}
