//! A catalog reader that streams the `releases` array and keeps only the releases for
//! one machine, so a large catalog costs memory for its bytes and the kept releases,
//! not for every release it lists.
//!
//! It rejects exactly the documents that `Catalog::parse` rejects. It runs the same
//! checks of size, encoding and format version first, and deserializes each release with
//! the serde rules of `Release`, borrowing its text from the document. It then validates every release, kept or not, and applies the
//! catalog-wide rules (release count, unique ids, payload conflicts) in the same order.

mod sink;
mod text_map;
mod visitor;

use serde::de::DeserializeSeed;

use crate::catalog::document::{read_document, Catalog, DocumentError, ValidateOptions};
use crate::catalog::minisign::{Prehash, PublicKey};
use crate::catalog::{verify_then_read, CatalogError, VerifiedCatalog};

use super::machine::MachineIds;
use sink::ReleaseSink;
use visitor::CatalogSeed;

/// A valid catalog with only the releases that match one machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilteredCatalog {
    /// The header fields and the kept releases, in document order.
    pub catalog: Catalog,
    /// Number of releases in the document, kept or not.
    pub total_releases: usize,
}

/// Parses and validates a catalog document, keeping only the releases that `machine`
/// matches (see [`MachineIds::matches`]).
pub fn read_for_machine(
    bytes: &[u8],
    options: &ValidateOptions,
    machine: &MachineIds,
) -> Result<FilteredCatalog, DocumentError> {
    let mut sink = ReleaseSink::new(machine, options);
    let read = |text| {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let header = CatalogSeed::new(&mut sink).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(header)
    };
    let header = read_document(bytes, read, |header| header.format_version)?;

    let total_releases = sink.count();
    let catalog = sink.finish(header, options)?;
    tracing::debug!(
        remote_id = %catalog.remote_id,
        total_releases,
        kept_releases = catalog.releases.len(),
        "read catalog for this machine"
    );
    Ok(FilteredCatalog {
        catalog,
        total_releases,
    })
}

/// A catalog whose signature verified, with only the releases for one machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedForMachine {
    /// The verified catalog with the kept releases, in document order.
    pub verified: VerifiedCatalog,
    /// Number of releases in the document, kept or not.
    pub total_releases: usize,
}

/// Verifies a catalog's bytes with any of the pinned `keys`, then reads it with
/// [`read_for_machine`]. The document reaches the JSON parser only after the signature
/// verifies, as in `verify_catalog`.
pub fn verify_for_machine(
    keys: &[PublicKey],
    catalog: &[u8],
    signature: &[u8],
    options: &ValidateOptions,
    machine: &MachineIds,
) -> Result<VerifiedForMachine, CatalogError> {
    verify_for_machine_prehashed(keys, (catalog, None), signature, options, machine)
}

/// Verifies and reads as [`verify_for_machine`] does, using the catalog's prehash when
/// the caller computed it while the bytes arrived.
pub(crate) fn verify_for_machine_prehashed(
    keys: &[PublicKey],
    catalog: (&[u8], Option<&Prehash>),
    signature: &[u8],
    options: &ValidateOptions,
    machine: &MachineIds,
) -> Result<VerifiedForMachine, CatalogError> {
    let mut total_releases = 0;
    let verified = verify_then_read(keys, catalog, signature, |bytes| {
        let filtered = read_for_machine(bytes, options, machine)?;
        total_releases = filtered.total_releases;
        Ok(filtered.catalog)
    })?;
    Ok(VerifiedForMachine {
        verified,
        total_releases,
    })
}
