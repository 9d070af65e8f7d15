//! Fields inside text: a rendered `Message` (Sysmon 1's `Key: value`
//! lines, Security 4688's labelled lines), hayabusa's `Key: value ¦ …`
//! pairs, chainsaw's YAML block, and a Splunk `_raw` (XML, JSON, or
//! classic `WinEventLog` text).

use super::builder::EventBuilder;
use super::target::{FieldMap, Prio, Target};
use super::walk::{load_object, Loaded};
use super::windows::{CLASSIC, EVENT_DATA, MESSAGE_4688, WINDOWS};

/// EventData names read from a message: they fill only what the event's
/// own fields left empty.
static MESSAGE_FIELDS: FieldMap = FieldMap::new(&[], &[("", &EVENT_DATA, Prio::Fallback)]);

/// hayabusa's separator between pairs (U+00A6 with a space each side).
const PAIR_SEPARATOR: &[u8] = " \u{a6} ".as_bytes();

fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

/// Splits `label: value` at the first `:` (the value without its leading
/// blanks).
fn split_label(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = memchr::memchr(b':', line)?;
    Some((trim(&line[..i]), trim(&line[i + 1..])))
}

/// Reads a rendered message of Sysmon 1 (`Process Create:`) or Security
/// 4688 (`A new process has been created.`) into `b` at
/// [`Prio::Fallback`]; returns the event ID the text is, or `None` for
/// other messages (not read).
pub fn message(text: &[u8], b: &mut EventBuilder) -> Option<u32> {
    let text = text.trim_ascii_start();
    let lines = text
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    if text.starts_with(b"Process Create:") {
        for line in lines.skip(1) {
            if let Some((key, value)) = split_label(line) {
                if let Ok(key) = std::str::from_utf8(key) {
                    b.set(&MESSAGE_FIELDS, key, &[value]);
                }
            }
        }
        return Some(1);
    }
    if text.starts_with(b"A new process has been created.") {
        let mut seen = [false; MESSAGE_4688.len()];
        for line in lines.skip(1) {
            let Some((label, value)) = split_label(line) else {
                continue;
            };
            let Some(i) = MESSAGE_4688.iter().position(|(l, _)| l.as_bytes() == label) else {
                continue;
            };
            // The first block is the creator's subject; later `Account
            // Name:` lines are the target's.
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            b.set(&MESSAGE_FIELDS, MESSAGE_4688[i].1, &[value]);
        }
        return Some(4688);
    }
    None
}

/// hayabusa's `Key: value ¦ Key: value` (an empty value is kept as empty).
pub fn pairs(text: &[u8], map: &FieldMap, b: &mut EventBuilder) {
    let mut rest = text;
    loop {
        let (part, next) = match memchr::memmem::find(rest, PAIR_SEPARATOR) {
            Some(i) => (&rest[..i], Some(&rest[i + PAIR_SEPARATOR.len()..])),
            None => (rest, None),
        };
        if let Some(i) = memchr::memchr(b':', part) {
            let value = part[i + 1..].strip_prefix(b" ").unwrap_or(&part[i + 1..]);
            if let Ok(key) = std::str::from_utf8(trim(&part[..i])) {
                b.set(map, key, &[value]);
            }
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
}

/// A YAML scalar as chainsaw's `serde_yaml` writes it: `'…'` with `''`
/// for a quote, `"…"` with backslash escapes, or plain.
fn yaml_scalar(v: &[u8]) -> Vec<u8> {
    if v.len() >= 2 && v[0] == b'\'' && v[v.len() - 1] == b'\'' {
        let inner = &v[1..v.len() - 1];
        let mut out = Vec::with_capacity(inner.len());
        let mut i = 0;
        while i < inner.len() {
            out.push(inner[i]);
            i += if inner[i] == b'\'' && inner.get(i + 1) == Some(&b'\'') {
                2
            } else {
                1
            };
        }
        return out;
    }
    if v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"' {
        if let Ok(s) = serde_json::from_slice::<String>(v) {
            return s.into_bytes();
        }
    }
    v.to_vec()
}

/// chainsaw's `Event Data`: a YAML block of `Key: value` lines (a `|` or
/// `>` block scalar takes the indented lines after it).
pub fn yaml_lines(text: &[u8], map: &FieldMap, b: &mut EventBuilder) {
    let lines: Vec<&[u8]> = text
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.starts_with(b" ") {
            continue;
        }
        let Some((key, value)) = split_label(line) else {
            continue;
        };
        let Ok(key) = std::str::from_utf8(key) else {
            continue;
        };
        let value = if matches!(value.first(), Some(b'|' | b'>')) {
            let mut block: Vec<&[u8]> = Vec::new();
            while i < lines.len() && lines[i].starts_with(b"  ") {
                block.push(trim(lines[i]));
                i += 1;
            }
            block.join(&b'\n')
        } else {
            yaml_scalar(value)
        };
        b.set(map, key, &[&value]);
    }
}

/// A Splunk `_raw`: `XmlWinEventLog` XML, JSON (an event of any layout
/// known), or classic `WinEventLog` text.
pub fn raw(text: &[u8], b: &mut EventBuilder) -> Result<(), String> {
    let text = text.trim_ascii();
    match text.first() {
        Some(b'<') => super::xml::load_fields(text, &WINDOWS, b),
        Some(b'{') => match serde_json::from_slice::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(obj)) => match load_object(&obj, b) {
                Loaded::Record(layout) => {
                    if let Some(product) = layout.vendor_product {
                        b.vendor(product);
                    }
                    Ok(())
                }
                _ => Err("JSON of no layout known".into()),
            },
            _ => Err("not valid JSON".into()),
        },
        _ => classic(text, b),
    }
}

/// Classic `WinEventLog` text: a date line, `Key=Value` lines, then
/// `Message=` and the rendered message.
fn classic(text: &[u8], b: &mut EventBuilder) -> Result<(), String> {
    let mut lines = text
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let first = lines.next().unwrap_or_default();
    let mut known = false;
    let mut message: Option<Vec<u8>> = None;
    for line in lines {
        if let Some(m) = message.as_mut() {
            m.push(b'\n');
            m.extend_from_slice(line);
            continue;
        }
        let Some(eq) = memchr::memchr(b'=', line) else {
            continue;
        };
        let (key, value) = (&line[..eq], &line[eq + 1..]);
        if key == b"Message" {
            message = Some(value.to_vec());
            continue;
        }
        if let Ok(key) = std::str::from_utf8(key) {
            known |= key == "LogName" || key == "EventCode";
            b.set(&CLASSIC, key, &[value]);
        }
    }
    if !known {
        return Err("_raw is neither XmlWinEventLog XML, JSON, nor WinEventLog text".into());
    }
    b.set(&CLASSIC, "WinEventLog time", &[first]);
    if let Some(m) = message {
        b.apply("Message", Target::Message, Prio::Fallback, &[&m]);
    }
    Ok(())
}
