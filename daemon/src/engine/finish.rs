//! Ending an open attempt: recording its outcome, rolling back kernel modules, and
//! removing the attempt record once the history contains the final state.

use super::apply::{Outcome, Step};
use super::pending;
use crate::backends::{backend_for, Context, Verification};
use crate::catalog::document::{InstallMethod, Release};
use crate::device::Device;
use crate::history::{History, HistoryError, Transition, UpdateState};

/// An attempt that has started and has no final state yet.
pub(super) struct OpenAttempt<'a> {
    pub ctx: &'a Context,
    pub history: &'a mut History,
    pub attempt_id: i64,
    /// The attempt's latest transition, which the next one copies its fields from.
    pub latest: Transition,
    pub release: &'a Release,
    /// Observer of the [`Step`]s that the attempt passes.
    pub on_step: &'a mut dyn FnMut(Step),
}

impl OpenAttempt<'_> {
    /// Reports `step` to the observer.
    pub fn reached(&mut self, step: Step) {
        (self.on_step)(step);
    }

    /// Records `state` with `reason` and logs it.
    pub fn record(
        &mut self,
        state: UpdateState,
        reason: Option<String>,
    ) -> Result<(), HistoryError> {
        let transition = self.latest.to_state(state, reason);
        self.history.record(&transition)?;
        tracing::info!(
            device = %transition.device_id,
            release = %transition.release_id,
            attempt = self.attempt_id,
            state = %state,
            reason = transition.reason.as_deref().unwrap_or(""),
            "update state changed"
        );
        self.latest = transition;
        Ok(())
    }

    /// Records `failed` and removes the attempt record.
    pub fn fail(&mut self, reason: String) -> Result<Outcome, HistoryError> {
        self.record(UpdateState::Failed, Some(reason.clone()))?;
        self.reached(Step::Recorded);
        self.remove_record();
        Ok(Outcome::Failed { reason })
    }

    /// Records the final state that `verification` of the rescanned `device` shows.
    /// Returns None while the update waits for a reboot.
    pub fn conclude(
        &mut self,
        device: &Device,
        verification: Verification,
    ) -> Result<Option<Outcome>, HistoryError> {
        match verification {
            Verification::Pending { .. } => Ok(None),
            Verification::Succeeded => self.succeed(device).map(Some),
            Verification::Failed { reason } => self.verification_failed(device, reason).map(Some),
        }
    }

    fn succeed(&mut self, device: &Device) -> Result<Outcome, HistoryError> {
        self.latest.version_after = device.version.clone();
        self.record(UpdateState::Succeeded, None)?;
        self.reached(Step::Recorded);
        self.remove_record();
        Ok(Outcome::Succeeded {
            version: device.version.clone(),
        })
    }

    /// Records `failed`, and for a kernel module restores the previous one and records
    /// `rolled-back`.
    fn verification_failed(
        &mut self,
        device: &Device,
        reason: String,
    ) -> Result<Outcome, HistoryError> {
        let reason = format!("verification failed: {reason}");
        if self.release.install_method != InstallMethod::Kmod {
            return self.fail(reason);
        }

        let rollback = backend_for(&self.release.install_method)
            .and_then(|backend| backend.rollback(self.ctx, device, self.release));
        if let Err(e) = rollback {
            tracing::warn!(device = %device.id, error = %e, "kernel module rollback failed");
            return self.fail(format!("{reason}; rolling back failed: {e}"));
        }
        self.fail_rolled_back(reason)
    }

    /// Records `failed` with `reason`, then `rolled-back`, once the previous kernel
    /// module is back, and removes the attempt record.
    pub fn fail_rolled_back(&mut self, reason: String) -> Result<Outcome, HistoryError> {
        self.record(UpdateState::Failed, Some(reason.clone()))?;
        let restored = format!("restored the previous module after: {reason}");
        self.record(UpdateState::RolledBack, Some(restored.clone()))?;
        self.reached(Step::Recorded);
        self.remove_record();
        Ok(Outcome::RolledBack { reason: restored })
    }

    /// Removes the attempt record. A record left behind is removed at the next start,
    /// because its attempt is final in the history by then.
    pub fn remove_record(&self) {
        if let Err(e) = pending::remove(&self.ctx.state_dir, self.attempt_id) {
            tracing::warn!(
                attempt = self.attempt_id,
                error = %e,
                "removing the attempt record failed"
            );
        }
    }
}
