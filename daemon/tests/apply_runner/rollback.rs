//! Rollback by request: emulated devices, capsules before and after the reboot, and the
//! laptop's `nvme` module with the real depmod.

use std::fs;

use hwupd::backends::emulated::Emulated;
use hwupd::backends::{Backend, BackendError, BackendsConfig};
use hwupd::catalog::document::{InstallMethod, Release};
use hwupd::device::{Device, DeviceKind};
use hwupd::engine::{self, ApplyResult, Outcome, RollbackError, RollbackResult};
use hwupd::engine::{LEFT_CHANGED, ROLLBACK_REASON};
use hwupd::history::{Transition, UpdateState, UpdateState::*};
use jiff::Timestamp;

use crate::capsule::{apply_capsule, capsule_rig, reboot_with_esrt, staged_capsule};
use crate::kmod_fixture::{build_module, config, loaded_version, module_machine};
use crate::kmod_fixture::{module_release, template, with_previous_update, UPDATES_NVME};
use crate::rig::{emulated_release, Rig, REMOTE};

fn roll_back(rig: &mut Rig, device: &Device) -> Result<RollbackResult, RollbackError> {
    engine::rollback_one(&rig.ctx, &mut rig.history, device, None)
}

/// Applies emulated version 1.2.4 over 1.2.3 and returns the device as it is after.
fn apply_emulated(rig: &mut Rig) -> (Device, Release) {
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");
    rig.apply(&device, &release).unwrap();
    (rig.emulated_device(), release)
}

/// Records `states` for an update of `device` with `method` straight in the history.
fn record_states(rig: &mut Rig, device: &Device, method: InstallMethod, states: &[UpdateState]) {
    for &state in states {
        let transition = Transition {
            state,
            time: Timestamp::now(),
            device_id: device.id.clone(),
            device_name: device.name.clone(),
            release_id: format!("test-{method}"),
            remote_id: REMOTE.to_string(),
            version_before: "20.02".to_string(),
            version_after: "20.03".to_string(),
            payload_sha256: Some("ab".repeat(32)),
            install_method: method.clone(),
            reason: None,
        };
        rig.history.record(&transition).unwrap();
    }
}

#[test]
fn emulated_rollback_restores_version() {
    let mut rig = Rig::emulated("none");
    let (device, release) = apply_emulated(&mut rig);

    let result = roll_back(&mut rig, &device).unwrap();

    assert_eq!(result.release_id, release.id);
    assert_eq!(result.version_before, "1.2.4");
    assert_eq!(result.version_after, "1.2.3");
    assert!(!result.pending_reboot);
    assert_eq!(result.reason, ROLLBACK_REASON);
    let expected = [Staged, Applying, Succeeded, RolledBack];
    assert_eq!(rig.states(&device, &release), expected);
    let records = rig.records(&device, &release);
    let rolled_back = &records[3].transition;
    assert_eq!(records[3].attempt_id, Some(result.attempt_id));
    assert_eq!(rolled_back.version_before, "1.2.4");
    assert_eq!(rolled_back.version_after, "1.2.3");
    assert_eq!(rolled_back.install_method, InstallMethod::Emulated);
    assert_eq!(rolled_back.reason.as_deref(), Some(ROLLBACK_REASON));
    assert_eq!(rig.emulated_device().version, "1.2.3");
}

#[test]
fn caller_reason_is_recorded() {
    let mut rig = Rig::emulated("none");
    let (device, release) = apply_emulated(&mut rig);

    let reason = Some("driver regression on this model");
    let result = engine::rollback_one(&rig.ctx, &mut rig.history, &device, reason).unwrap();

    assert_eq!(result.reason, "driver regression on this model");
    let records = rig.records(&device, &release);
    let last = records.last().unwrap();
    assert_eq!(last.transition.reason.as_deref(), reason);
}

#[test]
fn second_rollback_is_rejected() {
    let mut rig = Rig::emulated("none");
    let (device, release) = apply_emulated(&mut rig);
    roll_back(&mut rig, &device).unwrap();
    let device = rig.emulated_device();

    let error = roll_back(&mut rig, &device).unwrap_err();

    assert!(
        matches!(error, RollbackError::AlreadyRolledBack { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("already rolled back"), "{error}");
    let expected = [Staged, Applying, Succeeded, RolledBack];
    assert_eq!(rig.states(&device, &release), expected);
    assert_eq!(rig.emulated_device().version, "1.2.3");
}

#[test]
fn rolled_back_release_is_not_applied_again() {
    let mut rig = Rig::emulated("none");
    let (device, release) = apply_emulated(&mut rig);
    roll_back(&mut rig, &device).unwrap();

    let error = rig.apply(&rig.emulated_device(), &release).unwrap_err();

    assert!(
        matches!(error, engine::ApplyError::AlreadySucceeded { .. }),
        "{error:?}"
    );
    assert_eq!(rig.emulated_device().version, "1.2.3");
}

#[test]
fn device_without_attempt_is_rejected() {
    let mut rig = Rig::emulated("none");
    let device = rig.emulated_device();

    let error = roll_back(&mut rig, &device).unwrap_err();

    assert!(
        matches!(error, RollbackError::NoAttempt { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(&device.id), "{error}");
    assert!(rig.history.attempts().unwrap().is_empty());
}

#[test]
fn failed_apply_has_nothing_to_roll_back() {
    let mut rig = Rig::emulated("apply");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");
    rig.apply(&device, &release).unwrap();

    let error = roll_back(&mut rig, &device).unwrap_err();

    let RollbackError::NotApplied { state, .. } = &error else {
        panic!("expected NotApplied, got {error:?}");
    };
    assert_eq!(*state, Failed);
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Failed]);
}

#[test]
fn open_attempt_is_rejected() {
    let mut rig = Rig::emulated("none");
    let device = rig.emulated_device();
    record_states(
        &mut rig,
        &device,
        InstallMethod::Emulated,
        &[Staged, Applying],
    );

    let error = roll_back(&mut rig, &device).unwrap_err();

    assert!(
        matches!(error, RollbackError::AttemptOpen { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("still being applied"), "{error}");
}

#[test]
fn thunderbolt_cannot_roll_back() {
    let mut rig = Rig::emulated("none");
    let device = Device::new(DeviceKind::Thunderbolt, "thunderbolt/0-0");
    let states = [Staged, Applying, Succeeded];
    record_states(&mut rig, &device, InstallMethod::Thunderbolt, &states);

    let error = roll_back(&mut rig, &device).unwrap_err();

    assert!(
        matches!(error, RollbackError::MethodCannotRollBack { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("thunderbolt cannot roll back"),
        "{message}"
    );
    assert!(message.contains("install an older release"), "{message}");
    assert_eq!(
        rig.history.attempts().unwrap()[0].latest.transition.state,
        Succeeded
    );
}

#[test]
fn unknown_method_cannot_roll_back() {
    let mut rig = Rig::emulated("none");
    let device = rig.emulated_device();
    let method = InstallMethod::Unknown("fastboot".to_string());
    record_states(&mut rig, &device, method, &[Staged, Applying, Succeeded]);

    let error = roll_back(&mut rig, &device).unwrap_err();

    let message = error.to_string();
    assert!(message.contains("fastboot cannot roll back"), "{message}");
}

#[test]
fn backend_without_backup_changes_nothing() {
    let mut rig = Rig::emulated("none");
    let (device, release) = apply_emulated(&mut rig);
    // The backend forgets the previous version, as after a rollback by other means.
    Emulated.rollback(&rig.ctx, &device, &release).unwrap();

    let error = roll_back(&mut rig, &device).unwrap_err();

    let RollbackError::Unchanged { source, .. } = &error else {
        panic!("expected Unchanged, got {error:?}");
    };
    assert!(
        matches!(**source, BackendError::NothingToRollBack { .. }),
        "{source:?}"
    );
    assert!(error.to_string().contains("nothing was changed"), "{error}");
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Succeeded]);
}

#[test]
fn pending_capsule_is_withdrawn() {
    let mut rig = capsule_rig();
    let (device, release, attempt_id) = apply_capsule(&mut rig);
    assert!(staged_capsule(&rig).exists());

    let result = roll_back(&mut rig, &device).unwrap();

    assert_eq!(result.attempt_id, attempt_id);
    assert_eq!(result.version_after, device.version);
    assert!(!staged_capsule(&rig).exists());
    let expected = [Staged, Applying, PendingReboot, RolledBack];
    assert_eq!(rig.states(&device, &release), expected);
    assert!(rig.pending_files().is_empty());
    assert!(rig.recover().pending.is_empty());
}

#[test]
fn installed_capsule_cannot_roll_back() {
    let mut rig = capsule_rig();
    let (device, release, _) = apply_capsule(&mut rig);
    reboot_with_esrt(&rig, 65590, 0);
    assert_eq!(rig.recover().succeeded.len(), 1);

    let error = roll_back(&mut rig, &device).unwrap_err();

    let message = error.to_string();
    assert!(
        message.contains("uefi-capsule cannot roll back"),
        "{message}"
    );
    let expected = [Staged, Applying, PendingReboot, Succeeded];
    assert_eq!(rig.states(&device, &release), expected);
}

/// The laptop with nvme 1.5 under `updates/`, loaded and unused, and the commands of
/// the kmod fixture. Returns the rig and the 1.5 module file.
fn kmod_rig() -> (Rig, Vec<u8>) {
    let machine = module_machine();
    let previous = with_previous_update(&machine);
    let mut rig = Rig::new(machine, "");
    rig.ctx = rig.machine.context(config(&rig.machine));
    (rig, previous)
}

/// Applies nvme `version` through the engine.
fn apply_module(rig: &mut Rig, version: &str) -> (Release, ApplyResult) {
    let device = rig.machine.device("module/nvme");
    let mut release = module_release(version);
    let bytes = build_module(&rig.machine, version);
    rig.stage(&mut release, &device, &bytes);
    let result = rig.apply(&device, &release).unwrap();
    (release, result)
}

#[test]
fn kmod_rollback_restores_previous_module() {
    let (mut rig, previous) = kmod_rig();
    let (release, applied) = apply_module(&mut rig, "2.0");
    let version = "2.0".to_string();
    assert_eq!(applied.outcome, Outcome::Succeeded { version });
    let device = rig.machine.device("module/nvme");

    let result = roll_back(&mut rig, &device).unwrap();
    let rolled_back = rig.machine.device("module/nvme");
    let again = roll_back(&mut rig, &rolled_back);

    assert_eq!(result.version_before, "2.0");
    assert_eq!(result.version_after, "1.5");
    assert_eq!(result.install_method, InstallMethod::Kmod);
    assert_eq!(fs::read(rig.machine.path(UPDATES_NVME)).unwrap(), previous);
    assert_eq!(loaded_version(&rig.machine).as_deref(), Some("1.5"));
    let expected = [Staged, Applying, Succeeded, RolledBack];
    assert_eq!(rig.states(&device, &release), expected);
    let error = again.unwrap_err();
    assert!(
        matches!(error, RollbackError::AlreadyRolledBack { .. }),
        "{error:?}"
    );
    assert_eq!(fs::read(rig.machine.path(UPDATES_NVME)).unwrap(), previous);
}

#[test]
fn kmod_module_in_use_switches_at_next_boot() {
    let (mut rig, previous) = kmod_rig();
    apply_module(&mut rig, "2.0");
    rig.machine.write("/sys/module/nvme/refcnt", "3\n");
    let device = rig.machine.device("module/nvme");

    let result = roll_back(&mut rig, &device).unwrap();

    assert!(result.pending_reboot);
    assert!(
        result.reason.contains("at the next boot"),
        "{}",
        result.reason
    );
    assert_eq!(result.version_after, "2.0");
    assert_eq!(fs::read(rig.machine.path(UPDATES_NVME)).unwrap(), previous);
    assert_eq!(loaded_version(&rig.machine).as_deref(), Some("2.0"));
}

#[test]
fn kmod_pending_attempt_is_rolled_back() {
    let (mut rig, previous) = kmod_rig();
    rig.machine.write("/sys/module/nvme/refcnt", "3\n");
    let (release, applied) = apply_module(&mut rig, "2.0");
    assert_eq!(applied.outcome, Outcome::PendingReboot);
    assert_eq!(rig.pending_files().len(), 1);
    let device = rig.machine.device("module/nvme");

    let result = roll_back(&mut rig, &device).unwrap();

    assert_eq!(result.attempt_id, applied.attempt_id);
    assert_eq!(fs::read(rig.machine.path(UPDATES_NVME)).unwrap(), previous);
    let expected = [Staged, Applying, PendingReboot, RolledBack];
    assert_eq!(rig.states(&device, &release), expected);
    assert!(rig.pending_files().is_empty());
}

#[test]
fn kmod_failed_rollback_is_recorded_and_retried() {
    let (mut rig, previous) = kmod_rig();
    let (release, _) = apply_module(&mut rig, "2.0");
    let working = rig.ctx.clone();
    let failing = BackendsConfig {
        depmod: template(&["false"]),
        ..config(&rig.machine)
    };
    rig.ctx = rig.machine.context(failing);
    let device = rig.machine.device("module/nvme");

    let error = roll_back(&mut rig, &device).unwrap_err();
    rig.ctx = working;
    let retried = roll_back(&mut rig, &device).unwrap();

    let RollbackError::Failed { reason, .. } = &error else {
        panic!("expected Failed, got {error:?}");
    };
    assert!(reason.starts_with("rolling back failed"), "{reason}");
    assert!(reason.contains(LEFT_CHANGED), "{reason}");
    assert!(error.to_string().contains("hwupctl rollback"), "{error}");
    assert_eq!(retried.version_after, "1.5");
    let expected = [Staged, Applying, Succeeded, Failed, RolledBack];
    assert_eq!(rig.states(&device, &release), expected);
    assert_eq!(fs::read(rig.machine.path(UPDATES_NVME)).unwrap(), previous);
    assert_eq!(loaded_version(&rig.machine).as_deref(), Some("1.5"));
}
