//! The `.partial` file of a download: resume, size cap and hashing while writing.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use sha2::{Digest, Sha256};

use super::digest::{hash_file, to_hex};
use super::layout::{partial_path, payload_path};
use super::StageError;
use crate::fsutil;

/// Size of the write buffer. Network chunks are often a few KiB, and fewer, larger
/// writes cost less.
const WRITE_BUFFER: usize = 256 * 1024;

/// Failure of one download attempt, by what it means for the bytes received so far.
#[derive(Debug)]
pub(super) enum TransferError {
    /// The transfer stopped, but the bytes so far are kept for a resume.
    Interrupted(StageError),
    /// The payload is wrong, so the partial file is deleted.
    Rejected(StageError),
    /// The partial file or the server's range support cannot be trusted, so the partial
    /// file is deleted and the download starts over from zero, once.
    Restart(StageError),
}

impl From<StageError> for TransferError {
    fn from(error: StageError) -> Self {
        Self::Interrupted(error)
    }
}

/// Download in progress: written, hashed and capped at the declared size.
pub(super) struct PartialFile {
    path: PathBuf,
    writer: BufWriter<File>,
    hasher: Sha256,
    len: u64,
    declared: u64,
    /// Length of the partial file that this attempt continued from.
    resumed_from: u64,
    /// Source of the payload, for error messages.
    location: String,
}

impl PartialFile {
    /// Opens the partial file of `sha256`, and with `resume` hashes the bytes it already
    /// contains so that the download continues after them. A file longer than
    /// `declared` cannot be a prefix of the payload, so it is emptied.
    pub(super) async fn open(
        folder: &Path,
        sha256: &str,
        declared: u64,
        resume: bool,
        location: String,
    ) -> Result<Self, StageError> {
        let path = partial_path(folder, sha256);
        let io_error = |source| StageError::io("opening", &path, source);
        let file = open_options(resume).open(&path).map_err(io_error)?;
        let (file, hasher, len) = match resume {
            true => hash_file(file, declared).await.map_err(io_error)?,
            false => (file, Sha256::new(), 0),
        };

        let mut partial = Self {
            path,
            writer: BufWriter::with_capacity(WRITE_BUFFER, file),
            hasher,
            len,
            declared,
            resumed_from: len,
            location,
        };
        if len > declared {
            tracing::warn!(
                path = %partial.path.display(),
                declared,
                "discarding a partial download larger than the payload"
            );
            partial.restart()?;
        }
        Ok(partial)
    }

    /// Bytes written so far.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    pub(super) fn declared(&self) -> u64 {
        self.declared
    }

    pub(super) fn location(&self) -> &str {
        &self.location
    }

    /// Empties the file, for a server that sends the whole payload again.
    pub(super) fn restart(&mut self) -> Result<(), StageError> {
        let io_error = |source| StageError::io("truncating", &self.path, source);
        self.writer.flush().map_err(io_error)?;
        let file = self.writer.get_mut();
        file.set_len(0).map_err(io_error)?;
        file.rewind().map_err(io_error)?;

        self.hasher = Sha256::new();
        self.len = 0;
        self.resumed_from = 0;
        Ok(())
    }

    /// Appends a chunk, or rejects it without writing if the payload would exceed its
    /// declared size.
    pub(super) fn write(&mut self, chunk: &[u8]) -> Result<(), TransferError> {
        let at_least = self.len.saturating_add(chunk.len() as u64);
        if at_least > self.declared {
            return Err(TransferError::Rejected(StageError::TooLarge {
                location: self.location.clone(),
                declared: self.declared,
                at_least,
            }));
        }
        self.writer
            .write_all(chunk)
            .map_err(|source| StageError::io("writing", &self.path, source))?;
        self.hasher.update(chunk);
        self.len = at_least;
        Ok(())
    }

    /// Error for a body that ended before the declared size.
    pub(super) fn short_error(&self) -> TransferError {
        TransferError::Interrupted(StageError::SizeMismatch {
            location: self.location.clone(),
            expected: self.declared,
            actual: self.len,
        })
    }

    /// Flushes the buffer and keeps the file for a later resume.
    pub(super) fn keep(mut self) {
        if let Err(error) = self.writer.flush() {
            tracing::warn!(
                path = %self.path.display(),
                %error,
                "flushing a partial download failed"
            );
        }
    }

    /// Deletes the file.
    pub(super) fn discard(self) {
        let path = self.path.clone();
        drop(self.writer);
        remove_quietly(&path);
    }

    /// Syncs the complete file, checks its hash against `expected` and renames it to the
    /// staged payload. A mismatch deletes the file.
    pub(super) fn finish(self, expected: &str) -> Result<PathBuf, TransferError> {
        let folder = fsutil::parent_folder(&self.path);
        let io_error = |source| StageError::io("syncing", &self.path, source);
        let file = self
            .writer
            .into_inner()
            .map_err(|error| io_error(error.into_error()))?;
        file.sync_all().map_err(io_error)?;

        let actual = to_hex(self.hasher);
        if actual != expected {
            remove_quietly(&self.path);
            let error = StageError::HashMismatch {
                location: self.location,
                expected: expected.to_owned(),
                actual,
            };
            return Err(match self.resumed_from {
                0 => TransferError::Rejected(error),
                _ => TransferError::Restart(error),
            });
        }
        commit(&self.path, &payload_path(&folder, expected)).map_err(TransferError::Interrupted)
    }
}

fn open_options(resume: bool) -> OpenOptions {
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .create(true)
        .truncate(!resume)
        .mode(0o600)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC).bits());
    options
}

/// Renames the verified download to its final name and makes the rename durable.
fn commit(partial: &Path, payload: &Path) -> Result<PathBuf, StageError> {
    std::fs::rename(partial, payload)
        .map_err(|source| StageError::io("renaming", partial, source))?;
    let folder = fsutil::parent_folder(payload);
    fsutil::sync_folder(&folder).map_err(|source| StageError::io("syncing", &folder, source))?;
    Ok(payload.to_owned())
}

/// Deletes a file, logging a failure other than its absence.
pub(super) fn remove_quietly(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "deleting a staging file failed")
        }
    }
}
