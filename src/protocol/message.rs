//! SCPv2 requests (getinfo, execute) and replies, as JSON metadata.
//!
//! Requests are parsed into a `serde_json::Value` first and then checked key
//! by key, so that a wrong type gets a message naming the key (`finished must
//! be true or false`) instead of a serde message that quotes the value. The
//! session key is never copied out of the parsed metadata: [`SearchInfo`] has
//! no field for it, so it cannot leak into output, errors or logs.
//!
//! Replies are written with serde in a fixed key order (`type`, `inspector`,
//! `finished`, `error` — splunkd is believed to act on `error` as soon as it
//! reads it, so it comes last) and with every non-ASCII character escaped as
//! `\uXXXX`, as all Splunk-written clients do.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::quote;

/// A parsed request from splunkd.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// The first request of every session.
    GetInfo(GetInfo),
    /// A batch of records to process.
    Execute(Execute),
}

/// The getinfo request: what the command needs to know about the search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GetInfo {
    /// True when splunkd computes preview results.
    pub preview: bool,
    /// `searchinfo`, minus the session key.
    pub search_info: SearchInfo,
}

/// The parts of `searchinfo` that wmilolbas uses. Unknown keys are ignored;
/// `session_key` is deliberately not kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchInfo {
    /// Command arguments, split by splunkd, quotes removed.
    pub args: Vec<String>,
    /// The command name as invoked.
    pub command: Option<String>,
    /// The search id.
    pub sid: Option<String>,
    /// The dispatch directory (may be empty in probe runs).
    pub dispatch_dir: Option<String>,
    /// The Splunk version.
    pub splunk_version: Option<String>,
}

/// An execute request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Execute {
    /// True on the last request of the session.
    pub finished: bool,
}

/// Why a metadata blob was refused. The text names keys, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataError(pub String);

impl std::fmt::Display for MetadataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(msg: impl Into<String>) -> MetadataError {
    MetadataError(msg.into())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses request metadata. An empty metadata blob is treated as `{}` (and
/// then fails for lack of an `action`).
pub fn parse_request(metadata: &[u8]) -> Result<Request, MetadataError> {
    let value: Value = if metadata.is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(metadata).map_err(|e| {
            // serde_json's syntax errors carry only a position, no content.
            bad(format!(
                "metadata is not valid JSON ({} at line {} column {})",
                match e.classify() {
                    serde_json::error::Category::Eof => "unexpected end",
                    serde_json::error::Category::Syntax => "syntax error",
                    serde_json::error::Category::Data => "invalid data",
                    serde_json::error::Category::Io => "I/O error",
                },
                e.line(),
                e.column()
            ))
        })?
    };
    let obj = match &value {
        Value::Object(o) => o,
        other => {
            return Err(bad(format!(
                "metadata must be a JSON object, got {}",
                type_name(other)
            )))
        }
    };
    let action = match obj.get("action") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(bad(format!(
                "metadata key \"action\" must be a string, got {}",
                type_name(other)
            )))
        }
        None => return Err(bad("metadata has no \"action\" key")),
    };
    match action {
        "getinfo" => Ok(Request::GetInfo(GetInfo {
            preview: get_bool(obj, "preview", "")?,
            search_info: parse_search_info(obj.get("searchinfo"))?,
        })),
        "execute" => Ok(Request::Execute(Execute {
            finished: get_bool(obj, "finished", "")?,
        })),
        other => Err(bad(format!(
            "unknown action {} (expected \"getinfo\" or \"execute\")",
            quote(other)
        ))),
    }
}

fn get_bool(obj: &Map<String, Value>, key: &str, prefix: &str) -> Result<bool, MetadataError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(bad(format!(
            "metadata key \"{prefix}{key}\" must be true or false, got {}",
            type_name(other)
        ))),
    }
}

fn get_string(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, MetadataError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(bad(format!(
            "metadata key \"searchinfo.{key}\" must be a string, got {}",
            type_name(other)
        ))),
    }
}

fn parse_search_info(value: Option<&Value>) -> Result<SearchInfo, MetadataError> {
    let obj = match value {
        None | Some(Value::Null) => return Ok(SearchInfo::default()),
        Some(Value::Object(o)) => o,
        Some(other) => {
            return Err(bad(format!(
                "metadata key \"searchinfo\" must be an object, got {}",
                type_name(other)
            )))
        }
    };
    let args = match obj.get("args") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut args = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => args.push(s.clone()),
                    other => {
                        return Err(bad(format!(
                            "searchinfo.args[{i}] must be a string, got {}",
                            type_name(other)
                        )))
                    }
                }
            }
            args
        }
        Some(other) => {
            return Err(bad(format!(
                "metadata key \"searchinfo.args\" must be an array of strings, got {}",
                type_name(other)
            )))
        }
    };
    Ok(SearchInfo {
        args,
        command: get_string(obj, "command")?,
        sid: get_string(obj, "sid")?,
        dispatch_dir: get_string(obj, "dispatch_dir")?,
        splunk_version: get_string(obj, "splunk_version")?,
    })
}

/// Inspector message severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Level {
    /// Informational; ends up in info.csv.
    #[serde(rename = "INFO")]
    Info,
    /// Shown as a warning in Splunk Web.
    #[serde(rename = "WARN")]
    Warn,
    /// Shown as an error.
    #[serde(rename = "ERROR")]
    Error,
}

/// One inspector message: `[LEVEL, TEXT]` on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message(pub Level, pub String);

impl Message {
    /// A WARN message.
    pub fn warn(text: impl Into<String>) -> Message {
        Message(Level::Warn, one_line(text.into()))
    }
    /// An ERROR message.
    pub fn error(text: impl Into<String>) -> Message {
        Message(Level::Error, one_line(text.into()))
    }
    /// An INFO message.
    pub fn info(text: impl Into<String>) -> Message {
        Message(Level::Info, one_line(text.into()))
    }
}

/// Newlines in messages display badly in Splunk Web; fold them.
fn one_line(s: String) -> String {
    if s.contains(['\n', '\r']) {
        s.replace("\r\n", " ").replace(['\n', '\r'], " ")
    } else {
        s
    }
}

#[derive(Serialize)]
struct Inspector<'a> {
    messages: &'a [Message],
}

/// Reply metadata. Key order on the wire is the field order here.
#[derive(Serialize, Default)]
pub struct Reply<'a> {
    /// getinfo only: the command type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inspector: Option<Inspector<'a>>,
    /// execute: echoes the request's `finished`; errors: true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<bool>,
    /// Fatal error text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

impl<'a> Reply<'a> {
    /// A getinfo reply declaring the command type.
    pub fn getinfo(kind: &'a str) -> Reply<'a> {
        Reply {
            kind: Some(kind),
            ..Reply::default()
        }
    }

    /// An execute reply.
    pub fn execute(finished: bool) -> Reply<'a> {
        Reply {
            finished: Some(finished),
            ..Reply::default()
        }
    }

    /// A fatal error reply: inspector ERROR, `finished: true`, `error`.
    pub fn fatal(messages: &'a [Message], error: &'a str) -> Reply<'a> {
        Reply {
            kind: None,
            inspector: Some(Inspector { messages }),
            finished: Some(true),
            error: Some(error),
        }
    }

    /// Attaches inspector messages (none → no `inspector` key).
    pub fn with_messages(mut self, messages: &'a [Message]) -> Reply<'a> {
        self.inspector = if messages.is_empty() {
            None
        } else {
            Some(Inspector { messages })
        };
        self
    }

    /// Serialises to compact, ASCII-only JSON.
    pub fn to_json(&self) -> Vec<u8> {
        to_ascii_json(self)
    }
}

/// Serialises any value to compact JSON with every non-ASCII character
/// escaped (`\uXXXX`, surrogate pairs above the BMP).
pub fn to_ascii_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, AsciiFormatter);
    // Serialising our own reply types into a Vec cannot fail: no maps with
    // non-string keys, no I/O errors.
    if value.serialize(&mut ser).is_err() {
        out.clear();
        out.extend_from_slice(b"{}");
    }
    out
}

struct AsciiFormatter;

impl serde_json::ser::Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{:04x}", unit)?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_getinfo_without_keeping_the_session_key() {
        let meta = br#"{"action":"getinfo","preview":false,"searchinfo":{"args":["mode=annotate"],"session_key":"SECRET","sid":"1.2","command":"wmilolbas"}}"#;
        let req = parse_request(meta).unwrap();
        let Request::GetInfo(info) = req.clone() else {
            panic!("{req:?}")
        };
        assert_eq!(info.search_info.args, vec!["mode=annotate"]);
        assert_eq!(info.search_info.sid.as_deref(), Some("1.2"));
        assert!(!format!("{req:?}").contains("SECRET"));
    }

    #[test]
    fn parses_execute_and_defaults_finished_to_false() {
        assert_eq!(
            parse_request(br#"{"action":"execute","finished":true}"#).unwrap(),
            Request::Execute(Execute { finished: true })
        );
        assert_eq!(
            parse_request(br#"{"action":"execute"}"#).unwrap(),
            Request::Execute(Execute { finished: false })
        );
    }

    #[test]
    fn wrong_types_name_the_key_not_the_value() {
        let cases: &[(&[u8], &str)] = &[
            (
                br#"{"action":"execute","finished":"yes"}"#,
                "\"finished\" must be true or false",
            ),
            (br#"[1,2]"#, "must be a JSON object, got an array"),
            (br#"{"action":1}"#, "\"action\" must be a string"),
            (br#"{"finished":true}"#, "no \"action\""),
            (
                br#"{"action":"getinfo","searchinfo":{"args":["a=b",7]}}"#,
                "searchinfo.args[1] must be a string",
            ),
            (
                br#"{"action":"getinfo","searchinfo":{"args":"a=b"}}"#,
                "must be an array of strings",
            ),
            (
                br#"{"action":"getinfo","searchinfo":"x"}"#,
                "\"searchinfo\" must be an object",
            ),
            (
                br#"{"action":"frobnicate"}"#,
                "unknown action \"frobnicate\"",
            ),
            (br#"{"action":"execute","#, "not valid JSON"),
            (b"", "no \"action\""),
        ];
        for (meta, want) in cases {
            let err = parse_request(meta).unwrap_err();
            assert!(
                err.0.contains(want),
                "{}: {err}",
                String::from_utf8_lossy(meta)
            );
        }
        let err =
            parse_request(br#"{"action":"getinfo","searchinfo":{"session_key":"SECRET","sid":5}}"#)
                .unwrap_err();
        assert!(!err.0.contains("SECRET"));
    }

    #[test]
    fn deeply_nested_metadata_is_an_error_not_a_stack_overflow() {
        let mut meta = Vec::new();
        meta.extend(std::iter::repeat_n(b'[', 100_000));
        let err = parse_request(&meta).unwrap_err();
        assert!(err.0.contains("not valid JSON"), "{err}");
    }

    #[test]
    fn replies_have_fixed_key_order_and_ascii_json() {
        let msgs = [Message::error("bad ท\nthing")];
        let json = Reply::fatal(&msgs, "bad ท").to_json();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"inspector":{"messages":[["ERROR","bad \u0e17 thing"]]},"finished":true,"error":"bad \u0e17"}"#
        );
        assert_eq!(
            Reply::getinfo("streaming").to_json(),
            br#"{"type":"streaming"}"#
        );
        assert_eq!(Reply::execute(false).to_json(), br#"{"finished":false}"#);
        let emoji = to_ascii_json("😀");
        assert_eq!(emoji, br#""\ud83d\ude00""#);
    }
}
