//! Tests of matching, update entries and the streaming catalog reader.

mod entries;
mod laptop;
mod proptests;
mod rules;
mod status;
mod stream;

use jiff::civil::Date;

use crate::catalog::document::{
    Catalog, Devices, InstallMethod, Payload, Release, Replaces, Ring, Rollout, Severity,
    VersionFormat,
};
use crate::device::{Device, DeviceKind};

use super::{HoldReason, MatchStatus, Matcher};

/// Instance ID of the test device. Releases name it unless a test changes them.
const INSTANCE_ID: &str = "PCI\\VEN_8086&DEV_15BB";

/// A hardware ID of the test machine.
const MACHINE_HWID: &str = "6de5d951-d755-576b-bd09-c5cf66b27234";

/// Builds a PCI device with `INSTANCE_ID` and its GUID.
fn device(version: &str, format: &str) -> Device {
    let mut device = Device::new(DeviceKind::Pci, "pci/0000:00:1f.6");
    device.name = "Ethernet controller".to_owned();
    device.version = version.to_owned();
    device.version_format = format.to_owned();
    device.add_instance_id(INSTANCE_ID);
    device
}

/// Builds a valid release for `INSTANCE_ID` with `version` in `format`.
fn release(id: &str, version: &str, format: &str) -> Release {
    Release {
        id: id.to_owned(),
        name: "NIC firmware".to_owned(),
        summary: format!("NIC firmware {version}"),
        description: None,
        vendor: None,
        devices: Devices {
            guids: Vec::new(),
            instance_ids: vec![INSTANCE_ID.to_owned()],
        },
        hardware_ids: Vec::new(),
        version: version.to_owned(),
        version_format: VersionFormat::from(format.to_owned()),
        replaces: None,
        lowest_supported_version: None,
        severity: Severity::Medium,
        cves: Vec::new(),
        known_exploited: false,
        release_date: Date::constant(2025, 5, 1),
        install_method: InstallMethod::UefiCapsule,
        payload: Payload {
            path: format!("firmware/{id}.cap"),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
            size: 4096,
            url: None,
        },
        reboot_required: true,
        rollout: Rollout {
            ring: Ring::Broad,
            percentage: 100,
        },
    }
}

fn triplet(id: &str, version: &str) -> Release {
    release(id, version, "triplet")
}

fn replaces(versions: &[&str], min: Option<&str>, max: Option<&str>) -> Option<Replaces> {
    Some(Replaces {
        versions: versions.iter().map(|v| v.to_string()).collect(),
        min: min.map(str::to_owned),
        max: max.map(str::to_owned),
    })
}

fn catalog(releases: Vec<Release>) -> Catalog {
    let issued = "2025-06-01T00:00:00Z".parse().unwrap();
    let expires = "2025-07-01T00:00:00Z".parse().unwrap();
    let mut catalog = Catalog::new("lab", issued, expires);
    catalog.releases = releases;
    catalog
}

/// A match result with owned release ids, so tests can compare it after the catalog
/// and device are gone.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    UpToDate,
    Update { newest: String, others: Vec<String> },
    NewerThanAll,
    NoReleases,
}

struct Matched {
    outcome: Outcome,
    held_back: Vec<(String, HoldReason)>,
}

/// Matches `device` against a catalog of `releases` on a machine with `MACHINE_HWID`.
fn run(device: &Device, releases: Vec<Release>) -> Matched {
    let catalog = catalog(releases);
    let matcher = Matcher::new(&catalog, &[MACHINE_HWID.to_owned()]);
    let found = matcher.match_device(device);
    let outcome = match found.status {
        MatchStatus::UpToDate => Outcome::UpToDate,
        MatchStatus::UpdateAvailable { newest, others } => Outcome::Update {
            newest: newest.id.clone(),
            others: others.iter().map(|release| release.id.clone()).collect(),
        },
        MatchStatus::NewerThanAll => Outcome::NewerThanAll,
        MatchStatus::NoReleases => Outcome::NoReleases,
    };
    let held_back = found
        .held_back
        .into_iter()
        .map(|held| (held.release.id.clone(), held.reason))
        .collect();
    Matched { outcome, held_back }
}

fn update(newest: &str) -> Outcome {
    Outcome::Update {
        newest: newest.to_owned(),
        others: Vec::new(),
    }
}
