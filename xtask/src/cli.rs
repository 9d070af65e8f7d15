//! The `package` command line, with `lexopt`.

use lexopt::prelude::*;

use crate::package::{BinarySource, PackageOptions};
use crate::{Error, Result};

fn value_of(parser: &mut lexopt::Parser, flag: &str) -> Result<String> {
    let v = parser
        .value()
        .map_err(|e| Error::Usage(format!("{flag}: {e}")))?;
    v.into_string()
        .map_err(|_| Error::Usage(format!("{flag}: the value is not valid UTF-8")))
}

/// `cargo xtask package --help`.
pub const PACKAGE_USAGE: &str = "\
usage: cargo xtask package [--distributed] [--all-platforms] [--binary FILE [--allow-new-glibc]] [--out DIR]

Builds the installable Splunk app dist/wmilolbas-<version>.tgz from default/, app/ and the
release binaries, and prints its path. Run it from the repository.

  --distributed      the on-premises variant: type streaming, binaries replicated to the
                     indexers (dist/wmilolbas-<version>-distributed.tgz)
  --all-platforms    also build Linux aarch64 and Windows x86-64 binaries
                     (tools: scripts/install-tools.sh --cross)
  --binary FILE      package FILE as the Linux x86-64 binary instead of building one
  --allow-new-glibc  with --binary: accept a binary that needs glibc newer than 2.17
                     (development only; it will not start on RHEL 7/8)
  --out DIR          write the package to DIR (default: dist/)

The Linux x86-64 binary is built with zig against glibc 2.17; install the tools once with
scripts/install-tools.sh.
";

/// What `package` was asked to do.
#[derive(Debug)]
pub enum PackageRequest {
    /// Build.
    Run(PackageOptions),
    /// Print usage.
    Help,
}

/// Parses `package` arguments (after the word `package`).
pub fn parse_package(args: Vec<std::ffi::OsString>) -> Result<PackageRequest> {
    let mut parser = lexopt::Parser::from_args(args);
    let mut options = PackageOptions {
        distributed: false,
        linux_x86_64: BinarySource::Build,
        all_platforms: false,
        allow_new_glibc: false,
        out_dir: None,
    };
    while let Some(arg) = parser.next().map_err(|e| Error::Usage(e.to_string()))? {
        match arg {
            Short('h') | Long("help") => return Ok(PackageRequest::Help),
            Long("distributed") => options.distributed = true,
            Long("all-platforms") => options.all_platforms = true,
            Long("allow-new-glibc") => options.allow_new_glibc = true,
            Long("binary") => {
                options.linux_x86_64 = BinarySource::File(value_of(&mut parser, "--binary")?.into())
            }
            Long("out") => options.out_dir = Some(value_of(&mut parser, "--out")?.into()),
            other => {
                return Err(Error::Usage(format!(
                    "{}; see cargo xtask package --help",
                    other.unexpected()
                )))
            }
        }
    }
    if options.allow_new_glibc && options.linux_x86_64 == BinarySource::Build {
        return Err(Error::Usage(
            "--allow-new-glibc only applies to --binary FILE".into(),
        ));
    }
    Ok(PackageRequest::Run(options))
}
