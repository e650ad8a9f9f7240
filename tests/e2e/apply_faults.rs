//! Kill-and-restart of the real daemon at each step of an apply. A debug-built hwupd
//! pauses its apply worker at one step, the test kills it with SIGKILL, starts it again
//! without the pause, and checks the history, the device and its files, and that the
//! update is never applied twice.

#[path = "apply_faults/lab.rs"]
mod lab;

use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use hwupd::engine::INTERRUPTED_REASON;
use hwupd_tests::daemon::Daemon;
use hwupd_tests::pause::PausePoint;
use serde_json::Value;

use lab::{
    Lab, CAPSULE_RELEASE, EMULATED_GUID, EMULATED_RELEASE, FILE_CAPSULE_DELIVERY, SYSTEM_FW,
};

/// Upper bound on the wait for `hwupctl apply` to exit after the daemon is killed.
const CLIENT_EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The lab after the kill and the restart.
struct Restarted {
    lab: Lab,
    daemon: Daemon,
    /// `hwupctl history --json` records while the daemon was paused.
    before: Vec<Value>,
}

/// Refreshes, stages and applies `release` on a daemon that pauses at `step`, kills
/// it there, starts it again without the pause, and checks that no record was lost.
fn kill_at(release: &str, step: &str) -> Restarted {
    let lab = Lab::new();
    let pause = PausePoint::new(lab.bus.scratch("pause"), step);
    let daemon = lab.start(&pause.env());
    assert_succeeds(&lab, &["refresh"]);
    assert_succeeds(&lab, &["stage", release]);

    let mut client = lab
        .hwupctl_command(&["apply", release, "--now", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning hwupctl apply");
    pause.wait(&mut client);
    let before = lab.history();
    daemon.kill(&lab.bus);
    let status = wait_for_exit(&mut client);
    assert!(
        !status.success(),
        "hwupctl apply succeeded without a daemon"
    );

    let daemon = lab.start(&[]);
    let after = lab.history();
    assert_kept(&before, &after);
    Restarted {
        lab,
        daemon,
        before,
    }
}

/// Waits for a client whose daemon was killed. The deadline only keeps a client that
/// never notices from hanging the test run.
fn wait_for_exit(client: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + CLIENT_EXIT_TIMEOUT;
    loop {
        if let Some(status) = client.try_wait().expect("polling hwupctl apply") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "hwupctl apply did not exit after the daemon was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Checks that every record from before the kill is still in the history, unchanged
/// and in its place.
fn assert_kept(before: &[Value], after: &[Value]) {
    assert!(
        after.len() >= before.len(),
        "records were lost: {} before the kill, {} after",
        before.len(),
        after.len()
    );
    for (old, new) in before.iter().zip(after) {
        assert_eq!(old, new, "a record changed across the restart");
    }
}

fn assert_succeeds(lab: &Lab, args: &[&str]) {
    let result = lab.hwupctl(args);
    assert_eq!(
        result.code,
        Some(0),
        "hwupctl {args:?}: {}{}",
        result.stdout,
        result.stderr
    );
}

/// States of the records of `release`, oldest first.
fn states(history: &[Value], release: &str) -> Vec<String> {
    history
        .iter()
        .filter(|record| record["release_id"] == release)
        .map(|record| record["state"].as_str().expect("state text").to_string())
        .collect()
}

fn last_reason(history: &[Value]) -> String {
    let last = history.last().expect("a record");
    last["reason"].as_str().unwrap_or_default().to_string()
}

/// Checks that an apply of an update that succeeded is rejected and records nothing.
fn assert_not_applied_again(lab: &Lab, release: &str) {
    let before = lab.history();
    let again = lab.hwupctl(&["apply", release, "--now", "--yes"]);
    assert_eq!(again.code, Some(1), "{}{}", again.stdout, again.stderr);
    assert_eq!(
        lab.history(),
        before,
        "the rejected apply changed the history"
    );
}

/// Checks the history of an attempt that the kill interrupted, and returns its reason.
fn assert_interrupted(restarted: &Restarted, release: &str) -> String {
    let history = restarted.lab.history();
    assert_eq!(states(&history, release), ["staged", "applying", "failed"]);
    assert_eq!(history.len(), restarted.before.len() + 1);
    let reason = last_reason(&history);
    assert!(reason.starts_with(INTERRUPTED_REASON), "{reason}");
    assert_eq!(restarted.lab.attempt_records(), 0);
    reason
}

/// Applies the emulated update again on purpose, and checks it succeeds once.
fn retry_emulated(lab: &Lab, earlier: &[&str]) {
    assert_succeeds(lab, &["apply", EMULATED_RELEASE, "--now", "--yes"]);

    let mut expected = earlier.to_vec();
    expected.extend(["staged", "applying", "succeeded"]);
    assert_eq!(states(&lab.history(), EMULATED_RELEASE), expected);
    assert_eq!(lab.device_version(EMULATED_GUID), "2.0");
    assert_eq!(lab.emulated_file_version().as_deref(), Some("2.0"));
    assert_not_applied_again(lab, EMULATED_RELEASE);
}

#[test]
fn emulated_killed_at_checked() {
    let restarted = kill_at(EMULATED_RELEASE, "Checked");
    let lab = &restarted.lab;

    assert_eq!(lab.history(), restarted.before, "nothing was recorded");
    assert_eq!(states(&lab.history(), EMULATED_RELEASE), ["staged"]);
    assert_eq!(lab.device_version(EMULATED_GUID), "1.0");
    assert_eq!(lab.emulated_file_version(), None);
    assert_eq!(lab.attempt_records(), 0);

    // The first attempt was never recorded, so this apply starts it with `applying`.
    assert_succeeds(lab, &["apply", EMULATED_RELEASE, "--now", "--yes"]);
    let expected = ["staged", "applying", "succeeded"];
    assert_eq!(states(&lab.history(), EMULATED_RELEASE), expected);
    assert_eq!(lab.emulated_file_version().as_deref(), Some("2.0"));
    assert_not_applied_again(lab, EMULATED_RELEASE);
}

#[test]
fn emulated_killed_at_started() {
    let restarted = kill_at(EMULATED_RELEASE, "Started");
    let lab = &restarted.lab;

    let reason = assert_interrupted(&restarted, EMULATED_RELEASE);
    assert!(reason.contains("reports version 1.0"), "{reason}");
    assert_eq!(lab.device_version(EMULATED_GUID), "1.0");
    assert_eq!(lab.emulated_file_version(), None);

    retry_emulated(lab, &["staged", "applying", "failed"]);
}

#[test]
fn emulated_killed_at_backend_applied() {
    let restarted = kill_at(EMULATED_RELEASE, "BackendApplied");
    let lab = &restarted.lab;

    let reason = assert_interrupted(&restarted, EMULATED_RELEASE);
    assert!(reason.contains("reports version 2.0"), "{reason}");
    assert_eq!(lab.device_version(EMULATED_GUID), "2.0");
    assert_eq!(lab.emulated_file_version().as_deref(), Some("2.0"));

    retry_emulated(lab, &["staged", "applying", "failed"]);
}

#[test]
fn emulated_killed_at_verified() {
    let restarted = kill_at(EMULATED_RELEASE, "Verified");
    let lab = &restarted.lab;

    let reason = assert_interrupted(&restarted, EMULATED_RELEASE);
    assert!(reason.contains("reports version 2.0"), "{reason}");
    assert_eq!(lab.device_version(EMULATED_GUID), "2.0");
    assert_eq!(lab.emulated_file_version().as_deref(), Some("2.0"));

    retry_emulated(lab, &["staged", "applying", "failed"]);
}

#[test]
fn emulated_killed_at_recorded() {
    let restarted = kill_at(EMULATED_RELEASE, "Recorded");
    let lab = &restarted.lab;

    // `succeeded` was durable before the kill, and the restart removed the record.
    let history = lab.history();
    assert_eq!(history, restarted.before);
    let expected = ["staged", "applying", "succeeded"];
    assert_eq!(states(&history, EMULATED_RELEASE), expected);
    assert_eq!(lab.attempt_records(), 0);
    assert_eq!(lab.device_version(EMULATED_GUID), "2.0");
    assert_eq!(lab.emulated_file_version().as_deref(), Some("2.0"));

    assert_not_applied_again(lab, EMULATED_RELEASE);
}

/// Checks that nothing waits on the ESP for the firmware.
fn assert_no_capsule_pending(lab: &Lab) {
    assert!(!lab.staged_capsule().exists(), "a capsule is on the ESP");
    assert_eq!(lab.os_indications() & FILE_CAPSULE_DELIVERY, 0);
    assert_eq!(lab.device_version(SYSTEM_FW), "65586");
}

/// Checks a capsule that waits for the reboot: on the ESP, requested in OsIndications,
/// with the attempt open and not applied again.
fn assert_capsule_pending(lab: &Lab, states_so_far: &[&str]) {
    assert_eq!(states(&lab.history(), CAPSULE_RELEASE), states_so_far);
    assert!(lab.staged_capsule().exists(), "the capsule left the ESP");
    assert_ne!(lab.os_indications() & FILE_CAPSULE_DELIVERY, 0);
    assert_eq!(lab.attempt_records(), 1);
    assert_eq!(lab.device_version(SYSTEM_FW), "65586");

    let again = lab.hwupctl(&["apply", CAPSULE_RELEASE, "--now", "--yes"]);
    assert_eq!(again.code, Some(1), "{}{}", again.stdout, again.stderr);
    assert_eq!(states(&lab.history(), CAPSULE_RELEASE), states_so_far);
}

/// Boots into the new firmware, restarts the daemon, and checks that the pending
/// attempt is verified once and not applied again.
fn reboot_and_verify(restarted: Restarted, states_so_far: &[&str]) {
    let Restarted { lab, daemon, .. } = restarted;
    daemon.kill(&lab.bus);
    lab.reboot_into_new_firmware();
    let _daemon = lab.start(&[]);

    let mut expected = states_so_far.to_vec();
    expected.push("succeeded");
    assert_eq!(states(&lab.history(), CAPSULE_RELEASE), expected);
    assert_eq!(lab.device_version(SYSTEM_FW), "65590");
    assert_eq!(lab.attempt_records(), 0);
    assert_not_applied_again(&lab, CAPSULE_RELEASE);
}

/// Applies the capsule again on purpose after an interrupted attempt, and checks it
/// is staged once and verified after the reboot.
fn retry_capsule(restarted: Restarted, earlier: &[&str]) {
    let lab = &restarted.lab;
    assert_succeeds(lab, &["apply", CAPSULE_RELEASE, "--now", "--yes"]);

    let mut expected = earlier.to_vec();
    expected.extend(["staged", "applying", "pending-reboot"]);
    assert_capsule_pending(lab, &expected);
    reboot_and_verify(restarted, &expected);
}

#[test]
fn capsule_killed_at_checked() {
    let restarted = kill_at(CAPSULE_RELEASE, "Checked");
    let lab = &restarted.lab;

    assert_eq!(lab.history(), restarted.before, "nothing was recorded");
    assert_eq!(states(&lab.history(), CAPSULE_RELEASE), ["staged"]);
    assert_eq!(lab.attempt_records(), 0);
    assert_no_capsule_pending(lab);

    // The first attempt was never recorded, so this apply starts it with `applying`.
    assert_succeeds(lab, &["apply", CAPSULE_RELEASE, "--now", "--yes"]);
    let expected = ["staged", "applying", "pending-reboot"];
    assert_capsule_pending(lab, &expected);
    reboot_and_verify(restarted, &expected);
}

#[test]
fn capsule_killed_at_started() {
    let restarted = kill_at(CAPSULE_RELEASE, "Started");

    let reason = assert_interrupted(&restarted, CAPSULE_RELEASE);
    assert!(reason.contains("reports version 65586"), "{reason}");
    assert!(reason.contains("no capsule was withdrawn"), "{reason}");
    assert_no_capsule_pending(&restarted.lab);

    retry_capsule(restarted, &["staged", "applying", "failed"]);
}

#[test]
fn capsule_killed_at_backend_applied() {
    let restarted = kill_at(CAPSULE_RELEASE, "BackendApplied");

    let reason = assert_interrupted(&restarted, CAPSULE_RELEASE);
    assert!(
        reason.contains("the staged capsule was withdrawn"),
        "{reason}"
    );
    assert_no_capsule_pending(&restarted.lab);

    retry_capsule(restarted, &["staged", "applying", "failed"]);
}

#[test]
fn capsule_killed_at_pending_saved() {
    let restarted = kill_at(CAPSULE_RELEASE, "PendingSaved");

    // The record reached `pending-reboot` before the kill, so the restart completes
    // the history instead of failing the attempt.
    let expected = ["staged", "applying", "pending-reboot"];
    assert_eq!(restarted.before.len(), 2, "{:?}", restarted.before);
    assert_capsule_pending(&restarted.lab, &expected);

    reboot_and_verify(restarted, &expected);
}

#[test]
fn capsule_killed_at_recorded() {
    let restarted = kill_at(CAPSULE_RELEASE, "Recorded");

    let expected = ["staged", "applying", "pending-reboot"];
    assert_eq!(restarted.lab.history(), restarted.before);
    assert_capsule_pending(&restarted.lab, &expected);

    reboot_and_verify(restarted, &expected);
}
