//! JSON records: the envelope taken off, the layout recognised, and the
//! object walked through the layout's map (nested objects as dotted paths,
//! arrays of scalars as multivalue fields, `Data` arrays of `@Name`/`#text`
//! pairs as the names they carry).

use serde_json::{Map, Value};

use super::builder::EventBuilder;
use super::target::{FieldMap, Payload, Target};
use super::{recognise, ExportLayout, UNWRAP};

/// Nested objects are followed this deep.
const MAX_DEPTH: usize = 6;

/// PowerShell's `Properties` at `ConvertTo-Json`'s default depth: the type
/// name of each value, not the value.
const PROPERTY_TYPE: &str = "System.Diagnostics.Eventing.Reader.EventProperty";

/// What a JSON record was.
#[derive(Debug)]
pub enum Loaded {
    /// A record of this layout, loaded into the builder.
    Record(&'static ExportLayout),
    /// A record of no layout known: its field names.
    Unknown(Vec<String>),
    /// Not a record: a Splunk export's preview row (the final rows follow
    /// in the same stream) or its closing `lastrow` line.
    Marker,
}

/// Parses one JSON record, takes its envelope off, recognises its layout
/// and loads it into `b` (cleared first). `Err` says why the text is not
/// a record.
pub fn load_json(text: &[u8], b: &mut EventBuilder) -> Result<Loaded, String> {
    let value: Value = serde_json::from_slice(text).map_err(|e| {
        format!(
            "not valid JSON ({} at column {})",
            match e.classify() {
                serde_json::error::Category::Eof => "unexpected end",
                _ => "syntax error",
            },
            e.column()
        )
    })?;
    let Value::Object(obj) = value else {
        return Err("not a JSON object (one event object per record expected)".into());
    };
    if obj.get("preview").is_some_and(|p| p == &Value::Bool(true))
        || (obj.contains_key("preview")
            && obj.contains_key("lastrow")
            && !obj.contains_key("result"))
    {
        return Ok(Loaded::Marker);
    }
    b.clear();
    Ok(load_object(&obj, b))
}

/// Takes the envelopes off `obj`: a Splunk export's `result`, an
/// Elasticsearch hit's `_source` (or its `fields`), chainsaw's
/// `document.data`, the `Event` of a record as JSON.
pub fn unwrap(mut obj: &Map<String, Value>) -> &Map<String, Value> {
    'outer: for _ in 0..4 {
        for (needs, into) in UNWRAP {
            if !needs.iter().all(|k| obj.contains_key(*k)) {
                continue;
            }
            if let Some(Value::Object(inner)) = obj.get(*into) {
                obj = inner;
                continue 'outer;
            }
        }
        break;
    }
    obj
}

/// Loads an object (not cleared first): its layout, or its field names.
pub fn load_object(obj: &Map<String, Value>, b: &mut EventBuilder) -> Loaded {
    let root = unwrap(obj);
    match recognise(&JsonKeys(root)) {
        Some(layout) => {
            walk(root, "", 0, layout.map, b);
            Loaded::Record(layout)
        }
        None => Loaded::Unknown(root.keys().cloned().collect()),
    }
}

/// Reads a payload cell: a JSON object, or `<Data Name='…'>` elements.
pub fn load_text(text: &[u8], map: &'static FieldMap, b: &mut EventBuilder) -> Result<(), String> {
    let text = text.trim_ascii();
    if text.first() == Some(&b'<') {
        return super::xml::load_fields(text, map, b);
    }
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(obj)) => {
            walk(&obj, "", 0, map, b);
            Ok(())
        }
        Ok(_) => Err("not a JSON object".into()),
        Err(e) => Err(format!("not valid JSON ({e})")),
    }
}

/// The names a recogniser looks for, in a JSON object: a path is found
/// as nested objects or as one dotted key (Elasticsearch `fields`).
pub struct JsonKeys<'a>(pub &'a Map<String, Value>);

impl super::Keys for JsonKeys<'_> {
    fn has(&self, path: &str) -> bool {
        has(self.0, path)
    }
}

fn has(obj: &Map<String, Value>, path: &str) -> bool {
    if obj.contains_key(path) {
        return true;
    }
    path.match_indices('.')
        .any(|(i, _)| match obj.get(&path[..i]) {
            Some(Value::Object(inner)) => has(inner, &path[i + 1..]),
            _ => false,
        })
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn apply_scalars(
    b: &mut EventBuilder,
    key: &'static str,
    target: Target,
    prio: super::Prio,
    items: &[Value],
) {
    let texts: Vec<String> = items.iter().filter_map(scalar).collect();
    if !texts.is_empty() {
        let refs: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
        b.apply(key, target, prio, &refs);
    }
}

/// One of PowerShell's `Properties`: `{"Value": …}` (a SID's own `Value`
/// when the value is an object).
fn property(v: &Value) -> String {
    let inner = match v {
        Value::Object(o) => o.get("Value").unwrap_or(&Value::Null),
        other => other,
    };
    match inner {
        Value::Object(o) => o.get("Value").and_then(scalar).unwrap_or_default(),
        other => scalar(other).unwrap_or_default(),
    }
}

/// The map a payload's inner object is read with.
fn payload_map(p: Payload) -> Option<&'static FieldMap> {
    match p {
        Payload::Json(m) | Payload::Pairs(m) | Payload::Lines(m) => Some(m),
        Payload::Raw => None,
    }
}

/// Walks `obj` (its names under `prefix`) through `map`.
pub fn walk(
    obj: &Map<String, Value>,
    prefix: &str,
    depth: usize,
    map: &'static FieldMap,
    b: &mut EventBuilder,
) {
    for (key, value) in obj {
        let joined;
        let name = if prefix.is_empty() {
            key.as_str()
        } else {
            joined = format!("{prefix}.{key}");
            joined.as_str()
        };
        match (map.entry(name), value) {
            (_, Value::Null) => {}
            (Some((_, Target::Payload(p), _)), Value::Object(inner)) => {
                if let Some(m) = payload_map(p) {
                    if b.nest() {
                        walk(inner, "", 0, m, b);
                        b.unnest();
                    }
                }
            }
            (Some((k, Target::Properties, prio)), Value::Array(items)) => {
                let is_type_name = |v: &Value| v.as_str() == Some(PROPERTY_TYPE);
                if !items.iter().all(is_type_name) {
                    let texts: Vec<String> = items.iter().map(property).collect();
                    let refs: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
                    b.apply(k, Target::Properties, prio, &refs);
                }
            }
            (_, Value::Object(inner)) => {
                if depth < MAX_DEPTH {
                    walk(inner, name, depth + 1, map, b);
                }
            }
            (Some((k, t, prio)), Value::Array(items)) => apply_scalars(b, k, t, prio, items),
            (None, Value::Array(items)) => named_data(items, prefix, map, b),
            (Some((k, t, prio)), other) => {
                if let Some(text) = scalar(other) {
                    b.apply(k, t, prio, &[text.as_bytes()]);
                }
            }
            (None, _) => {}
        }
    }
}

/// A `Data` array of `{"@Name": …, "#text": …}` objects (EvtxECmd's
/// `Payload`, `--fj`): each value under its name, at the array's level.
fn named_data(items: &[Value], prefix: &str, map: &'static FieldMap, b: &mut EventBuilder) {
    for item in items {
        let Value::Object(o) = item else { return };
        let Some(Value::String(name)) = o.get("@Name").or_else(|| o.get("Name")) else {
            return;
        };
        let text = o.get("#text").and_then(scalar).unwrap_or_default();
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        b.set(map, &full, &[text.as_bytes()]);
    }
}
