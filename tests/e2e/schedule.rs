//! End to end: the daemon's own schedule stages and applies a critical update to an
//! emulated device inside an open window, with no `stage` or `apply` from a client.

use std::time::Duration;

use hwupd_tests::lab::{check_history, Expected, Lab, Release, OPEN_WINDOW};

const GUID: &str = "1ea8e2b7-3f38-5c53-b6a4-5e0f2b0b6a01";
const RELEASE: &str = "demo-bmc-2.0";

/// An emulated BMC, a policy that stages critical releases by itself, and a schedule
/// that checks every second.
const CONFIG: &str = r#"
[[emulated.devices]]
id = "bmc"
name = "Demo BMC"
version = "1.0"
version_format = "pair"
guid = "1ea8e2b7-3f38-5c53-b6a4-5e0f2b0b6a01"

[policy]
auto_stage = ["critical"]

[schedule]
interval_secs = 1
"#;

/// Maximum wait for the schedule. It only ends a test whose daemon never applies the
/// update, so it is far above the two checks that staging and applying take.
const SCHEDULE_LIMIT: Duration = Duration::from_secs(60);

#[test]
fn schedule_stages_and_applies_in_window() {
    let release = Release {
        id: RELEASE,
        guid: GUID,
        version: "2.0",
        version_format: "pair",
        method: "emulated",
        severity: "critical",
        payload: b"2.0\n".to_vec(),
    };
    let lab = Lab::new("vm", &[release]);
    lab.configure(&format!("{CONFIG}{OPEN_WINDOW}"));
    let _daemon = lab.start();
    let device = lab.device("emulated/bmc");
    assert_eq!(device["version"], "1.0");

    lab.hwupctl_ok(&["refresh"]);
    let history = lab.wait_for_state("succeeded", SCHEDULE_LIMIT);

    let sha256 = lab.payload_sha256(RELEASE);
    let expected = Expected {
        release_id: RELEASE,
        device_id: device["id"].as_str().unwrap(),
        version_before: "1.0",
        version_after: "2.0",
        sha256: &sha256,
        method: "emulated",
    };
    check_history(&history, &["staged", "applying", "succeeded"], &expected);
    assert_eq!(lab.device("emulated/bmc")["version"], "2.0");
}
