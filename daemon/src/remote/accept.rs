//! Acceptance checks of a fetched catalog against the remote's config and state.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use super::config::RemoteConfig;
use super::error::RefreshError;
use super::store::AcceptedRecord;
use crate::catalog::document::{DocumentError, Problem, ValidationError, MAX_CATALOG_SIZE};
use crate::catalog::minisign::VerifyError;
use crate::catalog::{verify_catalog, CatalogError, VerifiedCatalog};

/// How far the issue time may lie ahead of this machine's clock, for clock skew between
/// the signer and the machine.
pub const MAX_CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// Result of checks that passed.
#[derive(Debug)]
pub(super) enum Verdict {
    /// A catalog with a higher serial than the accepted one, or the first one.
    New(VerifiedCatalog),
    /// The accepted catalog again, byte for byte.
    SameBytes(VerifiedCatalog),
}

/// Checks a fetched catalog and its signature for `remote`, in this order: signature and
/// document, remote id, serial against the accepted catalog, issue time and expiry.
///
/// `sha256` is the hex digest of `catalog`, and `origin` names where it came from in
/// error messages.
pub(super) fn check_catalog(
    remote: &RemoteConfig,
    accepted: Option<&AcceptedRecord>,
    (catalog, signature, sha256): (&[u8], &[u8], &str),
    now: Timestamp,
    origin: &str,
) -> Result<Verdict, RefreshError> {
    let options = remote.validate_options();
    let verified = verify_catalog(&remote.public_keys, catalog, signature, &options)
        .map_err(|error| map_catalog_error(error, origin))?;

    let document = &verified.catalog;
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
