//! The states of an update on one device, and which transitions between them are valid.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where an update (one release on one device) stands.
///
/// An update starts in one of the standing states (offered, deferred, approved, staged),
/// moves between them as policy and staging decide, and enters an apply attempt with
/// `applying`. The attempt ends in `succeeded`, `failed` or `rolled-back`, or waits in
/// `pending-reboot` until the firmware or kernel reports the result. An administrator
/// may roll back a `succeeded` update, which then ends in `rolled-back`, or in `failed`
/// when the rollback fails after changing the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateState {
    /// The update matches the device and policy allows it.
    Offered,
    /// Policy holds the update back for now; the reason says until when or why.
    Deferred,
    /// An administrator or policy approved the update for the next maintenance window.
    Approved,
    /// The payload is downloaded and its hash checked.
    Staged,
    /// The install method is writing the update. This starts an attempt.
    Applying,
    /// The update is written and takes effect at the next boot.
    PendingReboot,
    /// The device reports the new version.
    Succeeded,
    /// The attempt failed; the reason says how.
    Failed,
    /// The previous version was restored after a failed or rejected attempt.
    RolledBack,
}

use UpdateState::*;

/// Every state, in the order of the enum.
pub const ALL_STATES: [UpdateState; 9] = [
    Offered,
    Deferred,
    Approved,
    Staged,
    Applying,
    PendingReboot,
    Succeeded,
    Failed,
    RolledBack,
];

/// States before an attempt. An update can move between them in any order.
const STANDING: [UpdateState; 4] = [Offered, Deferred, Approved, Staged];

/// States that end an attempt or continue one, after `applying`.
const FROM_APPLYING: [UpdateState; 4] = [PendingReboot, Succeeded, Failed, RolledBack];

/// States an update may enter after a failed attempt: back to standing, or rolled back.
const FROM_FAILED: [UpdateState; 5] = [Offered, Deferred, Approved, Staged, RolledBack];

/// States an update may enter from a standing state that has a payload or an approval.
const FROM_READY: [UpdateState; 5] = [Offered, Deferred, Approved, Staged, Applying];

/// States that may follow `pending-reboot`: the result that the device reports after boot.
const FROM_PENDING_REBOOT: [UpdateState; 3] = [Succeeded, Failed, RolledBack];

/// States that may follow `succeeded`: only the outcomes of a rollback by request.
const FROM_SUCCEEDED: [UpdateState; 2] = [Failed, RolledBack];

impl UpdateState {
    /// Returns the kebab-case name stored in the database and shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            Offered => "offered",
            Deferred => "deferred",
            Approved => "approved",
            Staged => "staged",
            Applying => "applying",
            PendingReboot => "pending-reboot",
            Succeeded => "succeeded",
            Failed => "failed",
            RolledBack => "rolled-back",
        }
    }

    /// Returns the states that may follow `from`; `None` means no record exists yet.
    ///
    /// `applying` needs an approval or a staged payload first, so an attempt never starts
    /// from a bare offer. No standing state and no `applying` follows `succeeded`, so an
    /// update is never applied twice, even after it was rolled back.
    pub fn allowed_after(from: Option<UpdateState>) -> &'static [UpdateState] {
        match from {
            None | Some(Offered) | Some(Deferred) | Some(RolledBack) => &STANDING,
            Some(Approved) | Some(Staged) => &FROM_READY,
            Some(Applying) => &FROM_APPLYING,
            Some(PendingReboot) => &FROM_PENDING_REBOOT,
            Some(Failed) => &FROM_FAILED,
            Some(Succeeded) => &FROM_SUCCEEDED,
        }
    }

    /// Returns true when `to` may follow `from`.
    pub fn can_follow(from: Option<UpdateState>, to: UpdateState) -> bool {
        Self::allowed_after(from).contains(&to)
    }

    /// Returns true for the states before an attempt, which repeat without being recorded.
    pub fn is_standing(self) -> bool {
        STANDING.contains(&self)
    }

    /// Returns true for the states that belong to an attempt started by `applying`.
    pub fn is_in_attempt(self) -> bool {
        self == Applying || FROM_APPLYING.contains(&self)
    }

    /// Returns true for the states that end an attempt.
    pub fn is_outcome(self) -> bool {
        matches!(self, Succeeded | Failed | RolledBack)
    }
}

impl fmt::Display for UpdateState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UpdateState {
    type Err = String;

    /// Parses a kebab-case state name. The error lists the valid names.
    fn from_str(text: &str) -> Result<Self, String> {
        ALL_STATES
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = ALL_STATES.iter().map(|s| s.as_str()).collect();
                format!(
                    "unknown update state {text:?}, expected one of: {}",
                    names.join(", ")
                )
            })
    }
}

/// Formats a list of states as `a, b, c`, or `none` when empty.
pub(crate) fn join_states(states: &[UpdateState]) -> String {
    if states.is_empty() {
        return "none".to_string();
    }
    let names: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    names.join(", ")
}
