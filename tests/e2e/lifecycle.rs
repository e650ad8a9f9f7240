//! End to end: how the daemon process reacts to SIGHUP, SIGINT and SIGTERM in the middle
//! of an apply, and to a second daemon on the same state folder.

use std::path::Path;
use std::time::{Duration, Instant};

use hwupd_tests::lab::{Lab, EMULATED_RELEASE};
use hwupd_tests::pause::PausePoint;
use hwupd_tests::{binary, parse_json, run};

/// Upper bound on waits for the daemon. It only keeps a daemon that never gets there from
/// hanging the test run.
const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn sighup_is_logged_and_ignored() {
    let lab = Lab::emulated_bmc();
    let pause = PausePoint::new(lab.bus.scratch("pause"), "Started");
    let log = lab.bus.scratch("logs").join("hwupd.log");
    let mut daemon = lab.start_with_log(&pause.env(), &log);
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", EMULATED_RELEASE]);
    let mut client = lab.spawn_hwupctl(&["apply", EMULATED_RELEASE]);
    pause.wait(&mut client);

    daemon.signal("HUP");
    wait_for_log(&log, "received SIGHUP and ignored it");

    assert!(daemon.is_running());
    let status = parse_json(&lab.hwupctl_ok(&["status", "--json"]));
    assert_eq!(status["status"], "applying demo-bmc-2.0", "{status}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("systemctl restart hwupd"), "{text}");
    assert!(!text.contains("service stopping"), "{text}");

    // The apply goes on as if no signal had come.
    pause.release();
    let applied = client
        .wait_with_output()
        .expect("waiting for hwupctl apply");
    assert!(applied.status.success(), "{applied:?}");
    assert_eq!(lab.states(), ["staged", "applying", "succeeded"]);
}

#[test]
fn sigint_waits_for_running_apply() {
    stop_during_apply("INT");
}

#[test]
fn sigterm_waits_for_running_apply() {
    stop_during_apply("TERM");
}

/// Sends the stop signal `name` while an apply is paused, lets the apply go on, and checks
/// that the daemon exits with 0 only after the apply recorded `succeeded`.
fn stop_during_apply(name: &str) {
    let lab = Lab::emulated_bmc();
    let pause = PausePoint::new(lab.bus.scratch("pause"), "Started");
    let log = lab.bus.scratch("logs").join("hwupd.log");
    let daemon = lab.start_with_log(&pause.env(), &log);
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", EMULATED_RELEASE]);
    let mut client = lab.spawn_hwupctl(&["apply", EMULATED_RELEASE]);
    pause.wait(&mut client);

    daemon.signal(name);
    wait_for_log(
        &log,
        "waiting for the running apply to finish before exiting",
    );
    pause.release();
    let code = daemon.wait_for_exit(LIMIT);
    let _ = client.wait();

    assert_eq!(code, Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    let stopping = text.lines().find(|line| line.contains("service stopping"));
    let signal = format!("SIG{name}");
    assert!(
        stopping.is_some_and(|line| line.contains(&signal)),
        "{text}"
    );
    assert!(text.contains("the running update finished"), "{text}");
    let _restarted = lab.start();
    assert_eq!(lab.states(), ["staged", "applying", "succeeded"]);
    assert_eq!(lab.device("emulated/bmc")["version"], "2.0");
}

#[test]
fn second_daemon_leaves_state_alone() {
    let lab = Lab::emulated_bmc();
    let daemon = lab.start();
    let state_dir = lab.state_dir();
    // Opening the staging folder deletes files it does not know.
    let stray = state_dir.join("staged/stray");
    std::fs::write(&stray, "left by an operator").unwrap();
    let index = std::fs::read(state_dir.join("staged/index.json")).unwrap();

    let second = run(lab
        .bus
        .command(binary("hwupd"))
        .arg("--root")
        .arg(lab.root.base())
        .arg("--state-dir")
        .arg(&state_dir)
        .env("HWUPD_LOG", "info"));

    assert_eq!(second.code, Some(1), "{}", second.stderr);
    let expected = format!(
        "state folder {} is in use by another hwupd (PID {})",
        state_dir.display(),
        daemon.pid()
    );
    assert!(second.stderr.contains(&expected), "{}", second.stderr);
    assert!(
        !second.stderr.contains("opened the staging folder"),
        "{}",
        second.stderr
    );
    assert!(stray.exists());
    let index_after = std::fs::read(state_dir.join("staged/index.json")).unwrap();
    assert_eq!(index_after, index);
    lab.hwupctl_ok(&["status"]);
}

/// Polls the daemon's log until it contains `text`.
fn wait_for_log(log: &Path, text: &str) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let content = std::fs::read_to_string(log).unwrap_or_default();
        if content.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the log has no {text:?}:\n{content}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
