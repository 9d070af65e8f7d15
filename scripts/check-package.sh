#!/usr/bin/env bash
# Checks a built package the way a Splunk host will see it:
#   1. the Linux binaries need no glibc symbol above 2.17;
#   2. the unpacked app's binary completes a session driven by the splunkd
#      stand-in over the CIM sample and returns exactly the 4 real detections;
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
  echo "$(basename "$(dirname "$(dirname "$bin")")")/bin/wmilolbas needs glibc $v"
  if [ "$(printf '%s\n2.17\n' "$v" | sort -V | tail -1)" != "2.17" ]; then
    echo "FAIL: $bin needs GLIBC_$v, above 2.17" >&2
    exit 1
  fi
done

python3 tests/tools/fake_splunkd.py \
  --input tests/data/attack_data/cim/endpoint_processes_from_samples.csv \
  --out "$tmp/out.csv" --random-chunk-sizes 1 --chunk-rows 12 \
  -- "$app/linux_x86_64/bin/wmilolbas" --stateful
rows=$(python3 -c "import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))" "$tmp/out.csv")
if [ "$rows" != 4 ]; then
  echo "FAIL: the packaged binary returned $rows detections, expected 4" >&2
  exit 1
fi
echo "packaged binary: session OK, 4 detections"

if [ "${2:-}" = "--appinspect" ]; then
  if [ ! -x .tools/appinspect/bin/splunk-appinspect ]; then
    python3 -m venv .tools/appinspect
    .tools/appinspect/bin/pip install --quiet --disable-pip-version-check "splunk-appinspect==4.3.1"
  fi
  ai=.tools/appinspect/bin
  "$ai/splunk-appinspect" inspect "$pkg" --mode precert --included-tags cloud \
    --skip-trusted-libraries-update --ci --output-file "$tmp/ai.json" --data-format json
  echo "appinspect (cloud): OK"
  "$ai/python" scripts/appinspect_strict.py inspect "$pkg" --mode precert --included-tags cloud \
    --skip-trusted-libraries-update --ci --output-file "$tmp/ai-strict.json" --data-format json
  echo "appinspect (cloud, PIE counted as binary): OK"
fi
