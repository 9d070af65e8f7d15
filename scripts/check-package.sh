#!/usr/bin/env bash
# Checks a built package the way a Splunk host will see it:
#   1. the Linux binaries need no glibc symbol above 2.17;
#   2. the unpacked app's Linux binaries complete a session driven by the
#      splunkd stand-in over the CIM sample and return exactly the 4 real
#      detections (an aarch64 bin/ under qemu-aarch64: scripts/install-tools.sh --cross);
#      a Windows binary is a PE32+ x86-64 console program;
#   3. (with --appinspect) splunk-appinspect's cloud checks pass, also with
#      PIE executables counted as binaries (scripts/appinspect_strict.py).
# Usage: scripts/check-package.sh dist/wmilolbas-<version>.tgz [--appinspect]
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$pkg" -C "$tmp"
app="$tmp/wmilolbas"

floor() { objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1; }
for bin in "$app/linux_x86_64/bin/wmilolbas" "$app/bin/wmilolbas"; do
  file "$bin" | grep -q 'ELF 64-bit' || continue
  v=$(floor "$bin")
  echo "${bin#"$app"/} needs glibc $v"
  if [ "$(printf '%s\n2.17\n' "$v" | sort -V | tail -1)" != "2.17" ]; then
    echo "FAIL: $bin needs GLIBC_$v, above 2.17" >&2
    exit 1
  fi
done

session() { # $1 = label, rest = command line
  local label=$1; shift
  python3 tests/tools/fake_splunkd.py \
    --input tests/data/attack_data/cim/endpoint_processes_from_samples.csv \
    --out "$tmp/out.csv" --random-chunk-sizes 1 --chunk-rows 12 -- "$@" --stateful
  rows=$(python3 -c "import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))" "$tmp/out.csv")
  if [ "$rows" != 4 ]; then
    echo "FAIL: $label returned $rows detections, expected 4" >&2
    exit 1
  fi
  echo "$label: session OK, 4 detections"
}
session linux_x86_64/bin/wmilolbas "$app/linux_x86_64/bin/wmilolbas"
if file "$app/bin/wmilolbas" | grep -q 'ARM aarch64'; then
  if ! command -v qemu-aarch64 >/dev/null || [ ! -d /usr/aarch64-linux-gnu ]; then
    echo "FAIL: bin/wmilolbas is aarch64; install qemu-user and libc6-arm64-cross: scripts/install-tools.sh --cross" >&2
    exit 1
  fi
  session "bin/wmilolbas (aarch64, qemu)" qemu-aarch64 -L /usr/aarch64-linux-gnu "$app/bin/wmilolbas"
else
  session bin/wmilolbas "$app/bin/wmilolbas"
fi
for exe in "$app/windows_x86_64/bin/wmilolbas.exe" "$app/windows_x86_64/bin/wmilolbas"; do
  [ -e "$exe" ] || continue
  file "$exe" | grep -q 'PE32+ executable (console) x86-64' || { echo "FAIL: $exe: $(file -b "$exe")" >&2; exit 1; }
  echo "windows_x86_64/bin/$(basename "$exe"): PE32+ x86-64 console program"
done

if [ "${2:-}" = "--appinspect" ]; then
  if [ ! -x .tools/appinspect/bin/splunk-appinspect ]; then
    python3 -m venv .tools/appinspect
    .tools/appinspect/bin/pip install --quiet --disable-pip-version-check "splunk-appinspect==4.3.1"
  fi
  ai=.tools/appinspect/bin
  # Judge the JSON report: no failure or error; no warning either, except the
  # one a package with Windows binaries always gets.
  judge() {
    python3 - "$1" "$2" <<'PY'
import json, sys
report, windows = json.load(open(sys.argv[1])), sys.argv[2] == "yes"
allowed = {"check_that_app_contains_any_windows_specific_components"} if windows else set()
bad = [(c["name"], c["result"]) for r in report["reports"] for g in r["groups"] for c in g["checks"]
       if c["result"] in ("failure", "error", "warning") and not (c["result"] == "warning" and c["name"] in allowed)]
for name, result in bad:
    print(f"FAIL: appinspect {result}: {name}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
  }
  windows=no
  [ -d "$app/windows_x86_64" ] && windows=yes
  "$ai/splunk-appinspect" inspect "$pkg" --mode precert --included-tags cloud \
    --skip-trusted-libraries-update --output-file "$tmp/ai.json" --data-format json >/dev/null
  judge "$tmp/ai.json" "$windows"
  echo "appinspect (cloud): OK"
  "$ai/python" scripts/appinspect_strict.py inspect "$pkg" --mode precert --included-tags cloud \
    --skip-trusted-libraries-update --output-file "$tmp/ai-strict.json" --data-format json >/dev/null
  judge "$tmp/ai-strict.json" "$windows"
  echo "appinspect (cloud, PIE counted as binary): OK"
fi
