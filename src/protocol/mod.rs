//! Splunk's chunked search-command protocol (SCPv2): framing, messages and
//! the session state machine. Nothing in here knows about CSV or the rule.

pub mod frame;
pub mod message;
pub mod prefetch;
pub mod session;
