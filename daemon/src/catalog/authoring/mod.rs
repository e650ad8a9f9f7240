//! Catalog authoring behind `hwupctl catalog`: keys, catalog edits, signing and checks.
//!
//! Every file is written atomically, so an interrupted command leaves the previous
//! version in place. No function changes the serial or the dates unless asked to.

mod files;
mod signing;

use std::io;
use std::path::{Component, Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use super::document::MAX_PAYLOAD_SIZE;
use super::document::{Catalog, DocumentError, Release, ValidateOptions, MAX_CATALOG_SIZE};
use super::minisign::{FormatError, KeyId, PublicKey, SecretKey, SignError, VerifyError};
use files::{Overwrite, PUBLIC_MODE, SECRET_MODE};

pub use files::{hash_file, FileDigest};
pub use signing::{read_public_key, read_secret_key, sign, signature_path_for, verify};
pub use signing::{SignCatalogOptions, Signed};

/// Failure of an authoring step. Each variant names the file involved.
#[derive(Debug, thiserror::Error)]
pub enum AuthoringError {
    #[error("{action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    #[error("{path} already exists; remove it or pass --force to overwrite it")]
    Exists { path: PathBuf },

    #[error("reading key {path}")]
    Key { path: PathBuf, source: FormatError },

    #[error("public key {value:?} is neither an existing file nor a valid minisign public key")]
    PublicKeyArgument { value: String, source: FormatError },

    #[error("checking catalog {path}")]
    Document {
        path: PathBuf,
        source: DocumentError,
    },

    #[error("checking signature {path}")]
    Verify { path: PathBuf, source: VerifyError },

    #[error("signing")]
    Sign(#[from] SignError),

    #[error("payload {path} is empty")]
    PayloadEmpty { path: PathBuf },

    #[error("payload {path} is larger than the maximum of {max} bytes")]
    PayloadTooLarge { path: PathBuf, max: u64 },

    #[error(
        "payload {payload} is not inside the catalog's folder {folder}; give the path \
         that the catalog should list with --payload-path"
    )]
    PayloadOutsideCatalog { payload: PathBuf, folder: PathBuf },

    #[error("the validity must be 1 to {MAX_VALID_DAYS} days, not {days}")]
    InvalidValidity { days: u32 },

    #[error(
        "remote id {id:?} is invalid; use 1 to 128 lower-case letters, digits, '.', '_' \
         or '-', starting with a letter or digit, because remote configs accept no other"
    )]
    InvalidRemoteId { id: String },

    #[error(
        "the catalog expired at {expires}; pass --bump-serial with --valid-days to \
         publish a fresh one"
    )]
    Expired { expires: Timestamp },

    #[error("--valid-days changes the catalog, so it needs --bump-serial as well")]
    ExpiryChangeNeedsBump,

    #[error(
        "the catalog changed since {signature} was made for serial {serial} by key \
         {key_id}; pass --bump-serial so that machines accept the new content"
    )]
    UnbumpedChange {
        signature: PathBuf,
        serial: u64,
        key_id: KeyId,
    },

    #[error("the serial {serial} cannot grow any further")]
    SerialOverflow { serial: u64 },
}

impl AuthoringError {
    fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        let path = path.to_owned();
        Self::Io {
            action,
            path,
            source,
        }
    }
}

/// Validation used while authoring. Payload URLs may name any host, because only the
/// remote's configuration on each machine decides which hosts it allows.
fn authoring_options() -> ValidateOptions {
    ValidateOptions {
        catalog_host: None,
        allow_other_hosts: true,
    }
}

/// Generates a key pair and writes an unencrypted minisign secret key (mode 0600) and
/// its public key (mode 0644).
///
/// Without `force`, fails with [`AuthoringError::Exists`] before writing anything if
/// either file exists.
pub fn keygen(
    secret_path: &Path,
    public_path: &Path,
    force: bool,
) -> Result<PublicKey, AuthoringError> {
    let overwrite = if force {
        Overwrite::Allow
    } else {
        Overwrite::Reject
    };
    if !force {
        for path in [secret_path, public_path] {
            if path.exists() {
                return Err(AuthoringError::Exists {
                    path: path.to_owned(),
                });
            }
        }
    }

    let secret_key = SecretKey::generate();
    let secret_text = secret_key.to_file_text();
    files::write_atomic(secret_path, secret_text.as_bytes(), SECRET_MODE, overwrite)?;

    let public_key = secret_key.public_key();
    let public_text = public_key.to_file_text();
    files::write_atomic(public_path, public_text.as_bytes(), PUBLIC_MODE, overwrite)?;
    Ok(public_key)
}

/// Maximum validity of a catalog, in days. The expiry keeps a machine from trusting an old
/// catalog forever, and a longer one would weaken that protection.
pub const MAX_VALID_DAYS: u32 = 366;

/// Writes an empty catalog for `remote_id` with serial 1, issued at `now` and expiring
/// `valid_days` days later.
pub fn new_catalog(
    path: &Path,
    remote_id: &str,
    valid_days: u32,
    now: Timestamp,
    force: bool,
) -> Result<Catalog, AuthoringError> {
    if !crate::remote::is_valid_remote_id(remote_id) {
        return Err(AuthoringError::InvalidRemoteId {
            id: remote_id.to_owned(),
        });
    }
    let expires = expiry(now, valid_days)?;
    let catalog = Catalog::new(remote_id, now, expires);
    catalog
        .validate(&authoring_options())
        .map_err(|error| AuthoringError::Document {
            path: path.to_owned(),
            source: error.into(),
        })?;

    let overwrite = if force {
        Overwrite::Allow
    } else {
        Overwrite::Reject
    };
    files::write_atomic(path, catalog.to_json().as_bytes(), PUBLIC_MODE, overwrite)?;
    Ok(catalog)
}

/// Returns `now` plus `days` days of 24 hours.
fn expiry(now: Timestamp, days: u32) -> Result<Timestamp, AuthoringError> {
    let invalid = AuthoringError::InvalidValidity { days };
    if days == 0 || days > MAX_VALID_DAYS {
        return Err(invalid);
    }
    let validity = SignedDuration::from_hours(i64::from(days) * 24);
    now.checked_add(validity).map_err(|_| invalid)
}

/// Whether [`add_release`] added a release or replaced one with the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Inserted,
    Replaced,
}

/// Adds `release` to the catalog file, or replaces the release with the same id.
///
/// Fills the payload's size and SHA-256 from `payload_file`, read in blocks. If the
/// release's payload path is empty, it becomes the path of `payload_file` relative to
/// the catalog's folder. The catalog is validated and then rewritten atomically.
pub fn add_release(
    catalog_path: &Path,
    payload_file: &Path,
    mut release: Release,
) -> Result<AddOutcome, AuthoringError> {
    let mut catalog = read_catalog(catalog_path)?;
    let digest = files::hash_file(payload_file, MAX_PAYLOAD_SIZE)?;
    if digest.size == 0 {
        return Err(AuthoringError::PayloadEmpty {
            path: payload_file.to_owned(),
        });
    }
    if release.payload.path.is_empty() {
        release.payload.path = relative_payload_path(catalog_path, payload_file)?;
    }
    release.payload.size = digest.size;
    release.payload.sha256 = digest.sha256;

    let outcome = insert_release(&mut catalog, release);
    write_catalog(catalog_path, &catalog)?;
    Ok(outcome)
}

fn insert_release(catalog: &mut Catalog, release: Release) -> AddOutcome {
    let existing = catalog.releases.iter_mut().find(|old| old.id == release.id);
    match existing {
        Some(old) => {
            *old = release;
            AddOutcome::Replaced
        }
        None => {
            catalog.releases.push(release);
            AddOutcome::Inserted
        }
    }
}

/// Returns the `/`-separated path of `payload_file` relative to the catalog's folder.
fn relative_payload_path(
    catalog_path: &Path,
    payload_file: &Path,
) -> Result<String, AuthoringError> {
    let folder = files::parent_folder(catalog_path);
    let canonical = |path: &Path| {
        path.canonicalize()
            .map_err(|source| AuthoringError::io("resolving", path, source))
    };
    let canonical_folder = canonical(&folder)?;
    let canonical_payload = canonical(payload_file)?;
    let outside = || AuthoringError::PayloadOutsideCatalog {
        payload: payload_file.to_owned(),
        folder: canonical_folder.clone(),
    };

    let relative = canonical_payload
        .strip_prefix(&canonical_folder)
        .map_err(|_| outside())?;
    let segments: Option<Vec<&str>> = relative
        .components()
        .map(|component| match component {
            Component::Normal(segment) => segment.to_str(),
            _ => None,
        })
        .collect();
    Ok(segments.ok_or_else(outside)?.join("/"))
}

/// Reads and validates a catalog file, which may have expired.
pub fn read_catalog(path: &Path) -> Result<Catalog, AuthoringError> {
    let bytes = files::read_bounded(path, MAX_CATALOG_SIZE + 1)?;
    parse_catalog(path, &bytes)
}

fn parse_catalog(path: &Path, bytes: &[u8]) -> Result<Catalog, AuthoringError> {
    Catalog::parse(bytes, &authoring_options()).map_err(|source| AuthoringError::Document {
        path: path.to_owned(),
        source,
    })
}

/// Validates the catalog and writes it atomically.
fn write_catalog(path: &Path, catalog: &Catalog) -> Result<(), AuthoringError> {
    let json = catalog.to_json();
    parse_catalog(path, json.as_bytes())?;
    files::write_atomic(path, json.as_bytes(), PUBLIC_MODE, Overwrite::Allow)
}

#[cfg(test)]
mod tests;
