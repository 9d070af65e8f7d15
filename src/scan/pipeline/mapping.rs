//! How records are mapped: a CSV header's layout resolved once, a loaded
//! record's kind, what each input held ([`Tally`]), and the fields a
//! message names.

use std::sync::Arc;

use csv::ByteRecord;

use super::{Checked, Counts, Detector};
use crate::layouts::walk;
use crate::layouts::{self, EventBuilder, EventKind, ExportLayout, Prio, Target};
use crate::notes::FieldNotes;
use crate::records::{Layout, RowView};
use crate::scan::read::Position;
use crate::scan::report::Tally;

impl Detector {
    /// Maps a loaded record of `layout`; `Some` when it is a process
    /// creation to print or show to lineage.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn map_event(
        &self,
        layout: &'static ExportLayout,
        event: &mut EventBuilder,
        record: &mut ByteRecord,
        counts: &mut Counts,
        state: &mut State,
        pos: &Position,
        fields: impl FnOnce() -> Vec<String>,
    ) -> Option<Checked> {
        state.tally.layout(layout.name);
        if let Some(product) = layout.vendor_product {
            event.vendor(product);
        }
        if event.finish(record) != EventKind::ProcessCreation {
            state.tally.other(&event.label());
            return None;
        }
        if layout.repeats {
            if let Some(key) = event.repeat_key() {
                if !state.seen.insert(key) {
                    state.tally.repeated += 1;
                    state.tally.records -= 1;
                    counts.events -= 1;
                    return None;
                }
            }
        }
        state.tally.processes += 1;
        if event.unread() {
            state.tally.unread.add(pos, fields);
        }
        // The record's time is epoch seconds already (noted by the builder).
        self.check(&self.cim_layout, record, counts, &mut FieldNotes::default())
    }

    /// The name and path columns of a CIM header, for [`Self::cim_unread`]'s
    /// first look.
    fn name_columns(&self, layout: &Layout) -> Vec<usize> {
        self.name_slots
            .iter()
            .flat_map(|s| {
                let c = layout.columns(*s);
                [c.plain, c.prefixed]
            })
            .flatten()
            .map(|c| c.index)
            .collect()
    }

    /// True when a CIM row has neither a process nor a parent name or path
    /// (a cell of one, then every value of each).
    pub(super) fn cim_unread(&self, layout: &Layout, names: &[usize], row: &ByteRecord) -> bool {
        use crate::rule::is_present;
        if names.iter().any(|&i| row.get(i).is_some_and(is_present)) {
            return false;
        }
        let view = RowView::new(row, layout);
        !self
            .name_slots
            .iter()
            .any(|s| view.any_value(*s, is_present))
    }

    /// How the rows under a CSV header are read: CIM rows as they are,
    /// another layout's through its map (each column's meaning resolved
    /// once), or not at all.
    pub(super) fn columns(&self, header: &ByteRecord, state: &mut State) -> Columns {
        let names: Vec<String> = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        match layouts::recognise_header(&names) {
            Some(layout) if layout.cim => {
                state.tally.layout(layout.name);
                let resolved = Layout::resolve(&self.fields, header);
                let quick = self.name_columns(&resolved);
                Columns::Cim(Arc::new(resolved), quick, names)
            }
            Some(layout) => {
                state.tally.layout(layout.name);
                let targets = names.iter().map(|n| layout.map.entry(n)).collect();
                Columns::Mapped {
                    layout,
                    targets,
                    names,
                }
            }
            None => {
                state.tally.header = Some(names);
                Columns::None
            }
        }
    }
}

/// What one input's loop keeps besides its counts.
#[derive(Default)]
pub(super) struct State {
    pub(super) tally: Tally,
    /// Records already read, for layouts whose rows repeat them.
    pub(super) seen: std::collections::HashSet<u64>,
}

/// How the rows under the last CSV header are read.
pub(super) enum Columns {
    /// CIM names, resolved for the rule and annotator; the name and path
    /// columns; the header's names.
    Cim(Arc<Layout>, Vec<usize>, Vec<String>),
    /// Another layout: each column's meaning in its map.
    Mapped {
        layout: &'static ExportLayout,
        targets: Vec<Option<(&'static str, Target, Prio)>>,
        names: Vec<String>,
    },
    /// No layout known (or no header yet): rows are counted, not read.
    None,
}

/// A CSV row's fields: the header's names whose cells are not empty.
pub(super) fn row_fields(names: &[String], row: &ByteRecord) -> Vec<String> {
    names
        .iter()
        .zip(row.iter())
        .filter(|(_, v)| !v.is_empty())
        .map(|(n, _)| n.clone())
        .collect()
}

/// A JSON record's fields (under its envelope).
pub(super) fn json_fields(text: &[u8]) -> Vec<String> {
    match serde_json::from_slice::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(obj)) => walk::unwrap(&obj).keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// An XML event's fields: its `<Data Name>`s.
pub(super) fn xml_fields(text: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for at in memchr::memmem::find_iter(text, b"Name=") {
        let rest = &text[at + 5..];
        let Some(&quote) = rest.first() else { continue };
        if quote != b'\'' && quote != b'"' {
            continue;
        }
        if let Some(end) = memchr::memchr(quote, &rest[1..]) {
            out.push(String::from_utf8_lossy(&rest[1..=end]).into_owned());
        }
    }
    out
}
