//! CSV quoting as the row scanner and the transform need it: whether a row's
//! quoting is canonical (so its bytes can be copied as they are), splitting
//! such a row into fields as the `csv` crate reads it, and whether a body —
//! whole or fed in pieces — ends inside a quoted field.

use super::simd::{Classifier, Isa, Scalar};
use super::Fields;

/// The fields of one split row ([`split_canonical`]), kept as bounds: a
/// field is a slice of the row's own bytes (a quoted one without its
/// quotes), or — only when it holds a doubled quote — of the unescaped
/// copy kept here. Reused from row to row, so splitting copies only the
/// fields with `""`.
#[derive(Debug, Clone, Default)]
pub struct SplitRow {
    /// `(start, end)` of each field in the row, or in `unescaped` when
    /// `start` has the [`OWNED`] bit.
    bounds: Vec<(usize, usize)>,
    /// The unescaped fields, one after the other.
    unescaped: Vec<u8>,
    /// The length of the row split (checked by [`SplitRow::cells`]).
    len: usize,
}

/// What [`SplitRow::cells`] reads for bytes that are not the row split.
static NO_FIELDS: SplitRow = SplitRow {
    bounds: Vec::new(),
    unescaped: Vec::new(),
    len: 0,
};

/// The bit of a field's start that says its bytes are in
/// [`SplitRow::unescaped`] (slice lengths never reach it).
const OWNED: usize = 1 << (usize::BITS - 1);

impl SplitRow {
    /// An empty row (no fields).
    pub fn new() -> SplitRow {
        SplitRow::default()
    }

    /// The fields of the last row split, read from `raw`, the bytes that
    /// were split. Bytes of another length (a caller's mistake, caught in
    /// debug builds) give no fields rather than other fields or a panic.
    pub fn cells<'a>(&'a self, raw: &'a [u8]) -> Cells<'a> {
        debug_assert_eq!(raw.len(), self.len, "a SplitRow read with other bytes");
        let row = if raw.len() == self.len {
            self
        } else {
            &NO_FIELDS
        };
        Cells { row, raw }
    }

    fn clear(&mut self, len: usize) {
        self.bounds.clear();
        self.unescaped.clear();
        self.len = len;
    }
}

/// The fields of a [`SplitRow`] over the row's bytes.
#[derive(Debug, Clone, Copy)]
pub struct Cells<'a> {
    row: &'a SplitRow,
    raw: &'a [u8],
}

impl<'a> Cells<'a> {
    /// Field `i`, if the row has it.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let &(start, end) = self.row.bounds.get(i)?;
        Some(if start & OWNED != 0 {
            self.row.unescaped.get(start & !OWNED..end)?
        } else {
            self.raw.get(start..end)?
        })
    }

    /// Number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        self.row.bounds.len()
    }

    /// True when the row has no fields (never after a split).
    pub fn is_empty(&self) -> bool {
        self.row.bounds.is_empty()
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl Fields for Cells<'_> {
    #[inline]
    fn field(&self, i: usize) -> Option<&[u8]> {
        self.get(i)
    }

    #[inline]
    fn count(&self) -> usize {
        self.len()
    }
}

/// Splits one row whose quoting is canonical (every `"` opens a field,
/// closes it, or is doubled inside it: the rows the scanner in `spans.rs` accepts) into
/// `row`, as the `csv` crate reads it; [`SplitRow::cells`] over `raw` reads
/// the fields. Only fields with doubled quotes are copied (unescaped).
/// `isa` is the classifier to use (from [`Isa::current`], looked up once per
/// body by the caller; one the host lacks is replaced by the best it has).
///
/// The row is classified 64 bytes at a time, like the scanner does it: the
/// prefix XOR of the quote mask marks the bytes inside quotes, and every
/// comma outside them ends a field. Other input never panics, but its
/// fields are unspecified.
pub fn split_canonical(raw: &[u8], row: &mut SplitRow, isa: Isa) {
    row.clear(raw.len());
    let isa = if isa.is_available() { isa } else { Isa::best() };
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Avx2` is kept only when the host has AVX2, PCLMULQDQ,
        // POPCNT and BMI1 (`Isa::is_available`).
        Isa::Avx2 => unsafe { split_avx2(raw, row) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: SSE2 is part of the x86-64 baseline.
        Isa::Sse2 => unsafe { split_blocks::<super::simd::Sse2>(raw, row) },
        #[cfg(target_arch = "aarch64")]
        // SAFETY: NEON is part of the aarch64 baseline.
        Isa::Neon => unsafe { split_blocks::<super::simd::Neon>(raw, row) },
        // SAFETY: the scalar classifier needs no instruction set.
        _ => unsafe { split_blocks::<Scalar>(raw, row) },
    }
}

/// [`split_blocks`] compiled for AVX2 as a whole.
///
/// # Safety
/// The host must have AVX2, PCLMULQDQ, POPCNT and BMI1.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
unsafe fn split_avx2(raw: &[u8], row: &mut SplitRow) {
    // SAFETY: the caller guarantees the instruction sets `Avx2` uses.
    unsafe { split_blocks::<super::simd::Avx2>(raw, row) }
}

/// The fields of `raw`, a 64-byte block at a time, pushed onto `row`
/// (cleared by the caller).
///
/// # Safety
/// `C`'s instruction set must be available.
#[inline(always)]
unsafe fn split_blocks<C: Classifier>(raw: &[u8], row: &mut SplitRow) {
    let len = raw.len();
    // The last block (fewer than 64 bytes) is read from a zero-padded
    // copy: zero bytes are neither quotes nor commas.
    let mut pad = [0u8; 64];
    // The quote masks of the first blocks, to unescape `""` with.
    let mut masks = [0u64; MASKED];
    // Start of the current field.
    let mut start = 0usize;
    // All ones when the previous block ended inside quotes.
    let mut carry = 0u64;
    // Quotes before the block, and before the current field.
    let (mut quotes_before, mut quotes_at_start) = (0usize, 0usize);
    let mut base = 0usize;
    while base < len {
        let p = if len - base >= 64 {
            // SAFETY: base + 64 <= len.
            unsafe { raw.as_ptr().add(base) }
        } else {
            pad[..len - base].copy_from_slice(&raw[base..]);
            pad.as_ptr()
        };
        // SAFETY: `p` has 64 readable bytes; the caller guarantees the
        // instruction set.
        let (quote, comma) = unsafe {
            let v = C::load(p);
            (C::eq(v, 0, b'"'), C::eq(v, 0, b','))
        };
        if let Some(m) = masks.get_mut(base / 64) {
            *m = quote;
        }
        // SAFETY: the caller guarantees the instruction set.
        let inside = unsafe { C::prefix_xor(quote) } ^ carry;
        carry = ((inside as i64) >> 63) as u64;
        let mut separators = comma & !inside;
        while separators != 0 {
            let bit = separators.trailing_zeros();
            // The quotes up to the separator (itself not a quote).
            let up_to =
                quotes_before + (quote & (separators ^ (separators - 1))).count_ones() as usize;
            separators &= separators - 1;
            let end = base + bit as usize;
            let quotes = up_to - quotes_at_start;
            push(row, raw, start, end, quotes, &masks);
            start = end + 1;
            quotes_at_start = up_to;
        }
        quotes_before += quote.count_ones() as usize;
        base += 64;
    }
    let quotes = quotes_before - quotes_at_start;
    push(row, raw, start, len, quotes, &masks);
}

/// Blocks whose quote masks [`split_blocks`] keeps (rows of up to 1 KiB);
/// a `""` past them is found with `memchr`.
const MASKED: usize = 16;

/// Adds the field `raw[start..end]` (holding `quotes` quotes) as the
/// `csv` crate reads it: a quoted one without its quotes and with `""`
/// unescaped (only then copied).
#[inline(always)]
fn push(
    row: &mut SplitRow,
    raw: &[u8],
    start: usize,
    end: usize,
    quotes: usize,
    masks: &[u64; MASKED],
) {
    let quoted = end - start >= 2 && raw[start] == b'"' && raw[end - 1] == b'"';
    if !quoted {
        row.bounds.push((start, end));
    } else if quotes <= 2 {
        row.bounds.push((start + 1, end - 1));
    } else {
        let from = row.unescaped.len();
        unescape(&mut row.unescaped, raw, start + 1, end - 1, masks);
        row.bounds.push((from | OWNED, row.unescaped.len()));
    }
}

/// Appends `raw[first..last]` (the inside of a quoted field) to `out`
/// without the second quote of each `""`. The quotes are read from `masks`
/// when they cover the field, else found with `memchr`.
#[inline(never)]
fn unescape(out: &mut Vec<u8>, raw: &[u8], first: usize, last: usize, masks: &[u64; MASKED]) {
    // Copied up to each quote (kept), then on from the byte after the
    // next one (the quote dropped).
    let mut from = first;
    let mut keep = |q: usize, from: &mut usize| {
        if q >= *from {
            out.extend_from_slice(&raw[*from..=q]);
            *from = q + 2;
        }
    };
    if last <= MASKED * 64 {
        let blocks = masks.iter().enumerate().take(last.div_ceil(64));
        for (k, &m) in blocks.skip(first / 64) {
            let lo = k * 64;
            let mut m = m;
            if first > lo {
                m &= !0u64 << (first - lo);
            }
            if last - lo < 64 {
                m &= (1u64 << (last - lo)) - 1;
            }
            while m != 0 {
                keep(lo + m.trailing_zeros() as usize, &mut from);
                m &= m - 1;
            }
        }
    } else {
        for q in memchr::memchr_iter(b'"', &raw[first..last]) {
            keep(first + q, &mut from);
        }
    }
    out.extend_from_slice(raw.get(from..last).unwrap_or_default());
}

/// True when `body` ends inside a quoted field, by `csv_core`'s rules: a
/// quote opens a field only after `,`, a line end or the start; `""` inside
/// quotes is an escaped quote. Visits only the quotes.
pub fn ends_inside_quotes(body: &[u8]) -> bool {
    let mut quoted = false;
    let mut skip_to = 0usize;
    for p in memchr::memchr_iter(b'"', body) {
        if p < skip_to {
            continue;
        }
        if !quoted {
            quoted = p == 0 || matches!(body[p - 1], b',' | b'\n' | b'\r');
        } else if body.get(p + 1) == Some(&b'"') {
            skip_to = p + 2;
        } else {
            quoted = false;
        }
    }
    quoted
}

/// [`ends_inside_quotes`] for a body that arrives in pieces: feed the pieces
/// in order, then ask [`QuoteState::ends_inside`]. A state from
/// [`QuoteState::new`] also stands for any row boundary of a body (the
/// quoting of canonical rows closes at their end).
#[derive(Debug, Clone, Copy)]
pub struct QuoteState {
    quoted: bool,
    /// The byte before the next piece is `,`, `\n`, `\r` (or the start).
    after_delim: bool,
    /// Inside quotes, the previous piece ended with a quote: it closes the
    /// field unless the next byte is a quote too.
    pending: bool,
}

impl QuoteState {
    /// The state at the start of a body (or of a row).
    pub fn new() -> QuoteState {
        QuoteState {
            quoted: false,
            after_delim: true,
            pending: false,
        }
    }

    /// Follows the quoting through the next bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        let Some(&last) = bytes.last() else {
            return;
        };
        let mut skip_to = 0usize;
        if self.pending {
            self.pending = false;
            if bytes[0] == b'"' {
                skip_to = 1; // an escaped quote: still inside
            } else {
                self.quoted = false;
            }
        }
        for p in memchr::memchr_iter(b'"', bytes) {
            if p < skip_to {
                continue;
            }
            if !self.quoted {
                self.quoted = match p.checked_sub(1) {
                    None => self.after_delim,
                    Some(q) => matches!(bytes[q], b',' | b'\n' | b'\r'),
                };
            } else {
                match bytes.get(p + 1) {
                    None => self.pending = true,
                    Some(b'"') => skip_to = p + 2,
                    Some(_) => self.quoted = false,
                }
            }
        }
        self.after_delim = matches!(last, b',' | b'\n' | b'\r');
    }

    /// True when the bytes fed so far end inside a quoted field.
    pub fn ends_inside(&self) -> bool {
        self.quoted && !self.pending
    }
}

impl Default for QuoteState {
    fn default() -> QuoteState {
        QuoteState::new()
    }
}

/// True when every `"` in `raw` (one row, no terminator) opens a field,
/// closes it (followed by `,` or the end), or is doubled inside it — i.e.
/// `raw` re-read by any strict CSV parser gives the fields the lenient reader
/// gave. Visits only the quotes.
pub fn canonical_quoting(raw: &[u8]) -> bool {
    let mut quoted = false;
    let mut skip_to = 0usize;
    for p in memchr::memchr_iter(b'"', raw) {
        if p < skip_to {
            continue; // second quote of a doubled pair
        }
        if !quoted {
            if p != 0 && raw[p - 1] != b',' {
                return false; // a quote inside an unquoted field
            }
            quoted = true;
        } else if raw.get(p + 1) == Some(&b'"') {
            skip_to = p + 2;
        } else {
            if p + 1 != raw.len() && raw[p + 1] != b',' {
                return false; // text after a closing quote
            }
            quoted = false;
        }
    }
    !quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::simd::with_isa;
    use proptest::prelude::*;

    /// The fields a split row reads, through [`Fields`] (and nothing past
    /// the last).
    fn read(cells: &dyn Fields) -> Vec<Vec<u8>> {
        assert_eq!(cells.field(cells.count()), None);
        (0..cells.count())
            .map(|i| cells.field(i).unwrap().to_vec())
            .collect()
    }

    /// `raw` split on every path the host has, asserted identical field
    /// by field.
    fn split_everywhere(raw: &[u8]) -> Vec<Vec<u8>> {
        let mut row = SplitRow::new();
        split_canonical(raw, &mut row, Isa::Scalar);
        let want = read(&row.cells(raw));
        let mut dirty = SplitRow::new();
        for isa in Isa::available() {
            // A reused, dirty row, as the transform reuses it.
            split_canonical(b"left,\"over\"\"\",over", &mut dirty, isa);
            split_canonical(raw, &mut dirty, isa);
            let got = read(&dirty.cells(raw));
            assert_eq!(
                got.len(),
                want.len(),
                "{isa:?} {:?}",
                String::from_utf8_lossy(raw)
            );
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(
                    g,
                    w,
                    "{isa:?} field {i} of {:?}",
                    String::from_utf8_lossy(raw)
                );
            }
            // The path from `Isa::current`, as the transform passes it.
            with_isa(isa, || split_canonical(raw, &mut dirty, Isa::current()));
            assert_eq!(read(&dirty.cells(raw)), want, "{isa:?}");
        }
        want
    }

    /// The fields the `csv` crate reads from `raw` (one row, no terminator).
    fn csv_reads(raw: &[u8]) -> Vec<Vec<u8>> {
        if raw.is_empty() {
            return vec![Vec::new()]; // (csv reads no record)
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(raw);
        let mut rec = csv::ByteRecord::new();
        assert!(reader.read_byte_record(&mut rec).unwrap());
        read(&rec)
    }

    fn fields(rec: &[Vec<u8>]) -> Vec<String> {
        rec.iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }

    #[test]
    fn cells_of_another_row_are_caught_in_debug_and_empty_in_release() {
        let mut row = SplitRow::new();
        split_canonical(b"a,b", &mut row, Isa::current());
        assert_eq!(row.cells(b"a,b").iter().collect::<Vec<_>>(), [b"a", b"b"]);
        let other = std::panic::catch_unwind(|| row.cells(b"a,bc").len());
        if cfg!(debug_assertions) {
            assert!(other.is_err());
        } else {
            assert_eq!(other.ok(), Some(0));
        }
    }

    #[test]
    fn only_fields_with_doubled_quotes_are_copied() {
        let raw = b"a,\"b,c\",\"d\"\"e\",,\"\"\"\"";
        let mut row = SplitRow::new();
        split_canonical(raw, &mut row, Isa::current());
        let cells = row.cells(raw);
        let inside = |f: &[u8]| raw.as_ptr_range().contains(&f.as_ptr()) || f.is_empty();
        let got: Vec<_> = cells.iter().collect();
        assert_eq!(got, [&b"a"[..], b"b,c", b"d\"e", b"", b"\""]);
        assert_eq!(
            got.iter().map(|f| inside(f)).collect::<Vec<_>>(),
            [true, true, false, true, false]
        );
        assert_eq!(row.unescaped, b"d\"e\"");
    }

    #[test]
    fn splits_like_the_csv_crate() {
        let cases: [(&[u8], &[&str]); 13] = [
            (b"", &[""]),
            (b"a", &["a"]),
            (b",", &["", ""]),
            (b"a,", &["a", ""]),
            (b",,b", &["", "", "b"]),
            (b"\"\"", &[""]),
            (b"\"\",\"\"", &["", ""]),
            (b"\"a\"\"b\",c", &["a\"b", "c"]),
            (b"\"\"\"\"", &["\""]),
            (b"\"\"\"x\"\"\",\"y,z\"", &["\"x\"", "y,z"]),
            (b"\"a\nb\",\"c\r\n\"", &["a\nb", "c\r\n"]),
            (
                "é,\"ü,\"\"ß\"\"\",日本".as_bytes(),
                &["é", "ü,\"ß\"", "日本"],
            ),
            (b"\",\",\",\"\",\"", &[",", ",\","]),
        ];
        for (raw, want) in cases {
            assert!(canonical_quoting(raw));
            let got = split_everywhere(raw);
            assert_eq!(fields(&got), want, "{:?}", String::from_utf8_lossy(raw));
            assert_eq!(got, csv_reads(raw));
        }
    }

    #[test]
    fn quotes_and_commas_at_every_block_offset() {
        // Each template shifted by 0..=130 bytes, so its quotes, doubled
        // quotes and separators fall on every position around the block
        // edges at 64 and 128.
        let templates: [&[u8]; 6] = [
            b",\"q,\"\"r\"\"\",",
            b"\"\"\"\"",
            b"\"a\"\"\",b,,",
            b"x,\"\",\"\"\"\",y",
            b"\"long quoted, with a comma and \"\"quotes\"\" and more text than a block holds at all\",z",
            &[b'"'; 70], // 34 escaped quotes
        ];
        for t in templates {
            for shift in 0..=130 {
                // A plain, a quoted and an escaping first field, `shift`
                // bytes longer than the shortest.
                let pad = "p".repeat(shift);
                for lead in [pad.clone(), format!("\"{pad}\""), format!("\"\"\"{pad}\"")] {
                    let mut raw = lead.into_bytes();
                    raw.push(b',');
                    raw.extend_from_slice(t);
                    for tail in [&b""[..], b",", b",\"\""] {
                        let mut raw = raw.clone();
                        raw.extend_from_slice(tail);
                        assert!(
                            canonical_quoting(&raw),
                            "{:?}",
                            String::from_utf8_lossy(&raw)
                        );
                        assert_eq!(split_everywhere(&raw), csv_reads(&raw));
                    }
                }
            }
        }
    }

    #[test]
    fn a_doubled_quote_past_the_kept_masks() {
        // Rows longer than MASKED blocks find the `""` of their last
        // fields with memchr.
        for len in [MASKED * 64 - 70, MASKED * 64 - 3, MASKED * 64 + 1, 3000] {
            let mut raw = vec![b'a'; len];
            raw.extend_from_slice(b",\"b\"\"c\",\"");
            raw.extend(std::iter::repeat_n(b'd', 200));
            raw.extend_from_slice(b"\"\"e\"\"\"");
            assert_eq!(split_everywhere(&raw), csv_reads(&raw));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Rows the csv writer produces (splunkd-like: many short fields,
        /// some longer than a block) split into the fields written, on
        /// every path.
        #[test]
        fn written_rows_split_into_their_fields(
            row in proptest::collection::vec(prop_oneof![
                4 => "[a\",\n\r é]{0,8}",
                1 => "[a\", ]{50,150}",
            ], 1..24),
            always in any::<bool>(),
        ) {
            let style = if always { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary };
            let mut w = csv::WriterBuilder::new()
                .quote_style(style)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            w.write_record(&row).unwrap();
            let mut raw = w.into_inner().unwrap();
            raw.pop(); // the terminator
            prop_assert!(canonical_quoting(&raw));
            let got = split_everywhere(&raw);
            prop_assert_eq!(fields(&got), row);
        }

        /// Any bytes: no path panics, and canonical rows without line
        /// ends split as the csv crate reads them.
        #[test]
        fn any_bytes_never_panic(raw in proptest::collection::vec(prop_oneof![
            4 => Just(b'"'), 3 => Just(b','), 2 => Just(b'a'), 1 => Just(b'\n'),
            1 => Just(0u8), 1 => Just(0xffu8), 1 => Just(b'\r'),
        ], 0..300)) {
            let got = split_everywhere(&raw);
            if canonical_quoting(&raw) && !raw.contains(&b'\n') && !raw.contains(&b'\r') {
                prop_assert_eq!(got, csv_reads(&raw));
            }
        }
    }
}
