//! A private dbus-daemon, configured like a system bus, that lives as long as the test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A running dbus-daemon on a socket in a temporary folder.
pub struct TestBus {
    pub address: String,
    pub dir: TempDir,
    child: Child,
}

/// Policy of the test bus: anyone may own and call anything, so tests can run
/// as an ordinary user. The packaged policy is tested separately.
const OPEN_POLICY: &str = r#"<policy context="default">
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>"#;

impl TestBus {
    /// Starts a bus that lets anyone own any name.
    pub fn start() -> Self {
        Self::start_with_policy(OPEN_POLICY)
    }

    /// Starts a bus whose `<busconfig>` carries `policy` (policies or `<include>`s).
    pub fn start_with_policy(policy: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder for the bus");
        let socket = dir.path().join("system_bus_socket");
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, config_text(&socket, policy)).expect("writing bus config");

        let child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg("--nofork")
            .stdout(Stdio::null())
            .spawn()
            .expect("dbus-daemon must be installed (apt-get install dbus-daemon)");
        wait_for_socket(&socket);
        Self {
            address: format!("unix:path={}", socket.display()),
            dir,
            child,
        }
    }

    /// A command whose system bus is this bus.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env("DBUS_SYSTEM_BUS_ADDRESS", &self.address);
        command.env_remove("DBUS_SESSION_BUS_ADDRESS");
        command
    }

    /// Folder for a test's own files, removed with the bus.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).expect("creating scratch folder");
        path
    }
}

impl Drop for TestBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config_text(socket: &std::path::Path, policy: &str) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  {policy}
</busconfig>
"#,
        socket.display()
    )
}

/// Waits until the bus accepts connections; the socket file appears at
/// bind(), slightly before the daemon listens on it.
fn wait_for_socket(socket: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::os::unix::net::UnixStream::connect(socket).is_err() {
        assert!(
            Instant::now() < deadline,
            "dbus-daemon did not create {}",
            socket.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
