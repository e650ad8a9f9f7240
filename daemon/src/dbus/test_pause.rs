//! For tests only: a pause point in the apply worker, so that a test can kill the daemon
//! at a chosen [`Step`] of an apply and check what a restart makes of it.
//!
//! Debug builds only. `HWUPD_TEST_PAUSE_AT` names a step as [`Step`] spells it
//! (`Checked`, `Started`, `BackendApplied`, `Verified`, `PendingSaved` or `Recorded`),
//! and `HWUPD_TEST_PAUSE_DIR` names a folder. The apply worker that reaches that step
//! creates the empty file `paused-at-<step>` in the folder, then blocks its thread until
//! a test deletes that file or the process ends, while the rest of the daemon keeps
//! serving D-Bus calls. Release
//! builds compile [`on_step`] to a function that does nothing and contain neither
//! variable name.

use crate::engine::Step;

/// Variable that names the step to pause at.
#[cfg(debug_assertions)]
const PAUSE_AT_VAR: &str = "HWUPD_TEST_PAUSE_AT";

/// Variable that names the folder for the marker file.
#[cfg(debug_assertions)]
const PAUSE_DIR_VAR: &str = "HWUPD_TEST_PAUSE_DIR";

/// Observes the apply worker's steps and blocks at the step that the environment names.
#[cfg(debug_assertions)]
pub fn on_step(step: Step) {
    let name = format!("{step:?}");
    if std::env::var(PAUSE_AT_VAR).ok().as_deref() != Some(name.as_str()) {
        return;
    }
    let Some(dir) = std::env::var_os(PAUSE_DIR_VAR) else {
        tracing::warn!("{PAUSE_AT_VAR} is set without {PAUSE_DIR_VAR}; not pausing");
        return;
    };

    let marker = std::path::Path::new(&dir).join(format!("paused-at-{name}"));
    if let Err(error) = std::fs::write(&marker, b"") {
        tracing::warn!(path = %marker.display(), %error, "writing the pause marker failed");
    }
    tracing::warn!(step = %name, "test pause point reached; the apply worker blocks until \
        the marker file is deleted or the daemon is killed");
    while marker.exists() {
        std::thread::sleep(MARKER_POLL);
    }
    tracing::warn!(step = %name, "test pause point released");
}

/// Interval between checks whether the marker file is still there.
#[cfg(debug_assertions)]
const MARKER_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// Does nothing: release builds have no pause points.
#[cfg(not(debug_assertions))]
pub fn on_step(_step: Step) {}
