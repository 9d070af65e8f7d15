//! No silent zeros: what each input held, and the one rule every reader's
//! input goes through when it has been read.
//!
//! The loop ([`super::pipeline`]) keeps a [`Tally`] per unit of work; the
//! writer merges the tallies of one input (an `.evtx` log is read in
//! several units) and, at its end, [`verdict`] says:
//! * records of no layout known → an error naming the input, the first
//!   such record's fields and the layouts known;
//! * process creations with neither a process nor a parent name or path →
//!   an error naming the input and the first one's fields (whether one
//!   record is like that or all);
//! * a known layout with no process creations → one line (not an error)
//!   saying which events the input holds; in a folder walk the file is
//!   *passed over*, the line naming the layout it was recognised as
//!   (`…: passed over: CrowdStrike Falcon, no process creations: it holds
//!   …`), and counted in the summary;
//! * rows that repeat a record (one row per matching rule) → one line
//!   saying they were counted once.

use std::collections::BTreeMap;

use crate::error::{Error, InputAt, Position};

/// Kinds of other events listed by name (the rest are counted together).
const KINDS_SHOWN: usize = 8;
/// Distinct kinds kept (more are counted as other kinds).
const KINDS_KEPT: usize = 64;
/// Field names shown for a record.
const FIELDS_SHOWN: usize = 12;

/// The first of some records, and how many.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    /// How many.
    pub count: u64,
    /// The first one's position and field names.
    pub first: Option<(InputAt, Vec<String>)>,
}

impl Problem {
    /// Counts one; `fields` is called for the first only.
    pub fn add(&mut self, at: &InputAt, fields: impl FnOnce() -> Vec<String>) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some((*at, fields()));
        }
    }

    fn merge(&mut self, other: Problem) {
        self.count += other.count;
        if self.first.is_none() {
            self.first = other.first;
        }
    }
}

/// What one input (or a unit of it) held.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Records read.
    pub records: u64,
    /// Process creations among them.
    pub processes: u64,
    /// The layouts its records were recognised as, in order first seen.
    pub layouts: Vec<&'static str>,
    /// Other events, by which event they are.
    pub kinds: BTreeMap<String, u64>,
    /// Other events beyond [`KINDS_KEPT`] kinds.
    pub more_kinds: u64,
    /// Records of no layout known.
    pub unknown: Problem,
    /// A CSV header of no layout known: its names (its rows are counted in
    /// `records`, not read).
    pub header: Option<Vec<String>>,
    /// Process creations whose process fields were not read.
    pub unread: Problem,
    /// Rows repeating a record already read.
    pub repeated: u64,
    /// The input could not be read to its end.
    pub cut: bool,
}

impl Tally {
    /// Notes that a record was of `layout`.
    pub fn layout(&mut self, layout: &'static str) {
        if !self.layouts.contains(&layout) {
            self.layouts.push(layout);
        }
    }

    /// Counts an event that is not a process creation.
    pub fn other(&mut self, label: &str) {
        if let Some(n) = self.kinds.get_mut(label) {
            *n += 1;
        } else if self.kinds.len() < KINDS_KEPT {
            self.kinds.insert(label.to_string(), 1);
        } else {
            self.more_kinds += 1;
        }
    }

    /// Adds a later unit's tally of the same input.
    pub fn merge(&mut self, other: Tally) {
        self.records += other.records;
        self.processes += other.processes;
        for l in other.layouts {
            self.layout(l);
        }
        for (k, n) in other.kinds {
            *self.kinds.entry(k).or_default() += n;
        }
        self.more_kinds += other.more_kinds;
        self.unknown.merge(other.unknown);
        if self.header.is_none() {
            self.header = other.header;
        }
        self.unread.merge(other.unread);
        self.repeated += other.repeated;
        self.cut |= other.cut;
    }
}

/// What the rule says about an input.
#[derive(Debug)]
pub enum Said {
    /// A problem (exit status 1).
    Error(Error),
    /// A line that is not a problem.
    Note(String),
    /// A line saying a walked file was passed over (counted in the
    /// summary, not a problem).
    PassedOver(String),
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Field names as a message shows them: the first [`FIELDS_SHOWN`], each
/// cut to 40 characters, control characters as `?`.
pub fn show_fields(fields: &[String]) -> String {
    let mut shown: Vec<String> = fields
        .iter()
        .take(FIELDS_SHOWN)
        .map(|h| {
            let text: String = h
                .chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .collect();
            if text.chars().count() > 40 {
                let mut cut: String = text.chars().take(39).collect();
                cut.push('…');
                cut
            } else {
                text
            }
        })
        .collect();
    if fields.len() > FIELDS_SHOWN {
        shown.push(format!("… {} more", fields.len() - FIELDS_SHOWN));
    }
    if shown.is_empty() {
        "none".into()
    } else {
        shown.join(", ")
    }
}

fn at(name: &str, problem: &Problem) -> (Position, String) {
    let (pos, fields) = problem.first.clone().unwrap_or((
        InputAt::Record {
            chunk: None,
            record: None,
        },
        Vec::new(),
    ));
    (Position::input(name, pos), show_fields(&fields))
}

/// Which events an input holds: `Security 4624 (10), Sysmon 3 (2)`.
fn holdings(t: &Tally) -> String {
    let mut kinds: Vec<(&String, &u64)> = t.kinds.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut parts: Vec<String> = kinds
        .iter()
        .take(KINDS_SHOWN)
        .map(|(k, n)| format!("{k} ({n})"))
        .collect();
    let rest: u64 = kinds
        .iter()
        .skip(KINDS_SHOWN)
        .map(|(_, n)| **n)
        .sum::<u64>()
        + t.more_kinds;
    if rest > 0 {
        parts.push(format!(
            "{} of other kinds",
            plural(rest, "event", "events")
        ));
    }
    parts.join(", ")
}

/// The rule, for input `name` once it has been read (`walked`: found by a
/// folder walk).
pub fn verdict(name: &str, t: &Tally, walked: bool) -> Vec<Said> {
    let mut said = Vec::new();
    if let Some(header) = &t.header {
        let rows = match t.records {
            0 => "it has no rows".to_string(),
            1 => "its 1 row is not read".to_string(),
            n => format!("its {n} rows are not read"),
        };
        said.push(Said::Error(Error::input(
            Position::input(name, InputAt::Line(1)),
            format!(
                "no layout known: read as CSV, its header has {} ({}); {rows}. Layouts \
                 known: {}; see wmilolbas scan --help",
                plural(header.len() as u64, "column", "columns"),
                show_fields(header),
                crate::layouts::known()
            ),
        )));
    }
    if t.unknown.count > 0 {
        let (pos, fields) = at(name, &t.unknown);
        said.push(Said::Error(Error::input(
            pos,
            format!(
                "{} of no layout known (the first has the fields: {fields}); not read. \
                 Layouts known: {}; see wmilolbas scan --help",
                plural(t.unknown.count, "record", "records"),
                crate::layouts::known()
            ),
        )));
    }
    if t.unread.count > 0 {
        let (pos, fields) = at(name, &t.unread);
        said.push(Said::Error(Error::input(
            pos,
            format!(
                "{} of {} with neither a process nor a parent name or path read (the first \
                 has the fields: {fields}); the rule cannot match them",
                plural(t.unread.count, "process creation", "process creations"),
                t.layouts.join(", ")
            ),
        )));
    }
    if t.processes == 0
        && t.unknown.count == 0
        && t.header.is_none()
        && !t.cut
        && !t.layouts.is_empty()
    {
        let held = if t.records == 0 {
            "it holds no events".to_string()
        } else {
            format!(
                "it holds {}: {}",
                plural(t.records, "event", "events"),
                holdings(t)
            )
        };
        let layouts = t.layouts.join(", ");
        said.push(if walked {
            Said::PassedOver(format!(
                "{name}: passed over: {layouts}, no process creations: {held}"
            ))
        } else {
            Said::Note(format!("{name}: no process creations ({layouts}): {held}"))
        });
    }
    if t.repeated > 0 {
        said.push(Said::Note(format!(
            "{name}: {} a record already read ({} writes one row per record and matching \
             rule); each record was counted once",
            plural(t.repeated, "row repeats", "rows repeat"),
            t.layouts.join(", ")
        )));
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: u64) -> InputAt {
        InputAt::Line(n)
    }

    #[test]
    fn a_known_layout_without_process_creations_is_a_note_naming_its_events() {
        let mut t = Tally {
            records: 3,
            ..Tally::default()
        };
        t.layout("Windows event fields");
        t.other("Security 4624");
        t.other("Security 4624");
        t.other("Sysmon 3");
        let said = verdict("x.evtx", &t, false);
        assert_eq!(said.len(), 1);
        let Said::Note(n) = &said[0] else { panic!() };
        assert_eq!(
            n,
            "x.evtx: no process creations (Windows event fields): it holds 3 events: \
             Security 4624 (2), Sysmon 3 (1)"
        );
    }

    #[test]
    fn in_a_walk_a_known_layout_without_process_creations_is_passed_over_naming_it() {
        let mut t = Tally {
            records: 2,
            ..Tally::default()
        };
        t.layout("CrowdStrike Falcon");
        t.other("DnsRequest");
        t.other("NetworkConnectIP4");
        let said = verdict("case/fdr.json", &t, true);
        assert_eq!(said.len(), 1);
        let Said::PassedOver(n) = &said[0] else {
            panic!("{said:?}")
        };
        assert_eq!(
            n,
            "case/fdr.json: passed over: CrowdStrike Falcon, no process creations: it holds 2 \
             events: DnsRequest (1), NetworkConnectIP4 (1)"
        );
        // With a process creation, or named on the command line: not passed over.
        t.processes = 1;
        assert!(verdict("case/fdr.json", &t, true).is_empty());
        t.processes = 0;
        assert!(matches!(
            verdict("fdr.json", &t, false)[..],
            [Said::Note(_)]
        ));
    }

    #[test]
    fn unknown_records_and_unread_process_creations_are_errors() {
        let mut t = Tally {
            records: 2,
            ..Tally::default()
        };
        t.unknown.add(&line(4), || vec!["a".into(), "b".into()]);
        t.unknown.add(&line(5), || unreachable!());
        let said = verdict("f.json", &t, false);
        assert_eq!(said.len(), 1);
        let Said::Error(e) = &said[0] else { panic!() };
        let text = e.to_string();
        assert!(
            text.starts_with(
                "f.json:4: 2 records of no layout known (the first has the fields: a, b)"
            ),
            "{text}"
        );
        assert!(text.contains("ECS"), "{text}");

        let mut t = Tally {
            records: 5,
            processes: 5,
            ..Tally::default()
        };
        t.layout("ECS");
        t.unread.add(&line(2), || vec!["event.code".into()]);
        let said = verdict("e.json", &t, false);
        let Said::Error(e) = &said[0] else { panic!() };
        assert_eq!(
            e.to_string(),
            "e.json:2: 1 process creation of ECS with neither a process nor a parent name or \
             path read (the first has the fields: event.code); the rule cannot match them"
        );
    }

    #[test]
    fn merged_tallies_add_up_and_keep_the_first_problem() {
        let mut a = Tally {
            records: 1,
            ..Tally::default()
        };
        a.other("Security 4624");
        a.unread.add(&line(1), || vec!["x".into()]);
        let mut b = Tally {
            records: 2,
            ..Tally::default()
        };
        b.other("Security 4624");
        b.unread.add(&line(9), || vec!["y".into()]);
        a.merge(b);
        assert_eq!(a.records, 3);
        assert_eq!(a.kinds["Security 4624"], 2);
        assert_eq!(a.unread.count, 2);
        assert_eq!(a.unread.first.as_ref().unwrap().1, ["x"]);
    }
}
