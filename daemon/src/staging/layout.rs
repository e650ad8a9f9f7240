//! Names of the files in the staging folder.

use std::path::{Path, PathBuf};

use super::digest::is_digest;

/// The list of staged payloads, written with [`crate::fsutil::write_atomic`].
pub(super) const INDEX_FILE: &str = "index.json";

/// Prefix of the temporary files of [`crate::fsutil::write_atomic`], which a crash can
/// leave behind.
const TEMPORARY_PREFIX: &str = ".hwupd-";

const PAYLOAD_SUFFIX: &str = ".payload";
const PARTIAL_SUFFIX: &str = ".partial";

/// Verified payload, named by its SHA-256.
pub(super) fn payload_path(folder: &Path, sha256: &str) -> PathBuf {
    folder.join(format!("{sha256}{PAYLOAD_SUFFIX}"))
}

/// Download in progress, or interrupted and waiting for a resume.
pub(super) fn partial_path(folder: &Path, sha256: &str) -> PathBuf {
    folder.join(format!("{sha256}{PARTIAL_SUFFIX}"))
}

/// Kind of a file in the staging folder, from its name alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum EntryName {
    Payload(String),
    Partial(String),
    Index,
    Temporary,
    Unknown,
}

pub(super) fn classify(name: &str) -> EntryName {
    if name == INDEX_FILE {
        return EntryName::Index;
    }
    if name.starts_with(TEMPORARY_PREFIX) {
        return EntryName::Temporary;
    }
    let digest_before = |suffix| name.strip_suffix(suffix).filter(|stem| is_digest(stem));
    if let Some(sha256) = digest_before(PAYLOAD_SUFFIX) {
        return EntryName::Payload(sha256.to_owned());
    }
    match digest_before(PARTIAL_SUFFIX) {
        Some(sha256) => EntryName::Partial(sha256.to_owned()),
        None => EntryName::Unknown,
    }
}
