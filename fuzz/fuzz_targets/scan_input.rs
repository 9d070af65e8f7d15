//! Arbitrary bytes as a `scan` input in each format (CSV, JSON lines, XML):
//! never panics; every problem is counted as an error, not a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wmilolbas::options::Options;
use wmilolbas::scan::output::Format;
use wmilolbas::scan::{run_on_bytes, InputFormat, ScanConfig};

fuzz_target!(|data: &[u8]| {
    for (format, out) in [
        (Some(InputFormat::Csv), Format::Csv),
        (Some(InputFormat::Json), Format::Json),
        (Some(InputFormat::Xml), Format::Table),
        (None, Format::Csv),
    ] {
        let config = ScanConfig {
            files: Vec::new(),
            input_format: format,
            format: out,
            options: Options {
                mode: wmilolbas::options::Mode::Annotate,
                ..Options::default()
            },
            strict_input: false,
            progress: false,
        };
        let mut stderr = Vec::new();
        let summary = run_on_bytes(&config, &[("fuzz", data)], Vec::new(), &mut stderr).unwrap();
        assert!(summary.processes <= summary.events);
    }
});
