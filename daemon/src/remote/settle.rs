//! The blocking half of a refresh: check what was downloaded, then commit or keep.

use jiff::Timestamp;

use super::accept::{check_catalog, sha256_hex, Verdict};
use super::accepted::{verify_cached_signature, AcceptedCatalog};
use super::config::RemoteConfig;
use super::download::{Download, FetchedPair};
use super::error::{LastError, RefreshError};
use super::fetch::Validators;
use super::store::{AcceptedRecord, RemoteDir, StoredStatus};
use super::{RefreshOutcome, UnchangedReason};
use crate::catalog::VerifiedCatalog;

/// The remote's state before a refresh.
#[derive(Debug, Clone)]
pub(super) struct Prior {
    pub status: StoredStatus,
    /// Signature of the stored pair, if the pair is intact and a current key signed it.
    pub cached_signature: Option<Vec<u8>>,
}

impl Prior {
    pub fn load(dir: &RemoteDir, remote: &RemoteConfig) -> Self {
        let status = dir.read_status();
        let cached_signature = status.accepted.as_ref().and_then(|record| {
            verify_cached_signature(dir, remote, record)
                .map_err(|reason| {
                    tracing::warn!(remote = %remote.id, %reason, "the stored catalog does not verify; downloading it in full");
                })
                .ok()
        });
        Self {
            status,
            cached_signature,
        }
    }

    /// Returns the validators for a conditional GET. They are sent only while the stored
    /// pair verifies, because a 304 response means "keep what you have".
    pub fn validators(&self) -> Option<Validators> {
        self.cached_signature.as_ref()?;
        let validators = Validators {
            etag: self.status.etag.clone(),
            last_modified: self.status.last_modified.clone(),
        };
        (!validators.is_empty()).then_some(validators)
    }
}

/// Checks the download and commits a new catalog, or records that the accepted one is
/// still current. Blocks on hashing, parsing and file writes.
pub(super) fn settle(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    prior: Prior,
    download: Download,
    now: Timestamp,
) -> Result<RefreshOutcome, RefreshError> {
    let Download::Fetched(pair) = download else {
        return keep_not_modified(dir, remote, prior.status, now);
    };
    let sha256 = sha256_hex(&pair.catalog);
    let accepted = prior.status.accepted.as_ref();
    let input = (
        pair.catalog.as_slice(),
        pair.signature.as_slice(),
        sha256.as_str(),
    );
    let verdict = check_catalog(remote, accepted, input, now, &pair.origin)?;

    match verdict {
        Verdict::New(verified) => {
            let checked = Checked {
                verified,
                pair,
                sha256,
            };
            commit_new(dir, remote, prior.status, checked, now)
        }
        Verdict::SameBytes(verified) => {
            let checked = Checked {
                verified,
                pair,
                sha256,
            };
            keep_same_bytes(dir, remote, prior, checked, now)
        }
    }
}

/// A downloaded pair that passed every check, with the catalog's SHA-256.
struct Checked {
    verified: VerifiedCatalog,
    pair: FetchedPair,
    sha256: String,
}

fn commit_new(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    mut status: StoredStatus,
    checked: Checked,
    now: Timestamp,
) -> Result<RefreshOutcome, RefreshError> {
    let previous_serial = status.accepted.as_ref().map(|record| record.serial);
    let record = store_pair(dir, remote, &mut status, &checked)?;
    mark_success(&mut status, Some(checked.pair.validators), now);
    write_status(dir, remote, &status)?;
    dir.remove_other_generations(record.generation);

    let catalog = AcceptedCatalog {
        remote_id: remote.id.clone(),
        catalog: checked.verified.catalog,
        key_id: checked.verified.key_id,
        sha256: checked.sha256,
    };
    Ok(RefreshOutcome::Accepted {
        catalog: Box::new(catalog),
        previous_serial,
    })
}

/// Handles the accepted catalog's bytes fetched again. The pair is stored again when
/// the stored one is damaged or the signature differs, for example because the
/// publisher signed the same bytes with a new key.
fn keep_same_bytes(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    prior: Prior,
    checked: Checked,
    now: Timestamp,
) -> Result<RefreshOutcome, RefreshError> {
    let mut status = prior.status;
    let signature = checked.pair.signature.as_slice();
    let stored = match prior.cached_signature.as_deref() == Some(signature) {
        true => None,
        false => Some(store_pair(dir, remote, &mut status, &checked)?),
    };
    mark_success(&mut status, Some(checked.pair.validators), now);
    write_status(dir, remote, &status)?;

    if let Some(record) = stored {
        dir.remove_other_generations(record.generation);
    }
    Ok(RefreshOutcome::Unchanged {
        serial: checked.verified.catalog.serial,
        reason: UnchangedReason::SameBytes,
    })
}

/// Handles a 304 response: the accepted catalog is current unless it has expired.
fn keep_not_modified(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    mut status: StoredStatus,
    now: Timestamp,
) -> Result<RefreshOutcome, RefreshError> {
    let Some(record) = status.accepted.clone() else {
        let message = "the server responded with 304 Not Modified, but no catalog is accepted";
        return Err(RefreshError::Internal {
            id: remote.id.clone(),
            message: message.to_owned(),
        });
    };
    if now >= record.expires {
        let (serial, expires) = (record.serial, record.expires);
        return Err(RefreshError::Expired { serial, expires });
    }

    mark_success(&mut status, None, now);
    write_status(dir, remote, &status)?;
    Ok(RefreshOutcome::Unchanged {
        serial: record.serial,
        reason: UnchangedReason::NotModified,
    })
}

/// Writes the pair as the next generation and points `status.accepted` at it. The
/// status is not written here, so nothing is committed yet.
fn store_pair(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    status: &mut StoredStatus,
    checked: &Checked,
) -> Result<AcceptedRecord, RefreshError> {
    let last = status
        .accepted
        .as_ref()
        .map_or(0, |record| record.generation);
    let generation = last.saturating_add(1);
    let pair = &checked.pair;
    dir.write_pair(generation, &pair.catalog, &pair.signature)
        .map_err(|source| store_error(dir, remote, source))?;

    let document = &checked.verified.catalog;
    let record = AcceptedRecord {
        generation,
        serial: document.serial,
        sha256: checked.sha256.clone(),
        issued: document.issued,
        expires: document.expires,
        key_id: checked.verified.key_id.to_string(),
    };
    status.accepted = Some(record.clone());
    Ok(record)
}

/// Records a successful refresh. `validators` replace the stored ones when given.
fn mark_success(status: &mut StoredStatus, validators: Option<Validators>, now: Timestamp) {
    status.last_refresh = Some(now);
    status.last_success = Some(now);
    status.last_error = None;
    if let Some(validators) = validators {
        status.etag = validators.etag;
        status.last_modified = validators.last_modified;
    }
}

/// Records a failed refresh in the status and keeps everything else. A failure to
/// write is logged, because the refresh has failed already.
pub(super) fn record_failure(
    dir: &RemoteDir,
    remote_id: &str,
    mut status: StoredStatus,
    error: LastError,
    now: Timestamp,
) {
    status.last_refresh = Some(now);
    status.last_error = Some(error);
    if let Err(error) = dir.write_status(&status) {
        tracing::warn!(remote = %remote_id, path = %dir.path().display(), %error, "recording the refresh failure failed");
    }
}

fn write_status(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    status: &StoredStatus,
) -> Result<(), RefreshError> {
    dir.write_status(status)
        .map_err(|source| store_error(dir, remote, source))
}

fn store_error(dir: &RemoteDir, remote: &RemoteConfig, source: std::io::Error) -> RefreshError {
    RefreshError::Store {
        id: remote.id.clone(),
        path: dir.path().to_owned(),
        source,
    }
}
