//! The planner: which staged updates start now, in which order, and when the rest can run.

use std::cmp::Ordering;
use std::collections::HashMap;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::estimate::default_duration;
use crate::catalog::document::{urgency_key, Release, Severity};
use crate::policy::{Candidate, Decision, Environment, HoldReason, Policy};
use crate::window::{Opening, Windows};

/// A staged update, with the fields the planner ranks and fits it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedUpdate {
    pub release_id: String,
    pub device_id: String,
    /// SHA-256 of the payload, which blocked lists may name.
    pub payload_sha256: String,
    pub severity: Severity,
    pub known_exploited: bool,
    pub release_date: Date,
    /// Time the update is expected to take, from start to verified.
    pub estimated_duration: SignedDuration,
}

/// One update of a plan and what to do with it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedUpdate {
    pub update: StagedUpdate,
    pub decision: Decision,
}

/// Every update given to the planner, in priority order, each with its decision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub entries: Vec<PlannedUpdate>,
}

impl StagedUpdate {
    /// Describes `release` staged for `device_id`, with the estimated
    /// duration of its install method.
    pub fn from_release(release: &Release, device_id: &str) -> Self {
        Self {
            release_id: release.id.clone(),
            device_id: device_id.to_owned(),
            payload_sha256: release.payload.sha256.clone(),
            severity: release.severity.clone(),
            known_exploited: release.known_exploited,
            release_date: release.release_date,
            estimated_duration: default_duration(&release.install_method),
        }
    }
}

impl Plan {
    /// Returns the updates to start now, in the order to start them.
    pub fn to_start(&self) -> impl Iterator<Item = &StagedUpdate> {
        self.entries
            .iter()
            .filter(|entry| entry.decision == Decision::Apply)
            .map(|entry| &entry.update)
    }
}

/// Plans the staged updates for `env.now`.
///
/// Updates are ranked by known exploitation, then severity, then release
/// date (older first). They run one after another, so an update starts now
/// only if it ends before the open window closes after the higher-ranked
/// updates that start now. One that would overrun waits for the first later
/// opening long enough for it alone, and a lower-ranked update that fits may
/// start before it. Nothing starts outside a window unless `env.apply_now`
/// is set, which skips the windows but not blocks, inhibits or power.
///
/// The planner checks the blocked lists and the machine's conditions. The
/// release's ring, rollout, approval and deferral are checked by
/// [`plan_candidates`] and [`Policy::decide`].
pub fn plan(policy: &Policy, staged: &[StagedUpdate], env: &Environment<'_>) -> Plan {
    let mut ordered: Vec<&StagedUpdate> = staged.iter().collect();
    ordered.sort_by(|a, b| priority_order(a, b));

    let machine_hold = policy.machine_hold(env);
    let mut packer = Packer::new(env);
    let entries = ordered
        .into_iter()
        .map(|update| {
            let blocked = policy.blocked_by(&update.release_id, &update.payload_sha256);
            let decision = match (blocked, &machine_hold) {
                (Some(entry), _) => Decision::Hold(HoldReason::Blocked {
                    by: entry.to_string(),
                }),
                (None, Some(reason)) => Decision::Hold(reason.clone()),
                (None, None) => packer.place(update),
            };
            PlannedUpdate {
                update: update.clone(),
                decision,
            }
        })
        .collect();
    Plan { entries }
}

/// Plans staged candidates: each is checked by [`Policy::release_hold`]
/// first, and the rest are planned by [`plan`]. Entries are in priority order.
pub fn plan_candidates(
    policy: &Policy,
    candidates: &[Candidate<'_>],
    env: &Environment<'_>,
) -> Plan {
    let mut held = Vec::new();
    let mut ready = Vec::new();
    for candidate in candidates {
        let update = StagedUpdate::from_release(candidate.release, candidate.device_id);
        match policy.release_hold(candidate.release, true, env.now) {
            Some(reason) => held.push(PlannedUpdate {
                update,
                decision: Decision::Hold(reason),
            }),
            None => ready.push(update),
        }
    }

    let mut entries = plan(policy, &ready, env).entries;
    entries.extend(held);
    entries.sort_by(|a, b| priority_order(&a.update, &b.update));
    Plan { entries }
}

/// Orders updates from the first to start to the last.
pub fn priority_order(a: &StagedUpdate, b: &StagedUpdate) -> Ordering {
    let key = |update: &StagedUpdate| {
        urgency_key(
            update.known_exploited,
            &update.severity,
            update.release_date,
        )
    };
    key(a)
        .cmp(&key(b))
        .then_with(|| a.release_id.cmp(&b.release_id))
        .then_with(|| a.device_id.cmp(&b.device_id))
}

/// Fits updates one after another into the window open now.
struct Packer<'a> {
    now: Timestamp,
    windows: &'a Windows,
    apply_now: bool,
    open: Option<Opening>,
    /// When the updates placed so far are expected to end.
    busy_until: Timestamp,
    /// Later openings found per duration, because searching them can take
    /// thousands of elapses when windows overlap without a gap.
    later: HashMap<SignedDuration, Option<Opening>>,
}

impl<'a> Packer<'a> {
    fn new(env: &Environment<'a>) -> Self {
        Self {
            now: env.now,
            windows: env.windows,
            apply_now: env.apply_now,
            open: env.windows.open_at(env.now),
            busy_until: env.now,
            later: HashMap::new(),
        }
    }

    fn place(&mut self, update: &StagedUpdate) -> Decision {
        let needed = update.estimated_duration;
        if self.apply_now {
            return Decision::Apply;
        }

        let ends = self.busy_until.checked_add(needed).ok();
        let closes = self.open.as_ref().map(|open| open.closes);
        if let (Some(ends), Some(closes)) = (ends, closes) {
            if ends <= closes {
                self.busy_until = ends;
                return Decision::Apply;
            }
        }

        let (windows, now) = (self.windows, self.now);
        let later = self
            .later
            .entry(needed)
            .or_insert_with(|| windows.fit_after(now, needed))
            .clone();
        match later {
            Some(opening) => Decision::WaitForWindow {
                opens_at: opening.opens,
                window: opening.name,
            },
            None => Decision::Hold(HoldReason::NoWindowFits { estimated: needed }),
        }
    }
}
