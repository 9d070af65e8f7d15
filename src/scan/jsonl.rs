//! JSON lines: one object per line, with CIM names or Windows/Sysmon event
//! names, flat or nested (NXLog, Winlogbeat `winlog.event_data.*`, Splunk's
//! JSON export with a `result` object).

use serde_json::Value;

use super::event::EventBuilder;

/// Longest JSON line accepted (longer ones are reported and skipped).
pub const MAX_LINE: usize = 16 << 20;

/// Why a line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError(pub String);

/// Loads one JSON line into `event`.
pub fn load_line(line: &[u8], event: &mut EventBuilder) -> Result<(), LineError> {
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        LineError(format!(
            "not valid JSON ({} at column {})",
            match e.classify() {
                serde_json::error::Category::Eof => "unexpected end",
                _ => "syntax error",
            },
            e.column()
        ))
    })?;
    let Value::Object(obj) = value else {
        return Err(LineError(
            "not a JSON object (one event object per line expected)".into(),
        ));
    };
    event.clear();
    // Splunk's JSON export wraps each result: {"preview":false,"result":{…}}.
    let root = match obj.get("result") {
        Some(Value::Object(result)) => result,
        _ => &obj,
    };
    walk(root, "", 0, event);
    Ok(())
}

fn walk(
    obj: &serde_json::Map<String, Value>,
    prefix: &str,
    depth: usize,
    event: &mut EventBuilder,
) {
    for (key, value) in obj {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Null => {}
            Value::Object(inner) => {
                if depth < 4 {
                    walk(inner, &name, depth + 1, event);
                }
            }
            Value::Array(items) => {
                let texts: Vec<String> = items.iter().filter_map(scalar).collect();
                if !texts.is_empty() {
                    let refs: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
                    event.set(&name, &refs);
                }
            }
            other => {
                if let Some(text) = scalar(other) {
                    event.set(&name, &[text.as_bytes()]);
                }
            }
        }
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::event::{EventKind, CIM_FIELDS};

    fn load(line: &str) -> Result<(EventKind, Vec<String>), LineError> {
        let mut ev = EventBuilder::new();
        load_line(line.as_bytes(), &mut ev)?;
        let mut rec = csv::ByteRecord::new();
        let kind = ev.finish(&mut rec);
        Ok((
            kind,
            rec.iter()
                .take(CIM_FIELDS.len())
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect(),
        ))
    }

    fn field<'a>(r: &'a [String], name: &str) -> &'a str {
        &r[CIM_FIELDS.iter().position(|f| *f == name).unwrap()]
    }

    #[test]
    fn nxlog_and_winlogbeat_and_splunk_exports() {
        let (k, r) = load(r#"{"EventID":1,"Image":"C:\\W\\mshta.exe","ParentImage":"C:\\W\\WmiPrvSE.exe","Hostname":"h1"}"#).unwrap();
        assert_eq!(k, EventKind::ProcessCreation);
        assert_eq!(field(&r, "process_name"), "mshta.exe");
        assert_eq!(field(&r, "dest"), "h1");

        let (k, r) = load(r#"{"winlog":{"event_id":1,"computer_name":"h2","channel":"Microsoft-Windows-Sysmon/Operational","event_data":{"Image":"C:\\W\\x.exe","OriginalFileName":"RUNDLL32.EXE"}}}"#).unwrap();
        assert_eq!(k, EventKind::ProcessCreation);
        assert_eq!(field(&r, "original_file_name"), "RUNDLL32.EXE");
        assert_eq!(field(&r, "dest"), "h2");

        let (k, r) = load(r#"{"preview":false,"result":{"Processes.parent_process_name":"wmiprvse.exe","Processes.process_name":"mshta.exe","dest":"h3"}}"#).unwrap();
        assert_eq!(k, EventKind::ProcessCreation);
        assert_eq!(field(&r, "parent_process_name"), "wmiprvse.exe");
        assert_eq!(field(&r, "dest"), "h3");
    }

    #[test]
    fn bad_lines_say_why() {
        assert_eq!(
            load("[1]").unwrap_err().0,
            "not a JSON object (one event object per line expected)"
        );
        assert!(load("{\"a\":")
            .unwrap_err()
            .0
            .starts_with("not valid JSON (unexpected end"));
        assert!(load("{nope}")
            .unwrap_err()
            .0
            .starts_with("not valid JSON (syntax error"));
    }
}
