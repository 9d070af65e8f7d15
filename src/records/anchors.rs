//! Anchor bytes: how the row scanner ([`super::spans`]) finds needles in a
//! body during its block pass.
//!
//! Per body, each needle gets two anchor bytes (its rarest bytes in a
//! sample of the body, at most [`MAX_DISTANCE`] bytes apart, both ASCII
//! cases). The block pass compares every 64-byte block against both (the
//! second at the anchors' distance) in the same registers as the structural
//! masks, and only where both match is the window around them compared with
//! the needle (`Anchor::verify`). Which needles to look for, and why a row
//! without one cannot match, is the caller's business
//! (`rule::prefilter`); this module only knows bytes.

/// How much of a body is sampled to pick each needle's anchor bytes.
const SAMPLE: usize = 16 << 10;

/// Farthest apart the two anchor bytes of a needle may be (the block pass
/// reads the second one's block at this offset).
pub const MAX_DISTANCE: usize = 63;

/// Most anchor pairs counted in the sample per needle (the likeliest
/// first): a long name (`launchers=` takes any) has thousands of pairs.
const MAX_PAIRS: usize = 256;

/// How one needle is searched in one body: bytes `first` and
/// `first + distance` of the needle are compared block-wide.
#[derive(Debug, Clone)]
pub struct Anchor {
    /// The needle, lowercase.
    needle: Vec<u8>,
    /// Per needle byte: `0x20` where it is a letter, else 0 (`byte | fold`
    /// equals the needle byte exactly for both cases of a letter).
    fold_mask: Vec<u8>,
    /// Index in the needle of the first anchor byte.
    pub(crate) first: usize,
    /// Offset of the second anchor byte from the first (≤ [`MAX_DISTANCE`]).
    pub(crate) distance: usize,
    /// Per anchor byte: `0x20` when it is a letter (compare `byte | 0x20`
    /// with the lowercase letter, which matches both cases), else 0.
    pub(crate) fold: [u8; 2],
    /// The anchor bytes, lowercase.
    pub(crate) byte: [u8; 2],
}

impl Anchor {
    /// Two bytes of `needle`, at most [`MAX_DISTANCE`] apart, that occur
    /// together (at their distance) least often in `sample`, the body's
    /// first bytes lowercased; ties go to the pair whose bytes are rarer by
    /// `counts`. Rare single bytes are not enough: `d` and `x` of `cmd.exe`
    /// are each rarer than most, but `…d.exe` ends every other process
    /// name, so as a pair they would stop at every one.
    fn choose(needle: &[u8], counts: &[u32; 256], sample: &[u8]) -> Anchor {
        let count = |i: usize| u64::from(counts[usize::from(needle[i])]);
        let together = |i: usize, j: usize| pairs(sample, needle[i], needle[j], j - i);
        // Key: co-occurrences, expected ones, distance, first position.
        // Tried in the order of the last three, so the first pair that
        // stops only at the needle's own occurrences (no pair stops less
        // often) is the best, and the rest need not be counted.
        let mut order: Vec<(u64, usize, usize)> = (0..needle.len())
            .flat_map(|i| {
                (i + 1..needle.len().min(i + MAX_DISTANCE + 1))
                    .map(move |j| (count(i) * count(j), j - i, i))
            })
            .collect();
        order.sort_unstable();
        let own = u32::try_from(memchr::memmem::find_iter(sample, needle).count()).unwrap_or(0);
        let mut best: Option<(u32, u64, usize, usize)> = None;
        for (expected, distance, i) in order.into_iter().take(MAX_PAIRS) {
            let key = (together(i, i + distance), expected, distance, i);
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
            if key.0 <= own {
                break;
            }
        }
        // A one-byte needle has no pair: that byte twice, at distance 0.
        let (a, b) = best.map_or((0, 0), |(_, _, distance, i)| (i, i + distance));
        let (first, second) = (a.min(b), a.max(b));
        let class = |i: usize| {
            let c = needle.get(i).copied().unwrap_or(0);
            (if c.is_ascii_lowercase() { 0x20 } else { 0 }, c)
        };
        let (f0, b0) = class(first);
        let (f1, b1) = class(second);
        Anchor {
            needle: needle.to_vec(),
            fold_mask: needle
                .iter()
                .map(|c| if c.is_ascii_lowercase() { 0x20 } else { 0 })
                .collect(),
            first,
            distance: second - first,
            fold: [f0, f1],
            byte: [b0, b1],
        }
    }

    /// Of the positions in `bits` (bit i = the first anchor byte of some
    /// needle at `block + i`), those where this needle occurs (ASCII case
    /// ignored), starting at or after `from`. `shared`: the bits are
    /// several needles' (then this needle's own anchor bytes are checked
    /// first, which rejects the others' positions cheaply).
    #[inline]
    pub(crate) fn verify(
        &self,
        body: &[u8],
        from: usize,
        block: usize,
        mut bits: u64,
        shared: bool,
    ) -> u64 {
        let mut found = 0u64;
        let [f0, f1] = self.fold;
        let [b0, b1] = self.byte;
        while bits != 0 {
            let bit = bits.trailing_zeros();
            bits &= bits - 1;
            let at = block + bit as usize;
            // The block's bits are every needle's anchor positions: first
            // this needle's own two anchor bytes (cheap, and most others'
            // positions fail here).
            let own = |i: usize, f: u8, b: u8| body.get(i).is_some_and(|&c| c | f == b);
            if shared && !(own(at, f0, b0) && own(at + self.distance, f1, b1)) {
                continue;
            }
            let Some(start) = at.checked_sub(self.first) else {
                continue;
            };
            if start < from {
                continue;
            }
            if let Some(window) = body.get(start..start + self.needle.len()) {
                if eq_folded(window, &self.needle, &self.fold_mask) {
                    found |= 1 << bit;
                }
            }
        }
        found
    }
}

/// How often `x` is followed `d` bytes later by `y` in `sample`. Counted in
/// runs of 255 with a byte counter, so that it compiles to byte-wide vector
/// compares.
fn pairs(sample: &[u8], x: u8, y: u8, d: usize) -> u32 {
    let later = sample.get(d..).unwrap_or(&[]);
    let mut total = 0u32;
    for (a, b) in sample.chunks(255).zip(later.chunks(255)) {
        let mut run = 0u8;
        for (p, q) in a.iter().zip(b) {
            run += u8::from((*p == x) & (*q == y));
        }
        total += u32::from(run);
    }
    total
}

/// `window.eq_ignore_ascii_case(needle)` for a lowercase `needle` whose
/// letters are marked in `fold` (all three the same length), 8 bytes at a
/// time: `window | fold == needle`.
#[inline]
fn eq_folded(window: &[u8], needle: &[u8], fold: &[u8]) -> bool {
    let word = |s: &[u8], at: usize| {
        s.get(at..)
            .and_then(|s| s.first_chunk::<8>())
            .map_or(0, |b| u64::from_le_bytes(*b))
    };
    let n = needle.len();
    if n < 8 {
        return window
            .iter()
            .zip(needle)
            .zip(fold)
            .all(|((w, c), f)| (w | f) == *c);
    }
    // Words at 0, 8, 16, … and one ending at the last byte (overlapping).
    (0..n - 7)
        .step_by(8)
        .chain(std::iter::once(n - 8))
        .all(|at| word(window, at) | word(fold, at) == word(needle, at))
}

/// The anchors of every needle for one body.
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    pub(crate) list: Vec<Anchor>,
}

impl Anchors {
    /// The anchors for searching `body[from..]` for each of `needles`
    /// (lowercase), chosen from a sample of it.
    pub fn choose(needles: &[Vec<u8>], body: &[u8], from: usize) -> Anchors {
        let hay = body.get(from..).unwrap_or(&[]);
        let sample = hay[..hay.len().min(SAMPLE)].to_ascii_lowercase();
        let mut counts = [0u32; 256];
        for &b in &sample {
            counts[usize::from(b)] += 1;
        }
        let list = needles
            .iter()
            .map(|needle| Anchor::choose(needle, &counts, &sample))
            .collect();
        Anchors { list }
    }

    /// The largest anchor distance (0 without anchors).
    pub(crate) fn max_distance(&self) -> usize {
        self.list.iter().map(|a| a.distance).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose(needles: &[&str], body: &[u8], from: usize) -> Anchors {
        let needles: Vec<Vec<u8>> = needles
            .iter()
            .map(|n| n.as_bytes().to_ascii_lowercase())
            .collect();
        Anchors::choose(&needles, body, from)
    }

    #[test]
    fn anchors_are_rare_bytes_at_most_63_apart() {
        let body = b"header\neeeeeeexxxxxxxx....wwwwmmmmiiii,,,,pppprrrrssss";
        let a = &choose(&["WmiPrvSE.exe"], body, 7).list[0];
        // `v` does not occur in the body, then the needle's other bytes are
        // rarer than `e`, `x`, `.`, `w`, `m`, `i`, `p`, `r`, `s`: none is.
        // Both anchors are needle bytes, in order, lowercase, case-folded.
        assert_eq!(a.byte[0], b"wmiprvse.exe"[a.first]);
        assert_eq!(a.byte[1], b"wmiprvse.exe"[a.first + a.distance]);
        assert!(a.first == 5 || a.first + a.distance == 5, "{a:?}");
        assert_eq!(a.fold, [0x20, if a.byte[1] == b'.' { 0 } else { 0x20 }]);

        let long = format!("{}q{}z", "a".repeat(10), "a".repeat(100));
        let a = &choose(&[long.as_str()], long.as_bytes(), 0).list[0];
        assert!(a.distance <= MAX_DISTANCE, "{a:?}");
        assert_eq!(a.byte, [b'a', b'q']);
    }

    #[test]
    fn anchors_avoid_a_pair_that_every_other_name_holds() {
        // Each of `d`, `.`, `x`, `e` is rarer than `c` and `m` here, but
        // every name ends in `d.exe`: any pair of them stops at every row;
        // a pair with `c` or `m` stops only at `cmd.exe`.
        let mut body = String::new();
        for i in 0..200 {
            body.push_str(&format!("mmmmm,ccccc,a{i}d.exe\n"));
        }
        body.push_str("h,cmd.exe,x,y\n");
        let a = &choose(&["cmd.exe"], body.as_bytes(), 0).list[0];
        assert!(a.first < 2, "{a:?}");
        assert_eq!(a.byte[0], b"cmd.exe"[a.first]);
        assert_eq!(a.byte[1], b"cmd.exe"[a.first + a.distance]);
    }

    #[test]
    fn short_needles_get_anchors_inside_them() {
        let one = &choose(&["x"], b"abc", 0).list[0];
        assert_eq!((one.first, one.distance, one.byte), (0, 0, [b'x', b'x']));
        let two = &choose(&["ab"], b"", 0).list[0];
        assert_eq!((two.first, two.distance), (0, 1));
        let far = format!("q{}z", "e".repeat(100));
        let a = &choose(&[far.as_str()], b"eeee", 0).list[0];
        assert!(a.first + a.distance < far.len() && a.distance <= MAX_DISTANCE);
        // A long name: at most MAX_PAIRS pairs counted, the rarest first.
        let long = format!("{}v{}", "e".repeat(500), "e".repeat(500));
        let a = &choose(&[long.as_str()], "e".repeat(20000).as_bytes(), 0).list[0];
        assert!(a.byte[0] == b'v' || a.byte[1] == b'v', "{a:?}");
    }

    #[test]
    fn verify_keeps_exactly_the_occurrences_from_the_lower_bound() {
        let body = b"a.EXE,exe,ex,eXe";
        let a = Anchor::choose(b"exe", &[0; 256], b"");
        assert_eq!((a.first, a.distance), (0, 1));
        // Candidate first-anchor positions: every `e`/`E`.
        let bits = (1 << 2) | (1 << 4) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 13) | (1 << 15);
        assert_eq!(
            a.verify(body, 0, 0, bits, false),
            (1 << 2) | (1 << 6) | (1 << 13)
        );
        assert_eq!(a.verify(body, 3, 0, bits, true), (1 << 6) | (1 << 13));
        assert_eq!(choose(&["exe"], body, 0).list.len(), 1);
        assert_eq!(choose(&["b.exe", "a.exe"], b"", 0).list.len(), 2);
    }

    #[test]
    fn folded_compare_is_eq_ignore_ascii_case() {
        for needle in ["wmiprvse.exe", "a.b", "mmc.exe", "x_1-@[`{~.exe0123456789"] {
            let lower = needle.as_bytes().to_ascii_lowercase();
            let fold: Vec<u8> = lower
                .iter()
                .map(|c| if c.is_ascii_lowercase() { 0x20 } else { 0 })
                .collect();
            let mut windows = vec![lower.clone(), lower.to_ascii_uppercase()];
            for i in 0..lower.len() {
                for b in [
                    0u8,
                    b'@',
                    b'[',
                    b'`',
                    b'{',
                    0x80,
                    lower[i] ^ 0x20,
                    lower[i] ^ 1,
                ] {
                    let mut w = lower.clone();
                    w[i] = b;
                    windows.push(w);
                }
            }
            for w in windows {
                assert_eq!(
                    eq_folded(&w, &lower, &fold),
                    w.eq_ignore_ascii_case(&lower),
                    "{needle:?} vs {:?}",
                    String::from_utf8_lossy(&w)
                );
            }
        }
    }
}
