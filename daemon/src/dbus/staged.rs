//! Removing staged payloads that no apply will use: those of updates that succeeded on
//! their device.

use crate::history::History;
use crate::staging::StagingStore;

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
