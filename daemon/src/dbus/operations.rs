//! The long operations behind `Refresh`, `Stage` and `Apply`, each run as a job.

use jiff::Timestamp;
use serde_json::json;
use zbus::object_server::ObjectServer;
use zbus::zvariant::OwnedObjectPath;

use super::activity::{self, RunningUpdate};
use super::error::{Error, Result};
use super::job::{self, JobHandle};
use super::manager::{lock, SharedState};
use crate::history::{Transition, UpdateState};
use crate::output::quoted;
use crate::policy::{Candidate, Decision, Environment, PowerState};
use crate::remote::{self, RefreshError};
use crate::staging::StageRequest;

/// Forwards synchronous progress callbacks to the job object from a task.
fn progress_forwarder(job: &JobHandle) -> tokio::sync::mpsc::UnboundedSender<(u32, String)> {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<(u32, String)>();
    let job = job.clone();
    tokio::spawn(async move {
        while let Some((percent, message)) = receiver.recv().await {
            job.progress(percent, &message).await;
        }
    });
    sender
}

/// Starts a refresh of one remote, or of every enabled one when `remote_id` is empty.
pub async fn refresh(
    server: &ObjectServer,
    state: SharedState,
    remote_id: String,
) -> Result<OwnedObjectPath> {
    let (remotes, store, fetcher) = {
        let mut guard = lock(&state);
        let remotes: Vec<_> = guard
            .catalogs
            .remotes
            .remotes
            .iter()
            .filter(|r| {
                if remote_id.is_empty() {
                    r.enabled
                } else {
                    r.id == remote_id
                }
            })
            .cloned()
            .collect();
        if remotes.is_empty() {
            return Err(Error::NotFound(match remote_id.as_str() {
                "" => "no enabled remotes are configured; add one in remotes.d/ beside the config file".to_string(),
                id => format!("remote {} is not configured; see `hwupctl remotes`", quoted(id)),
            }));
        }
        (remotes, guard.catalogs.store.clone(), guard.fetcher()?)
    };

    let object_server = server.clone();
    job::spawn(server, "refresh", move |job| async move {
        let _activity = activity::begin(&object_server, &state, "refreshing".to_string()).await;
        let sender = progress_forwarder(&job);
        let mut results = Vec::new();
        let mut failures = Vec::new();
        for remote in &remotes {
            let mut progress = |percent: u32, message: &str| {
                let _ = sender.send((percent, format!("{}: {message}", remote.id)));
            };
            let outcome =
                remote::refresh(remote, &store, &fetcher, Timestamp::now(), &mut progress).await;
            results.push(refresh_result(&remote.id, &outcome));
            if let Err(error) = outcome {
                failures.push((remote.id.clone(), error));
            }
        }

        // The next reader loads the new catalogs for this machine. The metrics file
        // shows the new catalog's freshness at once, not only at the next tick.
        lock(&state).catalogs.loaded = None;
        super::reports::write_metrics(&mut lock(&state));
        let document = json!({ "remotes": results }).to_string();
        job.set_result(&document).await;
        finish_refresh(document, failures)
    })
    .await
}

fn refresh_result(
    id: &str,
    outcome: &std::result::Result<remote::RefreshOutcome, RefreshError>,
) -> serde_json::Value {
    match outcome {
        Ok(remote::RefreshOutcome::Accepted { catalog, .. }) => {
            json!({"remote": id, "outcome": "accepted", "serial": catalog.serial()})
        }
        Ok(remote::RefreshOutcome::Unchanged { serial, .. }) => {
            json!({"remote": id, "outcome": "unchanged", "serial": serial})
        }
        Err(error) => {
            json!({"remote": id, "outcome": "rejected", "error_kind": error.kind(), "error": error.to_string()})
        }
    }
}

/// Returns the job's result `document`, or the error that names every failed remote.
/// The job keeps `document` as its result in either case.
fn finish_refresh(document: String, failures: Vec<(String, RefreshError)>) -> Result<String> {
    if failures.is_empty() {
        return Ok(document);
    }
    let message = failures
        .iter()
        .map(|(id, error)| format!("{id}: {error} [{}]", error.kind()))
        .collect::<Vec<_>>()
        .join("; ");
    let message =
        format!("{message}; the previously accepted catalog stays in use (see `hwupctl remotes`)");
    let signature = failures.iter().any(|(_, e)| {
        matches!(
            e.kind(),
            "signature-missing" | "signature-invalid" | "unknown-key"
        )
    });
    Err(if signature {
        Error::SignatureInvalid(message)
    } else {
        Error::Failed(message)
    })
}

/// Starts staging a release for every device it is offered for.
pub async fn stage(
    server: &ObjectServer,
    state: SharedState,
    release_id: String,
) -> Result<OwnedObjectPath> {
    let (requests, staging, fetcher) = {
        let mut guard = lock(&state);
        let (release, remote, entries) = release_not_held_back(&mut guard, &release_id)?;
        let offered: Vec<_> = entries
            .into_iter()
            .filter(|e| e.held_back_reason.is_none())
            .collect();
        if offered.is_empty() {
            return Err(Error::InvalidArgs(format!(
                "release {release_id} is not offered for any device here; see `hwupctl updates`"
            )));
        }
        let requests: Vec<_> = offered
            .iter()
            .map(|entry| {
                let request = StageRequest::new(
                    &remote.id,
                    &entry.device_id,
                    &release,
                    remote.catalog_base(),
                );
                (request, entry.clone(), release.clone())
            })
            .collect();
        (requests, guard.catalogs.staging.clone(), guard.fetcher()?)
    };

    let object_server = server.clone();
    job::spawn(server, "stage", move |job| async move {
        let status = format!("staging {release_id}");
        let _activity = activity::begin(&object_server, &state, status).await;
        let sender = progress_forwarder(&job);
        let mut staged = Vec::new();
        for (request, entry, release) in requests {
            let mut progress = |done: u64, total: u64| {
                let percent = (done.saturating_mul(100) / total.max(1)) as u32;
                let _ = sender.send((percent, format!("downloading {} for {}", entry.release_id, entry.device_name)));
            };
            let payload = staging
                .stage(fetcher.client(), request, &mut progress)
                .await
                .map_err(|e| match e {
                    crate::staging::StageError::HashMismatch { .. } => Error::SignatureInvalid(e.to_string()),
                    other => Error::Failed(other.to_string()),
                })?;
            record_staged(&state, &entry, &release, &payload.sha256);
            staged.push(json!({"release_id": payload.release_id, "device_id": payload.device_id, "sha256": payload.sha256, "size": payload.size}));
        }
        Ok(json!({ "staged": staged }).to_string())
    })
    .await
}

fn record_staged(
    state: &SharedState,
    entry: &crate::matching::UpdateEntry,
    release: &crate::catalog::document::Release,
    sha256: &str,
) {
    let transition = Transition {
        state: UpdateState::Staged,
        time: Timestamp::now(),
        device_id: entry.device_id.clone(),
        device_name: entry.device_name.clone(),
        release_id: entry.release_id.clone(),
        remote_id: entry.remote_id.clone(),
        version_before: entry.current_version.clone(),
        version_after: release.version.clone(),
        payload_sha256: Some(sha256.to_string()),
        install_method: release.install_method.clone(),
        reason: None,
    };
    if let Err(error) = lock(state).history.record(&transition) {
        tracing::warn!(release = %entry.release_id, device = %entry.device_id, %error, "recording the staged state failed");
    }
    tracing::info!(release = %entry.release_id, device = %entry.device_id, "update staged");
}

/// Starts applying a staged release. Outside a maintenance window only with `now`.
pub async fn apply(
    server: &ObjectServer,
    state: SharedState,
    release_id: String,
    now: bool,
) -> Result<OwnedObjectPath> {
    let work = {
        let mut guard = lock(&state);
        let (release, remote, _entries) = release_not_held_back(&mut guard, &release_id)?;
        let staged: Vec<_> = guard
            .catalogs
            .staging
            .list()
            .into_iter()
            .filter(|s| s.release_id == release_id)
            .collect();
        let Some(first) = staged.first() else {
            return Err(not_staged(&guard, &release_id));
        };
        let device = guard
            .inventory
            .devices
            .iter()
            .find(|d| d.id == first.device_id)
            .cloned()
            .ok_or_else(|| {
                Error::NotFound(format!("device {} is no longer present", first.device_id))
            })?;
        check_window(&guard, &release, &device.id, now)?;
        if guard.applying.is_some() {
            return Err(Error::Failed(
                "another update is being applied; wait for it to finish".to_string(),
            ));
        }
        guard.applying = Some(RunningUpdate::Apply {
            release_id: release.id.clone(),
            device_id: device.id.clone(),
        });
        let context = crate::machine::backend_context(&guard.root, &guard.state_dir, &guard.config);
        (
            context,
            guard.catalogs.staging.clone(),
            guard.state_dir.clone(),
            device,
            release,
            remote.id.clone(),
        )
    };

    let object_server = server.clone();
    let job_state = state.clone();
    let started = job::spawn(server, "apply", move |job| async move {
        let (context, staging, state_dir, device, release, remote_id) = work;
        let status = format!("applying {}", release.id);
        let _activity = activity::begin(&object_server, &state, status).await;
        job.progress(10, &format!("applying {} to {}", release.id, device.name))
            .await;
        let result = tokio::task::spawn_blocking(move || {
            // The apply has its own history connection so it never holds the daemon's lock.
            let mut history = crate::history::History::open_in(&state_dir)
                .map_err(|e| Error::Failed(format!("opening the history failed: {e}")))?;
            let result = crate::engine::apply_one_observed(
                &context,
                &mut history,
                &staging,
                &device,
                &release,
                &remote_id,
                &mut super::test_pause::on_step,
            );

            // The outcome is durable in the history now, and a succeeded update's
            // payload is never applied again.
            super::staged::remove_applied(&staging, &history);
            result.map_err(|e| Error::Failed(e.to_string()))
        })
        .await
        .map_err(|e| Error::Failed(format!("the apply task stopped: {e}")));
        lock(&state).applying = None;
        let result = result??;
        job.progress(90, "scanning the devices again").await;
        rescan(&object_server, &state).await;
        finish_apply(result)
    })
    .await;
    if started.is_err() {
        lock(&job_state).applying = None;
    }
    started
}

/// Finds a release in the accepted catalogs with its remote and its update entries, and
/// rejects it when every entry is held back.
fn release_not_held_back(
    state: &mut super::manager::DaemonState,
    release_id: &str,
) -> Result<(
    crate::catalog::document::Release,
    crate::remote::RemoteConfig,
    Vec<crate::matching::UpdateEntry>,
)> {
    let (release, remote) = state.find_release(release_id).ok_or_else(|| {
        Error::NotFound(format!(
            "release {} is in no accepted catalog; run `hwupctl refresh`",
            quoted(release_id)
        ))
    })?;
    let entries: Vec<_> = state
        .update_entries()
        .into_iter()
        .filter(|e| e.release_id == release_id)
        .collect();
    match held_back_error(&entries) {
        Some(error) => Err(error),
        None => Ok((release, remote, entries)),
    }
}

/// Returns the error for a release whose every entry is held back, with the reason that
/// `hwupctl updates` shows, such as an expired catalog or an earlier rollback. A staged
/// payload does not lift the hold, because the reason concerns the release itself.
fn held_back_error(entries: &[crate::matching::UpdateEntry]) -> Option<Error> {
    if entries.is_empty() || entries.iter().any(|e| e.held_back_reason.is_none()) {
        return None;
    }
    let entry = &entries[0];
    let reason = entry.held_back_reason.as_deref().unwrap_or_default();
    Some(Error::InvalidArgs(format!(
        "release {} is held back for {}: {reason}",
        quoted(&entry.release_id),
        entry.device_name
    )))
}

/// Returns the error for an apply of a release without a staged payload. The payload of
/// an update that succeeded is deleted, so that case gets its own message.
fn not_staged(state: &super::manager::DaemonState, release_id: &str) -> Error {
    let devices = state.inventory.devices.iter();
    let mut applied = devices.filter(|d| {
        state
            .history
            .has_succeeded(&d.id, release_id)
            .unwrap_or(false)
    });
    match applied.next() {
        Some(device) => Error::Failed(
            crate::engine::ApplyError::AlreadySucceeded {
                device_id: device.id.clone(),
                release_id: release_id.to_string(),
            }
            .to_string(),
        ),
        None => Error::InvalidArgs(format!(
            "release {release_id} is not staged; run `hwupctl stage {release_id}` first"
        )),
    }
}

fn check_window(
    state: &super::manager::DaemonState,
    release: &crate::catalog::document::Release,
    device_id: &str,
    now: bool,
) -> Result<()> {
    let power = PowerState::read(&state.root);
    let env = Environment {
        now: Timestamp::now(),
        windows: &state.config.window,
        power: &power,
        apply_now: now,
    };
    let candidate = Candidate {
        release,
        device_id,
        staged: true,
    };
    match state.policy().decide(&candidate, &env) {
        Decision::Apply => Ok(()),
        decision => {
            let zone = state.config.window.zone().clone();
            Err(Error::Failed(format!(
                "not applying now: {}",
                decision.describe(&zone)
            )))
        }
    }
}

fn finish_apply(result: crate::engine::ApplyResult) -> Result<String> {
    use crate::engine::Outcome;
    let attempt = result.attempt_id;
    match result.outcome {
        Outcome::Succeeded { version } => Ok(
            json!({"attempt_id": attempt, "outcome": "succeeded", "version": version}).to_string(),
        ),
        Outcome::PendingReboot => {
            Ok(json!({"attempt_id": attempt, "outcome": "pending-reboot"}).to_string())
        }
        Outcome::Failed { reason } => Err(Error::Failed(format!(
            "update failed (attempt {attempt}): {reason}"
        ))),
        Outcome::RolledBack { reason } => Err(Error::Failed(format!(
            "update failed and was rolled back (attempt {attempt}): {reason}"
        ))),
    }
}

/// Scans again after an apply so device objects show the new versions.
pub(super) async fn rescan(server: &ObjectServer, state: &SharedState) {
    let (root, state_dir, config) = {
        let guard = lock(state);
        (
            guard.root.clone(),
            guard.state_dir.clone(),
            guard.config.clone(),
        )
    };
    let scanned =
        tokio::task::spawn_blocking(move || crate::machine::scan(&root, &state_dir, &config)).await;
    let Ok(Ok(inventory)) = scanned else {
        tracing::warn!("scanning after an apply failed; device objects may show old versions");
        return;
    };
    let old = std::mem::replace(&mut lock(state).inventory, inventory.clone());
    lock(state).catalogs.loaded = None;
    if let Err(error) =
        super::manager::sync_device_objects(server, &old.devices, &inventory.devices).await
    {
        tracing::warn!(%error, "updating device objects after an apply failed");
    }
    super::reports::write_metrics(&mut lock(state));
}
