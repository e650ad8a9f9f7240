//! The laptop fixture's inventory against a small catalog, through both catalog readers.

use std::path::PathBuf;

use crate::catalog::document::ValidateOptions;
use crate::inventory::{self, Inventory};
use crate::matching::{match_inventory, read_for_machine, update_entries, MachineIds};
use crate::root::Root;

use super::*;

const CATALOG: &str = include_str!("../testdata/laptop-catalog.json");

fn laptop() -> Inventory {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/laptop");
    inventory::scan(&Root::new(root)).unwrap()
}

fn device_named<'a>(inventory: &'a Inventory, kind: DeviceKind, name: &str) -> &'a Device {
    let found = inventory
        .devices
        .iter()
        .find(|d| d.kind == kind && d.name == name);
    found.unwrap_or_else(|| panic!("no {kind} device named {name:?} in the laptop fixture"))
}

#[test]
fn laptop_entries_are_sorted_with_reasons() {
    let inventory = laptop();
    let catalog = Catalog::parse(CATALOG.as_bytes(), &ValidateOptions::default()).unwrap();

    let entries = update_entries(&match_inventory(&catalog, &inventory));

    let rows: Vec<(&str, Option<&str>)> = entries
        .iter()
        .map(|entry| (entry.release_id.as_str(), entry.held_back_reason.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            ("thinkpad-bios-0.1.51", None),
            ("intel-ucode-0xf6", None),
            (
                "intel-me-184.50.14.0",
                Some(
                    "the device's version 184.50.13.97 is below the release's lowest \
                     supported version 184.50.14.0; install an intermediate release first"
                )
            ),
            ("toshiba-nvme-410557LB", None),
            (
                "stm-tpm-13.13.0",
                Some("cannot compare versions: device reports 13.12 as pair, release uses triplet")
            ),
        ]
    );
}

#[test]
fn laptop_bios_entry_has_device_and_release_fields() {
    let inventory = laptop();
    let catalog = Catalog::parse(CATALOG.as_bytes(), &ValidateOptions::default()).unwrap();
    let esrt = device_named(&inventory, DeviceKind::UefiEsrt, "System Firmware");

    let entries = update_entries(&match_inventory(&catalog, &inventory));

    let bios = &entries[0];
    assert_eq!(bios.device_id, esrt.id);
    assert_eq!(bios.device_name, "System Firmware");
    assert_eq!(bios.current_version, "65586");
    assert_eq!(bios.remote_id, "lab");
    assert_eq!(bios.version, "0.1.51");
    assert_eq!(bios.severity, Severity::Critical);
    assert_eq!(bios.cves, ["CVE-2025-10001", "CVE-2025-10002"]);
    assert!(bios.known_exploited);
    assert_eq!(bios.released, Date::constant(2025, 4, 2));
    assert_eq!(bios.summary, "Fixes SMM privilege escalation");
    assert_eq!(bios.install_method, InstallMethod::UefiCapsule);
    assert!(bios.reboot_required);
    assert_eq!(bios.payload_size, 16_777_216);
}

#[test]
fn laptop_statuses_per_device() {
    let inventory = laptop();
    let catalog = Catalog::parse(CATALOG.as_bytes(), &ValidateOptions::default()).unwrap();
    let matcher = Matcher::new(&catalog, &inventory.hardware_ids);
    let status = |kind, name| {
        matcher
            .match_device(device_named(&inventory, kind, name))
            .status
    };

    let thunderbolt = status(DeviceKind::Thunderbolt, "ThinkPad");
    let iwlwifi = status(DeviceKind::KernelModule, "iwlwifi");
    let nvme_module = status(DeviceKind::KernelModule, "nvme");
    let tpm = status(DeviceKind::Tpm, "TPM");

    assert_eq!(thunderbolt, MatchStatus::NewerThanAll);
    assert_eq!(iwlwifi, MatchStatus::UpToDate);
    assert_eq!(nvme_module, MatchStatus::NoReleases);
    assert_eq!(tpm, MatchStatus::NoReleases);
}

#[test]
fn laptop_streaming_reader_keeps_matching_releases() {
    let inventory = laptop();
    let options = ValidateOptions::default();
    let full = Catalog::parse(CATALOG.as_bytes(), &options).unwrap();

    let filtered = read_for_machine(CATALOG.as_bytes(), &options, &MachineIds::new(&inventory));

    let filtered = filtered.unwrap();
    let kept: Vec<&str> = filtered
        .catalog
        .releases
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(filtered.total_releases, full.releases.len());
    assert!(!kept.contains(&"other-model-bios-0.1.60"));
    assert!(!kept.contains(&"dell-dock-1.2.3"));
    assert_eq!(kept.len(), full.releases.len() - 2);
    assert_eq!(
        update_entries(&match_inventory(&filtered.catalog, &inventory)),
        update_entries(&match_inventory(&full, &inventory))
    );
}
