//! `index.json`: the staged payloads and the releases they are staged for, kept across
//! restarts.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::digest::is_digest;
use super::layout::{payload_path, INDEX_FILE};
use super::StageError;
use crate::catalog::document::MAX_PAYLOAD_SIZE;
use crate::fsutil;

/// Format version of `index.json`.
const INDEX_VERSION: u32 = 1;

/// Maximum size of `index.json`. An entry takes about 400 bytes, so this fits tens of
/// thousands of staged releases.
pub const MAX_INDEX_SIZE: u64 = 16 * 1024 * 1024;

/// Maximum length in bytes of a remote, release or device id in the index.
const MAX_ID_LEN: usize = 256;

/// Payload staged for one release and device. Its file passed the hash check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StagedPayload {
    pub remote_id: String,
    pub release_id: String,
    /// Device that the release is staged for.
    pub device_id: String,
    /// Lower-case hexadecimal SHA-256, which also names the file.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    pub staged_at: Timestamp,
    /// Path of the verified payload. Loading derives it again from the staging folder
    /// and the SHA-256, so the stored value is for readers of the file only.
    pub path: PathBuf,
}

impl StagedPayload {
    pub(super) fn is_release(&self, remote_id: &str, release_id: &str) -> bool {
        self.remote_id == remote_id && self.release_id == release_id
    }

    pub(super) fn same_key(&self, other: &Self) -> bool {
        self.is_release(&other.remote_id, &other.release_id) && self.device_id == other.device_id
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexFile {
    format_version: u32,
    items: Vec<StagedPayload>,
}

/// Failure to read `index.json` as a whole.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("the index is more than the maximum of {MAX_INDEX_SIZE} bytes")]
    TooLarge,
    #[error("the index is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the index has format version {found}, but this hwupd reads only {INDEX_VERSION}")]
    UnsupportedVersion { found: u32 },
}

/// Parses `index.json`, drops entries that break its rules and logs each one dropped.
/// Paths are derived again from `folder`.
pub fn parse_index(bytes: &[u8], folder: &Path) -> Result<Vec<StagedPayload>, IndexError> {
    if bytes.len() as u64 > MAX_INDEX_SIZE {
        return Err(IndexError::TooLarge);
    }
    let file: IndexFile = serde_json::from_slice(bytes)?;
    if file.format_version != INDEX_VERSION {
        let found = file.format_version;
        return Err(IndexError::UnsupportedVersion { found });
    }

    let mut seen = HashSet::new();
    let mut items = Vec::with_capacity(file.items.len());
    for (position, mut item) in file.items.into_iter().enumerate() {
        if let Err(reason) = check_item(&item) {
            tracing::warn!(
                position,
                reason,
                "dropping an invalid entry of the staging index"
            );
            continue;
        }
        let key = (
            item.remote_id.clone(),
            item.release_id.clone(),
            item.device_id.clone(),
        );
        if !seen.insert(key) {
            tracing::warn!(position, "dropping a repeated entry of the staging index");
            continue;
        }
        item.path = payload_path(folder, &item.sha256);
        items.push(item);
    }
    Ok(items)
}

/// Checks the fields that paths and sizes are built from.
fn check_item(item: &StagedPayload) -> Result<(), &'static str> {
    if !is_digest(&item.sha256) {
        return Err("sha256 is not 64 lower-case hexadecimal digits");
    }
    if item.size == 0 || item.size > MAX_PAYLOAD_SIZE {
        return Err("size is 0 or more than the maximum payload size");
    }
    let valid_id =
        |id: &str| !id.is_empty() && id.len() <= MAX_ID_LEN && !id.chars().any(char::is_control);
    if ![&item.remote_id, &item.release_id, &item.device_id]
        .iter()
        .all(|id| valid_id(id))
    {
        return Err("an id is empty, too long or contains a control character");
    }
    Ok(())
}

/// Reads the index of `folder`. A missing index is empty. An unreadable or invalid one
/// is logged and treated as empty, so the payload files are checked and adopted again.
pub(super) fn read_index(folder: &Path) -> Vec<StagedPayload> {
    let path = folder.join(INDEX_FILE);
    let bytes = match read_bounded(&path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Vec::new(),
        Err(error) => {
            tracing::warn!(
                path = %path.display(),
                %error,
                "reading the staging index failed, rebuilding it"
            );
            return Vec::new();
        }
    };
    parse_index(&bytes, folder).unwrap_or_else(|error| {
        tracing::warn!(
            path = %path.display(),
            %error,
            "the staging index is invalid, rebuilding it"
        );
        Vec::new()
    })
}

/// Reads at most one byte more than [`MAX_INDEX_SIZE`], or None if the file is missing.
fn read_bounded(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut bytes = Vec::new();
    file.take(MAX_INDEX_SIZE + 1).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Replaces the index of `folder` atomically.
pub(super) fn write_index(folder: &Path, items: &[StagedPayload]) -> Result<(), StageError> {
    let file = IndexFile {
        format_version: INDEX_VERSION,
        items: items.to_vec(),
    };
    let path = folder.join(INDEX_FILE);
    let write_error = |source| StageError::io("writing", &path, source);
    let mut json = serde_json::to_vec_pretty(&file).map_err(|error| write_error(error.into()))?;
    json.push(b'\n');
    fsutil::write_atomic(&path, &json, 0o600, true).map_err(write_error)
}
