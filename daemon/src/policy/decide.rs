//! The decision for one release and device: the release's checks, then the machine's.

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use super::entry::{find_match, ListEntry};
use super::rollout::{in_rollout, ring_reached};
use super::state::Inhibit;
use super::{Candidate, Decision, Environment, HoldReason, Policy};
use crate::catalog::document::Release;
use crate::scheduler::{plan, StagedUpdate};

impl Policy {
    /// Returns what to do with `candidate` in `env`; see the module
    /// documentation for the order of the checks.
    pub fn decide(&self, candidate: &Candidate<'_>, env: &Environment<'_>) -> Decision {
        if let Some(reason) = self.release_hold(candidate.release, candidate.staged, env.now) {
            return Decision::Hold(reason);
        }
        if !candidate.staged {
            return Decision::Stage;
        }

        let update = StagedUpdate::from_release(candidate.release, candidate.device_id);
        plan(self, std::slice::from_ref(&update), env)
            .entries
            .into_iter()
            .next()
            .map_or(Decision::Hold(HoldReason::NoWindows), |entry| {
                entry.decision
            })
    }

    /// Returns the first failing check that depends on the release alone.
    pub fn release_hold(
        &self,
        release: &Release,
        staged: bool,
        now: Timestamp,
    ) -> Option<HoldReason> {
        let (id, sha256) = (release.id.as_str(), release.payload.sha256.as_str());
        if let Some(entry) = self.blocked_by(id, sha256) {
            let by = entry.to_string();
            return Some(HoldReason::Blocked { by });
        }
        if let Some(reason) = self.rollout_hold(release) {
            return Some(reason);
        }
        if self.is_approved(id, sha256) {
            return None;
        }

        let severity = &release.severity;
        if self.config.require_approval.contains(severity) {
            return Some(HoldReason::NeedsApproval);
        }
        if !staged && !self.config.auto_stage.contains(severity) {
            let severity = severity.clone();
            return Some(HoldReason::NotAutoStaged { severity });
        }
        let until = self.deferred_until(release);
        (now < until).then_some(HoldReason::Deferred { until })
    }

    fn rollout_hold(&self, release: &Release) -> Option<HoldReason> {
        let machine_ring = &self.config.ring;
        let release_ring = &release.rollout.ring;
        if !ring_reached(machine_ring, release_ring) {
            return Some(HoldReason::RingNotReached {
                machine_ring: machine_ring.clone(),
                release_ring: release_ring.clone(),
            });
        }

        let percentage = release.rollout.percentage;
        let included = in_rollout(self.machine_id.as_ref(), &release.id, percentage);
        (!included).then_some(HoldReason::NotInRollout { percentage })
    }

    /// Returns the machine-wide reason not to apply anything now: an inhibit,
    /// the power policy, or no windows unless `apply --now` was requested.
    pub fn machine_hold(&self, env: &Environment<'_>) -> Option<HoldReason> {
        if let Some(inhibit) = self.active_inhibit(env.now) {
            return Some(HoldReason::Inhibited {
                until: inhibit.until,
                reason: inhibit.reason.clone(),
            });
        }
        if let Err(detail) = env.power.check(&self.config.power) {
            return Some(HoldReason::PowerConditions { detail });
        }
        (env.windows.is_empty() && !env.apply_now).then_some(HoldReason::NoWindows)
    }

    /// Returns the entry of the config's or the run-time blocked list that
    /// names the release, if any.
    pub fn blocked_by(&self, release_id: &str, payload_sha256: &str) -> Option<&ListEntry> {
        let blocked = self.config.blocked.iter().chain(&self.state.blocked);
        find_match(blocked, release_id, payload_sha256)
    }

    /// Returns whether the config's or the run-time approved list names the release.
    pub fn is_approved(&self, release_id: &str, payload_sha256: &str) -> bool {
        let approved = self.config.approved.iter().chain(&self.state.approved);
        find_match(approved, release_id, payload_sha256).is_some()
    }

    /// Returns the run-time inhibit in force at `now` that lasts longest.
    pub fn active_inhibit(&self, now: Timestamp) -> Option<&Inhibit> {
        self.state.active_inhibit(now)
    }

    /// Returns when the deferral of `release` ends: 00:00 UTC on the release
    /// date plus the days deferred for its severity.
    pub fn deferred_until(&self, release: &Release) -> Timestamp {
        let days = self.config.defer.for_severity(&release.severity);
        Span::new()
            .try_days(days)
            .and_then(|span| release.release_date.checked_add(span))
            .and_then(|date| date.to_zoned_datetime(TimeZone::UTC))
            .map_or(Timestamp::MAX, |zoned| zoned.timestamp())
    }
}
