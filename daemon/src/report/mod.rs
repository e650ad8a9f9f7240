//! Reports of unpatched devices and deployment outcomes, as JSON, CSV and Prometheus metrics.
//!
//! [`Report::build`] combines the inventory, the updates that match it, and the history.
//! The same figures go to `hwupctl report` (JSON or CSV, see [`csv`]) and to a textfile
//! for node_exporter's textfile collector (see [`metrics`]).

mod build;
pub mod csv;
pub mod metrics;
mod metrics_path;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::catalog::document::Severity;
use crate::device::DeviceKind;
use crate::history::UpdateState;

pub use build::HistorySnapshot;
pub use metrics::write_metrics;
pub use metrics_path::{check_folder as check_metrics_folder, check_form as check_metrics_path};

/// Days back that [`Deployments::last_30_days`] counts.
pub const RECENT_DAYS: i64 = 30;

/// Number of attempts in [`Deployments::recent`].
pub const RECENT_ATTEMPTS: usize = 20;

/// The `[report]` table of `hwupd.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// File for node_exporter's textfile collector, which reads only names ending in
    /// `.prom`, such as `/var/lib/prometheus/node-exporter/hwupd.prom`. No metrics are
    /// written when unset. An empty or relative path, or one that ends in a folder, is
    /// rejected when the config is read.
    #[serde(deserialize_with = "metrics_path::deserialize")]
    pub metrics_path: Option<PathBuf>,
}

/// An update that matches a device in the inventory and is newer than its version: the
/// part of the matching engine's result that a report needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailableUpdate {
    pub device_id: String,
    pub release_id: String,
    pub severity: Severity,
    pub known_exploited: bool,
    pub release_date: Date,
    /// Version of the release.
    pub version: String,
}

/// Update status of a device, from the most to the least urgent for an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceStatus {
    /// An apply attempt is running, or the daemon stopped during one.
    Applying,
    /// An update is written and takes effect at the next boot.
    PendingReboot,
    /// The latest attempt on the device failed or was rolled back, and its update is
    /// still missing.
    Failed,
    /// At least one update is missing.
    UpdateAvailable,
    UpToDate,
}

/// Every device status, in the order of the enum.
pub const ALL_STATUSES: [DeviceStatus; 5] = [
    DeviceStatus::Applying,
    DeviceStatus::PendingReboot,
    DeviceStatus::Failed,
    DeviceStatus::UpdateAvailable,
    DeviceStatus::UpToDate,
];

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applying => "applying",
            Self::PendingReboot => "pending-reboot",
            Self::Failed => "failed",
            Self::UpdateAvailable => "update-available",
            Self::UpToDate => "up-to-date",
        }
    }
}

/// Numbers of missing updates by severity. A severity that this hwupd does not know
/// counts as critical, so that it is never under-reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

/// One missing update of a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingUpdate {
    pub release_id: String,
    pub version: String,
    pub severity: Severity,
    pub known_exploited: bool,
    pub release_date: Date,
    /// Whole days from the release date to the report's date in UTC; 0 for a future date.
    pub age_days: i64,
}

/// The oldest missing critical update, by release date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldestMissing {
    pub device_id: String,
    pub release_id: String,
    pub release_date: Date,
    pub age_days: i64,
}

/// One apply attempt as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptSummary {
    pub attempt_id: i64,
    pub device_id: String,
    pub device_name: String,
    pub release_id: String,
    pub version_before: String,
    pub version_after: String,
    pub started: Timestamp,
    /// Time of the attempt's latest transition.
    pub updated: Timestamp,
    /// The attempt's latest state: `applying`, `pending-reboot` or an outcome.
    pub state: UpdateState,
    pub reason: Option<String>,
}

/// Numbers of attempts by how they ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    pub succeeded: usize,
    pub failed: usize,
    pub rolled_back: usize,
}

/// Outcomes of apply attempts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployments {
    /// Attempts that ended in the last [`RECENT_DAYS`] days.
    pub last_30_days: OutcomeCounts,
    /// Attempts that ended since the history began.
    pub all_time: OutcomeCounts,
    /// The latest [`RECENT_ATTEMPTS`] attempts in any state, newest first.
    pub recent: Vec<AttemptSummary>,
}

/// One device of the inventory and its missing updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    pub device_id: String,
    pub name: String,
    pub kind: DeviceKind,
    pub vendor: String,
    pub version: String,
    pub status: DeviceStatus,
    pub missing: SeverityCounts,
    pub missing_known_exploited: usize,
    pub oldest_missing_critical: Option<OldestMissing>,
    /// The device's latest apply attempt.
    pub last_attempt: Option<AttemptSummary>,
    /// Missing updates, most severe first, then oldest first.
    pub updates: Vec<MissingUpdate>,
}

/// The state of the whole machine at one time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub generated: Timestamp,
    pub generated_unix: i64,
    /// Devices in inventory order.
    pub devices: Vec<DeviceReport>,
    pub missing: SeverityCounts,
    pub missing_known_exploited: usize,
    pub oldest_missing_critical: Option<OldestMissing>,
    pub deployments: Deployments,
    /// The accepted catalog of each remote. With none, or with every one expired, the
    /// device statuses only reflect the history, because no current catalog lists what
    /// is missing.
    #[serde(default)]
    pub catalogs: Vec<CatalogFreshness>,
}

/// Serial, issue and expiry time of one remote's accepted catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogFreshness {
    pub remote_id: String,
    pub serial: u64,
    pub issued: Timestamp,
    pub expires: Timestamp,
    pub expired: bool,
}

impl SeverityCounts {
    /// Returns the sum over all severities.
    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low
    }

    /// Returns the counts by severity name, from critical to low.
    pub fn by_name(&self) -> [(&'static str, usize); 4] {
        [
            ("critical", self.critical),
            ("high", self.high),
            ("medium", self.medium),
            ("low", self.low),
        ]
    }
}

impl OutcomeCounts {
    /// Returns the counts by outcome name, as the history names the states.
    pub fn by_name(&self) -> [(&'static str, usize); 3] {
        [
            ("succeeded", self.succeeded),
            ("failed", self.failed),
            ("rolled-back", self.rolled_back),
        ]
    }
}

impl Report {
    /// Returns the number of accepted catalogs that have not expired.
    pub fn usable_catalogs(&self) -> usize {
        self.catalogs.iter().filter(|c| !c.expired).count()
    }

    /// Returns the report as pretty-printed JSON.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }
}
