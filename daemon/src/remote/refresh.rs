//! Refreshing a remote: download the catalog and signature, check them, commit or keep.

use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::OwnedMutexGuard;

use super::accepted::AcceptedSummary;
use super::config::RemoteConfig;
use super::download::{download, Download};
use super::error::RefreshError;
use super::fetch::Fetcher;
use super::prior::Prior;
use super::settle::{record_failure, settle};
use super::store::{RemoteDir, RemoteStore};

/// Result of a successful refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// A new catalog passed every check and replaced the accepted one.
    Accepted {
        catalog: Box<AcceptedSummary>,
        /// Serial of the catalog it replaced, or None for the remote's first catalog.
        previous_serial: Option<u64>,
    },
    /// The accepted catalog is still the remote's current one.
    Unchanged {
        serial: u64,
        reason: UnchangedReason,
    },
}

impl RefreshOutcome {
    /// Returns the serial of the catalog accepted after the refresh.
    pub fn serial(&self) -> u64 {
        match self {
            Self::Accepted { catalog, .. } => catalog.serial(),
            Self::Unchanged { serial, .. } => *serial,
        }
    }
}

/// Reason that a refresh found no new catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnchangedReason {
    /// The server responded to the conditional GET with 304 Not Modified.
    NotModified,
    /// The catalog's bytes are those of the accepted catalog.
    SameBytes,
}

/// Fetches the catalog of `remote`, checks it and, if it passes, makes it the accepted
/// catalog. Refreshes of the same remote run one at a time.
///
/// `now` is the time for the expiry and issue-time checks. `progress` gets a percentage
/// from 0 to 100 and a short description of the current step. On any error the
/// previously accepted catalog stays in place, and `status.json` records the error.
/// Call it from a tokio runtime, because file work runs on its blocking threads.
pub async fn refresh(
    remote: &RemoteConfig,
    store: &RemoteStore,
    fetcher: &Fetcher,
    now: Timestamp,
    progress: &mut (dyn FnMut(u32, &str) + Send),
) -> Result<RefreshOutcome, RefreshError> {
    if !remote.enabled {
        let id = remote.id.clone();
        return Err(RefreshError::Disabled { id });
    }
    let guard = Arc::new(store.lock(&remote.id).await);
    let dir = store
        .remote_dir(&remote.id)
        .map_err(|source| RefreshError::Store {
            id: remote.id.clone(),
            path: store.remotes_dir().to_owned(),
            source,
        })?;
    let dir = LockedDir { dir, _guard: guard };

    progress(0, "checking the accepted catalog");
    let prior = load_prior(&dir, remote).await?;
    let result = match download(remote, fetcher, &prior, progress).await {
        Ok(download) => {
            progress(85, "verifying the catalog");
            settle_blocking(&dir, remote, prior.clone(), download, now).await
        }
        Err(error) => Err(error),
    };
    finish(&dir, remote, prior, now, result, progress).await
}

/// The remote's state folder and the remote's lock. Each blocking task gets a clone, so
/// the lock stays held until that task ends, even if the refresh future is dropped first.
#[derive(Clone)]
struct LockedDir {
    dir: RemoteDir,
    _guard: Arc<OwnedMutexGuard<()>>,
}

impl LockedDir {
    /// Runs blocking work on the state folder while holding the remote's lock.
    async fn run<T: Send + 'static>(
        &self,
        remote: &RemoteConfig,
        work: impl FnOnce(&RemoteDir) -> Result<T, RefreshError> + Send + 'static,
    ) -> Result<T, RefreshError> {
        let locked = self.clone();
        run_blocking(remote, move || {
            // Binding the whole value moves the guard into the closure too, which using
            // only `locked.dir` would not.
            let locked = locked;
            work(&locked.dir)
        })
        .await
    }
}

async fn load_prior(dir: &LockedDir, remote: &RemoteConfig) -> Result<Prior, RefreshError> {
    let owned = remote.clone();
    dir.run(remote, move |dir| Ok(Prior::load(dir, &owned)))
        .await
}

async fn settle_blocking(
    dir: &LockedDir,
    remote: &RemoteConfig,
    prior: Prior,
    download: Download,
    now: Timestamp,
) -> Result<RefreshOutcome, RefreshError> {
    let owned = remote.clone();
    dir.run(remote, move |dir| settle(dir, &owned, prior, download, now))
        .await
}

/// Logs the result, and records a failure in the status.
async fn finish(
    dir: &LockedDir,
    remote: &RemoteConfig,
    prior: Prior,
    now: Timestamp,
    result: Result<RefreshOutcome, RefreshError>,
    progress: &mut (dyn FnMut(u32, &str) + Send),
) -> Result<RefreshOutcome, RefreshError> {
    let error = match result {
        Ok(outcome) => {
            log_outcome(remote, &outcome);
            progress(100, "done");
            return Ok(outcome);
        }
        Err(error) => error,
    };

    let kind = error.kind();
    let message = error.full_message();
    tracing::warn!(remote = %remote.id, kind, error = %message, "refresh failed; keeping the accepted catalog");
    let (id, last_error) = (remote.id.clone(), error.to_last_error());
    let record = move |dir: &RemoteDir| {
        record_failure(dir, &id, prior.status, last_error, now);
        Ok(())
    };
    let _ = dir.run(remote, record).await;
    Err(error)
}

fn log_outcome(remote: &RemoteConfig, outcome: &RefreshOutcome) {
    match outcome {
        RefreshOutcome::Accepted {
            catalog,
            previous_serial,
        } => tracing::info!(
            remote = %remote.id,
            serial = catalog.serial(),
            previous_serial,
            key_id = %catalog.key_id,
            releases = catalog.releases,
            "accepted a new catalog"
        ),
        RefreshOutcome::Unchanged { serial, reason } => {
            tracing::debug!(remote = %remote.id, serial, ?reason, "catalog unchanged");
        }
    }
}

/// Runs blocking file work on tokio's blocking threads.
pub(super) async fn run_blocking<T: Send + 'static>(
    remote: &RemoteConfig,
    work: impl FnOnce() -> Result<T, RefreshError> + Send + 'static,
) -> Result<T, RefreshError> {
    let joined = tokio::task::spawn_blocking(work).await;
    joined.map_err(|error| RefreshError::Internal {
        id: remote.id.clone(),
        message: error.to_string(),
    })?
}
