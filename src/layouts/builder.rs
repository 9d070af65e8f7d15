//! One record's fields, gathered through a [`FieldMap`] and written as a
//! CIM `Endpoint.Processes` row: the only code that acts on a [`Target`].
//!
//! * Names are derived from paths (`Image` → `process_path`, its file name
//!   → `process_name`), as the Sysmon and Windows add-ons do.
//! * When two fields give one CIM field, the higher [`Prio`] wins (a CIM
//!   name over a Windows name over a `Message` line), the later between
//!   equals.
//! * Sysmon 1 or Security 4688 is told by the event ID (and the channel or
//!   provider). Without one, `NewProcessName`/`NewProcessId` — names only
//!   4688 has — mean 4688, so `ProcessId` is the creator; any process
//!   field means a process creation.
//! * A layout that names its event type ([`Target::Kind`]: Defender's
//!   `ActionType`, CrowdStrike's `event_simpleName`, …) decides the kind
//!   by it: the values it lists are process creations, any other is
//!   another event, labelled by its values.
//! * `_time` is the best time by rank (see [`TimeField`]), written as
//!   epoch seconds with the source's fraction digits; a zone-less time is
//!   read in `--timezone` (UTC without), unless the layout says it is UTC.

use csv::ByteRecord;

use super::target::{Cim, FieldMap, Payload, Prio, Side, Target, TimeField, CIM_ALL};
use super::windows::{positional_names, EVENT_DATA};

pub use super::row::{cim_header, epoch_to_display, event_label};
use crate::notes::FieldNotes;
use crate::records::mv;
use crate::rule::{basename, is_present};
use crate::time::LocalZone;

const N: usize = CIM_ALL.len();

/// What a record turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Sysmon EID 1, Security 4688, or a CIM process row.
    ProcessCreation,
    /// Some other event (skipped, counted).
    Other,
}

use times::TimeSeen;

/// A value kept until the event ID is known, with its priority.
type Held = Option<(Vec<u8>, Prio)>;

/// Payloads inside payloads are read this deep (a Splunk `_raw` holding
/// JSON whose `Payload` holds JSON …).
const MAX_NESTING: u8 = 3;

/// Collects one record's fields, then writes the CIM row.
#[derive(Debug, Default)]
pub struct EventBuilder {
    values: [Vec<Vec<u8>>; N],
    prio: [Option<Prio>; N],
    event_id: Option<u32>,
    channel: Option<String>,
    provider: Option<String>,
    record_id: Option<Vec<u8>>,
    event_pid: Held,
    new_process_id: Held,
    /// 4688's subject: name, domain, SID.
    subject: [Option<Vec<u8>>; 3],
    /// ECS/HELK's user: name, domain.
    user_parts: [Option<Vec<u8>>; 2],
    /// ECS `event.type`: (a `start` seen, an `end` seen).
    event_type: (bool, bool),
    /// A layout's event type ([`Target::Kind`]): every one seen is a
    /// process creation's (`None`: none seen), and the values, for the
    /// label.
    kind: Option<bool>,
    kind_values: Vec<String>,
    message: Option<Vec<u8>>,
    properties: Option<Vec<Vec<u8>>>,
    time: Option<TimeSeen>,
    local: Option<LocalZone>,
    notes: FieldNotes,
    /// `NewProcessName` or `NewProcessId` seen: names only 4688 has.
    security_4688_names: bool,
    has_process_field: bool,
    nesting: u8,
    /// A payload that could not be read (said once per record).
    problem: Option<String>,
}

impl EventBuilder {
    /// Starts an empty record.
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

    /// Clears for the next record (keeps allocations).
    pub fn clear(&mut self) {
        for v in &mut self.values {
            v.clear();
        }
        self.prio = [None; N];
        self.event_id = None;
        self.channel = None;
        self.provider = None;
        self.record_id = None;
        self.event_pid = None;
        self.new_process_id = None;
        self.subject = [None, None, None];
        self.user_parts = [None, None];
        self.event_type = (false, false);
        self.kind = None;
        self.kind_values.clear();
        self.message = None;
        self.properties = None;
        self.time = None;
        self.security_4688_names = false;
        self.has_process_field = false;
        self.nesting = 0;
        self.problem = None;
    }

    /// A payload of this record that could not be read, once.
    pub fn take_problem(&mut self) -> Option<String> {
        self.problem.take()
    }

    fn note_problem(&mut self, problem: String) {
        if self.problem.is_none() {
            self.problem = Some(problem);
        }
    }

    /// Adds the field `name` as `map` reads it (a name the map does not
    /// know is not read). Several values make a multivalue field.
    pub fn set(&mut self, map: &FieldMap, name: &str, values: &[&[u8]]) {
        if let Some((key, target, prio)) = map.entry(name) {
            self.apply(key, target, prio, values);
        }
    }

    fn put(&mut self, cim: Cim, prio: Prio, values: &[&[u8]]) {
        let i = cim.index();
        if self.prio[i].is_some_and(|p| p > prio) {
            return;
        }
        self.prio[i] = Some(prio);
        self.values[i].clear();
        self.values[i].extend(values.iter().map(|v| v.to_vec()));
    }

    /// Puts `value` where nothing, or something less trusted, is.
    fn fill(&mut self, cim: Cim, prio: Prio, value: &[u8]) {
        if self.prio[cim.index()].is_none_or(|p| p < prio) {
            self.put(cim, prio, &[value]);
        }
    }

    fn hold(slot: &mut Held, prio: Prio, value: &[u8]) {
        if slot.as_ref().is_none_or(|(_, p)| *p <= prio) {
            *slot = Some((value.to_vec(), prio));
        }
    }

    /// Acts on one field: `key` is its name in the table (for notes).
    /// An empty value (a CSV's empty cell) says nothing: it never hides a
    /// less trusted field's value, nor makes a record another event.
    pub fn apply(&mut self, key: &'static str, target: Target, prio: Prio, values: &[&[u8]]) {
        let Some(&value) = values.first() else { return };
        if value.is_empty() && values.len() == 1 {
            return;
        }
        match target {
            Target::Cim(cim) => {
                if !matches!(cim, Cim::SignatureId | Cim::GrandparentProcessName)
                    && cim.name().contains("process")
                {
                    self.has_process_field = true;
                }
                self.put(cim, prio, values);
            }
            Target::Path(side) => {
                self.has_process_field = true;
                self.security_4688_names |= key == "NewProcessName";
                let (path, name) = match side {
                    Side::Process => (Cim::ProcessPath, Cim::ProcessName),
                    Side::Parent => (Cim::ParentProcessPath, Cim::ParentProcessName),
                };
                self.put(path, prio, &[value]);
                self.put(name, prio, &[basename(value)]);
            }
            Target::Pid(side) => {
                self.has_process_field = true;
                let cim = match side {
                    Side::Process => Cim::ProcessId,
                    Side::Parent => Cim::ParentProcessId,
                };
                self.put(cim, prio, &[value]);
            }
            Target::EventPid => Self::hold(&mut self.event_pid, prio, value),
            Target::NewProcessId => {
                self.security_4688_names = true;
                Self::hold(&mut self.new_process_id, prio, value);
            }
            Target::User => self.put(Cim::User, prio, &[value]),
            Target::UserName => self.user_parts[0] = Some(value.to_vec()),
            Target::UserDomain => self.user_parts[1] = Some(value.to_vec()),
            Target::SubjectName => self.subject[0] = Some(value.to_vec()),
            Target::SubjectDomain => self.subject[1] = Some(value.to_vec()),
            Target::SubjectSid => self.subject[2] = Some(value.to_vec()),
            Target::Integrity => self.put(
                Cim::ProcessIntegrityLevel,
                prio,
                &[&value.to_ascii_lowercase()],
            ),
            Target::Time(field) => self.offer_time(key, field, value, None),
            Target::EpochTime(field, scale) => self.offer_time(key, field, value, Some(scale)),
            Target::Grandparent => self.put(Cim::GrandparentProcessName, prio, &[basename(value)]),
            Target::Kind(accepted) => {
                let text = String::from_utf8_lossy(value.trim_ascii());
                let ok = accepted.iter().any(|a| a.eq_ignore_ascii_case(&text));
                self.kind = Some(self.kind.unwrap_or(true) && ok);
                self.kind_values.push(text.into_owned());
            }
            Target::EventId => {
                if let Some(id) = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                {
                    self.event_id = Some(id);
                }
            }
            Target::Channel => {
                self.channel
                    .get_or_insert_with(|| String::from_utf8_lossy(value).into_owned());
            }
            Target::Provider => {
                self.provider
                    .get_or_insert_with(|| String::from_utf8_lossy(value).into_owned());
            }
            Target::EventType => {
                for v in values {
                    self.event_type.0 |= v.eq_ignore_ascii_case(b"start");
                    self.event_type.1 |= v.eq_ignore_ascii_case(b"end");
                }
            }
            Target::RecordId => self.record_id = Some(value.trim_ascii().to_vec()),
            Target::Message => self.message = Some(value.to_vec()),
            Target::Properties => {
                self.properties = Some(values.iter().map(|v| v.to_vec()).collect())
            }
            Target::Payload(payload) => self.payload(key, payload, value),
            Target::Ignore => {}
        }
    }

    /// Reads a cell that holds more fields.
    pub fn payload(&mut self, key: &str, payload: Payload, text: &[u8]) {
        if self.nesting >= MAX_NESTING || !is_present(text.trim_ascii()) {
            return;
        }
        self.nesting += 1;
        let read = match payload {
            Payload::Json(map) => super::walk::load_text(text, map, self),
            Payload::Pairs(map) => {
                super::text::pairs(text, map, self);
                Ok(())
            }
            Payload::Lines(map) => {
                super::text::yaml_lines(text, map, self);
                Ok(())
            }
            Payload::Raw => super::text::raw(text, self),
        };
        self.nesting -= 1;
        if let Err(why) = read {
            self.note_problem(format!("its {key} was not read: {why}"));
        }
    }

    /// Enters a nested object read with another map (see [`super::walk`]).
    pub(super) fn nest(&mut self) -> bool {
        if self.nesting >= MAX_NESTING {
            return false;
        }
        self.nesting += 1;
        true
    }

    pub(super) fn unnest(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    fn is_empty(&self, cim: Cim) -> bool {
        self.prio[cim.index()].is_none()
    }

    /// Reads the rendered texts kept for the fields nothing else gave:
    /// PowerShell's positional `Properties`, then the `Message`.
    fn read_texts(&mut self) {
        if let (Some(values), Some(id)) = (self.properties.take(), self.event_id) {
            if let Some(names) = positional_names(id, values.len()) {
                for (name, value) in names.iter().zip(&values) {
                    self.set(&EVENT_DATA, name, &[value]);
                }
            }
        }
        let wanted = [
            Cim::ProcessPath,
            Cim::ParentProcessPath,
            Cim::ProcessId,
            Cim::ParentProcessId,
            Cim::Process,
            Cim::User,
        ];
        let missing = wanted.iter().any(|c| self.is_empty(*c))
            || (self.event_pid.is_none() && self.new_process_id.is_none());
        if matches!(self.event_id, None | Some(1) | Some(4688)) && missing {
            if let Some(message) = self.message.take() {
                if let Some(id) = super::text::message(&message, self) {
                    self.event_id.get_or_insert(id);
                }
            }
        }
    }

    /// The user from its parts: `DOMAIN\name`, a name, or a SID.
    fn settle_user(&mut self) {
        if !self.is_empty(Cim::User) {
            return;
        }
        let join = |name: &Option<Vec<u8>>, domain: &Option<Vec<u8>>| match (name, domain) {
            (Some(name), Some(domain))
                if !domain.is_empty() && domain != b"-" && !name.contains(&b'\\') =>
            {
                let mut u = domain.clone();
                u.push(b'\\');
                u.extend_from_slice(name);
                Some(u)
            }
            (Some(name), _) => Some(name.clone()),
            _ => None,
        };
        let user = join(&self.user_parts[0], &self.user_parts[1])
            .or_else(|| join(&self.subject[0], &self.subject[1]))
            .or_else(|| self.subject[2].clone());
        if let Some(u) = user {
            self.put(Cim::User, Prio::Event, &[&u]);
        }
    }

    fn is_sysmon(&self) -> bool {
        match (&self.channel, &self.provider) {
            (None, None) => true,
            (c, p) => [c, p]
                .iter()
                .any(|s| s.as_deref().is_some_and(|s| s.contains("Sysmon"))),
        }
    }

    /// Decides the kind and writes the CIM row (plain columns, then `__mv_`).
    pub fn finish(&mut self, record: &mut ByteRecord) -> EventKind {
        self.read_texts();
        self.settle_time();
        if self.event_id.is_none() && self.security_4688_names {
            self.event_id = Some(4688);
        }
        let kind = match self.event_id {
            _ if self.kind.is_some() => {
                if self.kind == Some(true) {
                    EventKind::ProcessCreation
                } else {
                    EventKind::Other
                }
            }
            Some(1) if self.is_sysmon() => EventKind::ProcessCreation,
            Some(4688) => {
                // 4688: ProcessId is the creator; NewProcessId the new process.
                if let Some((pid, prio)) = self.event_pid.take() {
                    self.fill(Cim::ParentProcessId, prio, &pid);
                }
                if let Some((pid, prio)) = self.new_process_id.take() {
                    self.fill(Cim::ProcessId, prio, &pid);
                }
                EventKind::ProcessCreation
            }
            Some(_) => EventKind::Other,
            None if self.has_process_field && (self.event_type.0 || !self.event_type.1) => {
                EventKind::ProcessCreation
            }
            None => EventKind::Other,
        };
        if let Some((pid, prio)) = self.event_pid.take() {
            self.fill(Cim::ProcessId, prio, &pid);
        }
        self.settle_user();
        let sig = Cim::SignatureId.index();
        if self.prio[sig] != Some(Prio::Cim) {
            self.values[sig].clear();
            self.prio[sig] = None;
            if let Some(id) = self.event_id.filter(|_| kind == EventKind::ProcessCreation) {
                self.put(Cim::SignatureId, Prio::Event, &[id.to_string().as_bytes()]);
            }
        }
        if self.is_empty(Cim::VendorProduct) {
            let vp: &[u8] = match self.event_id {
                Some(1) => b"Microsoft Sysmon",
                Some(4688) => b"Microsoft Windows",
                _ => b"",
            };
            if !vp.is_empty() {
                self.put(Cim::VendorProduct, Prio::Event, &[vp]);
            }
        }
        record.clear();
        for values in &self.values {
            match values.len() {
                0 => record.push_field(b""),
                1 => record.push_field(&values[0]),
                _ => record.push_field(&values.join(&b'\n')),
            }
        }
        let mut cell = Vec::new();
        for values in &self.values {
            cell.clear();
            mv::encode(values.iter().map(|v| v.as_slice()), &mut cell);
            record.push_field(&cell);
        }
        kind
    }

    /// Names the product a layout's records come from (`vendor_product`),
    /// unless the record names one.
    pub fn vendor(&mut self, product: &str) {
        self.fill(Cim::VendorProduct, Prio::Fallback, product.as_bytes());
    }

    /// After [`EventBuilder::finish`]: true when a process creation has
    /// neither a process nor a parent name or path.
    pub fn unread(&self) -> bool {
        [
            Cim::ProcessName,
            Cim::ProcessPath,
            Cim::ParentProcessName,
            Cim::ParentProcessPath,
        ]
        .iter()
        .all(|c| !self.values[c.index()].iter().any(|v| is_present(v)))
    }

    /// After [`EventBuilder::finish`]: which event this is, for the line
    /// that says what a file holds (`Security 4624`, `Sysmon 3`).
    pub fn label(&self) -> String {
        if !self.kind_values.is_empty() {
            return self.kind_values.join("/");
        }
        event_label(
            self.channel.as_deref().or(self.provider.as_deref()),
            self.event_id,
        )
    }

    /// After [`EventBuilder::finish`]: what identifies the event a row
    /// repeats (host, channel, record number), hashed; `None` without a
    /// record number.
    pub fn repeat_key(&self) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        let record = self.record_id.as_ref()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.values[Cim::Dest.index()].hash(&mut h);
        self.channel.hash(&mut h);
        self.provider.hash(&mut h);
        record.hash(&mut h);
        Some(h.finish())
    }
}

#[path = "builder_times.rs"]
mod times;

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
