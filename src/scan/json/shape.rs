//! What a JSON input looks like before it is read: a document or JSON
//! lines, and where the JSON starts in a syslog line.

use super::MAX_RECORD;

/// True when the first line is `[` or `{` alone, or the input starts with
/// `[`: a JSON document, not JSON lines.
pub fn is_document(head: &[u8]) -> bool {
    let head = head.trim_ascii_start();
    if head.first() == Some(&b'[') {
        return true;
    }
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    first.trim_ascii() == b"{"
}

/// Where the JSON starts in a syslog line: after `<PRI>` and/or a BSD
/// (`Mar  5 10:15:02`) or ISO timestamp, a host and a tag, at the first
/// `{`. `None` when the line does not start like syslog.
pub fn syslog_json(line: &[u8]) -> Option<usize> {
    let mut s = line.trim_ascii_start();
    let skipped = line.len() - s.len();
    let mut off = skipped;
    if s.first() == Some(&b'<') {
        let close = s.iter().take(5).position(|&b| b == b'>')?;
        if close < 2 || !s[1..close].iter().all(u8::is_ascii_digit) {
            return None;
        }
        s = &s[close + 1..];
        off += close + 1;
    } else {
        let month = s.len() > 4
            && s[0].is_ascii_uppercase()
            && s[1].is_ascii_lowercase()
            && s[2].is_ascii_lowercase()
            && s[3] == b' ';
        let iso = s.len() > 10 && s[..4].iter().all(u8::is_ascii_digit) && s[4] == b'-';
        if !(month || iso) {
            return None;
        }
    }
    let brace = memchr::memchr(b'{', s)?;
    // A tag ends with `:` or `]` (or the receiver's `-` fields) before it.
    let before = s[..brace].trim_ascii_end();
    if before.is_empty() || before.len() > 256 {
        return None;
    }
    Some(off + brace)
}

/// Appends `bytes` to `out` unless that makes a record larger than
/// [`MAX_RECORD`] (then marks it too large and keeps nothing more).
pub(super) fn append(out: &mut Vec<u8>, too_large: &mut bool, bytes: &[u8]) {
    if *too_large {
        return;
    }
    if out.len() + bytes.len() > MAX_RECORD {
        *too_large = true;
    } else {
        out.extend_from_slice(bytes);
    }
}

pub(super) fn key_is(quoted: &[u8], name: &[u8]) -> bool {
    quoted.len() == name.len() + 2 && &quoted[1..quoted.len() - 1] == name
}

/// How a value being read ended.
pub(super) enum Captured {
    Done,
    /// It ended before it began: a `,`, `}` or `]` where a value starts.
    Nothing,
    /// The line ended first (JSON lines).
    LineEnd,
    /// The input ended first.
    Eof,
}

/// Where one JSON value ends, found buffer by buffer, tracking only strings
/// and brackets (the parser checks the rest).
#[derive(Default)]
pub(super) struct ValueScan {
    depth: usize,
    in_string: bool,
    escaped: bool,
    started: bool,
}

impl ValueScan {
    /// How many bytes of `buf` belong to the value, and how it ended if it
    /// did (in JSON lines, `lines`, a newline ends it).
    pub(super) fn scan(&mut self, buf: &[u8], lines: bool) -> (usize, Option<Captured>) {
        let mut used = 0;
        for &b in buf {
            if b == b'\n' && lines {
                return (used, Some(Captured::LineEnd));
            }
            if self.in_string {
                used += 1;
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.depth == 0 {
                        return (used, Some(Captured::Done));
                    }
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        return (used + 1, Some(Captured::Done));
                    }
                }
                b',' | b'}' | b']' if self.depth == 0 => return (used, Some(Captured::Done)),
                b if b.is_ascii_whitespace() && self.depth == 0 && self.started => {
                    return (used, Some(Captured::Done))
                }
                _ => {}
            }
            self.started = true;
            used += 1;
        }
        (used, None)
    }
}
