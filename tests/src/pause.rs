//! The test pause point of a debug-built hwupd: the environment that arms it, and the
//! wait for the marker file that the paused apply worker creates.

use std::ffi::OsStr;
use std::io::Read;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

/// Variable that names the apply step to pause at, such as `BackendApplied`.
pub const PAUSE_AT_VAR: &str = "HWUPD_TEST_PAUSE_AT";

/// Variable that names the folder for the marker file.
pub const PAUSE_DIR_VAR: &str = "HWUPD_TEST_PAUSE_DIR";

/// Upper bound on the wait for the marker. It only keeps a daemon that never pauses
/// from hanging the test run.
const MARKER_TIMEOUT: Duration = Duration::from_secs(60);

/// One armed pause point: a step name and the folder that receives the marker.
pub struct PausePoint {
    pub step: String,
    pub dir: PathBuf,
}

impl PausePoint {
    /// Arms a pause at `step`, with the marker in `dir`.
    pub fn new(dir: PathBuf, step: &str) -> Self {
        std::fs::create_dir_all(&dir).expect("creating the pause folder");
        Self {
            step: step.to_string(),
            dir,
        }
    }

    /// Environment for [`crate::daemon::Daemon::start_with_env`].
    pub fn env(&self) -> [(&str, &OsStr); 2] {
        [
            (PAUSE_AT_VAR, OsStr::new(&self.step)),
            (PAUSE_DIR_VAR, self.dir.as_os_str()),
        ]
    }

    /// Returns the path of the file that the daemon creates when it pauses.
    pub fn marker(&self) -> PathBuf {
        self.dir.join(format!("paused-at-{}", self.step))
    }

    /// Lets the paused apply worker go on, by deleting the marker that it waits on.
    pub fn release(&self) {
        std::fs::remove_file(self.marker()).expect("deleting the pause marker");
    }

    /// Waits until the daemon pauses. `client` is the process whose request leads to
    /// the step, such as `hwupctl apply`, and it must not exit first.
    pub fn wait(&self, client: &mut Child) {
        let deadline = Instant::now() + MARKER_TIMEOUT;
        while !self.marker().exists() {
            if let Some(status) = client.try_wait().expect("polling the client") {
                panic!(
                    "the client exited with {status} before hwupd paused at {}: {}",
                    self.step,
                    stderr_of(client)
                );
            }
            assert!(
                Instant::now() < deadline,
                "hwupd did not pause at {} within {MARKER_TIMEOUT:?}",
                self.step
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Reads what an exited child wrote to a piped stderr.
fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(stderr) = child.stderr.as_mut() {
        let _ = stderr.read_to_string(&mut text);
    }
    text
}
