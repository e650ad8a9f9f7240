//! The remote's state before a refresh, and the check of the stored pair that a
//! conditional GET depends on.

use super::accepted::verify_cached_signature;
use super::config::{RemoteConfig, RemoteSource};
use super::fetch::Validators;
use super::store::{RemoteDir, StoredStatus};

/// The remote's state before a refresh.
#[derive(Debug, Clone)]
pub(super) struct Prior {
    pub status: StoredStatus,
    /// Signature of the stored pair, if the pair is intact and a current key signed it.
    /// It is checked only when the refresh would send validators, and None otherwise.
    pub cached_signature: Option<Vec<u8>>,
}

impl Prior {
    /// Reads the status and, when the refresh would make a conditional GET, checks the
    /// stored pair. That check reads and hashes the whole stored catalog, so it is left
    /// out where nothing depends on it.
    pub fn load(dir: &RemoteDir, remote: &RemoteConfig) -> Self {
        let status = dir.read_status();
        let record = status.accepted.as_ref();
        let cached_signature = record
            .filter(|_| sends_validators(remote, &status))
            .and_then(|record| {
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

/// Returns whether a refresh of `remote` sends validators from `status`: only HTTP
/// remotes do, and only when the last response had an `ETag` or `Last-Modified`.
fn sends_validators(remote: &RemoteConfig, status: &StoredStatus) -> bool {
    let http = matches!(remote.source, RemoteSource::Http { .. });
    http && (status.etag.is_some() || status.last_modified.is_some())
}
