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
