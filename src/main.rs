//! The `wmilolbas` executable: argument dispatch only.
//!
//! * no arguments (how splunkd starts it) → speak SCPv2 on stdin/stdout;
//!   on a terminal (a person, never splunkd) → the usage, exit status 2;
//! * `--stateful` → the same, declaring `type: stateful` (search head only);
//! * `scan …` → run the detection on files.
//!
//! Building the Splunk app is `cargo xtask package` (the `xtask/` workspace
//! member), not part of this binary.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use wmilolbas::cli::{self, ScanRequest};
use wmilolbas::command::{CommandType, SearchCommand};
use wmilolbas::protocol::{frame::Limits, prefetch::Prefetch, session};
use wmilolbas::rule::catalog::app_dir_of;
use wmilolbas::scan;

const USAGE: &str = "\
usage: wmilolbas                 speak Splunk's chunked protocol on stdin/stdout (splunkd runs this)
       wmilolbas --stateful      the same, declaring a search-head-only (stateful) command
       wmilolbas scan [OPTIONS] [FILE...]   run the detection on files: Windows event logs
                                 (.evtx), XML, and CSV or JSON exports (also gzip, UTF-16)
       wmilolbas --version
Run 'wmilolbas scan --help' for its options.";

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let first = args.first().and_then(|a| a.to_str()).map(str::to_owned);
    match first.as_deref() {
        // splunkd starts it with pipes; on a terminal nobody will speak
        // the protocol, so say how to use it instead of waiting silently.
        None if io::stdin().is_terminal() => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
        None => serve(CommandType::Streaming),
        Some("--stateful") if args.len() == 1 && io::stdin().is_terminal() => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
        Some("--stateful") if args.len() == 1 => serve(CommandType::Stateful),
        Some("scan") => {
            args.remove(0);
            scan_main(args)
        }
        Some("--version" | "-V") => {
            println!("wmilolbas {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(_) => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn serve(kind: CommandType) -> ExitCode {
    let app_dir = std::env::current_exe().ok().as_deref().and_then(app_dir_of);
    let mut command = SearchCommand::new(kind, app_dir);
    // stdin is read ahead on a second thread (the kernel's copy of the next
    // bytes overlaps the scan of the current ones; 5 buffers of 256 KiB);
    // if no thread can start, it is read here.
    let mut input: Box<dyn io::BufRead> = match Prefetch::new(io::stdin(), 5, 256 << 10) {
        Ok(prefetch) => Box::new(prefetch),
        Err(_) => Box::new(io::BufReader::with_capacity(1 << 16, io::stdin().lock())),
    };
    let stdout = io::stdout();
    let mut output = stdout.lock();
    let outcome = session::run(&mut input, &mut output, &mut command, Limits::default());
    if let Some(err) = outcome.error {
        let _ = writeln!(io::stderr(), "wmilolbas: {err}");
    }
    let held = command.held_rows();
    if held > 0 {
        // The input ended before the finished:true request: there is no
        // reply left to return them in (one line: stderr goes to splunkd.log).
        let _ = writeln!(
            io::stderr(),
            "wmilolbas: lineage: the input ended before the request with finished:true; {held} held rows were not returned"
        );
    }
    ExitCode::from(outcome.exit_code)
}

fn scan_main(args: Vec<std::ffi::OsString>) -> ExitCode {
    let config = match cli::parse_scan(args) {
        Ok(ScanRequest::Run(config)) => config,
        Ok(ScanRequest::Help) => {
            print!("{}", cli::SCAN_USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("wmilolbas scan: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut stderr = io::stderr();
    match scan::run(&config, io::BufWriter::new(stdout.lock()), &mut stderr) {
        Ok(summary) => {
            let _ = writeln!(stderr, "{}", scan::summary_line(&summary));
            ExitCode::from(u8::from(summary.errors > 0))
        }
        Err(e) => {
            let _ = writeln!(stderr, "wmilolbas scan: {e}");
            ExitCode::from(1)
        }
    }
}
