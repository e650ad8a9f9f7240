//! Acceptance checks of a fetched catalog against the remote's config and state.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use super::config::RemoteConfig;
use super::download::FetchedPair;
use super::error::RefreshError;
use super::store::AcceptedRecord;
use crate::catalog::document::MAX_CATALOG_SIZE;
use crate::catalog::document::{Catalog, DocumentError, Problem, ValidationError};
use crate::catalog::minisign::{KeyId, VerifyError};
use crate::catalog::CatalogError;
use crate::matching::{verify_for_machine_prehashed, MachineIds};

/// How far the issue time may lie ahead of this machine's clock, for clock skew between
/// the signer and the machine.
pub const MAX_CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// Result of checks that passed.
#[derive(Debug)]
pub(super) enum Verdict {
    /// A catalog with a higher serial than the accepted one, or the first one.
    New(VerifiedHeader),
    /// The accepted catalog again, byte for byte.
    SameBytes(VerifiedHeader),
}

/// A catalog whose signature and document passed, with its header fields but none of
/// its releases, which the store keeps on disk.
#[derive(Debug)]
pub(super) struct VerifiedHeader {
    /// The header fields, with an empty `releases`.
    pub header: Catalog,
    /// Number of releases in the document.
    pub releases: usize,
    /// Id of the pinned key that verified the signature.
    pub key_id: KeyId,
}

/// Verifies a fetched catalog's signature with the remote's keys, then reads and
/// validates every release of the document without keeping any.
pub(super) fn verify_fetched(
    remote: &RemoteConfig,
    pair: &FetchedPair,
) -> Result<VerifiedHeader, RefreshError> {
    let options = remote.validate_options();
    let prehash = pair.digests.as_ref().map(|digests| &digests.prehash);
    let catalog = (pair.catalog.as_slice(), prehash);
    // A machine without devices keeps no release, so this reads the releases only to
    // validate them.
    let no_devices = MachineIds::default();
    let verified = verify_for_machine_prehashed(
        &remote.public_keys,
        catalog,
        &pair.signature,
        &options,
        &no_devices,
    )
    .map_err(|error| map_catalog_error(error, &pair.origin))?;
    Ok(VerifiedHeader {
        header: verified.verified.catalog,
        releases: verified.total_releases,
        key_id: verified.verified.key_id,
    })
}

/// Checks a verified catalog against the remote's config and state, in this order:
/// remote id, serial against the accepted catalog, issue time and expiry.
///
/// `sha256` is the hex digest of the catalog's bytes.
pub(super) fn check_verified(
    remote: &RemoteConfig,
    accepted: Option<&AcceptedRecord>,
    verified: VerifiedHeader,
    sha256: &str,
    now: Timestamp,
) -> Result<Verdict, RefreshError> {
    let document = &verified.header;
    if document.remote_id != remote.id {
        return Err(RefreshError::WrongRemote {
            expected: remote.id.clone(),
            found: document.remote_id.clone(),
        });
    }
    let same_bytes = check_serial(document.serial, sha256, accepted)?;
    check_times(document.serial, document.issued, document.expires, now)?;

    if same_bytes {
        return Ok(Verdict::SameBytes(verified));
    }
    Ok(Verdict::New(verified))
}

/// Rejects a serial below the accepted one, or the accepted serial with other bytes.
/// Returns whether the catalog is the accepted one.
fn check_serial(
    serial: u64,
    sha256: &str,
    accepted: Option<&AcceptedRecord>,
) -> Result<bool, RefreshError> {
    let Some(accepted) = accepted else {
        return Ok(false);
    };
    if serial < accepted.serial {
        let accepted = accepted.serial;
        return Err(RefreshError::Rollback { serial, accepted });
    }
    if serial == accepted.serial && sha256 != accepted.sha256 {
        return Err(RefreshError::Replay { serial });
    }
    Ok(serial == accepted.serial)
}

/// Rejects a catalog issued more than [`MAX_CLOCK_SKEW`] after `now`, or expired at `now`.
pub(super) fn check_times(
    serial: u64,
    issued: Timestamp,
    expires: Timestamp,
    now: Timestamp,
) -> Result<(), RefreshError> {
    let latest_issue = now.checked_add(MAX_CLOCK_SKEW).unwrap_or(Timestamp::MAX);
    if issued > latest_issue {
        return Err(RefreshError::IssuedInFuture { issued, now });
    }
    if now >= expires {
        return Err(RefreshError::Expired { serial, expires });
    }
    Ok(())
}

fn map_catalog_error(error: CatalogError, origin: &str) -> RefreshError {
    let url = origin.to_owned();
    match error {
        CatalogError::Signature(source @ VerifyError::UnknownKey { .. }) => {
            RefreshError::UnknownKey { url, source }
        }
        CatalogError::Signature(source) => RefreshError::SignatureInvalid { url, source },
        CatalogError::Document(DocumentError::TooLarge { .. }) => RefreshError::TooLarge {
            url,
            max: MAX_CATALOG_SIZE as u64,
        },
        CatalogError::Document(DocumentError::Invalid(source)) if leaves_remote(&source) => {
            RefreshError::PayloadPath { url, source }
        }
        CatalogError::Document(source) => RefreshError::Malformed { url, source },
    }
}

/// Returns whether a validation error is a payload location that could leave the
/// remote: a path that is absolute or not plainly relative, or a URL that is invalid
/// or names another host.
fn leaves_remote(error: &ValidationError) -> bool {
    let location = error.field == "payload.path" || error.field == "payload.url";
    location && !matches!(error.problem, Problem::ConflictingPayload { .. })
}

/// Returns the SHA-256 of `bytes` in lower-case hex.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Runs `work` on this thread while another thread hashes `bytes` with SHA-256, and
/// returns both results. A refresh needs both the hash and the signature check, each a
/// pass over the whole catalog, and the two passes take about as long on two cores as
/// the longer one alone.
pub(super) fn with_sha256_hex<T: Send>(bytes: &[u8], work: impl FnOnce() -> T) -> (String, T) {
    std::thread::scope(|scope| {
        let hashing = scope.spawn(|| sha256_hex(bytes));
        let result = work();
        let digest = hashing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (digest, result)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(serial: u64, sha256: &str) -> AcceptedRecord {
        AcceptedRecord {
            generation: 1,
            serial,
            sha256: sha256.to_owned(),
            issued: Timestamp::UNIX_EPOCH,
            expires: Timestamp::MAX,
            key_id: "0000000000000000".to_owned(),
        }
    }

    #[test]
    fn check_serial_orders_serials() {
        let accepted = record(5, "aa");

        assert!(!check_serial(6, "bb", Some(&accepted)).unwrap());
        assert!(check_serial(5, "aa", Some(&accepted)).unwrap());
        assert!(!check_serial(1, "bb", None).unwrap());
    }

    #[test]
    fn check_serial_rejects_rollback_and_replay() {
        let accepted = record(5, "aa");

        let rollback = check_serial(4, "aa", Some(&accepted)).unwrap_err();
        let replay = check_serial(5, "bb", Some(&accepted)).unwrap_err();

        assert_eq!(rollback.kind(), "rollback");
        assert_eq!(replay.kind(), "replay");
    }

    #[test]
    fn check_times_allows_five_minutes_of_skew() {
        let now: Timestamp = "2025-06-15T00:00:00Z".parse().unwrap();
        let expires: Timestamp = "2025-07-01T00:00:00Z".parse().unwrap();
        let skewed = now.checked_add(SignedDuration::from_mins(5)).unwrap();
        let ahead = now.checked_add(SignedDuration::from_secs(301)).unwrap();

        assert!(check_times(1, skewed, expires, now).is_ok());
        let error = check_times(1, ahead, expires, now).unwrap_err();
        assert_eq!(error.kind(), "issued-in-future");
    }

    #[test]
    fn check_times_rejects_at_expiry() {
        let issued: Timestamp = "2025-06-01T00:00:00Z".parse().unwrap();
        let expires: Timestamp = "2025-07-01T00:00:00Z".parse().unwrap();

        let error = check_times(1, issued, expires, expires).unwrap_err();

        assert_eq!(error.kind(), "expired");
    }

    #[test]
    fn sha256_hex_is_lower_case() {
        let digest = sha256_hex(b"test");
        assert_eq!(
            digest,
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
    }
}
