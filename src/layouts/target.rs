//! What a source field means: the vocabulary every field map is written in.
//!
//! A [`FieldMap`] is a table from a layout's field names (full dotted paths
//! for nested JSON, column names for CSV) to a [`Target`] and a [`Prio`].
//! The [`super::builder::EventBuilder`] is the only code that acts on a
//! target; the tables hold no code.

/// The CIM `Endpoint.Processes` fields a record is mapped onto, in column
/// order (the discriminant is the column), and the one field of our own
/// the command reads besides them: the grandparent's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cim {
    /// `_time`.
    Time,
    /// `dest`.
    Dest,
    /// `user`.
    User,
    /// `parent_process` (its command line).
    ParentProcess,
    /// `parent_process_name`.
    ParentProcessName,
    /// `parent_process_path`.
    ParentProcessPath,
    /// `parent_process_id`.
    ParentProcessId,
    /// `parent_process_guid`.
    ParentProcessGuid,
    /// `process` (the command line).
    Process,
    /// `process_name`.
    ProcessName,
    /// `process_path`.
    ProcessPath,
    /// `process_id`.
    ProcessId,
    /// `process_guid`.
    ProcessGuid,
    /// `original_file_name`.
    OriginalFileName,
    /// `process_integrity_level`.
    ProcessIntegrityLevel,
    /// `process_hash`.
    ProcessHash,
    /// `process_current_directory`.
    ProcessCurrentDirectory,
    /// `vendor_product`.
    VendorProduct,
    /// `signature_id`.
    SignatureId,
    /// `grandparent_process_name`: not CIM (CIM has no grandparent), the
    /// command's own field, which lineage reads (EDR rows name their
    /// process's grandparent; see `crate::lineage::facts::GRANDPARENT_FIELDS`).
    GrandparentProcessName,
}

/// The CIM fields' names, in column order (index = [`Cim`] discriminant).
pub const CIM_FIELDS: [&str; 20] = [
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
    "grandparent_process_name",
];

/// Every [`Cim`] field, in column order.
pub const CIM_ALL: [Cim; 20] = [
    Cim::Time,
    Cim::Dest,
    Cim::User,
    Cim::ParentProcess,
    Cim::ParentProcessName,
    Cim::ParentProcessPath,
    Cim::ParentProcessId,
    Cim::ParentProcessGuid,
    Cim::Process,
    Cim::ProcessName,
    Cim::ProcessPath,
    Cim::ProcessId,
    Cim::ProcessGuid,
    Cim::OriginalFileName,
    Cim::ProcessIntegrityLevel,
    Cim::ProcessHash,
    Cim::ProcessCurrentDirectory,
    Cim::VendorProduct,
    Cim::SignatureId,
    Cim::GrandparentProcessName,
];

impl Cim {
    /// The column.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The CIM name.
    pub fn name(self) -> &'static str {
        CIM_FIELDS[self.index()]
    }
}

/// The new process or its creator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The process created.
    Process,
    /// The process that created it.
    Parent,
}

/// How much a value is trusted when two fields give the same CIM field:
/// the higher wins; between equals the later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prio {
    /// Read from rendered text or a summary when nothing better is there
    /// (a `Message` line, an ECS document's leftover `winlog.event_data`,
    /// a shipper's host name).
    Fallback = 1,
    /// A field of the event.
    Event = 2,
    /// A CIM name given as such: it wins over anything derived.
    Cim = 3,
}

/// A time field: its rank among the times a record may carry (lower wins,
/// see [`super::builder`]) and whether a zone-less value is UTC by the
/// layout's definition (Sysmon's `UtcTime`, EvtxECmd's `TimeCreated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeField {
    /// Rank: 0 CIM `_time`, 1 `firstTime`, 2 Sysmon `UtcTime`, 3 the
    /// record's creation time, 4 a host's local time (NXLog `EventTime`),
    /// 5 a shipper's `@timestamp`, 6 a receive time.
    pub rank: u8,
    /// A zone-less value is UTC (not read in `--timezone`, not noted).
    pub utc: bool,
}

/// A cell or value that holds more fields, read with its own map.
#[derive(Debug, Clone, Copy)]
pub enum Payload {
    /// An object, or text holding one as JSON (EvtxECmd's `Payload`,
    /// Velociraptor's `EventData`, Kibana's `_source`) or as `<Data
    /// Name='…'>` elements.
    Json(&'static FieldMap),
    /// `Key: value` pairs joined by ` ¦ ` (hayabusa `Details`,
    /// `ExtraFieldInfo`, `AllFieldInfo`).
    Pairs(&'static FieldMap),
    /// `Key: value` lines (chainsaw's CSV `Event Data`, a YAML block).
    Lines(&'static FieldMap),
    /// A Splunk `_raw`: an `<Event>` (XmlWinEventLog), classic
    /// `WinEventLog` text, or a JSON event.
    Raw,
}

/// What a source field is.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// A CIM field, as it is.
    Cim(Cim),
    /// A full path: the path, and the file name derived from it.
    Path(Side),
    /// The PID of the same side, as it is.
    Pid(Side),
    /// Windows EventData `ProcessId`: Sysmon's new process, but Security
    /// 4688's *creator* (decided when the event ID is known).
    EventPid,
    /// Security 4688's `NewProcessId`.
    NewProcessId,
    /// The user as `DOMAIN\name` or a name.
    User,
    /// A user's name, joined with [`Target::UserDomain`] (ECS, HELK).
    UserName,
    /// A user's domain.
    UserDomain,
    /// 4688's subject: the creator's account name …
    SubjectName,
    /// … its domain …
    SubjectDomain,
    /// … and its SID (used when there is no name).
    SubjectSid,
    /// The integrity level (lower-cased, as CIM has it).
    Integrity,
    /// A time.
    Time(TimeField),
    /// A time written as whole epoch units of 10^-n seconds (3:
    /// milliseconds, 9: nanoseconds) when it is digits only; other text is
    /// read as [`Target::Time`] reads it.
    EpochTime(TimeField, u8),
    /// The grandparent (the creator's creator), by name or path: its file
    /// name is kept.
    Grandparent,
    /// The record's event type, where a layout names it: a process creation
    /// when the value is one of these (ASCII case ignored). Any other value
    /// makes the record another event, counted under its values. A record
    /// may have several (Cortex XDR's type and sub-type): all must be one
    /// of theirs.
    Kind(&'static [&'static str]),
    /// The event ID.
    EventId,
    /// The channel (log name).
    Channel,
    /// The provider (source name).
    Provider,
    /// ECS `event.type`: `start` for a process start, `end` for its end.
    EventType,
    /// The record's number in its log (with host and channel, the key
    /// rows that repeat an event share).
    RecordId,
    /// The rendered message: Sysmon's `Key: value` lines, 4688's labelled
    /// lines; read for the fields nothing else gave.
    Message,
    /// PowerShell's `Properties`: the EventData values by position.
    Properties,
    /// More fields inside.
    Payload(Payload),
    /// Known, and not read on purpose (the logging process's PID, the
    /// logging account, a summary of other fields).
    Ignore,
}

/// A table entry: the table's name for the field, what it is, its
/// priority.
pub type Entry = (&'static str, Target, Prio);

/// One table: field names to what they are.
#[derive(Debug)]
pub struct FieldMap {
    /// Names (full paths) and their targets.
    pub fields: &'static [(&'static str, Target, Prio)],
    /// Names under a prefix, read with another map; a value read there is
    /// at most the given priority (an ECS document's `winlog.event_data`
    /// only fills what the ECS names left empty).
    pub nested: &'static [(&'static str, &'static FieldMap, Prio)],
    /// The names read at this level (own fields, then maps nested under no
    /// prefix), hashed: built once, on first use.
    index: std::sync::OnceLock<std::collections::HashMap<&'static str, Entry, Fnv>>,
}

/// FNV-1a: field names are short, and a map is looked up per field.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fnv;

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

/// The FNV-1a state.
#[derive(Debug)]
pub struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FieldMap {
    /// A table of `fields`, and `nested` maps under their prefixes.
    pub const fn new(
        fields: &'static [(&'static str, Target, Prio)],
        nested: &'static [(&'static str, &'static FieldMap, Prio)],
    ) -> FieldMap {
        FieldMap {
            fields,
            nested,
            index: std::sync::OnceLock::new(),
        }
    }

    /// Every name read under no prefix, first entry first.
    fn level(&self, cap: Prio, out: &mut std::collections::HashMap<&'static str, Entry, Fnv>) {
        for (n, t, p) in self.fields {
            out.entry(n).or_insert((n, *t, (*p).min(cap)));
        }
        for (prefix, map, inner) in self.nested {
            if prefix.is_empty() {
                map.level(cap.min(*inner), out);
            }
        }
    }

    /// What `name` is in this map, with its priority.
    pub fn lookup(&self, name: &str) -> Option<(Target, Prio)> {
        self.entry(name).map(|(_, t, p)| (t, p))
    }

    /// The table's own name for `name` (without the prefix it was found
    /// under: the name notes give), what it is, and its priority.
    pub fn entry(&self, name: &str) -> Option<Entry> {
        let index = self.index.get_or_init(|| {
            let mut out = std::collections::HashMap::with_hasher(Fnv);
            self.level(Prio::Cim, &mut out);
            out
        });
        if let Some(e) = index.get(name) {
            return Some(*e);
        }
        for (prefix, map, cap) in self.nested {
            if prefix.is_empty() {
                continue;
            }
            if let Some(rest) = name.strip_prefix(prefix) {
                if let Some((n, t, p)) = map.entry(rest) {
                    return Some((n, t, p.min(*cap)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cim_names_are_in_column_order() {
        for (i, c) in CIM_ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
        }
        assert_eq!(Cim::ProcessGuid.name(), "process_guid");
        assert_eq!(Cim::SignatureId.name(), "signature_id");
        assert_eq!(
            Cim::GrandparentProcessName.name(),
            crate::lineage::facts::GRANDPARENT_FIELDS[0]
        );
    }

    static INNER: FieldMap =
        FieldMap::new(&[("Image", Target::Path(Side::Process), Prio::Event)], &[]);
    static OUTER: FieldMap = FieldMap::new(
        &[("process.pid", Target::Pid(Side::Process), Prio::Event)],
        &[("winlog.event_data.", &INNER, Prio::Fallback)],
    );

    #[test]
    fn nested_names_are_read_with_their_map_at_most_its_priority() {
        assert!(matches!(
            OUTER.lookup("process.pid"),
            Some((Target::Pid(Side::Process), Prio::Event))
        ));
        assert!(matches!(
            OUTER.lookup("winlog.event_data.Image"),
            Some((Target::Path(Side::Process), Prio::Fallback))
        ));
        assert!(OUTER.lookup("Image").is_none());
        assert!(OUTER.lookup("winlog.event_data.Other").is_none());
    }
}
