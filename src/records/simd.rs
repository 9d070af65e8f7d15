//! Byte classifiers for the fused block pass ([`super::spans::Scanner`]),
//! one per instruction set, and the run-time choice between them.
//!
//! Every classifier turns a 64-byte block into bitmasks (bit i = byte i
//! equals a given byte, optionally after OR-ing `0x20` to fold ASCII case).
//! The block loop is generic over the classifier and marked
//! `#[inline(always)]`; each instruction set gets its own copy of the whole
//! loop through a small entry function, so on x86-64 the AVX2 copy is
//! compiled with `#[target_feature(enable = "avx2")]` end to end and no
//! block crosses a function boundary:
//!
//! | [`Isa`] | where | 64 bytes per block |
//! | --- | --- | --- |
//! | `Avx2` | x86-64 with AVX2, PCLMULQDQ, POPCNT, BMI1 (checked at run time, once) | 2 × `vpcmpeqb` + `vpmovmskb`; prefix XOR by carry-less multiply |
//! | `Sse2` | every x86-64 (the baseline) | 4 × `pcmpeqb` + `pmovmskb` |
//! | `Neon` | every aarch64 (the baseline) | 4 × `cmeq`, weighted pairwise adds for the movemask |
//! | `Scalar` | everywhere | a byte loop; the reference the others are tested against |
//!
//! `WMILOLBAS_SIMD=avx2|sse2|neon|scalar` forces a path for the whole
//! process (a path the host lacks falls back to the best one it has);
//! [`with_isa`] forces one for a closure on the current thread (tests and
//! the fuzz differential use it to run every path).

use std::cell::Cell;
use std::sync::OnceLock;

/// An instruction set the block pass can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// Byte loop, every architecture.
    Scalar,
    /// x86-64 baseline.
    Sse2,
    /// x86-64 with AVX2 (and PCLMULQDQ, POPCNT, BMI1).
    Avx2,
    /// aarch64 baseline.
    Neon,
}

impl Isa {
    /// Every path, best first.
    pub const ALL: [Isa; 4] = [Isa::Avx2, Isa::Neon, Isa::Sse2, Isa::Scalar];

    /// The name `WMILOLBAS_SIMD` takes.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Sse2 => "sse2",
            Isa::Avx2 => "avx2",
            Isa::Neon => "neon",
        }
    }

    /// True when this host can run the path.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Scalar => true,
            Isa::Sse2 => cfg!(target_arch = "x86_64"),
            Isa::Neon => cfg!(target_arch = "aarch64"),
            Isa::Avx2 => avx2_detected(),
        }
    }

    /// The paths this host can run, best first.
    pub fn available() -> Vec<Isa> {
        Isa::ALL.into_iter().filter(|i| i.is_available()).collect()
    }

    /// The best path this host can run.
    pub fn best() -> Isa {
        Isa::ALL
            .into_iter()
            .find(|i| i.is_available())
            .unwrap_or(Isa::Scalar)
    }

    /// The path in use: [`with_isa`]'s on this thread, else the process-wide
    /// choice (`WMILOLBAS_SIMD`, else [`Isa::best`]), decided once.
    pub fn current() -> Isa {
        if let Some(forced) = FORCED.with(Cell::get) {
            return forced;
        }
        static CHOICE: OnceLock<Isa> = OnceLock::new();
        *CHOICE.get_or_init(|| {
            std::env::var("WMILOLBAS_SIMD")
                .ok()
                .and_then(|v| Isa::ALL.into_iter().find(|i| i.name() == v.trim()))
                .filter(|i| i.is_available())
                .unwrap_or_else(Isa::best)
        })
    }
}

thread_local! {
    static FORCED: Cell<Option<Isa>> = const { Cell::new(None) };
}

/// Runs `f` with the block pass forced to `isa` on this thread (a path the
/// host lacks is replaced by [`Isa::best`]).
pub fn with_isa<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
    /// Puts the previous choice back, also when `f` unwinds.
    struct Restore(Option<Isa>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FORCED.with(|c| c.set(self.0));
        }
    }
    let isa = if isa.is_available() { isa } else { Isa::best() };
    let _restore = Restore(FORCED.with(|c| c.replace(Some(isa))));
    f()
}

#[cfg(target_arch = "x86_64")]
fn avx2_detected() -> bool {
    static AVX2: OnceLock<bool> = OnceLock::new();
    *AVX2.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
            && std::arch::is_x86_feature_detected!("popcnt")
            && std::arch::is_x86_feature_detected!("bmi1")
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_detected() -> bool {
    false
}

/// What the block loop needs from an instruction set. Every method is
/// `#[inline(always)]` so it compiles into the caller's loop, with the
/// caller's target features.
pub(crate) trait Classifier: Copy {
    /// One 64-byte block in registers.
    type Block: Copy;

    /// One byte repeated across a register, made once per scan (not per
    /// block) by [`Classifier::splat`].
    type Splat: Copy;

    /// `byte` in every lane.
    ///
    /// # Safety
    /// The instruction set must be available.
    unsafe fn splat(byte: u8) -> Self::Splat;

    /// Loads 64 bytes.
    ///
    /// # Safety
    /// `p..p + 64` must be readable, and the instruction set available.
    unsafe fn load(p: *const u8) -> Self::Block;

    /// Bit i set when `byte_i | fold == target` (`fold` is `0x20` to
    /// ignore ASCII case for a lowercase letter target, else 0).
    ///
    /// # Safety
    /// The instruction set must be available.
    #[inline(always)]
    unsafe fn eq(block: Self::Block, fold: u8, target: u8) -> u64 {
        // SAFETY: the caller guarantees the instruction set.
        unsafe { Self::eq_splat(block, Self::splat(fold), Self::splat(target)) }
    }

    /// [`Classifier::eq`] with the bytes already splatted.
    ///
    /// # Safety
    /// The instruction set must be available.
    unsafe fn eq_splat(block: Self::Block, fold: Self::Splat, target: Self::Splat) -> u64;

    /// Bit i set when `v_i | fold[0] == target[0]` and `w_i | fold[1] ==
    /// target[1]` (both tests combined in the vector registers, one mask
    /// extracted).
    ///
    /// # Safety
    /// The instruction set must be available.
    #[inline(always)]
    unsafe fn both(
        v: Self::Block,
        w: Self::Block,
        fold: [Self::Splat; 2],
        target: [Self::Splat; 2],
    ) -> u64 {
        // SAFETY: the caller guarantees the instruction set.
        unsafe { Self::eq_splat(v, fold[0], target[0]) & Self::eq_splat(w, fold[1], target[1]) }
    }

    /// Bit i = XOR of bits 0..=i.
    ///
    /// # Safety
    /// The instruction set must be available.
    #[inline(always)]
    unsafe fn prefix_xor(mut x: u64) -> u64 {
        x ^= x << 1;
        x ^= x << 2;
        x ^= x << 4;
        x ^= x << 8;
        x ^= x << 16;
        x ^= x << 32;
        x
    }
}

/// The reference classifier: a byte loop.
#[derive(Clone, Copy)]
pub(crate) struct Scalar;

impl Classifier for Scalar {
    type Block = [u8; 64];
    type Splat = u8;

    #[inline(always)]
    unsafe fn splat(byte: u8) -> u8 {
        byte
    }

    #[inline(always)]
    unsafe fn load(p: *const u8) -> [u8; 64] {
        // SAFETY: the caller guarantees 64 readable bytes at `p`.
        unsafe { p.cast::<[u8; 64]>().read_unaligned() }
    }

    #[inline(always)]
    unsafe fn eq_splat(block: [u8; 64], fold: u8, target: u8) -> u64 {
        let mut m = 0u64;
        for (i, b) in block.iter().enumerate() {
            m |= u64::from((b | fold) == target) << i;
        }
        m
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{Avx2, Sse2};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Classifier;
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256,
        _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8, _mm_and_si128,
        _mm_clmulepi64_si128, _mm_cmpeq_epi8, _mm_cvtsi128_si64, _mm_cvtsi64_si128,
        _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    /// x86-64 baseline: four 16-byte compares per mask.
    #[derive(Clone, Copy)]
    pub(crate) struct Sse2;

    impl Classifier for Sse2 {
        type Block = [__m128i; 4];
        type Splat = __m128i;

        #[inline(always)]
        unsafe fn splat(byte: u8) -> __m128i {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe { _mm_set1_epi8(byte as i8) }
        }

        #[inline(always)]
        unsafe fn load(p: *const u8) -> [__m128i; 4] {
            // SAFETY: the caller guarantees 64 readable bytes at `p`; SSE2
            // is part of the x86-64 baseline; the loads are unaligned.
            unsafe { [0, 16, 32, 48].map(|k| _mm_loadu_si128(p.add(k).cast::<__m128i>())) }
        }

        #[inline(always)]
        unsafe fn eq_splat(block: [__m128i; 4], f: __m128i, t: __m128i) -> u64 {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe {
                let mut m = 0u64;
                for (k, v) in block.into_iter().enumerate() {
                    let v = _mm_or_si128(v, f);
                    m |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, t)) as u16) << (16 * k);
                }
                m
            }
        }

        #[inline(always)]
        unsafe fn both(v: [__m128i; 4], w: [__m128i; 4], f: [__m128i; 2], t: [__m128i; 2]) -> u64 {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe {
                let mut m = 0u64;
                for k in 0..4 {
                    let a = _mm_cmpeq_epi8(_mm_or_si128(v[k], f[0]), t[0]);
                    let b = _mm_cmpeq_epi8(_mm_or_si128(w[k], f[1]), t[1]);
                    m |= u64::from(_mm_movemask_epi8(_mm_and_si128(a, b)) as u16) << (16 * k);
                }
                m
            }
        }
    }

    /// AVX2: two 32-byte compares per mask; prefix XOR by carry-less
    /// multiplication with all ones.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2;

    impl Classifier for Avx2 {
        type Block = [__m256i; 2];
        type Splat = __m256i;

        #[inline(always)]
        unsafe fn splat(byte: u8) -> __m256i {
            // SAFETY: the caller guarantees AVX2.
            unsafe { _mm256_set1_epi8(byte as i8) }
        }

        #[inline(always)]
        unsafe fn load(p: *const u8) -> [__m256i; 2] {
            // SAFETY: the caller guarantees 64 readable bytes at `p` and
            // that AVX2 is available; the loads are unaligned.
            unsafe {
                [
                    _mm256_loadu_si256(p.cast::<__m256i>()),
                    _mm256_loadu_si256(p.add(32).cast::<__m256i>()),
                ]
            }
        }

        #[inline(always)]
        unsafe fn eq_splat(block: [__m256i; 2], f: __m256i, t: __m256i) -> u64 {
            // SAFETY: the caller guarantees AVX2.
            unsafe {
                let [a, b] = [_mm256_or_si256(block[0], f), _mm256_or_si256(block[1], f)];
                let lo = _mm256_movemask_epi8(_mm256_cmpeq_epi8(a, t)) as u32;
                let hi = _mm256_movemask_epi8(_mm256_cmpeq_epi8(b, t)) as u32;
                u64::from(lo) | (u64::from(hi) << 32)
            }
        }

        #[inline(always)]
        unsafe fn both(v: [__m256i; 2], w: [__m256i; 2], f: [__m256i; 2], t: [__m256i; 2]) -> u64 {
            // SAFETY: the caller guarantees AVX2.
            unsafe {
                let half = |k: usize| {
                    let a = _mm256_cmpeq_epi8(_mm256_or_si256(v[k], f[0]), t[0]);
                    let b = _mm256_cmpeq_epi8(_mm256_or_si256(w[k], f[1]), t[1]);
                    _mm256_movemask_epi8(_mm256_and_si256(a, b)) as u32
                };
                u64::from(half(0)) | (u64::from(half(1)) << 32)
            }
        }

        #[inline(always)]
        unsafe fn prefix_xor(x: u64) -> u64 {
            // SAFETY: the caller guarantees PCLMULQDQ (checked with AVX2).
            unsafe {
                let v = _mm_clmulepi64_si128(_mm_cvtsi64_si128(x as i64), _mm_set1_epi8(-1), 0);
                _mm_cvtsi128_si64(v) as u64
            }
        }
    }
}

#[cfg(target_arch = "aarch64")]
pub(crate) use arm::Neon;

#[cfg(target_arch = "aarch64")]
mod arm {
    use super::Classifier;
    use std::arch::aarch64::{
        uint8x16_t, vandq_u8, vceqq_u8, vdupq_n_u8, vgetq_lane_u64, vld1q_u8, vorrq_u8, vpaddq_u8,
        vreinterpretq_u64_u8,
    };

    /// aarch64 baseline: four 16-byte compares per mask, and the movemask
    /// built from bit weights and three rounds of pairwise adds.
    #[derive(Clone, Copy)]
    pub(crate) struct Neon;

    const WEIGHTS: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128];

    impl Classifier for Neon {
        type Block = [uint8x16_t; 4];
        type Splat = uint8x16_t;

        #[inline(always)]
        unsafe fn splat(byte: u8) -> uint8x16_t {
            // SAFETY: NEON is part of the aarch64 baseline.
            unsafe { vdupq_n_u8(byte) }
        }

        #[inline(always)]
        unsafe fn load(p: *const u8) -> [uint8x16_t; 4] {
            // SAFETY: the caller guarantees 64 readable bytes at `p`; NEON
            // is part of the aarch64 baseline; vld1q_u8 needs no alignment.
            unsafe { [0, 16, 32, 48].map(|k| vld1q_u8(p.add(k))) }
        }

        #[inline(always)]
        unsafe fn eq_splat(block: [uint8x16_t; 4], f: uint8x16_t, t: uint8x16_t) -> u64 {
            // SAFETY: NEON is part of the aarch64 baseline.
            unsafe { movemask(block.map(|v| vceqq_u8(vorrq_u8(v, f), t))) }
        }

        #[inline(always)]
        unsafe fn both(
            v: [uint8x16_t; 4],
            w: [uint8x16_t; 4],
            f: [uint8x16_t; 2],
            t: [uint8x16_t; 2],
        ) -> u64 {
            // SAFETY: NEON is part of the aarch64 baseline.
            unsafe {
                movemask([0, 1, 2, 3].map(|k| {
                    let a = vceqq_u8(vorrq_u8(v[k], f[0]), t[0]);
                    let b = vceqq_u8(vorrq_u8(w[k], f[1]), t[1]);
                    vandq_u8(a, b)
                }))
            }
        }
    }

    /// Bit i set when byte i of the four compare results (0 or 0xff) is
    /// set: bit weights, then three rounds of pairwise adds.
    #[inline(always)]
    unsafe fn movemask(m: [uint8x16_t; 4]) -> u64 {
        // SAFETY: NEON is part of the aarch64 baseline; WEIGHTS is 16 bytes.
        unsafe {
            let w = vld1q_u8(WEIGHTS.as_ptr());
            let m = m.map(|v| vandq_u8(v, w));
            let s = vpaddq_u8(vpaddq_u8(m[0], m[1]), vpaddq_u8(m[2], m[3]));
            let s = vpaddq_u8(s, s);
            vgetq_lane_u64::<0>(vreinterpretq_u64_u8(s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masks_of<C: Classifier>(block: &[u8; 64], fold: u8, target: u8) -> u64 {
        // SAFETY: 64 readable bytes; only called for available paths.
        unsafe { C::eq(C::load(block.as_ptr()), fold, target) }
    }

    fn all_paths(block: &[u8; 64], fold: u8, target: u8) -> Vec<(Isa, u64)> {
        let mut got = vec![(Isa::Scalar, masks_of::<Scalar>(block, fold, target))];
        #[cfg(target_arch = "x86_64")]
        {
            got.push((Isa::Sse2, masks_of::<Sse2>(block, fold, target)));
            if Isa::Avx2.is_available() {
                got.push((Isa::Avx2, masks_of::<Avx2>(block, fold, target)));
            }
        }
        #[cfg(target_arch = "aarch64")]
        got.push((Isa::Neon, masks_of::<Neon>(block, fold, target)));
        got
    }

    #[test]
    fn every_path_marks_exactly_the_target_bytes() {
        let mut block = [b'x'; 64];
        block[0] = b'"';
        block[17] = b'\n';
        block[40] = b'E';
        block[41] = b'e';
        block[63] = b'"';
        for (isa, m) in all_paths(&block, 0, b'"') {
            assert_eq!(m, 1 | (1 << 63), "{isa:?}");
        }
        for (isa, m) in all_paths(&block, 0, b'\n') {
            assert_eq!(m, 1 << 17, "{isa:?}");
        }
        for (isa, m) in all_paths(&block, 0x20, b'e') {
            assert_eq!(m, (1 << 40) | (1 << 41), "{isa:?} folds case");
        }
        for (isa, m) in all_paths(&block, 0, 0) {
            assert_eq!(m, 0, "{isa:?}");
        }
    }

    #[test]
    fn every_path_has_the_scalar_prefix_xor() {
        let xs = [0u64, 1, 1 << 63, 0b1001, 0xdead_beef_0123_4567, !0];
        for x in xs {
            // SAFETY: the scalar default needs no instruction set.
            let want = unsafe { Scalar::prefix_xor(x) };
            let mut expect = 0u64;
            let mut acc = false;
            for i in 0..64 {
                acc ^= (x >> i) & 1 == 1;
                expect |= u64::from(acc) << i;
            }
            assert_eq!(want, expect);
            #[cfg(target_arch = "x86_64")]
            if Isa::Avx2.is_available() {
                // SAFETY: checked available just above.
                assert_eq!(unsafe { Avx2::prefix_xor(x) }, expect);
            }
        }
    }

    #[test]
    fn with_isa_forces_the_path_on_this_thread_only() {
        let outside = Isa::current();
        with_isa(Isa::Scalar, || {
            assert_eq!(Isa::current(), Isa::Scalar);
            let other = std::thread::spawn(Isa::current).join().unwrap();
            assert_eq!(other, outside, "another thread keeps the process-wide path");
            with_isa(Isa::best(), || assert_eq!(Isa::current(), Isa::best()));
            assert_eq!(Isa::current(), Isa::Scalar);
        });
        assert_eq!(Isa::current(), outside);
        assert!(Isa::available().contains(&Isa::Scalar));
        assert_eq!(Isa::available()[0], Isa::best());
    }
}
