//! The detection: `wmiprvse.exe` spawning a catalog binary.
//!
//! Two modes, both precise (the tests hold exactly this):
//!
//! * **strict** — the ESCU search: some `parent_process_name` value equals a
//!   parent name and some `process_name` value is in the catalog. Reason
//!   `process_name`.
//! * **default** — also catches what the ESCU search misses:
//!   1. parent: the present `parent_process_name` values, or if none, the
//!      basenames of the present `parent_process_path` values; one must
//!      equal a parent name;
//!   2. child, the first that applies: (a) a present `process_name` in the
//!      catalog → `process_name`; (b) no present `process_name`, and the
//!      basename of a present `process_path` in the catalog →
//!      `process_path`; (c) a present `original_file_name`, minus one
//!      trailing `.mui`, in the catalog → `original_file_name` (a renamed
//!      binary).
//!
//! A value is *absent* when empty or (ASCII case ignored) `-`, `?`,
//! `unknown` or `null` — the fill values of the CIM, tstats `fillnull_value`
//! and Sysmon. Comparisons ignore ASCII case only and never trim.

pub mod catalog;
pub mod prefilter;
pub mod profile;

pub use catalog::Catalog;

use crate::records::{FieldSet, RowView, Slot};

/// Why a row matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchReason {
    /// `process_name` is in the catalog.
    ProcessName,
    /// `process_name` was absent; the basename of `process_path` is.
    ProcessPath,
    /// The PE's original file name is (a renamed binary).
    OriginalFileName,
}

impl MatchReason {
    /// All reasons, in rule order.
    pub const ALL: [MatchReason; 3] = [
        MatchReason::ProcessName,
        MatchReason::ProcessPath,
        MatchReason::OriginalFileName,
    ];

    /// The `match_reason` field value.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchReason::ProcessName => "process_name",
            MatchReason::ProcessPath => "process_path",
            MatchReason::OriginalFileName => "original_file_name",
        }
    }
}

/// The default parent name.
pub const DEFAULT_PARENT: &str = "wmiprvse.exe";

/// The fields the rule reads (plain CIM names): the parent's name and path,
/// the child's name, path and PE original file name. A row without any of
/// them can never match.
pub const FIELDS: [&str; 5] = [
    "parent_process_name",
    "parent_process_path",
    "process_name",
    "process_path",
    "original_file_name",
];

/// Slots of the fields the rule reads.
#[derive(Debug, Clone, Copy)]
struct Slots {
    parent_name: Slot,
    parent_path: Slot,
    name: Slot,
    path: Slot,
    original_file_name: Slot,
}

/// A compiled rule: options and catalog, ready to match rows.
#[derive(Debug, Clone)]
pub struct Rule {
    strict: bool,
    parents: Vec<Vec<u8>>,
    catalog: Catalog,
    slots: Slots,
}

impl Rule {
    /// Compiles a rule and registers the fields it reads in `fields`.
    pub fn new(strict: bool, parents: &[String], catalog: Catalog, fields: &mut FieldSet) -> Rule {
        let [parent_name, parent_path, name, path, original_file_name] =
            FIELDS.map(|f| fields.add(f));
        let slots = Slots {
            parent_name,
            parent_path,
            name,
            path,
            original_file_name,
        };
        Rule {
            strict,
            parents: parents.iter().map(|p| p.as_bytes().to_vec()).collect(),
            catalog,
            slots,
        }
    }

    /// The catalog in use.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Slots of the parent fields (`parent_process_name`, `parent_process_path`).
    pub fn parent_slots(&self) -> [Slot; 2] {
        [self.slots.parent_name, self.slots.parent_path]
    }

    /// Slots of the child fields (`process_name`, `process_path`, `original_file_name`).
    pub fn child_slots(&self) -> [Slot; 3] {
        [
            self.slots.name,
            self.slots.path,
            self.slots.original_file_name,
        ]
    }

    /// Whether `name` is one of the parent names (ASCII case ignored).
    pub fn is_parent(&self, name: &[u8]) -> bool {
        self.parents.iter().any(|p| p.eq_ignore_ascii_case(name))
    }

    /// Matches one row.
    pub fn evaluate(&self, row: &RowView<'_>) -> Option<MatchReason> {
        let s = &self.slots;
        if self.strict {
            let parent = row.any_value(s.parent_name, |v| self.is_parent(v));
            return (parent && row.any_value(s.name, |v| self.catalog.contains(v)))
                .then_some(MatchReason::ProcessName);
        }

        // 1. Parent: names if any is present, else path basenames.
        if !self.any_parent(row, |v| self.is_parent(v)) {
            return None;
        }
        // 2. Child, first rule that applies.
        self.child_reason(row)
    }

    /// Calls `f` on the parent as the default rule reads it — the present
    /// `parent_process_name` values, or if none is present, the basenames
    /// of the present `parent_process_path` values — until `f` returns
    /// true. Returns whether it did.
    pub fn any_parent(&self, row: &RowView<'_>, mut f: impl FnMut(&[u8]) -> bool) -> bool {
        let s = &self.slots;
        let mut name_present = false;
        row.any_value(s.parent_name, |v| {
            is_present(v) && {
                name_present = true;
                f(v)
            }
        }) || (!name_present && row.any_value(s.parent_path, |v| is_present(v) && f(basename(v))))
    }

    /// Calls `f` on the parent as this rule reads it — in strict mode the
    /// present `parent_process_name` values only (the ESCU search reads no
    /// path), by default as [`Rule::any_parent`] — until `f` returns true.
    pub fn any_parent_of_rule(&self, row: &RowView<'_>, mut f: impl FnMut(&[u8]) -> bool) -> bool {
        if self.strict {
            return row.any_value(self.slots.parent_name, |v| is_present(v) && f(v));
        }
        self.any_parent(row, f)
    }

    /// Whether the row's own process is a catalog binary, and why: in
    /// strict mode a `process_name` value in the catalog; by default the
    /// first of name, path (when no name is present) and original file
    /// name that is. The parent is not looked at.
    pub fn child_reason(&self, row: &RowView<'_>) -> Option<MatchReason> {
        self.child_in(row, |v| self.catalog.contains(v))
    }

    /// Like [`Rule::child_reason`], with `known` in place of the catalog
    /// (default mode's reading; strict mode reads `process_name` only).
    pub fn child_in(
        &self,
        row: &RowView<'_>,
        known: impl Fn(&[u8]) -> bool,
    ) -> Option<MatchReason> {
        let s = &self.slots;
        if self.strict {
            return row
                .any_value(s.name, &known)
                .then_some(MatchReason::ProcessName);
        }
        let mut name_present = false;
        if row.any_value(s.name, |v| {
            is_present(v) && {
                name_present = true;
                known(v)
            }
        }) {
            return Some(MatchReason::ProcessName);
        }
        if !name_present && row.any_value(s.path, |v| is_present(v) && known(basename(v))) {
            return Some(MatchReason::ProcessPath);
        }
        if row.any_value(s.original_file_name, |v| {
            is_present(v) && known(strip_mui(v))
        }) {
            return Some(MatchReason::OriginalFileName);
        }
        None
    }
}

/// False for the CIM/tstats/Sysmon fill values and the empty string.
pub fn is_present(v: &[u8]) -> bool {
    !(v.is_empty()
        || v == b"-"
        || v == b"?"
        || v.eq_ignore_ascii_case(b"unknown")
        || v.eq_ignore_ascii_case(b"null"))
}

/// Appends to `out` a process as observed: its first present `name`
/// value, else the file name of its first present `path` value, else (when
/// given) its first present `original` value (the threat object of a
/// detection; a parent has no original file name).
pub fn observed(
    row: &RowView<'_>,
    name: Slot,
    path: Slot,
    original: Option<Slot>,
    out: &mut Vec<u8>,
) {
    let mut take = |v: &[u8]| {
        let present = is_present(v);
        if present {
            out.extend_from_slice(v);
        }
        present
    };
    let _ = row.any_value(name, &mut take)
        || row.any_value(path, |v| is_present(v) && take(basename(v)))
        || original.is_some_and(|o| row.any_value(o, &mut take));
}

/// The part after the last `\` or `/`.
pub fn basename(path: &[u8]) -> &[u8] {
    match memchr::memrchr2(b'\\', b'/', path) {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// Removes one trailing `.mui` (any ASCII case): Sysmon reports some
/// OriginalFileName values with the resource file's suffix.
pub fn strip_mui(name: &[u8]) -> &[u8] {
    let n = name.len();
    if n > 4 && name[n - 4..].eq_ignore_ascii_case(b".mui") {
        &name[..n - 4]
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Layout;
    use csv::ByteRecord;

    const HEADER: [&str; 5] = [
        "parent_process_name",
        "parent_process_path",
        "process_name",
        "process_path",
        "original_file_name",
    ];

    fn run(strict: bool, header: &[&str], row: &[&str]) -> Option<MatchReason> {
        let mut fields = FieldSet::new();
        let rule = Rule::new(
            strict,
            &[DEFAULT_PARENT.to_string()],
            Catalog::escu(),
            &mut fields,
        );
        let header = ByteRecord::from(header.to_vec());
        let layout = Layout::resolve(&fields, &header);
        let row = ByteRecord::from(row.to_vec());
        rule.evaluate(&RowView::new(&row, &layout))
    }

    fn both(row: [&str; 5]) -> (Option<MatchReason>, Option<MatchReason>) {
        (run(true, &HEADER, &row), run(false, &HEADER, &row))
    }

    use MatchReason::*;

    #[test]
    fn plain_hit_matches_in_both_modes() {
        let r = both(["WmiPrvSE.exe", "", "RUNDLL32.EXE", "", ""]);
        assert_eq!(r, (Some(ProcessName), Some(ProcessName)));
    }

    #[test]
    fn wrong_parent_or_unlisted_child_never_matches() {
        assert_eq!(
            both(["svchost.exe", "", "rundll32.exe", "", ""]),
            (None, None)
        );
        assert_eq!(both(["wmiprvse.exe", "", "cmd.exe", "", ""]), (None, None));
        assert_eq!(
            both(["wmiprvse.exe", "", "rundll32.exe ", "", ""]),
            (None, None)
        );
        assert_eq!(
            both(["wmiprvse.exe", "", "DIS\u{212A}SHADOW.EXE", "", ""]),
            (None, None)
        );
    }

    #[test]
    fn renamed_binary_is_caught_by_original_file_name_in_default_mode_only() {
        let r = both([
            "wmiprvse.exe",
            "",
            "evil.exe",
            "C:\\x\\evil.exe",
            "RUNDLL32.EXE",
        ]);
        assert_eq!(r, (None, Some(OriginalFileName)));
        let r = both(["wmiprvse.exe", "", "evil.exe", "", "rundll32.exe.MUI"]);
        assert_eq!(r, (None, Some(OriginalFileName)));
        // only one .mui is removed
        let r = both(["wmiprvse.exe", "", "evil.exe", "", "rundll32.exe.mui.mui"]);
        assert_eq!(r, (None, None));
    }

    #[test]
    fn absent_child_name_falls_back_to_the_path() {
        for fill in ["", "unknown", "UNKNOWN", "-", "?", "null", "NULL"] {
            let r = both([
                "wmiprvse.exe",
                "",
                fill,
                "C:\\Windows\\System32\\mshta.exe",
                "",
            ]);
            assert_eq!(r, (None, Some(ProcessPath)), "fill {fill:?}");
        }
        let r = both([
            "wmiprvse.exe",
            "",
            "",
            "/mnt/c/Windows/System32/MSHTA.EXE",
            "",
        ]);
        assert_eq!(r.1, Some(ProcessPath));
    }

    #[test]
    fn present_unlisted_child_name_does_not_use_the_path() {
        let r = both([
            "wmiprvse.exe",
            "",
            "notepad.exe",
            "C:\\Windows\\mshta.exe",
            "",
        ]);
        assert_eq!(r, (None, None));
    }

    #[test]
    fn absent_parent_name_falls_back_to_the_parent_path() {
        let r = both([
            "unknown",
            "C:\\Windows\\SysWOW64\\wbem\\WmiPrvSE.exe",
            "mshta.exe",
            "",
            "",
        ]);
        assert_eq!(r, (None, Some(ProcessName)));
        // a present parent name wins over the path
        let r = both([
            "svchost.exe",
            "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            "mshta.exe",
            "",
            "",
        ]);
        assert_eq!(r, (None, None));
        // an absent path is no parent
        let r = both(["", "?", "mshta.exe", "", ""]);
        assert_eq!(r, (None, None));
    }

    #[test]
    fn fill_values_are_never_names() {
        let r = both(["wmiprvse.exe", "", "unknown", "unknown", "unknown"]);
        assert_eq!(r, (None, None));
    }

    #[test]
    fn prefixed_fields_and_multivalue_fields_match() {
        let header = [
            "Processes.parent_process_name",
            "Processes.process_name",
            "__mv_Processes.process_name",
        ];
        let row = ["wmiprvse.exe", "a.exe\nmshta.exe", "$a.exe$;$mshta.exe$"];
        assert_eq!(run(true, &header, &row), Some(ProcessName));
        assert_eq!(run(false, &header, &row), Some(ProcessName));
    }

    #[test]
    fn strict_mode_ignores_paths_entirely() {
        let r = both([
            "",
            "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            "",
            "C:\\x\\mshta.exe",
            "",
        ]);
        assert_eq!(r, (None, Some(ProcessPath)));
    }

    #[test]
    fn missing_columns_do_not_match() {
        assert_eq!(run(false, &["dest"], &["host"]), None);
        assert_eq!(run(true, &["parent_process_name"], &["wmiprvse.exe"]), None);
    }

    #[test]
    fn helpers() {
        assert_eq!(basename(b"C:\\a\\b.exe"), b"b.exe");
        assert_eq!(basename(b"/a/b.exe"), b"b.exe");
        assert_eq!(basename(b"b.exe"), b"b.exe");
        assert_eq!(basename(b"C:\\a\\"), b"");
        assert_eq!(strip_mui(b"X.EXE.MUI"), b"X.EXE");
        assert_eq!(strip_mui(b".mui"), b".mui");
        assert!(!is_present(b"Unknown"));
        assert!(is_present(b"unknown.exe"));
    }
}
