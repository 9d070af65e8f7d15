//! Times written back out: epoch seconds text (Splunk's `_time`) and the
//! UTC wall-clock form shown in `scan`'s table.

use super::{parse, Zone};

/// Formats microseconds since the epoch as epoch seconds text with
/// `digits` fraction digits (at most 6): `1578959090.348`.
pub fn format_epoch(micros: i64, digits: u8) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    let (secs, frac) = (abs / 1_000_000, abs % 1_000_000);
    match digits.min(6) {
        0 => format!("{sign}{secs}"),
        d => {
            let scaled = frac / 10u64.pow(6 - u32::from(d));
            format!("{sign}{secs}.{scaled:0width$}", width = usize::from(d))
        }
    }
}

/// Epoch seconds text (`1579034690.348`) as `2020-01-14 20:44:50` (UTC);
/// `None` for any other text.
pub fn display_utc(text: &str) -> Option<String> {
    let p = parse(text.as_bytes()).filter(|p| p.zone == Zone::Given)?;
    if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let ts = jiff::Timestamp::from_microsecond(p.micros).ok()?;
    Some(ts.strftime("%Y-%m-%d %H:%M:%S").to_string())
}
