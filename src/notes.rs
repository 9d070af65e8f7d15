//! Field notes: optional values that were present but could not be read,
//! and times read without a zone — counted per field with one example, so
//! that a warning can name them. One rule in both front ends: such a value
//! is never silently treated as absent, and never fails the search.

/// What is noted about a field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoteKind {
    /// Present, but not a value of the field's kind (a PID that is no
    /// number, a time in no known form): used as absent, and counted.
    Unreadable,
    /// A time with no zone or offset, read as UTC.
    ZonelessUtc,
    /// A time with no zone or offset, read in the zone given (`--timezone`).
    ZonelessLocal,
}

/// One field's count and first example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNote {
    /// What is noted.
    pub kind: NoteKind,
    /// The field's name.
    pub field: String,
    /// How many values.
    pub count: u64,
    /// The first value seen (at most [`EXAMPLE_MAX`] bytes, lossy UTF-8).
    pub example: String,
}

/// Longest example kept.
pub const EXAMPLE_MAX: usize = 64;

/// Notes per field, in the order first seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldNotes {
    notes: Vec<FieldNote>,
}

impl FieldNotes {
    /// Counts one value of `field`.
    pub fn add(&mut self, kind: NoteKind, field: &str, value: &[u8]) {
        self.add_n(kind, field, value, 1);
    }

    fn add_n(&mut self, kind: NoteKind, field: &str, value: &[u8], n: u64) {
        if let Some(note) = self
            .notes
            .iter_mut()
            .find(|x| x.kind == kind && x.field == field)
        {
            note.count += n;
            return;
        }
        let mut example = String::from_utf8_lossy(value).into_owned();
        if example.len() > EXAMPLE_MAX {
            let mut end = EXAMPLE_MAX;
            while !example.is_char_boundary(end) {
                end -= 1;
            }
            example.truncate(end);
            example.push('…');
        }
        self.notes.push(FieldNote {
            kind,
            field: field.to_string(),
            count: n,
            example,
        });
    }

    /// Adds `other`'s counts (its examples where this has none).
    pub fn merge(&mut self, other: &FieldNotes) {
        for n in &other.notes {
            self.add_n(n.kind, &n.field, n.example.as_bytes(), n.count);
        }
    }

    /// The notes, in the order first seen.
    pub fn iter(&self) -> impl Iterator<Item = &FieldNote> {
        self.notes.iter()
    }

    /// No note.
    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    /// How many values of `kind` were noted.
    pub fn count(&self, kind: NoteKind) -> u64 {
        self.notes
            .iter()
            .filter(|n| n.kind == kind)
            .map(|n| n.count)
            .sum()
    }

    /// One sentence per kind: `3 values of process_id (e.g. "x1")` …,
    /// with `what` saying what happened to them.
    pub fn sentences(&self) -> Vec<(NoteKind, String)> {
        let mut out: Vec<(NoteKind, String)> = Vec::new();
        for kind in [
            NoteKind::Unreadable,
            NoteKind::ZonelessUtc,
            NoteKind::ZonelessLocal,
        ] {
            let parts: Vec<String> = self
                .notes
                .iter()
                .filter(|n| n.kind == kind)
                .map(|n| format!("{} in {} (e.g. {:?})", n.count, n.field, n.example))
                .collect();
            if !parts.is_empty() {
                out.push((kind, parts.join(", ")));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_field_keep_the_first_example() {
        let mut n = FieldNotes::default();
        n.add(NoteKind::Unreadable, "process_id", b"x1");
        n.add(NoteKind::Unreadable, "process_id", b"x2");
        n.add(NoteKind::ZonelessUtc, "firstTime", b"01/13/2020 23:44:50");
        let mut m = FieldNotes::default();
        m.add(NoteKind::Unreadable, "process_id", b"y");
        m.add(NoteKind::Unreadable, "parent_process_id", &[b'9'; 100]);
        n.merge(&m);
        assert_eq!(n.count(NoteKind::Unreadable), 4);
        let s = n.sentences();
        assert_eq!(s.len(), 2);
        assert!(s[0]
            .1
            .starts_with("3 in process_id (e.g. \"x1\"), 1 in parent_process_id (e.g. \"999"));
        assert!(s[0].1.ends_with("…\")"));
        assert_eq!(
            s[1],
            (
                NoteKind::ZonelessUtc,
                "1 in firstTime (e.g. \"01/13/2020 23:44:50\")".to_string()
            )
        );
    }
}
