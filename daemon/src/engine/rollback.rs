//! Rolling back a device's latest update by request: the checks, the backend's
//! `rollback`, a fresh scan, and the `rolled-back` record.

use jiff::tz::TimeZone;

use super::finish::OpenAttempt;
use super::pending;
use super::rescan::find_device;
use super::{RollbackError, Step, LEFT_CHANGED};
use crate::backends::{backend_for, ApplyOutcome, Backend, BackendError, Context};
use crate::catalog::document::{Devices, InstallMethod, Payload, Release, Ring, Rollout};
use crate::device::Device;
use crate::history::{Attempt, History, Transition, UpdateState};

/// Reason recorded for a rollback when the caller gives none.
pub const ROLLBACK_REASON: &str = "rolled back by request";

/// A rollback that the history records as `rolled-back`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackResult {
    /// The attempt that was rolled back. The `rolled-back` record joins it.
    pub attempt_id: i64,
    pub release_id: String,
    pub install_method: InstallMethod,
    /// Version the device reported before the rollback.
    pub version_before: String,
    /// Version the device reports after the rollback, from a fresh scan, or empty when
    /// the scan no longer finds the device.
    pub version_after: String,
    /// True when the previous version takes effect only at the next boot, such as a
    /// kernel module that is in use.
    pub pending_reboot: bool,
    /// Reason of the `rolled-back` record.
    pub reason: String,
}

/// Rolls `device` back to the version from before its latest update, then records
/// `rolled-back` in `history` with the versions before and after and `reason`, or
/// [`ROLLBACK_REASON`] when it is None.
///
/// Blocking: call it with `spawn_blocking`, and never while an apply runs. `device` is
/// the device as the latest scan shows it. Only the device's latest attempt is rolled
/// back, and only when it succeeded, waits for a reboot, or failed and left changes
/// behind. Its install method must keep the previous version (kmod, emulated), or the
/// update must not have taken effect yet (uefi-capsule). Any other case is rejected
/// before anything changes. The `rolled-back` or `failed` record is durable on return.
pub fn rollback_one(
    ctx: &Context,
    history: &mut History,
    device: &Device,
    reason: Option<&str>,
) -> Result<RollbackResult, RollbackError> {
    let attempt = latest_attempt(history, &device.id)?;
    check_attempt(&attempt)?;
    let backend = rollback_backend(&attempt.latest.transition)?;
    let release = attempt_release(ctx, device, &attempt);

    tracing::info!(device = %device.id, release = %release.id, attempt = attempt.attempt_id,
        method = %release.install_method, "rolling back update");
    let rolled_back = backend.rollback(ctx, device, &release);

    let expected = attempt.start.transition.version_before.clone();
    // A rollback has no apply steps to observe.
    let mut no_steps = |_: Step| {};
    let mut open = OpenAttempt {
        ctx,
        history,
        attempt_id: attempt.attempt_id,
        latest: attempt.latest.transition,
        release: &release,
        on_step: &mut no_steps,
    };
    match rolled_back {
        Ok(outcome) => record_rolled_back(&mut open, device, outcome, reason, &expected),
        Err(source) if !source.state_changed() => Err(unchanged(device, &release, source)),
        Err(error) => record_failure(&mut open, device, &error),
    }
}

/// Returns the device's latest apply attempt.
fn latest_attempt(history: &History, device_id: &str) -> Result<Attempt, RollbackError> {
    let attempts = history.attempts()?;
    let latest = attempts
        .into_iter()
        .rev()
        .find(|attempt| attempt.start.transition.device_id == device_id);
    latest.ok_or_else(|| RollbackError::NoAttempt {
        device_id: device_id.to_string(),
    })
}

/// Accepts an attempt that succeeded, waits for a reboot, or failed leaving changes.
fn check_attempt(attempt: &Attempt) -> Result<(), RollbackError> {
    let latest = &attempt.latest.transition;
    let device_id = latest.device_id.clone();
    let release_id = latest.release_id.clone();
    let attempt_id = attempt.attempt_id;
    match latest.state {
        UpdateState::Succeeded | UpdateState::PendingReboot => Ok(()),
        UpdateState::Failed if left_changed(latest) => Ok(()),
        UpdateState::Applying => Err(RollbackError::AttemptOpen {
            device_id,
            release_id,
            attempt_id,
        }),
        UpdateState::RolledBack => Err(RollbackError::AlreadyRolledBack {
            device_id,
            release_id,
            attempt_id,
        }),
        state => Err(RollbackError::NotApplied {
            device_id,
            release_id,
            attempt_id,
            state,
        }),
    }
}

/// Reports whether the reason of a `failed` record contains [`LEFT_CHANGED`], because
/// only a failure that left the device or its files changed leaves something to undo.
fn left_changed(failed: &Transition) -> bool {
    let reason = failed.reason.as_deref().unwrap_or_default();
    reason.contains(LEFT_CHANGED)
}

/// Returns the backend of the attempt's install method, or an error for a method that
/// cannot undo the attempt in its current state.
fn rollback_backend(latest: &Transition) -> Result<&'static dyn Backend, RollbackError> {
    let method = &latest.install_method;
    let cannot = |reason| RollbackError::MethodCannotRollBack {
        device_id: latest.device_id.clone(),
        method: method.to_string(),
        reason,
    };
    match method {
        InstallMethod::Thunderbolt => Err(cannot(
            "the router keeps no previous image to restore; install an older release instead",
        )),
        InstallMethod::UefiCapsule if latest.state == UpdateState::Succeeded => Err(cannot(
            "the firmware has installed the capsule, and a capsule cannot be withdrawn after \
             that; install an older release if the vendor allows a downgrade",
        )),
        _ => backend_for(method)
            .map_err(|_| cannot("this hwupd does not know the install method; update hwupd")),
    }
}

/// Returns the attempt's release: the whole release from the attempt record while one
/// exists (an attempt that waits for a reboot), else one rebuilt from the history.
fn attempt_release(ctx: &Context, device: &Device, attempt: &Attempt) -> Release {
    let (records, _) = pending::list(&ctx.state_dir);
    let saved = records
        .into_iter()
        .find(|record| record.attempt_id == attempt.attempt_id);
    match saved {
        Some(record) => record.release,
        None => release_from_history(device, &attempt.start.transition),
    }
}

/// Rebuilds a release from its `applying` record. The backends' `rollback` reads only
/// the id and the install method, so the fields that the history does not store, such
/// as the severity and the payload path, are placeholders.
fn release_from_history(device: &Device, start: &Transition) -> Release {
    let sha256 = start.payload_sha256.clone().unwrap_or_default();
    Release {
        id: start.release_id.clone(),
        name: start.release_id.clone(),
        summary: String::new(),
        description: None,
        vendor: None,
        devices: Devices::default(),
        hardware_ids: Vec::new(),
        version: start.version_after.clone(),
        version_format: device.version_format.clone().into(),
        replaces: None,
        lowest_supported_version: None,
        severity: String::new().into(),
        cves: Vec::new(),
        known_exploited: false,
        release_date: TimeZone::UTC.to_datetime(start.time).date(),
        install_method: start.install_method.clone(),
        payload: Payload {
            path: String::new(),
            sha256,
            size: 0,
            url: None,
        },
        reboot_required: false,
        rollout: Rollout {
            ring: Ring::Broad,
            percentage: 100,
        },
    }
}

/// Records `rolled-back` with the versions before and after, once the backend has
/// restored the previous version, and removes any attempt record.
fn record_rolled_back(
    open: &mut OpenAttempt<'_>,
    device: &Device,
    outcome: ApplyOutcome,
    reason: Option<&str>,
    expected: &str,
) -> Result<RollbackResult, RollbackError> {
    let pending_reboot = outcome == ApplyOutcome::PendingReboot;
    let (version_after, note) = rescanned_version(open.ctx, &device.id);
    let mut reason = reason.unwrap_or(ROLLBACK_REASON).to_string();
    if pending_reboot {
        reason.push_str("; the previous version takes effect at the next boot");
    } else if note.is_none() && version_after != expected {
        let reported = format!("; the device reports version {version_after}, not {expected}");
        reason.push_str(&reported);
    }
    if let Some(note) = note {
        reason.push_str(&format!("; {note}"));
    }

    set_versions(open, device, &version_after);
    open.record(UpdateState::RolledBack, Some(reason.clone()))?;
    open.remove_record();
    Ok(RollbackResult {
        attempt_id: open.attempt_id,
        release_id: open.release.id.clone(),
        install_method: open.release.install_method.clone(),
        version_before: device.version.clone(),
        version_after,
        pending_reboot,
        reason,
    })
}

/// Records `failed` for a rollback that failed after changing the device. A retried
/// rollback whose attempt is `failed` already is only logged, because `failed` cannot
/// follow `failed`.
fn record_failure(
    open: &mut OpenAttempt<'_>,
    device: &Device,
    error: &BackendError,
) -> Result<RollbackResult, RollbackError> {
    let reason = format!("rolling back failed: {error}; {LEFT_CHANGED}");
    tracing::warn!(device = %device.id, release = %open.release.id, attempt = open.attempt_id,
        error = %error, "rollback failed after changing the device");

    if open.latest.state != UpdateState::Failed {
        let (version_after, _) = rescanned_version(open.ctx, &device.id);
        set_versions(open, device, &version_after);
        open.record(UpdateState::Failed, Some(reason.clone()))?;
        open.remove_record();
    }
    Err(RollbackError::Failed {
        device_id: device.id.clone(),
        release_id: open.release.id.clone(),
        attempt_id: open.attempt_id,
        reason,
    })
}

/// Logs and wraps a backend error that left everything as it was.
fn unchanged(device: &Device, release: &Release, source: BackendError) -> RollbackError {
    tracing::warn!(device = %device.id, release = %release.id, error = %source,
        "rollback failed without changing the device");
    RollbackError::Unchanged {
        device_id: device.id.clone(),
        release_id: release.id.clone(),
        source: Box::new(source),
    }
}

/// Scans the device again and returns its version, or an empty version and a note that
/// explains why there is none.
fn rescanned_version(ctx: &Context, device_id: &str) -> (String, Option<String>) {
    match find_device(ctx, device_id) {
        Ok(Some(device)) => (device.version, None),
        Ok(None) => {
            let note = format!("device {device_id} not found after the rollback");
            (String::new(), Some(note))
        }
        Err(error) => (String::new(), Some(error)),
    }
}

/// Sets the versions of the next record: before and after this rollback.
fn set_versions(open: &mut OpenAttempt<'_>, device: &Device, version_after: &str) {
    open.latest.version_before = device.version.clone();
    open.latest.version_after = version_after.to_string();
}
