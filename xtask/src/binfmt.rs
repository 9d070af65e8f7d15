//! Just enough ELF and PE reading to check a binary before it ships: its
//! architecture and, for Linux, the highest `GLIBC_x.y` symbol version it
//! needs (a binary needing 2.34 does not start on RHEL 8's 2.28).
//!
//! Every read is bounds-checked; a malformed file is an error, never a panic.

/// What a binary is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binary {
    /// An ELF executable.
    Elf {
        /// `e_machine` (62 = x86-64, 183 = AArch64).
        machine: u16,
        /// Highest `GLIBC_` version needed, if any.
        glibc: Option<(u32, u32)>,
    },
    /// A PE executable.
    Pe {
        /// COFF machine (0x8664 = x86-64).
        machine: u16,
        /// True for PE32+ (64-bit).
        pe32_plus: bool,
        /// Subsystem (3 = Windows console).
        subsystem: u16,
    },
}

/// ELF machine numbers.
pub const EM_X86_64: u16 = 62;
/// ELF machine number of AArch64.
pub const EM_AARCH64: u16 = 183;

/// Reads at `at + off`, refusing overflow and out-of-range offsets.
fn bytes_at<const N: usize>(b: &[u8], at: usize, off: usize) -> Option<[u8; N]> {
    let start = at.checked_add(off)?;
    b.get(start..start.checked_add(N)?)?.try_into().ok()
}

fn u16_at(b: &[u8], at: usize, off: usize) -> Option<u16> {
    bytes_at(b, at, off).map(u16::from_le_bytes)
}

fn u32_at(b: &[u8], at: usize, off: usize) -> Option<u32> {
    bytes_at(b, at, off).map(u32::from_le_bytes)
}

fn u64_at(b: &[u8], at: usize, off: usize) -> Option<u64> {
    bytes_at(b, at, off).map(u64::from_le_bytes)
}

fn cstr(b: &[u8], at: usize) -> Option<&[u8]> {
    let rest = b.get(at..)?;
    let end = rest.iter().position(|&c| c == 0)?;
    Some(&rest[..end])
}

/// Identifies a binary from its bytes.
pub fn inspect(bytes: &[u8]) -> Result<Binary, String> {
    if bytes.starts_with(b"\x7fELF") {
        elf(bytes).ok_or_else(|| "malformed ELF file".to_string())
    } else if bytes.starts_with(b"MZ") {
        pe(bytes).ok_or_else(|| "malformed PE file".to_string())
    } else {
        Err("neither an ELF nor a PE executable".into())
    }
}

fn elf(b: &[u8]) -> Option<Binary> {
    if b.get(4) != Some(&2) || b.get(5) != Some(&1) {
        return None; // only 64-bit little-endian
    }
    let machine = u16_at(b, 0, 0x12)?;
    let shoff = usize::try_from(u64_at(b, 0, 0x28)?).ok()?;
    let shentsize = usize::from(u16_at(b, 0, 0x3A)?);
    let shnum = usize::from(u16_at(b, 0, 0x3C)?);
    if shentsize < 64 {
        return None;
    }
    let section = |i: usize| -> Option<(u32, usize, usize, usize, usize)> {
        let at = shoff.checked_add(i.checked_mul(shentsize)?)?;
        let kind = u32_at(b, at, 4)?;
        let offset = usize::try_from(u64_at(b, at, 24)?).ok()?;
        let size = usize::try_from(u64_at(b, at, 32)?).ok()?;
        let link = u32_at(b, at, 40)? as usize;
        let info = u32_at(b, at, 44)? as usize;
        Some((kind, offset, size, link, info))
    };
    const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
    let mut glibc: Option<(u32, u32)> = None;
    for i in 0..shnum {
        let (kind, offset, size, link, count) = section(i)?;
        if kind != SHT_GNU_VERNEED {
            continue;
        }
        let (_, str_off, str_size, _, _) = section(link)?;
        let strtab = b.get(str_off..str_off.checked_add(str_size)?)?;
        let verneed = b.get(offset..offset.checked_add(size)?)?;
        let mut at = 0usize;
        for _ in 0..count.min(10_000) {
            let cnt = usize::from(u16_at(verneed, at, 2)?);
            let mut aux = at.checked_add(u32_at(verneed, at, 8)? as usize)?;
            for _ in 0..cnt.min(10_000) {
                let name = cstr(strtab, u32_at(verneed, aux, 8)? as usize)?;
                if let Some(v) = name.strip_prefix(b"GLIBC_") {
                    if let Some(ver) = parse_version(v) {
                        glibc = Some(glibc.map_or(ver, |g| g.max(ver)));
                    }
                }
                let next = u32_at(verneed, aux, 12)? as usize;
                if next == 0 {
                    break;
                }
                aux = aux.checked_add(next)?;
            }
            let next = u32_at(verneed, at, 12)? as usize;
            if next == 0 {
                break;
            }
            at = at.checked_add(next)?;
        }
    }
    Some(Binary::Elf { machine, glibc })
}

fn parse_version(v: &[u8]) -> Option<(u32, u32)> {
    let s = std::str::from_utf8(v).ok()?;
    let mut parts = s.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

fn pe(b: &[u8]) -> Option<Binary> {
    let pe_off = u32_at(b, 0, 0x3C)? as usize;
    if bytes_at::<4>(b, pe_off, 0)? != *b"PE\0\0" {
        return None;
    }
    let coff = pe_off.checked_add(4)?;
    let machine = u16_at(b, coff, 0)?;
    let opt = coff.checked_add(20)?;
    let magic = u16_at(b, opt, 0)?;
    let subsystem = u16_at(b, opt, 68)?;
    Some(Binary::Pe {
        machine,
        pe32_plus: magic == 0x20b,
        subsystem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_test_binary() {
        let exe = std::env::current_exe().unwrap();
        let bytes = std::fs::read(exe).unwrap();
        match inspect(&bytes).unwrap() {
            Binary::Elf { machine, glibc } => {
                assert_eq!(machine, EM_X86_64);
                let (major, minor) = glibc.expect("links glibc");
                assert_eq!(major, 2);
                assert!(minor >= 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(inspect(b"").is_err());
        assert!(inspect(b"\x7fELF\x02\x01").is_err());
        let mut junk = b"\x7fELF\x02\x01".to_vec();
        junk.resize(0x40, 0xff);
        assert!(inspect(&junk).is_err());
        assert!(inspect(b"MZ").is_err());
        assert_eq!(parse_version(b"2.17"), Some((2, 17)));
        assert_eq!(parse_version(b"2.2.5"), Some((2, 2)));
    }
}
