//! End to end: an NVM update of the laptop's Thunderbolt host router `0-0` inside an
//! open window, with a thread in the role of the router's controller.
//!
//! In a fixture nothing takes the authentication request, so each test starts a
//! thread that waits until the daemon writes `1` to `nvm_authenticate` and then
//! changes the router's files as the kernel would. The router leaves the bus and
//! comes back with a new `nvm_version` and status `0`, or it reports status `0`
//! and keeps its old image.

use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hwupd_tests::lab::{check_history, last_reason, Expected, Lab, Release};
use hwupd_tests::lab::{MANUAL_SCHEDULE, OPEN_WINDOW};

const RELEASE: &str = "thinkpad-tbt-20.03";
const ROUTER: &str = "/sys/bus/thunderbolt/devices/0-0";
/// The GUID of the router's instance ID `TBT-808615d3`.
const ROUTER_GUID: &str = "045574a1-e78a-51a0-844a-7495820b2ada";

/// What the controller does once the daemon requests authentication.
#[derive(Clone, Copy)]
enum Controller {
    /// Restarts with the new image: the folder leaves and comes back with
    /// `nvm_version` 20.3 and status `0`.
    Restart,
    /// Reports status `0` but keeps running the old image.
    KeepOldImage,
}

/// Returns an NVM image of three 4 KiB chunks, the last one partial.
fn image() -> Vec<u8> {
    (0..2 * 4096 + 100).map(|i| (i / 4096) as u8 + 1).collect()
}

/// Returns the laptop with the NVM files that the kernel shows for an upgradable
/// router, which the fixture leaves out because the inventory never reads them.
fn router_lab() -> Lab {
    let release = Release {
        id: RELEASE,
        guid: ROUTER_GUID,
        version: "20.03",
        version_format: "pair",
        method: "thunderbolt",
        severity: "high",
        payload: image(),
    };
    let lab = Lab::new("laptop", &[release]);
    lab.root
        .write(&format!("{ROUTER}/nvm_non_active0/nvmem"), "");
    lab.root
        .write(&format!("{ROUTER}/nvm_active0/nvmem"), "active image");
    lab.root.write(&format!("{ROUTER}/nvm_authenticate"), "0\n");
    lab
}

/// Starts the controller thread for the router's real folder behind the bus symlink.
/// The thread returns whether it saw the request, and gives up after a minute so a
/// daemon that never writes it does not keep the test running.
fn start_controller(lab: &Lab, controller: Controller) -> JoinHandle<bool> {
    let folder = std::fs::canonicalize(lab.root.path(ROUTER)).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !requested(&folder) {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        respond(&folder, controller);
        true
    })
}

fn requested(folder: &Path) -> bool {
    let request = std::fs::read_to_string(folder.join("nvm_authenticate"));
    request.is_ok_and(|text| text.trim() == "1")
}

fn respond(folder: &Path, controller: Controller) {
    match controller {
        Controller::Restart => {
            let away = folder.with_file_name("0-0.restarting");
            std::fs::rename(folder, &away).unwrap();
            std::fs::write(away.join("nvm_version"), "20.3\n").unwrap();
            std::fs::write(away.join("nvm_authenticate"), "0\n").unwrap();
            std::thread::sleep(Duration::from_millis(100));
            std::fs::rename(&away, folder).unwrap();
        }
        Controller::KeepOldImage => {
            std::fs::write(folder.join("nvm_authenticate"), "0\n").unwrap();
        }
    }
}

fn config() -> String {
    format!("{MANUAL_SCHEDULE}{OPEN_WINDOW}")
}

fn expected<'a>(device_id: &'a str, sha256: &'a str) -> Expected<'a> {
    Expected {
        release_id: RELEASE,
        device_id,
        version_before: "20.02",
        version_after: "20.03",
        sha256,
        method: "thunderbolt",
    }
}

#[test]
fn nvm_image_authenticates_and_verifies() {
    let lab = router_lab();
    let _daemon = lab.stage_and_try_closed_window(RELEASE, MANUAL_SCHEDULE);
    let device = lab.device("thunderbolt/0-0");
    let device_id = device["id"].as_str().unwrap();
    let sha256 = lab.payload_sha256(RELEASE);
    let controller = start_controller(&lab, Controller::Restart);

    let applied = lab.hwupctl_ok(&["apply", RELEASE]);

    assert!(
        controller.join().unwrap(),
        "the daemon never requested authentication"
    );
    assert_eq!(applied.stdout.trim(), format!("{RELEASE}: succeeded"));
    let nvmem = std::fs::read(lab.root.path(&format!("{ROUTER}/nvm_non_active0/nvmem")));
    assert_eq!(nvmem.unwrap(), image());
    let states = ["staged", "applying", "succeeded"];
    check_history(&lab.history(), &states, &expected(device_id, &sha256));
    assert_eq!(lab.device("thunderbolt/0-0")["version"], "20.03");
}

#[test]
fn unchanged_nvm_version_fails() {
    let lab = router_lab();
    lab.configure(&config());
    let _daemon = lab.start();
    let device = lab.device("thunderbolt/0-0");
    let device_id = device["id"].as_str().unwrap();
    let sha256 = lab.payload_sha256(RELEASE);
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", RELEASE]);
    let controller = start_controller(&lab, Controller::KeepOldImage);

    let applied = lab.hwupctl(&["apply", RELEASE]);

    assert!(
        controller.join().unwrap(),
        "the daemon never requested authentication"
    );
    assert_eq!(applied.code, Some(1), "{}", applied.stdout);
    let history = lab.history();
    let states = ["staged", "applying", "failed"];
    check_history(&history, &states, &expected(device_id, &sha256));
    let reason = last_reason(&history);
    assert!(
        reason.contains("nvm_version reports version 20.02, expected 20.03"),
        "{reason}"
    );
    assert!(applied.stderr.contains(&reason), "{}", applied.stderr);
    assert_eq!(lab.device("thunderbolt/0-0")["version"], "20.02");
}

#[test]
fn rollback_is_rejected_for_thunderbolt() {
    let lab = router_lab();
    lab.configure(&config());
    let _daemon = lab.start();
    let device_id = lab.device("thunderbolt/0-0")["id"]
        .as_str()
        .unwrap()
        .to_string();
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", RELEASE]);
    let controller = start_controller(&lab, Controller::Restart);
    lab.hwupctl_ok(&["apply", RELEASE]);
    assert!(controller.join().unwrap(), "no authentication request");
    let history = lab.history();

    let rejected = lab.hwupctl(&["rollback", &device_id, "--yes"]);

    assert_eq!(rejected.code, Some(1), "{}", rejected.stdout);
    assert!(
        rejected
            .stderr
            .contains("thunderbolt cannot roll back device"),
        "{}",
        rejected.stderr
    );
    assert!(
        rejected.stderr.contains("install an older release instead"),
        "{}",
        rejected.stderr
    );
    assert_eq!(lab.history(), history);
    assert_eq!(lab.device("thunderbolt/0-0")["version"], "20.03");
}
