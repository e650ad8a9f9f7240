//! One apply attempt: checks, the `applying` record, the payload hash, the backend, and
//! the verified or pending outcome.

use jiff::Timestamp;

use super::finish::OpenAttempt;
use super::pending::{self, AttemptRecord, Phase};
use super::steps::{finish, pending_reboot, run_backend, verify};
use super::ApplyError;
use crate::backends::{backend_for, boot_id, ApplyOutcome, Context};
use crate::catalog::document::Release;
use crate::device::Device;
use crate::history::{History, Transition, UpdateState};
use crate::staging::StagingStore;

/// Points of an attempt that [`apply_one_observed`] reports, in this order. An attempt
/// skips the points that its path does not pass, such as `Verified` for an update that
/// waits for a reboot.
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
    /// The attempt record is in phase `pending-reboot`, and the history still shows
    /// `applying`.
    PendingSaved,
    /// The outcome or `pending-reboot` is in the history. The attempt record is not
    /// removed yet, and a pending attempt keeps it until the update is verified.
    Recorded,
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
    /// The update failed and the previous kernel module was restored.
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
        on_step,
    };
    let record = attempt_record(ctx, attempt_id, device, release, remote_id);
    if let Err(e) = pending::save(&ctx.state_dir, &record) {
        return finish(
            &mut attempt,
            Err(format!("writing the attempt record failed: {e}")),
        );
    }
    attempt.reached(Step::Started);

    let outcome = run_backend(ctx, backend, staging, device, release);
    attempt.reached(Step::BackendApplied);
    let outcome = match outcome {
        Err(reason) => Err(reason),
        Ok(ApplyOutcome::PendingReboot) => pending_reboot(&mut attempt, device, record),
        Ok(ApplyOutcome::Done) => verify(&mut attempt, backend, device),
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

pub(super) fn attempt_record(
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
