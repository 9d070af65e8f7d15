#!/usr/bin/env bash
# Runs each fuzz target for SECONDS_PER_TARGET (default 600) seconds, seeded
# from fuzz/seeds/<target>; new inputs go to fuzz/corpus/<target>, crashes to
# fuzz/artifacts/<target>. Needs the nightly toolchain and `cargo install cargo-fuzz`.
set -euo pipefail
cd "$(dirname "$0")"
secs=${SECONDS_PER_TARGET:-600}
for t in session body scan_input evtx_file chains; do
  mkdir -p "corpus/$t"
  # evtx_file is seeded with the real logs of the tests (a chunk is 64 KiB).
  # Its worker threads' std-internal thread-locals (a channel's 48-byte
  # context) are reported by LeakSanitizer when a thread exits: leaks off.
  # The chains target drives the transform with caps small enough to reach.
  seeds="seeds/$t" max_len=16384 leaks=1
  [ "$t" = evtx_file ] && seeds=../tests/data/evtx max_len=200000 leaks=0
  # scan_input runs the scan's worker threads too (the units of an input),
  # with the same report: 32 bytes from glibc's __cxa_thread_atexit_impl
  # (a thread-local destructor record of an exited thread), not ours.
  [ "$t" = scan_input ] && leaks=0
  cargo +nightly fuzz run -O "$t" "corpus/$t" "$seeds" -- \
    -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -detect_leaks="$leaks" -print_final_stats=1
done
