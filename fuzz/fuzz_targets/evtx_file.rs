//! Arbitrary bytes as a Windows event log file (`x.evtx`) through `scan`:
//! whatever the header, chunks and records hold, the scan never panics,
//! never hangs, and counts every problem as an error. Seeded with the real
//! logs in tests/data/evtx (see fuzz/run.sh).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wmilolbas::options::Options;
use wmilolbas::scan::output::Format;
use wmilolbas::scan::{run, ScanConfig};

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("wmilolbas-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("x.evtx");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let config = ScanConfig {
        files: vec![path.to_string_lossy().into_owned()],
        input_format: None,
        format: Format::Csv,
        options: Options {
            mode: wmilolbas::options::Mode::Annotate,
            ..Options::default()
        },
        strict_input: false,
        progress: false,
        timezone: None,
    };
    let mut stderr = Vec::new();
    let summary = run(&config, Vec::new(), &mut stderr).unwrap();
    assert_eq!(summary.files, 1);
    assert!(summary.processes <= summary.events);
});
