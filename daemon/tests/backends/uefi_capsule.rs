//! uefi-capsule against the laptop fixture: capsule on disk, the loader, ESRT results.

use std::fs;
use std::path::PathBuf;

use hwupd::backends::uefi_capsule::UefiCapsule;
use hwupd::backends::Verification;
use hwupd::backends::{ApplyOutcome, Backend, BackendError, BackendsConfig, CapsuleDelivery};
use hwupd::catalog::document::{InstallMethod, Release, VersionFormat};
use sha2::{Digest, Sha256};

use crate::support::{release, Machine};

/// The laptop's system firmware ESRT entry (entry0), at fw_version 65586.
const SYSTEM_FW: &str = "ddc0ee61-e7f0-4e7d-acc5-c070a398838e";
/// The laptop's device firmware ESRT entry (entry1).
const DEVICE_FW: &str = "671d19d0-d43c-4852-98d9-1ce16f9967e4";
const EFIVARS: &str = "/sys/firmware/efi/efivars";
const GLOBAL: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

/// Builds a capsule of `total` bytes whose EFI_CAPSULE_HEADER matches its size.
fn capsule(total: u32, fill: u8) -> Vec<u8> {
    let mut bytes = vec![fill; total as usize];
    bytes[16..20].copy_from_slice(&28u32.to_le_bytes());
    bytes[20..24].copy_from_slice(&0x0005_0000u32.to_le_bytes());
    bytes[24..28].copy_from_slice(&total.to_le_bytes());
    bytes
}

/// Encodes a u64 UEFI variable as efivarfs shows it: attributes 0x7, then the value.
fn variable(value: u64) -> Vec<u8> {
    let mut bytes = 7u32.to_le_bytes().to_vec();
    bytes.extend(value.to_le_bytes());
    bytes
}

/// Adds what the laptop fixture lacks for capsule on disk: a vfat ESP in the mount
/// table, the OsIndications variables and a boot id.
fn capsule_machine(supported: u64) -> Machine {
    let machine = Machine::copy_of("laptop");
    machine.write(
        "/proc/self/mounts",
        "/dev/nvme0n1p2 / ext4 rw 0 0\n/dev/nvme0n1p1 /boot/efi vfat rw,fmask=0077 0 0\n",
    );
    fs::create_dir_all(machine.path("/boot/efi/EFI/debian")).unwrap();
    let supported_path = format!("{EFIVARS}/OsIndicationsSupported-{GLOBAL}");
    machine.write(&supported_path, variable(supported));
    machine.write(&format!("{EFIVARS}/OsIndications-{GLOBAL}"), variable(0x1));
    machine.set_boot_id("11111111-1111-1111-1111-111111111111");
    machine
}

fn os_indications(machine: &Machine) -> u64 {
    let bytes = fs::read(machine.path(&format!("{EFIVARS}/OsIndications-{GLOBAL}"))).unwrap();
    u64::from_le_bytes(bytes[4..12].try_into().unwrap())
}

fn staged_path(machine: &Machine, fw_class: &str) -> PathBuf {
    machine.path(&format!("/boot/efi/EFI/UpdateCapsule/{fw_class}.cap"))
}

fn system_release(version: &str) -> Release {
    release(InstallMethod::UefiCapsule, version, VersionFormat::Number)
}

/// Rewrites the system firmware's ESRT entry as the firmware would after a boot.
fn reboot_with_esrt(machine: &Machine, fw_version: u64, status: u64) {
    let entry = "/sys/firmware/efi/esrt/entries/entry0";
    machine.write(&format!("{entry}/fw_version"), format!("{fw_version}\n"));
    machine.write(
        &format!("{entry}/last_attempt_status"),
        format!("{status}\n"),
    );
    machine.write(&format!("{entry}/last_attempt_version"), "65590\n");
    machine.set_boot_id("22222222-2222-2222-2222-222222222222");
}

fn apply_system(
    machine: &Machine,
    config: BackendsConfig,
    bytes: &[u8],
) -> Result<ApplyOutcome, BackendError> {
    let ctx = machine.context(config);
    let device = machine.device(&format!("esrt/{SYSTEM_FW}"));
    let payload = machine.file("system.cap", bytes);
    UefiCapsule.apply(&ctx, &device, &payload, &system_release("65590"))
}

#[test]
fn capsule_on_disk_stages_file_and_sets_bit() {
    let machine = capsule_machine(0x5);
    let bytes = capsule(4096, 0x11);

    let outcome = apply_system(&machine, BackendsConfig::default(), &bytes).unwrap();

    assert_eq!(outcome, ApplyOutcome::PendingReboot);
    assert_eq!(fs::read(staged_path(&machine, SYSTEM_FW)).unwrap(), bytes);
    assert_eq!(os_indications(&machine), 0x5, "bit 0 is kept, bit 2 is set");
    let record = machine
        .state_dir
        .join(format!("backends/uefi-capsule/{SYSTEM_FW}.json"));
    assert!(record.is_file());
}

#[test]
fn verify_is_pending_until_reboot() {
    let machine = capsule_machine(0x4);
    apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap();
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device(&format!("esrt/{SYSTEM_FW}"));

    let verification = UefiCapsule.verify(&ctx, &device, &system_release("65590"));

    assert!(
        matches!(verification, Verification::Pending { .. }),
        "{verification:?}"
    );
    assert!(staged_path(&machine, SYSTEM_FW).exists());
}

#[test]
fn verify_succeeds_after_reboot() {
    let machine = capsule_machine(0x4);
    apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap();

    // The firmware processes the capsule, deletes it and updates the ESRT.
    fs::remove_file(staged_path(&machine, SYSTEM_FW)).unwrap();
    reboot_with_esrt(&machine, 65590, 0);
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device(&format!("esrt/{SYSTEM_FW}"));

    let verification = UefiCapsule.verify(&ctx, &device, &system_release("65590"));

    assert_eq!(verification, Verification::Succeeded);
    let record = machine
        .state_dir
        .join(format!("backends/uefi-capsule/{SYSTEM_FW}.json"));
    assert!(!record.exists(), "a final result removes the record");
}

#[test]
fn verify_accepts_a_newer_version() {
    let machine = capsule_machine(0x4);
    reboot_with_esrt(&machine, 65600, 0);
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device(&format!("esrt/{SYSTEM_FW}"));

    let verification = UefiCapsule.verify(&ctx, &device, &system_release("65590"));

    assert_eq!(verification, Verification::Succeeded);
}

#[test]
fn verify_reports_esrt_failure_status() {
    let machine = capsule_machine(0x4);
    apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap();
    reboot_with_esrt(&machine, 65586, 5);
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device(&format!("esrt/{SYSTEM_FW}"));

    let verification = UefiCapsule.verify(&ctx, &device, &system_release("65590"));

    let Verification::Failed { reason } = verification else {
        panic!("expected a failure, got {verification:?}");
    };
    assert!(
        reason.contains("last_attempt_status is 5 (auth-error)"),
        "{reason}"
    );
    assert!(reason.contains("65590"), "{reason}");
    assert!(
        !staged_path(&machine, SYSTEM_FW).exists(),
        "the leftover capsule is removed"
    );
}

#[test]
fn verify_fails_on_unchanged_version() {
    let machine = capsule_machine(0x4);
    apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap();
    reboot_with_esrt(&machine, 65586, 0);
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device(&format!("esrt/{SYSTEM_FW}"));

    let verification = UefiCapsule.verify(&ctx, &device, &system_release("65590"));

    let Verification::Failed { reason } = verification else {
        panic!("expected a failure, got {verification:?}");
    };
    assert!(reason.contains("fw_version is 65586"), "{reason}");
}

#[test]
fn unsupported_bit_is_rejected() {
    let machine = capsule_machine(0x1);

    let error = apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap_err();

    assert!(
        matches!(error, BackendError::FirmwareUnsupported { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("without bit 2"), "{error}");
    assert!(!error.state_changed());
    assert!(!staged_path(&machine, SYSTEM_FW).exists());
    assert_eq!(os_indications(&machine), 0x1);
}

#[test]
fn missing_supported_variable_is_rejected() {
    let machine = capsule_machine(0x4);
    fs::remove_file(machine.path(&format!("{EFIVARS}/OsIndicationsSupported-{GLOBAL}"))).unwrap();

    let error = apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap_err();

    assert!(error.to_string().contains("does not exist"), "{error}");
}

#[test]
fn second_capsule_rejected_while_pending() {
    let machine = capsule_machine(0x4);
    apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap();
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device(&format!("esrt/{DEVICE_FW}"));
    let payload = machine.file("device.cap", capsule(64, 2));
    let other = release(
        InstallMethod::UefiCapsule,
        "3090287970",
        VersionFormat::Number,
    );

    let check = UefiCapsule.check(&ctx, &device, &other).unwrap_err();
    let error = UefiCapsule
        .apply(&ctx, &device, &payload, &other)
        .unwrap_err();

    assert!(
        matches!(check, BackendError::CapsulePending { .. }),
        "{check:?}"
    );
    assert!(
        matches!(error, BackendError::CapsulePending { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(SYSTEM_FW), "{error}");
    assert!(!staged_path(&machine, DEVICE_FW).exists());
}

#[test]
fn different_capsule_same_device_rejected() {
    let machine = capsule_machine(0x4);
    apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap();

    let error = apply_system(&machine, BackendsConfig::default(), &capsule(64, 9)).unwrap_err();

    assert!(
        matches!(error, BackendError::CapsulePending { .. }),
        "{error:?}"
    );
    assert_eq!(
        fs::read(staged_path(&machine, SYSTEM_FW)).unwrap(),
        capsule(64, 1)
    );
}

#[test]
fn reapplying_same_capsule_is_idempotent() {
    let machine = capsule_machine(0x4);
    let bytes = capsule(128, 3);

    let first = apply_system(&machine, BackendsConfig::default(), &bytes).unwrap();
    let second = apply_system(&machine, BackendsConfig::default(), &bytes).unwrap();

    assert_eq!(first, ApplyOutcome::PendingReboot);
    assert_eq!(second, ApplyOutcome::PendingReboot);
    let folder = machine.path("/boot/efi/EFI/UpdateCapsule");
    assert_eq!(fs::read_dir(folder).unwrap().count(), 1);
    assert_eq!(os_indications(&machine), 0x5);
}

#[test]
fn rollback_withdraws_staged_capsule() {
    let machine = capsule_machine(0x4);
    apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap();
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device(&format!("esrt/{SYSTEM_FW}"));
    let release = system_release("65590");

    let outcome = UefiCapsule.rollback(&ctx, &device, &release).unwrap();
    let again = UefiCapsule.rollback(&ctx, &device, &release).unwrap_err();

    assert_eq!(outcome, ApplyOutcome::Done);
    assert!(!staged_path(&machine, SYSTEM_FW).exists());
    assert_eq!(
        os_indications(&machine),
        0x1,
        "only the capsule bit is cleared"
    );
    assert!(
        matches!(again, BackendError::NothingToRollBack { .. }),
        "{again:?}"
    );
}

/// Builds the state of an apply that stopped after writing the capsule and before
/// writing its record, and returns the release whose payload has `payload_sha256`.
fn capsule_without_record(machine: &Machine, payload_sha256: String) -> Release {
    apply_system(machine, BackendsConfig::default(), &capsule(64, 1)).unwrap();
    let record = machine
        .state_dir
        .join(format!("backends/uefi-capsule/{SYSTEM_FW}.json"));
    fs::remove_file(record).unwrap();
    let mut release = system_release("65590");
    release.payload.sha256 = payload_sha256;
    release
}

#[test]
fn rollback_withdraws_capsule_without_record() {
    let machine = capsule_machine(0x4);
    let sha256 = format!("{:X}", Sha256::digest(capsule(64, 1)));
    let release = capsule_without_record(&machine, sha256);
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device(&format!("esrt/{SYSTEM_FW}"));

    let outcome = UefiCapsule.rollback(&ctx, &device, &release).unwrap();

    assert_eq!(outcome, ApplyOutcome::Done);
    assert!(!staged_path(&machine, SYSTEM_FW).exists());
    assert_eq!(
        os_indications(&machine),
        0x1,
        "only the capsule bit is cleared"
    );
}

#[test]
fn rollback_keeps_other_capsule_without_record() {
    let machine = capsule_machine(0x4);
    let release = capsule_without_record(&machine, "ab".repeat(32));
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device(&format!("esrt/{SYSTEM_FW}"));

    let error = UefiCapsule.rollback(&ctx, &device, &release).unwrap_err();

    assert!(
        matches!(error, BackendError::NothingToRollBack { .. }),
        "{error:?}"
    );
    assert!(staged_path(&machine, SYSTEM_FW).exists());
    assert_eq!(os_indications(&machine), 0x5);
}

#[test]
fn rollback_after_reboot_is_refused() {
    let machine = capsule_machine(0x4);
    apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap();
    machine.set_boot_id("33333333-3333-3333-3333-333333333333");
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device(&format!("esrt/{SYSTEM_FW}"));

    let error = UefiCapsule
        .rollback(&ctx, &device, &system_release("65590"))
        .unwrap_err();

    assert!(error.to_string().contains("already processed"), "{error}");
}

#[test]
fn file_as_capsule_folder_fails_cleanly() {
    let machine = capsule_machine(0x4);
    machine.write("/boot/efi/EFI/UpdateCapsule", "not a folder");

    let error = apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap_err();

    assert!(matches!(error, BackendError::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("EFI/UpdateCapsule"), "{error}");
    assert!(!error.state_changed());
    assert_eq!(os_indications(&machine), 0x1);
}

#[test]
fn failed_variable_write_removes_the_capsule() {
    let machine = capsule_machine(0x4);
    // A folder where OsIndications belongs makes reading and writing it fail.
    let variable = machine.path(&format!("{EFIVARS}/OsIndications-{GLOBAL}"));
    fs::remove_file(&variable).unwrap();
    fs::create_dir(&variable).unwrap();

    let error = apply_system(&machine, BackendsConfig::default(), &capsule(64, 1)).unwrap_err();

    assert!(error.to_string().contains("OsIndications"), "{error}");
    assert!(!error.state_changed());
    assert!(!staged_path(&machine, SYSTEM_FW).exists());
}

#[test]
fn configured_esp_in_missing_mount_fails() {
    let machine = capsule_machine(0x4);
    let config = BackendsConfig {
        esp: Some(PathBuf::from("/mnt/not-mounted")),
        ..BackendsConfig::default()
    };

    let error = apply_system(&machine, config, &capsule(64, 1)).unwrap_err();

    assert!(matches!(error, BackendError::Missing { .. }), "{error:?}");
    assert!(error.to_string().contains("not-mounted"), "{error}");
}

#[test]
fn configured_esp_is_used() {
    let machine = capsule_machine(0x4);
    fs::create_dir_all(machine.path("/efi")).unwrap();
    let config = BackendsConfig {
        esp: Some(PathBuf::from("/efi")),
        ..BackendsConfig::default()
    };

    apply_system(&machine, config, &capsule(64, 1)).unwrap();

    let staged = machine.path(&format!("/efi/EFI/UpdateCapsule/{SYSTEM_FW}.cap"));
    assert!(staged.is_file());
}

#[test]
fn invalid_capsule_header_is_rejected() {
    let machine = capsule_machine(0x4);
    let mut bytes = capsule(64, 1);
    bytes.push(0);

    let error = apply_system(&machine, BackendsConfig::default(), &bytes).unwrap_err();

    assert!(
        matches!(error, BackendError::InvalidPayload { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("image size of 64"), "{error}");
}

#[test]
fn capsule_loader_receives_the_capsule() {
    let machine = capsule_machine(0x1);
    machine.write("/dev/efi_capsule_loader", "");
    let config = BackendsConfig {
        capsule_delivery: CapsuleDelivery::PreferLoader,
        ..BackendsConfig::default()
    };
    let bytes = capsule(8192, 4);

    let outcome = apply_system(&machine, config, &bytes).unwrap();

    assert_eq!(outcome, ApplyOutcome::PendingReboot);
    assert_eq!(
        fs::read(machine.path("/dev/efi_capsule_loader")).unwrap(),
        bytes
    );
    assert!(!staged_path(&machine, SYSTEM_FW).exists());
    assert_eq!(
        os_indications(&machine),
        0x1,
        "the loader needs no OsIndications"
    );
}

#[test]
fn required_capsule_loader_must_exist() {
    let machine = capsule_machine(0x4);
    let config = BackendsConfig {
        capsule_delivery: CapsuleDelivery::Loader,
        ..BackendsConfig::default()
    };

    let error = apply_system(&machine, config, &capsule(64, 1)).unwrap_err();

    assert!(error.to_string().contains("efi_capsule_loader"), "{error}");
}

#[test]
fn check_rejects_other_devices_and_methods() {
    let machine = capsule_machine(0x4);
    let ctx = machine.context(BackendsConfig::default());
    let router = machine.device("thunderbolt/0-0");
    let esrt = machine.device(&format!("esrt/{SYSTEM_FW}"));
    let kmod_release = release(InstallMethod::Kmod, "65590", VersionFormat::Number);

    let wrong_kind = UefiCapsule
        .check(&ctx, &router, &system_release("65590"))
        .unwrap_err();
    let wrong_method = UefiCapsule.check(&ctx, &esrt, &kmod_release).unwrap_err();

    assert!(
        wrong_kind.to_string().contains("thunderbolt device"),
        "{wrong_kind}"
    );
    assert!(
        wrong_method.to_string().contains("uses kmod"),
        "{wrong_method}"
    );
}
