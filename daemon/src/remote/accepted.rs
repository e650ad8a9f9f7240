//! The accepted catalog of a remote, verified again whenever it is read from disk.

use jiff::Timestamp;

use super::accept::{sha256_hex, with_sha256_hex};
use super::config::RemoteConfig;
use super::store::{AcceptedRecord, RemoteDir, RemoteStore};
use crate::catalog::document::Catalog;
use crate::catalog::minisign::{self, KeyId, Signature};
use crate::catalog::verify_catalog;

/// Reason that a stored pair does not verify when its catalog is not the accepted one.
const SHA256_MISMATCH: &str = "the catalog's SHA-256 differs from the one in the status";

/// Catalog that a refresh accepted and that verified again on load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedCatalog {
    pub remote_id: String,
    pub catalog: Catalog,
    /// Id of the pinned key that signed it.
    pub key_id: KeyId,
    /// SHA-256 of the catalog's bytes in lower-case hex.
    pub sha256: String,
}

/// A catalog that a refresh accepted: its header fields, how many releases it lists,
/// and the key that signed it. A refresh validates every release without keeping them,
/// and [`load_accepted`] or [`super::load_for_machine`] read them from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedSummary {
    pub remote_id: String,
    pub serial: u64,
    pub issued: Timestamp,
    pub expires: Timestamp,
    /// Number of releases in the catalog.
    pub releases: usize,
    /// Id of the pinned key that signed it.
    pub key_id: KeyId,
    /// SHA-256 of the catalog's bytes in lower-case hex.
    pub sha256: String,
}

impl AcceptedSummary {
    pub fn serial(&self) -> u64 {
        self.serial
    }
}

impl AcceptedCatalog {
    pub fn serial(&self) -> u64 {
        self.catalog.serial
    }

    /// Returns whether the catalog has expired at `now`. An expired catalog stays
    /// accepted until a newer one arrives, and its users decide what to do with it.
    pub fn is_expired_at(&self, now: Timestamp) -> bool {
        self.catalog.is_expired_at(now)
    }
}

/// Loads the accepted catalog of `remote` and verifies it again: the pair's hash against
/// the status, the signature with the remote's current keys, the document, and the
/// remote id and serial. Blocks on reading and parsing the catalog.
///
/// Returns None, with a warning in the log, when nothing was accepted yet or the stored
/// pair no longer verifies, for example after its key was removed from `public_keys`.
/// The next refresh then downloads the catalog in full. Expiry is not checked here.
pub fn load_accepted(store: &RemoteStore, remote: &RemoteConfig) -> Option<AcceptedCatalog> {
    let dir = store.remote_dir(&remote.id).ok()?;
    let record = dir.read_status().accepted?;
    let mut result = verify_stored(&dir, remote, &record);

    // A refresh may commit a new generation and remove this one between reading the
    // status and reading the pair. The status then names the newer generation.
    if result.is_err() {
        let newer = dir.read_status().accepted;
        if let Some(newer) = newer.filter(|newer| newer.generation != record.generation) {
            result = verify_stored(&dir, remote, &newer);
        }
    }
    result
        .map_err(|reason| {
            dir.verified().forget();
            tracing::warn!(remote = %remote.id, %reason, "the stored catalog does not verify; ignoring it until the next refresh");
        })
        .ok()
}

/// Reads the stored pair of `record` and verifies all of it.
fn verify_stored(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    record: &AcceptedRecord,
) -> Result<AcceptedCatalog, String> {
    let (catalog, signature) = read_matching_pair(dir, record)?;
    let options = remote.validate_options();
    let verified = verify_catalog(&remote.public_keys, &catalog, &signature, &options)
        .map_err(|error| format!("{:#}", anyhow::Error::new(error)))?;

    let document = verified.catalog;
    if document.remote_id != remote.id || document.serial != record.serial {
        return Err(format!(
            "it names remote {:?} and serial {}, but the status names {:?} and {}",
            document.remote_id, document.serial, remote.id, record.serial
        ));
    }
    Ok(AcceptedCatalog {
        remote_id: remote.id.clone(),
        catalog: document,
        key_id: verified.key_id,
        sha256: record.sha256.clone(),
    })
}

/// Returns the stored signature if the pair of `record` is intact and one of the remote's
/// current keys made the signature. Only the signature is checked, not the document,
/// which makes this cheaper than [`load_accepted`]. A pair that this process wrote or
/// verified, and whose files have not changed since, is not read again.
pub(super) fn verify_cached_signature(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    record: &AcceptedRecord,
) -> Result<Vec<u8>, String> {
    let generation = record.generation;
    let read_failed =
        |error: &dyn std::fmt::Display| format!("reading generation {generation} failed: {error}");
    // The stamps are read first, so that a change during the check makes them stale.
    let stamps = dir
        .pair_stamps(generation)
        .map_err(|error| read_failed(&error))?;
    let memory = dir.verified();
    if let Some(signature) = memory.recall(record, &remote.public_keys, stamps) {
        return Ok(signature);
    }

    let (catalog, signature) = dir
        .read_pair(generation)
        .map_err(|error| read_failed(&error))?;
    let (sha256, verified) = with_sha256_hex(&catalog, || {
        let parsed = Signature::parse(&signature).map_err(|error| error.to_string())?;
        minisign::verify_with_any(&remote.public_keys, &catalog, &parsed)
            .map(drop)
            .map_err(|error| error.to_string())
    });
    let checked = match sha256 == record.sha256 {
        true => verified,
        false => Err(SHA256_MISMATCH.to_owned()),
    };
    match checked {
        Ok(()) => memory.remember(record, &remote.public_keys, &signature, stamps),
        Err(_) => memory.forget(),
    }
    checked.map(|()| signature)
}

/// Remembers the pair of `record` as verified, after this process wrote it or found it
/// byte for byte equal to a pair that verified.
pub(super) fn remember_stored_pair(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    record: &AcceptedRecord,
    signature: &[u8],
) {
    match dir.pair_stamps(record.generation) {
        Ok(stamps) => dir
            .verified()
            .remember(record, &remote.public_keys, signature, stamps),
        Err(_) => dir.verified().forget(),
    }
}

/// Reads the pair of `record` and checks the catalog's hash against the status.
fn read_matching_pair(
    dir: &RemoteDir,
    record: &AcceptedRecord,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (catalog, signature) = dir
        .read_pair(record.generation)
        .map_err(|error| format!("reading generation {} failed: {error}", record.generation))?;
    if sha256_hex(&catalog) != record.sha256 {
        return Err(SHA256_MISMATCH.to_owned());
    }
    Ok((catalog, signature))
}
