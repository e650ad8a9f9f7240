//! Accepted catalogs on disk, under `state_dir/remotes/<id>/`.
//!
//! Each remote's folder contains `status.json` and generation folders:
//!
//! ```text
//! remotes/<id>/status.json
//! remotes/<id>/generation-<n>/catalog.json
//! remotes/<id>/generation-<n>/catalog.json.minisig
//! ```
//!
//! A catalog and its signature must change together, and two renames cannot be made
//! atomic as a pair. So a new pair is written into a fresh generation folder, which is
//! synced and renamed into place, and only then does `status.json`, written atomically,
//! name the new generation. `status.json` is the commit point. A crash before it leaves
//! the old status naming the old, complete pair, and the unreferenced folder is removed
//! by the next commit. Readers verify the pair again on load in any case.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::config::is_valid_remote_id;
use super::error::LastError;
use super::local::{read_bounded, ReadError};
use super::verified::{PairStamps, VerifiedMemory};
use crate::catalog::document::MAX_CATALOG_SIZE;
use crate::catalog::minisign::MAX_SIGNATURE_FILE;
use crate::fsutil::{create_private_dir, sync_folder, write_atomic};

pub const STATUS_FILE: &str = "status.json";
pub const CATALOG_FILE: &str = "catalog.json";
pub const SIGNATURE_FILE: &str = "catalog.json.minisig";

/// Maximum size in bytes of `status.json`, which is well under 4 KiB when valid.
const MAX_STATUS_FILE: u64 = 64 * 1024;

/// Mode of the stored files. Catalogs and their status are public information.
const FILE_MODE: u32 = 0o644;

/// Folder of all remotes' state, with a lock per remote so that refreshes of one remote
/// run one at a time, and the memory of each remote's last verified pair. Share it
/// between tasks with an `Arc`.
#[derive(Debug)]
pub struct RemoteStore {
    remotes_dir: PathBuf,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    verified: Mutex<HashMap<String, Arc<VerifiedMemory>>>,
}

impl RemoteStore {
    /// Returns the store in `state_dir/remotes`. Folders are created on first write.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            remotes_dir: state_dir.join("remotes"),
            locks: Mutex::default(),
            verified: Mutex::default(),
        }
    }

    pub fn remotes_dir(&self) -> &Path {
        &self.remotes_dir
    }

    /// Returns the state folder of remote `id`, which must be a valid remote id so that
    /// it cannot name a path outside the store.
    pub(super) fn remote_dir(&self, id: &str) -> io::Result<RemoteDir> {
        if !is_valid_remote_id(id) {
            let message = format!("{id:?} is not a valid remote id");
            return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        }
        let verified = {
            let mut memories = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
            memories.entry(id.to_owned()).or_default().clone()
        };
        Ok(RemoteDir {
            path: self.remotes_dir.join(id),
            verified,
        })
    }

    /// Waits until no other refresh of remote `id` runs, and holds that until the guard
    /// is dropped.
    pub(super) async fn lock(&self, id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            locks.entry(id.to_owned()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// State of one remote as `status.json` stores it.
///
/// The daemon writes this file and trusts it: `accepted` is the reference for the
/// rollback and replay checks even when the stored catalog is damaged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredStatus {
    /// The accepted catalog, or None before the first success.
    pub accepted: Option<AcceptedRecord>,
    /// Time of the last refresh attempt.
    pub last_refresh: Option<Timestamp>,
    /// Time of the last refresh that ended with the remote's catalog accepted or unchanged.
    pub last_success: Option<Timestamp>,
    /// Failure of the last attempt, or None if it succeeded.
    pub last_error: Option<LastError>,
    /// `ETag` of the accepted catalog's response, for the next conditional GET.
    pub etag: Option<String>,
    /// `Last-Modified` of the accepted catalog's response.
    pub last_modified: Option<String>,
}

/// The accepted catalog: its generation folder and the facts that later checks use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedRecord {
    /// Number of the `generation-<n>` folder that contains the pair.
    pub generation: u64,
    pub serial: u64,
    /// SHA-256 of the catalog's bytes in lower-case hex.
    pub sha256: String,
    pub issued: Timestamp,
    pub expires: Timestamp,
    /// Id of the pinned key that signed it, as minisign prints key ids.
    pub key_id: String,
}

/// State folder of one remote. Every method blocks on file I/O.
#[derive(Debug, Clone)]
pub(super) struct RemoteDir {
    path: PathBuf,
    verified: Arc<VerifiedMemory>,
}

impl RemoteDir {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the memory of the remote's last verified pair.
    pub fn verified(&self) -> &VerifiedMemory {
        &self.verified
    }

    /// Reads the stamps of the catalog and signature files of a generation.
    pub fn pair_stamps(&self, generation: u64) -> io::Result<PairStamps> {
        let folder = self.generation_dir(generation);
        PairStamps::read(&folder.join(CATALOG_FILE), &folder.join(SIGNATURE_FILE))
    }

    fn generation_dir(&self, generation: u64) -> PathBuf {
        self.path.join(format!("generation-{generation}"))
    }

    fn staging_dir(&self, generation: u64) -> PathBuf {
        self.path.join(format!(".incoming-{generation}"))
    }

    /// Reads `status.json`. A missing file is an empty status. A damaged one is logged
    /// and read as empty too.
    // NOTE: An empty status drops the rollback floor, so a damaged status file lets the
    // remote's next catalog of any serial in. Only a disk fault or a root user can damage
    // it, because every write is atomic.
    pub fn read_status(&self) -> StoredStatus {
        let path = self.path.join(STATUS_FILE);
        let bytes = match read_bounded(&path, MAX_STATUS_FILE) {
            Ok(bytes) => bytes,
            Err(ReadError::Io(error)) if error.kind() == io::ErrorKind::NotFound => {
                return StoredStatus::default();
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), ?error, "reading remote status failed; starting from an empty status");
                return StoredStatus::default();
            }
        };
        serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            tracing::warn!(path = %path.display(), %error, "remote status is damaged; starting from an empty status");
            StoredStatus::default()
        })
    }

    /// Writes `status.json` atomically, which commits any generation that it names.
    pub fn write_status(&self, status: &StoredStatus) -> io::Result<()> {
        create_private_dir(&self.path)?;
        let mut json = serde_json::to_vec_pretty(status).map_err(io::Error::other)?;
        json.push(b'\n');
        write_atomic(&self.path.join(STATUS_FILE), &json, FILE_MODE, true)
    }

    /// Reads the catalog and signature of a generation, each with its size bounded.
    pub fn read_pair(&self, generation: u64) -> Result<(Vec<u8>, Vec<u8>), ReadError> {
        let folder = self.generation_dir(generation);
        let catalog = read_bounded(&folder.join(CATALOG_FILE), MAX_CATALOG_SIZE as u64)?;
        let signature = read_bounded(&folder.join(SIGNATURE_FILE), MAX_SIGNATURE_FILE as u64)?;
        Ok((catalog, signature))
    }

    /// Writes a catalog and its signature as generation `generation`, which no status
    /// names yet. The pair is complete and synced before the folder gets its final name.
    pub fn write_pair(&self, generation: u64, catalog: &[u8], signature: &[u8]) -> io::Result<()> {
        self.stage_pair(generation, catalog, signature)?;
        self.publish_staged(generation)
    }

    /// Writes a catalog and its signature, synced, into the staging folder of generation
    /// `generation`, which no status names yet. [`RemoteDir::publish_staged`] gives the
    /// folder its final name, and [`RemoteDir::discard_staged`] removes it.
    pub fn stage_pair(&self, generation: u64, catalog: &[u8], signature: &[u8]) -> io::Result<()> {
        create_private_dir(&self.path)?;
        let staging = self.staging_dir(generation);
        remove_folder_if_present(&staging)?;
        remove_folder_if_present(&self.generation_dir(generation))?;

        create_private_dir(&staging)?;
        write_atomic(&staging.join(SIGNATURE_FILE), signature, FILE_MODE, true)?;
        write_atomic(&staging.join(CATALOG_FILE), catalog, FILE_MODE, true)
    }

    /// Renames the staging folder of `generation` to its final name and syncs the
    /// remote's folder, so that the rename survives a crash.
    pub fn publish_staged(&self, generation: u64) -> io::Result<()> {
        let staging = self.staging_dir(generation);
        std::fs::rename(&staging, self.generation_dir(generation))?;
        sync_folder(&self.path)
    }

    /// Removes the staging folder of `generation`. A failure is logged, because the next
    /// commit removes leftovers too.
    pub fn discard_staged(&self, generation: u64) {
        let staging = self.staging_dir(generation);
        if let Err(error) = remove_folder_if_present(&staging) {
            tracing::warn!(path = %staging.display(), %error, "removing a rejected catalog failed");
        }
    }

    /// Removes every generation folder except `keep`, and leftovers of interrupted
    /// writes. Failures are logged, because they only cost disk space.
    pub fn remove_other_generations(&self, keep: u64) {
        let keep_name = format!("generation-{keep}");
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let stale = name.starts_with(".incoming-")
                || (name.starts_with("generation-") && name != keep_name);
            if !stale {
                continue;
            }
            if let Err(error) = std::fs::remove_dir_all(entry.path()) {
                tracing::warn!(path = %entry.path().display(), %error, "removing an old catalog generation failed");
            }
        }
    }
}

fn remove_folder_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
