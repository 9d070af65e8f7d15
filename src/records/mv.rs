//! The `__mv_<field>` multivalue encoding.
//!
//! For a field with two or more values, splunkd (and the SDK) put the values
//! joined by `\n` in the plain column and, in the companion `__mv_` column,
//! each value with every `$` doubled, wrapped in `$…$`, joined by `;`:
//! values `a`, `b$c` → `$a$;$b$$c$`. An empty `__mv_` cell means "use the
//! plain column as one value".
//!
//! Decoding follows the SDK's pattern `\$((?:\$\$|[^$])*)\$(;|$)`: items are
//! read left to right; a cell that does not follow the format is reported as
//! malformed and callers fall back to the plain column.

use std::borrow::Cow;

/// Encodes values into the `__mv_` form. Fewer than two values encode to an
/// empty cell (the plain column says it all).
pub fn encode<'a, I>(values: I, out: &mut Vec<u8>)
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let start = out.len();
    let mut count = 0;
    for v in values {
        if count > 0 {
            out.push(b';');
        }
        out.push(b'$');
        for &b in v {
            if b == b'$' {
                out.push(b'$');
            }
            out.push(b);
        }
        out.push(b'$');
        count += 1;
    }
    if count < 2 {
        out.truncate(start);
    }
}

/// Iterates over the raw (still `$$`-escaped) items of an `__mv_` cell.
/// Yields `Err(())` once and stops if the cell is malformed.
#[derive(Debug, Clone)]
pub struct RawItems<'a> {
    cell: &'a [u8],
    pos: usize,
    done: bool,
}

/// Returns an iterator over the escaped items of a non-empty `__mv_` cell.
pub fn raw_items(cell: &[u8]) -> RawItems<'_> {
    RawItems {
        cell,
        pos: 0,
        done: cell.is_empty(),
    }
}

impl<'a> Iterator for RawItems<'a> {
    type Item = Result<&'a [u8], Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let cell = self.cell;
        if cell.get(self.pos) != Some(&b'$') {
            self.done = true;
            return Some(Err(Malformed));
        }
        let start = self.pos + 1;
        let mut i = start;
        loop {
            match memchr::memchr(b'$', &cell[i..]) {
                None => {
                    self.done = true;
                    return Some(Err(Malformed));
                }
                Some(off) => {
                    let at = i + off;
                    if cell.get(at + 1) == Some(&b'$') {
                        // `$$` is an escaped dollar — unless it is the closing
                        // `$` of the last item directly followed by... nothing
                        // can follow a closing `$` but `;` or the end, so a
                        // second `$` always means an escape.
                        i = at + 2;
                        continue;
                    }
                    let item = &cell[start..at];
                    match cell.get(at + 1) {
                        None => {
                            self.done = true;
                        }
                        Some(b';') => {
                            self.pos = at + 2;
                            if self.pos >= cell.len() {
                                // A trailing `;` with nothing after it.
                                self.done = true;
                                return Some(Err(Malformed));
                            }
                        }
                        Some(_) => {
                            self.done = true;
                            return Some(Err(Malformed));
                        }
                    }
                    return Some(Ok(item));
                }
            }
        }
    }
}

/// The `__mv_` cell does not follow the `$…$;$…$` format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// Undoes the `$$` escaping of one raw item (borrowing when there is none).
pub fn unescape(item: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memmem::find(item, b"$$").is_none() {
        return Cow::Borrowed(item);
    }
    let mut out = Vec::with_capacity(item.len());
    let mut i = 0;
    while i < item.len() {
        out.push(item[i]);
        if item[i] == b'$' && item.get(i + 1) == Some(&b'$') {
            i += 2;
        } else {
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// Decodes a whole `__mv_` cell into owned values.
pub fn decode(cell: &[u8]) -> Result<Vec<Vec<u8>>, Malformed> {
    raw_items(cell)
        .map(|item| item.map(|raw| unescape(raw).into_owned()))
        .collect()
}

/// Checks that a cell decodes, without allocating.
pub fn is_well_formed(cell: &[u8]) -> bool {
    raw_items(cell).all(|item| item.is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn enc(values: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(values.iter().copied(), &mut out);
        out
    }

    #[test]
    fn encodes_like_the_sdk() {
        assert_eq!(enc(&[b"a", b"b$c"]), b"$a$;$b$$c$");
        assert_eq!(enc(&[b"a", b""]), b"$a$;$$");
        assert_eq!(enc(&[b"only"]), b"");
        assert_eq!(enc(&[]), b"");
    }

    #[test]
    fn decodes_like_the_sdk() {
        assert_eq!(
            decode(b"$a$;$b$$c$").unwrap(),
            vec![b"a".to_vec(), b"b$c".to_vec()]
        );
        assert_eq!(decode(b"$$").unwrap(), vec![b"".to_vec()]);
        assert_eq!(
            decode(b"$a$;$$").unwrap(),
            vec![b"a".to_vec(), b"".to_vec()]
        );
        assert_eq!(decode(b"$one$").unwrap(), vec![b"one".to_vec()]);
        assert_eq!(
            decode(b"$a;b$;$c$").unwrap(),
            vec![b"a;b".to_vec(), b"c".to_vec()]
        );
    }

    #[test]
    fn malformed_cells_are_reported() {
        for bad in [&b"a"[..], b"$a", b"$a$x", b"$a$;", b"$a$;b", b"$a$$"] {
            assert_eq!(
                decode(bad),
                Err(Malformed),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
            assert!(!is_well_formed(bad));
        }
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(values in proptest::collection::vec(
            proptest::collection::vec(prop_oneof![Just(b'$'), Just(b';'), Just(b'a'), Just(b'\n'), any::<u8>()], 0..8),
            2..6,
        )) {
            let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
            let cell = enc(&refs);
            prop_assert_eq!(decode(&cell).unwrap(), values);
        }

        #[test]
        fn decode_never_panics(cell in proptest::collection::vec(prop_oneof![Just(b'$'), Just(b';'), any::<u8>()], 0..32)) {
            let _ = decode(&cell);
        }
    }
}
