//! Decisions for one update and the reasons for holding it, with messages for `hwupctl status`.

use std::fmt;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::catalog::document::{Ring, Severity};
use crate::window::format_timespan;

/// The outcome for one update. In JSON the variant is the `decision` field,
/// and a hold adds the `hold` field, naming the reason, and the reason's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// Download and check the payload now, ahead of a window.
    Stage,
    /// Staged, and waiting for the next opening that is long enough.
    WaitForWindow {
        opens_at: Timestamp,
        /// Name of the window that opens then.
        window: String,
    },
    /// Start applying now.
    Apply,
    Hold(HoldReason),
}

/// Reason an update is neither staged nor applied now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hold", rename_all = "kebab-case")]
pub enum HoldReason {
    /// The policy's deferral for the release's severity has not passed.
    Deferred { until: Timestamp },
    /// This machine is outside the share of machines the release goes to.
    NotInRollout { percentage: u32 },
    /// The release is offered only to rings before this machine's.
    RingNotReached {
        machine_ring: Ring,
        release_ring: Ring,
    },
    /// An entry of the blocked list names the release id or payload SHA-256.
    Blocked { by: String },
    /// The release's severity requires an entry in the approved list.
    NeedsApproval,
    /// The release's severity is not staged without a request.
    NotAutoStaged { severity: Severity },
    /// A user postponed all applies.
    Inhibited { until: Timestamp, reason: String },
    /// The power policy is not met, and `detail` describes how.
    PowerConditions { detail: String },
    /// No maintenance window is configured, so nothing is applied without a request.
    NoWindows,
    /// None of the next openings stays open for the update's estimated duration.
    NoWindowFits { estimated: SignedDuration },
}

impl Decision {
    /// Returns a one-line message with times shown in `zone`.
    pub fn describe(&self, zone: &TimeZone) -> String {
        match self {
            Self::Stage => "ready to be staged".to_owned(),
            Self::WaitForWindow { opens_at, window } => format!(
                "staged, waiting for maintenance window {window:?}, which opens at {}",
                show_time(*opens_at, zone)
            ),
            Self::Apply => "ready to be applied now".to_owned(),
            Self::Hold(reason) => format!("held: {}", reason.describe(zone)),
        }
    }

    /// Returns the hold reason, if the decision is a hold.
    pub fn hold_reason(&self) -> Option<&HoldReason> {
        match self {
            Self::Hold(reason) => Some(reason),
            _ => None,
        }
    }
}

impl HoldReason {
    /// Returns a one-line message with times shown in `zone`.
    pub fn describe(&self, zone: &TimeZone) -> String {
        match self {
            Self::Deferred { until } => {
                format!("deferred by policy until {}", show_time(*until, zone))
            }
            Self::NotInRollout { percentage } => format!(
                "this machine is not among the {percentage}% of machines the release is rolled out to"
            ),
            Self::RingNotReached {
                machine_ring,
                release_ring,
            } => format!(
                "the release is offered up to the {release_ring} ring so far, and this machine \
                 is in the {machine_ring} ring"
            ),
            Self::Blocked { by } => format!("blocked by the policy entry {by}"),
            Self::NeedsApproval => {
                "its severity requires approval of the release id or payload SHA-256".to_owned()
            }
            Self::NotAutoStaged { severity } => format!(
                "{severity} releases are not staged automatically; stage or approve it to install it"
            ),
            Self::Inhibited { until, reason } => format!(
                "applies are postponed until {}: {reason}",
                show_time(*until, zone)
            ),
            Self::PowerConditions { detail } => format!("power conditions not met: {detail}"),
            Self::NoWindows => "no maintenance window is configured; add a [[window]] to \
                                hwupd.toml, or apply with `hwupctl apply RELEASE --now --yes`"
                .to_owned(),
            Self::NoWindowFits { estimated } => format!(
                "no maintenance window in the next openings stays open for the estimated {}",
                format_timespan(*estimated)
            ),
        }
    }
}

impl fmt::Display for Decision {
    /// Writes [`Decision::describe`] with times in UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(&TimeZone::UTC))
    }
}

impl fmt::Display for HoldReason {
    /// Writes [`HoldReason::describe`] with times in UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(&TimeZone::UTC))
    }
}

/// Formats an instant as `2025-06-02 02:00 CEST` in `zone`.
fn show_time(instant: Timestamp, zone: &TimeZone) -> String {
    let zoned = instant.to_zoned_datetime(zone.clone());
    zoned.strftime("%Y-%m-%d %H:%M %Z").to_string()
}
