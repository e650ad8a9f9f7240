//! Waiting for a daemon job, with a progress line on a terminal.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use futures_util::StreamExt;

use zbus::zvariant::OwnedObjectPath;

use crate::failure::{daemon_text, from_dbus, from_error_name, Failure};

#[zbus::proxy(
    interface = "org.hwupd.Hwupd1.Job",
    default_service = "org.hwupd.Hwupd1"
)]
pub trait Job {
    #[zbus(property)]
    fn state(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn progress(&self) -> zbus::Result<u32>;
    #[zbus(property)]
    fn message(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn error_name(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn error_message(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn result(&self) -> zbus::Result<String>;
    #[zbus(signal)]
    fn finished(&self, state: &str, error_name: &str) -> zbus::Result<()>;
}

/// Time between two progress lines on a terminal.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Time after which the state is read again even without a `Finished` signal,
/// in case the signal was lost (a bus policy that filters signals, for example).
const SIGNAL_FALLBACK: Duration = Duration::from_secs(1);

/// A job that has ended.
pub struct Ended {
    /// Result JSON of the job. A failed job has an empty result, except one that
    /// reports a partial result, such as a refresh of several remotes.
    pub result: String,
    /// Failure of the job, or `None` when it succeeded.
    pub failure: Option<Failure>,
}

/// Waits until the job at `path` ends and returns its result JSON, or its failure.
/// Progress goes to stderr when stderr is a terminal.
pub async fn wait(connection: &zbus::Connection, path: OwnedObjectPath) -> Result<String, Failure> {
    let ended = wait_ended(connection, path).await?;
    match ended.failure {
        Some(failure) => Err(failure),
        None => Ok(ended.result),
    }
}

/// Waits until the job at `path` ends and returns its result and failure together.
/// Progress goes to stderr when stderr is a terminal.
pub async fn wait_ended(
    connection: &zbus::Connection,
    path: OwnedObjectPath,
) -> Result<Ended, Failure> {
    let job = JobProxy::builder(connection)
        .path(path)
        .map_err(from_dbus)?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .map_err(from_dbus)?;
    // Subscribing before the first read of the state means that a job that ends
    // in between is seen either by that read or by the signal.
    let mut finished = job.receive_finished().await.map_err(from_dbus)?;
    let show = std::io::stderr().is_terminal();
    loop {
        let state = job.state().await.map_err(from_dbus)?;
        if show {
            let line = format!(
                "{:>3}% {}",
                job.progress().await.map_err(from_dbus)?,
                daemon_text(&job.message().await.map_err(from_dbus)?)
            );
            eprint!("\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
        }
        if state != "running" {
            if show {
                eprintln!();
            }
            return outcome(&job, &state).await;
        }
        let wait = if show {
            PROGRESS_INTERVAL
        } else {
            SIGNAL_FALLBACK
        };
        let _ = tokio::time::timeout(wait, finished.next()).await;
    }
}

async fn outcome(job: &JobProxy<'_>, state: &str) -> Result<Ended, Failure> {
    let result = job.result().await.map_err(from_dbus)?;
    if state == "succeeded" {
        return Ok(Ended {
            result,
            failure: None,
        });
    }
    let name = job.error_name().await.map_err(from_dbus)?;
    let message = job.error_message().await.map_err(from_dbus)?;
    Ok(Ended {
        result,
        failure: Some(from_error_name(&name, &message)),
    })
}
