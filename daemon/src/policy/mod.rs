//! Update policy: which releases this machine stages and applies, and when.
//!
//! [`Policy::decide`] checks one release for one device in this order, and
//! the first check that fails gives the [`HoldReason`]:
//!
//! | check | holds with | skipped when |
//! | --- | --- | --- |
//! | the blocked lists name the release id or payload SHA-256 | `Blocked` | never |
//! | the machine's ring is after the release's `rollout.ring` | `RingNotReached` | never |
//! | the machine is outside `rollout.percentage` | `NotInRollout` | never |
//! | the severity is in `require_approval` | `NeedsApproval` | approved |
//! | not staged yet, and the severity is not in `auto_stage` | `NotAutoStaged` | approved |
//! | `defer` days after the release date (00:00 UTC) have not passed | `Deferred` | approved |
//!
//! An update that passes and is not staged yet gets [`Decision::Stage`]. A
//! staged one goes on to the machine's conditions and the windows, through
//! [`crate::scheduler::plan`]: an inhibit in force (`Inhibited`), the power
//! policy (`PowerConditions`), and no window configured (`NoWindows`). Then it
//! is applied now if the open window stays open for its estimated duration,
//! or waits for the first opening that is long enough.
//!
//! A block wins over an approval. An approval is an administrator's request
//! for this release, so it skips approval, auto-staging and deferral, but not
//! the publisher's rollout limits. `apply --now` skips only the windows.

mod config;
mod decide;
mod decision;
mod entry;
mod power;
mod rollout;
mod state;
mod store;

use jiff::Timestamp;

use crate::catalog::document::Release;
use crate::window::Windows;

pub use config::{DeferDays, PolicyConfig, PowerPolicy, MAX_DEFER_DAYS};
pub use decision::{Decision, HoldReason};
pub use entry::{EntryError, ListEntry};
pub use power::{PowerState, PowerSupply};
pub use rollout::{in_rollout, ring_reached, rollout_bucket, MachineId, MachineIdError, BUCKETS};
pub use state::{
    Inhibit, PolicyState, StateError, MAX_INHIBIT, MAX_INHIBITS, MAX_LIST_ENTRIES, MAX_REASON_LEN,
    STATE_FILE_NAME,
};
pub use store::{parse_state_file, PolicyStore};

/// The configured policy merged with the run-time state, and this machine's id.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub config: PolicyConfig,
    pub state: PolicyState,
    /// `/etc/machine-id`; without it only rollouts to 100% include the machine.
    pub machine_id: Option<MachineId>,
}

/// One release for one device.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub release: &'a Release,
    pub device_id: &'a str,
    /// Whether the payload is already staged on this machine.
    pub staged: bool,
}

/// The conditions a decision is made in.
#[derive(Debug, Clone, Copy)]
pub struct Environment<'a> {
    pub now: Timestamp,
    pub windows: &'a Windows,
    pub power: &'a PowerState,
    /// The `apply --now` request, which skips the maintenance windows only.
    pub apply_now: bool,
}
