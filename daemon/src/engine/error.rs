//! Reasons that [`super::apply_one`] rejects an update before any attempt starts.

use crate::backends::BackendError;
use crate::history::{HistoryError, UpdateState};

/// Failure of [`super::apply_one`] that is not an attempt's outcome. An outcome, failed
/// or not, comes back as [`super::ApplyResult`] and is in the history.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(
        "release {release_id} has already succeeded on device {device_id}; an update is \
         never applied twice"
    )]
    AlreadySucceeded {
        device_id: String,
        release_id: String,
    },

    #[error(
        "release {release_id} on device {device_id} is in state {state}; wait for that \
         attempt to finish, or restart the daemon to recover it"
    )]
    AttemptOpen {
        device_id: String,
        release_id: String,
        state: UpdateState,
    },

    #[error("no staged payload has SHA-256 {sha256} for release {release_id}; stage it first")]
    NotStaged { release_id: String, sha256: String },

    #[error("release {release_id} cannot be applied: {source}")]
    Method {
        release_id: String,
        #[source]
        source: BackendError,
    },

    /// The history could not be read or written. An attempt that had started stays
    /// open, and [`super::recover`] closes it at the next start.
    #[error("the update history failed: {0}")]
    History(#[from] HistoryError),
}
