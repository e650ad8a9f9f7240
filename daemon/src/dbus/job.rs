//! Long operations as Job objects at `/org/hwupd/Hwupd1/jobs/<n>`, with progress.
//!
//! A method that starts a long operation returns the job's path at once. The
//! job object reports `Progress` (0 to 100), `Message` and `State`, and emits
//! `Finished` when done. Finished jobs stay on the bus for `KEEP_FINISHED`,
//! so a slow client can still read the result.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use zbus::interface;
use zbus::object_server::{ObjectServer, SignalEmitter};
use zbus::zvariant::OwnedObjectPath;

use super::error::Error;
use super::names::job_path;

const KEEP_FINISHED: Duration = Duration::from_secs(120);

static NEXT_JOB: AtomicU64 = AtomicU64::new(1);

/// The `org.hwupd.Hwupd1.Job` interface of one operation.
pub struct JobObject {
    kind: String,
    state: String,
    progress: u32,
    message: String,
    error_name: String,
    error_message: String,
    result: String,
}

#[interface(name = "org.hwupd.Hwupd1.Job")]
impl JobObject {
    /// Kind of the job: `refresh`, `stage`, `apply`, ...
    #[zbus(property(emits_changed_signal = "const"))]
    fn kind(&self) -> String {
        self.kind.clone()
    }

    /// `running`, `succeeded` or `failed`.
    #[zbus(property)]
    fn state(&self) -> String {
        self.state.clone()
    }

    /// Percent done, 0 to 100.
    #[zbus(property)]
    fn progress(&self) -> u32 {
        self.progress
    }

    /// Current step of the job, or its outcome.
    #[zbus(property)]
    fn message(&self) -> String {
        self.message.clone()
    }

    /// D-Bus error name of a failed job, such as `org.hwupd.Hwupd1.Error.SignatureInvalid`.
    #[zbus(property)]
    fn error_name(&self) -> String {
        self.error_name.clone()
    }

    #[zbus(property)]
    fn error_message(&self) -> String {
        self.error_message.clone()
    }

    /// Result of the job as JSON, empty until it succeeds. A failed refresh sets it
    /// too, so that a client can show the outcome of every remote.
    #[zbus(property)]
    fn result(&self) -> String {
        self.result.clone()
    }

    /// Sent once when the job ends.
    #[zbus(signal)]
    async fn finished(
        emitter: &SignalEmitter<'_>,
        state: &str,
        error_name: &str,
    ) -> zbus::Result<()>;
}

/// A running job's handle: reports progress and the outcome.
#[derive(Clone)]
pub struct JobHandle {
    server: ObjectServer,
    path: OwnedObjectPath,
}

impl JobHandle {
    pub fn path(&self) -> &OwnedObjectPath {
        &self.path
    }

    /// Updates the progress and message, and emits `PropertiesChanged`.
    pub async fn progress(&self, percent: u32, message: &str) {
        let Ok(iface) = self.server.interface::<_, JobObject>(&self.path).await else {
            return;
        };
        {
            let mut job = iface.get_mut().await;
            job.progress = percent.min(100);
            job.message = message.to_string();
        }
        let job = iface.get().await;
        let emitter = iface.signal_emitter();
        let _ = job.progress_changed(emitter).await;
        let _ = job.message_changed(emitter).await;
    }

    /// Sets the result before the job ends, for a job that fails with a partial result.
    pub async fn set_result(&self, result: &str) {
        let Ok(iface) = self.server.interface::<_, JobObject>(&self.path).await else {
            return;
        };
        iface.get_mut().await.result = result.to_string();
        let job = iface.get().await;
        let _ = job.result_changed(iface.signal_emitter()).await;
    }

    /// Records the outcome, emits `Finished`, and removes the object later.
    pub async fn finish(self, outcome: Result<String, Error>) {
        if let Ok(iface) = self.server.interface::<_, JobObject>(&self.path).await {
            let state = {
                let mut job = iface.get_mut().await;
                apply_outcome(&mut job, outcome);
                job.state.clone()
            };
            let job = iface.get().await;
            let emitter = iface.signal_emitter();
            let _ = job.state_changed(emitter).await;
            let _ = job.progress_changed(emitter).await;
            let _ = job.message_changed(emitter).await;
            let _ = JobObject::finished(emitter, &state, &job.error_name).await;
        }
        self.remove_later();
    }

    fn remove_later(self) {
        tokio::spawn(async move {
            tokio::time::sleep(KEEP_FINISHED).await;
            let _ = self.server.remove::<JobObject, _>(&self.path).await;
        });
    }
}

fn apply_outcome(job: &mut JobObject, outcome: Result<String, Error>) {
    match outcome {
        Ok(result) => {
            job.state = "succeeded".to_string();
            job.progress = 100;
            job.message = "done".to_string();
            job.result = result;
        }
        Err(error) => {
            use zbus::DBusError;
            job.state = "failed".to_string();
            job.error_name = error.name().to_string();
            job.error_message = error.description().unwrap_or_default().to_string();
            job.message = job.error_message.clone();
        }
    }
}

/// Serves a new job object and runs `work` on it in a task of its own.
/// Returns the job's path for the method reply.
pub async fn spawn<F, Fut>(
    server: &ObjectServer,
    kind: &str,
    work: F,
) -> Result<OwnedObjectPath, Error>
where
    F: FnOnce(JobHandle) -> Fut + Send + 'static,
    Fut: Future<Output = Result<String, Error>> + Send + 'static,
{
    let number = NEXT_JOB.fetch_add(1, Ordering::Relaxed);
    let path = OwnedObjectPath::try_from(job_path(number))
        .map_err(|e| Error::Failed(format!("invalid job path: {e}")))?;
    let object = JobObject {
        kind: kind.to_string(),
        state: "running".to_string(),
        progress: 0,
        message: "starting".to_string(),
        error_name: String::new(),
        error_message: String::new(),
        result: String::new(),
    };
    server.at(&path, object).await?;

    let handle = JobHandle {
        server: server.clone(),
        path: path.clone(),
    };
    tokio::spawn(async move {
        let outcome = work(handle.clone()).await;
        match &outcome {
            Ok(_) => tracing::info!(job = %handle.path.as_str(), "job succeeded"),
            Err(e) => tracing::error!(
                job = %handle.path.as_str(),
                error = zbus::DBusError::description(e).unwrap_or_default(),
                "job failed"
            ),
        }
        handle.finish(outcome).await;
        crate::memory::release_idle_memory();
    });
    Ok(path)
}
