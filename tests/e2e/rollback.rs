//! End to end: `hwupctl rollback` of an emulated device, its confirmation, its JSON
//! output, and the errors for device ids that have nothing to roll back.

use std::process::Command;

use hwupd_tests::bus::TestBus;
use hwupd_tests::daemon::Daemon;
use hwupd_tests::lab::{Lab, Release, MANUAL_SCHEDULE, OPEN_WINDOW};
use hwupd_tests::{binary, fixture, parse_json, run, Run};

const RELEASE: &str = "demo-bmc-2.0";
/// The GUID that the emulated device declares in its config.
const GUID: &str = "5b0c3a3e-8d52-4f0e-9a5c-2f6b1d7e4c10";

/// Returns a lab with an emulated BMC at 1.0 and a release of 2.0 for it.
fn emulated_lab() -> Lab {
    let release = Release {
        id: RELEASE,
        guid: GUID,
        version: "2.0",
        version_format: "pair",
        method: "emulated",
        severity: "high",
        payload: b"2.0\n".to_vec(),
    };
    let lab = Lab::new("vm", &[release]);
    lab.configure(&format!(
        "[[emulated.devices]]\nid = \"bmc\"\nname = \"Demo BMC\"\nversion = \"1.0\"\n\
         version_format = \"pair\"\nguid = \"{GUID}\"\n{MANUAL_SCHEDULE}{OPEN_WINDOW}"
    ));
    lab
}

/// Calls a Manager method with busctl and returns the result.
fn busctl_call(bus: &TestBus, args: &[&str]) -> Run {
    run(Command::new("busctl")
        .arg(format!("--address={}", bus.address))
        .args([
            "call",
            "org.hwupd.Hwupd1",
            "/org/hwupd/Hwupd1/Manager",
            "org.hwupd.Hwupd1.Manager",
            "Rollback",
        ])
        .args(args))
}

#[test]
fn emulated_rollback_needs_yes_and_prints_json() {
    let lab = emulated_lab();
    let _daemon = lab.start();
    let device_id = lab.device("emulated/bmc")["id"]
        .as_str()
        .unwrap()
        .to_string();
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", RELEASE]);
    lab.hwupctl_ok(&["apply", RELEASE]);
    let applied = lab.history();

    let unconfirmed = lab.hwupctl(&["rollback", &device_id]);

    assert_eq!(unconfirmed.code, Some(2), "{}", unconfirmed.stdout);
    assert!(
        unconfirmed.stderr.contains("confirm with --yes"),
        "{}",
        unconfirmed.stderr
    );
    assert_eq!(lab.history(), applied);
    assert_eq!(lab.device("emulated/bmc")["version"], "2.0");

    let rolled_back = lab.hwupctl_ok(&["rollback", &device_id, "--yes", "--json"]);

    let result = parse_json(&rolled_back);
    assert_eq!(result["outcome"], "rolled-back", "{result}");
    assert_eq!(result["release_id"], RELEASE, "{result}");
    assert_eq!(result["install_method"], "emulated", "{result}");
    assert_eq!(result["version_before"], "2.0", "{result}");
    assert_eq!(result["version_after"], "1.0", "{result}");
    assert_eq!(result["pending_reboot"], false, "{result}");
    assert_eq!(result["reason"], "rolled back by request", "{result}");
    assert_eq!(lab.device("emulated/bmc")["version"], "1.0");
    let states = lab.states();
    assert_eq!(states, ["staged", "applying", "succeeded", "rolled-back"]);

    // The release is offered again by version, but held back, so no window retries it.
    let updates = parse_json(&lab.hwupctl_ok(&["updates", "--json"]));
    let entry = &updates["updates"][0];
    assert_eq!(entry["release_id"], RELEASE, "{updates}");
    let reason = entry["held_back_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("rolled back"), "{updates}");
    for command in [
        vec!["stage", RELEASE],
        vec!["apply", RELEASE, "--now", "--yes"],
    ] {
        let refused = lab.hwupctl(&command);
        assert_ne!(refused.code, Some(0), "{command:?}: {}", refused.stdout);
        assert!(
            refused.stderr.contains("is held back"),
            "{}",
            refused.stderr
        );
        assert!(refused.stderr.contains("rolled back"), "{}", refused.stderr);
    }
}

#[test]
fn bad_device_ids_are_rejected() {
    let bus = TestBus::start();
    let _daemon = Daemon::start(&bus, &fixture("vm"), &[]);
    let hwupctl = |args: &[&str]| run(bus.command(binary("hwupctl")).args(args));
    let devices = parse_json(&hwupctl(&["devices", "--json"]));
    let device_id = devices["devices"][0]["id"].as_str().unwrap().to_string();

    let unknown = hwupctl(&["rollback", "no-such-device", "--yes"]);
    let empty = hwupctl(&["rollback", "", "--yes"]);
    let no_update = hwupctl(&["rollback", &device_id, "--yes"]);

    assert_eq!(unknown.code, Some(6), "{}", unknown.stderr);
    assert!(
        unknown
            .stderr
            .contains("device \"no-such-device\" not found"),
        "{}",
        unknown.stderr
    );
    assert!(
        unknown.stderr.contains("`hwupctl devices`"),
        "{}",
        unknown.stderr
    );
    assert_eq!(empty.code, Some(6), "{}", empty.stderr);
    assert_eq!(no_update.code, Some(1), "{}", no_update.stderr);
    assert!(
        no_update.stderr.contains("has no update in the history"),
        "{}",
        no_update.stderr
    );
}

#[test]
fn busctl_rejects_wrong_rollback_signature() {
    let bus = TestBus::start();
    let _daemon = Daemon::start(&bus, &fixture("vm"), &[]);

    let cases = [
        (vec!["u", "7"], "got `u`, expected `s`"),
        (vec![], "got ``, expected `s`"),
        (vec!["ss", "a", "b"], "got `(ss)`, expected `s`"),
    ];
    for (args, mismatch) in cases {
        let output = busctl_call(&bus, &args);

        assert_ne!(output.code, Some(0), "{args:?}: {}", output.stdout);
        assert!(
            output.stderr.contains(mismatch),
            "{args:?}: {}",
            output.stderr
        );
    }

    // The daemon still serves after the bad calls.
    let unknown = busctl_call(&bus, &["s", "no-such-device"]);
    assert!(unknown.stderr.contains("not found"), "{}", unknown.stderr);
}

/// Returns the ID column of the `hwupctl devices` row that names `name`.
fn table_id(lab: &Lab, name: &str) -> String {
    let table = lab.hwupctl_ok(&["devices"]).stdout;
    let row = table.lines().find(|line| line.contains(name));
    let row = row.unwrap_or_else(|| panic!("no {name} row in:\n{table}"));
    row.split_whitespace().last().unwrap().to_string()
}

#[test]
fn table_ids_work_as_device_ids() {
    let lab = emulated_lab();
    let _daemon = lab.start();
    let full_id = lab.device("emulated/bmc")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let short_id = table_id(&lab, "Demo BMC");
    assert_eq!(short_id.len(), 12, "{short_id}");
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", RELEASE]);
    lab.hwupctl_ok(&["apply", RELEASE]);

    let history = parse_json(&lab.hwupctl_ok(&["history", "--device", &short_id, "--json"]));
    let rolled_back = lab.hwupctl_ok(&["rollback", &short_id, "--yes"]);

    let records = history["history"].as_array().unwrap();
    assert_eq!(records.len(), 3, "{history}");
    assert!(
        records.iter().all(|record| record["device_id"] == full_id),
        "{history}"
    );
    assert!(
        rolled_back
            .stdout
            .starts_with(&format!("{full_id}: rolled back")),
        "{}",
        rolled_back.stdout
    );
    assert_eq!(lab.device("emulated/bmc")["version"], "1.0");
}

#[test]
fn unknown_history_device_is_not_found() {
    let bus = TestBus::start();
    let _daemon = Daemon::start(&bus, &fixture("vm"), &[]);

    let unknown = run(bus
        .command(binary("hwupctl"))
        .args(["history", "--device", "ffffffffffff"]));

    assert_eq!(unknown.code, Some(6), "{}", unknown.stdout);
    assert!(
        unknown.stderr.contains("device \"ffffffffffff\" not found"),
        "{}",
        unknown.stderr
    );
    assert!(unknown.stdout.is_empty(), "{}", unknown.stdout);
}
