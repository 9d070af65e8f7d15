//! One 64-byte block of the fused pass ([`super::Scanner`]): the masks,
//! the quoting checks, the needle test and the rows that end in it — and
//! the loop over the full blocks of a window. Everything here is
//! `#[inline(always)]`, so it is compiled into each instruction set's copy
//! of the scanner's loop.

use super::{Scanner, Span, State, Unsupported, BATCH};
use crate::records::simd::Classifier;

/// An anchor with its bytes splatted for the block loop.
#[derive(Clone, Copy)]
pub(super) struct Splatted<S> {
    pub(super) distance: usize,
    pub(super) fold: [S; 2],
    pub(super) byte: [S; 2],
}

/// The structural bytes, splatted.
pub(super) struct Structural<S> {
    pub(super) quote: S,
    pub(super) newline: S,
    pub(super) comma: S,
    pub(super) cr: S,
}

/// Full blocks from `st.block` while `st.block + reach` is inside the body
/// and the batch is not full.
///
/// # Safety
/// `reach` must be 64 + the anchors' largest distance, and `C`'s
/// instruction set available.
#[inline(always)]
pub(super) unsafe fn full_blocks<C: Classifier, const COUNT: bool, const SKIP: bool>(
    sc: &Scanner<'_>,
    structural: &Structural<C::Splat>,
    anchors: &[Splatted<C::Splat>],
    st: &mut State,
    reach: usize,
    out: &mut Vec<Span>,
) -> Result<(), Unsupported> {
    let body = sc.body;
    while st.block + reach <= body.len() && out.len() < BATCH {
        // SAFETY: block + reach <= len, so every load of the step (at most
        // `reach` bytes from the pointer) is inside `body`; the caller
        // guarantees the instruction set.
        unsafe {
            let p = body.as_ptr().add(st.block);
            block::<C, COUNT, SKIP, true>(sc, structural, anchors, st, p, 64, out)?;
        }
    }
    Ok(())
}

/// One block: `n` bytes at `p` (all 64 when `FULL`) are the body's bytes
/// from `st.block`.
///
/// # Safety
/// `p` must have `64 + max_distance` readable bytes, and `C`'s instruction
/// set must be available.
#[inline(always)]
pub(super) unsafe fn block<C: Classifier, const COUNT: bool, const SKIP: bool, const FULL: bool>(
    sc: &Scanner<'_>,
    structural: &Structural<C::Splat>,
    anchors: &[Splatted<C::Splat>],
    st: &mut State,
    p: *const u8,
    n: usize,
    out: &mut Vec<Span>,
) -> Result<(), Unsupported> {
    let valid = if FULL || n >= 64 {
        !0u64
    } else {
        (1u64 << n) - 1
    };
    // SAFETY: the caller guarantees the bytes and the instruction set.
    let (quote, newline, comma, cr, hits) = unsafe {
        let v = C::load(p);
        let mut hits = 0u64;
        for a in anchors {
            let w = C::load(p.add(a.distance));
            hits |= C::both(v, w, a.fold, a.byte);
        }
        let zero = C::splat(0);
        (
            C::eq_splat(v, zero, structural.quote),
            C::eq_splat(v, zero, structural.newline),
            C::eq_splat(v, zero, structural.comma),
            C::eq_splat(v, zero, structural.cr),
            hits,
        )
    };
    let (quote, newline, comma, cr, hits) = if FULL {
        (quote, newline, comma, cr, hits)
    } else {
        (
            quote & valid,
            newline & valid,
            comma & valid,
            cr & valid,
            hits & valid,
        )
    };
    // SAFETY: the caller guarantees the instruction set.
    let inside = unsafe { C::prefix_xor(quote) } ^ if st.inside { !0 } else { 0 };
    let opening = quote & inside;
    let closing = quote & !inside;
    let delim = comma | newline | quote;
    let prev_ok = (delim << 1) | u64::from(st.prev_delim);
    let after_closing = (closing << 1) | u64::from(st.prev_closing);
    if opening & !prev_ok != 0 // a quote inside an unquoted field
        || after_closing & valid & !delim != 0 // text after a closing quote
        || cr & !inside != 0
    // a CR terminator
    {
        return Err(Unsupported);
    }
    // Bits past the data hold no quotes, so bit 63 is the state after the
    // block's last byte, for a full or a final partial block.
    st.inside = inside >> 63 == 1;
    st.prev_delim = (delim >> (n - 1)) & 1 == 1;
    st.prev_closing = (closing >> (n - 1)) & 1 == 1;

    // Where both anchor bytes of some needle are in place, compare the
    // windows (rare: out of the way of the vector registers).
    let mut found = if hits != 0 {
        verify_all(sc, st.block, hits)
    } else {
        0
    };

    let block = st.block;
    let mut terminators = newline & !inside;
    if SKIP && found == 0 && !st.pending {
        // No row ending here holds a needle: count them, hand none out.
        // (a terminator right after another, or at the row start, ends an
        // empty line: no row). Branch-free: rows end in a fifth of blocks.
        let empty = terminators & ((terminators << 1) | u64::from(st.row_start == block));
        st.rows += u64::from((terminators & !empty).count_ones());
        let after_last = block + 64 - terminators.leading_zeros() as usize;
        st.row_start = if terminators != 0 {
            after_last
        } else {
            st.row_start
        };
        st.block += 64;
        return Ok(());
    }
    let mut commas = comma & !inside;
    while terminators != 0 {
        let bit = terminators.trailing_zeros();
        terminators &= terminators - 1;
        let below = (1u64 << bit) - 1;
        if COUNT {
            st.fields += (commas & below).count_ones() as usize;
            commas &= !below;
        }
        let candidate = st.pending || found & below != 0;
        found &= !below;
        let end = block + bit as usize;
        if end != st.row_start {
            // (an empty line is skipped, like csv)
            st.rows += 1;
            if !SKIP || candidate {
                out.push(Span {
                    start: st.row_start,
                    end,
                    fields: if COUNT { st.fields } else { 0 },
                    candidate,
                    row: st.rows,
                });
            }
        }
        st.row_start = end + 1;
        st.fields = 1;
        st.pending = false;
    }
    if COUNT {
        st.fields += commas.count_ones() as usize;
    }
    st.pending |= found != 0;
    st.block += 64;
    Ok(())
}

/// The positions of `hits` (first anchor bytes of some needle in place at
/// `block + bit`) where a needle occurs.
#[inline(never)]
fn verify_all(sc: &Scanner<'_>, block: usize, hits: u64) -> u64 {
    let shared = sc.anchors.list.len() > 1;
    sc.anchors.list.iter().fold(0, |found, a| {
        found | a.verify(sc.body, sc.from, block, hits, shared)
    })
}
