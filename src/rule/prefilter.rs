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
//! The search is fused into the row scanner's block pass
//! ([`crate::records::spans::Scanner`]): per body, each needle gets two
//! anchor bytes ([`crate::records::anchors`]: its rarest bytes in a sample
//! of the body, at most 63 bytes apart, both ASCII cases), the pass compares
//! every 64-byte block against both (the second at the anchors' distance) in
//! the same registers as the structural masks, and only where both match is
//! the window around them compared with the needle.

use crate::records::anchors::Anchors;

/// Candidate-row finder for a set of parent names.
#[derive(Debug, Clone)]
pub struct Prefilter {
    needles: Vec<Vec<u8>>,
}

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

    /// The anchors for searching `body[from..]`, chosen from a sample of it.
    pub fn anchors(&self, body: &[u8], from: usize) -> Anchors {
        Anchors::choose(&self.needles, body, from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_encode_differently_disable_it() {
        assert!(Prefilter::new(&["a\"b.exe".into()]).is_none());
        assert!(Prefilter::new(&["a$b.exe".into()]).is_none());
        assert!(Prefilter::new(&["a\nb.exe".into()]).is_none());
        assert!(Prefilter::new(&["a\rb.exe".into()]).is_none());
        assert!(Prefilter::new(&[String::new()]).is_none());
        assert!(Prefilter::new(&[]).is_none());
        let f = Prefilter::new(&["b.exe".into(), "A.EXE".into()]).unwrap();
        assert_eq!(f.needles, [b"b.exe".to_vec(), b"a.exe".to_vec()]);
        assert_eq!(f.anchors(b"", 0).list.len(), 2);
    }
}
