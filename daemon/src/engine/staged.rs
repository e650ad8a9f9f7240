//! Calls the async [`StagingStore::verify_staged`] from the blocking apply thread.

use std::path::PathBuf;

use crate::staging::{StageError, StagingStore};

/// Hashes the staged payload again and returns its path if it still matches.
///
/// On a `spawn_blocking` thread this uses the daemon's runtime. Without a runtime, as
/// in a test or a one-shot command, it builds a current-thread runtime for the call.
/// NOTE: it must not run on an async worker thread, where blocking on a future panics.
pub fn verify_payload(staging: &StagingStore, sha256: &str) -> Result<PathBuf, StageError> {
    let future = staging.verify_staged(sha256);
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        return handle.block_on(future);
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|source| StageError::Io {
            action: "starting a runtime to hash",
            path: staging.folder().to_owned(),
            source,
        })?;
    runtime.block_on(future)
}
