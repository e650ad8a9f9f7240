//! Removing staged payloads: the `Unstage` method, and the cleanup of payloads that no
//! apply will use because their update succeeded on its device.

use super::activity::RunningUpdate;
use super::error::{Error, Result};
use super::manager::{lock, SharedState};
use crate::history::History;
use crate::staging::{StageError, StagingStore};

/// Removes a release's staged entries for every remote and device, and deletes the
/// payload files that no other entry references. Returns false when none was staged.
///
/// Rejects an empty id, a release that an apply job is applying, and a release whose
/// payload a stage job is downloading, because the apply needs the file and the stage
/// job would list the payload again when it ends.
pub fn unstage(state: &SharedState, release_id: &str) -> Result<bool> {
    if release_id.is_empty() {
        return Err(Error::InvalidArgs(
            "the release id is empty; pass a release id that `hwupctl updates` lists".to_string(),
        ));
    }

    // The daemon's lock stays held, so that no apply of the release starts meanwhile.
    let guard = lock(state);
    if let Some(device_id) = applying_to(&guard.applying, release_id) {
        return Err(Error::Failed(format!(
            "release {release_id} is being applied to device {device_id} now; wait for the \
             apply job to finish, then unstage it again"
        )));
    }
    match guard.catalogs.staging.unstage_release(release_id) {
        Ok(removed) => Ok(!removed.is_empty()),
        Err(error @ StageError::BeingStaged { .. }) => Err(Error::Failed(error.to_string())),
        Err(error) => Err(Error::Failed(format!(
            "unstaging release {release_id} failed: {error}"
        ))),
    }
}

/// Returns the device that a running apply of `release_id` writes to, if one runs.
fn applying_to<'a>(running: &'a Option<RunningUpdate>, release_id: &str) -> Option<&'a str> {
    match running {
        Some(RunningUpdate::Apply {
            release_id: applying,
            device_id,
        }) if applying == release_id => Some(device_id),
        _ => None,
    }
}

/// Removes the staged entries of releases that have succeeded on their device, and
/// deletes the payload files that no other entry references.
///
/// The engine applies a release to a device only once, and the daemon holds such a
/// release back after a rollback, so these entries can never be applied again. Call it
/// once the history row of the outcome is durable. Failures are logged, and the next
/// apply, rollback or start retries.
pub fn remove_applied(staging: &StagingStore, history: &History) {
    for item in staging.list() {
        let (release, device) = (&item.release_id, &item.device_id);
        match history.has_succeeded(device, release) {
            Ok(true) => remove(staging, release, device),
            Ok(false) => {}
            Err(error) => tracing::warn!(%release, %device, %error,
                "reading the history failed, so the staged payload stays for now"),
        }
    }
}

fn remove(staging: &StagingStore, release: &str, device: &str) {
    match staging.remove_for_device(release, device) {
        Ok(removed) if !removed.is_empty() => {
            tracing::info!(%release, %device, "removed the staged payload of an applied update")
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%release, %device, %error,
            "removing the staged payload of an applied update failed"),
    }
}
