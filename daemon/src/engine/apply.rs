//! One apply attempt: checks, the `applying` record, the payload hash, the backend, and
//! the verified or pending outcome.

use std::path::Path;

use jiff::Timestamp;

use super::finish::OpenAttempt;
use super::pending::{self, AttemptRecord, Phase};
use super::rescan::find_device;
use super::staged::verify_payload;
use super::ApplyError;
use crate::backends::{backend_for, boot_id, ApplyOutcome, Backend, Context};
use crate::catalog::document::Release;
use crate::device::Device;
use crate::history::{History, Transition, UpdateState};
use crate::staging::StagingStore;

/// Points of an attempt that [`apply_one_observed`] reports, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The checks passed, and nothing about the attempt is recorded yet.
    Checked,
    /// `applying` and the attempt record are durable, and the device is untouched.
    Started,
    /// The backend's `apply` returned, with success or not.
    BackendApplied,
    /// The backend's `verify` returned, and its result is not recorded yet.
    Verified,
}

/// Final or pending result of an attempt, as recorded in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The device reports `version`.
    Succeeded {
        version: String,
    },
    /// The update takes effect at the next boot, and [`super::recover`] verifies it.
    PendingReboot,
    Failed {
        reason: String,
    },
    /// Verification failed and the previous kernel module was restored.
    RolledBack {
        reason: String,
    },
}

/// An attempt and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyResult {
    /// The history's attempt id, the row id of the `applying` record.
    pub attempt_id: i64,
    pub outcome: Outcome,
}

/// Applies a staged `release` to `device` and records every step in `history`.
///
/// Blocking: call it with `spawn_blocking`. An update that has succeeded or has an
/// open attempt is rejected, as is one whose payload is not staged. Once `applying`
/// is recorded, every outcome, failures included, is in the history and comes back as
/// `Ok`. `Err` after that point only means the history could not be written.
pub fn apply_one(
    ctx: &Context,
    history: &mut History,
    staging: &StagingStore,
    device: &Device,
    release: &Release,
    remote_id: &str,
) -> Result<ApplyResult, ApplyError> {
    apply_one_observed(
        ctx,
        history,
        staging,
        device,
        release,
        remote_id,
        &mut |_| {},
    )
}

/// Runs [`apply_one`] and calls `on_step` at each [`Step`], such as to report job
/// progress.
pub fn apply_one_observed(
    ctx: &Context,
    history: &mut History,
    staging: &StagingStore,
    device: &Device,
    release: &Release,
    remote_id: &str,
    on_step: &mut dyn FnMut(Step),
) -> Result<ApplyResult, ApplyError> {
    let backend = backend_for(&release.install_method).map_err(|source| ApplyError::Method {
        release_id: release.id.clone(),
        source,
    })?;
    check_history(history, device, release)?;
    check_staged(staging, release)?;
    let latest = transition(device, release, remote_id);
    record_staged(history, &latest)?;
    on_step(Step::Checked);

    // The attempt exists from here on, before anything touches the device.
    let applying = latest.to_state(UpdateState::Applying, None);
    let attempt_id = history.record(&applying)?;
    tracing::info!(device = %device.id, release = %release.id, attempt = attempt_id,
        state = "applying", "update state changed");
    let mut attempt = OpenAttempt {
        ctx,
        history,
        attempt_id,
        latest: applying,
        release,
    };
    let record = attempt_record(ctx, attempt_id, device, release, remote_id);
    if let Err(e) = pending::save(&ctx.state_dir, &record) {
        return finish(
            &mut attempt,
            Err(format!("writing the attempt record failed: {e}")),
        );
    }
    on_step(Step::Started);

    let outcome = run_backend(ctx, backend, staging, device, release);
    on_step(Step::BackendApplied);
    let outcome = match outcome {
        Err(reason) => Err(reason),
        Ok(ApplyOutcome::PendingReboot) => pending_reboot(&mut attempt, device, record),
        Ok(ApplyOutcome::Done) => verify(&mut attempt, backend, device, on_step),
    };
    finish(&mut attempt, outcome)
}

/// Rejects an update that has succeeded or whose latest attempt is still open.
fn check_history(history: &History, device: &Device, release: &Release) -> Result<(), ApplyError> {
    if history.has_succeeded(&device.id, &release.id)? {
        return Err(ApplyError::AlreadySucceeded {
            device_id: device.id.clone(),
            release_id: release.id.clone(),
        });
    }
    match history.last_state(&device.id, &release.id)? {
        Some(state @ (UpdateState::Applying | UpdateState::PendingReboot)) => {
            Err(ApplyError::AttemptOpen {
                device_id: device.id.clone(),
                release_id: release.id.clone(),
                state,
            })
        }
        _ => Ok(()),
    }
}

fn check_staged(staging: &StagingStore, release: &Release) -> Result<(), ApplyError> {
    match staging.path_of(&release.payload.sha256) {
        Some(_) => Ok(()),
        None => Err(ApplyError::NotStaged {
            release_id: release.id.clone(),
            sha256: release.payload.sha256.clone(),
        }),
    }
}

/// Records `staged` when the latest state does not allow `applying`, such as after a
/// failed attempt, because the payload is in the staging store.
fn record_staged(history: &mut History, latest: &Transition) -> Result<(), ApplyError> {
    let last = history.last_state(&latest.device_id, &latest.release_id)?;
    if !UpdateState::can_follow(last, UpdateState::Applying) {
        history.record(&latest.to_state(UpdateState::Staged, None))?;
    }
    Ok(())
}

fn transition(device: &Device, release: &Release, remote_id: &str) -> Transition {
    Transition {
        state: UpdateState::Staged,
        time: Timestamp::now(),
        device_id: device.id.clone(),
        device_name: device.name.clone(),
        release_id: release.id.clone(),
        remote_id: remote_id.to_owned(),
        version_before: device.version.clone(),
        version_after: release.version.clone(),
        payload_sha256: Some(release.payload.sha256.to_ascii_lowercase()),
        install_method: release.install_method.clone(),
        reason: None,
    }
}

fn attempt_record(
    ctx: &Context,
    attempt_id: i64,
    device: &Device,
    release: &Release,
    remote_id: &str,
) -> AttemptRecord {
    AttemptRecord {
        attempt_id,
        phase: Phase::Applying,
        device_id: device.id.clone(),
        remote_id: remote_id.to_owned(),
        install_method: release.install_method.clone(),
        boot_id: boot_id(&ctx.root),
        release: release.clone(),
    }
}

/// Hashes the staged payload again, then runs the backend's `check` and `apply`. A
/// changed payload is deleted by the staging store and never reaches the backend.
fn run_backend(
    ctx: &Context,
    backend: &dyn Backend,
    staging: &StagingStore,
    device: &Device,
    release: &Release,
) -> Result<ApplyOutcome, String> {
    let payload = verify_payload(staging, &release.payload.sha256).map_err(|e| e.to_string())?;
    apply_payload(ctx, backend, device, &payload, release)
}

fn apply_payload(
    ctx: &Context,
    backend: &dyn Backend,
    device: &Device,
    payload: &Path,
    release: &Release,
) -> Result<ApplyOutcome, String> {
    backend
        .check(ctx, device, release)
        .map_err(|e| e.to_string())?;
    backend
        .apply(ctx, device, payload, release)
        .map_err(|e| match e.state_changed() {
            true => format!("{e}; the device or its files may be left changed"),
            false => e.to_string(),
        })
}

/// Persists the record in phase `pending-reboot`, then records `pending-reboot`. When
/// the record cannot be written, the update is withdrawn where the backend can, so
/// that it does not take effect at the next boot unrecorded.
fn pending_reboot(
    attempt: &mut OpenAttempt<'_>,
    device: &Device,
    record: AttemptRecord,
) -> Result<super::Outcome, String> {
    let record = AttemptRecord {
        phase: Phase::PendingReboot,
        ..record
    };
    if let Err(e) = pending::save(&attempt.ctx.state_dir, &record) {
        let reason = format!("writing the attempt record failed: {e}");
        return Err(withdraw(attempt, device, reason));
    }
    attempt
        .record(UpdateState::PendingReboot, None)
        .map_err(|e| e.to_string())?;
    Ok(super::Outcome::PendingReboot)
}

/// Calls the backend's `rollback` and appends its result to `reason`.
fn withdraw(attempt: &OpenAttempt<'_>, device: &Device, reason: String) -> String {
    let release = attempt.release;
    let rollback = backend_for(&release.install_method)
        .and_then(|backend| backend.rollback(attempt.ctx, device, release));
    match rollback {
        Ok(_) => format!("{reason}; the update was withdrawn"),
        Err(e) => {
            tracing::warn!(device = %device.id, release = %release.id, error = %e,
                "withdrawing an unrecorded pending update failed");
            format!(
                "{reason}; withdrawing the update failed, so it may still take effect \
                 at the next boot: {e}"
            )
        }
    }
}

/// Scans the device again and records what the backend's `verify` shows.
fn verify(
    attempt: &mut OpenAttempt<'_>,
    backend: &dyn Backend,
    device: &Device,
    on_step: &mut dyn FnMut(Step),
) -> Result<super::Outcome, String> {
    let rescanned = find_device(attempt.ctx, &device.id)?
        .ok_or_else(|| format!("device {} not found after the apply", device.id))?;
    let verification = backend.verify(attempt.ctx, &rescanned, attempt.release);
    on_step(Step::Verified);

    match attempt.conclude(&rescanned, verification) {
        Ok(Some(outcome)) => Ok(outcome),
        // A module that loads at the next boot, for example.
        Ok(None) => {
            let record = attempt_record(
                attempt.ctx,
                attempt.attempt_id,
                &rescanned,
                attempt.release,
                &attempt.latest.remote_id,
            );
            pending_reboot(attempt, &rescanned, record)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Records `failed` for an error reason and wraps the outcome.
fn finish(
    attempt: &mut OpenAttempt<'_>,
    outcome: Result<super::Outcome, String>,
) -> Result<ApplyResult, ApplyError> {
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(reason) => attempt.fail(reason)?,
    };
    Ok(ApplyResult {
        attempt_id: attempt.attempt_id,
        outcome,
    })
}
