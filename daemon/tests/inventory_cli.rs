//! Runs the built `hwupd inventory` binary against the fixture roots.

use std::path::PathBuf;
use std::process::{Command, Output};

use hwupd::inventory::scan;
use hwupd::root::Root;
use serde_json::Value;

const FIXTURES: [&str; 3] = ["laptop", "server", "vm"];

const DEVICE_KEYS: [&str; 14] = [
    "attributes",
    "driver",
    "guids",
    "id",
    "instance_ids",
    "kind",
    "name",
    "physical_id",
    "serial_hash",
    "vendor",
    "version",
    "version_format",
    "version_lowest",
    "version_raw",
];

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

/// Runs `hwupd` with an empty config file, so that a config on the test
/// machine cannot change the result.
fn run_hwupd(args: &[&str]) -> Output {
    let config = tempfile::NamedTempFile::new().unwrap();
    Command::new(env!("CARGO_BIN_EXE_hwupd"))
        .arg("--config")
        .arg(config.path())
        .args(args)
        .output()
        .expect("running hwupd")
}

fn run_inventory(fixture: &str, json: bool) -> Output {
    let root = fixture_path(fixture);
    let mut args = vec!["inventory", "--root", root.to_str().unwrap()];
    if json {
        args.push("--json");
    }
    run_hwupd(&args)
}

#[test]
fn json_output_has_inventory_shape() {
    for fixture in FIXTURES {
        let output = run_inventory(fixture, true);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{fixture}: {stderr}");
        assert!(output.stderr.is_empty(), "{fixture}: {stderr}");

        let inventory: Value = serde_json::from_slice(&output.stdout).unwrap();
        let keys: Vec<&String> = inventory.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["devices", "hardware_ids", "kernel_release"]);
        assert!(inventory["kernel_release"].is_string(), "{fixture}");
        assert!(inventory["hardware_ids"].is_array(), "{fixture}");

        let devices = inventory["devices"].as_array().unwrap();
        assert!(!devices.is_empty(), "{fixture}");
        for device in devices {
            let keys: Vec<&String> = device.as_object().unwrap().keys().collect();
            assert_eq!(keys, DEVICE_KEYS, "{fixture}");
            assert!(device["instance_ids"].is_array(), "{fixture}");
            assert!(device["guids"].is_array(), "{fixture}");
        }
    }
}

#[test]
fn json_output_matches_library_scan() {
    for fixture in FIXTURES {
        let output = run_inventory(fixture, true);
        let from_binary: Value = serde_json::from_slice(&output.stdout).unwrap();

        let inventory = scan(&Root::new(fixture_path(fixture))).unwrap();
        let from_library = serde_json::to_value(&inventory).unwrap();
        assert_eq!(from_binary, from_library, "{fixture}");
    }
}

#[test]
fn table_output_lists_devices() {
    let output = run_inventory("laptop", false);
    assert_eq!(output.status.code(), Some(0));

    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("KIND "), "{stdout}");
    assert!(stdout.contains("THNSN5512GPU7 TOSHIBA"), "{stdout}");
    assert_eq!(
        stdout.lines().last(),
        Some("24 devices, kernel 6.1.0-18-amd64")
    );
}

#[test]
fn missing_root_fails_with_one_line() {
    let output = run_hwupd(&["inventory", "--root", "/nonexistent", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());

    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("hwupd: "), "{stderr}");
    assert!(stderr.contains("/nonexistent"), "{stderr}");
    assert!(stderr.contains("--root"), "{stderr}");
}
