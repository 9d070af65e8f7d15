//! Project automation for wmilolbas, run as `cargo xtask <task>` (the
//! cargo-xtask convention). It is a workspace member of its own so that the
//! binary splunkd runs carries none of it: no tar, gzip, ELF/PE reader or
//! cross-build driver.
//!
//! * [`package`] — `cargo xtask package`: the installable Splunk app
//!   (`dist/wmilolbas-<version>.tgz`), its variants and binary checks;
//! * [`cross`] — release builds for Linux x86-64 (glibc 2.17), Linux aarch64
//!   and Windows x86-64;
//! * [`binfmt`] — just enough ELF and PE parsing to check those binaries;
//! * [`cli`] — the `package` command line.

#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod binfmt;
pub mod cli;
pub mod cross;
pub mod package;

/// What can go wrong while packaging.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A packaging rule was broken (missing tool, wrong binary, bad layout).
    #[error("{0}")]
    Package(String),
    /// An I/O error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A command-line error.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Helper for I/O errors with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
