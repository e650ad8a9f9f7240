//! The steps of an attempt after it starts: the backend's apply, the pending-reboot
//! record, the verification, and recording a failure.

use std::path::Path;

use super::apply::{attempt_record, ApplyResult, Outcome, Step};
use super::finish::OpenAttempt;
use super::pending::{self, AttemptRecord, Phase};
use super::rescan::find_device;
use super::staged::verify_payload;
use super::ApplyError;
use crate::backends::{backend_for, ApplyOutcome, Backend, BackendError, Context};
use crate::catalog::document::Release;
use crate::device::Device;
use crate::history::UpdateState;
use crate::staging::StagingStore;

/// The reason an attempt failed, and whether the backend has already put the
/// previous version back. A restored version adds `rolled-back` after `failed`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Failure {
    pub reason: String,
    pub restored: bool,
}

impl From<String> for Failure {
    fn from(reason: String) -> Self {
        Self {
            reason,
            restored: false,
        }
    }
}

/// Hashes the staged payload again, then runs the backend's `check` and `apply`. A
/// changed payload is deleted by the staging store and never reaches the backend.
pub(super) fn run_backend(
    ctx: &Context,
    backend: &dyn Backend,
    staging: &StagingStore,
    device: &Device,
    release: &Release,
) -> Result<ApplyOutcome, Failure> {
    let payload = verify_payload(staging, &release.payload.sha256).map_err(|e| e.to_string())?;
    apply_payload(ctx, backend, device, &payload, release)
}

fn apply_payload(
    ctx: &Context,
    backend: &dyn Backend,
    device: &Device,
    payload: &Path,
    release: &Release,
) -> Result<ApplyOutcome, Failure> {
    backend
        .check(ctx, device, release)
        .map_err(|e| e.to_string())?;
    backend
        .apply(ctx, device, payload, release)
        .map_err(|e| apply_failure(&e))
}

/// Converts an error of the backend's `apply`. A kernel module that failed to load
/// counts as rolled back when the backend restored the previous module.
fn apply_failure(error: &BackendError) -> Failure {
    let restored = matches!(error, BackendError::LoadFailed { rollback: None, .. });
    let reason = match error.state_changed() {
        true => format!("{error}; {}", super::LEFT_CHANGED),
        false => error.to_string(),
    };
    Failure { reason, restored }
}

/// Persists the record in phase `pending-reboot`, then records `pending-reboot`. When
/// the record cannot be written, the update is withdrawn where the backend can, so
/// that it does not take effect at the next boot unrecorded.
pub(super) fn pending_reboot(
    attempt: &mut OpenAttempt<'_>,
    device: &Device,
    record: AttemptRecord,
) -> Result<Outcome, Failure> {
    let record = AttemptRecord {
        phase: Phase::PendingReboot,
        ..record
    };
    if let Err(e) = pending::save(&attempt.ctx.state_dir, &record) {
        let reason = format!("writing the attempt record failed: {e}");
        return Err(withdraw(attempt, device, reason).into());
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
) -> Result<Outcome, Failure> {
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
        Err(e) => Err(e.to_string().into()),
    }
}

/// Records `failed` for an error, then `rolled-back` where the backend restored the
/// previous version, and wraps the outcome.
pub(super) fn finish(
    attempt: &mut OpenAttempt<'_>,
    outcome: Result<Outcome, impl Into<Failure>>,
) -> Result<ApplyResult, ApplyError> {
    let outcome = match outcome.map_err(Into::into) {
        Ok(outcome) => outcome,
        Err(Failure {
            reason,
            restored: true,
        }) => attempt.fail_rolled_back(reason)?,
        Err(Failure { reason, .. }) => attempt.fail(reason)?,
    };
    Ok(ApplyResult {
        attempt_id: attempt.attempt_id,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_failed(rollback: Option<Box<BackendError>>) -> BackendError {
        BackendError::LoadFailed {
            module: "nvme".to_string(),
            detail: "Invalid module format".to_string(),
            rollback,
        }
    }

    #[test]
    fn restored_module_counts_as_rolled_back() {
        let failure = apply_failure(&load_failed(None));

        assert!(failure.restored);
        assert!(
            failure.reason.contains("Invalid module format"),
            "{failure:?}"
        );
        assert!(
            failure.reason.contains("previous module was restored"),
            "{failure:?}"
        );
    }

    #[test]
    fn failed_restore_is_no_rollback() {
        let rollback = BackendError::InjectedFailure { id: "nvme".into() };
        let failure = apply_failure(&load_failed(Some(Box::new(rollback))));

        assert!(!failure.restored);
        assert!(
            failure.reason.contains("may be left changed"),
            "{failure:?}"
        );
    }

    #[test]
    fn other_errors_are_plain_failures() {
        let error = BackendError::InjectedFailure { id: "bmc".into() };

        assert!(!apply_failure(&error).restored);
        assert!(!Failure::from("write failed".to_string()).restored);
    }
}
