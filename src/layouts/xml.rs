//! One Windows event as XML (`<Event>` as Splunk's `XmlWinEventLog`
//! stores it and as the `evtx` crate renders a record, or bare `<Data
//! Name='…'>` elements): its `<System>` values and `<EventData>` pairs,
//! parsed with `quick-xml` and handed to the builder by name.

use quick_xml::events::{BytesStart, Event};

use super::builder::EventBuilder;
use super::target::FieldMap;

/// Loads the fields of one `<Event>` element into `event` (not cleared
/// first), each name read through `map`.
pub fn load_fields(xml: &[u8], map: &FieldMap, event: &mut EventBuilder) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut data_name: Option<String> = None;
    let mut text: Vec<u8> = Vec::new();
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| {
            format!(
                "malformed XML at byte {} of the event: {e}",
                reader.buffer_position()
            )
        })?;
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                start_element(&name, &e, map, event, &mut data_name)?;
                text.clear();
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_vec();
                let mut dn = None;
                start_element(&name, &e, map, event, &mut dn)?;
                if let Some(n) = dn {
                    event.set(map, &n, &[b""]);
                }
            }
            Event::Text(t) => {
                let s = t
                    .unescape()
                    .map_err(|e| format!("bad character reference: {e}"))?;
                text.extend_from_slice(s.as_bytes());
            }
            Event::CData(c) => text.extend_from_slice(&c),
            Event::End(_) => {
                let Some(name) = stack.pop() else {
                    return Err("unbalanced closing tag".into());
                };
                let parent = stack.last().map(Vec::as_slice);
                match (name.as_slice(), parent) {
                    (b"Data", _) => {
                        if let Some(n) = data_name.take() {
                            event.set(map, &n, &[&text]);
                        }
                    }
                    (b"EventID" | b"Computer" | b"Channel", Some(b"System")) => {
                        let n = String::from_utf8_lossy(&name).into_owned();
                        event.set(map, &n, &[&text]);
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err("an element is not closed".into());
    }
    Ok(())
}

fn start_element(
    name: &[u8],
    e: &BytesStart<'_>,
    map: &FieldMap,
    event: &mut EventBuilder,
    data_name: &mut Option<String>,
) -> Result<(), String> {
    let attr = |key: &[u8]| -> Result<Option<String>, String> {
        for a in e.attributes() {
            let a = a.map_err(|e| format!("malformed attribute: {e}"))?;
            if a.key.local_name().as_ref() == key {
                let v = a
                    .unescape_value()
                    .map_err(|e| format!("bad attribute value: {e}"))?;
                return Ok(Some(v.into_owned()));
            }
        }
        Ok(None)
    };
    match name {
        b"Data" => *data_name = attr(b"Name")?,
        b"TimeCreated" => {
            if let Some(t) = attr(b"SystemTime")? {
                event.set(map, "SystemTime", &[t.as_bytes()]);
            }
        }
        b"Provider" => {
            if let Some(p) = attr(b"Name")? {
                event.set(map, "Provider", &[p.as_bytes()]);
            }
        }
        _ => {}
    }
    Ok(())
}
