//! Runs the built `hwupd` binary with a config or state folder it cannot read, and
//! checks that the error names the cause once.

use std::path::PathBuf;
use std::process::Command;

fn vm_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/vm")
}

/// Runs hwupd with `args` and returns its stderr. hwupd must fail before it connects
/// to a bus.
fn failing_hwupd(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_hwupd"))
        .args(args)
        .env("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn missing_config_names_os_error_once() {
    let stderr = failing_hwupd(&["--config", "/nonexistent/hwupd.toml", "inventory"]);

    assert!(stderr.contains("/nonexistent/hwupd.toml"), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

#[test]
fn unopenable_history_names_error_once() {
    let state = tempfile::tempdir().unwrap();
    std::fs::create_dir(state.path().join("history.sqlite")).unwrap();
    let config = tempfile::NamedTempFile::new().unwrap();
    let root = vm_fixture();

    let stderr = failing_hwupd(&[
        "--root",
        root.to_str().unwrap(),
        "--state-dir",
        state.path().to_str().unwrap(),
        "--config",
        config.path().to_str().unwrap(),
    ]);

    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains("opening the history"), "{stderr}");
    assert_eq!(
        last.matches("unable to open database file").count(),
        1,
        "{stderr}"
    );
}
