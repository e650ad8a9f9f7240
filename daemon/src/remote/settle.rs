//! The blocking half of a refresh: check what was downloaded, then commit or keep.

use std::io;

use jiff::Timestamp;

use super::accept::{check_verified, sha256_hex, verify_fetched, Verdict, VerifiedHeader};
use super::accepted::{remember_stored_pair, AcceptedSummary};
use super::config::RemoteConfig;
use super::download::{Download, FetchedPair};
use super::error::{LastError, RefreshError};
use super::fetch::Validators;
use super::prior::Prior;
use super::store::{AcceptedRecord, RemoteDir, StoredStatus};
use super::{RefreshOutcome, UnchangedReason};

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
    let accepted = prior.status.accepted.as_ref();
    let generation = next_generation(&prior.status);
    let (verified, sha256, staged) = verify_and_stage(dir, remote, &pair, generation, accepted);
    let verdict =
        verified.and_then(|verified| check_verified(remote, accepted, verified, &sha256, now));
    let verdict = verdict.inspect_err(|_| {
        if staged.is_some() {
            dir.discard_staged(generation);
        }
    })?;

    match verdict {
        Verdict::New(verified) => {
            let checked = Checked {
                verified,
                pair,
                sha256,
            };
            commit_new(dir, remote, prior.status, checked, staged, now)
        }
        Verdict::SameBytes(verified) => {
            let checked = Checked {
                verified,
                pair,
                sha256,
            };
            keep_same_bytes(dir, remote, prior.status, checked, now)
        }
    }
}

/// Verifies the fetched pair while a second thread hashes the catalog and writes the
/// pair to disk, because the signature and document checks take most of the time.
/// Returns the verification's result, the hex SHA-256, and the result of the write if
/// one was made.
fn verify_and_stage(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    pair: &FetchedPair,
    generation: u64,
    accepted: Option<&AcceptedRecord>,
) -> (
    Result<VerifiedHeader, RefreshError>,
    String,
    Option<io::Result<()>>,
) {
    std::thread::scope(|scope| {
        let side = scope.spawn(|| hash_and_stage(dir, pair, generation, accepted));
        let verified = verify_fetched(remote, pair);
        let (sha256, staged) = side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (verified, sha256, staged)
    })
}

/// Hashes the fetched catalog, unless that was done while it downloaded, and, unless it
/// is the accepted catalog again, writes the pair into the staging folder of
/// `generation`. Returns the hex SHA-256 and the result of the write, if one was made.
///
/// The pair is written before its checks end, so a rejected catalog reaches the disk,
/// at most `max_catalog_size` bytes of it, until the caller discards it.
fn hash_and_stage(
    dir: &RemoteDir,
    pair: &FetchedPair,
    generation: u64,
    accepted: Option<&AcceptedRecord>,
) -> (String, Option<io::Result<()>>) {
    let sha256 = match &pair.digests {
        Some(digests) => digests.sha256.clone(),
        None => sha256_hex(&pair.catalog),
    };
    if accepted.is_some_and(|record| record.sha256 == sha256) {
        return (sha256, None);
    }
    let staged = dir.stage_pair(generation, &pair.catalog, &pair.signature);
    (sha256, Some(staged))
}

/// A downloaded pair that passed every check, with the catalog's SHA-256.
struct Checked {
    verified: VerifiedHeader,
    pair: FetchedPair,
    sha256: String,
}

/// Commits a new catalog. `staged` is the result of writing its pair into the staging
/// folder of the next generation, or None if that was not tried.
fn commit_new(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    mut status: StoredStatus,
    checked: Checked,
    staged: Option<io::Result<()>>,
    now: Timestamp,
) -> Result<RefreshOutcome, RefreshError> {
    let previous_serial = status.accepted.as_ref().map(|record| record.serial);
    let record = store_pair(dir, remote, &mut status, &checked, staged)?;
    mark_success(&mut status, Some(checked.pair.validators), now);
    write_status(dir, remote, &status)?;
    remember_stored_pair(dir, remote, &record, &checked.pair.signature);
    dir.remove_other_generations(record.generation);

    let header = checked.verified.header;
    let catalog = AcceptedSummary {
        remote_id: remote.id.clone(),
        serial: header.serial,
        issued: header.issued,
        expires: header.expires,
        releases: checked.verified.releases,
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
    mut status: StoredStatus,
    checked: Checked,
    now: Timestamp,
) -> Result<RefreshOutcome, RefreshError> {
    let stored = match stored_pair_equals(dir, remote, &status, &checked.pair) {
        true => None,
        false => Some(store_pair(dir, remote, &mut status, &checked, None)?),
    };
    mark_success(&mut status, Some(checked.pair.validators), now);
    write_status(dir, remote, &status)?;
    if let Some(record) = &status.accepted {
        remember_stored_pair(dir, remote, record, &checked.pair.signature);
    }

    if let Some(record) = stored {
        dir.remove_other_generations(record.generation);
    }
    Ok(RefreshOutcome::Unchanged {
        serial: checked.verified.header.serial,
        reason: UnchangedReason::SameBytes,
    })
}

/// Returns whether the stored pair is byte for byte the fetched one, which has just
/// verified. That makes the stored pair intact and signed by a current key too.
fn stored_pair_equals(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    status: &StoredStatus,
    pair: &FetchedPair,
) -> bool {
    let Some(record) = &status.accepted else {
        return false;
    };
    match dir.read_pair(record.generation) {
        Ok((catalog, signature)) if catalog == pair.catalog => signature == pair.signature,
        Ok(_) => {
            tracing::warn!(remote = %remote.id, generation = record.generation, "the stored catalog differs from the accepted one; storing it again");
            false
        }
        Err(error) => {
            tracing::warn!(remote = %remote.id, generation = record.generation, %error, "reading the stored catalog failed; storing it again");
            false
        }
    }
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

/// Returns the number of the generation after the accepted one.
fn next_generation(status: &StoredStatus) -> u64 {
    let last = status
        .accepted
        .as_ref()
        .map_or(0, |record| record.generation);
    last.saturating_add(1)
}

/// Writes the pair as the next generation, or publishes it if `staged` says it is in
/// the staging folder already, and points `status.accepted` at it. The status is not
/// written here, so nothing is committed yet.
fn store_pair(
    dir: &RemoteDir,
    remote: &RemoteConfig,
    status: &mut StoredStatus,
    checked: &Checked,
    staged: Option<io::Result<()>>,
) -> Result<AcceptedRecord, RefreshError> {
    let generation = next_generation(status);
    let pair = &checked.pair;
    let written = match staged {
        Some(staged) => staged.and_then(|()| dir.publish_staged(generation)),
        None => dir.write_pair(generation, &pair.catalog, &pair.signature),
    };
    written.map_err(|source| store_error(dir, remote, source))?;

    let document = &checked.verified.header;
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
