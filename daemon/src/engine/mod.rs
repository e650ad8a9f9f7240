//! The apply runner: from a staged payload to a verified, recorded update, and the
//! recovery of attempts that a stopped daemon left open.
//!
//! [`apply_one`] runs one attempt and [`recover`] runs once at start, after the first
//! inventory scan. Both are blocking, so the daemon calls them with `spawn_blocking`,
//! passing clones of the [`Context`](crate::backends::Context), device and release and
//! a `&mut History` taken inside the closure. Give the apply worker its own `History`
//! (SQLite allows a second connection) or hold the history's lock for the whole call,
//! because an apply may run for minutes.
//!
//! # What is persisted at each step
//!
//! 1. Checks (succeeded before, attempt open, payload staged): nothing is written, so
//!    a crash leaves no attempt and the next run checks again.
//! 2. `applying` is recorded. Its row id is the attempt id, and from here on a crash
//!    leaves an interrupted attempt.
//! 3. The attempt record `state_dir/pending/<attempt_id>.json` is written in phase
//!    `applying`, with the whole release, device, remote, method and boot id.
//! 4. The staged payload is hashed again, then the backend's `check` and `apply` run.
//!    Only this step changes the device or the ESP.
//! 5. On `Done`, the device is scanned again, `verify` runs and the outcome is
//!    recorded. On `PendingReboot`, the record moves to phase `pending-reboot` first,
//!    and `pending-reboot` is recorded after it.
//! 6. After a final state, the attempt record is removed.
//!
//! # Why no update is applied twice and no record is lost
//!
//! - Every attempt starts with a durable `applying` row before the device is touched,
//!   so a device that changed always has an attempt in the history.
//! - [`recover`] never resumes an attempt. An attempt whose latest state is `applying`
//!   and whose record is missing or in phase `applying` is marked failed with
//!   [`INTERRUPTED_REASON`]: writing firmware again from an unknown point is not safe,
//!   so an operator decides on a retry. For uefi-capsule the capsule that may already
//!   sit on the ESP is withdrawn, so that the firmware does not install an update that
//!   the history calls failed.
//! - An attempt whose record is in phase `pending-reboot` is only verified, never
//!   applied again, and it stays pending until the backend reports a final result.
//! - `succeeded` is followed only by the outcome of a rollback, and [`apply_one`]
//!   rejects an update that has ever succeeded, rolled back or not, or that has an
//!   attempt in `applying` or `pending-reboot`.
//! - The record is written before the history moves to `pending-reboot`, and removed
//!   only after the final state is recorded, so a crash between the two writes
//!   leaves both, and [`recover`] completes the missing one.
//!
//! # Rollback by request
//!
//! [`rollback_one`] undoes a device's latest attempt through the backend's `rollback`
//! and records `rolled-back` in that attempt, or `failed` when the rollback changed the
//! device and then failed. Like an apply, it is blocking and must not overlap one.
//! NOTE: no record is written before the backend runs, so a daemon stopped during a
//! rollback leaves the attempt `succeeded` while the device may run the previous version.

mod apply;
mod error;
mod finish;
mod pending;
mod recovery;
mod rescan;
mod rollback;
mod rollback_error;
mod staged;
mod steps;

pub use apply::{apply_one, apply_one_observed, ApplyResult, Outcome, Step};
pub use error::ApplyError;
pub use pending::{AttemptRecord, Phase, PENDING_DIR};
pub use recovery::{recover, RecoveryReport};
pub use rollback::{rollback_one, RollbackResult, ROLLBACK_REASON};
pub use rollback_error::RollbackError;

/// Reason recorded for an attempt that the daemon stopped in the middle of.
pub const INTERRUPTED_REASON: &str = "interrupted: the daemon stopped during the apply, and \
     hwupd does not resume a firmware or driver write from an unknown point; check the \
     device and apply the update again";

/// Reason recorded when a device is missing from the scan after a restart.
pub const DEVICE_NOT_FOUND_AFTER_RESTART: &str = "device not found after restart";

/// Text that a `failed` reason contains when the failure left the device or its files
/// changed, which [`rollback_one`] may still undo.
pub const LEFT_CHANGED: &str = "the device or its files may be left changed";
