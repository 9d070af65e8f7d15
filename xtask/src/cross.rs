//! Release builds for the platforms the app ships, with tools installed by
//! `scripts/install-tools.sh` (never by hand):
//!
//! | target | how |
//! | --- | --- |
//! | Linux x86-64 | `cargo zigbuild --target x86_64-unknown-linux-gnu.2.17` (zig links against glibc 2.17) |
//! | Linux aarch64 | the same, plus `-Zbuild-std` with Debian's `rustc-web`/`rust-web-src` (rustup cannot fetch the aarch64 std here) |
//! | Windows x86-64 | `-Zbuild-std` with `rustc-web`, linked by mingw-w64 gcc |
//!
//! A missing tool is an error that names the command installing it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Error, Result};

/// A platform to build for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `x86_64-unknown-linux-gnu`, glibc ≥ 2.17.
    LinuxX86_64,
    /// `aarch64-unknown-linux-gnu`, glibc ≥ 2.17.
    LinuxAarch64,
    /// `x86_64-pc-windows-gnu`.
    WindowsX86_64,
}

impl Target {
    /// The Rust target triple.
    pub fn triple(self) -> &'static str {
        match self {
            Target::LinuxX86_64 => "x86_64-unknown-linux-gnu",
            Target::LinuxAarch64 => "aarch64-unknown-linux-gnu",
            Target::WindowsX86_64 => "x86_64-pc-windows-gnu",
        }
    }

    /// The built file below `target/`.
    pub fn output(self, root: &Path) -> PathBuf {
        let exe = if self == Target::WindowsX86_64 {
            "wmilolbas.exe"
        } else {
            "wmilolbas"
        };
        root.join("target")
            .join(self.triple())
            .join("release")
            .join(exe)
    }
}

const INSTALL: &str = "scripts/install-tools.sh";
const INSTALL_CROSS: &str = "scripts/install-tools.sh --cross";

fn need(path: &Path, what: &str, install: &str) -> Result<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(Error::Package(format!(
            "{what} is not installed ({} is missing); install it with: {install}",
            path.display()
        )))
    }
}

/// Builds `target` in release mode and returns the binary's path.
pub fn build(root: &Path, target: Target, log: &mut dyn Write) -> Result<PathBuf> {
    let tools = root.join(".tools/bin");
    need(
        &tools.join("cargo-zigbuild"),
        "cargo-zigbuild (with zig)",
        INSTALL,
    )?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let path = std::env::join_paths(std::iter::once(tools.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .map_err(|e| Error::Package(format!("PATH: {e}")))?;
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(root).env("PATH", &path);
    match target {
        Target::LinuxX86_64 => {
            cmd.args([
                "zigbuild",
                "--release",
                "--package",
                "wmilolbas",
                "--target",
                "x86_64-unknown-linux-gnu.2.17",
            ]);
        }
        Target::LinuxAarch64 | Target::WindowsX86_64 => {
            let rustc = Path::new("/usr/bin/rustc");
            need(rustc, "Debian's rustc-web", INSTALL_CROSS)?;
            need(
                Path::new("/usr/lib/rustlib/src/rust/library"),
                "Debian's rust-web-src",
                INSTALL_CROSS,
            )?;
            cmd.env("RUSTC", rustc).env("RUSTC_BOOTSTRAP", "1");
            if target == Target::LinuxAarch64 {
                cmd.args([
                    "zigbuild",
                    "--release",
                    "--package",
                    "wmilolbas",
                    "--target",
                    "aarch64-unknown-linux-gnu.2.17",
                ]);
            } else {
                need(
                    Path::new("/usr/bin/x86_64-w64-mingw32-gcc"),
                    "the mingw-w64 linker",
                    INSTALL_CROSS,
                )?;
                cmd.env(
                    "CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER",
                    "x86_64-w64-mingw32-gcc",
                );
                cmd.args([
                    "build",
                    "--release",
                    "--package",
                    "wmilolbas",
                    "--target",
                    "x86_64-pc-windows-gnu",
                ]);
            }
            cmd.args(["-Zbuild-std=std,panic_abort"]);
        }
    }
    let _ = writeln!(log, "building {} (release) ...", target.triple());
    let status = cmd
        .status()
        .map_err(|e| Error::Package(format!("cannot run {}: {e}", Path::new(&cargo).display())))?;
    if !status.success() {
        return Err(Error::Package(format!(
            "the {} build failed ({status})",
            target.triple()
        )));
    }
    let out = target.output(root);
    need(&out, "the built binary", "cargo")?;
    Ok(out)
}
