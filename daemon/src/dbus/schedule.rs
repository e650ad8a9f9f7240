//! The daemon's own schedule: every `[schedule] interval_secs` (a minute by
//! default) it stages what policy stages by itself and, inside an open maintenance
//! window, starts the first staged update the planner puts in front (known
//! exploited, then severity, then age).

use jiff::Timestamp;
use zbus::object_server::ObjectServer;

use super::manager::{lock, SharedState};
use super::operations;
use crate::policy::{Candidate, Decision, Environment, PowerState};
use crate::scheduler::plan_candidates;

/// Runs the schedule until the daemon stops.
pub async fn run(server: ObjectServer, state: SharedState) {
    let interval = lock(&state).config.schedule.interval();
    tracing::info!(interval_secs = interval.as_secs(), "schedule started");
    loop {
        tokio::time::sleep(interval).await;
        tick(&server, &state).await;
    }
}

async fn tick(server: &ObjectServer, state: &SharedState) {
    // Keep the metrics file current for node_exporter's textfile collector.
    super::reports::write_metrics(&mut lock(state));

    let (to_stage, to_apply) = decide(state);
    for release_id in to_stage {
        if let Err(error) = operations::stage(server, state.clone(), release_id.clone()).await {
            tracing::warn!(release = %release_id, %error, "staging by policy failed to start");
        }
    }
    if let Some(release_id) = to_apply {
        tracing::info!(release = %release_id, "starting a staged update in the maintenance window");
        if let Err(error) =
            operations::apply(server, state.clone(), release_id.clone(), false).await
        {
            tracing::warn!(release = %release_id, %error, "applying in the window failed to start");
        }
    }
    crate::memory::release_idle_memory();
}

/// Returns the releases to stage now and the one staged release to apply now.
/// Only one apply starts per tick, and none while another apply job runs.
fn decide(state: &SharedState) -> (Vec<String>, Option<String>) {
    let mut guard = lock(state);
    if guard.applying.is_some() {
        return (Vec::new(), None);
    }
    let entries = guard.update_entries();
    let staged = guard.catalogs.staging.list();
    let policy = guard.policy();
    let mut releases = Vec::new();
    for entry in entries.iter().filter(|e| e.held_back_reason.is_none()) {
        if let Some((release, _)) = guard.find_release(&entry.release_id) {
            let is_staged = staged
                .iter()
                .any(|s| s.release_id == entry.release_id && s.device_id == entry.device_id);
            releases.push((release, entry.device_id.clone(), is_staged));
        }
    }

    let power = PowerState::read(&guard.root);
    let env = Environment {
        now: Timestamp::now(),
        windows: &guard.config.window,
        power: &power,
        apply_now: false,
    };
    // A payload that a stage job is still downloading is skipped, and a release offered
    // for several devices is staged by one job, so no tick starts a job that fails
    // because another one holds the payload.
    let staging = &guard.catalogs.staging;
    let mut to_stage: Vec<String> = releases
        .iter()
        .filter(|(release, device, staged)| {
            !staged
                && !staging.is_in_flight(&release.payload.sha256)
                && policy.decide(
                    &Candidate {
                        release,
                        device_id: device,
                        staged: false,
                    },
                    &env,
                ) == Decision::Stage
        })
        .map(|(release, _, _)| release.id.clone())
        .collect();
    let mut seen = std::collections::HashSet::new();
    to_stage.retain(|id| seen.insert(id.clone()));
    let candidates: Vec<Candidate<'_>> = releases
        .iter()
        .filter(|(_, _, staged)| *staged)
        .map(|(release, device, _)| Candidate {
            release,
            device_id: device,
            staged: true,
        })
        .collect();
    let to_apply = plan_candidates(&policy, &candidates, &env)
        .to_start()
        .next()
        .map(|u| u.release_id.clone());
    (to_stage, to_apply)
}
