//! The builder's time: each time field offered by rank, the best one
//! written as `_time` (see [`super::EventBuilder`]).

use super::{Cim, EventBuilder, Prio, TimeField};
use crate::notes::NoteKind;
use crate::rule::is_present;
use crate::time::{self, Parsed, Zone};

/// A time field a record was seen with.
#[derive(Debug, Clone)]
pub(super) struct TimeSeen {
    field: TimeField,
    parsed: Parsed,
    name: &'static str,
    text: Vec<u8>,
}

impl EventBuilder {
    /// Keeps a time field's value if it ranks above the one kept; `scale`:
    /// digits only are epoch units of 10^-scale seconds
    /// ([`Target::EpochTime`](super::Target::EpochTime)).
    pub(super) fn offer_time(
        &mut self,
        name: &'static str,
        field: TimeField,
        value: &[u8],
        scale: Option<u8>,
    ) {
        if !is_present(value)
            || self
                .time
                .as_ref()
                .is_some_and(|t| t.field.rank <= field.rank)
        {
            return;
        }
        let parsed = match scale {
            Some(scale) if value.trim_ascii().iter().all(u8::is_ascii_digit) => {
                time::parse_epoch_scaled(value, scale)
            }
            _ => time::parse(value),
        };
        match parsed {
            Some(parsed) => {
                self.time = Some(TimeSeen {
                    field,
                    parsed,
                    name,
                    text: value.to_vec(),
                })
            }
            None => self.notes.add(NoteKind::Unreadable, name, value),
        }
    }

    /// `_time`: the best time as epoch seconds with the source's digits.
    pub(super) fn settle_time(&mut self) {
        let i = Cim::Time.index();
        self.values[i].clear();
        self.prio[i] = None;
        let Some(t) = self.time.take() else { return };
        let local = if t.field.utc {
            None
        } else {
            self.local.as_ref()
        };
        if t.parsed.zone == Zone::Naive && !t.field.utc {
            let kind = if local.is_some() {
                NoteKind::ZonelessLocal
            } else {
                NoteKind::ZonelessUtc
            };
            self.notes.add(kind, t.name, &t.text);
        }
        let epoch = time::format_epoch(t.parsed.resolve(local), t.parsed.digits);
        self.put(Cim::Time, Prio::Event, &[epoch.as_bytes()]);
    }
}
