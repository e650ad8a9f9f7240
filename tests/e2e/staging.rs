//! End to end: what happens to staged payloads after an apply succeeds.

use std::path::PathBuf;

use hwupd_tests::lab::{Lab, EMULATED_RELEASE};
use hwupd_tests::pause::PausePoint;
use serde_json::Value;

/// Returns the path of the staged payload file of `release_id`.
fn payload_file(lab: &Lab, release_id: &str) -> PathBuf {
    let sha256 = lab.payload_sha256(release_id);
    lab.state_dir().join(format!("staged/{sha256}.payload"))
}

/// Returns the entries of the staging index.
fn index_items(lab: &Lab) -> Vec<Value> {
    let text = std::fs::read_to_string(lab.state_dir().join("staged/index.json")).unwrap();
    let index: Value = serde_json::from_str(&text).unwrap();
    index["items"].as_array().cloned().unwrap_or_default()
}

#[test]
fn applied_payload_is_removed() {
    let lab = Lab::emulated_bmc();
    let _daemon = lab.start();
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", EMULATED_RELEASE]);
    assert!(payload_file(&lab, EMULATED_RELEASE).exists());
    assert_eq!(index_items(&lab).len(), 1);

    lab.hwupctl_ok(&["apply", EMULATED_RELEASE]);

    assert_eq!(lab.states(), ["staged", "applying", "succeeded"]);
    assert!(!payload_file(&lab, EMULATED_RELEASE).exists());
    assert!(index_items(&lab).is_empty(), "{:?}", index_items(&lab));

    // Without the payload, a second apply still names the reason it is rejected.
    let again = lab.hwupctl(&["apply", EMULATED_RELEASE]);
    assert_eq!(again.code, Some(1), "{}", again.stderr);
    assert!(
        again.stderr.contains("has already succeeded on device"),
        "{}",
        again.stderr
    );
}

#[test]
fn payload_of_recorded_update_is_removed_at_start() {
    let lab = Lab::emulated_bmc();
    let pause = PausePoint::new(lab.bus.scratch("pause"), "Recorded");
    let daemon = lab.start_with_env(&pause.env());
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", EMULATED_RELEASE]);
    let mut client = lab.spawn_hwupctl(&["apply", EMULATED_RELEASE]);
    pause.wait(&mut client);
    daemon.kill(&lab.bus);
    let _ = client.wait();
    assert!(payload_file(&lab, EMULATED_RELEASE).exists());

    let _restarted = lab.start();

    assert_eq!(lab.states(), ["staged", "applying", "succeeded"]);
    assert!(!payload_file(&lab, EMULATED_RELEASE).exists());
    assert!(index_items(&lab).is_empty(), "{:?}", index_items(&lab));
}
