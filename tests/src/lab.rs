//! A lab for apply tests: a writable fixture root, a catalog signed with
//! `hwupctl catalog` and served on loopback, hwupd.toml, and the daemon on a test bus.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bus::TestBus;
use crate::daemon::Daemon;
use crate::http::HttpServer;
use crate::root::FixtureRoot;
use crate::{binary, parse_json, run, Run};

/// A window that is open at any time: it opens every minute and lasts two hours.
pub const OPEN_WINDOW: &str = r#"
[[window]]
name = "always"
calendar = "*-*-* *:*:00"
duration = "2h"
"#;

/// A window that opens only in 2099, so it is closed while the tests run.
pub const CLOSED_WINDOW: &str = r#"
[[window]]
name = "new-year-2099"
calendar = "2099-01-01 00:00:00 UTC"
duration = "1h"
"#;

/// A schedule interval so long that the daemon never starts an apply by itself
/// during a test, which drives every step through hwupctl instead.
pub const MANUAL_SCHEDULE: &str = "\n[schedule]\ninterval_secs = 3600\n";

/// Release id of the 2.0 update in [`Lab::emulated_bmc`].
pub const EMULATED_RELEASE: &str = "demo-bmc-2.0";

/// GUID of the emulated BMC in [`Lab::emulated_bmc`].
pub const EMULATED_GUID: &str = "5b0c3a3e-8d52-4f0e-9a5c-2f6b1d7e4c10";

/// One release of the test catalog and its payload.
pub struct Release<'a> {
    pub id: &'a str,
    /// GUID of the device the release applies to.
    pub guid: &'a str,
    pub version: &'a str,
    pub version_format: &'a str,
    pub method: &'a str,
    pub severity: &'a str,
    pub payload: Vec<u8>,
}

/// The files and processes of one test.
pub struct Lab {
    /// The folder of the keys, the served catalog and the config, inside the bus folder.
    pub dir: PathBuf,
    pub root: FixtureRoot,
    pub server: HttpServer,
    pub bus: TestBus,
}

impl Lab {
    /// Copies `fixture`, signs a catalog of `releases` and serves it over loopback HTTP.
    pub fn new(fixture: &str, releases: &[Release<'_>]) -> Self {
        let bus = TestBus::start();
        let dir = bus.scratch("lab");
        let root = FixtureRoot::copy_of(fixture, &dir.join("root"));
        let public_key = publish(&dir, releases);
        let server = HttpServer::start(&dir.join("www"));

        std::fs::create_dir_all(dir.join("remotes.d")).unwrap();
        let remote = format!(
            "url = \"{}\"\npublic_keys = [\"{public_key}\"]\n",
            server.url("catalog.json")
        );
        std::fs::write(dir.join("remotes.d/lab.toml"), remote).unwrap();
        Self {
            dir,
            root,
            server,
            bus,
        }
    }

    /// Returns a lab on the vm fixture with an emulated BMC at 1.0, a catalog with the
    /// release [`EMULATED_RELEASE`] of 2.0 for it, a manual schedule and an open window.
    pub fn emulated_bmc() -> Self {
        let release = Release {
            id: EMULATED_RELEASE,
            guid: EMULATED_GUID,
            version: "2.0",
            version_format: "pair",
            method: "emulated",
            severity: "high",
            payload: b"2.0\n".to_vec(),
        };
        let lab = Self::new("vm", &[release]);
        lab.configure(&format!(
            "[[emulated.devices]]\nid = \"bmc\"\nname = \"Demo BMC\"\nversion = \"1.0\"\n\
             version_format = \"pair\"\nguid = \"{EMULATED_GUID}\"\n{MANUAL_SCHEDULE}{OPEN_WINDOW}"
        ));
        lab
    }

    /// Writes `text` as hwupd.toml, read at the next start of the daemon.
    pub fn configure(&self, text: &str) {
        std::fs::write(self.config_path(), text).unwrap();
    }

    fn config_path(&self) -> PathBuf {
        self.dir.join("hwupd.toml")
    }

    /// Starts hwupd with this lab's root, config and state folder. The state folder
    /// is the same at every start, as after a restart or a reboot.
    pub fn start(&self) -> Daemon {
        self.start_with_env(&[])
    }

    /// Starts hwupd like [`Lab::start`] with extra environment variables, such as those
    /// of a [`crate::pause::PausePoint`].
    pub fn start_with_env(&self, env: &[(&str, &OsStr)]) -> Daemon {
        let config = self.config_path().display().to_string();
        Daemon::start_with_env(&self.bus, self.root.base(), &["--config", &config], env)
    }

    /// Starts hwupd like [`Lab::start_with_env`] with its log in the file `log`.
    pub fn start_with_log(&self, env: &[(&str, &OsStr)], log: &Path) -> Daemon {
        let config = self.config_path().display().to_string();
        let extra = ["--config", config.as_str()];
        Daemon::start_with_log(&self.bus, self.root.base(), &extra, env, log)
    }

    /// Starts `hwupctl` with `args` on the test bus without waiting, with its output
    /// piped, for a request that a test pauses or signals in the middle.
    pub fn spawn_hwupctl(&self, args: &[&str]) -> Child {
        let mut command = self.bus.command(binary("hwupctl"));
        command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command.spawn().expect("spawning hwupctl")
    }

    /// Returns the state folder that [`Lab::start`] passes to hwupd.
    pub fn state_dir(&self) -> PathBuf {
        self.bus.scratch("state")
    }

    /// Runs hwupctl on the test bus.
    pub fn hwupctl(&self, args: &[&str]) -> Run {
        run(self.bus.command(binary("hwupctl")).args(args))
    }

    /// Runs hwupctl and fails the test unless it exits with 0.
    pub fn hwupctl_ok(&self, args: &[&str]) -> Run {
        let result = self.hwupctl(args);
        assert_eq!(
            result.code,
            Some(0),
            "hwupctl {args:?} failed:\n{}{}",
            result.stdout,
            result.stderr
        );
        result
    }

    /// Returns every history record, oldest first.
    pub fn history(&self) -> Vec<Value> {
        let history = parse_json(&self.hwupctl_ok(&["history", "--json", "--limit", "0"]));
        history["history"].as_array().cloned().unwrap_or_default()
    }

    /// Returns the `state` of every history record, oldest first.
    pub fn states(&self) -> Vec<String> {
        self.history()
            .iter()
            .map(|record| record["state"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Returns the device with `physical_id` from `hwupctl devices --json`.
    pub fn device(&self, physical_id: &str) -> Value {
        let devices = parse_json(&self.hwupctl_ok(&["devices", "--json"]));
        let found = devices["devices"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|device| device["physical_id"] == physical_id);
        found.cloned().unwrap_or_else(|| {
            panic!("no device {physical_id} in `hwupctl devices --json`:\n{devices}")
        })
    }

    /// Returns the payload SHA-256 that the served catalog lists for `release_id`.
    pub fn payload_sha256(&self, release_id: &str) -> String {
        let text = std::fs::read_to_string(self.dir.join("www/catalog.json")).unwrap();
        let catalog: Value = serde_json::from_str(&text).unwrap();
        let release = catalog["releases"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|release| release["id"] == release_id)
            .unwrap_or_else(|| panic!("no release {release_id} in the catalog:\n{text}"));
        release["payload"]["sha256"].as_str().unwrap().to_string()
    }

    /// Polls the history until a record has `state`, for at most `limit`, and returns
    /// the history. The limit only ends a test whose daemon never gets there.
    pub fn wait_for_state(&self, state: &str, limit: Duration) -> Vec<Value> {
        let deadline = Instant::now() + limit;
        loop {
            let history = self.history();
            if history.iter().any(|record| record["state"] == state) {
                return history;
            }
            assert!(
                Instant::now() < deadline,
                "no {state:?} record after {limit:?}; the history is:\n{history:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Refreshes and stages `release_id` under a closed window, checks that the apply
    /// is rejected and that nothing beyond `staged` is recorded, then restarts the
    /// daemon with `config` and an open window. Returns the restarted daemon.
    pub fn stage_and_try_closed_window(&self, release_id: &str, config: &str) -> Daemon {
        self.configure(&format!("{config}{CLOSED_WINDOW}"));
        let daemon = self.start();
        self.hwupctl_ok(&["refresh"]);
        self.hwupctl_ok(&["stage", release_id]);

        let rejected = self.hwupctl(&["apply", release_id]);
        assert_eq!(rejected.code, Some(1), "{}", rejected.stdout);
        assert!(
            rejected.stderr.contains(
                "not applying now: staged, waiting for maintenance window \"new-year-2099\""
            ),
            "{}",
            rejected.stderr
        );
        assert_eq!(self.states(), ["staged"]);
        assert_eq!(daemon.stop(), Some(0));

        self.configure(&format!("{config}{OPEN_WINDOW}"));
        self.start()
    }
}

/// Creates a key pair, a catalog of `releases` signed with it under `dir/www`, and
/// returns the public key's base64 line.
fn publish(dir: &Path, releases: &[Release<'_>]) -> String {
    let (secret, public) = (dir.join("catalog.key"), dir.join("catalog.pub"));
    let www = dir.join("www");
    std::fs::create_dir_all(&www).unwrap();
    let catalog = www.join("catalog.json");
    run_catalog(
        catalog_command("keygen")
            .arg("--secret-key")
            .arg(&secret)
            .arg("--public-key")
            .arg(&public),
    );
    run_catalog(
        catalog_command("new")
            .args(["--remote-id", "lab"])
            .arg(&catalog),
    );

    for release in releases {
        add_release(&catalog, release);
    }
    run_catalog(
        catalog_command("sign")
            .arg("--secret-key")
            .arg(&secret)
            .arg(&catalog),
    );
    let text = std::fs::read_to_string(&public).unwrap();
    text.lines()
        .nth(1)
        .expect("a public key line")
        .trim()
        .to_string()
}

/// Returns `hwupctl catalog SUBCOMMAND`, which works without the daemon.
fn catalog_command(subcommand: &str) -> Command {
    let mut command = Command::new(binary("hwupctl"));
    command.args(["catalog", subcommand]);
    command
}

/// Runs a `hwupctl catalog` command and fails the test unless it succeeds.
fn run_catalog(command: &mut Command) {
    let result = run(command);
    assert_eq!(result.code, Some(0), "{command:?}: {}", result.stderr);
}

fn add_release(catalog: &Path, release: &Release<'_>) {
    let payload = catalog.with_file_name(format!("{}.bin", release.id));
    std::fs::write(&payload, &release.payload).unwrap();
    run_catalog(
        catalog_command("add")
            .arg("--payload")
            .arg(&payload)
            .args(["--id", release.id, "--name", release.id])
            .args(["--summary", "A release for end-to-end tests"])
            .args(["--guid", release.guid, "--version", release.version])
            .args(["--version-format", release.version_format])
            .args(["--severity", release.severity])
            .args(["--install-method", release.method])
            .arg(catalog),
    );
}

/// Expected fields of the records of one update in the history.
pub struct Expected<'a> {
    pub release_id: &'a str,
    pub device_id: &'a str,
    pub version_before: &'a str,
    pub version_after: &'a str,
    pub sha256: &'a str,
    pub method: &'a str,
}

/// Checks that the history has exactly `states`, in order, every record with the
/// expected release, device, versions, payload hash and method.
pub fn check_history(history: &[Value], states: &[&str], expected: &Expected<'_>) {
    let found: Vec<&str> = history
        .iter()
        .map(|record| record["state"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(found, states, "{history:#?}");
    for record in history {
        assert_eq!(record["release_id"], expected.release_id, "{record}");
        assert_eq!(record["device_id"], expected.device_id, "{record}");
        assert_eq!(
            record["version_before"], expected.version_before,
            "{record}"
        );
        assert_eq!(record["version_after"], expected.version_after, "{record}");
        assert_eq!(record["payload_sha256"], expected.sha256, "{record}");
        assert_eq!(record["install_method"], expected.method, "{record}");
    }
}

/// Returns the reason of the last record, which must have one.
pub fn last_reason(history: &[Value]) -> String {
    let last = history.last().expect("a history record");
    let reason = last["reason"].as_str();
    reason
        .unwrap_or_else(|| panic!("no reason in {last}"))
        .to_string()
}
