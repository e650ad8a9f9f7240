//! The daemon's running jobs, which the Manager's `Status` property shows, and the one
//! apply or rollback that may run at a time.

use zbus::object_server::ObjectServer;

use super::manager::{lock, Manager, SharedState};
use super::names::MANAGER_PATH;

/// `Status` while no job runs.
pub const IDLE: &str = "idle";

/// The apply or rollback job that runs now. No two of them overlap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunningUpdate {
    Apply {
        release_id: String,
        device_id: String,
    },
    Rollback {
        device_id: String,
    },
}

/// Status texts of the running jobs, in the order they started.
#[derive(Debug, Default)]
pub struct Activities {
    next_id: u64,
    running: Vec<(u64, String)>,
}

impl Activities {
    fn begin(&mut self, text: String) -> u64 {
        self.next_id += 1;
        self.running.push((self.next_id, text));
        self.next_id
    }

    fn end(&mut self, id: u64) {
        self.running.retain(|(running, _)| *running != id);
    }

    /// Returns the `Status` text: `idle`, or the running jobs' texts joined by `, `,
    /// such as `staging bios-1.2, applying bmc-2.0`.
    pub fn status(&self) -> String {
        if self.running.is_empty() {
            return IDLE.to_string();
        }
        let texts: Vec<&str> = self.running.iter().map(|(_, text)| text.as_str()).collect();
        texts.join(", ")
    }
}

/// A job's entry in `Status`, removed when the value is dropped, so that every way out of
/// the job, errors included, puts the status back.
pub struct Activity {
    server: ObjectServer,
    state: SharedState,
    id: u64,
}

/// Adds `text`, such as `applying bmc-2.0`, to the Manager's `Status` and emits
/// `PropertiesChanged`.
pub async fn begin(server: &ObjectServer, state: &SharedState, text: String) -> Activity {
    let id = lock(state).activities.begin(text);
    emit_status(server).await;
    Activity {
        server: server.clone(),
        state: state.clone(),
        id,
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        lock(&self.state).activities.end(self.id);

        // Drop cannot wait, so a task sends the signal. Outside a runtime, as at exit,
        // there is no client left to tell.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let server = self.server.clone();
        runtime.spawn(async move { emit_status(&server).await });
    }
}

/// Emits `PropertiesChanged` for `Status` with the value at the time of sending.
async fn emit_status(server: &ObjectServer) {
    let interface = match server.interface::<_, Manager>(MANAGER_PATH).await {
        Ok(interface) => interface,
        Err(error) => {
            tracing::warn!(%error, "finding the manager object to emit Status failed");
            return;
        }
    };
    let manager = interface.get().await;
    if let Err(error) = manager.status_changed(interface.signal_emitter()).await {
        tracing::warn!(%error, "emitting the Status change failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_idle_without_jobs() {
        assert_eq!(Activities::default().status(), "idle");
    }

    #[test]
    fn status_joins_running_jobs_in_order() {
        let mut activities = Activities::default();
        let refresh = activities.begin("refreshing".to_string());
        activities.begin("applying bmc-2.0".to_string());

        assert_eq!(activities.status(), "refreshing, applying bmc-2.0");
        activities.end(refresh);
        assert_eq!(activities.status(), "applying bmc-2.0");
    }

    #[test]
    fn status_returns_to_idle_after_last_job() {
        let mut activities = Activities::default();
        let first = activities.begin("staging a".to_string());
        let second = activities.begin("staging a".to_string());

        activities.end(first);
        assert_eq!(activities.status(), "staging a");
        activities.end(second);
        assert_eq!(activities.status(), "idle");
    }
}
