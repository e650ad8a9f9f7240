//! End to end: a capsule update of the laptop's system firmware ESRT entry, staged on
//! the ESP inside an open window, then verified from the ESRT after a simulated reboot.

use hwupd_tests::lab::OPEN_WINDOW;
use hwupd_tests::lab::{check_history, last_reason, Expected, Lab, Release, MANUAL_SCHEDULE};

const RELEASE: &str = "laptop-uefi-65590";
/// The fw_class of the laptop fixture's system firmware entry, `entry0`.
const FW_CLASS: &str = "ddc0ee61-e7f0-4e7d-acc5-c070a398838e";
const ENTRY: &str = "/sys/firmware/efi/esrt/entries/entry0";
const CAPSULE: &str = "/boot/efi/EFI/UpdateCapsule/ddc0ee61-e7f0-4e7d-acc5-c070a398838e.cap";
const OS_INDICATIONS: &str =
    "/sys/firmware/efi/efivars/OsIndications-8be4df61-93ca-11d2-aa0d-00e098032b8c";
const OS_INDICATIONS_SUPPORTED: &str =
    "/sys/firmware/efi/efivars/OsIndicationsSupported-8be4df61-93ca-11d2-aa0d-00e098032b8c";
/// EFI_OS_INDICATIONS_FILE_CAPSULE_DELIVERY_SUPPORTED, bit 2 of OsIndications.
const FILE_CAPSULE_DELIVERY: u64 = 0x4;
const CONFIG: &str = "[backends]\nesp = \"/boot/efi\"\n";

/// Builds a capsule of `total` bytes whose EFI_CAPSULE_HEADER gives its size.
fn capsule(total: u32) -> Vec<u8> {
    let mut bytes = vec![0x5a; total as usize];
    bytes[..16].copy_from_slice(&[0x61; 16]);
    bytes[16..20].copy_from_slice(&28u32.to_le_bytes());
    bytes[20..24].copy_from_slice(&0x0005_0000u32.to_le_bytes());
    bytes[24..28].copy_from_slice(&total.to_le_bytes());
    bytes
}

/// Encodes a u64 UEFI variable as efivarfs shows it: the attributes, then the value.
fn variable(value: u64) -> Vec<u8> {
    let mut bytes = 7u32.to_le_bytes().to_vec();
    bytes.extend(value.to_le_bytes());
    bytes
}

/// Adds what capsule on disk needs to the laptop: an ESP folder, efivarfs with
/// OsIndications, and a boot id.
fn capsule_lab() -> Lab {
    let lab = Lab::new(
        "laptop",
        &[Release {
            id: RELEASE,
            guid: FW_CLASS,
            version: "65590",
            version_format: "number",
            method: "uefi-capsule",
            severity: "high",
            payload: capsule(4096),
        }],
    );
    let root = &lab.root;
    std::fs::create_dir_all(root.path("/boot/efi/EFI/debian")).unwrap();
    root.write(OS_INDICATIONS_SUPPORTED, variable(0x5));
    root.write(OS_INDICATIONS, variable(0x1));
    root.set_boot_id("11111111-1111-1111-1111-111111111111");
    lab
}

fn os_indications(lab: &Lab) -> u64 {
    let bytes = std::fs::read(lab.root.path(OS_INDICATIONS)).unwrap();
    u64::from_le_bytes(bytes[4..12].try_into().unwrap())
}

/// Rewrites the ESRT entry and the boot id as the firmware leaves them after a boot.
fn reboot_with_esrt(lab: &Lab, fw_version: u64, status: u64) {
    lab.root
        .write(&format!("{ENTRY}/fw_version"), format!("{fw_version}\n"));
    lab.root.write(
        &format!("{ENTRY}/last_attempt_status"),
        format!("{status}\n"),
    );
    lab.root
        .write(&format!("{ENTRY}/last_attempt_version"), "65590\n");
    lab.root.set_boot_id("22222222-2222-2222-2222-222222222222");
}

fn expected<'a>(device_id: &'a str, sha256: &'a str) -> Expected<'a> {
    Expected {
        release_id: RELEASE,
        device_id,
        version_before: "65586",
        version_after: "65590",
        sha256,
        method: "uefi-capsule",
    }
}

#[test]
fn capsule_waits_for_reboot_then_succeeds() {
    let lab = capsule_lab();
    let daemon = lab.stage_and_try_closed_window(RELEASE, &format!("{CONFIG}{MANUAL_SCHEDULE}"));
    let device = lab.device(&format!("esrt/{FW_CLASS}"));
    let device_id = device["id"].as_str().unwrap();
    let sha256 = lab.payload_sha256(RELEASE);

    let applied = lab.hwupctl_ok(&["apply", RELEASE]);
    assert_eq!(applied.stdout.trim(), format!("{RELEASE}: pending-reboot"));
    let staged = std::fs::read(lab.root.path(CAPSULE)).expect("the capsule on the ESP");
    assert_eq!(staged, capsule(4096));
    assert_eq!(os_indications(&lab), 0x1 | FILE_CAPSULE_DELIVERY);
    let states = ["staged", "applying", "pending-reboot"];
    check_history(&lab.history(), &states, &expected(device_id, &sha256));
    assert_eq!(lab.device(&format!("esrt/{FW_CLASS}"))["version"], "65586");

    // The firmware applies the capsule at the reboot and removes it from the ESP.
    assert_eq!(daemon.stop(), Some(0));
    std::fs::remove_file(lab.root.path(CAPSULE)).unwrap();
    reboot_with_esrt(&lab, 65590, 0);
    let _daemon = lab.start();

    let states = ["staged", "applying", "pending-reboot", "succeeded"];
    check_history(&lab.history(), &states, &expected(device_id, &sha256));
    assert_eq!(lab.device(&format!("esrt/{FW_CLASS}"))["version"], "65590");
    let updates = hwupd_tests::parse_json(&lab.hwupctl_ok(&["updates", "--json"]));
    assert_eq!(
        updates["updates"].as_array().map(Vec::len),
        Some(0),
        "{updates}"
    );
}

#[test]
fn esrt_failure_status_fails_the_update() {
    let lab = capsule_lab();
    lab.configure(&format!("{CONFIG}{MANUAL_SCHEDULE}{OPEN_WINDOW}"));
    let daemon = lab.start();
    let device = lab.device(&format!("esrt/{FW_CLASS}"));
    let device_id = device["id"].as_str().unwrap();
    let sha256 = lab.payload_sha256(RELEASE);
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", RELEASE]);
    lab.hwupctl_ok(&["apply", RELEASE]);

    // The firmware rejects the capsule's signature (status 5) and leaves it on the ESP.
    assert_eq!(daemon.stop(), Some(0));
    reboot_with_esrt(&lab, 65586, 5);
    let _daemon = lab.start();

    let history = lab.history();
    let states = ["staged", "applying", "pending-reboot", "failed"];
    check_history(&history, &states, &expected(device_id, &sha256));
    let reason = last_reason(&history);
    assert!(
        reason.contains("ESRT last_attempt_status is 5 (auth-error) for version 65590"),
        "{reason}"
    );
    assert!(
        !lab.root.path(CAPSULE).exists(),
        "the leftover capsule is removed"
    );
    assert_eq!(
        os_indications(&lab),
        0x1,
        "the capsule request is withdrawn"
    );
    assert_eq!(lab.device(&format!("esrt/{FW_CLASS}"))["version"], "65586");
}
