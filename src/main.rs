//! The `wmilolbas` executable: argument dispatch only.
//!
//! * no arguments (how splunkd starts it) → speak SCPv2 on stdin/stdout;
//! * `--stateful` → the same, declaring `type: stateful` (search head only);
//! * `scan …` → run the detection on files;
//! * `package …` → build the Splunk app archive.

use std::io::{self, Write};
use std::process::ExitCode;

use wmilolbas::command::{CommandType, SearchCommand};
use wmilolbas::protocol::{frame::Limits, session};
use wmilolbas::rule::catalog::app_dir_of;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => serve(CommandType::Streaming),
        Some("--stateful") if args.len() == 1 => serve(CommandType::Stateful),
        Some("--version" | "-V") => {
            println!("wmilolbas {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(_) => {
            eprintln!("usage: wmilolbas [--stateful]    (speaks Splunk's chunked protocol on stdin/stdout)");
            ExitCode::from(2)
        }
    }
}

fn serve(kind: CommandType) -> ExitCode {
    let app_dir = std::env::current_exe().ok().as_deref().and_then(app_dir_of);
    let mut command = SearchCommand::new(kind, app_dir);
    let stdin = io::stdin();
    let mut input = io::BufReader::with_capacity(1 << 16, stdin.lock());
    let stdout = io::stdout();
    let mut output = stdout.lock();
    let outcome = session::run(&mut input, &mut output, &mut command, Limits::default());
    if let Some(err) = outcome.error {
        let _ = writeln!(io::stderr(), "wmilolbas: {err}");
    }
    ExitCode::from(outcome.exit_code)
}
