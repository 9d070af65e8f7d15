#!/usr/bin/env bash
# Runs the Windows build under wine: `scan` on the built-in sample and on an
# .evtx file, and a protocol session through the splunkd stand-in. Installs
# nothing (wine and mingw-w64 come from scripts/install-tools.sh --cross).
# Wine 8 lacks ProcessPrng, which Rust's std imports from bcryptprimitives.dll,
# so a shim DLL built from scripts/wine-shim/ is placed beside a copy of the exe.
# Usage: scripts/check-windows.sh target/x86_64-pc-windows-gnu/release/wmilolbas.exe
set -euo pipefail
cd "$(dirname "$0")/.."
exe=$1
for tool in wine x86_64-w64-mingw32-gcc; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found: scripts/install-tools.sh --cross" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$exe" "$tmp/wmilolbas.exe"
x86_64-w64-mingw32-gcc -shared -O2 -o "$tmp/bcryptprimitives.dll" \
  scripts/wine-shim/bcryptprimitives.c scripts/wine-shim/bcryptprimitives.def
export WINEPREFIX="$tmp/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="bcryptprimitives=n;mscoree,mshtml="
# Every wine call is bounded, so a hung wine fails the check instead of CI.
w() { timeout 300 wine "$tmp/wmilolbas.exe" "$@"; }
# Create the wine prefix first, so its messages stay out of the checks below.
timeout 600 wine wineboot --init >/dev/null 2>&1 || true

# 1. The built-in sample: 4 detections.
summary=$(w scan --format csv 2>&1 >"$tmp/sample.csv" | tr -d '\r' | tail -1)
want="wmilolbas scan: 2 files, 50 events read (50 process creations), 4 detections"
[ "$summary" = "$want" ] || { echo "FAIL: sample: $summary" >&2; exit 1; }
echo "wine: scan (built-in sample): $summary"

# 2. An .evtx file: 3 detections.
cp tests/data/evtx/LM_wmi_PoisonHandler_Mr-Un1k0d3r_sysmon_1_13.evtx "$tmp/poison.evtx"
summary=$(w scan --format csv 'Z:'"$(echo "$tmp/poison.evtx" | tr / '\\')" 2>&1 >/dev/null | tr -d '\r' | tail -1)
want="wmilolbas scan: 1 file, 15 events read (11 process creations), 3 detections"
[ "$summary" = "$want" ] || { echo "FAIL: evtx: $summary" >&2; exit 1; }
echo "wine: scan (.evtx): $summary"

# 3. A session driven by the splunkd stand-in: the 4 detections of the CIM sample.
python3 tests/tools/fake_splunkd.py \
  --input tests/data/attack_data/cim/endpoint_processes_from_samples.csv \
  --out "$tmp/out.csv" --random-chunk-sizes 1 --chunk-rows 12 -- timeout 300 wine "$tmp/wmilolbas.exe" --stateful
rows=$(python3 -c "import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))" "$tmp/out.csv")
[ "$rows" = 4 ] || { echo "FAIL: wine session returned $rows detections, expected 4" >&2; exit 1; }
echo "wine: session OK, 4 detections"
