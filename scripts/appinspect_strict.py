"""Runs splunk-appinspect with PIE executables counted as binaries.

AppInspect 4.3.1 treats only libmagic's `application/x-executable` and
`application/x-sharedlib` as native binaries. Current libmagic reports
position-independent executables (every Rust binary here) as
`application/x-pie-executable`, so AppInspect's aarch64 checks cannot see
them; older libmagic reported them as `x-sharedlib`. This wrapper maps the
PIE type to `x-executable` before running the normal CLI, so the checks see
the package as a stricter vetting service would.

Usage: python appinspect_strict.py inspect <package> [appinspect options]
"""
import sys

import magic

_from_file = magic.from_file


def _from_file_pie_is_binary(path, mime=False):
    result = _from_file(path, mime=mime)
    if mime and result == "application/x-pie-executable":
        return "application/x-executable"
    return result


magic.from_file = _from_file_pie_is_binary

from splunk_appinspect.main import execute  # noqa: E402

sys.argv[0] = "splunk-appinspect"
sys.exit(execute())
