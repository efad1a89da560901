//! A hasher for the engine's own small keys (pfns, record shapes) in maps looked up
//! on every call: a multiply-and-rotate per word. std's default SipHash resists keys
//! chosen to collide, which these maps never see (their keys are the engine's own
//! values), and costs more than the rest of the lookup. Only a map's speed depends
//! on the hash, never what it finds; no map keyed this way is iterated in hash order
//! where the order could show.

use std::hash::{BuildHasherDefault, Hasher};

/// `HashMap<K, V, WordHash>`: a map hashed with [`WordHasher`].
pub type WordHash = BuildHasherDefault<WordHasher>;

/// See the module.
#[derive(Clone, Copy, Debug, Default)]
pub struct WordHasher(u64);

impl WordHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            for (to, from) in word.iter_mut().zip(chunk) {
                *to = *from;
            }
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn write_isize(&mut self, n: isize) {
        self.add(n as u64);
    }

    /// The product's high bits depend on every bit of the key, its low bits only on
    /// the key's low bits; hashbrown picks the bucket from the low bits, so the
    /// rotation brings the mixed high bits down (pfns of aligned blocks share their
    /// low bits and would otherwise crowd a few buckets).
    #[inline]
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::hash::BuildHasher;

    #[test]
    fn a_map_finds_every_key_it_was_given() {
        let mut map: HashMap<u64, usize, WordHash> = HashMap::default();
        // Pfns of a 1 GiB zone in strides that share low bits.
        let keys: Vec<u64> = (0..20_000u64).map(|i| 0x4_0000 + i * 512).collect();
        for (i, &k) in keys.iter().enumerate() {
            map.insert(k, i);
        }
        assert_eq!(map.len(), keys.len());
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(map.get(k), Some(&i));
        }
        assert_eq!(map.get(&0x4_0001), None);
    }

    #[test]
    fn aligned_pfns_spread_over_the_low_bits() {
        // Order-9 blocks' pfns share their nine low bits; the bucket is taken from
        // the hash's low bits, so those must still differ from key to key.
        let build = WordHash::default();
        let buckets: std::collections::HashSet<u64> = (0..1024u64)
            .map(|i| build.hash_one(0x4_0000 + i * 512) & 1023)
            .collect();
        assert!(
            buckets.len() > 512,
            "{} of 1024 buckets used",
            buckets.len()
        );
    }

    #[test]
    fn different_words_hash_apart_and_bytes_hash_as_words() {
        let build = WordHash::default();
        assert_ne!(build.hash_one(1u64), build.hash_one(2u64));
        let mut by_bytes = WordHasher::default();
        by_bytes.write(&7u64.to_le_bytes());
        let mut by_word = WordHasher::default();
        by_word.write_u64(7);
        assert_eq!(by_bytes.finish(), by_word.finish());
    }
}
