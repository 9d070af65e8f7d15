//! Process ids as rows write them: GUIDs (Sysmon's, or any vendor's
//! identifier) and Windows PIDs (decimal, or Security 4688's `0x` hex).

use crate::rule::is_present;

/// A GUID: 32 hex digits, with or without braces and dashes, as a number;
/// the all-zero GUID (Sysmon's "unknown parent") is none. Any other present
/// value is an identifier too: it is hashed (ASCII case ignored).
pub fn parse_guid(v: &[u8]) -> Option<u128> {
    let v = v.trim_ascii();
    if !is_present(v) {
        return None;
    }
    let inner = v
        .strip_prefix(b"{")
        .and_then(|x| x.strip_suffix(b"}"))
        .unwrap_or(v);
    if let Some(n) = hex_guid(inner) {
        return (n != 0).then_some(n);
    }
    // Not a GUID: an identifier all the same. FNV-1a, 128 bits.
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for &b in v {
        h ^= u128::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    Some(h | 1 << 127)
}

/// 32 hex digits, bare or as `8-4-4-4-12`.
fn hex_guid(inner: &[u8]) -> Option<u128> {
    let digits: [u8; 32];
    let hex: &[u8] = match inner.len() {
        32 => inner,
        36 if inner[8] == b'-' && inner[13] == b'-' && inner[18] == b'-' && inner[23] == b'-' => {
            let mut d = [0u8; 32];
            d[..8].copy_from_slice(&inner[..8]);
            d[8..12].copy_from_slice(&inner[9..13]);
            d[12..16].copy_from_slice(&inner[14..18]);
            d[16..20].copy_from_slice(&inner[19..23]);
            d[20..].copy_from_slice(&inner[24..]);
            digits = d;
            &digits
        }
        _ => return None,
    };
    let (hi, lo) = hex.split_at(16);
    Some(u128::from(hex16(hi)?) << 64 | u128::from(hex16(lo)?))
}

/// 16 hex digits as a number, 8 at a time (SWAR: a byte per digit in a
/// word, checked and folded into nibbles together).
fn hex16(digits: &[u8]) -> Option<u64> {
    let word = |i: usize| {
        digits
            .get(i..i + 8)
            .and_then(|d| d.first_chunk::<8>())
            .map(|d| u64::from_le_bytes(*d))
    };
    Some(u64::from(hex8(word(0)?)?) << 32 | u64::from(hex8(word(8)?)?))
}

/// 8 ASCII hex digits (the first in the lowest byte) as a number.
fn hex8(x: u64) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Per byte, when below 0x80: the high bit of `b + (0x80 - lo)` is set
    // iff b >= lo.
    let at_least = |b: u64, lo: u8| b.wrapping_add(ONES * u64::from(0x80 - lo)) & HIGH;
    let digit = at_least(x, b'0') & !at_least(x, b'9' + 1);
    let lower = x | (ONES * 0x20);
    let letter = at_least(lower, b'a') & !at_least(lower, b'f' + 1);
    if x & HIGH != 0 || (digit | letter) != HIGH {
        return None;
    }
    // '0'..'9' -> 0..9; 'a'..'f' and 'A'..'F' (bit 6 set) -> 10..15.
    let v = (x & (ONES * 0x0f)) + 9 * ((x >> 6) & ONES);
    // Pairs of digits into bytes (first digit high), then the bytes
    // together, the first the most significant.
    let v = ((v & 0x000f_000f_000f_000f) << 4) | ((v >> 8) & 0x000f_000f_000f_000f);
    let v = (v | (v >> 8)) & 0x0000_ffff_0000_ffff;
    let v = (v | (v >> 16)) & 0xffff_ffff;
    Some((v as u32).swap_bytes())
}

/// Hex digit values; 255 for any other byte.
const HEX: [u8; 256] = {
    let mut t = [255u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// A Windows PID: decimal, or hexadecimal with `0x` (Security 4688 writes
/// `0x1a4`), below 2³² (Windows PIDs are 32-bit: a larger number is no
/// PID, such as CrowdStrike's process ids). Spaces around it are ignored.
pub fn parse_pid(v: &[u8]) -> Option<u32> {
    let v = v.trim_ascii();
    let (digits, radix) = match v {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16u64),
        _ => (v, 10u64),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in digits {
        let d = u64::from(HEX[b as usize]);
        if d >= radix {
            return None;
        }
        n = n * radix + d;
    }
    u32::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_parse_with_or_without_braces_and_dashes() {
        let a = parse_guid(b"{747f3d96-2842-5e1e-0000-00100c417a00}");
        assert_eq!(a, Some(0x747f3d9628425e1e000000100c417a00));
        assert_eq!(parse_guid(b"747F3D96-2842-5E1E-0000-00100C417A00"), a);
        assert_eq!(parse_guid(b"747f3d9628425e1e000000100c417a00"), a);
        assert_eq!(parse_guid(b"{00000000-0000-0000-0000-000000000000}"), None);
        for absent in [&b""[..], b"-", b"unknown", b"NULL", b"  "] {
            assert_eq!(parse_guid(absent), None);
        }
        // Not a GUID: still an identifier, compared ASCII-case-insensitively,
        // never equal to a parsed GUID.
        let x = parse_guid(b"proc-17").unwrap();
        assert_eq!(parse_guid(b"PROC-17"), Some(x));
        assert_ne!(parse_guid(b"proc-18"), Some(x));
        assert!(x >> 127 == 1);
        assert!(parse_guid(b"{747f3d96-2842-5e1e-0000-00100c417a0}").is_some());
    }

    proptest::proptest! {
        /// The word-at-a-time hex reader agrees with the standard one on
        /// any 16 bytes.
        #[test]
        fn hex16_agrees_with_from_str_radix(bytes in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(b"0123456789abcdefABCDEF".to_vec()),
                proptest::num::u8::ANY,
            ],
            16,
        )) {
            let want = std::str::from_utf8(&bytes)
                .ok()
                .filter(|s| s.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|s| u64::from_str_radix(s, 16).ok());
            proptest::prop_assert_eq!(hex16(&bytes), want);
        }
    }

    #[test]
    fn pids_are_decimal_or_0x_hex() {
        assert_eq!(parse_pid(b"420"), Some(420));
        assert_eq!(parse_pid(b"0x1a4"), Some(420));
        assert_eq!(parse_pid(b"0X1A4"), Some(420));
        assert_eq!(parse_pid(b" 7 "), Some(7));
        for bad in [
            &b""[..],
            b"-",
            b"1a4",
            b"0x",
            b"-1",
            b"99999999999999999999999",
        ] {
            assert_eq!(parse_pid(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
