//! Where the rows of a CSV body are, without parsing their fields.
//!
//! The hot path only needs to *parse* (with the `csv` crate) the rows that
//! can match; for the others it needs their boundaries and, in annotate
//! mode, their field counts. This module finds both a 64-byte block at a
//! time, the way simdjson/simdcsv do:
//!
//! 1. one pass of byte compares gives bitmasks of `"`, `\n`, `,` and `\r`
//!    ([`super::simd`]: AVX2 or SSE2 on x86-64, NEON on aarch64, a scalar
//!    loop as the reference) and, in the same registers, of the needles'
//!    anchor bytes ([`super::anchors`]), so one pass over the body gives the
//!    rows and which of them hold a needle (for the caller: can match);
//! 2. the prefix XOR of the quote mask marks the bytes inside quotes (an
//!    escaped `""` toggles twice, so it needs no special case);
//! 3. row terminators are the newlines outside quotes, fields the commas
//!    outside quotes plus one; only terminators cost a loop iteration.
//!
//! [`Scanner`] hands the rows out in batches; its block loop is generic over
//! the classifier and compiled once per instruction set (the AVX2 copy with
//! `#[target_feature]` on the whole loop).
//!
//! Parity equals `csv_core`'s reading only when the quoting is canonical:
//! every quote opens a field (after `,`, `\n` or the body start), closes it
//! (before `,`, `\n` or the end), or is doubled inside it. The masks check
//! exactly that, and anything else — a stray quote, a `\r` outside quotes
//! (CR/CRLF terminators; splunkd writes LF), a quote left open — makes the
//! scanner return [`Unsupported`], and the caller parses the body with the
//! `csv` crate instead. Property tests check the spans of every path against
//! the `csv` crate itself, and
//! [`split_canonical`](super::quoting::split_canonical) (which splits the
//! rows the scanner accepts) against the `csv` reader.

mod block;

use self::block::{block, full_blocks, Splatted, Structural};
use super::anchors::Anchors;
use super::simd::{Classifier, Isa, Scalar};

/// One row of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First byte of the row.
    pub start: usize,
    /// End of the row, terminator excluded.
    pub end: usize,
    /// Number of fields (only when counted; else 0).
    pub fields: usize,
    /// The row holds an occurrence of a prefilter needle.
    pub candidate: bool,
    /// The row's number among the rows the scanner found, from 1 (rows not
    /// handed out by [`Scanner::candidates_only`] count too).
    pub row: u64,
}

/// The body is not canonical CSV with LF terminators (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

/// Rows handed out per [`Scanner::fill`] (about 80 KB of a typical body:
/// the rows are still in cache when the caller copies or parses them).
const BATCH: usize = 256;

/// The scanner's state between blocks.
#[derive(Debug, Clone, Copy)]
struct State {
    /// Start of the next block.
    block: usize,
    /// The previous block ended inside quotes.
    inside: bool,
    /// The byte before the block was `,`, `\n`, `"` (or the start).
    prev_delim: bool,
    /// The byte before the block was a closing quote.
    prev_closing: bool,
    row_start: usize,
    /// Rows found before `row_start` (empty lines are not rows).
    rows: u64,
    /// Fields of the current row so far (when counted).
    fields: usize,
    /// The current row already holds a needle.
    pending: bool,
    done: bool,
}

/// The fused block pass over `body[from..]`: row boundaries, field counts
/// and prefilter candidates, a few hundred rows at a time.
pub struct Scanner<'a> {
    body: &'a [u8],
    from: usize,
    count_fields: bool,
    /// Only candidate rows are handed out; the others are only counted.
    skip: bool,
    anchors: Anchors,
    isa: Isa,
    /// Where the rows not handed out yet start, and how many rows (handed
    /// out or skipped) came before, as of the last successful
    /// [`Scanner::fill`].
    handed: (usize, u64),
    /// The body ends with the scanned bytes (else the bytes after the last
    /// terminator are an incomplete row, left for the next window).
    last: bool,
    st: State,
}

impl<'a> Scanner<'a> {
    /// Rows of `body` from byte `from` (just after the header's terminator).
    /// With `count_fields`, [`Span::fields`] is set; with `anchors`,
    /// [`Span::candidate`] (else it is false). `isa` is the path to use (one
    /// the host lacks is replaced by [`Isa::best`]).
    pub fn new(
        body: &'a [u8],
        from: usize,
        count_fields: bool,
        anchors: Option<Anchors>,
        isa: Isa,
    ) -> Scanner<'a> {
        let from = from.min(body.len());
        let anchors = anchors.unwrap_or_default();
        let isa = if isa.is_available() { isa } else { Isa::best() };
        Scanner {
            body,
            from,
            count_fields,
            skip: false,
            anchors,
            isa,
            handed: (from, 0),
            last: true,
            st: State {
                block: from,
                inside: false,
                prev_delim: true,
                prev_closing: false,
                row_start: from,
                rows: 0,
                fields: 1,
                pending: false,
                done: false,
            },
        }
    }

    /// Scans `body` as a window of a longer body: the bytes after the last
    /// terminator outside quotes are not a row but the start of one that
    /// continues past the window ([`Scanner::rest`] says where), and a quote
    /// left open there is not an error.
    pub fn partial(mut self) -> Scanner<'a> {
        self.last = false;
        self
    }

    /// Hands out only the candidate rows (without field counts); the others
    /// are counted ([`Span::row`], [`Scanner::handed_out`]) and skipped.
    /// Filter mode needs no more: a row without a needle cannot match.
    pub fn candidates_only(mut self) -> Scanner<'a> {
        self.skip = true;
        self.count_fields = false;
        self
    }

    /// Where the rows not handed out yet start, and how many rows came
    /// before them (handed out or skipped), as of the last `Ok` of
    /// [`Scanner::fill`]: after an `Err`, the rows from there on are the
    /// caller's to parse another way.
    pub fn handed_out(&self) -> (usize, u64) {
        self.handed
    }

    /// Where the rows not handed out start: after the last row once
    /// [`Scanner::fill`] returned `Ok(false)` on a [`Scanner::partial`]
    /// window (the window's length when it ends with a terminator).
    pub fn rest(&self) -> usize {
        self.st.row_start
    }

    /// The anchors, to reuse for the next window.
    pub fn into_anchors(self) -> Anchors {
        self.anchors
    }

    /// Replaces `out` with the next rows (a few hundred); `Ok(false)`
    /// (and `out` empty) after the last one.
    pub fn fill(&mut self, out: &mut Vec<Span>) -> Result<bool, Unsupported> {
        out.clear();
        if self.st.done {
            return Ok(false);
        }
        out.reserve(BATCH + 64);
        while out.is_empty() && !self.st.done {
            self.run(out)?;
        }
        self.handed = (self.st.row_start, self.st.rows);
        Ok(!out.is_empty())
    }

    fn run(&mut self, out: &mut Vec<Span>) -> Result<(), Unsupported> {
        match (self.skip, self.count_fields) {
            (true, _) => self.run_with::<false, true>(out),
            (false, true) => self.run_with::<true, false>(out),
            (false, false) => self.run_with::<false, false>(out),
        }
    }

    fn run_with<const COUNT: bool, const SKIP: bool>(
        &mut self,
        out: &mut Vec<Span>,
    ) -> Result<(), Unsupported> {
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `new` keeps `Avx2` only when the host has AVX2,
            // PCLMULQDQ, POPCNT and BMI1 (`Isa::is_available`).
            Isa::Avx2 => unsafe { blocks_avx2::<COUNT, SKIP>(self, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Isa::Sse2 => unsafe { blocks::<super::simd::Sse2, COUNT, SKIP>(self, out) },
            #[cfg(target_arch = "aarch64")]
            // SAFETY: NEON is part of the aarch64 baseline.
            Isa::Neon => unsafe { blocks::<super::simd::Neon, COUNT, SKIP>(self, out) },
            // SAFETY: the scalar classifier needs no instruction set.
            _ => unsafe { blocks::<Scalar, COUNT, SKIP>(self, out) },
        }
    }
}

/// The block loop compiled for AVX2 as a whole.
///
/// # Safety
/// The host must have AVX2, PCLMULQDQ, POPCNT and BMI1.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
unsafe fn blocks_avx2<const COUNT: bool, const SKIP: bool>(
    sc: &mut Scanner<'_>,
    out: &mut Vec<Span>,
) -> Result<(), Unsupported> {
    // SAFETY: the caller guarantees the instruction sets `Avx2` uses.
    unsafe { blocks::<super::simd::Avx2, COUNT, SKIP>(sc, out) }
}

/// Scans blocks until `out` holds [`BATCH`] rows or the body ends.
///
/// # Safety
/// `C`'s instruction set must be available.
#[inline(always)]
unsafe fn blocks<C: Classifier, const COUNT: bool, const SKIP: bool>(
    sc: &mut Scanner<'_>,
    out: &mut Vec<Span>,
) -> Result<(), Unsupported> {
    let body = sc.body;
    let len = body.len();
    // SAFETY: the caller guarantees the instruction set.
    let anchors: Vec<Splatted<C::Splat>> = unsafe {
        sc.anchors
            .list
            .iter()
            .map(|a| Splatted {
                distance: a.distance,
                fold: a.fold.map(|b| C::splat(b)),
                byte: a.byte.map(|b| C::splat(b)),
            })
            .collect()
    };
    // SAFETY: the caller guarantees the instruction set.
    let structural = unsafe {
        Structural {
            quote: C::splat(b'"'),
            newline: C::splat(b'\n'),
            comma: C::splat(b','),
            cr: C::splat(b'\r'),
        }
    };
    // A block is read from the body itself while the loads at the anchors'
    // distance stay inside it, else from a zero-padded copy.
    let reach = 64 + sc.anchors.max_distance();
    let mut st = sc.st;
    let result = loop {
        if out.len() >= BATCH {
            break Ok(());
        }
        if st.block + reach <= len {
            // The full blocks, with the anchor count known to the compiler
            // in the usual case of one parent name.
            // SAFETY: as for `full_blocks`; the caller guarantees the
            // instruction set.
            let step = unsafe {
                match anchors.len() {
                    0 => full_blocks::<C, COUNT, SKIP>(sc, &structural, &[], &mut st, reach, out),
                    1 => {
                        let one = [anchors[0]];
                        full_blocks::<C, COUNT, SKIP>(sc, &structural, &one, &mut st, reach, out)
                    }
                    _ => full_blocks::<C, COUNT, SKIP>(
                        sc,
                        &structural,
                        &anchors,
                        &mut st,
                        reach,
                        out,
                    ),
                }
            };
            if let Err(e) = step {
                break Err(e);
            }
            continue;
        }
        if st.block >= len {
            st.done = true;
            if !sc.last {
                break Ok(()); // the incomplete row is the next window's
            }
            if st.inside {
                break Err(Unsupported); // a quote left open
            }
            if st.row_start < len {
                st.rows += 1;
                if !SKIP || st.pending {
                    out.push(Span {
                        start: st.row_start,
                        end: len,
                        fields: if COUNT { st.fields } else { 0 },
                        candidate: st.pending,
                        row: st.rows,
                    });
                }
                st.row_start = len;
            }
            break Ok(());
        }
        // The last blocks: zero bytes are no class, and the step masks off
        // the padding.
        let mut pad = [0u8; 128];
        let k = (len - st.block).min(pad.len());
        pad[..k].copy_from_slice(&body[st.block..st.block + k]);
        let n = k.min(64);
        // SAFETY: `pad` holds 128 >= reach bytes; the caller guarantees the
        // instruction set.
        let step = unsafe {
            block::<C, COUNT, SKIP, false>(sc, &structural, &anchors, &mut st, pad.as_ptr(), n, out)
        };
        if let Err(e) = step {
            break Err(e);
        }
    };
    if result.is_err() {
        st.done = true;
    }
    sc.st = st;
    result
}

/// Every row of `body[from..]`, scanned with the current path and no
/// needles (candidate flags false).
pub fn spans(body: &[u8], from: usize, count_fields: bool) -> Result<Vec<Span>, Unsupported> {
    let mut scanner = Scanner::new(body, from, count_fields, None, Isa::current());
    let (mut all, mut batch) = (Vec::new(), Vec::new());
    while scanner.fill(&mut batch)? {
        all.extend_from_slice(&batch);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::quoting::{
        canonical_quoting, ends_inside_quotes, split_canonical, QuoteState, SplitRow,
    };
    use proptest::prelude::*;

    /// Needles as the scanner takes them: lowercase.
    struct Needles(Vec<Vec<u8>>);

    impl Needles {
        fn new(names: &[&str]) -> Needles {
            Needles(
                names
                    .iter()
                    .map(|n| n.as_bytes().to_ascii_lowercase())
                    .collect(),
            )
        }

        fn anchors(&self, body: &[u8], from: usize) -> Anchors {
            Anchors::choose(&self.0, body, from)
        }
    }

    /// Every row with one path, batches joined.
    fn scan_with(
        body: &[u8],
        count: bool,
        needles: Option<&Needles>,
        isa: Isa,
    ) -> Result<Vec<Span>, Unsupported> {
        let anchors = needles.map(|p| p.anchors(body, 0));
        let mut scanner = Scanner::new(body, 0, count, anchors, isa);
        let (mut all, mut batch) = (Vec::new(), Vec::new());
        while scanner.fill(&mut batch)? {
            assert!(batch.len() <= BATCH + 64, "{} rows in a batch", batch.len());
            all.extend_from_slice(&batch);
        }
        Ok(all)
    }

    /// The rows by every available path, asserted identical, as (bytes,
    /// fields).
    fn collect(body: &[u8], count: bool) -> Result<Vec<(Vec<u8>, usize)>, Unsupported> {
        let want = scan_with(body, count, None, Isa::Scalar);
        for isa in Isa::available() {
            assert_eq!(scan_with(body, count, None, isa), want, "{isa:?}");
        }
        want.map(|v| {
            v.iter()
                .map(|s| (body[s.start..s.end].to_vec(), s.fields))
                .collect()
        })
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
        assert_eq!(spans(b"h\na\nb", 2, false).unwrap().len(), 2);
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
    fn quote_state_in_pieces_agrees_with_the_whole_body() {
        let bodies: [&[u8]; 6] = [
            b"a,b\n\"open\n1,2\n",
            b"\"a\"\"",
            b"a,\"x\"\"y\"\nq\"r,s\n",
            b"\"t\"u\"v\n",
            b"\"\"\"\"\"",
            b"x,\"\"\"\n\"",
        ];
        for body in bodies {
            for cut in 0..=body.len() {
                for cut2 in cut..=body.len() {
                    let mut q = QuoteState::new();
                    q.feed(&body[..cut]);
                    q.feed(&body[cut..cut2]);
                    q.feed(&body[cut2..]);
                    assert_eq!(
                        q.ends_inside(),
                        ends_inside_quotes(body),
                        "{:?} cut at {cut}, {cut2}",
                        String::from_utf8_lossy(body)
                    );
                }
            }
        }
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

    #[test]
    fn more_rows_than_a_batch_come_in_several_batches() {
        let body = "a,b\n".repeat(3 * BATCH + 5);
        let mut scanner = Scanner::new(body.as_bytes(), 0, true, None, Isa::current());
        let mut batch = Vec::new();
        let mut sizes = Vec::new();
        while scanner.fill(&mut batch).unwrap() {
            sizes.push(batch.len());
        }
        assert!(sizes.len() >= 3, "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 3 * BATCH + 5);
        assert!(batch.is_empty());
        assert_eq!(scanner.fill(&mut batch), Ok(false));
    }

    #[test]
    fn candidates_are_the_rows_holding_a_needle_in_any_case() {
        let f = Needles::new(&["wmiprvse.exe"]);
        let mut body = b"x,WmiPrvSE.exe\ny,C:\\wbem\\WMIPRVSE.EXE\nz,wmiprvse.ex\n".to_vec();
        body.extend_from_slice(&[b'p'; 61]);
        body.extend_from_slice(b",wMiPrVsE.eXe\n\"a\nwmiprvse.exe\"\nq");
        for isa in Isa::available() {
            let got: Vec<bool> = scan_with(&body, false, Some(&f), isa)
                .unwrap()
                .iter()
                .map(|s| s.candidate)
                .collect();
            assert_eq!(got, [true, true, false, true, true, false], "{isa:?}");
        }
    }

    /// The spans are exactly the records the `csv` crate reads, with the same
    /// field counts, and `split_canonical` gives each record; bodies the
    /// scanner refuses are exactly the non-canonical ones (or with a CR
    /// outside quotes). Every path gives the same result.
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
        for isa in Isa::available() {
            match scan_with(body, true, None, isa) {
                Err(Unsupported) => {
                    // Never for what a canonical writer produces.
                    prop_assert!(
                        !reparses_identically(body, &want),
                        "{:?} refused a canonical body",
                        isa
                    );
                }
                Ok(got) => {
                    prop_assert_eq!(got.len(), want.len());
                    let mut split = SplitRow::new();
                    for (span, rec) in got.iter().zip(&want) {
                        prop_assert_eq!(span.fields, rec.len());
                        let raw = &body[span.start..span.end];
                        split_canonical(raw, &mut split, isa);
                        let cells = split.cells(raw);
                        prop_assert_eq!(cells.len(), rec.len(), "{:?}", isa);
                        for (i, field) in rec.iter().enumerate() {
                            prop_assert_eq!(cells.get(i), Some(field), "{:?} field {}", isa, i);
                        }
                        prop_assert!(canonical_quoting(raw));
                    }
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
        fn spans_of_every_path_agree_with_the_csv_crate(body in proptest::collection::vec(
            prop_oneof![Just(b'a'), Just(b','), Just(b'"'), Just(b'\n'), Just(b'x'), Just(b'\r')], 0..200)) {
            agrees_with_csv(&body)?;
        }

        /// Fed in pieces, the quote state ends where [`ends_inside_quotes`]
        /// says the whole body does.
        #[test]
        fn quote_state_agrees_with_ends_inside_quotes(
            body in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r')], 0..60),
            cuts in proptest::collection::vec(0usize..60, 0..5),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(body.len())).collect();
            cuts.sort_unstable();
            let mut q = QuoteState::new();
            let mut at = 0;
            for c in cuts.into_iter().chain(std::iter::once(body.len())) {
                q.feed(&body[at..c]);
                at = c;
            }
            prop_assert_eq!(q.ends_inside(), ends_inside_quotes(&body));
        }

        /// Whatever the csv writer produces (LF terminators) is accepted.
        #[test]
        fn canonical_bodies_are_never_refused(rows in proptest::collection::vec(
            proptest::collection::vec("[a,\"\n\r ]{0,6}", 1..5), 0..30)) {
            let mut w = csv::WriterBuilder::new().flexible(true).terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
            for r in &rows { w.write_record(r).unwrap(); }
            let body = w.into_inner().unwrap();
            for isa in Isa::available() {
                let got = scan_with(&body, true, None, isa);
                prop_assert!(got.is_ok(), "{:?} refused {:?}", isa, String::from_utf8_lossy(&body));
            }
            agrees_with_csv(&body)?;
        }

        /// On every path, a row is a candidate exactly when its bytes hold a
        /// needle, ASCII case ignored (needles across block boundaries,
        /// inside quotes, in the last partial block).
        #[test]
        fn candidates_of_every_path_are_the_rows_holding_a_needle(
            pieces in proptest::collection::vec(prop_oneof![
                Just("wmiprvse.exe"), Just("WMIPRVSE.EXE"), Just("wmiprvse.ex"), Just("mmc.exe"),
                Just("\n"), Just(","), Just("\"a\nb\""), Just("e"), Just("x"), Just("wmi"),
                Just("prvse.exe"), Just("                                "),
            ], 0..40),
            two in any::<bool>(),
        ) {
            let body = pieces.concat().into_bytes();
            let names: &[&str] = if two { &["WmiPrvSE.exe", "mmc.exe"] } else { &["wmiprvse.exe"] };
            let f = Needles::new(names);
            let lower = body.to_ascii_lowercase();
            let reference = scan_with(&body, false, Some(&f), Isa::Scalar);
            for isa in Isa::available() {
                let got = scan_with(&body, false, Some(&f), isa);
                prop_assert_eq!(&got, &reference, "{:?}", isa);
                // Candidates only: the same candidate rows with the same
                // numbers, and every row counted.
                let mut only = Scanner::new(&body, 0, false, Some(f.anchors(&body, 0)), isa).candidates_only();
                let (mut kept, mut batch) = (Vec::new(), Vec::new());
                let mut refused = false;
                loop {
                    match only.fill(&mut batch) {
                        Ok(true) => kept.extend_from_slice(&batch),
                        Ok(false) => break,
                        Err(Unsupported) => { refused = true; break }
                    }
                }
                prop_assert_eq!(refused, got.is_err(), "{:?}", isa);
                if let Ok(all) = &got {
                    let want: Vec<Span> = all.iter().copied().filter(|s| s.candidate).collect();
                    prop_assert_eq!(&kept, &want, "{:?}", isa);
                    prop_assert_eq!(only.handed_out(), (body.len(), all.len() as u64), "{:?}", isa);
                    prop_assert!(all.iter().enumerate().all(|(i, s)| s.row == i as u64 + 1));
                }
                let Ok(got) = got else { continue }; // a quote after text
                for s in &got {
                    let row = &lower[s.start..s.end];
                    let holds = names.iter().any(|n| {
                        let n = n.to_ascii_lowercase();
                        row.windows(n.len()).any(|w| w == n.as_bytes())
                    });
                    prop_assert_eq!(s.candidate, holds, "{:?} {:?}", isa, String::from_utf8_lossy(row));
                }
            }
        }
    }
}
