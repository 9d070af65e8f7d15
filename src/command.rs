//! `| wmilolbas`: the search command as the SCPv2 session sees it — options
//! and catalog from getinfo, each execute body through one
//! [`Transform`], and the end-of-search warning when no row could match.
//! The work itself is in [`crate::transform`].

use std::io;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::lineage::stats::{self as lineage_stats, Level};
use crate::lineage::Stats as LineageStats;
use crate::options::Options;
use crate::protocol::message::{GetInfo, Message};
use crate::protocol::session::Command;
use crate::rule::catalog;
use crate::transform::Transform;

/// The getinfo `type` the command declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandType {
    /// May run on indexers (distributable streaming).
    Streaming,
    /// Search head only (Splunk Cloud-safe package).
    Stateful,
}

impl CommandType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandType::Streaming => "streaming",
            CommandType::Stateful => "stateful",
        }
    }
}

/// The SCPv2 command: options from getinfo, then one [`Transform`] per
/// session.
pub struct SearchCommand {
    kind: CommandType,
    app_dir: Option<PathBuf>,
    transform: Option<Transform>,
    rows: u64,
    parent_fields: bool,
    child_fields: bool,
}

impl SearchCommand {
    /// A command that declares `kind` and finds lookups under `app_dir`.
    pub fn new(kind: CommandType, app_dir: Option<PathBuf>) -> SearchCommand {
        SearchCommand {
            kind,
            app_dir,
            transform: None,
            rows: 0,
            parent_fields: false,
            child_fields: false,
        }
    }
}

impl SearchCommand {
    /// Rows `lineage=true` still holds: after a session, those the input
    /// ended (EOF) before the `finished: true` request could return.
    pub fn held_rows(&self) -> usize {
        self.transform.as_ref().map_or(0, Transform::held_rows)
    }
}

impl Command for SearchCommand {
    fn getinfo(&mut self, info: &GetInfo, _messages: &mut Vec<Message>) -> Result<&'static str> {
        let options = Options::from_args(&info.search_info.args)?;
        let catalog = catalog::load(&options.catalog, self.app_dir.as_deref())?;
        self.transform = Some(Transform::new(&options, catalog));
        // Lineage needs every row in one process: on the search head,
        // whatever the package declares otherwise (docs/lineage.md). A
        // search peer's dispatch directory is `remote_<head>_<sid>`: if
        // splunkd ever ran a lineage command there, it would see a part of
        // the rows and miss chains silently, so it stops instead.
        if options.lineage {
            if let Some(dir) = info.search_info.dispatch_dir.as_deref() {
                let last = dir.trim_end_matches(['/', '\\']);
                let last = last.rsplit(['/', '\\']).next().unwrap_or(last);
                if last.starts_with("remote_") {
                    return Err(Error::request(
                        1,
                        format!(
                            "lineage=true needs every row in one process, but this runs on a search peer (dispatch directory {last}); run it on the search head, after a transforming command such as tstats, or with the default (search-head) package"
                        ),
                    ));
                }
            }
            return Ok(CommandType::Stateful.as_str());
        }
        Ok(self.kind.as_str())
    }

    fn execute(
        &mut self,
        chunk: u64,
        finished: bool,
        body: &mut dyn io::BufRead,
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<()> {
        let Some(transform) = self.transform.as_mut() else {
            return Err(Error::request(chunk, "execute before a successful getinfo"));
        };
        transform.set_last(finished);
        let before = transform.lineage_stats().map(|(s, _)| s.clone());
        let stats = transform.process_reader(chunk, body, out, messages)?;
        // A cap reached in this chunk is said in this chunk's reply.
        if let (Some(before), Some((now, limits))) = (before, transform.lineage_stats()) {
            for (_, text) in lineage_stats::caps_reached(&before, now, &limits) {
                messages.push(Message::warn(format!("wmilolbas {text}")));
            }
        }
        if stats.rows > 0 {
            self.rows += stats.rows;
            self.parent_fields |= stats.parent_fields;
            self.child_fields |= stats.child_fields;
        }
        Ok(())
    }

    fn finish(&mut self, messages: &mut Vec<Message>) {
        if let Some((stats, limits)) = self.transform.as_ref().and_then(Transform::lineage_stats) {
            messages.extend(lineage_messages(stats, &limits));
        }
        if self.rows == 0 {
            return;
        }
        let mut missing = Vec::new();
        if !self.parent_fields {
            missing.push("parent_process_name or parent_process_path");
        }
        if !self.child_fields {
            missing.push("process_name, process_path or original_file_name");
        }
        if !missing.is_empty() {
            messages.push(Message::warn(format!(
                "wmilolbas: none of the {} input rows had the fields {} (plain or Processes.-prefixed), so none could match. \
                 On raw events, Fast mode and scheduled searches extract only the fields a search names: put the app's macro before the command, \
                 index=... EventCode=1 | `wmilolbas_fields` | wmilolbas. Or feed it Endpoint.Processes rows: | tstats summariesonly=false count from datamodel=Endpoint.Processes \
                 by Processes.dest Processes.user Processes.parent_process_name Processes.parent_process_path \
                 Processes.process_name Processes.process_path Processes.original_file_name Processes.process | wmilolbas",
                self.rows,
                missing.join(", nor ")
            )));
        }
    }
}

/// The end-of-search messages of `lineage=true` (their words are
/// [`lineage_stats::summary`]'s): a WARN for each cap reached, for rows
/// that could not be linked and for values that could not be read, an
/// INFO on times read without a zone, then an INFO with the counts.
pub fn lineage_messages(stats: &LineageStats, limits: &crate::lineage::Limits) -> Vec<Message> {
    let mut out: Vec<Message> = lineage_stats::summary(stats, limits)
        .into_iter()
        .map(|(level, text)| match level {
            Level::Warn => Message::warn(format!("wmilolbas {text}")),
            Level::Info => Message::info(format!("wmilolbas {text}")),
        })
        .collect();
    out.push(Message::info(format!(
        "wmilolbas {}",
        lineage_stats::counts(stats)
    )));
    out
}
