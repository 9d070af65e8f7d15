//! The integration tests: one binary (ripgrep style), one module per theme.
//! Every test drives the real `wmilolbas` executable unless it says otherwise.

// Helpers: run the binary, build/parse chunks, read fixtures.
mod util;

// Raw-byte SCPv2 conversations with exact expected replies.
mod protocol;
// Replays of sessions recorded from real splunkd.
mod recordings;
// `wmilolbas scan` on fixture files, against golden outputs.
mod scan;
// `wmilolbas scan` on inputs as people hand them over: Windows names in CSV, no process field, gzip, UTF-16, pipes.
mod inputs;
// `wmilolbas scan` on .evtx files and folders: counts, XML equivalence, damaged copies.
mod evtx;
// `wmilolbas scan` on every export layout (tests/data/layouts): detections, chains, fields.
mod layouts;
// `wmilolbas scan` on the EDR vendors' layouts: the chain, vendor ids, the one-row grandparent verdict.
mod edr;
// The no-silent-zero rule, through every reader.
mod silent_zero;
// The detection rule: an independent oracle vs the binary, options, catalogs.
mod detection;
// The independent oracle of the rule used by `detection` and `fake_splunkd`.
mod oracle;
// Sessions driven by the splunkd stand-in (tests/tools/fake_splunkd.py).
mod fake_splunkd;
// The Splunk app package: file list, modes, .conf syntax, the packaged binary.
mod package;
// Hostile and broken input: every class with its exit code and message.
mod hostile;
// One test per Python SDK protocol bug (see docs/protocol.md §10).
mod regression;
// Chains through a shell (lineage=true, scan --lineage): across rows and chunks, through the stand-in.
mod chains;
