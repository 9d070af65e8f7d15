//! Times as exports write them: the one reader of time text, used by
//! lineage (row order, PID reuse) and by `scan` (its `_time` column).
//!
//! # What is read
//!
//! | form | example | zone |
//! | --- | --- | --- |
//! | epoch seconds, whole or fractional, 1980 to 2100 | `1578959090`, `1578959090.348` | UTC |
//! | epoch milliseconds or nanoseconds, where a layout says so ([`parse_epoch_scaled`]), 1980 to 2100 | `1578959090348`, `1578959090348000000` | UTC |
//! | .NET JSON date (PowerShell 5.1 `ConvertTo-Json`) | `/Date(1578959090348)/` | UTC |
//! | ISO 8601 with `T` or a space, `-` or `/` between date parts | `2020-01-13T23:44:50.348Z`, `2020/01/13 23:44:50` | as written: `Z`, `UTC`, `GMT`, `+02:00`, `+0200`, `+02`; none = zone-less |
//! | the same with an offset then a zone's abbreviation (Go's `time.String()`: Carbon Black Cloud's event forwarder) | `2020-01-13 23:44:50.348 +0000 UTC` | the offset (the abbreviation is not read) |
//! | the same with a comma before the fraction | `2020-01-13 23:44:50,348` | |
//! | Sysmon `UtcTime`, EvtxECmd's 7-digit fractions | `2020-01-13 23:44:50.348`, `2020-01-13 23:44:50.3480000` | zone-less (the caller knows `UtcTime` is UTC) |
//! | US month first, 24-hour (Splunk's `convert ctime()` default `%m/%d/%Y %H:%M:%S`, ESCU's ctime macro before 3.0.6) | `01/13/2020 23:44:50` | zone-less |
//! | US month first, 12-hour (PowerShell en-US `TimeCreated`; Sentinel's `10/25/2023, 9:43:21.994 AM`) | `1/13/2020 11:44:50 PM` | zone-less |
//! | Kibana's default date format (Discover CSV reports) | `Jan 13, 2020 @ 23:44:50.348` | zone-less (the browser's zone) |
//!
//! An epoch number outside 1980–2100 is no time (a date written as digits,
//! `20200113`, or a counter would otherwise read as 1970 or year 33658).
//! A fraction keeps at most 6 digits (microseconds); [`Parsed::digits`]
//! says how many the text had, so `scan` writes the fraction as the source
//! has it. Day-first dates (`13/01/2020`) are not read: `01/02/2020` is
//! January 2nd, and a month above 12 makes the text unreadable.
//!
//! # Zones
//!
//! A time written with a zone or an offset, and an epoch time, is an
//! instant: it is never shifted. A **zone-less** time ([`Zone::Naive`]) is
//! read as UTC unless the caller gives a local zone ([`LocalZone`], `scan
//! --timezone`), in which case it is that zone's wall-clock time (in a
//! daylight-saving gap the later reading is taken, in a fold the earlier).
//!
//! Nothing here decides whether a field is present: callers treat empty,
//! `-`, `unknown` … as absent first, and count present text that
//! [`parse`] refuses as *unreadable* (never as absent).

use std::fmt;

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

mod write;
pub use write::{display_utc, format_epoch};

/// What a time text said about its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// An instant: epoch, `Z`, `UTC`, `GMT` or a numeric offset.
    Given,
    /// Wall-clock time with no zone: read as UTC unless a local zone is
    /// given.
    Naive,
}

/// A time read from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    /// Microseconds since the Unix epoch; for a [`Zone::Naive`] time, as if
    /// the wall-clock time were UTC ([`Parsed::resolve`] applies a zone).
    pub micros: i64,
    /// Fraction digits the text had (at most 6 are kept).
    pub digits: u8,
    /// Whether the text gave its zone.
    pub zone: Zone,
    /// The wall-clock time (zone-less texts only: a local zone needs it).
    civil: Option<DateTime>,
}

impl Parsed {
    /// The instant, reading a zone-less time in `local` (UTC when `None`).
    pub fn resolve(&self, local: Option<&LocalZone>) -> i64 {
        match (self.zone, self.civil, local) {
            (Zone::Naive, Some(dt), Some(zone)) => zone
                .0
                .to_ambiguous_timestamp(dt)
                .compatible()
                .map_or(self.micros, |t| t.as_microsecond()),
            _ => self.micros,
        }
    }
}

/// The zone that zone-less times are read in (`scan --timezone`): an IANA
/// name (`Europe/Berlin`, from the system's time-zone database, bundled on
/// Windows) or a fixed offset `±HH:MM`.
#[derive(Debug, Clone)]
pub struct LocalZone(TimeZone, String);

impl LocalZone {
    /// Reads `--timezone`'s value.
    pub fn from_arg(arg: &str) -> Result<LocalZone, String> {
        let text = arg.trim();
        if let Some(secs) = offset_seconds(text.as_bytes()) {
            let offset = Offset::from_seconds(secs).map_err(|e| format!("{text}: {e}"))?;
            return Ok(LocalZone(TimeZone::fixed(offset), text.to_string()));
        }
        match TimeZone::get(text) {
            Ok(tz) => Ok(LocalZone(tz, text.to_string())),
            Err(e) => Err(format!(
                "{text:?} is neither an IANA time-zone name (Europe/Berlin, America/New_York, UTC) nor an offset (+02:00, -0530): {e}"
            )),
        }
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.1
    }
}

impl fmt::Display for LocalZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.1)
    }
}

/// Reads a time in any form of the table above; `None` when the text is
/// none of them (or names an impossible date).
pub fn parse(text: &[u8]) -> Option<Parsed> {
    let s = text.trim_ascii();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Some(p) = plain_epoch(s) {
        return Some(p); // the common case: `_time` as splunkd sends it
    }
    if let Some(inner) = s
        .strip_prefix(b"/Date(")
        .and_then(|r| r.strip_suffix(b")/"))
    {
        return dotnet_date(inner);
    }
    if s.iter()
        .all(|&b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && !s.contains(&b'/')
    {
        if let Some(p) = epoch_seconds(s) {
            return Some(p);
        }
    }
    let mut c = Cursor { s, i: 0 };
    if s.first().is_some_and(u8::is_ascii_alphabetic) {
        return month_name(&mut c);
    }
    let first = c.number(1, 4)?;
    match (first.1, c.peek()) {
        (4, Some(sep @ (b'-' | b'/'))) => year_first(&mut c, first.0, sep),
        (1 | 2, Some(b'/')) => month_first(&mut c, first.0),
        _ => None,
    }
}

/// Reads whole epoch milliseconds (a layout that documents them, such as
/// CrowdStrike's `timestamp`, and .NET's `/Date(ms)/`).
pub fn parse_epoch_millis(text: &[u8]) -> Option<Parsed> {
    parse_epoch_scaled(text, 3)
}

/// Reads whole epoch time in units of 10^-`scale` seconds (3:
/// milliseconds, 9: nanoseconds) — a layout that documents them, such as
/// SentinelOne's nanosecond `timestamp` — keeping at most microseconds.
pub fn parse_epoch_scaled(text: &[u8], scale: u8) -> Option<Parsed> {
    let s = text.trim_ascii();
    let (neg, digits) = match s.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: i128 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let micros = if scale <= 6 {
        n.checked_mul(10i128.pow(6 - u32::from(scale)))?
    } else {
        n / 10i128.checked_pow(u32::from(scale) - 6)?
    };
    let micros = i64::try_from(micros).ok()?;
    epoch(if neg { -micros } else { micros }, scale.min(6))
}

/// 1980-01-01 and 2100-01-01, in microseconds since the epoch: epoch
/// numbers outside are not times.
const EPOCH_RANGE: std::ops::RangeInclusive<i64> = 315_532_800_000_000..=4_102_444_800_000_000;

/// An epoch reading, when it is in [`EPOCH_RANGE`].
fn epoch(micros: i64, digits: u8) -> Option<Parsed> {
    EPOCH_RANGE.contains(&micros).then(|| given(micros, digits))
}

fn given(micros: i64, digits: u8) -> Parsed {
    Parsed {
        micros,
        digits,
        zone: Zone::Given,
        civil: None,
    }
}

fn epoch_seconds(s: &[u8]) -> Option<Parsed> {
    let (neg, s) = match s.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = match s.iter().position(|&b| b == b'.') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &[][..]),
    };
    if whole.is_empty() || whole.len() > 12 || !whole.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !frac.iter().all(u8::is_ascii_digit) || (frac.is_empty() && s.len() != whole.len()) {
        return None;
    }
    let secs: i64 = std::str::from_utf8(whole).ok()?.parse().ok()?;
    let (micros, digits) = fraction(frac);
    let t = secs.checked_mul(1_000_000)?.checked_add(micros)?;
    epoch(if neg { -t } else { t }, digits)
}

/// Non-negative epoch seconds with at most one `.`: digits only, read in
/// one pass (what splunkd sends as `_time`).
fn plain_epoch(s: &[u8]) -> Option<Parsed> {
    let mut secs: i64 = 0;
    let mut whole = 0usize;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if whole == 12 {
            return None;
        }
        secs = secs * 10 + i64::from(s[i] - b'0');
        whole += 1;
        i += 1;
    }
    if whole == 0 {
        return None;
    }
    if i == s.len() {
        return epoch(secs * 1_000_000, 0);
    }
    if s[i] != b'.' || i + 1 == s.len() || !s[i + 1..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (micros, digits) = fraction(&s[i + 1..]);
    epoch(secs * 1_000_000 + micros, digits)
}

/// `/Date(1578959090348)/`, `/Date(1578959090348+0100)/`: milliseconds
/// since the epoch (the offset is the writer's zone, for display only).
fn dotnet_date(inner: &[u8]) -> Option<Parsed> {
    let end = inner
        .iter()
        .skip(1)
        .position(|&b| b == b'+' || b == b'-')
        .map_or(inner.len(), |i| i + 1);
    let (ms, zone) = inner.split_at(end);
    if !zone.is_empty() && offset_seconds(zone).is_none() {
        return None;
    }
    parse_epoch_millis(ms)
}

/// Up to 6 fraction digits as microseconds, and how many digits there were
/// (at most 6).
fn fraction(frac: &[u8]) -> (i64, u8) {
    let mut micros = 0i64;
    for (i, &b) in frac.iter().take(6).enumerate() {
        micros += i64::from(b - b'0') * 10i64.pow(5 - i as u32);
    }
    (micros, frac.len().min(6) as u8)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// A run of `min..=max` digits: its value and length.
    fn number(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let start = self.i;
        while self.i - start < max && self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        let len = self.i - start;
        if len < min || self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        let v = self.s[start..self.i]
            .iter()
            .fold(0i64, |n, &b| n * 10 + i64::from(b - b'0'));
        Some((v, len))
    }

    /// `HH:MM:SS` (the hour of 1 or 2 digits), then an optional `.` or `,`
    /// fraction: (hour, minute, second, micros, digits).
    fn clock(&mut self) -> Option<(i64, i64, i64, i64, u8)> {
        let (h, _) = self.number(1, 2)?;
        if !self.eat(b':') {
            return None;
        }
        let (mi, _) = self.number(2, 2)?;
        if !self.eat(b':') {
            return None;
        }
        let (sec, _) = self.number(2, 2)?;
        let (mut micros, mut digits) = (0, 0);
        if self.eat(b'.') || self.eat(b',') {
            let start = self.i;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.i += 1;
            }
            if self.i == start || self.i - start > 9 {
                return None;
            }
            (micros, digits) = fraction(&self.s[start..self.i]);
        }
        Some((h, mi, sec, micros, digits))
    }

    fn rest(&self) -> &[u8] {
        &self.s[self.i..]
    }
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.f][zone]`, or with `/` between the date parts.
fn year_first(c: &mut Cursor<'_>, year: i64, sep: u8) -> Option<Parsed> {
    c.eat(sep);
    let (month, _) = c.number(2, 2)?;
    if !c.eat(sep) {
        return None;
    }
    let (day, _) = c.number(2, 2)?;
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let (h, mi, sec, micros, digits) = c.clock()?;
    let dt = civil(year, month, day, h, mi, sec, micros)?;
    let zone = c.rest();
    let zone = zone.strip_prefix(b" ").unwrap_or(zone);
    match zone {
        b"" => naive(dt, digits),
        z if z.eq_ignore_ascii_case(b"Z")
            || z.eq_ignore_ascii_case(b"UTC")
            || z.eq_ignore_ascii_case(b"GMT") =>
        {
            at_offset(dt, 0, digits)
        }
        z => {
            // Go's `-0700 MST`: the offset, then the zone's abbreviation.
            let offset = match z.iter().position(|&b| b == b' ') {
                Some(i) if z[i + 1..].iter().all(u8::is_ascii_alphabetic) && i + 1 < z.len() => {
                    &z[..i]
                }
                _ => z,
            };
            at_offset(dt, offset_seconds(offset)?, digits)
        }
    }
}

/// `M/D/YYYY[,] H:MM:SS[.f][ AM|PM]` (month first, as en-US and Splunk's
/// `convert ctime()` write it).
fn month_first(c: &mut Cursor<'_>, month: i64) -> Option<Parsed> {
    c.eat(b'/');
    let (day, _) = c.number(1, 2)?;
    if !c.eat(b'/') {
        return None;
    }
    let (year, _) = c.number(4, 4)?;
    c.eat(b',');
    if !c.eat(b' ') {
        return None;
    }
    let (mut h, mi, sec, micros, digits) = c.clock()?;
    let rest = c.rest();
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    match rest {
        b"" => {}
        m if m.eq_ignore_ascii_case(b"AM") || m.eq_ignore_ascii_case(b"PM") => {
            if !(1..=12).contains(&h) {
                return None;
            }
            h %= 12;
            if m.eq_ignore_ascii_case(b"PM") {
                h += 12;
            }
        }
        _ => return None,
    }
    let dt = civil(year, month, day, h, mi, sec, micros)?;
    naive(dt, digits)
}

/// `Mmm D, YYYY @ HH:MM:SS[.f]`: Kibana's default `dateFormat` (`MMM D,
/// YYYY @ HH:mm:ss.SSS`), in English.
fn month_name(c: &mut Cursor<'_>) -> Option<Parsed> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let name = c.s.get(..3)?;
    let month = MONTHS.iter().position(|m| name.eq_ignore_ascii_case(*m))? as i64 + 1;
    c.i = 3;
    if !c.eat(b' ') {
        return None;
    }
    let (day, _) = c.number(1, 2)?;
    if !(c.eat(b',') && c.eat(b' ')) {
        return None;
    }
    let (year, _) = c.number(4, 4)?;
    if !(c.eat(b' ') && c.eat(b'@') && c.eat(b' ')) {
        return None;
    }
    let (h, mi, sec, micros, digits) = c.clock()?;
    if !c.rest().is_empty() {
        return None;
    }
    naive(civil(year, month, day, h, mi, sec, micros)?, digits)
}

fn civil(y: i64, mo: i64, d: i64, h: i64, mi: i64, sec: i64, micros: i64) -> Option<DateTime> {
    // A leap second (`:60`) is read as the last second of its minute.
    let sec = if sec == 60 { 59 } else { sec };
    DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(sec).ok()?,
        i32::try_from(micros * 1000).ok()?,
    )
    .ok()
}

fn naive(dt: DateTime, digits: u8) -> Option<Parsed> {
    let utc = Offset::UTC.to_timestamp(dt).ok()?;
    Some(Parsed {
        micros: utc.as_microsecond(),
        digits,
        zone: Zone::Naive,
        civil: Some(dt),
    })
}

fn at_offset(dt: DateTime, secs: i32, digits: u8) -> Option<Parsed> {
    let offset = Offset::from_seconds(secs).ok()?;
    let t = offset.to_timestamp(dt).ok()?;
    Some(given(t.as_microsecond(), digits))
}

/// `+HH:MM`, `+HHMM`, `+HH` (or `-`): seconds east of UTC.
fn offset_seconds(z: &[u8]) -> Option<i32> {
    let (sign, rest) = match z.split_first()? {
        (b'+', rest) => (1, rest),
        (b'-', rest) => (-1, rest),
        _ => return None,
    };
    let digits: Vec<u8> = match rest {
        [a, b, b':', c, d] => vec![*a, *b, *c, *d],
        [a, b, c, d] => vec![*a, *b, *c, *d],
        [a, b] => vec![*a, *b, b'0', b'0'],
        _ => return None,
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |i: usize| i32::from(digits[i] - b'0') * 10 + i32::from(digits[i + 1] - b'0');
    let (hh, mm) = (n(0), n(2));
    if hh > 23 || mm > 59 {
        return None;
    }
    Some(sign * (hh * 3600 + mm * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_578_959_090_348_000; // 2020-01-13 23:44:50.348 UTC

    fn micros(s: &str) -> Option<i64> {
        parse(s.as_bytes()).map(|p| p.micros)
    }

    #[test]
    fn kibana_discover_dates_are_zone_less() {
        let p = parse(b"Jan 13, 2020 @ 23:44:50.348").unwrap();
        assert_eq!((p.micros, p.digits, p.zone), (T, 3, Zone::Naive));
        assert_eq!(
            micros("Mar 5, 2024 @ 10:15:01.100"),
            Some(1_709_633_701_100_000)
        );
        assert_eq!(
            micros("Mar 5, 2024 @ 10:15:01"),
            Some(1_709_633_701_000_000)
        );
        assert_eq!(micros("Mrz 5, 2024 @ 10:15:01"), None);
        assert_eq!(micros("Mar 5 2024 @ 10:15:01"), None);
        assert_eq!(micros("Mar 5, 2024 @ 10:15:01 x"), None);
    }

    #[test]
    fn tool_timestamps_with_a_spaced_offset_or_seven_digits() {
        // hayabusa's default, EvtxECmd's CSV, Velociraptor's epoch float.
        assert_eq!(
            micros("2019-03-18 22:15:49.645 +00:00"),
            Some(1_552_947_349_645_000)
        );
        let p = parse(b"2016-10-06 01:47:21.9551972").unwrap();
        assert_eq!((p.micros, p.digits), (1_475_718_441_955_197, 6));
        assert_eq!(micros("1590282834.1201713"), Some(1_590_282_834_120_171));
    }

    #[test]
    fn epoch_seconds_whole_and_fractional() {
        assert_eq!(micros("1578959090.348"), Some(T));
        assert_eq!(micros("1578959090"), Some(T - 348_000));
        assert_eq!(parse(b"1578959090.348").map(|p| p.digits), Some(3));
        assert_eq!(parse(b"1578959090").map(|p| p.zone), Some(Zone::Given));
        // Outside 1980-2100: no time.
        for s in ["-1.5", "0", "20200113", "999999999999", "1.5"] {
            assert_eq!(micros(s), None, "{s}");
        }
        assert_eq!(micros("1578959090.1234567"), Some(T - 348_000 + 123_456));
    }

    #[test]
    fn epoch_milliseconds_only_where_asked() {
        let p = parse_epoch_millis(b"1578959090348").unwrap();
        assert_eq!((p.micros, p.zone), (T, Zone::Given));
        assert_eq!(parse_epoch_millis(b"15789.5"), None);
        assert_eq!(micros("/Date(1578959090348)/"), Some(T));
        assert_eq!(micros("/Date(1578959090348+0100)/"), Some(T));
        assert_eq!(micros("/Date(-1000)/"), None, "1969");
        assert_eq!(micros("/Date(x)/"), None);
    }

    #[test]
    fn epoch_milliseconds_and_nanoseconds_where_a_layout_says_so() {
        let p = parse_epoch_scaled(b"1578959090348", 3).unwrap();
        assert_eq!((p.micros, p.digits, p.zone), (T, 3, Zone::Given));
        let p = parse_epoch_scaled(b"1578959090348123456", 9).unwrap();
        assert_eq!((p.micros, p.digits), (T + 123, 6));
        // Outside 1980-2100: no time.
        assert_eq!(parse_epoch_scaled(b"-1000000000", 9), None);
        assert_eq!(parse_epoch_scaled(b"1000000000", 9), None);
        for bad in ["", "1.5", "x", "123456789012345678901"] {
            assert_eq!(parse_epoch_scaled(bad.as_bytes(), 9), None, "{bad}");
        }
        assert_eq!(parse_epoch_scaled(b"99999999999999999999", 3), None);
    }

    #[test]
    fn go_time_strings_read_their_offset() {
        // Carbon Black Cloud's event forwarder: `2022-02-10 11:51:39.5215212 +0000 UTC`.
        let p = parse(b"2020-01-13 23:44:50.3480000 +0000 UTC").unwrap();
        assert_eq!((p.micros, p.zone, p.digits), (T, Zone::Given, 6));
        assert_eq!(micros("2020-01-14 01:44:50.348 +0200 CEST"), Some(T));
        assert_eq!(micros("2020-01-13 23:44:50.348 +0000 U1"), None);
    }

    #[test]
    fn iso_forms_with_and_without_zones() {
        for s in [
            "2020-01-13T23:44:50.348Z",
            "2020-01-13 23:44:50.348Z",
            "2020-01-13 23:44:50.348 UTC",
            "2020-01-13T23:44:50.348 utc",
            "2020-01-13 23:44:50,348 GMT",
            "2020-01-14T01:44:50.348+02:00",
            "2020-01-14T01:44:50.348+0200",
            "2020-01-14T01:44:50.348+02",
            "2020-01-13T20:44:50.348 -03:00",
            "2020-01-13T23:44:50.348000000Z",
        ] {
            let p = parse(s.as_bytes()).unwrap_or_else(|| panic!("{s}"));
            assert_eq!((p.micros, p.zone), (T, Zone::Given), "{s}");
        }
        for s in [
            "2020-01-13 23:44:50.348",
            "2020-01-13T23:44:50.348",
            "2020-01-13 23:44:50,348",
            "2020/01/13 23:44:50.348",
            "2020-01-13 23:44:50.3480000",
        ] {
            let p = parse(s.as_bytes()).unwrap_or_else(|| panic!("{s}"));
            assert_eq!((p.micros, p.zone), (T, Zone::Naive), "{s}");
        }
        assert_eq!(
            parse(b"2020-01-13 23:44:50.3480000").map(|p| p.digits),
            Some(6)
        );
        assert_eq!(micros("1970-01-01 00:00:00"), Some(0));
    }

    #[test]
    fn month_first_forms_24_and_12_hour() {
        let whole = T - 348_000;
        for s in [
            "01/13/2020 23:44:50",
            "1/13/2020 23:44:50",
            "1/13/2020 11:44:50 PM",
            "1/13/2020 11:44:50 pm",
            "01/13/2020, 11:44:50 PM",
        ] {
            let p = parse(s.as_bytes()).unwrap_or_else(|| panic!("{s}"));
            assert_eq!((p.micros, p.zone), (whole, Zone::Naive), "{s}");
        }
        assert_eq!(
            micros("10/25/2023, 9:43:21.994 AM"),
            micros("2023-10-25 09:43:21.994")
        );
        assert_eq!(
            micros("1/13/2020 12:00:00 AM"),
            micros("2020-01-13 00:00:00")
        );
        assert_eq!(
            micros("1/13/2020 12:00:00 PM"),
            micros("2020-01-13 12:00:00")
        );
    }

    #[test]
    fn impossible_and_foreign_texts_are_refused() {
        for s in [
            "",
            "x",
            "12.3.4",
            "1e9",
            "2020-01-14",
            "2020-13-01 00:00:00",
            "2019-02-29 00:00:00",
            "2020-01-13 24:00:00",
            "2020-01-13 23:44:50 CET",
            "2020-01-13 23:44:50+25:00",
            "13/01/2020 23:44:50",
            "1/13/2020 13:44:50 PM",
            "1/13/2020 0:44:50 AM",
            "Mon Jan 13 23:44:50 2020",
            "2020-01-13 23:44",
            "2020-01-13 23:44:50.",
            "1578959090.",
            "--1",
        ] {
            assert_eq!(parse(s.as_bytes()), None, "{s:?}");
        }
    }

    #[test]
    fn naive_times_resolve_in_a_local_zone() {
        let p = parse(b"2020-01-14 01:44:50.348").unwrap();
        assert_eq!(p.resolve(None), T + 2 * 3_600_000_000);
        let plus2 = LocalZone::from_arg("+02:00").unwrap();
        assert_eq!(p.resolve(Some(&plus2)), T);
        let berlin = LocalZone::from_arg("Europe/Berlin").unwrap();
        // January: UTC+1.
        assert_eq!(p.resolve(Some(&berlin)), T + 3_600_000_000);
        // An instant is never shifted.
        let z = parse(b"2020-01-13T23:44:50.348Z").unwrap();
        assert_eq!(z.resolve(Some(&plus2)), T);
        assert_eq!(parse(b"1578959090.348").unwrap().resolve(Some(&berlin)), T);
        assert!(LocalZone::from_arg("Mars/Olympus").is_err());
        assert!(LocalZone::from_arg("+25:00").is_err());
    }

    #[test]
    fn epoch_text_keeps_the_source_digits() {
        assert_eq!(format_epoch(T, 3), "1578959090.348");
        assert_eq!(format_epoch(T, 0), "1578959090");
        assert_eq!(format_epoch(T, 6), "1578959090.348000");
        assert_eq!(format_epoch(-1_500_000, 1), "-1.5");
        assert_eq!(format_epoch(5, 9), "0.000005");
    }

    proptest::proptest! {
        /// Every instant written as epoch text, ISO with an offset, and
        /// month-first 12-hour text reads back as itself.
        #[test]
        fn written_times_read_back(
            micros in 315_532_800_000_000i64..4_102_444_800_000_000,
            offset_min in -840i32..=840,
        ) {
            let p = parse(format_epoch(micros, 6).as_bytes()).unwrap();
            proptest::prop_assert_eq!(p.micros, micros);
            let ts = jiff::Timestamp::from_microsecond(micros).unwrap();
            let offset = Offset::from_seconds(offset_min * 60).unwrap();
            let dt = offset.to_datetime(ts);
            let iso = format!("{}{}", dt.strftime("%Y-%m-%dT%H:%M:%S%.6f"), offset);
            let p = parse(iso.as_bytes()).unwrap();
            proptest::prop_assert_eq!((p.micros, p.zone), (micros, Zone::Given), "{}", iso);
            let us = dt.strftime("%-m/%-d/%Y %-I:%M:%S%.6f %p").to_string();
            let p = parse(us.as_bytes()).unwrap();
            let zone = LocalZone::from_arg(&offset.to_string()).unwrap();
            proptest::prop_assert_eq!(p.resolve(Some(&zone)), micros, "{}", us);
        }
    }
}
