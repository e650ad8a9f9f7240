//! Waiting for a daemon job, with a progress line on a terminal.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use zbus::zvariant::OwnedObjectPath;

use crate::failure::{from_dbus, Failure, FAILED, NOT_AUTHORIZED, NOT_FOUND, NOT_VERIFIED};

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
}

const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Waits until the job at `path` ends and returns its result JSON. Progress
/// goes to stderr when stderr is a terminal.
pub async fn wait(connection: &zbus::Connection, path: OwnedObjectPath) -> Result<String, Failure> {
    let job = JobProxy::builder(connection)
        .path(path)
        .map_err(from_dbus)?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .map_err(from_dbus)?;
    let show = std::io::stderr().is_terminal();
    loop {
        let state = job.state().await.map_err(from_dbus)?;
        if show {
            let line = format!(
                "{:>3}% {}",
                job.progress().await.map_err(from_dbus)?,
                job.message().await.map_err(from_dbus)?
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
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

async fn outcome(job: &JobProxy<'_>, state: &str) -> Result<String, Failure> {
    if state == "succeeded" {
        return job.result().await.map_err(from_dbus);
    }
    let name = job.error_name().await.map_err(from_dbus)?;
    let message = job.error_message().await.map_err(from_dbus)?;
    let code = match name.rsplit('.').next().unwrap_or_default() {
        "SignatureInvalid" => NOT_VERIFIED,
        "NotAuthorized" => NOT_AUTHORIZED,
        "NotFound" => NOT_FOUND,
        _ => FAILED,
    };
    Err(Failure::new(code, message))
}
