//! What lineage reads from one row: the part the row plays in a chain
//! (WMI host, launcher, catalog candidate), who it is and who its parent is
//! (host, GUIDs, PIDs, creation time), and the names as observed.
//!
//! Fields are read plain or `Processes.`-prefixed, with their `__mv_`
//! values, like every field the rule reads:
//!
//! | what | fields, first present wins |
//! | --- | --- |
//! | host | `dest` (CIM), `Computer` (raw Windows events), `host` |
//! | process GUID | `process_guid` (CIM), `ProcessGuid` (Sysmon) |
//! | parent GUID | `parent_process_guid`, `ParentProcessGuid` |
//! | PID | `process_id` (CIM) |
//! | parent PID | `parent_process_id` (CIM) |
//! | creation time | `_time`, `firstTime` (tstats `min(_time) as firstTime`) |
//! | command line | `process` (CIM) |
//!
//! Raw Sysmon `ProcessId` is not read by the command: in Security 4688
//! the same name is the *creator's* PID, so only the CIM names (which the
//! Windows and Sysmon add-ons fill correctly) are trusted. `scan` maps raw
//! events onto the CIM names itself, 4688 included.

use std::borrow::Cow;

use super::cmdline::named_program;
use crate::records::{FieldSet, RowView, Slot};
use crate::rule::{is_present, observed, Rule};

/// The launchers by default: the shells WMI lateral-movement tools start
/// (Impacket wmiexec and CrackMapExec `cmd.exe /Q /c`, Empire and lsassy
/// `cmd.exe /c` or `powershell.exe -NoP -C`, PowerShell 7).
pub const DEFAULT_LAUNCHERS: [&str; 3] = ["cmd.exe", "powershell.exe", "pwsh.exe"];

/// Longest name kept for a lineage path (Windows' `MAX_PATH`); a longer
/// observed name is cut there.
pub const MAX_NAME: usize = 260;

/// What a row's parent name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentKind {
    /// One of the rule's parents (`wmiprvse.exe`).
    Wmi,
    /// A launcher.
    Launcher,
    /// Some other process: no chain to WMI runs through it.
    Other,
    /// No parent name or path is present.
    Absent,
}

/// What lineage knows of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts<'a> {
    /// The host (`dest`, …), as given.
    pub host: Cow<'a, [u8]>,
    /// The process's GUID.
    pub guid: Option<u128>,
    /// The parent's GUID.
    pub parent_guid: Option<u128>,
    /// The process's PID.
    pub pid: Option<u64>,
    /// The parent's PID.
    pub parent_pid: Option<u64>,
    /// Creation time, microseconds since the Unix epoch.
    pub time: Option<i64>,
    /// The process's name as observed (name, else path's file name, else
    /// original file name), at most [`MAX_NAME`] bytes.
    pub name: Cow<'a, [u8]>,
    /// What the parent name says.
    pub parent_kind: ParentKind,
    /// The parent's name as observed (the value that decided
    /// `parent_kind`), at most [`MAX_NAME`] bytes.
    pub parent_name: Cow<'a, [u8]>,
    /// The process is one of the rule's parents (a WMI provider host).
    pub root: bool,
    /// The process is a launcher.
    pub launcher: bool,
    /// A lineage candidate: a catalog binary whose parent is a launcher
    /// (and not a plain detection).
    pub catalog: bool,
    /// A launcher started by the WMI parent whose command line runs this
    /// catalog binary (as written, `.exe` added to a bare name).
    pub program: Option<Vec<u8>>,
}

impl Facts<'_> {
    /// The same facts, owning their bytes (to cross threads).
    pub fn into_owned(self) -> Facts<'static> {
        Facts {
            host: Cow::Owned(self.host.into_owned()),
            name: Cow::Owned(self.name.into_owned()),
            parent_name: Cow::Owned(self.parent_name.into_owned()),
            guid: self.guid,
            parent_guid: self.parent_guid,
            pid: self.pid,
            parent_pid: self.parent_pid,
            time: self.time,
            parent_kind: self.parent_kind,
            root: self.root,
            launcher: self.launcher,
            catalog: self.catalog,
            program: self.program,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Slots {
    host: [Slot; 3],
    guid: [Slot; 2],
    parent_guid: [Slot; 2],
    pid: Slot,
    parent_pid: Slot,
    time: [Slot; 2],
    command_line: Slot,
    name: Slot,
    path: Slot,
    original_file_name: Slot,
}

/// The launchers and the fields lineage reads: compiled once, used on
/// every row (and on every thread of `scan`).
#[derive(Debug, Clone)]
pub struct LineageRule {
    launchers: Vec<Vec<u8>>,
    slots: Slots,
}

impl LineageRule {
    /// Compiles the launcher names and registers the fields read in
    /// `fields`.
    pub fn new(launchers: &[String], fields: &mut FieldSet) -> LineageRule {
        let slots = Slots {
            host: [
                fields.add("dest"),
                fields.add("Computer"),
                fields.add("host"),
            ],
            guid: [fields.add("process_guid"), fields.add("ProcessGuid")],
            parent_guid: [
                fields.add("parent_process_guid"),
                fields.add("ParentProcessGuid"),
            ],
            pid: fields.add("process_id"),
            parent_pid: fields.add("parent_process_id"),
            time: [fields.add("_time"), fields.add("firstTime")],
            command_line: fields.add("process"),
            name: fields.add("process_name"),
            path: fields.add("process_path"),
            original_file_name: fields.add("original_file_name"),
        };
        LineageRule {
            launchers: launchers.iter().map(|l| l.as_bytes().to_vec()).collect(),
            slots,
        }
    }

    /// The launcher names.
    pub fn launchers(&self) -> &[Vec<u8>] {
        &self.launchers
    }

    /// Whether `name` is a launcher (ASCII case ignored, whole).
    pub fn is_launcher(&self, name: &[u8]) -> bool {
        self.launchers.iter().any(|l| l.eq_ignore_ascii_case(name))
    }

    /// What the row is to lineage, or `None` when it plays no part in any
    /// chain. `plain_hit`: the plain rule detected it (a direct child of
    /// the WMI parent), so it is no lineage candidate, but may still be a
    /// link.
    pub fn facts<'r>(&self, row: &RowView<'r>, rule: &Rule, plain_hit: bool) -> Option<Facts<'r>> {
        let launcher = rule.child_in(row, |v| self.is_launcher(v)).is_some();
        let root = rule.child_in(row, |v| rule.is_parent(v)).is_some();
        let (parent_kind, parent_name) = self.parent(row, rule);
        let catalog =
            !plain_hit && parent_kind == ParentKind::Launcher && rule.child_reason(row).is_some();
        if !(launcher || root || catalog) {
            return None;
        }
        let program = if launcher && !plain_hit && parent_kind == ParentKind::Wmi {
            let line = row.first_value(self.slots.command_line);
            named_program(&line, rule.catalog(), &self.launchers)
        } else {
            None
        };
        let s = &self.slots;
        Some(Facts {
            host: first_of(row, &s.host),
            guid: first_parsed(row, &s.guid, parse_guid),
            parent_guid: first_parsed(row, &s.parent_guid, parse_guid),
            pid: first_parsed(row, &[s.pid], parse_pid),
            parent_pid: first_parsed(row, &[s.parent_pid], parse_pid),
            time: first_parsed(row, &s.time, parse_time),
            name: cut(self.observed_name(row)),
            parent_kind,
            parent_name: cut(parent_name),
            root,
            launcher,
            catalog,
            program,
        })
    }

    /// The parent's kind and observed name: a WMI value wins over a
    /// launcher, a launcher over another name.
    fn parent<'r>(&self, row: &RowView<'r>, rule: &Rule) -> (ParentKind, Cow<'r, [u8]>) {
        let mut kind = ParentKind::Absent;
        let mut name: Vec<u8> = Vec::new();
        rule.any_parent_of_rule(row, |v| {
            let k = if rule.is_parent(v) {
                ParentKind::Wmi
            } else if self.is_launcher(v) {
                ParentKind::Launcher
            } else {
                ParentKind::Other
            };
            if rank(k) > rank(kind) {
                kind = k;
                name.clear();
                name.extend_from_slice(v);
            }
            kind == ParentKind::Wmi
        });
        (kind, Cow::Owned(name))
    }

    /// The process as observed: its present name, else its path's file
    /// name, else its original file name.
    fn observed_name<'r>(&self, row: &RowView<'r>) -> Cow<'r, [u8]> {
        let s = &self.slots;
        let mut found = Vec::new();
        observed(row, s.name, s.path, Some(s.original_file_name), &mut found);
        Cow::Owned(found)
    }
}

fn rank(k: ParentKind) -> u8 {
    match k {
        ParentKind::Absent => 0,
        ParentKind::Other => 1,
        ParentKind::Launcher => 2,
        ParentKind::Wmi => 3,
    }
}

fn cut(v: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    if v.len() <= MAX_NAME {
        return v;
    }
    // Cut at a character boundary when the name is UTF-8.
    let mut end = MAX_NAME;
    while end > 0 && (v[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    Cow::Owned(v[..end].to_vec())
}

/// The first present value of the first field that has one.
fn first_of<'r>(row: &RowView<'r>, slots: &[Slot]) -> Cow<'r, [u8]> {
    for &slot in slots {
        let v = row.first_value(slot);
        if is_present(&v) {
            return cut(v);
        }
    }
    Cow::Borrowed(b"")
}

/// The first value, of the fields in order, that `parse` accepts.
fn first_parsed<T>(row: &RowView<'_>, slots: &[Slot], parse: fn(&[u8]) -> Option<T>) -> Option<T> {
    let mut found = None;
    for &slot in slots {
        if row.any_value(slot, |v| {
            found = parse(v);
            found.is_some()
        }) {
            return found;
        }
    }
    None
}

/// A GUID: 32 hex digits, with or without braces and dashes, as a number;
/// the all-zero GUID (Sysmon's "unknown parent") is none. Any other present
/// value is an identifier too: it is hashed (ASCII case ignored).
pub fn parse_guid(v: &[u8]) -> Option<u128> {
    let v = v.trim_ascii();
    if !is_present(v) {
        return None;
    }
    let inner = v
        .strip_prefix(b"{")
        .and_then(|x| x.strip_suffix(b"}"))
        .unwrap_or(v);
    let mut n: u128 = 0;
    let mut digits = 0;
    let mut hex = true;
    for (i, &b) in inner.iter().enumerate() {
        match (b as char).to_digit(16) {
            Some(d) if digits < 32 => {
                n = (n << 4) | u128::from(d);
                digits += 1;
            }
            None if b == b'-' && matches!(i, 8 | 13 | 18 | 23) && inner.len() == 36 => {}
            _ => {
                hex = false;
                break;
            }
        }
    }
    if hex && digits == 32 {
        return (n != 0).then_some(n);
    }
    // Not a GUID: an identifier all the same. FNV-1a, 128 bits.
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for &b in v {
        h ^= u128::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    Some(h | 1 << 127)
}

/// A PID: decimal, or hexadecimal with `0x` (Security 4688 writes
/// `0x1a4`).
pub fn parse_pid(v: &[u8]) -> Option<u64> {
    let v = std::str::from_utf8(v).ok()?.trim();
    if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    v.parse().ok()
}

/// A time, as microseconds since the Unix epoch: epoch seconds with an
/// optional fraction (`_time` as splunkd sends it: `1578959090.348`), or
/// `YYYY-MM-DD[ T]HH:MM:SS[.fff…]` in UTC, or with `Z` or an offset
/// (`+00:00`, `-0400`), as exports write it.
pub fn parse_time(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.len() < 30
    {
        return epoch_micros(s);
    }
    iso_micros(s)
}

fn epoch_micros(s: &str) -> Option<i64> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = whole.parse().ok()?;
    let mut micros: i64 = 0;
    for (i, b) in frac.bytes().take(6).enumerate() {
        micros += i64::from(b - b'0') * 10i64.pow(5 - i as u32);
    }
    let t = secs.checked_mul(1_000_000)?.checked_add(micros)?;
    Some(if neg { -t } else { t })
}

fn iso_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 6 {
                micros += i64::from(b[i] - b'0') * 10i64.pow(5 - (i - start) as u32);
            }
            i += 1;
        }
    }
    let offset_secs = match &s[i..] {
        "" | "Z" | "z" => 0,
        tz => {
            let sign = match tz.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = tz[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let hh: i64 = digits[..2].parse().ok()?;
            let mm: i64 = digits[2..].parse().ok()?;
            sign * (hh * 3600 + mm * 60)
        }
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_secs;
    Some(secs * 1_000_000 + micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Layout;
    use crate::rule::Catalog;
    use csv::ByteRecord;

    #[test]
    fn guids_parse_with_or_without_braces_and_dashes() {
        let a = parse_guid(b"{747f3d96-2842-5e1e-0000-00100c417a00}");
        assert_eq!(a, Some(0x747f3d9628425e1e000000100c417a00));
        assert_eq!(parse_guid(b"747F3D96-2842-5E1E-0000-00100C417A00"), a);
        assert_eq!(parse_guid(b"747f3d9628425e1e000000100c417a00"), a);
        assert_eq!(parse_guid(b"{00000000-0000-0000-0000-000000000000}"), None);
        for absent in [&b""[..], b"-", b"unknown", b"NULL", b"  "] {
            assert_eq!(parse_guid(absent), None);
        }
        // Not a GUID: still an identifier, compared ASCII-case-insensitively,
        // never equal to a parsed GUID.
        let x = parse_guid(b"proc-17").unwrap();
        assert_eq!(parse_guid(b"PROC-17"), Some(x));
        assert_ne!(parse_guid(b"proc-18"), Some(x));
        assert!(x >> 127 == 1);
        assert!(parse_guid(b"{747f3d96-2842-5e1e-0000-00100c417a0}").is_some());
    }

    #[test]
    fn pids_are_decimal_or_0x_hex() {
        assert_eq!(parse_pid(b"420"), Some(420));
        assert_eq!(parse_pid(b"0x1a4"), Some(420));
        assert_eq!(parse_pid(b"0X1A4"), Some(420));
        assert_eq!(parse_pid(b" 7 "), Some(7));
        for bad in [
            &b""[..],
            b"-",
            b"1a4",
            b"0x",
            b"-1",
            b"99999999999999999999999",
        ] {
            assert_eq!(parse_pid(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn times_are_epoch_seconds_or_iso() {
        assert_eq!(parse_time(b"1578959090.348"), Some(1_578_959_090_348_000));
        assert_eq!(parse_time(b"1578959090"), Some(1_578_959_090_000_000));
        assert_eq!(
            parse_time(b"2020-01-13 23:44:50.348"),
            Some(1_578_959_090_348_000)
        );
        assert_eq!(
            parse_time(b"2020-01-13T23:44:50.348Z"),
            Some(1_578_959_090_348_000)
        );
        assert_eq!(
            parse_time(b"2020-01-13T20:44:50.348-03:00"),
            Some(1_578_959_090_348_000)
        );
        assert_eq!(
            parse_time(b"2020-01-14T00:44:50.348+0100"),
            Some(1_578_959_090_348_000)
        );
        assert_eq!(parse_time(b"1970-01-01 00:00:00"), Some(0));
        for bad in [
            &b""[..],
            b"x",
            b"2020-13-01 00:00:00",
            b"12.3.4",
            b"2020-01-14",
            b"1e9",
        ] {
            assert_eq!(parse_time(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    fn facts_of(header: &[&str], row: &[&str], plain_hit: bool) -> Option<Facts<'static>> {
        let mut fields = FieldSet::new();
        let rule = Rule::new(
            false,
            &["wmiprvse.exe".to_string()],
            Catalog::escu(),
            &mut fields,
        );
        let launchers: Vec<String> = DEFAULT_LAUNCHERS.iter().map(|s| s.to_string()).collect();
        let lineage = LineageRule::new(&launchers, &mut fields);
        let header = ByteRecord::from(header.to_vec());
        let layout = Layout::resolve(&fields, &header);
        let record = ByteRecord::from(row.to_vec());
        let view = RowView::new(&record, &layout);
        lineage
            .facts(&view, &rule, plain_hit)
            .map(Facts::into_owned)
    }

    const H: [&str; 9] = [
        "dest",
        "parent_process_name",
        "process_name",
        "process",
        "process_guid",
        "parent_process_guid",
        "process_id",
        "parent_process_id",
        "_time",
    ];

    #[test]
    fn a_wmi_started_launcher_is_a_link_and_names_its_program() {
        let f = facts_of(
            &H,
            &[
                "HOST",
                "WmiPrvSE.exe",
                "cmd.exe",
                r"cmd.exe /Q /c C:\Windows\System32\rundll32.exe x,#1",
                "{747f3d96-75d1-5f8b-0000-001088c23300}",
                "{747f3d96-75d1-5f8b-0000-00101dab3300}",
                "2784",
                "0x8b4",
                "1602975185.776",
            ],
            false,
        )
        .unwrap();
        assert!(f.launcher && !f.root && !f.catalog);
        assert_eq!(f.parent_kind, ParentKind::Wmi);
        assert_eq!(&*f.parent_name, b"WmiPrvSE.exe");
        assert_eq!(f.program.as_deref(), Some(&b"rundll32.exe"[..]));
        assert_eq!(f.pid, Some(2784));
        assert_eq!(f.parent_pid, Some(0x8b4));
        assert_eq!(f.time, Some(1_602_975_185_776_000));
        assert_eq!(&*f.host, b"HOST");
        assert!(f.guid.is_some() && f.parent_guid.is_some());
    }

    #[test]
    fn a_catalog_binary_under_a_launcher_is_a_candidate() {
        let f = facts_of(
            &H,
            &["h", "CMD.EXE", "mshta.exe", "", "", "", "", "9", ""],
            false,
        )
        .unwrap();
        assert!(f.catalog && !f.launcher);
        assert_eq!(f.parent_kind, ParentKind::Launcher);
        assert_eq!(f.parent_pid, Some(9));
        assert_eq!(f.time, None);
        // under explorer.exe it plays no part
        assert_eq!(
            facts_of(
                &H,
                &["h", "explorer.exe", "mshta.exe", "", "", "", "", "9", ""],
                false
            ),
            None
        );
        // a plain detection is no candidate
        assert_eq!(
            facts_of(
                &H,
                &["h", "wmiprvse.exe", "mshta.exe", "", "", "", "", "", ""],
                true
            ),
            None
        );
        // a catalog binary with no parent name is no candidate
        assert_eq!(
            facts_of(&H, &["h", "", "mshta.exe", "", "", "", "", "9", ""], false),
            None
        );
    }

    #[test]
    fn the_wmi_host_itself_is_a_root() {
        let f = facts_of(
            &H,
            &["h", "svchost.exe", "WmiPrvSE.exe", "", "", "", "1", "", ""],
            false,
        )
        .unwrap();
        assert!(f.root && !f.launcher);
        assert_eq!(f.parent_kind, ParentKind::Other);
    }

    #[test]
    fn a_wmi_parent_wins_over_a_launcher_in_a_multivalue_parent() {
        let h = [
            "parent_process_name",
            "__mv_parent_process_name",
            "process_name",
        ];
        let f = facts_of(
            &h,
            &["x", "$cmd.exe$;$wmiprvse.exe$", "powershell.exe"],
            false,
        )
        .unwrap();
        assert_eq!(f.parent_kind, ParentKind::Wmi);
        assert_eq!(&*f.parent_name, b"wmiprvse.exe");
    }

    #[test]
    fn prefixed_and_raw_names_are_read() {
        let h = [
            "Processes.dest",
            "Processes.parent_process_name",
            "Processes.process_name",
            "ProcessGuid",
            "ParentProcessGuid",
        ];
        let f = facts_of(&h, &["h", "cmd.exe", "cmd.exe", "{a}", "{b}"], false).unwrap();
        assert_eq!(&*f.host, b"h");
        assert!(f.launcher && f.guid.is_some() && f.parent_guid.is_some());
        assert_ne!(f.guid, f.parent_guid);
    }

    #[test]
    fn long_names_are_cut_at_a_character_boundary() {
        let long = "é".repeat(200);
        let f = facts_of(
            &H,
            &[
                "h",
                "cmd.exe",
                &format!("{long}mshta.exe"),
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            false,
        );
        assert_eq!(f, None);
        let v = cut(Cow::Owned(long.into_bytes()));
        assert!(v.len() <= MAX_NAME && std::str::from_utf8(&v).is_ok());
    }
}
