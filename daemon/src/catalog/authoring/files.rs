//! File helpers for authoring: atomic writes, bounded reads and streaming SHA-256.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::AuthoringError;

/// File mode of a secret key: readable and writable by its owner only.
pub const SECRET_MODE: u32 = 0o600;

/// File mode of public files: the public key, the catalog and its signature.
pub const PUBLIC_MODE: u32 = 0o644;

/// Whether a write may replace an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    Allow,
    Reject,
}

/// Writes `contents` to `path` atomically; see [`crate::fsutil::write_atomic`].
pub fn write_atomic(
    path: &Path,
    contents: &[u8],
    mode: u32,
    overwrite: Overwrite,
) -> Result<(), AuthoringError> {
    let replace = overwrite == Overwrite::Allow;
    crate::fsutil::write_atomic(path, contents, mode, replace).map_err(|error| match error.kind() {
        io::ErrorKind::AlreadyExists => AuthoringError::Exists {
            path: path.to_owned(),
        },
        _ => AuthoringError::io("writing", path, error),
    })
}

/// Returns the folder that contains `path`, which is `.` for a bare file name.
pub fn parent_folder(path: &Path) -> PathBuf {
    crate::fsutil::parent_folder(path)
}

/// Reads at most `limit` bytes of `path`. A longer file comes back cut at `limit`, so
/// callers pass one byte more than their maximum and let the parser report the size.
pub fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, AuthoringError> {
    let io_error = |source| AuthoringError::io("reading", path, source);
    let file = File::open(path).map_err(io_error)?;

    let mut contents = Vec::new();
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    file.take(limit)
        .read_to_end(&mut contents)
        .map_err(io_error)?;
    Ok(contents)
}

/// Size in bytes and lower-case hex SHA-256 of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub size: u64,
    pub sha256: String,
}

/// Hashes a file while reading it in blocks, with an error once it exceeds `max` bytes.
pub fn hash_file(path: &Path, max: u64) -> Result<FileDigest, AuthoringError> {
    let io_error = |source| AuthoringError::io("reading", path, source);
    let file = File::open(path).map_err(io_error)?;
    let mut hasher = Sha256::new();

    // Reading one byte past `max` is enough to tell that the file is too large.
    let size = io::copy(&mut file.take(max.saturating_add(1)), &mut hasher).map_err(io_error)?;
    if size > max {
        return Err(AuthoringError::PayloadTooLarge {
            path: path.to_owned(),
            max,
        });
    }

    let sha256 = hex(&hasher.finalize());
    Ok(FileDigest { size, sha256 })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
