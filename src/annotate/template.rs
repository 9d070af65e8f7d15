//! The risk message template: literal text and `$field$` tokens, rendered
//! per row.

use crate::records::{FieldSet, RowView, Slot};

/// A risk message template: literal text and `$field$` tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(Vec<u8>),
    Field(Slot),
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b':')
}

impl Template {
    /// Compiles `text`; each `$name$` (name of letters, digits, `_ . - :`)
    /// becomes a field slot. A `$` that does not open such a token is text.
    pub fn compile(text: &str, fields: &mut FieldSet) -> Template {
        let bytes = text.as_bytes();
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'$' {
                let rest = &bytes[i + 1..];
                let len = rest.iter().take_while(|&&b| is_token_char(b)).count();
                if len > 0 && rest.get(len) == Some(&b'$') {
                    if !lit.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut lit)));
                    }
                    let name = &text[i + 1..i + 1 + len];
                    let name = name.strip_prefix(crate::records::DM_PREFIX).unwrap_or(name);
                    parts.push(Part::Field(fields.add(name)));
                    i += len + 2;
                    continue;
                }
            }
            lit.push(bytes[i]);
            i += 1;
        }
        if !lit.is_empty() {
            parts.push(Part::Text(lit));
        }
        Template { parts }
    }

    /// Appends the message for `row` to `out`.
    pub fn render(&self, row: &RowView<'_>, out: &mut Vec<u8>) {
        for part in &self.parts {
            match part {
                Part::Text(t) => out.extend_from_slice(t),
                Part::Field(slot) => out.extend_from_slice(&row.first_value(*slot)),
            }
        }
    }
}
