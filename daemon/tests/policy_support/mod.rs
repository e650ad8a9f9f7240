//! Builders shared by the policy, window and scheduler tests.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::path::Path;

use hwupd::calendar::CalendarSpec;
use hwupd::catalog::document::Release;
use hwupd::policy::{Environment, MachineId, Policy, PowerState};
use hwupd::window::{parse_timespan, Window, Windows};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::json;

pub const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

pub const MACHINE_ID: &str = "4c9a1c2f5e8b4d7a9f3e2b1c0d9e8f7a";

pub fn at(text: &str) -> Timestamp {
    text.parse().expect("RFC 3339 test timestamp")
}

/// Returns a broad, 100% release of `severity`, installed as a UEFI capsule.
pub fn release(id: &str, severity: &str, release_date: &str) -> Release {
    release_with(id, severity, release_date, "uefi-capsule")
}

pub fn release_with(id: &str, severity: &str, release_date: &str, method: &str) -> Release {
    let value = json!({
        "id": id,
        "name": "System firmware",
        "summary": "Fixes a boot hang",
        "devices": { "guids": ["f9203adb-b862-5263-88e9-373204438174"] },
        "version": "2.1.0",
        "version_format": "triplet",
        "severity": severity,
        "release_date": release_date,
        "install_method": method,
        "payload": { "path": format!("{id}.cap"), "sha256": SHA256, "size": 4096 },
        "rollout": { "ring": "broad", "percentage": 100 },
    });
    serde_json::from_value(value).expect("test release")
}

/// Returns windows evaluated in UTC where the expression has no zone suffix.
pub fn windows(list: &[(&str, &str, &str)]) -> Windows {
    let windows = list
        .iter()
        .map(|(name, calendar, duration)| {
            let spec = CalendarSpec::parse(calendar, &TimeZone::UTC).expect("test calendar");
            let duration = parse_timespan(duration).expect("test duration");
            Window::new(name, spec, duration).expect("test window")
        })
        .collect();
    Windows::new(windows, TimeZone::UTC).expect("test windows")
}

/// Returns the default policy for a machine with [`MACHINE_ID`].
pub fn policy() -> Policy {
    Policy {
        machine_id: MachineId::new(MACHINE_ID),
        ..Policy::default()
    }
}

pub fn environment<'a>(
    now: Timestamp,
    windows: &'a Windows,
    power: &'a PowerState,
) -> Environment<'a> {
    Environment {
        now,
        windows,
        power,
        apply_now: false,
    }
}

/// One power supply of a fixture: its name and attribute files.
pub struct Supply<'a> {
    pub name: &'a str,
    pub attributes: &'a [(&'a str, &'a str)],
}

/// Writes power supplies under `root` as the kernel lays them out: a folder
/// under the device and a symlink to it in `/sys/class/power_supply`.
pub fn write_power_supplies(root: &Path, supplies: &[Supply<'_>]) {
    let class = root.join("sys/class/power_supply");
    std::fs::create_dir_all(&class).unwrap();
    for supply in supplies {
        let relative = format!("devices/platform/PNP0C0A:00/power_supply/{}", supply.name);
        let folder = root.join("sys").join(&relative);
        std::fs::create_dir_all(&folder).unwrap();
        for (name, value) in supply.attributes {
            std::fs::write(folder.join(name), format!("{value}\n")).unwrap();
        }
        std::os::unix::fs::symlink(format!("../../{relative}"), class.join(supply.name)).unwrap();
    }
}
