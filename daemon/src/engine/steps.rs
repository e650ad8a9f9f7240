//! The steps of an attempt after it starts: the backend's apply, the pending-reboot
//! record, the verification, and recording a failure.

use std::path::Path;

use super::apply::{attempt_record, ApplyResult, Outcome, Step};
use super::finish::OpenAttempt;
use super::pending::{self, AttemptRecord, Phase};
use super::rescan::find_device;
use super::staged::verify_payload;
use super::ApplyError;
use crate::backends::{backend_for, ApplyOutcome, Backend, Context};
use crate::catalog::document::Release;
use crate::device::Device;
use crate::history::UpdateState;
use crate::staging::StagingStore;

/// Hashes the staged payload again, then runs the backend's `check` and `apply`. A
/// changed payload is deleted by the staging store and never reaches the backend.
pub(super) fn run_backend(
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
pub(super) fn pending_reboot(
    attempt: &mut OpenAttempt<'_>,
    device: &Device,
    record: AttemptRecord,
) -> Result<Outcome, String> {
    let record = AttemptRecord {
        phase: Phase::PendingReboot,
        ..record
    };
    if let Err(e) = pending::save(&attempt.ctx.state_dir, &record) {
        let reason = format!("writing the attempt record failed: {e}");
        return Err(withdraw(attempt, device, reason));
    }
    attempt.reached(Step::PendingSaved);

    attempt
        .record(UpdateState::PendingReboot, None)
        .map_err(|e| e.to_string())?;
    attempt.reached(Step::Recorded);
    Ok(Outcome::PendingReboot)
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
pub(super) fn verify(
    attempt: &mut OpenAttempt<'_>,
    backend: &dyn Backend,
    device: &Device,
) -> Result<Outcome, String> {
    let rescanned = find_device(attempt.ctx, &device.id)?
        .ok_or_else(|| format!("device {} not found after the apply", device.id))?;
    let verification = backend.verify(attempt.ctx, &rescanned, attempt.release);
    attempt.reached(Step::Verified);

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
pub(super) fn finish(
    attempt: &mut OpenAttempt<'_>,
    outcome: Result<Outcome, String>,
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
