//! Which rows can match, found without parsing them.
//!
//! Every detection (strict or default) needs a parent: a `parent_process_name`
//! value, or the basename of a `parent_process_path` value, equal to a parent
//! name (ASCII case ignored). CSV encoding keeps a value's bytes contiguous
//! unless the value contains `"` (doubled), and the `__mv_` encoding unless
//! it contains `$` (doubled). So for parent names without `"`, `$`, CR or LF,
//! a row whose raw bytes do not contain any parent name (ASCII case ignored)
//! cannot match, and need not be parsed.
//!
//! The search marks the needle's rarest byte (both cases, chosen per body
//! from a sample) 64 bytes at a time ([`crate::records::bytemask`]) and
//! compares the window around each mark.

/// Candidate-row finder for a set of parent names.
#[derive(Debug, Clone)]
pub struct Prefilter {
    needles: Vec<Vec<u8>>,
}

/// How much of a body is sampled to pick each needle's rarest byte.
const SAMPLE: usize = 16 << 10;

impl Prefilter {
    /// `None` when some name could be encoded differently in the raw bytes
    /// (contains `"`, `$`, CR or LF) or is empty: then every row is parsed.
    pub fn new(parents: &[String]) -> Option<Prefilter> {
        let mut needles = Vec::new();
        for p in parents {
            let b = p.as_bytes();
            if b.is_empty() || b.iter().any(|c| matches!(c, b'"' | b'$' | b'\r' | b'\n')) {
                return None;
            }
            needles.push(b.to_ascii_lowercase());
        }
        (!needles.is_empty()).then_some(Prefilter { needles })
    }

    /// Appends to `out` the sorted start offsets (≥ `from`) of every
    /// occurrence of a parent name in `body`, ASCII case ignored.
    pub fn find(&self, body: &[u8], from: usize, out: &mut Vec<usize>) {
        out.clear();
        let Some(hay) = body.get(from..) else { return };
        let sample = &hay[..hay.len().min(SAMPLE)];
        for needle in &self.needles {
            let anchor = rarest(needle, sample);
            let lo = needle[anchor];
            let up = lo.to_ascii_uppercase();
            crate::records::bytemask::for_each_block2(hay, lo, up, |block, mut mask| {
                while mask != 0 {
                    let p = block + mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    let Some(start) = p.checked_sub(anchor) else {
                        continue;
                    };
                    if let Some(window) = hay.get(start..start + needle.len()) {
                        if window.eq_ignore_ascii_case(needle) {
                            out.push(from + start);
                        }
                    }
                }
            });
        }
        if self.needles.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
    }
}

/// Index of the needle byte that occurs least often in `sample` (both ASCII
/// cases counted together).
fn rarest(needle: &[u8], sample: &[u8]) -> usize {
    let mut counts = [0u32; 256];
    for &b in sample {
        counts[usize::from(b.to_ascii_lowercase())] += 1;
    }
    (0..needle.len())
        .min_by_key(|&i| counts[usize::from(needle[i])])
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_case_variant() {
        let f = Prefilter::new(&["wmiprvse.exe".into()]).unwrap();
        let body = b"h\nx,WmiPrvSE.exe\ny,C:\\wbem\\WMIPRVSE.EXE\nz,wmiprvse.ex\nq,wMiPrVsE.eXe";
        let mut out = Vec::new();
        f.find(body, 2, &mut out);
        assert_eq!(out.len(), 3);
        for p in &out {
            assert!(body[*p..*p + 12].eq_ignore_ascii_case(b"wmiprvse.exe"));
        }
    }

    #[test]
    fn names_that_encode_differently_disable_it() {
        assert!(Prefilter::new(&["a\"b.exe".into()]).is_none());
        assert!(Prefilter::new(&["a$b.exe".into()]).is_none());
        assert!(Prefilter::new(&[String::new()]).is_none());
        let f = Prefilter::new(&["b.exe".into(), "a.exe".into()]).unwrap();
        let mut out = Vec::new();
        f.find(b"A.EXE b.exe a.exe", 0, &mut out);
        assert_eq!(out, vec![0, 6, 12]);
    }
}
