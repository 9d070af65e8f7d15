//! Rows held across execute requests (`lineage=true`), and how they come
//! back into a reply.
//!
//! A held row is its bytes ([`HeldRow`]), its place in the input, and a
//! reference to the header it came with ([`Headers`]: each distinct header
//! once, counted against the held-byte cap, freed with its last row). When
//! rows settle — during a later body (their parent arrived) or at the final
//! request (`finished: true`) — they go into that reply: detections, and in
//! annotate mode every held row.
//!
//! **Order.** The rows of a reply are in input order: a released row is
//! placed among the body's own rows by its place in the input (held rows
//! come from earlier bodies, or earlier in this one), so a reply is the
//! body's returned rows and the released rows, merged in input order.
//!
//! A reply has one header, and a held row may come from a body with other
//! fields. So released rows are written **by field name** into the reply's
//! header: its own fields go to the columns of the same name, the added
//! fields are computed for the row, and fields the reply's header lacks are
//! appended to it as extra columns — the rows already in the reply get
//! empty cells there (they are rewritten once; this is rare: splunkd sends
//! one header per search unless events differ in fields). An `__mv_`
//! column of one of our added fields is blanked, as on the body's own rows.

use std::collections::HashMap;

use csv::ByteRecord;

use super::emit::Collisions;
use super::BodyStats;
use crate::annotate::{Annotator, CsvLine, Hit};
use crate::lineage::{Limits, LineageRule, Settled, Tree, Weigh};
use crate::options::Mode;
use crate::records::{FieldSet, Layout, RowView, MV_PREFIX};

/// A held row: its bytes as they arrived (one allocation; parsed again
/// when it is released) and its header's number.
#[derive(Debug)]
pub(super) struct HeldRow {
    header: u32,
    raw: Box<[u8]>,
    /// Its place in the input (rows before it, over every body).
    ordinal: u64,
}

impl Weigh for HeldRow {
    fn weight(&self) -> usize {
        self.raw.len() + 16
    }
}

impl HeldRow {
    /// The row's fields (the bytes were one CSV record when held).
    fn record(&self) -> ByteRecord {
        let mut record = ByteRecord::new();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&self.raw[..]);
        if !matches!(reader.read_byte_record(&mut record), Ok(true)) {
            record.clear();
        }
        record
    }
}

/// One registered header.
struct Header {
    record: ByteRecord,
    layout: Layout,
    /// Its bytes, the key it is registered under.
    raw: Box<[u8]>,
    rows: usize,
    bytes: usize,
}

/// The headers of held rows, each once.
#[derive(Default)]
pub(super) struct Headers {
    list: Vec<Option<Header>>,
    by_raw: HashMap<Box<[u8]>, u32>,
    free: Vec<u32>,
    /// Bytes of the live headers (counted against the held-byte cap).
    bytes: usize,
}

impl Headers {
    /// One more row of header `id`, when it is registered.
    fn add_row(&mut self, id: u32) -> bool {
        match self.list.get_mut(id as usize) {
            Some(Some(h)) => {
                h.rows += 1;
                true
            }
            _ => false,
        }
    }

    /// The number of `header` (whose bytes are `raw`), registering it.
    fn id(&mut self, raw: &[u8], header: &ByteRecord, fields: &FieldSet) -> u32 {
        if let Some(&id) = self.by_raw.get(raw) {
            if let Some(Some(h)) = self.list.get_mut(id as usize) {
                h.rows += 1;
                return id;
            }
        }
        let bytes = 3 * raw.len() + 32 * header.len() + 128;
        let entry = Header {
            record: header.clone(),
            layout: Layout::resolve(fields, header),
            raw: raw.into(),
            rows: 1,
            bytes,
        };
        self.bytes += bytes;
        let id = match self.free.pop() {
            Some(id) => {
                self.list[id as usize] = Some(entry);
                id
            }
            None => {
                self.list.push(Some(entry));
                (self.list.len() - 1) as u32
            }
        };
        self.by_raw.insert(raw.into(), id);
        id
    }

    fn get(&self, id: u32) -> Option<&Header> {
        self.list.get(id as usize).and_then(Option::as_ref)
    }

    /// One row of header `id` is gone.
    fn release(&mut self, id: u32) {
        let Some(slot) = self.list.get_mut(id as usize) else {
            return;
        };
        let Some(h) = slot.as_mut() else { return };
        h.rows -= 1;
        if h.rows == 0 {
            self.bytes -= h.bytes;
            self.by_raw.remove(&h.raw);
            *slot = None;
            self.free.push(id);
        }
    }
}

/// The lineage state of a session: the rule, the tree and the held rows'
/// headers.
pub(super) struct LineageState {
    pub(super) rule: LineageRule,
    pub(super) tree: Tree<HeldRow>,
    headers: Headers,
    /// The current request is the last (`finished: true`).
    pub(super) last: bool,
    /// Rows in the bodies before this one.
    rows_seen: u64,
}

impl LineageState {
    pub(super) fn new(rule: LineageRule, limits: Limits) -> LineageState {
        LineageState {
            rule,
            tree: Tree::new(limits),
            headers: Headers::default(),
            last: false,
            rows_seen: 0,
        }
    }

    /// The place in the input of row `row` (1-based) of the current body.
    pub(super) fn ordinal(&self, row: u64) -> u64 {
        self.rows_seen + row
    }

    /// The current body, of `rows` rows, is done.
    pub(super) fn end_body(&mut self, rows: u64) {
        self.rows_seen += rows;
    }

    /// A row to hold: its bytes (`raw`, one CSV record), under its header.
    /// `body_header` caches the header's number for the rest of the body
    /// (it stays registered while the body's held rows do), so a long
    /// header is looked up once per body, not once per row.
    pub(super) fn held_row(
        headers: &mut Headers,
        body_header: &mut Option<u32>,
        raw_header: &[u8],
        header: &ByteRecord,
        fields: &FieldSet,
        raw: &[u8],
        ordinal: u64,
    ) -> HeldRow {
        let id = match *body_header {
            Some(id) if headers.add_row(id) => id,
            _ => {
                let id = headers.id(raw_header, header, fields);
                *body_header = Some(id);
                id
            }
        };
        HeldRow {
            header: id,
            raw: raw.into(),
            ordinal,
        }
    }

    /// Split borrows for [`LineageState::held_row`].
    pub(super) fn parts(&mut self) -> (&LineageRule, &mut Tree<HeldRow>, &mut Headers) {
        (&self.rule, &mut self.tree, &mut self.headers)
    }

    /// Counts the held rows' headers against the held-byte cap.
    pub(super) fn account(&mut self) {
        self.tree.set_external_bytes(self.headers.bytes);
    }

    /// The rows settled so far, and at the last request every held row.
    pub(super) fn take_settled(&mut self) -> Vec<Settled<HeldRow>> {
        if self.last {
            self.tree.finish()
        } else {
            self.tree.drain()
        }
    }
}

/// The reply written so far for the current body.
pub(super) struct Written {
    /// Where the reply's header line starts in `out`.
    pub(super) start: usize,
    /// Where it ends (after its `\n`): the first row starts there.
    pub(super) header_end: usize,
    /// Its field names, as written.
    pub(super) names: Vec<Vec<u8>>,
    /// Where each row written after the header ends (after its `\n`).
    pub(super) row_ends: Vec<usize>,
    /// Each of those rows' place in the input.
    pub(super) row_ords: Vec<u64>,
}

/// What writing released rows needs.
pub(super) struct Release<'a> {
    pub(super) annotator: &'a Annotator,
    pub(super) line: &'a mut CsvLine,
    pub(super) mode: Mode,
}

impl Release<'_> {
    /// Appends the rows in `settled` that are returned (detections; every
    /// row in annotate mode) to the reply in `out`, whose part for this
    /// body is `written` (none yet: the rows make the header).
    pub(super) fn write(
        &mut self,
        state: &mut LineageState,
        settled: Vec<Settled<HeldRow>>,
        written: Option<Written>,
        out: &mut Vec<u8>,
        stats: &mut BodyStats,
    ) {
        let added = self.annotator.fields();
        let mut rows = Vec::new();
        for s in settled {
            if s.verdict.is_some() || self.mode == Mode::Annotate {
                rows.push(s);
            } else {
                state.headers.release(s.payload.header);
            }
        }
        if rows.is_empty() {
            state.tree.set_external_bytes(state.headers.bytes);
            return;
        }
        // The reply's names: as written, or the first row's header with the
        // added fields.
        let (mut names, written) = match written {
            Some(mut w) => (std::mem::take(&mut w.names), Some(w)),
            None => {
                let first = state
                    .headers
                    .get(rows[0].payload.header)
                    .map(|h| h.record.clone())
                    .unwrap_or_default();
                let names = Collisions::find(&first, &added)
                    .header(&first, &added)
                    .into_iter()
                    .map(<[u8]>::to_vec)
                    .collect();
                (names, None)
            }
        };
        // Every position of each name in the reply (a header may repeat a
        // name: the k-th column of a name goes to the k-th of the reply).
        let mut index: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            index.entry(n.clone()).or_default().push(i);
        }
        let ours = |name: &[u8]| {
            added.iter().any(|a| {
                a.as_bytes() == name
                    || name
                        .strip_prefix(MV_PREFIX.as_bytes())
                        .is_some_and(|rest| rest == a.as_bytes())
            })
        };
        // Fields of the held rows that the reply lacks, and where each
        // column of each held rows' header goes (once per header).
        let before = names.len();
        let mut places: HashMap<u32, Vec<Option<usize>>> = HashMap::new();
        for s in &rows {
            let id = s.payload.header;
            let Some(h) = state.headers.get(id) else {
                continue;
            };
            if places.contains_key(&id) {
                continue;
            }
            let mut seen: HashMap<&[u8], usize> = HashMap::new();
            let place = h
                .record
                .iter()
                .map(|name| {
                    if ours(name) {
                        return None;
                    }
                    let k = seen.entry(name).or_insert(0);
                    let at = index.entry(name.to_vec()).or_default();
                    if at.len() <= *k {
                        at.push(names.len());
                        names.push(name.to_vec());
                    }
                    let pos = at[*k];
                    *k += 1;
                    Some(pos)
                })
                .collect();
            places.insert(id, place);
        }
        let extra = names.len() - before;
        let added_at: Vec<Option<usize>> = added
            .iter()
            .map(|name| index.get(name.as_bytes()).and_then(|v| v.first().copied()))
            .collect();
        // The released rows, encoded, with their place in the input.
        let mut released: Vec<(u64, Vec<u8>)> = Vec::with_capacity(rows.len());
        for s in rows {
            let Settled { payload, verdict } = s;
            let Some(h) = state.headers.get(payload.header) else {
                continue;
            };
            let Some(place) = places.get(&payload.header) else {
                continue;
            };
            let record = payload.record();
            let view = RowView::new(&record, &h.layout);
            let hit = verdict.as_ref().map(Hit::Lineage);
            let values = self.annotator.hit_values(&view, hit);
            let mut cells: Vec<&[u8]> = vec![b""; names.len()];
            for (i, value) in record.iter().enumerate() {
                if let Some(Some(k)) = place.get(i) {
                    cells[*k] = value;
                }
            }
            for (k, value) in added_at.iter().zip(values.iter()) {
                if let Some(k) = k {
                    cells[*k] = value;
                }
            }
            let mut bytes = Vec::new();
            self.line.encode_into(&cells, &mut bytes);
            bytes.push(b'\n');
            released.push((payload.ordinal, bytes));
            stats.rows_out += 1;
            if verdict.is_some() {
                stats.hits += 1;
            }
            state.headers.release(payload.header);
        }
        released.sort_by_key(|(ordinal, _)| *ordinal);
        match &written {
            Some(w) => merge(out, w, &names, extra, released, self.line),
            None => {
                self.line.encode_into(&names, out);
                out.push(b'\n');
                for (_, bytes) in released {
                    out.extend_from_slice(&bytes);
                }
            }
        }
        state.tree.set_external_bytes(state.headers.bytes);
    }
}

/// Rewrites the reply part `w` describes with the `released` rows placed
/// among its rows in input order: the header with `names` when `extra` of
/// them are new (each row then gets `extra` empty cells more).
fn merge(
    out: &mut Vec<u8>,
    w: &Written,
    names: &[Vec<u8>],
    extra: usize,
    released: Vec<(u64, Vec<u8>)>,
    line: &mut CsvLine,
) {
    let start = w.start.min(out.len());
    let body = out.split_off(start);
    let header_end = w.header_end.saturating_sub(start).min(body.len());
    if extra > 0 {
        line.encode_into(names, out);
        out.push(b'\n');
    } else {
        out.extend_from_slice(&body[..header_end]);
    }
    let mut released = released.into_iter().peekable();
    let mut from = header_end;
    for (&end, &ordinal) in w.row_ends.iter().zip(&w.row_ords) {
        while let Some((_, bytes)) = released.next_if(|(o, _)| *o < ordinal) {
            out.extend_from_slice(&bytes);
        }
        let end = end.saturating_sub(start).min(body.len());
        let row = &body[from.min(end)..end];
        if extra > 0 {
            out.extend_from_slice(row.strip_suffix(b"\n").unwrap_or(row));
            out.extend(std::iter::repeat_n(b',', extra));
            out.push(b'\n');
        } else {
            out.extend_from_slice(row);
        }
        from = end;
    }
    for (_, bytes) in released {
        out.extend_from_slice(&bytes);
    }
}
