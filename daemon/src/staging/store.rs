//! The staging store: the staged payloads on disk, their index, and unstage and verify.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use nix::fcntl::OFlag;

use super::digest::{hash_file, normalize_sha256, to_hex};
use super::index::{read_index, write_index};
use super::layout::payload_path;
use super::partial::remove_quietly;
use super::reconcile::reconcile;
use super::{StageError, StagedPayload, STAGED_DIR};
use crate::fsutil;

/// Staged payloads of one state folder. Share it behind an `Arc`: every method takes
/// `&self`, and a download holds no lock while it waits for the network.
#[derive(Debug)]
pub struct StagingStore {
    folder: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    /// Entries of `index.json`, as last written.
    pub items: Vec<StagedPayload>,
    /// Verified payload files by SHA-256, with their sizes, including payloads that no
    /// entry references yet.
    pub payloads: BTreeMap<String, u64>,
    /// Payloads that a `stage` call is working on now, by SHA-256, with the release of
    /// that call.
    pub in_flight: HashMap<String, InFlight>,
}

/// Release whose payload a `stage` call is downloading or verifying now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct InFlight {
    pub remote_id: String,
    pub release_id: String,
}

impl StagingStore {
    /// Opens `<state_dir>/staged`, creating it with mode 0700, and reconciles its index
    /// with the files.
    ///
    /// Entries whose file is missing or has the wrong size are dropped. Payloads missing
    /// from the index are hashed, then adopted or deleted. Leftover temporary files are
    /// deleted, and partial downloads stay for a resume.
    ///
    /// The store itself takes no lock on the folder. The daemon opens it only while it
    /// holds the state folder's [`StateLock`](crate::state_lock::StateLock), which
    /// makes it the only writer.
    pub fn open(state_dir: &Path) -> Result<Self, StageError> {
        let folder = state_dir.join(STAGED_DIR);
        fsutil::create_private_dir(&folder)
            .map_err(|source| StageError::io("creating", &folder, source))?;
        check_real_folder(&folder)?;

        let listed = read_index(&folder);
        let reconciled = reconcile(&folder, listed, SystemTime::now())?;
        // Writing the index even when nothing changed also replaces an invalid one.
        write_index(&folder, &reconciled.items)?;
        tracing::info!(
            folder = %folder.display(),
            staged = reconciled.items.len(),
            payloads = reconciled.payloads.len(),
            "opened the staging folder"
        );

        let state = State {
            items: reconciled.items,
            payloads: reconciled.payloads,
            in_flight: HashMap::new(),
        };
        Ok(Self {
            folder,
            state: Mutex::new(state),
        })
    }

    /// Folder of the staged files, `<state_dir>/staged`.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Returns whether a stage job is downloading or verifying the payload `sha256` now.
    pub fn is_in_flight(&self, sha256: &str) -> bool {
        self.lock().in_flight.contains_key(sha256)
    }

    /// Returns the staged payloads, one per release and device.
    pub fn list(&self) -> Vec<StagedPayload> {
        self.lock().items.clone()
    }

    /// Returns the path of a staged payload, or None if no release has it staged.
    ///
    /// The file was verified when it was staged, but it is not hashed again here. The
    /// apply step must call [`Self::verify_staged`] instead.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let sha256 = sha256.to_ascii_lowercase();
        let state = self.lock();
        let staged = state.items.iter().any(|item| item.sha256 == sha256);
        staged.then(|| payload_path(&self.folder, &sha256))
    }

    /// Removes a release from the index for every device, and deletes the payload files
    /// that no other entry uses. Returns the removed entries, an empty list if the
    /// release was not staged. Rejects the call with [`StageError::BeingStaged`] while a
    /// `stage` call for the release is downloading or verifying its payload, because that
    /// call would list the payload again when it ends.
    pub fn unstage(
        &self,
        remote_id: &str,
        release_id: &str,
    ) -> Result<Vec<StagedPayload>, StageError> {
        let in_release = |remote: &str, release: &str| remote == remote_id && release == release_id;
        self.unstage_where(release_id, in_release)
    }

    /// Removes a release from the index for every remote and device, like
    /// [`Self::unstage`] does for one remote.
    pub fn unstage_release(&self, release_id: &str) -> Result<Vec<StagedPayload>, StageError> {
        self.unstage_where(release_id, |_, release| release == release_id)
    }

    /// Removes the entries whose remote and release `selects`, unless a `stage` call
    /// works on such a release, and logs the removal.
    fn unstage_where(
        &self,
        release_id: &str,
        selects: impl Fn(&str, &str) -> bool,
    ) -> Result<Vec<StagedPayload>, StageError> {
        let mut state = self.lock();
        let being_staged = state
            .in_flight
            .iter()
            .find(|(_, call)| selects(&call.remote_id, &call.release_id));
        if let Some((sha256, _)) = being_staged {
            let (release_id, sha256) = (release_id.to_owned(), sha256.clone());
            return Err(StageError::BeingStaged { release_id, sha256 });
        }

        let removed = self.remove_locked(&mut state, |item| {
            selects(&item.remote_id, &item.release_id)
        })?;
        if !removed.is_empty() {
            tracing::info!(release_id, entries = removed.len(), "release unstaged");
        }
        Ok(removed)
    }

    /// Removes the entries of a release for one device, from every remote, and deletes
    /// the payload files that no other entry uses. Returns the removed entries, an empty
    /// list if there were none.
    pub fn remove_for_device(
        &self,
        release_id: &str,
        device_id: &str,
    ) -> Result<Vec<StagedPayload>, StageError> {
        let matches =
            |item: &StagedPayload| item.release_id == release_id && item.device_id == device_id;
        self.remove_locked(&mut self.lock(), matches)
    }

    /// Removes the entries that `matches` selects, writes the index, and deletes the
    /// payload files that no remaining entry references and no `stage` call works on.
    fn remove_locked(
        &self,
        state: &mut State,
        matches: impl Fn(&StagedPayload) -> bool,
    ) -> Result<Vec<StagedPayload>, StageError> {
        let removed: Vec<StagedPayload> = state
            .items
            .iter()
            .filter(|item| matches(item))
            .cloned()
            .collect();
        if removed.is_empty() {
            return Ok(removed);
        }

        self.update_items(state, |items| items.retain(|item| !matches(item)))?;
        let shas = removed.iter().map(|item| item.sha256.clone());
        self.delete_unreferenced(state, shas.collect());
        Ok(removed)
    }

    /// Hashes a staged payload again and returns its path if it still matches. A file
    /// that changed on disk is deleted with its index entries, and the error gives the
    /// expected and actual hash.
    pub async fn verify_staged(&self, sha256: &str) -> Result<PathBuf, StageError> {
        let sha256 = normalize_sha256(sha256)?;
        let size = self.lock().payloads.get(&sha256).copied();
        let size = size.ok_or_else(|| StageError::NotStaged {
            sha256: sha256.clone(),
        })?;
        let path = payload_path(&self.folder, &sha256);

        let (count, actual) = match hash_staged(&path, size).await {
            Ok(result) => result,
            Err(StageError::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
                self.forget_payload(&sha256)?;
                return Err(StageError::NotStaged { sha256 });
            }
            Err(error) => return Err(error),
        };
        if count == size && actual == sha256 {
            return Ok(path);
        }

        tracing::warn!(
            sha256,
            path = %path.display(),
            "a staged payload changed on disk, deleting it"
        );
        self.forget_payload(&sha256)?;
        let location = path.display().to_string();
        if count != size {
            let (expected, actual) = (size, count);
            return Err(StageError::SizeMismatch {
                location,
                expected,
                actual,
            });
        }
        let expected = sha256;
        Err(StageError::HashMismatch {
            location,
            expected,
            actual,
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // The daemon must not panic, and the worst that a panic under the lock can leave
        // is an entry out of step with the files, which the next open reconciles.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `change` to a copy of the entries, writes the index, and only then
    /// replaces the entries in memory.
    pub(super) fn update_items(
        &self,
        state: &mut State,
        change: impl FnOnce(&mut Vec<StagedPayload>),
    ) -> Result<(), StageError> {
        let mut items = state.items.clone();
        change(&mut items);
        write_index(&self.folder, &items)?;
        state.items = items;
        Ok(())
    }

    /// Deletes the payload files of `shas` that no entry references and no `stage` call
    /// is working on.
    pub(super) fn delete_unreferenced(&self, state: &mut State, shas: Vec<String>) {
        for sha256 in shas {
            let referenced = state.items.iter().any(|item| item.sha256 == sha256);
            if referenced || state.in_flight.contains_key(&sha256) {
                continue;
            }
            if state.payloads.remove(&sha256).is_some() {
                remove_quietly(&payload_path(&self.folder, &sha256));
            }
        }
    }

    /// Drops a payload that is missing or changed: its entries, its file and its record.
    pub(super) fn forget_payload(&self, sha256: &str) -> Result<(), StageError> {
        let mut state = self.lock();
        state.payloads.remove(sha256);
        remove_quietly(&payload_path(&self.folder, sha256));
        if state.items.iter().any(|item| item.sha256 == sha256) {
            self.update_items(&mut state, |items| {
                items.retain(|item| item.sha256 != sha256);
            })?;
        }
        Ok(())
    }
}

/// Rejects a staging folder that is a symbolic link or not a folder.
fn check_real_folder(folder: &Path) -> Result<(), StageError> {
    let metadata = std::fs::symlink_metadata(folder)
        .map_err(|source| StageError::io("reading", folder, source))?;
    if !metadata.is_dir() {
        let source = std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a folder; remove it so that hwupd can create the folder",
        );
        return Err(StageError::io("opening", folder, source));
    }
    Ok(())
}

/// Hashes at most `size + 1` bytes of a staged file and returns the count and the hash.
async fn hash_staged(path: &Path, size: u64) -> Result<(u64, String), StageError> {
    let io_error = |source| StageError::io("reading", path, source);
    let file = File::options()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC).bits())
        .open(path)
        .map_err(io_error)?;
    let (_, hasher, count) = hash_file(file, size).await.map_err(io_error)?;
    Ok((count, to_hex(hasher)))
}
