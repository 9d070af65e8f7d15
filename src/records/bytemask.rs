//! 64-byte block bitmasks: bit i says whether byte i of the block equals a
//! given byte. SSE2 (`pcmpeqb` + `pmovmskb`, always present on x86-64) does
//! 16 bytes per instruction pair; other architectures use a scalar loop.
//! Used by the row scanner ([`super::spans`]) and the candidate prefilter.

/// Masks of up to four bytes over one block; `N` targets, one mask each.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn masks<const N: usize>(block: &[u8; 64], targets: [u8; N]) -> [u64; N] {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut out = [0u64; N];
    // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsics are
    // always available; the unaligned loads read 16 bytes at offsets 0, 16,
    // 32 and 48 of a 64-byte array, all in bounds.
    unsafe {
        let splat = targets.map(|t| _mm_set1_epi8(t as i8));
        for k in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
            for (o, t) in out.iter_mut().zip(splat) {
                *o |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, t)) as u16) << (16 * k);
            }
        }
    }
    out
}

/// Masks of up to four bytes over one block; `N` targets, one mask each.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn masks<const N: usize>(block: &[u8; 64], targets: [u8; N]) -> [u64; N] {
    let mut out = [0u64; N];
    for (i, &b) in block.iter().enumerate() {
        for (o, &t) in out.iter_mut().zip(&targets) {
            *o |= u64::from(b == t) << i;
        }
    }
    out
}

/// Calls `f(block_start, block_mask)` for each 64-byte block of `hay`
/// (the last one zero-padded and masked to its length), where the mask has
/// the bits of bytes equal to `a` or `b`.
#[inline]
pub fn for_each_block2(hay: &[u8], a: u8, b: u8, mut f: impl FnMut(usize, u64)) {
    let mut start = 0;
    while let Some(block) = hay[start..].first_chunk::<64>() {
        let [ma, mb] = masks(block, [a, b]);
        let m = ma | mb;
        if m != 0 {
            f(start, m);
        }
        start += 64;
    }
    let n = hay.len() - start;
    if n > 0 {
        let mut buf = [0u8; 64];
        buf[..n].copy_from_slice(&hay[start..]);
        let [ma, mb] = masks(&buf, [a, b]);
        let m = (ma | mb) & ((1u64 << n) - 1);
        if m != 0 {
            f(start, m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_mark_exactly_the_target_bytes() {
        let mut block = [b'x'; 64];
        block[0] = b'"';
        block[17] = b'\n';
        block[63] = b'"';
        let [q, n, z] = masks(&block, [b'"', b'\n', 0]);
        assert_eq!(q, 1 | (1 << 63));
        assert_eq!(n, 1 << 17);
        assert_eq!(z, 0);
    }

    #[test]
    fn blocks_cover_a_partial_tail_without_padding_hits() {
        let hay: Vec<u8> = (0..150u32)
            .map(|i| if i % 50 == 7 { b'v' } else { b'a' })
            .collect();
        let mut hits = Vec::new();
        for_each_block2(&hay, b'v', 0, |start, mut m| {
            while m != 0 {
                hits.push(start + m.trailing_zeros() as usize);
                m &= m - 1;
            }
        });
        assert_eq!(hits, vec![7, 57, 107]);
    }
}
