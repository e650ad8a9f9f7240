//! The real hwupd daemon, started on a test bus and stopped when dropped.

use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::bus::TestBus;
use crate::{binary, run};

/// A running hwupd process.
pub struct Daemon {
    child: Child,
}

impl Daemon {
    /// Starts hwupd on `bus` with `root` and extra arguments, and waits until
    /// it owns its bus name.
    pub fn start(bus: &TestBus, root: &Path, extra: &[&str]) -> Self {
        Self::start_with_env(bus, root, extra, &[])
    }

    /// Starts hwupd like [`Daemon::start`] with extra environment variables, which
    /// override the default `HWUPD_LOG=debug`.
    pub fn start_with_env(
        bus: &TestBus,
        root: &Path,
        extra: &[&str],
        env: &[(&str, &OsStr)],
    ) -> Self {
        Self::start_logging(bus, root, extra, env, Stdio::inherit())
    }

    /// Starts hwupd like [`Daemon::start_with_env`] with its log in the file `log`, for
    /// tests that check log lines.
    pub fn start_with_log(
        bus: &TestBus,
        root: &Path,
        extra: &[&str],
        env: &[(&str, &OsStr)],
        log: &Path,
    ) -> Self {
        let file = File::create(log).expect("creating the daemon's log file");
        Self::start_logging(bus, root, extra, env, Stdio::from(file))
    }

    fn start_logging(
        bus: &TestBus,
        root: &Path,
        extra: &[&str],
        env: &[(&str, &OsStr)],
        stderr: Stdio,
    ) -> Self {
        let state = bus.scratch("state");
        let child = bus
            .command(binary("hwupd"))
            .arg("--root")
            .arg(root)
            .arg("--state-dir")
            .arg(&state)
            .args(extra)
            .env("HWUPD_LOG", "debug")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawning hwupd");
        let mut daemon = Self { child };
        daemon.wait_until_ready(bus);
        daemon
    }

    fn wait_until_ready(&mut self, bus: &TestBus) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("polling hwupd") {
                panic!("hwupd exited before owning its name: {status}");
            }
            let status = run(bus.command(binary("hwupctl")).arg("status"));
            if status.code == Some(0) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "hwupd did not own its bus name: {}",
                status.stderr
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Process id, for tests that send signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the signal `name`, such as `HUP`, with kill(1).
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -s {name} failed: {status}");
    }

    /// Returns whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("polling hwupd").is_none()
    }

    /// Waits for the process to exit by itself and returns its exit code. `limit` only
    /// ends a test whose daemon never exits.
    pub fn wait_for_exit(mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("polling hwupd") {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "hwupd did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the daemon with SIGKILL, as a crash or a power loss stops it, and waits
    /// until the bus no longer lists its name, so that a new daemon can take it.
    pub fn kill(mut self, bus: &TestBus) {
        self.child.kill().expect("sending SIGKILL to hwupd");
        self.child.wait().expect("waiting for the killed hwupd");

        let deadline = Instant::now() + Duration::from_secs(20);
        while run(bus.command(binary("hwupctl")).arg("status")).code == Some(0) {
            assert!(
                Instant::now() < deadline,
                "the bus still lists the name of the killed hwupd"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the daemon with SIGTERM and returns its exit code.
    pub fn stop(mut self) -> Option<i32> {
        let _ = std::process::Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().ok().and_then(|s| s.code())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
