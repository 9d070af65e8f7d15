//! Records: CSV rows as splunkd sends them, and how the rule reads fields.
//!
//! A chunk body is CSV (parsed with the `csv` crate) whose first row names
//! the fields. Every field may come plain (`process_name`) or with the
//! data-model prefix tstats leaves before `drop_dm_object_name`
//! (`Processes.process_name`), each with an `__mv_` companion column.
//!
//! Column lookup happens once per header ([`Layout::resolve`]); per row the
//! rule only indexes into the row's [`Fields`] — a reused
//! [`csv::ByteRecord`], or the bounds of a split row over its own bytes
//! ([`quoting::Cells`]) — through a [`RowView`], comparing bytes. Nothing
//! here allocates per row unless a multivalue item contains an escaped `$`.

pub mod anchors;
pub mod mv;
pub mod quoting;
pub mod simd;
pub mod spans;

use std::borrow::Cow;

use csv::ByteRecord;

/// The data-model object prefix tstats puts on `Endpoint.Processes` fields.
pub const DM_PREFIX: &str = "Processes.";

/// The companion-column prefix for multivalue fields.
pub const MV_PREFIX: &str = "__mv_";

/// A field the caller wants to read, by index into a [`FieldSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot(pub usize);

/// The fields a consumer reads, by their plain CIM names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    names: Vec<String>,
}

impl FieldSet {
    /// An empty set.
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    /// Adds a field (or finds it if already there) and returns its slot.
    pub fn add(&mut self, name: &str) -> Slot {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return Slot(i);
        }
        self.names.push(name.to_string());
        Slot(self.names.len() - 1)
    }

    /// The plain names, in slot order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// A column and its `__mv_` companion, if the header has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Index of the value column.
    pub index: usize,
    /// Index of the `__mv_` column.
    pub mv: Option<usize>,
}

/// Where one wanted field lives in a given header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlotColumns {
    /// `name`
    pub plain: Option<Column>,
    /// `Processes.name`
    pub prefixed: Option<Column>,
}

/// Column indexes of every wanted field for one CSV header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    slots: Vec<SlotColumns>,
    width: usize,
}

impl Layout {
    /// Resolves every field of `fields` against a header row. Field names are
    /// case-sensitive, as in Splunk. When a name occurs twice, the first
    /// column wins.
    pub fn resolve(fields: &FieldSet, header: &ByteRecord) -> Layout {
        let find = |name: &[u8]| header.iter().position(|h| h == name);
        let column = |name: &str| {
            find(name.as_bytes()).map(|index| Column {
                index,
                mv: find(format!("{MV_PREFIX}{name}").as_bytes()),
            })
        };
        let slots = fields
            .names()
            .iter()
            .map(|name| SlotColumns {
                plain: column(name),
                prefixed: column(&format!("{DM_PREFIX}{name}")),
            })
            .collect();
        Layout {
            slots,
            width: header.len(),
        }
    }

    /// Number of columns in the header.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The columns of a slot.
    pub fn columns(&self, slot: Slot) -> SlotColumns {
        self.slots.get(slot.0).copied().unwrap_or_default()
    }

    /// True when the header has the field, plain or prefixed.
    pub fn has(&self, slot: Slot) -> bool {
        let c = self.columns(slot);
        c.plain.is_some() || c.prefixed.is_some()
    }
}

/// The fields of one row, by index: a [`csv::ByteRecord`], or a split row
/// over its bytes ([`quoting::Cells`]).
pub trait Fields {
    /// Field `i`, if the row has it.
    fn field(&self, i: usize) -> Option<&[u8]>;
    /// Number of fields.
    fn count(&self) -> usize;
}

impl Fields for ByteRecord {
    #[inline]
    fn field(&self, i: usize) -> Option<&[u8]> {
        self.get(i)
    }

    #[inline]
    fn count(&self) -> usize {
        self.len()
    }
}

/// A row seen through a layout.
#[derive(Clone, Copy)]
pub struct RowView<'a> {
    record: &'a dyn Fields,
    layout: &'a Layout,
}

impl<'a> RowView<'a> {
    /// Views `record` (a data row of the header `layout` was resolved from).
    pub fn new(record: &'a dyn Fields, layout: &'a Layout) -> RowView<'a> {
        RowView { record, layout }
    }

    /// Calls `f` on every value of the field — plain column first, then the
    /// prefixed one; each column's `__mv_` values when its companion cell is
    /// set and well-formed, else the cell itself — until `f` returns true.
    /// Returns whether it did. Empty cells are skipped.
    pub fn any_value(&self, slot: Slot, mut f: impl FnMut(&[u8]) -> bool) -> bool {
        let cols = self.layout.columns(slot);
        for col in [cols.plain, cols.prefixed].into_iter().flatten() {
            if column_any(self.record, col, &mut f) {
                return true;
            }
        }
        false
    }

    /// The first non-empty value of the field (plain column before prefixed,
    /// first multivalue item before the others), or `b""`.
    pub fn first_value(&self, slot: Slot) -> Cow<'a, [u8]> {
        let cols = self.layout.columns(slot);
        for col in [cols.plain, cols.prefixed].into_iter().flatten() {
            if let Some(v) = column_first(self.record, col) {
                return v;
            }
        }
        Cow::Borrowed(b"")
    }
}

fn cell(record: &dyn Fields, index: usize) -> &[u8] {
    record.field(index).unwrap_or(b"")
}

fn mv_cell(record: &dyn Fields, col: Column) -> Option<&[u8]> {
    let mv = cell(record, col.mv?);
    (!mv.is_empty() && mv::is_well_formed(mv)).then_some(mv)
}

fn column_any(record: &dyn Fields, col: Column, f: &mut impl FnMut(&[u8]) -> bool) -> bool {
    match mv_cell(record, col) {
        Some(mv) => mv::raw_items(mv).flatten().any(|raw| {
            let v = mv::unescape(raw);
            !v.is_empty() && f(&v)
        }),
        None => {
            let v = cell(record, col.index);
            !v.is_empty() && f(v)
        }
    }
}

fn column_first<'a>(record: &'a dyn Fields, col: Column) -> Option<Cow<'a, [u8]>> {
    match mv_cell(record, col) {
        Some(mv) => mv::raw_items(mv)
            .flatten()
            .map(mv::unescape)
            .find(|v| !v.is_empty()),
        None => {
            let v = cell(record, col.index);
            (!v.is_empty()).then_some(Cow::Borrowed(v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(fields: &[&str]) -> ByteRecord {
        ByteRecord::from(fields.to_vec())
    }

    #[test]
    fn resolves_plain_prefixed_and_mv_columns() {
        let mut fields = FieldSet::new();
        let pn = fields.add("process_name");
        let dest = fields.add("dest");
        let missing = fields.add("user");
        assert_eq!(fields.add("dest"), dest);
        let header = rec(&[
            "Processes.process_name",
            "dest",
            "__mv_Processes.process_name",
            "__mv_dest",
        ]);
        let layout = Layout::resolve(&fields, &header);
        assert_eq!(
            layout.columns(pn).prefixed,
            Some(Column {
                index: 0,
                mv: Some(2)
            })
        );
        assert_eq!(layout.columns(pn).plain, None);
        assert_eq!(
            layout.columns(dest).plain,
            Some(Column {
                index: 1,
                mv: Some(3)
            })
        );
        assert!(!layout.has(missing));
    }

    #[test]
    fn multivalue_cells_are_authoritative_and_malformed_ones_fall_back() {
        let mut fields = FieldSet::new();
        let pn = fields.add("process_name");
        let header = rec(&["process_name", "__mv_process_name"]);
        let layout = Layout::resolve(&fields, &header);
        let row = rec(&["a.exe\nb$.exe", "$a.exe$;$b$$.exe$"]);
        let view = RowView::new(&row, &layout);
        let mut seen = Vec::new();
        view.any_value(pn, |v| {
            seen.push(v.to_vec());
            false
        });
        assert_eq!(seen, vec![b"a.exe".to_vec(), b"b$.exe".to_vec()]);
        assert_eq!(&*view.first_value(pn), b"a.exe");

        let row = rec(&["plain.exe", "$broken"]);
        let view = RowView::new(&row, &layout);
        assert!(view.any_value(pn, |v| v == b"plain.exe"));
    }

    #[test]
    fn a_split_row_reads_like_its_record() {
        use quoting::{split_canonical, SplitRow};
        use simd::Isa;
        let mut fields = FieldSet::new();
        let pn = fields.add("process_name");
        let cmd = fields.add("process");
        let header = rec(&["process", "process_name", "__mv_process_name"]);
        let layout = Layout::resolve(&fields, &header);
        let raw = br#""""a b"" -c",x.exe,"$x.exe$;$y""$$.exe$""#;
        let record = rec(&["\"a b\" -c", "x.exe", "$x.exe$;$y\"$$.exe$"]);
        let mut split = SplitRow::new();
        for isa in Isa::available() {
            split_canonical(raw, &mut split, isa);
            let cells = split.cells(raw);
            for view in [
                RowView::new(&cells, &layout),
                RowView::new(&record, &layout),
            ] {
                assert_eq!(&*view.first_value(cmd), b"\"a b\" -c", "{isa:?}");
                let mut names = Vec::new();
                view.any_value(pn, |v| {
                    names.push(v.to_vec());
                    false
                });
                assert_eq!(names, [&b"x.exe"[..], b"y\"$.exe"], "{isa:?}");
            }
        }
    }

    #[test]
    fn plain_column_comes_before_prefixed_and_empty_cells_are_skipped() {
        let mut fields = FieldSet::new();
        let dest = fields.add("dest");
        let header = rec(&["dest", "Processes.dest"]);
        let layout = Layout::resolve(&fields, &header);
        let row = rec(&["", "host-b"]);
        assert_eq!(&*RowView::new(&row, &layout).first_value(dest), b"host-b");
        let row = rec(&["host-a", "host-b"]);
        assert_eq!(&*RowView::new(&row, &layout).first_value(dest), b"host-a");
        let short = rec(&[]);
        assert_eq!(&*RowView::new(&short, &layout).first_value(dest), b"");
    }
}
