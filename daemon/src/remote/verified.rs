//! Memory of the stored pair that this process last wrote or verified, so that a refresh
//! need not read and hash an unchanged pair again before a conditional GET.
//!
//! A pair is trusted again only while the status names the same generation and SHA-256,
//! the remote pins the same keys, and both files keep their device, inode, size,
//! modification time and change time. The kernel sets a file's change time on every write
//! and on every change of its metadata, and no system call sets it to a chosen value.
//! Loading a catalog for use still verifies the whole pair, and a failure there makes
//! this memory forget the pair.
//!
//! NOTE: file times advance in clock ticks of a few milliseconds unless the kernel and
//! file system keep fine-grained times for files whose times were read (Linux 6.13 and
//! later). Before that, a same-size rewrite within one tick of the stamp goes unnoticed.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use super::store::AcceptedRecord;
use crate::catalog::minisign::PublicKey;

/// Metadata of a file that changes when its contents may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    device: u64,
    inode: u64,
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl FileStamp {
    fn read(path: &Path) -> io::Result<Self> {
        let metadata = std::fs::symlink_metadata(path)?;
        Ok(Self {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.size(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        })
    }
}

/// Stamps of a stored catalog and its signature, taken before they are read or right
/// after they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PairStamps([FileStamp; 2]);

impl PairStamps {
    pub(super) fn read(catalog: &Path, signature: &Path) -> io::Result<Self> {
        Ok(Self([
            FileStamp::read(catalog)?,
            FileStamp::read(signature)?,
        ]))
    }
}

/// A stored pair that verified with `keys`.
#[derive(Debug, Clone)]
struct VerifiedPair {
    generation: u64,
    sha256: String,
    keys: Vec<PublicKey>,
    signature: Vec<u8>,
    stamps: PairStamps,
}

/// The remembered pair of one remote, shared by every handle on its state folder.
#[derive(Debug, Default)]
pub(super) struct VerifiedMemory(Mutex<Option<VerifiedPair>>);

impl VerifiedMemory {
    /// Remembers that the pair of `record`, whose files had `stamps`, verified with
    /// `keys` and has `signature`.
    pub(super) fn remember(
        &self,
        record: &AcceptedRecord,
        keys: &[PublicKey],
        signature: &[u8],
        stamps: PairStamps,
    ) {
        let pair = VerifiedPair {
            generation: record.generation,
            sha256: record.sha256.clone(),
            keys: keys.to_vec(),
            signature: signature.to_vec(),
            stamps,
        };
        *self.lock() = Some(pair);
    }

    /// Returns the signature of the pair of `record` if it is the remembered pair, the
    /// remote still pins the same `keys`, and its files have the remembered `stamps`.
    pub(super) fn recall(
        &self,
        record: &AcceptedRecord,
        keys: &[PublicKey],
        stamps: PairStamps,
    ) -> Option<Vec<u8>> {
        let memory = self.lock();
        let pair = memory.as_ref()?;
        let same = pair.generation == record.generation
            && pair.sha256 == record.sha256
            && pair.keys == keys
            && pair.stamps == stamps;
        same.then(|| pair.signature.clone())
    }

    pub(super) fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<VerifiedPair>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::minisign::SecretKey;

    fn record(generation: u64) -> AcceptedRecord {
        AcceptedRecord {
            generation,
            serial: 7,
            sha256: "ab".repeat(32),
            issued: "2025-06-01T00:00:00Z".parse().unwrap(),
            expires: "2025-07-01T00:00:00Z".parse().unwrap(),
            key_id: "CF55337A1261E7DB".to_owned(),
        }
    }

    /// Writes a pair into `dir` and returns its stamps.
    fn write_pair(dir: &Path, catalog: &[u8]) -> PairStamps {
        let (catalog_path, signature_path) = (dir.join("catalog"), dir.join("signature"));
        std::fs::write(&catalog_path, catalog).unwrap();
        std::fs::write(&signature_path, b"signature").unwrap();
        PairStamps::read(&catalog_path, &signature_path).unwrap()
    }

    #[test]
    fn remembered_pair_is_recalled() {
        let dir = tempfile::tempdir().unwrap();
        let stamps = write_pair(dir.path(), b"catalog");
        let keys = [SecretKey::generate().public_key()];
        let memory = VerifiedMemory::default();

        memory.remember(&record(2), &keys, b"signature", stamps);

        let recalled = memory.recall(&record(2), &keys, stamps);
        assert_eq!(recalled.as_deref(), Some(&b"signature"[..]));
    }

    #[test]
    fn changed_pair_or_keys_are_not_recalled() {
        let dir = tempfile::tempdir().unwrap();
        let stamps = write_pair(dir.path(), b"catalog");
        let keys = [SecretKey::generate().public_key()];
        let other_keys = [SecretKey::generate().public_key()];
        let mut other_sha256 = record(2);
        other_sha256.sha256 = "cd".repeat(32);
        let memory = VerifiedMemory::default();
        memory.remember(&record(2), &keys, b"signature", stamps);

        let rewritten = write_pair(dir.path(), b"catalog, edited");

        assert_ne!(rewritten, stamps);
        assert_eq!(memory.recall(&record(2), &keys, rewritten), None);
        assert_eq!(memory.recall(&record(3), &keys, stamps), None);
        assert_eq!(memory.recall(&other_sha256, &keys, stamps), None);
        assert_eq!(memory.recall(&record(2), &other_keys, stamps), None);
    }

    #[test]
    fn forgotten_pair_is_not_recalled() {
        let dir = tempfile::tempdir().unwrap();
        let stamps = write_pair(dir.path(), b"catalog");
        let keys = [SecretKey::generate().public_key()];
        let memory = VerifiedMemory::default();
        memory.remember(&record(2), &keys, b"signature", stamps);

        memory.forget();

        assert_eq!(memory.recall(&record(2), &keys, stamps), None);
    }
}
