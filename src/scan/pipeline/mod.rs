//! The one loop every input goes through: records from a [`Reader`] are
//! mapped onto `Endpoint.Processes` (CSV rows with CIM names as they are;
//! every other layout's records through [`EventBuilder`]),
//! matched by the [`Rule`], annotated, and handed with their counts and
//! problems, in input order, to a [`Sink`].
//!
//! Each record's layout is recognised ([`crate::layouts`]): a CSV's once,
//! from its header; a JSON record's from its fields. What every input held
//! goes to the sink at its end ([`Tally`]), for the rule of
//! [`super::report`]: no input gives a silent zero.

use std::sync::Arc;

use csv::ByteRecord;

mod mapping;

use super::output::{OutRow, OUTPUT_FIELDS};
use super::read::{Body, Position, Reader, Step};
use super::report::Tally;
use crate::annotate::{Annotator, Hit};
use crate::error::Error;
use crate::layouts::walk::{self, Loaded};
use crate::layouts::{self, EventBuilder};
use crate::lineage::{Facts, LineageRule};
use crate::notes::{FieldNotes, NoteKind};
use crate::options::Mode;
use crate::records::{FieldSet, Layout, RowView, Slot};
use crate::rule::{Catalog, Rule};
use crate::time::{self, LocalZone, Zone};
use mapping::{json_fields, row_fields, xml_fields, Columns, State};

/// Counts for the summary line, sent as they grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read (rows, events).
    pub events: u64,
    /// Process creations among them.
    pub processes: u64,
    /// Detections among those.
    pub detections: u64,
}

impl Counts {
    /// Adds `other`.
    pub fn add(&mut self, other: Counts) {
        self.events += other.events;
        self.processes += other.processes;
        self.detections += other.detections;
    }

    fn is_zero(&self) -> bool {
        *self == Counts::default()
    }
}

/// A row to print, owned (it may cross threads).
#[derive(Debug, Clone)]
pub struct Row {
    /// `file:line` or `file#record`.
    pub source: String,
    /// Values of [`OUTPUT_FIELDS`].
    pub base: Vec<Vec<u8>>,
    /// Values of the added fields.
    pub added: Vec<Vec<u8>>,
}

impl Row {
    /// Borrowed for [`super::output::Output::write`].
    pub fn write_to<W: std::io::Write>(
        &self,
        out: &mut super::output::Output<W>,
    ) -> std::io::Result<()> {
        let base: Vec<&[u8]> = self.base.iter().map(Vec::as_slice).collect();
        let added: Vec<&[u8]> = self.added.iter().map(Vec::as_slice).collect();
        out.write(&OutRow {
            source: &self.source,
            base: &base,
            added: &added,
        })
    }
}

/// A row lineage must see (`--lineage`): a WMI host, a launcher, or a
/// catalog binary under a launcher, with what printing it later needs.
#[derive(Debug)]
pub struct LineageRow {
    /// What lineage reads from it.
    pub facts: Facts<'static>,
    /// The row, mapped onto CIM.
    pub record: ByteRecord,
    /// Its columns.
    pub layout: Arc<Layout>,
    /// `file:line` or `file#record`.
    pub source: String,
    /// What is printed when lineage finds nothing: a plain detection, the
    /// row with empty fields in annotate mode, or nothing.
    pub row: Option<Row>,
}

/// What the loop hands on for one process row.
enum Checked {
    Row(Row),
    Lineage(Box<LineageRow>),
}

/// Reading stops: `--strict-input` after an error, or stdout is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop;

/// Receives what the loop produces, in input order.
pub trait Sink {
    /// Counts since the last call (always sent before a row or an error).
    fn counts(&mut self, counts: Counts) -> Result<(), Stop>;
    /// A detection (or, in annotate mode, any process row).
    fn row(&mut self, row: Row) -> Result<(), Stop>;
    /// A problem with the input.
    fn error(&mut self, error: Error) -> Result<(), Stop>;
    /// Times present but unreadable, and times read without a zone (sent
    /// at the end of each input).
    fn notes(&mut self, notes: FieldNotes) -> Result<(), Stop>;
    /// A row for lineage (`--lineage`), in input order with the others.
    fn lineage(&mut self, row: Box<LineageRow>) -> Result<(), Stop>;
    /// What a unit of an input held (sent at its end).
    fn tally(&mut self, tally: Tally) -> Result<(), Stop>;
}

/// Records between two [`Sink::counts`] calls when nothing else is sent.
const COUNTS_EVERY: u64 = 1024;

/// The rule, the annotator and the fields they read: everything the loop
/// needs, built once per thread.
pub struct Detector {
    mode: Mode,
    rule: Rule,
    annotator: Annotator,
    lineage: Option<LineageRule>,
    fields: FieldSet,
    out_slots: Vec<Slot>,
    /// `_time`, `firstTime`: the time of a CIM row.
    time_slots: [Slot; 2],
    /// `process_name`, `process_path`, `parent_process_name`,
    /// `parent_process_path`: a CIM row without any is not read.
    name_slots: [Slot; 4],
    cim_layout: Arc<Layout>,
    /// The zone zone-less times are read in (UTC when `None`).
    local: Option<LocalZone>,
}

impl Detector {
    /// Compiles the options and catalog.
    pub fn new(config: &super::ScanConfig, catalog: Catalog) -> Detector {
        let options = &config.options;
        let mut fields = FieldSet::new();
        let rule = Rule::new(options.strict, &options.parents, catalog, &mut fields);
        let annotator = Annotator::new(options, &mut fields);
        let lineage = options.lineage.then(|| {
            let mut lineage = LineageRule::new(&options.launchers(), &mut fields);
            lineage.set_local_zone(config.timezone.clone());
            // The mapping notes each row's time once (see `cim_time`).
            lineage.set_time_notes(false);
            lineage
        });
        let out_slots = OUTPUT_FIELDS.iter().map(|f| fields.add(f)).collect();
        let time_slots = [fields.add("_time"), fields.add("firstTime")];
        let name_slots = [
            fields.add("process_name"),
            fields.add("process_path"),
            fields.add("parent_process_name"),
            fields.add("parent_process_path"),
        ];
        let cim_layout = Arc::new(Layout::resolve(&fields, &layouts::builder::cim_header()));
        Detector {
            mode: options.mode,
            rule,
            annotator,
            lineage,
            fields,
            out_slots,
            time_slots,
            name_slots,
            cim_layout,
            local: config.timezone.clone(),
        }
    }

    /// A CIM row's time as epoch seconds (`_time`, else `firstTime`, in any
    /// form [`crate::time`] reads), noting unreadable and zone-less values
    /// in `notes` when given; empty when there is none.
    fn cim_time(&self, view: &RowView<'_>, mut notes: Option<&mut FieldNotes>) -> Vec<u8> {
        for (slot, field) in self.time_slots.iter().zip(["_time", "firstTime"]) {
            let v = view.first_value(*slot);
            if !crate::rule::is_present(&v) {
                continue;
            }
            match time::parse(&v) {
                Some(p) => {
                    if p.zone == Zone::Naive {
                        let kind = if self.local.is_some() {
                            NoteKind::ZonelessLocal
                        } else {
                            NoteKind::ZonelessUtc
                        };
                        if let Some(n) = notes.as_deref_mut() {
                            n.add(kind, field, &v);
                        }
                    }
                    return time::format_epoch(p.resolve(self.local.as_ref()), p.digits)
                        .into_bytes();
                }
                None => {
                    if let Some(n) = notes.as_deref_mut() {
                        n.add(NoteKind::Unreadable, field, &v);
                    }
                }
            }
        }
        Vec::new()
    }

    /// The row to print for `record` (columns `layout`) as `hit` (none:
    /// the added fields empty).
    pub fn render(&self, layout: &Layout, record: &ByteRecord, hit: Option<Hit<'_>>) -> Row {
        let view = RowView::new(record, layout);
        let mut base: Vec<Vec<u8>> = self
            .out_slots
            .iter()
            .map(|s| view.first_value(*s).into_owned())
            .collect();
        // `_time` is one form: epoch seconds, whatever the input wrote.
        base[0] = self.cim_time(&view, None);
        let added = self
            .annotator
            .hit_values(&view, hit)
            .into_iter()
            .map(|v| v.into_owned())
            .collect();
        Row {
            source: String::new(),
            base,
            added,
        }
    }

    /// Matches one row; `Some` when it is to be printed or shown to
    /// lineage.
    fn check(
        &self,
        layout: &Arc<Layout>,
        record: &ByteRecord,
        counts: &mut Counts,
        notes: &mut FieldNotes,
    ) -> Option<Checked> {
        counts.processes += 1;
        let view = RowView::new(record, layout);
        self.cim_time(&view, Some(notes));
        let hit = self.rule.evaluate(&view);
        if hit.is_some() {
            counts.detections += 1;
        }
        let printed = (hit.is_some() || self.mode == Mode::Annotate)
            .then(|| self.render(layout, record, hit.map(Hit::Plain)));
        if let Some(lineage) = &self.lineage {
            if let Some(facts) = lineage.facts(&view, &self.rule, hit.is_some()) {
                return Some(Checked::Lineage(Box::new(LineageRow {
                    facts: facts.into_owned(),
                    record: record.clone(),
                    layout: Arc::clone(layout),
                    source: String::new(),
                    row: printed,
                })));
            }
        }
        printed.map(Checked::Row)
    }

    /// Reads `reader` to its end (or a stop), sending rows, counts and
    /// problems to `sink`, then what the input held ([`Tally`]). `name` is
    /// the input's name in messages.
    pub fn scan(
        &self,
        name: &str,
        reader: &mut dyn Reader,
        sink: &mut dyn Sink,
    ) -> Result<(), Stop> {
        let mut counts = Counts::default();
        let mut state = State::default();
        let mut columns = Columns::None;
        let mut event = EventBuilder::new();
        event.set_local_zone(self.local.clone());
        let mut notes = FieldNotes::default();
        let mut record = ByteRecord::new();
        let events_layout = reader.layout();
        loop {
            let (pos, body) = match reader.next() {
                Step::End => break,
                Step::Header(header) => {
                    columns = self.columns(header, &mut state);
                    continue;
                }
                Step::Failed(e) => {
                    state.tally.cut = true;
                    flush(&mut counts, sink)?;
                    sink.error(e)?;
                    break;
                }
                Step::Skipped(e) => {
                    counts.events += 1;
                    state.tally.records += 1;
                    flush(&mut counts, sink)?;
                    sink.error(e)?;
                    continue;
                }
                Step::Problem(e) => {
                    flush(&mut counts, sink)?;
                    sink.error(e)?;
                    continue;
                }
                Step::Record(pos, body) => (pos, body),
            };
            counts.events += 1;
            state.tally.records += 1;
            let mapped = match body {
                Body::Row(row) => Ok(match &columns {
                    Columns::Cim(layout, quick, names) => {
                        if self.cim_unread(layout, quick, row) {
                            state.tally.unread.add(&pos, || row_fields(names, row));
                        }
                        state.tally.processes += 1;
                        self.check(layout, row, &mut counts, &mut notes)
                    }
                    Columns::Mapped {
                        layout,
                        targets,
                        names,
                    } => {
                        event.clear();
                        for (target, value) in targets.iter().zip(row.iter()) {
                            if let Some((key, t, prio)) = target {
                                event.apply(key, *t, *prio, &[value]);
                            }
                        }
                        let fields = || row_fields(names, row);
                        let (e, r, c) = (&mut event, &mut record, &mut counts);
                        self.map_event(layout, e, r, c, &mut state, &pos, fields)
                    }
                    Columns::None => None,
                }),
                Body::Json(text) => match walk::load_json(text, &mut event) {
                    Err(message) => Err(message),
                    Ok(Loaded::Marker) => {
                        counts.events -= 1;
                        state.tally.records -= 1;
                        Ok(None)
                    }
                    Ok(Loaded::Unknown(keys)) => {
                        state.tally.unknown.add(&pos, || keys);
                        Ok(None)
                    }
                    Ok(Loaded::Record(layout)) => {
                        let fields = || json_fields(text);
                        let (e, r, c) = (&mut event, &mut record, &mut counts);
                        Ok(self.map_event(layout, e, r, c, &mut state, &pos, fields))
                    }
                },
                Body::Xml(text) => {
                    event.clear();
                    let windows = layouts::windows_events();
                    layouts::xml::load_fields(text, windows.map, &mut event).map(|()| {
                        let fields = || xml_fields(text);
                        let layout = events_layout.unwrap_or(windows);
                        let (e, r, c) = (&mut event, &mut record, &mut counts);
                        self.map_event(layout, e, r, c, &mut state, &pos, fields)
                    })
                }
                Body::Other(label) => {
                    let layout = events_layout.unwrap_or(layouts::windows_events());
                    state.tally.layout(layout.name);
                    state
                        .tally
                        .other(label.unwrap_or("records without an event ID"));
                    Ok(None)
                }
            };
            if let Some(problem) = event.take_problem() {
                flush(&mut counts, sink)?;
                sink.error(error_at(name, pos, format!("this record's {problem}")))?;
            }
            match mapped {
                Err(message) => {
                    flush(&mut counts, sink)?;
                    sink.error(error_at(name, pos, message))?;
                }
                Ok(Some(Checked::Row(mut row))) => {
                    row.source = super::read::source(name, &pos);
                    flush(&mut counts, sink)?;
                    sink.row(row)?;
                }
                Ok(Some(Checked::Lineage(mut row))) => {
                    row.source = super::read::source(name, &pos);
                    if let Some(r) = row.row.as_mut() {
                        r.source.clone_from(&row.source);
                    }
                    flush(&mut counts, sink)?;
                    sink.lineage(row)?;
                }
                Ok(None) => {
                    if counts.events >= COUNTS_EVERY {
                        flush(&mut counts, sink)?;
                    }
                }
            }
        }
        flush(&mut counts, sink)?;
        notes.merge(&event.take_notes());
        if !notes.is_empty() {
            sink.notes(notes)?;
        }
        sink.tally(state.tally)
    }
}

fn flush(counts: &mut Counts, sink: &mut dyn Sink) -> Result<(), Stop> {
    if counts.is_zero() {
        return Ok(());
    }
    sink.counts(std::mem::take(counts))
}

/// An error at a position of input `name`.
pub fn error_at(name: &str, pos: Position, message: String) -> Error {
    Error::input(crate::error::Position::input(name, pos), message)
}
