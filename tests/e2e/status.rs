//! End to end: the Manager's `Status` property while refresh, stage, apply and rollback
//! jobs run, its `PropertiesChanged` signals, and how `hwupctl status` and `updates` show
//! an update that is being applied.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hwupd_tests::lab::{Lab, EMULATED_RELEASE};
use hwupd_tests::parse_json;
use hwupd_tests::pause::PausePoint;

/// Upper bound on the wait for a signal. It only keeps a daemon that never sends it from
/// hanging the test run.
const SIGNAL_TIMEOUT: Duration = Duration::from_secs(30);

#[test]
fn status_shows_running_apply() {
    let lab = Lab::emulated_bmc();
    let pause = PausePoint::new(lab.bus.scratch("pause"), "Started");
    let _daemon = lab.start_with_env(&pause.env());
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", EMULATED_RELEASE]);
    let mut client = lab.spawn_hwupctl(&["apply", EMULATED_RELEASE]);
    pause.wait(&mut client);

    let status = parse_json(&lab.hwupctl_ok(&["status", "--json"]));
    let updates = parse_json(&lab.hwupctl_ok(&["updates", "--json"]));
    let text = lab.hwupctl_ok(&["status"]).stdout;

    assert_eq!(status["status"], "applying demo-bmc-2.0", "{status}");
    let entry = &updates["updates"][0];
    assert_eq!(entry["release_id"], EMULATED_RELEASE, "{updates}");
    assert_eq!(entry["decision"]["decision"], "applying", "{updates}");
    assert_eq!(entry["waiting_reason"], "being applied now", "{updates}");
    assert!(
        text.contains("status:       applying demo-bmc-2.0"),
        "{text}"
    );
    assert!(text.contains("being applied now"), "{text}");
    assert!(!text.contains("ready to be applied now"), "{text}");
    let _ = client.kill();
}

#[test]
fn status_is_idle_after_jobs() {
    let lab = Lab::emulated_bmc();
    let _daemon = lab.start();
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", EMULATED_RELEASE]);
    lab.hwupctl_ok(&["apply", EMULATED_RELEASE]);

    let status = parse_json(&lab.hwupctl_ok(&["status", "--json"]));

    assert_eq!(status["status"], "idle", "{status}");
}

#[test]
fn status_changes_are_signalled() {
    let lab = Lab::emulated_bmc();
    let _daemon = lab.start();
    let device_id = lab.device("emulated/bmc")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let log = lab.bus.scratch("monitor").join("signals.txt");
    let mut monitor = start_monitor(&lab, &log);

    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", EMULATED_RELEASE]);
    lab.hwupctl_ok(&["apply", EMULATED_RELEASE]);
    lab.hwupctl_ok(&["rollback", &device_id, "--yes"]);

    let rolling_back = format!("rolling-back {device_id}");
    let expected = [
        "refreshing",
        "idle",
        "staging demo-bmc-2.0",
        "idle",
        "applying demo-bmc-2.0",
        "idle",
        rolling_back.as_str(),
        "idle",
    ];
    let values = wait_for_values(&log, &expected);
    let _ = monitor.kill();
    let _ = monitor.wait();
    assert!(is_subsequence(&expected, &values), "{values:?}");
}

/// Starts dbus-monitor for the manager's `PropertiesChanged` signals, writing to `log`,
/// and waits until it is connected.
fn start_monitor(lab: &Lab, log: &Path) -> Child {
    let rule = "type='signal',path='/org/hwupd/Hwupd1/Manager',member='PropertiesChanged'";
    let output = File::create(log).unwrap();
    let child = Command::new("dbus-monitor")
        .arg("--address")
        .arg(&lab.bus.address)
        .arg(rule)
        .stdout(output)
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-monitor must be installed (apt-get install dbus-bin)");

    // The monitor prints the bus's NameAcquired signal once it is connected.
    let deadline = Instant::now() + SIGNAL_TIMEOUT;
    while std::fs::read_to_string(log).unwrap_or_default().is_empty() {
        assert!(Instant::now() < deadline, "dbus-monitor did not connect");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Polls the monitor's output until the `Status` values contain `expected` in order, and
/// returns the values seen.
fn wait_for_values(log: &Path, expected: &[&str]) -> Vec<String> {
    let deadline = Instant::now() + SIGNAL_TIMEOUT;
    loop {
        let values = status_values(&std::fs::read_to_string(log).unwrap_or_default());
        if is_subsequence(expected, &values) || Instant::now() >= deadline {
            return values;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Returns the `Status` values of the `PropertiesChanged` signals in dbus-monitor's
/// output, where the line `string "Status"` precedes `variant string "<value>"`.
fn status_values(output: &str) -> Vec<String> {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|pair| pair[0] == "string \"Status\"")
        .filter_map(|pair| {
            let value = pair[1].strip_prefix("variant")?.trim();
            let value = value.strip_prefix("string \"")?.strip_suffix('"')?;
            Some(value.to_string())
        })
        .collect()
}

/// Returns whether `values` contains every item of `expected` in the same order.
fn is_subsequence(expected: &[&str], values: &[String]) -> bool {
    let mut remaining = values.iter();
    expected
        .iter()
        .all(|item| remaining.any(|value| value == item))
}
