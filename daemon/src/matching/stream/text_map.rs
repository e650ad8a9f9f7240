//! A hash map keyed by text borrowed from the catalog document, whose keys keep their
//! hash.
//!
//! Growing a hash map hashes every key again. Keys borrowed from a large document lie
//! far apart in memory, so reading them again costs a cache miss each. In a profile of a
//! 50,000-release catalog, that made growing the map of release ids the largest part of
//! the uniqueness check. Each key
//! here stores its hash, computed once with the randomly keyed SipHash that std's
//! `HashMap` uses by default.

use std::borrow::Cow;
use std::collections::hash_map::{Entry, HashMap, RandomState};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

/// Map from text of the document to `V`.
pub(super) struct TextMap<'de, V> {
    map: HashMap<HashedText<'de>, V, BuildHasherDefault<StoredHash>>,
    state: RandomState,
}

impl<'de, V> TextMap<'de, V> {
    pub(super) fn new() -> Self {
        Self {
            map: HashMap::default(),
            state: RandomState::new(),
        }
    }

    pub(super) fn entry(&mut self, text: &Cow<'de, str>) -> Entry<'_, HashedText<'de>, V> {
        let hash = self.state.hash_one(text.as_ref());
        self.map.entry(HashedText {
            hash,
            text: text.clone(),
        })
    }
}

/// Text with its hash.
pub(super) struct HashedText<'de> {
    hash: u64,
    text: Cow<'de, str>,
}

impl Hash for HashedText<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for HashedText<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.text == other.text
    }
}

impl Eq for HashedText<'_> {}

/// Hasher that returns the hash a [`HashedText`] stored.
#[derive(Default)]
struct StoredHash(u64);

impl Hasher for StoredHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }

    /// Mixes in bytes. `HashedText` writes only its `u64`, so this is not reached.
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_text_finds_the_same_entry() {
        let mut map = TextMap::new();
        let owned: Cow<str> = Cow::Owned("release-1".to_owned());

        map.entry(&Cow::Borrowed("release-1")).or_insert(1);
        map.entry(&Cow::Borrowed("release-2")).or_insert(2);

        assert!(matches!(map.entry(&owned), Entry::Occupied(entry) if *entry.get() == 1));
        assert!(matches!(
            map.entry(&Cow::Borrowed("release-3")),
            Entry::Vacant(_)
        ));
    }
}
