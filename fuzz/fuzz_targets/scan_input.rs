//! Arbitrary bytes as a `scan` input in each format (CSV, JSON lines, XML),
//! and with `--lineage` as one input and as two (a chain may span them):
//! never panics; every problem is counted as an error, not a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wmilolbas::options::Options;
use wmilolbas::scan::output::Format;
use wmilolbas::scan::{run_on_bytes, InputFormat, ScanConfig};

fuzz_target!(|data: &[u8]| {
    let half = data.len() / 2;
    let one: &[(&str, &[u8])] = &[("fuzz", data)];
    let two: &[(&str, &[u8])] = &[("a", &data[..half]), ("b", &data[half..])];
    for (format, out, lineage, inputs) in [
        (Some(InputFormat::Csv), Format::Csv, false, one),
        (Some(InputFormat::Json), Format::Json, false, one),
        (Some(InputFormat::Xml), Format::Table, false, one),
        (None, Format::Csv, false, one),
        (None, Format::Table, true, one),
        (None, Format::Json, true, two),
    ] {
        let config = ScanConfig {
            files: Vec::new(),
            input_format: format,
            format: out,
            options: Options {
                mode: wmilolbas::options::Mode::Annotate,
                lineage,
                ..Options::default()
            },
            strict_input: false,
            progress: false,
            timezone: None,
        };
        let mut stderr = Vec::new();
        let summary = run_on_bytes(&config, inputs, Vec::new(), &mut stderr).unwrap();
        assert!(summary.processes <= summary.events);
        assert_eq!(summary.lineage.is_some(), lineage);
    }
});
