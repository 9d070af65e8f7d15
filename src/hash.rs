//! The hasher of the hash maps on the hot path ([`MixState`]).

use std::hash::BuildHasher;

/// The hasher of the lineage tree (GUID index, waiting rows, names and
/// hosts) and of the catalog: splitmix64's finaliser, a bijection, over the key's 8-byte words (and,
/// for byte strings, their length), chained from a random per-process
/// seed. Cheaper than SipHash — every node and candidate is hashed several
/// times, every candidate row's child name once — and the seed keeps hostile ids and names from choosing their
/// buckets: two keys of one word never collide, and whether longer keys
/// share a bucket depends on the seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MixState(u64);

impl Default for MixState {
    fn default() -> MixState {
        MixState(std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64))
    }
}

impl std::hash::BuildHasher for MixState {
    type Hasher = Mix;
    fn build_hasher(&self) -> Mix {
        Mix(self.0)
    }
}

/// See [`MixState`].
#[derive(Debug)]
pub(crate) struct Mix(u64);

impl Mix {
    fn add(&mut self, x: u64) {
        let mut z = (self.0 ^ x).wrapping_add(0x9e3779b97f4a7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        self.0 = z ^ (z >> 31);
    }
}

impl std::hash::Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.add(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            // (shifted in byte by byte: a short copy would call memcpy)
            let tail = rest
                .iter()
                .rev()
                .fold(0u64, |x, &c| (x << 8) | u64::from(c));
            self.add(tail);
        }
    }
    fn write_u32(&mut self, x: u32) {
        self.add(u64::from(x));
    }
    fn write_u64(&mut self, x: u64) {
        self.add(x);
    }
    fn write_u128(&mut self, x: u128) {
        self.add(x as u64);
        self.add((x >> 64) as u64);
    }
    fn write_usize(&mut self, x: usize) {
        self.add(x as u64);
    }
}
