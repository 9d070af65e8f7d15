//! Windows process-creation events (Sysmon Event ID 1, Security 4688) and
//! CIM-named objects, mapped onto `Endpoint.Processes` as
//! `docs/detection.md` §7 describes, so the rule sees the same row shape as in
//! Splunk.
//!
//! Names are derived from paths (`Image` → `process_path`, its basename →
//! `process_name`), as the Sysmon and Windows add-ons do. A CIM field given
//! explicitly wins over one derived from an event field.
//!
//! This is the one field map for events in every input kind: XML, `.evtx`,
//! JSON lines, and CSV whose header has Windows event names instead of CIM
//! names ([`header_shape`]).
//!
//! Sysmon EID 1 or Security 4688 is told by `EventID`/`EventCode` (and the
//! channel). Without an event ID (a CSV or JSON export that dropped it), an
//! event with `NewProcessName` or `NewProcessId` — names only 4688 has — is
//! read as 4688 (so `ProcessId` is the creator: `parent_process_id`), and one
//! with `Image` or `ParentImage` (or a CIM process field) as a process
//! creation.

use csv::ByteRecord;

use crate::notes::{FieldNotes, NoteKind};
use crate::records::mv;
use crate::rule::{basename, is_present};
use crate::time::{self, LocalZone, Parsed, Zone};

/// The CIM fields an event is mapped onto, in column order. Each gets an
/// `__mv_` companion column, as splunkd sends them.
pub const CIM_FIELDS: [&str; 19] = [
    "_time",
    "dest",
    "user",
    "parent_process",
    "parent_process_name",
    "parent_process_path",
    "parent_process_id",
    "parent_process_guid",
    "process",
    "process_name",
    "process_path",
    "process_id",
    "process_guid",
    "original_file_name",
    "process_integrity_level",
    "process_hash",
    "process_current_directory",
    "vendor_product",
    "signature_id",
];

const N: usize = CIM_FIELDS.len();

/// Event field names (the last segment of a dotted name) that name the
/// process or its parent: an event with one of them is a process creation
/// unless its event ID says otherwise.
pub const EVENT_PROCESS_FIELDS: [&str; 4] = [
    "Image",
    "ParentImage",
    "NewProcessName",
    "ParentProcessName",
];

/// How the rows under a CSV header are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderShape {
    /// A column has a name the rule reads ([`crate::rule::FIELDS`], plain or
    /// `Processes.`-prefixed): rows are `Endpoint.Processes` rows as they are.
    Cim,
    /// No CIM process column, but Windows event names
    /// ([`EVENT_PROCESS_FIELDS`]): each row is mapped as an event is.
    Events,
    /// Neither: no row can be a process creation.
    NoProcessField,
}

/// Classifies a CSV header (CIM names win over event names).
pub fn header_shape<'h>(names: impl IntoIterator<Item = &'h [u8]> + Clone) -> HeaderShape {
    let cim = |name: &[u8]| {
        let plain = name
            .strip_prefix(crate::records::DM_PREFIX.as_bytes())
            .unwrap_or(name);
        crate::rule::FIELDS.iter().any(|f| f.as_bytes() == plain)
    };
    let event = |name: &[u8]| {
        let last = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
        EVENT_PROCESS_FIELDS.iter().any(|f| f.as_bytes() == last)
    };
    if names.clone().into_iter().any(cim) {
        HeaderShape::Cim
    } else if names.into_iter().any(event) {
        HeaderShape::Events
    } else {
        HeaderShape::NoProcessField
    }
}

fn cim_index(name: &str) -> Option<usize> {
    CIM_FIELDS.iter().position(|f| *f == name)
}

/// The header row for mapped events: the CIM fields, then their `__mv_`
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

/// What an event turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Sysmon EID 1, Security 4688, or a CIM process row.
    ProcessCreation,
    /// Some other event (skipped, counted).
    Other,
}

/// 4688's subject: user name, domain, SID.
type SubjectUser = (Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);

/// Collects one event's fields, then writes the CIM row.
#[derive(Debug, Default)]
pub struct EventBuilder {
    explicit: [Vec<Vec<u8>>; N],
    derived: [Vec<Vec<u8>>; N],
    event_id: Option<u32>,
    channel: Option<String>,
    security_4688_user: SubjectUser,
    new_process_id: Option<Vec<u8>>,
    /// The best time seen so far (see [`time_rank`]).
    time: Option<TimeSeen>,
    /// The zone zone-less times are read in (`--timezone`; UTC without).
    local: Option<LocalZone>,
    /// Times present but unreadable, and times read without a zone.
    notes: FieldNotes,
    /// `NewProcessName` or `NewProcessId` seen: names only 4688 has.
    security_4688_names: bool,
    has_process_field: bool,
}

impl EventBuilder {
    /// Starts an empty event.
    pub fn new() -> EventBuilder {
        EventBuilder::default()
    }

    /// Reads zone-less times in `zone` (`scan --timezone`) instead of UTC.
    pub fn set_local_zone(&mut self, zone: Option<LocalZone>) {
        self.local = zone;
    }

    /// The notes taken since the last call: times present but unreadable,
    /// and times read without a zone.
    pub fn take_notes(&mut self) -> FieldNotes {
        std::mem::take(&mut self.notes)
    }

    /// Keeps a time field's value if it ranks above the one kept.
    fn offer_time(&mut self, field: &'static str, value: &[u8]) {
        let Some(rank) = time_rank(field) else { return };
        if !is_present(value) || self.time.as_ref().is_some_and(|t| t.rank <= rank) {
            return;
        }
        match time::parse(value) {
            Some(parsed) => {
                self.time = Some(TimeSeen {
                    rank,
                    parsed,
                    field,
                    text: value.to_vec(),
                })
            }
            None => self.notes.add(NoteKind::Unreadable, field, value),
        }
    }

    /// `_time`: the best time, as epoch seconds with the source's fraction
    /// digits; a zone-less time read in the local zone (UTC without one),
    /// except Sysmon's `UtcTime`, which is UTC by definition.
    fn settle_time(&mut self) {
        let i = cim_index("_time").unwrap_or(0);
        self.explicit[i].clear();
        self.derived[i].clear();
        let Some(t) = self.time.take() else { return };
        let utc_by_name = t.field == "UtcTime";
        let local = if utc_by_name {
            None
        } else {
            self.local.as_ref()
        };
        if t.parsed.zone == Zone::Naive && !utc_by_name {
            let kind = if local.is_some() {
                NoteKind::ZonelessLocal
            } else {
                NoteKind::ZonelessUtc
            };
            self.notes.add(kind, t.field, &t.text);
        }
        let epoch = time::format_epoch(t.parsed.resolve(local), t.parsed.digits);
        Self::put(&mut self.derived[i], epoch.as_bytes());
    }

    /// Clears for the next event (keeps allocations).
    pub fn clear(&mut self) {
        for v in self.explicit.iter_mut().chain(self.derived.iter_mut()) {
            v.clear();
        }
        self.event_id = None;
        self.channel = None;
        self.security_4688_user = (None, None, None);
        self.new_process_id = None;
        self.time = None;
        self.security_4688_names = false;
        self.has_process_field = false;
    }

    fn put(slot: &mut Vec<Vec<u8>>, value: &[u8]) {
        slot.clear();
        slot.push(value.to_vec());
    }

    fn derive(&mut self, field: &str, value: &[u8]) {
        if let Some(i) = cim_index(field) {
            Self::put(&mut self.derived[i], value);
        }
    }

    /// Adds a field by its source name. `name` may be a CIM name (plain or
    /// `Processes.`-prefixed) or a Windows/Sysmon event field name; a dotted
    /// JSON path is matched on its last segment (`winlog.event_data.Image`).
    /// Several values make a multivalue field.
    pub fn set(&mut self, name: &str, values: &[&[u8]]) {
        let Some(&value) = values.first() else { return };
        let last = name.rsplit('.').next().unwrap_or(name);
        let plain = if cim_index(name).is_some() {
            name
        } else {
            last
        };
        if plain == "_time" {
            self.offer_time("_time", value);
            return;
        }
        if let Some(i) = cim_index(plain) {
            if plain != "signature_id" {
                self.has_process_field |= plain.contains("process");
            }
            self.explicit[i] = values.iter().map(|v| v.to_vec()).collect();
            return;
        }
        match last {
            "Image" | "NewProcessName" => {
                self.has_process_field = true;
                self.security_4688_names |= last == "NewProcessName";
                self.derive("process_path", value);
                self.derive("process_name", basename(value));
            }
            "ParentImage" | "ParentProcessName" => {
                self.has_process_field = true;
                self.derive("parent_process_path", value);
                self.derive("parent_process_name", basename(value));
            }
            "OriginalFileName" => self.derive("original_file_name", value),
            "CommandLine" | "Process_Command_Line" => self.derive("process", value),
            "ParentCommandLine" => self.derive("parent_process", value),
            "User" => self.derive("user", value),
            "SubjectUserName" => self.security_4688_user.0 = Some(value.to_vec()),
            "SubjectDomainName" => self.security_4688_user.1 = Some(value.to_vec()),
            "SubjectUserSid" => self.security_4688_user.2 = Some(value.to_vec()),
            "Computer" | "Hostname" | "computer_name" | "ComputerName" => {
                self.derive("dest", value)
            }
            "ProcessId" => {
                // In 4688 `ProcessId` is the creator (parent); resolved in finish().
                self.derive("process_id", value)
            }
            "NewProcessId" => {
                self.security_4688_names = true;
                self.new_process_id = Some(value.to_vec())
            }
            "ParentProcessId" => self.derive("parent_process_id", value),
            "ProcessGuid" => self.derive("process_guid", value),
            "ParentProcessGuid" => self.derive("parent_process_guid", value),
            "IntegrityLevel" | "MandatoryLabel" => {
                self.derive("process_integrity_level", &value.to_ascii_lowercase())
            }
            "Hashes" => self.derive("process_hash", value),
            "CurrentDirectory" => self.derive("process_current_directory", value),
            "firstTime" | "UtcTime" | "SystemTime" | "TimeCreated" | "EventTime"
            | "TimeGenerated" | "@timestamp" | "EventReceivedTime" => {
                let field = TIME_FIELDS
                    .iter()
                    .find(|(f, _)| *f == last)
                    .map_or("_time", |(f, _)| f);
                self.offer_time(field, value);
            }
            "EventID" | "EventCode" | "event_id" | "EventId" | "code" => {
                if let Some(id) = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                {
                    self.event_id = Some(id);
                }
            }
            "Channel" | "SourceName" | "ProviderName" | "Provider" | "channel"
            | "provider_name"
                if self.channel.is_none() =>
            {
                self.channel = Some(String::from_utf8_lossy(value).into_owned());
            }
            _ => {}
        }
    }

    /// Decides the kind and writes the CIM row (plain columns, then `__mv_`).
    pub fn finish(&mut self, record: &mut ByteRecord) -> EventKind {
        self.settle_time();
        if self.event_id.is_none() && self.security_4688_names {
            self.event_id = Some(4688);
        }
        let kind = match self.event_id {
            Some(1) => {
                let sysmon = self.channel.as_deref().is_none_or(|c| c.contains("Sysmon"));
                if sysmon {
                    EventKind::ProcessCreation
                } else {
                    EventKind::Other
                }
            }
            Some(4688) => {
                // 4688: ProcessId is the creator; NewProcessId the new process.
                let pid = cim_index("process_id").unwrap_or(0);
                let ppid = cim_index("parent_process_id").unwrap_or(0);
                if self.derived[ppid].is_empty() {
                    self.derived[ppid] = std::mem::take(&mut self.derived[pid]);
                }
                if let Some(npid) = self.new_process_id.take() {
                    Self::put(&mut self.derived[pid], &npid);
                }
                if self.derived[cim_index("user").unwrap_or(0)].is_empty() {
                    let user = match &self.security_4688_user {
                        (Some(name), Some(domain), _) if !domain.is_empty() && domain != b"-" => {
                            let mut u = domain.clone();
                            u.push(b'\\');
                            u.extend_from_slice(name);
                            Some(u)
                        }
                        (Some(name), _, _) => Some(name.clone()),
                        (None, _, Some(sid)) => Some(sid.clone()),
                        _ => None,
                    };
                    if let Some(u) = user {
                        self.derive("user", &u);
                    }
                }
                EventKind::ProcessCreation
            }
            Some(_) => EventKind::Other,
            None if self.has_process_field => EventKind::ProcessCreation,
            None => EventKind::Other,
        };
        let sig = cim_index("signature_id").unwrap_or(0);
        self.derived[sig].clear();
        if let Some(id) = self.event_id.filter(|_| kind == EventKind::ProcessCreation) {
            Self::put(&mut self.derived[sig], id.to_string().as_bytes());
        }
        if self.derived[cim_index("vendor_product").unwrap_or(0)].is_empty() {
            let vp: &[u8] = match self.event_id {
                Some(1) => b"Microsoft Sysmon",
                Some(4688) => b"Microsoft Windows",
                _ => b"",
            };
            if !vp.is_empty() {
                self.derive("vendor_product", vp);
            }
        }
        record.clear();
        for i in 0..N {
            let values = self.values(i);
            match values.len() {
                0 => record.push_field(b""),
                1 => record.push_field(&values[0]),
                _ => record.push_field(&values.join(&b'\n')),
            }
        }
        let mut cell = Vec::new();
        for i in 0..N {
            cell.clear();
            let values = self.values(i);
            mv::encode(values.iter().map(|v| v.as_slice()), &mut cell);
            record.push_field(&cell);
        }
        kind
    }

    fn values(&self, i: usize) -> &[Vec<u8>] {
        if self.explicit[i].is_empty() {
            &self.derived[i]
        } else {
            &self.explicit[i]
        }
    }
}

/// A time field an event was seen with.
#[derive(Debug, Clone)]
struct TimeSeen {
    rank: u8,
    parsed: Parsed,
    field: &'static str,
    text: Vec<u8>,
}

/// The fields `_time` is taken from, best first: CIM `_time`, tstats
/// `firstTime`, then the event's own time — Sysmon `UtcTime`, the record's
/// `SystemTime` (XML) or `TimeCreated` (exports), NXLog's `EventTime` and
/// `TimeGenerated` (the host's local time) — ahead of a shipper's:
/// `@timestamp` (Winlogbeat writes the event's time there, but Logstash
/// writes the time it received the event) and NXLog's `EventReceivedTime`.
pub const TIME_FIELDS: [(&str, u8); 9] = [
    ("_time", 0),
    ("firstTime", 1),
    ("UtcTime", 2),
    ("SystemTime", 3),
    ("TimeCreated", 3),
    ("EventTime", 4),
    ("TimeGenerated", 4),
    ("@timestamp", 5),
    ("EventReceivedTime", 6),
];

fn time_rank(field: &str) -> Option<u8> {
    TIME_FIELDS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, rank)| *rank)
}

/// Formats epoch seconds text (`1579034690.348`) as
/// `2020-01-14 20:44:50` (UTC); other text is returned unchanged.
pub fn epoch_to_display(text: &str) -> String {
    time::display_utc(text).unwrap_or_else(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_text_displays_as_utc() {
        assert_eq!(epoch_to_display("1579034690.348"), "2020-01-14 20:44:50");
        assert_eq!(
            epoch_to_display("2021-11-23T14:05:09"),
            "2021-11-23T14:05:09"
        );
        assert_eq!(epoch_to_display(""), "");
    }

    fn row(fields: &[(&str, &str)]) -> (EventKind, Vec<String>) {
        let mut b = EventBuilder::new();
        for (k, v) in fields {
            b.set(k, &[v.as_bytes()]);
        }
        let mut rec = ByteRecord::new();
        let kind = b.finish(&mut rec);
        (
            kind,
            rec.iter()
                .take(N)
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect(),
        )
    }

    fn get<'a>(r: &'a [String], f: &str) -> &'a str {
        &r[cim_index(f).unwrap()]
    }

    #[test]
    fn sysmon_fields_map_onto_cim_with_names_from_paths() {
        let (kind, r) = row(&[
            ("EventID", "1"),
            ("Channel", "Microsoft-Windows-Sysmon/Operational"),
            ("Image", "C:\\Windows\\System32\\rundll32.exe"),
            ("ParentImage", "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"),
            ("Computer", "WS1"),
            ("UtcTime", "2020-01-14 20:44:50.348"),
            ("IntegrityLevel", "High"),
            ("ProcessId", "4180"),
            ("ParentProcessId", "3000"),
            ("ProcessGuid", "{747f3d96-2842-5e1e-0000-00100c417a00}"),
            (
                "ParentProcessGuid",
                "{747f3d96-0001-5e1e-0000-0010aaaaaaaa}",
            ),
            ("CommandLine", "rundll32 url.dll,OpenURL x"),
            ("ParentCommandLine", "wmiprvse.exe -Embedding"),
        ]);
        assert_eq!(kind, EventKind::ProcessCreation);
        // What process lineage links on: GUIDs, or host + PID + time.
        assert_eq!(get(&r, "process_id"), "4180");
        assert_eq!(get(&r, "parent_process_id"), "3000");
        assert_eq!(
            get(&r, "process_guid"),
            "{747f3d96-2842-5e1e-0000-00100c417a00}"
        );
        assert_eq!(
            get(&r, "parent_process_guid"),
            "{747f3d96-0001-5e1e-0000-0010aaaaaaaa}"
        );
        assert_eq!(get(&r, "process"), "rundll32 url.dll,OpenURL x");
        assert_eq!(get(&r, "parent_process"), "wmiprvse.exe -Embedding");
        assert_eq!(get(&r, "process_name"), "rundll32.exe");
        assert_eq!(get(&r, "parent_process_name"), "WmiPrvSE.exe");
        assert_eq!(get(&r, "dest"), "WS1");
        assert_eq!(get(&r, "_time"), "1579034690.348");
        assert_eq!(get(&r, "process_integrity_level"), "high");
        assert_eq!(get(&r, "vendor_product"), "Microsoft Sysmon");
    }

    #[test]
    fn other_events_and_other_channels_are_not_process_creations() {
        assert_eq!(
            row(&[("EventID", "3"), ("Image", "x.exe")]).0,
            EventKind::Other
        );
        assert_eq!(
            row(&[("EventID", "1"), ("Channel", "System"), ("Image", "x.exe")]).0,
            EventKind::Other
        );
        assert_eq!(row(&[("message", "hello")]).0, EventKind::Other);
    }

    #[test]
    fn security_4688_maps_creator_and_new_process_ids() {
        let (kind, r) = row(&[
            ("EventID", "4688"),
            ("NewProcessName", "C:\\Windows\\System32\\mshta.exe"),
            (
                "ParentProcessName",
                "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            ),
            ("ProcessId", "0x1f4"),
            ("SubjectUserName", "alice"),
            ("SubjectDomainName", "CORP"),
            ("NewProcessId", "0x2a0"),
        ]);
        assert_eq!(kind, EventKind::ProcessCreation);
        assert_eq!(get(&r, "process_id"), "0x2a0");
        assert_eq!(get(&r, "parent_process_id"), "0x1f4");
        assert_eq!(get(&r, "user"), "CORP\\alice");
        assert_eq!(get(&r, "process_name"), "mshta.exe");
    }

    #[test]
    fn security_4688_names_without_an_event_id_are_read_as_4688() {
        let (kind, r) = row(&[
            ("NewProcessName", "C:\\Windows\\System32\\mshta.exe"),
            ("ProcessId", "0x1f4"),
            ("NewProcessId", "0x2a0"),
            ("SubjectUserName", "alice"),
        ]);
        assert_eq!(kind, EventKind::ProcessCreation);
        assert_eq!(get(&r, "process_id"), "0x2a0");
        assert_eq!(get(&r, "parent_process_id"), "0x1f4");
        assert_eq!(get(&r, "user"), "alice");
        assert_eq!(get(&r, "signature_id"), "4688");
        assert_eq!(get(&r, "vendor_product"), "Microsoft Windows");
        // Sysmon names keep ProcessId as the process itself.
        let (_, r) = row(&[("Image", "C:\\x\\a.exe"), ("ProcessId", "42")]);
        assert_eq!(get(&r, "process_id"), "42");
        assert_eq!(get(&r, "parent_process_id"), "");
        assert_eq!(get(&r, "signature_id"), "");
    }

    #[test]
    fn csv_headers_are_cim_then_event_names_else_unusable() {
        let shape = |names: &[&str]| header_shape(names.iter().map(|n| n.as_bytes()));
        assert_eq!(shape(&["_time", "process_name"]), HeaderShape::Cim);
        assert_eq!(shape(&["Processes.parent_process_path"]), HeaderShape::Cim);
        assert_eq!(shape(&["Image", "process_name"]), HeaderShape::Cim);
        assert_eq!(shape(&["UtcTime", "ParentImage"]), HeaderShape::Events);
        assert_eq!(
            shape(&["winlog.event_data.NewProcessName"]),
            HeaderShape::Events
        );
        assert_eq!(shape(&["a", "b", "c"]), HeaderShape::NoProcessField);
        assert_eq!(
            shape(&["process", "process_id", "ImageLoaded"]),
            HeaderShape::NoProcessField
        );
        assert_eq!(shape(&[]), HeaderShape::NoProcessField);
    }

    #[test]
    fn explicit_cim_fields_win_over_derived_ones() {
        let (kind, r) = row(&[
            ("Image", "C:\\x\\renamed.exe"),
            ("Processes.process_name", "given.exe"),
        ]);
        assert_eq!(kind, EventKind::ProcessCreation);
        assert_eq!(get(&r, "process_name"), "given.exe");
        assert_eq!(get(&r, "process_path"), "C:\\x\\renamed.exe");
    }

    #[test]
    fn multivalue_fields_get_mv_cells() {
        let mut b = EventBuilder::new();
        b.set("process_name", &[b"a.exe", b"b.exe"]);
        let mut rec = ByteRecord::new();
        b.finish(&mut rec);
        let i = cim_index("process_name").unwrap();
        assert_eq!(&rec[i], b"a.exe\nb.exe");
        assert_eq!(&rec[N + i], b"$a.exe$;$b.exe$");
    }
}
