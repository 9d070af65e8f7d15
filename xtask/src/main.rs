//! `cargo xtask <task>`: dispatch only.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{self, Write};
use std::process::ExitCode;

use xtask::cli::{self, PackageRequest};
use xtask::package;

const USAGE: &str = "\
usage: cargo xtask package [OPTIONS]   build the Splunk app (dist/wmilolbas-<version>.tgz)
Run 'cargo xtask package --help' for its options.";

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match args.first().and_then(|a| a.to_str()) {
        Some("package") => {
            args.remove(0);
            package_main(args)
        }
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn package_main(args: Vec<std::ffi::OsString>) -> ExitCode {
    let options = match cli::parse_package(args) {
        Ok(PackageRequest::Run(options)) => options,
        Ok(PackageRequest::Help) => {
            print!("{}", cli::PACKAGE_USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("cargo xtask package: {e}");
            return ExitCode::from(2);
        }
    };
    let mut stderr = io::stderr();
    let result = std::env::current_dir()
        .map_err(|e| xtask::Error::io("current directory", e))
        .and_then(|cwd| package::find_root(&cwd))
        .and_then(|root| package::build(&root, &options, &mut stderr));
    match result {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(stderr, "cargo xtask package: {e}");
            ExitCode::from(1)
        }
    }
}
