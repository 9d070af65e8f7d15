//! Where the rows of a CSV body are, without parsing their fields.
//!
//! The hot path only needs to *parse* (with the `csv` crate) the rows that
//! can match; for the others it needs their boundaries and, in annotate
//! mode, their field counts. This module finds both a 64-byte block at a
//! time, the way simdjson/simdcsv do:
//!
//! 1. one pass of byte compares gives bitmasks of `"`, `\n`, `,` and `\r`
//!    ([`super::bytemask`]: SSE2 on x86-64, a scalar loop elsewhere);
//! 2. the prefix XOR of the quote mask marks the bytes inside quotes (an
//!    escaped `""` toggles twice, so it needs no special case);
//! 3. row terminators are the newlines outside quotes, fields the commas
//!    outside quotes plus one; only terminators cost a loop iteration.
//!
//! Parity equals `csv_core`'s reading only when the quoting is canonical:
//! every quote opens a field (after `,`, `\n` or the body start), closes it
//! (before `,`, `\n` or the end), or is doubled inside it. The masks check
//! exactly that, and anything else — a stray quote, a `\r` outside quotes
//! (CR/CRLF terminators; splunkd writes LF), a quote left open — makes the
//! iterator yield [`Unsupported`], and the caller parses the body with the
//! `csv` crate instead. A property test checks the spans against the `csv`
//! crate itself.

/// One row of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First byte of the row.
    pub start: usize,
    /// End of the row, terminator excluded.
    pub end: usize,
    /// Number of fields (only when counted; else 0).
    pub fields: usize,
}

/// The body is not canonical CSV with LF terminators (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

/// Byte-class bitmasks of one 64-byte block (bit i = byte i).
#[derive(Debug, Clone, Copy, Default)]
struct Masks {
    quote: u64,
    newline: u64,
    comma: u64,
    cr: u64,
}

fn classify(block: &[u8; 64]) -> Masks {
    let [quote, newline, comma, cr] = super::bytemask::masks(block, [b'"', b'\n', b',', b'\r']);
    Masks {
        quote,
        newline,
        comma,
        cr,
    }
}

/// Bit i = XOR of bits 0..=i.
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Iterator over the rows of `body[from..]`.
pub struct Spans<'a> {
    body: &'a [u8],
    /// Start of the current block.
    block: usize,
    /// Unquoted newlines of the current block not yet consumed.
    terminators: u64,
    /// Unquoted commas of the current block not yet consumed.
    commas: u64,
    /// The previous block ended inside quotes.
    inside: bool,
    /// The byte before the current block was `,`, `\n`, `"` (or the start).
    prev_delim: bool,
    /// The byte before the current block was a closing quote.
    prev_closing: bool,
    row_start: usize,
    fields: usize,
    count_fields: bool,
    loaded: bool,
    done: bool,
}

/// Rows of `body` from byte `from` (just after the header's terminator).
/// With `count_fields`, [`Span::fields`] is set.
pub fn spans(body: &[u8], from: usize, count_fields: bool) -> Spans<'_> {
    let from = from.min(body.len());
    Spans {
        body,
        block: from,
        terminators: 0,
        commas: 0,
        inside: false,
        prev_delim: true,
        prev_closing: false,
        row_start: from,
        fields: 1,
        count_fields,
        loaded: false,
        done: false,
    }
}

impl Spans<'_> {
    /// Classifies the block at `self.block`; false at the end of the body.
    fn load(&mut self) -> Result<bool, Unsupported> {
        let len = self.body.len();
        if self.block >= len {
            return Ok(false);
        }
        let n = (len - self.block).min(64);
        let (m, valid) = match self.body[self.block..].first_chunk::<64>() {
            Some(block) => (classify(block), !0u64),
            None => {
                // The last, partial block: zero bytes are no class.
                let mut buf = [0u8; 64];
                buf[..n].copy_from_slice(&self.body[self.block..]);
                (classify(&buf), (1u64 << n) - 1)
            }
        };
        let (quote, newline, comma, cr) = (
            m.quote & valid,
            m.newline & valid,
            m.comma & valid,
            m.cr & valid,
        );

        let inside = prefix_xor(quote) ^ if self.inside { !0 } else { 0 };
        let opening = quote & inside;
        let closing = quote & !inside;
        let delim = comma | newline | quote;
        let prev_ok = (delim << 1) | u64::from(self.prev_delim);
        let after_closing = (closing << 1) | u64::from(self.prev_closing);
        if opening & !prev_ok != 0 // a quote inside an unquoted field
            || after_closing & valid & !delim != 0 // text after a closing quote
            || cr & !inside != 0
        // a CR terminator
        {
            return Err(Unsupported);
        }
        // Bits past the data hold no quotes, so bit 63 is the state after
        // the block's last byte, for a full or a final partial block.
        self.inside = inside >> 63 == 1;
        self.prev_delim = (delim >> (n - 1)) & 1 == 1;
        self.prev_closing = (closing >> (n - 1)) & 1 == 1;
        self.terminators = newline & !inside;
        self.commas = comma & !inside;
        self.loaded = true;
        Ok(true)
    }
}

impl Iterator for Spans<'_> {
    type Item = Result<Span, Unsupported>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            if !self.loaded {
                match self.load() {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        if self.inside {
                            return Some(Err(Unsupported)); // a quote left open
                        }
                        if self.row_start < self.body.len() {
                            let end = self.body.len();
                            let span = Span {
                                start: self.row_start,
                                end,
                                fields: self.fields_so_far(),
                            };
                            return Some(Ok(span));
                        }
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            if self.terminators == 0 {
                if self.count_fields {
                    self.fields += self.commas.count_ones() as usize;
                }
                self.block += 64;
                self.loaded = false;
                continue;
            }
            let bit = self.terminators.trailing_zeros();
            self.terminators &= self.terminators - 1;
            let below = (1u64 << bit) - 1;
            if self.count_fields {
                self.fields += (self.commas & below).count_ones() as usize;
                self.commas &= !below;
            }
            let end = self.block + bit as usize;
            if end == self.row_start {
                self.row_start = end + 1; // an empty line: skipped, like csv
                self.fields = 1;
                continue;
            }
            let span = Span {
                start: self.row_start,
                end,
                fields: self.fields_so_far(),
            };
            self.row_start = end + 1;
            self.fields = 1;
            return Some(Ok(span));
        }
    }
}

impl Spans<'_> {
    fn fields_so_far(&self) -> usize {
        if self.count_fields {
            self.fields
        } else {
            0
        }
    }
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
    use proptest::prelude::*;

    fn collect(body: &[u8], count: bool) -> Result<Vec<(Vec<u8>, usize)>, Unsupported> {
        spans(body, 0, count)
            .map(|s| s.map(|s| (body[s.start..s.end].to_vec(), s.fields)))
            .collect()
    }

    #[test]
    fn boundaries_and_fields() {
        let rows = collect(b"a,\"b\nc\",d\n\n\"x\"\"y\",,\n\"\",\"q,r\"\nlast", true).unwrap();
        assert_eq!(
            rows,
            vec![
                (b"a,\"b\nc\",d".to_vec(), 3),
                (b"\"x\"\"y\",,".to_vec(), 3),
                (b"\"\",\"q,r\"".to_vec(), 2),
                (b"last".to_vec(), 1),
            ]
        );
        assert_eq!(collect(b"", false), Ok(vec![]));
        assert_eq!(collect(b"\n\n", true), Ok(vec![]));
    }

    #[test]
    fn non_canonical_bodies_are_unsupported() {
        for bad in [
            &b"a,\"open\n"[..],
            b"q\"r,s\n",
            b"\"t\"u\n",
            b"a,b\r\nc\n",
            b"a,b\nc\r",
        ] {
            assert_eq!(
                collect(bad, true),
                Err(Unsupported),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            collect(b"a,\"x\r\ny\"\nb\n", true).unwrap().len(),
            2,
            "CR inside quotes is data"
        );
    }

    #[test]
    fn open_quote_at_the_end_is_seen() {
        assert!(ends_inside_quotes(b"a,b\n\"open\n1,2\n"));
        assert!(ends_inside_quotes(b"\"a\"\""));
        assert!(!ends_inside_quotes(b"a,\"x\"\"y\"\nq\"r,s\n"));
        assert!(!ends_inside_quotes(b"\"t\"u\"v\n"));
    }

    #[test]
    fn rows_longer_than_a_block_and_quotes_across_blocks() {
        let mut body = Vec::new();
        for i in 0..50 {
            body.extend_from_slice(
                format!(
                    "{i},\"{}\n{}\"\"\",{}\n",
                    "x".repeat(i * 7),
                    "y".repeat(i),
                    "z".repeat(130 - i)
                )
                .as_bytes(),
            );
        }
        let rows = collect(&body, true).unwrap();
        assert_eq!(rows.len(), 50);
        assert!(rows.iter().all(|(_, f)| *f == 3));
    }

    /// The spans are exactly the records the `csv` crate reads, with the same
    /// field counts; bodies the scanner refuses are exactly the non-canonical
    /// ones (or with a CR outside quotes).
    fn agrees_with_csv(body: &[u8]) -> Result<(), TestCaseError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body);
        let mut want = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while reader.read_byte_record(&mut rec).unwrap() {
            want.push(rec.clone());
        }
        match spans(body, 0, true).collect::<Result<Vec<Span>, Unsupported>>() {
            Err(Unsupported) => {
                // Never for what a canonical writer produces.
                prop_assert!(
                    !reparses_identically(body, &want),
                    "refused a canonical body"
                );
            }
            Ok(got) => {
                prop_assert_eq!(got.len(), want.len());
                for (span, rec) in got.iter().zip(&want) {
                    prop_assert_eq!(span.fields, rec.len());
                    let mut r = csv::ReaderBuilder::new()
                        .has_headers(false)
                        .flexible(true)
                        .from_reader(&body[span.start..span.end]);
                    let mut one = csv::ByteRecord::new();
                    prop_assert!(r.read_byte_record(&mut one).unwrap());
                    prop_assert_eq!(&one, rec);
                    prop_assert!(canonical_quoting(&body[span.start..span.end]));
                }
            }
        }
        Ok(())
    }

    /// True when writing `records` with the csv writer gives back `body`
    /// (i.e. `body` is what a canonical writer produces).
    fn reparses_identically(body: &[u8], records: &[csv::ByteRecord]) -> bool {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        for r in records {
            w.write_byte_record(r).unwrap();
        }
        w.into_inner().unwrap() == body
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn spans_agree_with_the_csv_crate(body in proptest::collection::vec(
            prop_oneof![Just(b'a'), Just(b','), Just(b'"'), Just(b'\n'), Just(b'x'), Just(b'\r')], 0..200)) {
            agrees_with_csv(&body)?;
        }

        /// Whatever the csv writer produces (LF terminators) is accepted.
        #[test]
        fn canonical_bodies_are_never_refused(rows in proptest::collection::vec(
            proptest::collection::vec("[a,\"\n\r ]{0,6}", 1..5), 0..30)) {
            let mut w = csv::WriterBuilder::new().flexible(true).terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
            for r in &rows { w.write_record(r).unwrap(); }
            let body = w.into_inner().unwrap();
            let got = spans(&body, 0, true).collect::<Result<Vec<Span>, Unsupported>>();
            prop_assert!(got.is_ok(), "refused {:?}", String::from_utf8_lossy(&body));
            agrees_with_csv(&body)?;
        }
    }
}
