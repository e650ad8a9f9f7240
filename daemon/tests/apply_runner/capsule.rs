//! uefi-capsule through the apply runner: pending until a reboot, then verified by
//! `recover` from the ESRT entry.

use std::fs;

use hwupd::backends::uefi_capsule::UefiCapsule;
use hwupd::backends::{ApplyOutcome, Backend};
use hwupd::catalog::document::{InstallMethod, Release, VersionFormat};
use hwupd::device::Device;
use hwupd::engine::{AttemptRecord, Outcome, Phase, PENDING_DIR};
use hwupd::history::Transition;
use hwupd::history::UpdateState::*;

use crate::rig::Rig;
use crate::support::{release, Machine};

/// The laptop's system firmware ESRT entry (entry0), at fw_version 65586.
pub const SYSTEM_FW: &str = "ddc0ee61-e7f0-4e7d-acc5-c070a398838e";
const EFIVARS: &str = "/sys/firmware/efi/efivars";
const GLOBAL: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

/// Builds a capsule of `total` bytes whose EFI_CAPSULE_HEADER matches its size.
pub fn capsule(total: u32) -> Vec<u8> {
    let mut bytes = vec![0x11; total as usize];
    bytes[16..20].copy_from_slice(&28u32.to_le_bytes());
    bytes[20..24].copy_from_slice(&0x0005_0000u32.to_le_bytes());
    bytes[24..28].copy_from_slice(&total.to_le_bytes());
    bytes
}

fn variable(value: u64) -> Vec<u8> {
    let mut bytes = 7u32.to_le_bytes().to_vec();
    bytes.extend(value.to_le_bytes());
    bytes
}

/// The laptop with a vfat ESP, OsIndications support for capsule on disk and a boot id.
pub fn capsule_rig() -> Rig {
    let machine = Machine::copy_of("laptop");
    machine.write(
        "/proc/self/mounts",
        "/dev/nvme0n1p2 / ext4 rw 0 0\n/dev/nvme0n1p1 /boot/efi vfat rw,fmask=0077 0 0\n",
    );
    fs::create_dir_all(machine.path("/boot/efi/EFI/debian")).unwrap();
    machine.write(
        &format!("{EFIVARS}/OsIndicationsSupported-{GLOBAL}"),
        variable(0x4),
    );
    machine.write(&format!("{EFIVARS}/OsIndications-{GLOBAL}"), variable(0));
    machine.set_boot_id("11111111-1111-1111-1111-111111111111");
    Rig::new(machine, "")
}

pub fn system_device(rig: &Rig) -> Device {
    rig.machine.device(&format!("esrt/{SYSTEM_FW}"))
}

pub fn system_release() -> Release {
    release(InstallMethod::UefiCapsule, "65590", VersionFormat::Number)
}

pub fn staged_capsule(rig: &Rig) -> std::path::PathBuf {
    rig.machine
        .path(&format!("/boot/efi/EFI/UpdateCapsule/{SYSTEM_FW}.cap"))
}

/// Rewrites the ESRT entry and the boot id as the firmware and kernel would at a
/// boot that processed the capsule.
pub fn reboot_with_esrt(rig: &Rig, fw_version: u64, status: u64) {
    let entry = "/sys/firmware/efi/esrt/entries/entry0";
    let _ = fs::remove_file(staged_capsule(rig));
    rig.machine
        .write(&format!("{entry}/fw_version"), format!("{fw_version}\n"));
    rig.machine.write(
        &format!("{entry}/last_attempt_status"),
        format!("{status}\n"),
    );
    rig.machine
        .write(&format!("{entry}/last_attempt_version"), "65590\n");
    rig.machine
        .set_boot_id("22222222-2222-2222-2222-222222222222");
}

pub fn apply_capsule(rig: &mut Rig) -> (Device, Release, i64) {
    let device = system_device(rig);
    let mut release = system_release();
    rig.stage(&mut release, &device, &capsule(4096));
    let result = rig.apply(&device, &release).unwrap();
    assert_eq!(result.outcome, Outcome::PendingReboot);
    (device, release, result.attempt_id)
}

#[test]
fn capsule_pending_until_reboot() {
    let mut rig = capsule_rig();
    let (device, release, attempt_id) = apply_capsule(&mut rig);

    let report = rig.recover();

    assert_eq!(report.pending, [attempt_id]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        rig.states(&device, &release),
        [Staged, Applying, PendingReboot]
    );
    assert_eq!(rig.pending_files().len(), 1);
    assert!(staged_capsule(&rig).exists());
}

#[test]
fn capsule_record_keeps_release() {
    let mut rig = capsule_rig();
    let (device, release, attempt_id) = apply_capsule(&mut rig);

    let path = rig.pending_files().remove(0);
    let record: AttemptRecord = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();

    assert_eq!(
        path.file_name().unwrap(),
        format!("{attempt_id}.json").as_str()
    );
    assert_eq!(record.phase, Phase::PendingReboot);
    assert_eq!(record.release, release);
    assert_eq!(record.device_id, device.id);
    assert_eq!(record.remote_id, crate::rig::REMOTE);
    let boot_id = "11111111-1111-1111-1111-111111111111";
    assert_eq!(record.boot_id.as_deref(), Some(boot_id));
}

#[test]
fn capsule_succeeds_after_reboot() {
    let mut rig = capsule_rig();
    let (device, release, attempt_id) = apply_capsule(&mut rig);
    reboot_with_esrt(&rig, 65590, 0);

    let report = rig.recover();

    assert_eq!(report.succeeded, [attempt_id]);
    let expected = [Staged, Applying, PendingReboot, Succeeded];
    assert_eq!(rig.states(&device, &release), expected);
    let records = rig.records(&device, &release);
    assert_eq!(records[3].transition.version_before, "65586");
    assert_eq!(records[3].transition.version_after, "65590");
    assert!(rig.pending_files().is_empty());
    assert_eq!(
        rig.recover(),
        Default::default(),
        "a second recovery has nothing to do"
    );
}

#[test]
fn capsule_failure_status_is_named() {
    let mut rig = capsule_rig();
    let (device, release, attempt_id) = apply_capsule(&mut rig);
    reboot_with_esrt(&rig, 65586, 5);

    let report = rig.recover();

    assert_eq!(report.failed.len(), 1, "{report:?}");
    let (failed_id, reason) = &report.failed[0];
    assert_eq!(*failed_id, attempt_id);
    assert!(reason.contains("auth-error"), "{reason}");
    let expected = [Staged, Applying, PendingReboot, Failed];
    assert_eq!(rig.states(&device, &release), expected);
    assert!(rig.pending_files().is_empty());
}

#[test]
fn vanished_device_fails_at_recovery() {
    let mut rig = capsule_rig();
    let (device, release, _) = apply_capsule(&mut rig);
    fs::remove_dir_all(rig.machine.path("/sys/firmware/efi/esrt/entries/entry0")).unwrap();

    let report = rig.recover();

    assert_eq!(report.failed.len(), 1, "{report:?}");
    let reason = &report.failed[0].1;
    assert_eq!(reason, hwupd::engine::DEVICE_NOT_FOUND_AFTER_RESTART);
    let last = rig.records(&device, &release).pop().unwrap();
    assert_eq!(last.transition.state, Failed);
}

/// Builds the state that a kill between the two writes of the pending-reboot step
/// leaves: the capsule staged, the record in `pending-reboot`, the history in
/// `applying`.
fn record_written_history_not(rig: &mut Rig) -> (Device, Release, i64) {
    let device = system_device(rig);
    let mut release = system_release();
    rig.stage(&mut release, &device, &capsule(4096));
    let transition = Transition {
        state: Staged,
        time: jiff::Timestamp::now(),
        device_id: device.id.clone(),
        device_name: device.name.clone(),
        release_id: release.id.clone(),
        remote_id: crate::rig::REMOTE.to_string(),
        version_before: device.version.clone(),
        version_after: release.version.clone(),
        payload_sha256: Some(release.payload.sha256.clone()),
        install_method: InstallMethod::UefiCapsule,
        reason: None,
    };
    rig.history.record(&transition).unwrap();
    let applying = transition.to_state(Applying, None);
    let attempt_id = rig.history.record(&applying).unwrap();

    let payload = rig.staging.path_of(&release.payload.sha256).unwrap();
    let outcome = UefiCapsule.apply(&rig.ctx, &device, &payload, &release);
    assert_eq!(outcome.unwrap(), ApplyOutcome::PendingReboot);
    let record = AttemptRecord {
        attempt_id,
        phase: Phase::PendingReboot,
        device_id: device.id.clone(),
        remote_id: crate::rig::REMOTE.to_string(),
        install_method: InstallMethod::UefiCapsule,
        boot_id: None,
        release: release.clone(),
    };
    let folder = rig.machine.state_dir.join(PENDING_DIR);
    fs::create_dir_all(&folder).unwrap();
    let path = folder.join(format!("{attempt_id}.json"));
    fs::write(path, serde_json::to_vec(&record).unwrap()).unwrap();
    (device, release, attempt_id)
}

#[test]
fn recovery_completes_pending_record() {
    let mut rig = capsule_rig();
    let (device, release, attempt_id) = record_written_history_not(&mut rig);

    let before = rig.recover();
    reboot_with_esrt(&rig, 65590, 0);
    let after = rig.recover();

    assert_eq!(before.pending, [attempt_id]);
    assert!(before.interrupted.is_empty(), "{before:?}");
    assert_eq!(after.succeeded, [attempt_id]);
    let expected = [Staged, Applying, PendingReboot, Succeeded];
    assert_eq!(rig.states(&device, &release), expected);
}

#[test]
fn recovery_removes_record_of_final_attempt() {
    let mut rig = capsule_rig();
    let (device, release, _) = apply_capsule(&mut rig);
    let record = rig.pending_files().remove(0);
    let kept = fs::read(&record).unwrap();
    reboot_with_esrt(&rig, 65590, 0);
    rig.recover();
    // As if the daemon stopped after recording `succeeded`, before removing the record.
    fs::write(&record, kept).unwrap();

    let report = rig.recover();

    assert_eq!(report, Default::default());
    assert!(rig.pending_files().is_empty());
    let states = rig.states(&device, &release);
    assert_eq!(states, [Staged, Applying, PendingReboot, Succeeded]);
}
