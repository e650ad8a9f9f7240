//! Signals of the daemon process and the orderly stop: SIGTERM and SIGINT stop the
//! service once no apply or rollback runs, and SIGHUP is logged and ignored, because
//! without a handler its default action ends the process at once.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::task::JoinHandle;

use super::activity::RunningUpdate;
use super::manager::{lock, SharedState};
use super::names::BUS_NAME;

/// Interval between checks whether the running apply or rollback has finished.
const FINISH_POLL: Duration = Duration::from_millis(100);

/// Handlers of the signals that the daemon takes. Install them before the daemon touches
/// any state, so that from then on none of these signals kills it mid-write.
pub struct Signals {
    terminate: Signal,
    interrupt: Signal,
    hangup: Signal,
}

impl Signals {
    /// Installs the handlers. Must run inside the Tokio runtime.
    pub fn install() -> Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            hangup: signal(SignalKind::hangup()).context("installing the SIGHUP handler")?,
        })
    }

    /// Waits for SIGTERM or SIGINT and returns its name. Every SIGHUP before it is logged
    /// and ignored.
    ///
    /// NOTE: SIGHUP does not reload the config. The config feeds the windows, the remotes,
    /// the HTTP client and the backends of jobs that may be running, so the daemon reads
    /// it only at start.
    pub async fn wait_for_stop(&mut self) -> &'static str {
        loop {
            tokio::select! {
                _ = self.terminate.recv() => return "SIGTERM",
                _ = self.interrupt.recv() => return "SIGINT",
                Some(()) = self.hangup.recv() => tracing::warn!(
                    "received SIGHUP and ignored it: hwupd reads its config only at start, so \
                     restart the service (systemctl restart hwupd) to apply config changes"
                ),
            }
        }
    }
}

/// Stops the service: releases the bus name and stops the schedule, so that no new job
/// starts, then waits until no apply or rollback runs. Stage and refresh jobs end with the
/// runtime, and an interrupted download resumes at the next start.
pub async fn stop(
    connection: &zbus::Connection,
    schedule: JoinHandle<()>,
    state: &SharedState,
    signals: &mut Signals,
) {
    schedule.abort();
    if let Err(error) = connection.release_name(BUS_NAME).await {
        tracing::warn!(%error, name = BUS_NAME, "releasing the bus name failed");
    }
    wait_for_running_update(state, signals).await;
}

/// Waits until the running apply or rollback, if any, has recorded its outcome. A firmware
/// or driver write stopped midway can leave the device unusable, so further stop signals
/// do not cut the wait short.
async fn wait_for_running_update(state: &SharedState, signals: &mut Signals) {
    let Some(running) = lock(state).applying.clone() else {
        return;
    };
    log_waiting(&running);

    let mut poll = tokio::time::interval(FINISH_POLL);
    loop {
        tokio::select! {
            _ = poll.tick() => {
                if lock(state).applying.is_none() {
                    tracing::info!("the running update finished, so the service stops");
                    return;
                }
            }
            signal = signals.wait_for_stop() => tracing::warn!(signal,
                "still waiting for the running update to finish; send SIGKILL to stop at \
                 once, at the risk of a half-written device"),
        }
    }
}

fn log_waiting(running: &RunningUpdate) {
    match running {
        RunningUpdate::Apply {
            release_id,
            device_id,
        } => tracing::info!(release = %release_id, device = %device_id,
            "waiting for the running apply to finish before exiting"),
        RunningUpdate::Rollback { device_id } => tracing::info!(device = %device_id,
            "waiting for the running rollback to finish before exiting"),
    }
}
