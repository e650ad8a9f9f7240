//! Computing a report from the inventory, the available updates and the history.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::{
    AttemptSummary, AvailableUpdate, Deployments, DeviceReport, DeviceStatus, MissingUpdate,
    OldestMissing, OutcomeCounts, Report, SeverityCounts, RECENT_ATTEMPTS, RECENT_DAYS,
};
use crate::catalog::document::Severity;
use crate::device::Device;
use crate::history::{Attempt, History, HistoryError, Record, UpdateState};

/// The parts of the history that a report reads.
#[derive(Debug, Clone, Default)]
pub struct HistorySnapshot {
    /// The latest record of every update.
    pub latest: Vec<Record>,
    /// Every apply attempt, oldest first.
    pub attempts: Vec<Attempt>,
}

impl HistorySnapshot {
    /// Reads the latest records and the attempts from the database.
    pub fn load(history: &History) -> Result<Self, HistoryError> {
        Ok(Self {
            latest: history.latest_records()?,
            attempts: history.attempts()?,
        })
    }
}

/// Latest state of each update, by device id and release id.
type LatestStates<'a> = HashMap<(&'a str, &'a str), UpdateState>;

impl Report {
    /// Reads the history and builds the report at time `now`.
    pub fn generate(
        devices: &[Device],
        updates: &[AvailableUpdate],
        history: &History,
        now: Timestamp,
    ) -> Result<Self, HistoryError> {
        let snapshot = HistorySnapshot::load(history)?;
        Ok(Self::build(devices, updates, &snapshot, now))
    }

    /// Builds the report at time `now`.
    ///
    /// An update counts as missing when its device is in `devices` and the history has
    /// no `succeeded` as its latest state. An update pending a reboot is still missing,
    /// because the old firmware runs until then.
    pub fn build(
        devices: &[Device],
        updates: &[AvailableUpdate],
        history: &HistorySnapshot,
        now: Timestamp,
    ) -> Self {
        let today = TimeZone::UTC.to_datetime(now).date();
        let latest: LatestStates = history
            .latest
            .iter()
            .map(|r| {
                let t = &r.transition;
                ((t.device_id.as_str(), t.release_id.as_str()), t.state)
            })
            .collect();
        let context = Context {
            updates,
            latest: &latest,
            attempts: &history.attempts,
            today,
        };
        let rows: Vec<DeviceReport> = devices.iter().map(|d| context.device(d)).collect();

        Self {
            generated: now,
            generated_unix: now.as_second(),
            missing: sum_counts(rows.iter().map(|r| r.missing)),
            missing_known_exploited: rows.iter().map(|r| r.missing_known_exploited).sum(),
            oldest_missing_critical: oldest(rows.iter().map(|r| &r.oldest_missing_critical)),
            deployments: deployments(&history.attempts, now),
            devices: rows,
            catalogs: Vec::new(),
        }
    }
}

/// The inputs that every device's row reads.
struct Context<'a> {
    updates: &'a [AvailableUpdate],
    latest: &'a LatestStates<'a>,
    attempts: &'a [Attempt],
    today: Date,
}

impl Context<'_> {
    fn device(&self, device: &Device) -> DeviceReport {
        let updates = self.missing_updates(&device.id);
        let last_attempt = self
            .attempts
            .iter()
            .rev()
            .find(|a| a.start.transition.device_id == device.id)
            .map(summary);
        let status = self.status(&device.id, &updates, last_attempt.as_ref());

        let critical = updates.iter().find(|u| rank(&u.severity) == CRITICAL_RANK);
        DeviceReport {
            device_id: device.id.clone(),
            name: device.name.clone(),
            kind: device.kind,
            vendor: device.vendor.clone(),
            version: device.version.clone(),
            status,
            missing: count_severities(&updates),
            missing_known_exploited: updates.iter().filter(|u| u.known_exploited).count(),
            oldest_missing_critical: critical.map(|u| oldest_of(&device.id, u)),
            last_attempt,
            updates,
        }
    }

    /// Returns the device's missing updates, most severe first, then oldest first.
    fn missing_updates(&self, device_id: &str) -> Vec<MissingUpdate> {
        let mut missing: Vec<MissingUpdate> = self
            .updates
            .iter()
            .filter(|u| u.device_id == device_id)
            .filter(|u| self.state(device_id, &u.release_id) != Some(UpdateState::Succeeded))
            .map(|u| MissingUpdate {
                release_id: u.release_id.clone(),
                version: u.version.clone(),
                severity: u.severity.clone(),
                known_exploited: u.known_exploited,
                release_date: u.release_date,
                age_days: age_days(u.release_date, self.today),
            })
            .collect();
        missing.sort_by(|a, b| {
            let by_severity = rank(&b.severity).cmp(&rank(&a.severity));
            let by_date = a.release_date.cmp(&b.release_date);
            by_severity
                .then(by_date)
                .then_with(|| a.release_id.cmp(&b.release_id))
        });
        missing
    }

    fn state(&self, device_id: &str, release_id: &str) -> Option<UpdateState> {
        self.latest.get(&(device_id, release_id)).copied()
    }

    fn status(
        &self,
        device_id: &str,
        missing: &[MissingUpdate],
        last_attempt: Option<&AttemptSummary>,
    ) -> DeviceStatus {
        let has_state = |state| {
            self.latest
                .iter()
                .any(|(&(device, _), &s)| device == device_id && s == state)
        };
        let failed_and_missing = last_attempt.is_some_and(|a| {
            matches!(a.state, UpdateState::Failed | UpdateState::RolledBack)
                && missing.iter().any(|u| u.release_id == a.release_id)
        });

        if has_state(UpdateState::Applying) {
            DeviceStatus::Applying
        } else if has_state(UpdateState::PendingReboot) {
            DeviceStatus::PendingReboot
        } else if failed_and_missing {
            DeviceStatus::Failed
        } else if !missing.is_empty() {
            DeviceStatus::UpdateAvailable
        } else {
            DeviceStatus::UpToDate
        }
    }
}

const CRITICAL_RANK: u8 = 3;

/// Orders severities from low (0) to critical; an unknown name ranks as critical.
fn rank(severity: &Severity) -> u8 {
    match severity {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Critical | Severity::Unknown(_) => CRITICAL_RANK,
    }
}

fn count_severities(updates: &[MissingUpdate]) -> SeverityCounts {
    let mut counts = SeverityCounts::default();
    for update in updates {
        match rank(&update.severity) {
            0 => counts.low += 1,
            1 => counts.medium += 1,
            2 => counts.high += 1,
            _ => counts.critical += 1,
        }
    }
    counts
}

fn sum_counts(counts: impl Iterator<Item = SeverityCounts>) -> SeverityCounts {
    counts.fold(SeverityCounts::default(), |sum, c| SeverityCounts {
        critical: sum.critical + c.critical,
        high: sum.high + c.high,
        medium: sum.medium + c.medium,
        low: sum.low + c.low,
    })
}

fn oldest_of(device_id: &str, update: &MissingUpdate) -> OldestMissing {
    OldestMissing {
        device_id: device_id.to_string(),
        release_id: update.release_id.clone(),
        release_date: update.release_date,
        age_days: update.age_days,
    }
}

/// Returns the entry with the earliest release date, then the lowest release id.
fn oldest<'a>(entries: impl Iterator<Item = &'a Option<OldestMissing>>) -> Option<OldestMissing> {
    entries
        .flatten()
        .min_by(|a, b| {
            let by_date = a.release_date.cmp(&b.release_date);
            by_date.then_with(|| a.release_id.cmp(&b.release_id))
        })
        .cloned()
}

/// Returns the whole days from `release_date` to `today`, and 0 for a future date.
fn age_days(release_date: Date, today: Date) -> i64 {
    let days = today.since(release_date).map(|span| span.get_days());
    i64::from(days.unwrap_or(0)).max(0)
}

fn summary(attempt: &Attempt) -> AttemptSummary {
    let start = &attempt.start.transition;
    let latest = &attempt.latest.transition;
    AttemptSummary {
        attempt_id: attempt.attempt_id,
        device_id: start.device_id.clone(),
        device_name: start.device_name.clone(),
        release_id: start.release_id.clone(),
        version_before: start.version_before.clone(),
        version_after: start.version_after.clone(),
        started: start.time,
        updated: latest.time,
        state: latest.state,
        reason: latest.reason.clone(),
    }
}

/// Counts attempt outcomes over all time and over the last [`RECENT_DAYS`] days, by
/// the time of the attempt's latest transition.
fn deployments(attempts: &[Attempt], now: Timestamp) -> Deployments {
    let cutoff = now.as_second() - RECENT_DAYS * 86_400;
    let mut result = Deployments::default();
    for attempt in attempts {
        let state = attempt.latest.transition.state;
        add_outcome(&mut result.all_time, state);
        if attempt.latest.time_unix >= cutoff {
            add_outcome(&mut result.last_30_days, state);
        }
    }
    let recent = attempts.iter().rev().take(RECENT_ATTEMPTS);
    result.recent = recent.map(summary).collect();
    result
}

fn add_outcome(counts: &mut OutcomeCounts, state: UpdateState) {
    match state {
        UpdateState::Succeeded => counts.succeeded += 1,
        UpdateState::Failed => counts.failed += 1,
        UpdateState::RolledBack => counts.rolled_back += 1,
        _ => {}
    }
}
