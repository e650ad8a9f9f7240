//! End to end: what happens to staged payloads after an apply succeeds, and `unstage`
//! while a stage or an apply job works on the release.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hwupd_tests::http::Fault;
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

#[test]
fn unstage_during_stage_is_rejected() {
    let lab = Lab::emulated_bmc();
    let _daemon = lab.start();
    lab.hwupctl_ok(&["refresh"]);
    let hold = lab.bus.scratch("hold");
    let payload = format!("{EMULATED_RELEASE}.bin");
    lab.server.set_fault(&payload, Fault::Hold(hold.clone()));
    let stage = lab.spawn_hwupctl(&["stage", EMULATED_RELEASE]);
    wait_until_received(&hold);

    let rejected = lab.hwupctl(&["unstage", EMULATED_RELEASE]);
    std::fs::write(hold.join("release"), b"").unwrap();
    let staged = stage.wait_with_output().expect("waiting for hwupctl stage");

    assert_eq!(
        rejected.code,
        Some(1),
        "{}{}",
        rejected.stdout,
        rejected.stderr
    );
    assert!(
        rejected
            .stderr
            .contains("release demo-bmc-2.0 is being staged now"),
        "{}",
        rejected.stderr
    );
    assert!(staged.status.success(), "{staged:?}");
    assert!(payload_file(&lab, EMULATED_RELEASE).exists());
    let unstaged = lab.hwupctl_ok(&["unstage", EMULATED_RELEASE]);
    assert!(
        unstaged.stdout.contains("unstaged demo-bmc-2.0"),
        "{}",
        unstaged.stdout
    );
    assert!(!payload_file(&lab, EMULATED_RELEASE).exists());
}

#[test]
fn unstage_during_apply_is_rejected() {
    let lab = Lab::emulated_bmc();
    let pause = PausePoint::new(lab.bus.scratch("pause"), "Started");
    let _daemon = lab.start_with_env(&pause.env());
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", EMULATED_RELEASE]);
    let mut client = lab.spawn_hwupctl(&["apply", EMULATED_RELEASE]);
    pause.wait(&mut client);

    let rejected = lab.hwupctl(&["unstage", EMULATED_RELEASE]);

    assert_eq!(
        rejected.code,
        Some(1),
        "{}{}",
        rejected.stdout,
        rejected.stderr
    );
    let device_id = lab.device("emulated/bmc")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let expected = format!("release demo-bmc-2.0 is being applied to device {device_id} now");
    assert!(rejected.stderr.contains(&expected), "{}", rejected.stderr);
    assert!(payload_file(&lab, EMULATED_RELEASE).exists());
    pause.release();
    let applied = client
        .wait_with_output()
        .expect("waiting for hwupctl apply");
    assert!(applied.status.success(), "{applied:?}");
    assert_eq!(lab.states(), ["staged", "applying", "succeeded"]);
}

#[test]
fn unstage_of_empty_id_is_rejected() {
    let lab = Lab::emulated_bmc();
    let _daemon = lab.start();

    let rejected = lab.hwupctl(&["unstage", ""]);

    // The client maps the daemon's InvalidArgs to an exit code of its own choice.
    assert_ne!(
        rejected.code,
        Some(0),
        "{}{}",
        rejected.stdout,
        rejected.stderr
    );
    assert!(
        rejected.stderr.contains("the release id is empty"),
        "{}",
        rejected.stderr
    );
}

/// Waits until the test server has received the request that `Fault::Hold(hold)` keeps open.
fn wait_until_received(hold: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !hold.join("received").exists() {
        assert!(Instant::now() < deadline, "the server received no request");
        std::thread::sleep(Duration::from_millis(10));
    }
}
