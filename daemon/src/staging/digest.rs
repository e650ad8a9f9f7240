//! SHA-256 digests: checks of catalog text and hashing of files.

use std::fs::File;
use std::io::{self, Read};

use sha2::{Digest, Sha256};

use super::StageError;
use crate::catalog::document::{Problem, MAX_PAYLOAD_SIZE};

/// Returns the catalog's SHA-256 in lower case, the form that names staged files.
pub(super) fn normalize_sha256(text: &str) -> Result<String, StageError> {
    if text.len() != 64 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        let problem = Problem::InvalidSha256 {
            value: text.to_owned(),
        };
        return Err(StageError::InvalidPayload {
            field: "sha256",
            problem,
        });
    }
    Ok(text.to_ascii_lowercase())
}

/// Checks that a declared payload size is between 1 and [`MAX_PAYLOAD_SIZE`].
pub(super) fn check_size(size: u64) -> Result<(), StageError> {
    let problem = match size {
        0 => Problem::ZeroSize,
        size if size > MAX_PAYLOAD_SIZE => Problem::SizeTooLarge {
            size,
            max: MAX_PAYLOAD_SIZE,
        },
        _ => return Ok(()),
    };
    Err(StageError::InvalidPayload {
        field: "size",
        problem,
    })
}

/// Returns whether `text` is a lower-case hexadecimal SHA-256, as in staged file names.
pub(super) fn is_digest(text: &str) -> bool {
    let lower_hex = |byte: u8| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte);
    text.len() == 64 && text.bytes().all(lower_hex)
}

pub(super) fn to_hex(hasher: Sha256) -> String {
    format!("{:x}", hasher.finalize())
}

/// Hashes `reader` to its end, reading at most `max + 1` bytes, and returns the hasher
/// and the number of bytes read. A count above `max` means the input is too large.
pub(super) fn hash_prefix(reader: impl Read, max: u64) -> io::Result<(Sha256, u64)> {
    let mut hasher = Sha256::new();
    let count = io::copy(&mut reader.take(max.saturating_add(1)), &mut hasher)?;
    Ok((hasher, count))
}

/// Hashes a whole file on the blocking thread pool, so a large payload does not stall
/// the runtime. Returns the file, positioned at the end of what was read.
pub(super) async fn hash_file(file: File, max: u64) -> io::Result<(File, Sha256, u64)> {
    let task = tokio::task::spawn_blocking(move || {
        let mut file = file;
        let (hasher, count) = hash_prefix(&mut file, max)?;
        Ok((file, hasher, count))
    });
    task.await.map_err(io::Error::other)?
}
