//! Signing and verifying catalog files with minisign signatures.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::files::{self, Overwrite, PUBLIC_MODE};
use super::{authoring_options, expiry, parse_catalog, write_catalog, AuthoringError};
use crate::catalog::document::{Catalog, MAX_CATALOG_SIZE};
use crate::catalog::minisign::{self, default_trusted_comment, KeyId, PublicKey, SecretKey};
use crate::catalog::minisign::{SignOptions, Signature, SignatureAlgorithm, VerifyError};
use crate::catalog::{verify_catalog, CatalogError, VerifiedCatalog};

/// Settings of [`sign`].
#[derive(Debug, Clone)]
pub struct SignCatalogOptions {
    /// Signature file to write. None means the catalog path with `.minisig` appended.
    pub signature_path: Option<PathBuf>,
    /// Whether to increment the serial and set the issue time to `now` before signing.
    pub bump_serial: bool,
    /// With `bump_serial`, sets the expiry to `now` plus this many days.
    pub valid_days: Option<u32>,
    pub algorithm: SignatureAlgorithm,
    /// Trusted comment. None means minisign's default followed by `serial:<serial>`.
    pub trusted_comment: Option<String>,
    /// Current time, for the issue time, the expiry check and the default comment.
    pub now: Timestamp,
}

/// Result of [`sign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub signature_path: PathBuf,
    pub serial: u64,
    pub key_id: KeyId,
}

/// Returns the default signature path: the catalog path with `.minisig` appended.
pub fn signature_path_for(catalog_path: &Path) -> PathBuf {
    let mut path = OsString::from(catalog_path.as_os_str());
    path.push(".minisig");
    PathBuf::from(path)
}

/// Signs the catalog file and writes its signature file.
///
/// The catalog is signed byte for byte as it is on disk. It changes only with
/// `bump_serial`, which increments the serial, sets the issue time and optionally the
/// expiry, and rewrites the file first. Signing fails if the catalog has expired, or
/// if an existing signature from the same key covers the same serial with other
/// content, because machines that accepted that serial would reject the new content.
pub fn sign(
    catalog_path: &Path,
    secret_key_path: &Path,
    options: &SignCatalogOptions,
) -> Result<Signed, AuthoringError> {
    let secret_key = read_secret_key(secret_key_path)?;
    let signature_path = options.signature_path.clone();
    let signature_path = signature_path.unwrap_or_else(|| signature_path_for(catalog_path));
    let mut bytes = files::read_bounded(catalog_path, MAX_CATALOG_SIZE + 1)?;
    let mut catalog = parse_catalog(catalog_path, &bytes)?;

    // Make every change in memory first, so that a failure leaves the files as they were.
    apply_requested_changes(&mut catalog, options)?;
    let sign_options = sign_options(catalog_path, &catalog, options);
    sign_options.validate()?;

    if options.bump_serial {
        write_catalog(catalog_path, &catalog)?;
        bytes = catalog.to_json().into_bytes();
    } else {
        check_serial_bumped(&signature_path, &bytes, &catalog, &secret_key.public_key())?;
    }
    let signature = sign_and_check(&secret_key, &bytes, &sign_options, &signature_path)?;
    let text = signature.to_file_text();
    files::write_atomic(
        &signature_path,
        text.as_bytes(),
        PUBLIC_MODE,
        Overwrite::Allow,
    )?;

    let key_id = secret_key.key_id();
    Ok(Signed {
        signature_path,
        serial: catalog.serial,
        key_id,
    })
}

/// Applies `bump_serial` and `valid_days`, then rejects a catalog expired at `now`.
fn apply_requested_changes(
    catalog: &mut Catalog,
    options: &SignCatalogOptions,
) -> Result<(), AuthoringError> {
    if options.bump_serial {
        refresh(catalog, options)?;
    } else if options.valid_days.is_some() {
        return Err(AuthoringError::ExpiryChangeNeedsBump);
    }

    if catalog.is_expired_at(options.now) {
        return Err(AuthoringError::Expired {
            expires: catalog.expires,
        });
    }
    Ok(())
}

/// Increments the serial and moves the issue time, and the expiry if asked, to now.
fn refresh(catalog: &mut Catalog, options: &SignCatalogOptions) -> Result<(), AuthoringError> {
    let serial = catalog.serial;
    catalog.serial = serial
        .checked_add(1)
        .ok_or(AuthoringError::SerialOverflow { serial })?;
    catalog.issued = options.now;
    if let Some(days) = options.valid_days {
        catalog.expires = expiry(options.now, days)?;
    }
    Ok(())
}

fn sign_options(
    catalog_path: &Path,
    catalog: &Catalog,
    options: &SignCatalogOptions,
) -> SignOptions {
    let file_name = catalog_path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy();
    let mut sign_options = SignOptions::for_file(&file_name, options.now);
    sign_options.algorithm = options.algorithm;
    sign_options.trusted_comment = match &options.trusted_comment {
        Some(comment) => comment.clone(),
        None => {
            let default = default_trusted_comment(&file_name, options.now, options.algorithm);
            format!("{default}\tserial:{}", catalog.serial)
        }
    };
    sign_options
}

/// Signs and verifies the result with the public half, as minisign does before writing.
fn sign_and_check(
    secret_key: &SecretKey,
    bytes: &[u8],
    sign_options: &SignOptions,
    signature_path: &Path,
) -> Result<Signature, AuthoringError> {
    let signature = secret_key.sign(bytes, sign_options)?;
    secret_key
        .public_key()
        .verify(bytes, &signature)
        .map_err(|source| AuthoringError::Verify {
            path: signature_path.to_owned(),
            source,
        })?;
    Ok(signature)
}

/// Rejects content that differs from what an existing signature of the same serial covers.
///
/// Only signatures whose trusted comment records the serial, as this module writes them,
/// and that were made by the same key can be checked. Others are replaced as they are.
fn check_serial_bumped(
    signature_path: &Path,
    bytes: &[u8],
    catalog: &Catalog,
    public_key: &PublicKey,
) -> Result<(), AuthoringError> {
    let limit = minisign::MAX_SIGNATURE_FILE + 1;
    let Ok(existing) = files::read_bounded(signature_path, limit) else {
        return Ok(());
    };
    let Ok(signature) = Signature::parse(&existing) else {
        return Ok(());
    };
    if signed_serial(signature.trusted_comment()) != Some(catalog.serial) {
        return Ok(());
    }

    match public_key.verify(bytes, &signature) {
        Err(VerifyError::BadSignature { key_id }) => Err(AuthoringError::UnbumpedChange {
            signature: signature_path.to_owned(),
            serial: catalog.serial,
            key_id,
        }),
        _ => Ok(()),
    }
}

/// Returns the serial recorded as a tab-separated `serial:<n>` field of a trusted comment.
fn signed_serial(trusted_comment: &str) -> Option<u64> {
    let field = trusted_comment
        .split('\t')
        .find_map(|field| field.strip_prefix("serial:"))?;
    field.parse().ok()
}

/// Reads the catalog and its signature file and checks them with
/// [`verify_catalog`]. An expired catalog still verifies, and callers decide what to do
/// with it.
pub fn verify(
    catalog_path: &Path,
    signature_path: &Path,
    keys: &[PublicKey],
) -> Result<VerifiedCatalog, AuthoringError> {
    let signature = files::read_bounded(signature_path, minisign::MAX_SIGNATURE_FILE + 1)?;
    let catalog = files::read_bounded(catalog_path, MAX_CATALOG_SIZE + 1)?;

    verify_catalog(keys, &catalog, &signature, &authoring_options()).map_err(|error| match error {
        CatalogError::Signature(source) => AuthoringError::Verify {
            path: signature_path.to_owned(),
            source,
        },
        CatalogError::Document(source) => AuthoringError::Document {
            path: catalog_path.to_owned(),
            source,
        },
    })
}

/// Reads an unencrypted minisign secret key file.
pub fn read_secret_key(path: &Path) -> Result<SecretKey, AuthoringError> {
    let bytes = files::read_bounded(path, minisign::MAX_SECRET_KEY_FILE + 1)?;
    SecretKey::parse(&bytes).map_err(|source| AuthoringError::Key {
        path: path.to_owned(),
        source,
    })
}

/// Reads a public key given as the base64 string that `minisign -P` takes, or as the
/// path of a public key file.
pub fn read_public_key(value: &str) -> Result<PublicKey, AuthoringError> {
    let as_text = PublicKey::parse(value.as_bytes());
    let path = Path::new(value);
    if as_text.is_ok() || !path.exists() {
        return as_text.map_err(|source| AuthoringError::PublicKeyArgument {
            value: value.to_owned(),
            source,
        });
    }

    let bytes = files::read_bounded(path, minisign::MAX_PUBLIC_KEY_FILE + 1)?;
    PublicKey::parse(&bytes).map_err(|source| AuthoringError::Key {
        path: path.to_owned(),
        source,
    })
}
