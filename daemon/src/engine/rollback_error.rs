//! Reasons that [`super::rollback_one`] rejects a rollback or reports it failed.

use crate::backends::BackendError;
use crate::history::{HistoryError, UpdateState};

/// Failure of [`super::rollback_one`]. Every variant but [`RollbackError::Failed`] and
/// [`RollbackError::History`] leaves the device and the history as they were.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    #[error(
        "device {device_id} has no update in the history, so there is nothing to roll \
         back; see `hwupctl history --device {device_id}`"
    )]
    NoAttempt { device_id: String },

    #[error(
        "release {release_id} on device {device_id} is still being applied (attempt \
         {attempt_id}); wait for it to finish, or restart the daemon to recover it, then \
         roll back"
    )]
    AttemptOpen {
        device_id: String,
        release_id: String,
        attempt_id: i64,
    },

    #[error(
        "release {release_id} on device {device_id} is already rolled back (attempt \
         {attempt_id}); hwupd keeps only the version from before the latest update, so \
         there is nothing more to roll back"
    )]
    AlreadyRolledBack {
        device_id: String,
        release_id: String,
        attempt_id: i64,
    },

    #[error(
        "the latest update of device {device_id}, release {release_id} (attempt \
         {attempt_id}), is {state} and left no change behind, so there is nothing to roll \
         back; see `hwupctl history --device {device_id}`"
    )]
    NotApplied {
        device_id: String,
        release_id: String,
        attempt_id: i64,
        state: UpdateState,
    },

    #[error("{method} cannot roll back device {device_id}: {reason}")]
    MethodCannotRollBack {
        device_id: String,
        method: String,
        reason: &'static str,
    },

    /// The backend's `rollback` failed before it changed anything.
    #[error(
        "rolling back release {release_id} on device {device_id} failed, and nothing was \
         changed: {source}"
    )]
    Unchanged {
        device_id: String,
        release_id: String,
        #[source]
        source: Box<BackendError>,
    },

    /// The backend's `rollback` failed after it changed the device or its files. The
    /// attempt is recorded as `failed` with `reason`.
    #[error(
        "rolling back release {release_id} on device {device_id} failed (attempt \
         {attempt_id}): {reason}; check the device, then run `hwupctl rollback \
         {device_id} --yes` again"
    )]
    Failed {
        device_id: String,
        release_id: String,
        attempt_id: i64,
        reason: String,
    },

    /// The history could not be read or written. When this comes after the backend's
    /// `rollback`, the device may have changed without a record of it.
    #[error("the update history failed: {0}")]
    History(#[from] HistoryError),
}
