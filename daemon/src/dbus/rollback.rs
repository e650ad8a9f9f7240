//! The long operation behind `Rollback`: a job that rolls a device back to the version
//! from before its latest update, then scans the devices again.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;
use zbus::object_server::ObjectServer;
use zbus::zvariant::OwnedObjectPath;

use super::activity::{self, RunningUpdate};
use super::error::{Error, Result};
use super::job;
use super::manager::{lock, SharedState};
use crate::backends::Context;
use crate::device::Device;
use crate::engine::{rollback_one, RollbackResult};
use crate::history::History;
use crate::staging::StagingStore;

/// Starts rolling back the latest update of `device_id`. Rejects a device that the
/// inventory does not list, and any call while an apply or another rollback runs.
pub async fn rollback(
    server: &ObjectServer,
    state: SharedState,
    device_id: String,
) -> Result<OwnedObjectPath> {
    let (context, state_dir, device) = claim(&state, &device_id)?;
    let staging = lock(&state).catalogs.staging.clone();
    let object_server = server.clone();
    let job_state = state.clone();
    let started = job::spawn(server, "rollback", move |job| async move {
        let status = format!("rolling-back {}", device.id);
        let _activity = activity::begin(&object_server, &job_state, status).await;
        job.progress(10, &format!("rolling back {}", device.name))
            .await;
        let result = run(context, state_dir, device, staging).await;

        // A failed rollback may have changed the device too, so scan in every case.
        job.progress(90, "scanning the devices again").await;
        super::operations::rescan(&object_server, &job_state).await;
        lock(&job_state).applying = None;
        result.map(|result| result_json(&result))
    })
    .await;
    if started.is_err() {
        lock(&state).applying = None;
    }
    started
}

/// Finds the device in the inventory and marks the daemon busy with it.
fn claim(state: &SharedState, device_id: &str) -> Result<(Context, PathBuf, Device)> {
    let mut guard = lock(state);
    let device = guard.inventory.devices.iter().find(|d| d.id == device_id);
    let device = device.cloned().ok_or_else(|| {
        Error::NotFound(format!(
            "device {} not found; `hwupctl devices` lists the device ids",
            crate::output::quoted(device_id)
        ))
    })?;
    if guard.applying.is_some() {
        return Err(Error::Failed(
            "another update or rollback is running; wait for it to finish, then roll back"
                .to_string(),
        ));
    }

    guard.applying = Some(RunningUpdate::Rollback {
        device_id: device.id.clone(),
    });
    let context = crate::machine::backend_context(&guard.root, &guard.state_dir, &guard.config);
    Ok((context, guard.state_dir.clone(), device))
}

/// Runs the rollback on the blocking pool with a history connection of its own, as an
/// apply does, so that the daemon's lock stays free meanwhile.
async fn run(
    context: Context,
    state_dir: PathBuf,
    device: Device,
    staging: Arc<StagingStore>,
) -> Result<RollbackResult> {
    let task = tokio::task::spawn_blocking(move || {
        let mut history = History::open_in(&state_dir)
            .map_err(|e| Error::Failed(format!("opening the history failed: {e}")))?;
        let result = rollback_one(&context, &mut history, &device, None);

        // A release rolled back after it succeeded is held back for good, so its payload
        // goes once the outcome is durable.
        super::staged::remove_applied(&staging, &history);
        result.map_err(|e| Error::Failed(e.to_string()))
    });
    task.await
        .map_err(|e| Error::Failed(format!("the rollback task stopped: {e}")))?
}

/// Returns the job's result document.
fn result_json(result: &RollbackResult) -> String {
    let document = json!({
        "attempt_id": result.attempt_id,
        "outcome": "rolled-back",
        "release_id": result.release_id,
        "install_method": result.install_method.as_str(),
        "version_before": result.version_before,
        "version_after": result.version_after,
        "pending_reboot": result.pending_reboot,
        "reason": result.reason,
    });
    document.to_string()
}
