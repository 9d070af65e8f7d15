//! CSV quoting as the row scanner and the transform need it: whether a row's
//! quoting is canonical (so its bytes can be copied as they are), splitting
//! such a row into fields as the `csv` crate reads it, and whether a body —
//! whole or fed in pieces — ends inside a quoted field.

/// Splits one row whose quoting is canonical (every `"` opens a field,
/// closes it, or is doubled inside it: the rows the scanner in `spans.rs` accepts) into
/// `record`, as the `csv` crate reads it. `unescaped` is scratch space for
/// fields with doubled quotes (kept by the caller to reuse its allocation).
pub fn split_canonical(raw: &[u8], record: &mut csv::ByteRecord, unescaped: &mut Vec<u8>) {
    record.clear();
    let mut rest = raw;
    loop {
        let after = if let Some(quoted) = rest.strip_prefix(b"\"") {
            // Up to the quote not followed by another one.
            let mut q = quoted;
            let mut escaped = false;
            unescaped.clear();
            let end = loop {
                match memchr::memchr(b'"', q) {
                    Some(i) if q.get(i + 1) == Some(&b'"') => {
                        escaped = true;
                        unescaped.extend_from_slice(&q[..=i]);
                        q = &q[i + 2..];
                    }
                    Some(i) => break i,
                    None => break q.len(),
                }
            };
            if escaped {
                unescaped.extend_from_slice(&q[..end]);
                record.push_field(unescaped);
            } else {
                record.push_field(&q[..end]);
            }
            // Past the closing quote, the `,` (if any) follows.
            q.get(end + 1..)
                .and_then(|r| r.split_first().map(|(_, r)| r))
        } else {
            match memchr::memchr(b',', rest) {
                Some(i) => {
                    record.push_field(&rest[..i]);
                    Some(&rest[i + 1..])
                }
                None => {
                    record.push_field(rest);
                    None
                }
            }
        };
        match after {
            Some(r) => rest = r,
            None => return,
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
