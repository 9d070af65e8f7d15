#!/usr/bin/env bash
# Installs the build tools the package command needs, from the project's own
# files, into .tools/ (git-ignored):
#   * zig + cargo-zigbuild (PyPI)  — Linux binaries with a glibc 2.17 floor.
# With --cross it also installs, from Debian's packages (needs root), what the
# multi-platform build needs (see docs in README "Platforms"):
#   * rustc-web + rust-web-src      — a Rust std that can be built for aarch64
#                                     and Windows (rustup cannot fetch targets here);
#   * gcc-mingw-w64-x86-64          — the Windows linker;
#   * qemu-user, libc6-arm64-cross  — to run the aarch64 binary in tests
#                                     (qemu-aarch64 -L /usr/aarch64-linux-gnu);
#   * wine, wine64                  — to run the Windows binary in tests
#                                     (scripts/check-windows.sh).
#   * gcc-aarch64-linux-gnu,        — the linker of the aarch64 test binary
#     libc6-dev-arm64-cross           (NEON differential tests under qemu).
set -euo pipefail
cd "$(dirname "$0")/.."

ZIGLANG_VERSION=0.13.0.post1
CARGO_ZIGBUILD_VERSION=0.19.8

if [ ! -x .tools/bin/cargo-zigbuild ] || [ ! -x .tools/bin/python3 ]; then
  python3 -m venv .tools
  .tools/bin/pip install --quiet --disable-pip-version-check \
    "ziglang==${ZIGLANG_VERSION}" "cargo-zigbuild==${CARGO_ZIGBUILD_VERSION}"
fi
.tools/bin/python3 -m ziglang version >/dev/null
.tools/bin/cargo-zigbuild --version

if [ "${1:-}" = "--cross" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends \
    rustc-web rust-web-src gcc-mingw-w64-x86-64 qemu-user libc6-arm64-cross wine wine64 \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
  /usr/bin/rustc --version
fi
