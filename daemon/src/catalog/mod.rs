//! Signed update catalogs: minisign signatures, the catalog document and its authoring.

pub mod authoring;
pub mod document;
pub mod minisign;

use document::{Catalog, DocumentError, ValidateOptions, MAX_CATALOG_SIZE};
use minisign::{KeyId, Prehash, PublicKey, Signature, VerifyError};

/// Catalog whose signature one of the pinned keys verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCatalog {
    pub catalog: Catalog,
    /// Id of the pinned key that verified the signature.
    pub key_id: KeyId,
    /// Trusted comment of the signature, covered by its global signature.
    pub trusted_comment: String,
}

/// Failure to accept a catalog and its signature.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The signature could not be checked, or it was checked and rejected; see
    /// [`VerifyError::is_rejection`].
    #[error("catalog signature not accepted")]
    Signature(#[source] VerifyError),

    /// The signature is valid, or was not reached because of the size, but the document
    /// is not a valid catalog.
    #[error("catalog document not accepted")]
    Document(#[source] DocumentError),
}

/// Verifies a catalog's bytes with any of the pinned `keys`, then parses and validates it.
///
/// The document reaches the JSON parser only after the signature verifies. Expiry,
/// serial and remote id are left to the caller, because only it has the remote's state.
pub fn verify_catalog(
    keys: &[PublicKey],
    catalog: &[u8],
    signature: &[u8],
    options: &ValidateOptions,
) -> Result<VerifiedCatalog, CatalogError> {
    verify_then_read(keys, (catalog, None), signature, |bytes| {
        Catalog::parse(bytes, options)
    })
}

/// Verifies a catalog's bytes with any of the pinned `keys`, then reads the document
/// with `read`, which sees the bytes only after the signature verifies. The catalog
/// comes with its prehash when the caller computed it while the bytes arrived.
pub(crate) fn verify_then_read(
    keys: &[PublicKey],
    (catalog, prehash): (&[u8], Option<&Prehash>),
    signature: &[u8],
    read: impl FnOnce(&[u8]) -> Result<Catalog, DocumentError>,
) -> Result<VerifiedCatalog, CatalogError> {
    if catalog.len() > MAX_CATALOG_SIZE {
        let error = DocumentError::TooLarge {
            size: catalog.len(),
            max: MAX_CATALOG_SIZE,
        };
        return Err(CatalogError::Document(error));
    }
    let rejected = |error: VerifyError| CatalogError::Signature(error);
    let signature = Signature::parse(signature).map_err(|error| rejected(error.into()))?;
    let key = minisign::verify_with_any_prehashed(keys, catalog, prehash, &signature)
        .map_err(rejected)?;

    let document = read(catalog).map_err(CatalogError::Document)?;
    Ok(VerifiedCatalog {
        catalog: document,
        key_id: key.key_id(),
        trusted_comment: signature.trusted_comment().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::minisign::{SecretKey, SignOptions};
    use super::*;

    const CATALOG: &str = r#"{"format_version": 1, "remote_id": "lab", "serial": 2,
        "issued": "2025-06-01T00:00:00Z", "expires": "2025-07-01T00:00:00Z"}"#;

    fn signed(key: &SecretKey, catalog: &[u8]) -> String {
        let options = SignOptions::for_file("catalog.json", Timestamp::UNIX_EPOCH);
        key.sign(catalog, &options).unwrap().to_file_text()
    }

    #[test]
    fn verify_catalog_returns_document_and_key() {
        let key = SecretKey::generate();
        let signature = signed(&key, CATALOG.as_bytes());
        let options = ValidateOptions::default();

        let verified = verify_catalog(
            &[key.public_key()],
            CATALOG.as_bytes(),
            signature.as_bytes(),
            &options,
        )
        .unwrap();

        assert_eq!(verified.catalog.serial, 2);
        assert_eq!(verified.key_id, key.key_id());
        assert!(verified.trusted_comment.starts_with("timestamp:0\t"));
    }

    #[test]
    fn verify_catalog_rejects_before_parsing() {
        let key = SecretKey::generate();
        let garbage = b"not json at all";
        let signature = signed(&SecretKey::generate(), garbage);
        let options = ValidateOptions::default();

        let error = verify_catalog(&[key.public_key()], garbage, signature.as_bytes(), &options);

        let Err(CatalogError::Signature(error)) = error else {
            panic!("expected a signature error, got {error:?}");
        };
        assert!(error.is_rejection());
    }

    #[test]
    fn verify_catalog_reports_malformed_signature() {
        let key = SecretKey::generate();
        let options = ValidateOptions::default();

        let error = verify_catalog(&[key.public_key()], CATALOG.as_bytes(), b"", &options);

        let Err(CatalogError::Signature(error)) = error else {
            panic!("expected a signature error, got {error:?}");
        };
        assert!(!error.is_rejection());
    }

    #[test]
    fn verify_catalog_rejects_oversized_document() {
        let key = SecretKey::generate();
        let catalog = vec![b' '; MAX_CATALOG_SIZE + 1];
        let signature = signed(&key, &catalog);
        let options = ValidateOptions::default();

        let error = verify_catalog(
            &[key.public_key()],
            &catalog,
            signature.as_bytes(),
            &options,
        );

        assert!(matches!(
            error,
            Err(CatalogError::Document(DocumentError::TooLarge { .. }))
        ));
    }
}
