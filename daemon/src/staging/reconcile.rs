//! Reconciliation of the staging index with the files on disk, when the store opens.

use std::collections::BTreeMap;
use std::fs::{File, Metadata};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use nix::fcntl::OFlag;

use super::digest::{hash_prefix, to_hex};
use super::index::StagedPayload;
use super::layout::{classify, payload_path, EntryName};
use super::partial::remove_quietly;
use super::StageError;
use crate::catalog::document::MAX_PAYLOAD_SIZE;

/// Age after which a partial download, or a verified payload that no release references,
/// is deleted when the store opens. A release that is still offered gets staged again
/// well within this time, because catalogs are refreshed daily by default.
pub const STALE_AGE: Duration = Duration::from_secs(14 * 24 * 3600);

/// Index entries and payload files that survived reconciliation.
#[derive(Debug, Default)]
pub(super) struct Reconciled {
    pub items: Vec<StagedPayload>,
    /// Verified payloads on disk by SHA-256, with their sizes, including payloads that
    /// no entry references.
    pub payloads: BTreeMap<String, u64>,
}

/// File in the staging folder, with its metadata read without following links.
struct Entry {
    path: PathBuf,
    kind: EntryName,
    metadata: Metadata,
}

/// Keeps the listed entries whose files exist with the listed size, adopts verified
/// payloads that the index misses, and deletes everything else that cannot be used.
pub(super) fn reconcile(
    folder: &Path,
    listed: Vec<StagedPayload>,
    now: SystemTime,
) -> Result<Reconciled, StageError> {
    let mut result = Reconciled::default();
    for item in listed {
        keep_listed(folder, item, &mut result);
    }

    for entry in scan(folder)? {
        let path = &entry.path;
        match &entry.kind {
            EntryName::Index => {}
            EntryName::Payload(sha256) if result.payloads.contains_key(sha256) => {}
            EntryName::Payload(sha256) => adopt_or_delete(path, sha256, &entry, now, &mut result),
            EntryName::Partial(sha256) => check_partial(path, sha256, &entry, now, &result),
            EntryName::Temporary => remove_quietly(path),
            EntryName::Unknown => remove_unknown(path, &entry),
        }
    }
    Ok(result)
}

fn scan(folder: &Path) -> Result<Vec<Entry>, StageError> {
    let io_error = |source| StageError::io("listing", folder, source);
    let mut entries = Vec::new();
    for dir_entry in std::fs::read_dir(folder).map_err(io_error)? {
        let dir_entry = dir_entry.map_err(io_error)?;
        // DirEntry::metadata does not follow symbolic links. A file deleted since the
        // listing has none and needs no cleanup.
        let Ok(metadata) = dir_entry.metadata() else {
            continue;
        };
        // A name that is not UTF-8 is never one of staging's and classifies as unknown.
        let kind = classify(&dir_entry.file_name().to_string_lossy());
        entries.push(Entry {
            path: dir_entry.path(),
            kind,
            metadata,
        });
    }
    Ok(entries)
}

/// Keeps an index entry if its payload is a regular file of the listed size.
fn keep_listed(folder: &Path, mut item: StagedPayload, result: &mut Reconciled) {
    let path = payload_path(folder, &item.sha256);
    let metadata = std::fs::symlink_metadata(&path).ok();
    let size_matches = metadata
        .as_ref()
        .is_some_and(|metadata| metadata.is_file() && metadata.len() == item.size);
    let consistent = result
        .payloads
        .get(&item.sha256)
        .is_none_or(|&size| size == item.size);

    if size_matches && consistent {
        item.path = path;
        result.payloads.insert(item.sha256.clone(), item.size);
        result.items.push(item);
        return;
    }
    tracing::warn!(
        release_id = item.release_id,
        remote_id = item.remote_id,
        sha256 = item.sha256,
        found = metadata.is_some(),
        "dropping a staged payload whose file is missing or has the wrong size"
    );
    if metadata.is_some() && !result.payloads.contains_key(&item.sha256) {
        remove_quietly(&path);
    }
}

/// Re-hashes a payload that the index does not list, and keeps it only if the hash
/// matches its name, so a later `stage` of the same payload needs no download.
fn adopt_or_delete(
    path: &Path,
    sha256: &str,
    entry: &Entry,
    now: SystemTime,
    result: &mut Reconciled,
) {
    let usable = entry.metadata.is_file()
        && (1..=MAX_PAYLOAD_SIZE).contains(&entry.metadata.len())
        && !is_stale(&entry.metadata, now);
    if !usable {
        tracing::warn!(
            path = %path.display(),
            "deleting an unlisted payload that is stale or not a regular file"
        );
        return remove_quietly(path);
    }

    match hash_payload(path, entry.metadata.len()) {
        Ok(actual) if actual == sha256 => {
            tracing::info!(
                sha256,
                "adopted a verified payload that the staging index missed"
            );
            result
                .payloads
                .insert(sha256.to_owned(), entry.metadata.len());
        }
        Ok(actual) => {
            tracing::warn!(
                path = %path.display(),
                actual,
                "deleting an unlisted payload whose hash does not match its name"
            );
            remove_quietly(path);
        }
        Err(error) => {
            tracing::warn!(
                path = %path.display(),
                %error,
                "deleting an unlisted payload that cannot be read"
            );
            remove_quietly(path);
        }
    }
}

fn hash_payload(path: &Path, size: u64) -> std::io::Result<String> {
    let file = File::options()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC).bits())
        .open(path)?;
    let (hasher, _) = hash_prefix(file, size)?;
    Ok(to_hex(hasher))
}

/// Keeps a partial download for a resume unless it is stale, too large, not a regular
/// file, or its payload is already staged.
fn check_partial(path: &Path, sha256: &str, entry: &Entry, now: SystemTime, result: &Reconciled) {
    let usable = entry.metadata.is_file()
        && entry.metadata.len() <= MAX_PAYLOAD_SIZE
        && !is_stale(&entry.metadata, now)
        && !result.payloads.contains_key(sha256);
    if usable {
        tracing::debug!(
            sha256,
            bytes = entry.metadata.len(),
            "keeping a partial download for a resume"
        );
        return;
    }
    tracing::warn!(path = %path.display(), "deleting a partial download that cannot be resumed");
    remove_quietly(path);
}

/// Deletes a file that staging did not create. Folders are left alone, because the
/// daemon never creates them here and deleting a tree is riskier than keeping it.
fn remove_unknown(path: &Path, entry: &Entry) {
    if entry.metadata.is_dir() {
        tracing::warn!(
            path = %path.display(),
            "ignoring an unexpected folder in the staging folder"
        );
        return;
    }
    tracing::warn!(path = %path.display(), "deleting an unexpected file in the staging folder");
    remove_quietly(path);
}

/// Returns whether the file was last modified more than [`STALE_AGE`] before `now`. A
/// modification time in the future counts as fresh.
fn is_stale(metadata: &Metadata, now: SystemTime) -> bool {
    let age = metadata
        .modified()
        .ok()
        .and_then(|modified| now.duration_since(modified).ok());
    age.is_some_and(|age| age > STALE_AGE)
}
