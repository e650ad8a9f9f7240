//! Stage requests: a release's payload, the location of its catalog and the device.

use super::CatalogBase;
use crate::catalog::document::{Payload, Release};

/// Request to stage one release's payload for one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRequest {
    pub remote_id: String,
    pub release_id: String,
    /// Device that the release is staged for. The apply step installs it there.
    pub device_id: String,
    /// Payload from the verified catalog. Staging validates its path, SHA-256 and size
    /// again, so a request built by hand gets the same checks.
    pub payload: Payload,
    pub base: CatalogBase,
    /// Whether `payload.url` may name a host other than the catalog's. It comes from the
    /// remote's configuration.
    pub allow_other_hosts: bool,
}

impl StageRequest {
    /// Builds a request for `release` from the catalog at `base`, with payload URLs
    /// limited to the catalog's host.
    pub fn new(remote_id: &str, device_id: &str, release: &Release, base: CatalogBase) -> Self {
        Self {
            remote_id: remote_id.to_owned(),
            release_id: release.id.clone(),
            device_id: device_id.to_owned(),
            payload: release.payload.clone(),
            base,
            allow_other_hosts: false,
        }
    }
}
