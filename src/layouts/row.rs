//! The CIM row's edges: its header, how its `_time` is shown, and the
//! words for which event a record is.

use csv::ByteRecord;

use super::target::CIM_FIELDS;
use super::windows::CHANNEL_NAMES;
use crate::time;

/// Which event a record is, from its channel (or provider) and event ID:
/// `Security 4624`, `Sysmon 3`, `event ID 7`.
pub fn event_label(channel: Option<&str>, event_id: Option<u32>) -> String {
    let source = channel.map(|c| {
        CHANNEL_NAMES
            .iter()
            .find(|(long, _)| long.eq_ignore_ascii_case(c))
            .map_or(c, |(_, short)| short)
    });
    match (source, event_id) {
        (Some(s), Some(id)) => format!("{s} {id}"),
        (None, Some(id)) => format!("event ID {id}"),
        (Some(s), None) => format!("{s} records without an event ID"),
        (None, None) => "records without an event ID".into(),
    }
}

/// The header row of mapped records: the CIM fields, then their `__mv_`
/// companions.
pub fn cim_header() -> ByteRecord {
    let mut header = ByteRecord::new();
    for f in CIM_FIELDS {
        header.push_field(f.as_bytes());
    }
    for f in CIM_FIELDS {
        header.push_field(format!("__mv_{f}").as_bytes());
    }
    header
}

/// Formats epoch seconds text (`1579034690.348`) as
/// `2020-01-14 20:44:50` (UTC); other text is returned unchanged.
pub fn epoch_to_display(text: &str) -> String {
    time::display_utc(text).unwrap_or_else(|| text.to_string())
}
