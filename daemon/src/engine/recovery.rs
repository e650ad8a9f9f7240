//! Recovery at start: verifying pending attempts and closing interrupted ones.

use std::collections::HashMap;

use super::finish::OpenAttempt;
use super::pending::{self, AttemptRecord, Phase};
use super::rescan::scan_devices;
use super::{Outcome, DEVICE_NOT_FOUND_AFTER_RESTART, INTERRUPTED_REASON};
use crate::backends::{backend_for, Context};
use crate::catalog::document::InstallMethod;
use crate::device::Device;
use crate::history::{Attempt, History, HistoryError, UpdateState};

/// What [`recover`] did, by attempt id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Attempts that still wait for a reboot.
    pub pending: Vec<i64>,
    pub succeeded: Vec<i64>,
    /// Attempts whose verification failed or whose device is gone, with the reason.
    pub failed: Vec<(i64, String)>,
    /// Attempts that the daemon stopped during the apply, now recorded as failed.
    pub interrupted: Vec<i64>,
    /// Problems that left an attempt or a record as it was, for the log and status.
    pub errors: Vec<String>,
}

/// Verifies the attempts that wait for a reboot and marks the interrupted ones failed.
///
/// Blocking: call it once at start, after the first scan and before any apply. It
/// scans the devices again itself. It never applies an update, but it rolls back a
/// kernel module that fails verification and withdraws the capsule of an interrupted
/// uefi-capsule attempt.
pub fn recover(ctx: &Context, history: &mut History) -> RecoveryReport {
    let mut report = RecoveryReport::default();
    let (records, errors) = pending::list(&ctx.state_dir);
    report.errors.extend(errors);
    let devices = scan_devices(ctx);
    if let Err(e) = &devices {
        report.errors.push(e.clone());
    }
    let devices = devices.unwrap_or_default();

    if let Err(e) = recover_records(ctx, history, &devices, records, &mut report) {
        report
            .errors
            .push(format!("reading or writing the history failed: {e}"));
        return report;
    }
    if let Err(e) = mark_interrupted(history, &devices, &mut report) {
        report
            .errors
            .push(format!("reading or writing the history failed: {e}"));
    }
    for error in &report.errors {
        tracing::warn!(error = %error, "recovery left an attempt unresolved");
    }
    report
}

fn recover_records(
    ctx: &Context,
    history: &mut History,
    devices: &[Device],
    records: Vec<AttemptRecord>,
    report: &mut RecoveryReport,
) -> Result<(), HistoryError> {
    let attempts: HashMap<i64, Attempt> = history
        .attempts()?
        .into_iter()
        .map(|attempt| (attempt.attempt_id, attempt))
        .collect();
    for record in records {
        let Some(attempt) = attempts.get(&record.attempt_id) else {
            report.errors.push(format!(
                "attempt record {} has no attempt in the history; delete the file once \
                 the device is checked",
                record.attempt_id
            ));
            continue;
        };
        recover_record(ctx, history, devices, &record, attempt, report)?;
    }
    Ok(())
}

fn recover_record(
    ctx: &Context,
    history: &mut History,
    devices: &[Device],
    record: &AttemptRecord,
    attempt: &Attempt,
    report: &mut RecoveryReport,
) -> Result<(), HistoryError> {
    let state = attempt.latest.transition.state;
    let device = devices.iter().find(|device| device.id == record.device_id);
    let mut open = OpenAttempt {
        ctx,
        history,
        attempt_id: record.attempt_id,
        latest: attempt.latest.transition.clone(),
        release: &record.release,
        on_step: &mut |_| {},
    };

    // The final state was recorded, and only the record's removal was lost.
    if state.is_outcome() {
        open.remove_record();
        return Ok(());
    }
    if record.phase == Phase::Applying && state == UpdateState::Applying {
        let reason = interrupted_reason(ctx, device, record);
        open.fail(reason)?;
        report.interrupted.push(record.attempt_id);
        return Ok(());
    }

    // The record reached `pending-reboot`, and the history may not have yet.
    if state == UpdateState::Applying {
        open.record(UpdateState::PendingReboot, None)?;
    }
    let outcome = verify_pending(&mut open, device, record)?;
    report_outcome(report, record.attempt_id, outcome);
    Ok(())
}

fn verify_pending(
    open: &mut OpenAttempt<'_>,
    device: Option<&Device>,
    record: &AttemptRecord,
) -> Result<Option<Outcome>, HistoryError> {
    let Some(device) = device else {
        return open
            .fail(DEVICE_NOT_FOUND_AFTER_RESTART.to_string())
            .map(Some);
    };
    let verification = match backend_for(&record.install_method) {
        Ok(backend) => backend.verify(open.ctx, device, &record.release),
        Err(e) => return open.fail(e.to_string()).map(Some),
    };
    open.conclude(device, verification)
}

fn report_outcome(report: &mut RecoveryReport, attempt_id: i64, outcome: Option<Outcome>) {
    match outcome {
        None => report.pending.push(attempt_id),
        Some(Outcome::Succeeded { .. }) => report.succeeded.push(attempt_id),
        Some(Outcome::Failed { reason } | Outcome::RolledBack { reason }) => {
            report.failed.push((attempt_id, reason))
        }
        Some(Outcome::PendingReboot) => report.pending.push(attempt_id),
    }
}

/// Builds the reason for an interrupted attempt. A uefi-capsule attempt has its capsule
/// withdrawn first, so the firmware does not install an update recorded as failed.
fn interrupted_reason(ctx: &Context, device: Option<&Device>, record: &AttemptRecord) -> String {
    let Some(device) = device else {
        return format!("{INTERRUPTED_REASON}; {DEVICE_NOT_FOUND_AFTER_RESTART}");
    };
    let mut reason = format!(
        "{INTERRUPTED_REASON}; the device reports version {}",
        device.version
    );
    if record.install_method == InstallMethod::UefiCapsule {
        let withdrawn = backend_for(&record.install_method)
            .and_then(|backend| backend.rollback(ctx, device, &record.release));
        match withdrawn {
            Ok(_) => reason.push_str("; the staged capsule was withdrawn"),
            Err(e) => reason.push_str(&format!("; no capsule was withdrawn: {e}")),
        }
    }
    reason
}

/// Marks failed the attempts still in `applying` that had no attempt record, which
/// stopped before the device was touched or before the record was written.
fn mark_interrupted(
    history: &mut History,
    devices: &[Device],
    report: &mut RecoveryReport,
) -> Result<(), HistoryError> {
    for start in history.interrupted_attempts()? {
        let Some(attempt_id) = start.attempt_id else {
            continue;
        };
        let device = devices.iter().find(|d| d.id == start.transition.device_id);
        let reason = match device {
            Some(device) => format!(
                "{INTERRUPTED_REASON}; the device reports version {}",
                device.version
            ),
            None => format!("{INTERRUPTED_REASON}; {DEVICE_NOT_FOUND_AFTER_RESTART}"),
        };
        history.mark_interrupted(attempt_id, &reason)?;
        tracing::info!(device = %start.transition.device_id, release = %start.transition.release_id,
            attempt = attempt_id, state = "failed", reason, "update state changed");
        report.interrupted.push(attempt_id);
    }
    Ok(())
}
