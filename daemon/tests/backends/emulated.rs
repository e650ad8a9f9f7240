//! emulated: configured devices with their version in a state file.

use std::fs;

use hwupd::backends::emulated::{self, Emulated};
use hwupd::backends::{ApplyOutcome, Backend, BackendError, BackendsConfig, Context};
use hwupd::backends::{EmulatedConfig, EmulatedFailure, Verification};
use hwupd::catalog::document::{InstallMethod, Release, VersionFormat};
use hwupd::config::Config;
use hwupd::device::{Device, DeviceKind};

use crate::support::{release, Machine};

const GUID: &str = "2fa8891f-3ece-53a4-adc4-0dd875685f30";

fn emulated_config(failure: &str) -> EmulatedConfig {
    let text = format!(
        "[[emulated.devices]]\nid = \"demo-ssd\"\nname = \"Demo SSD\"\nversion = \"1.2.3\"\n\
         version_format = \"triplet\"\nguid = \"{GUID}\"\nfailure = \"{failure}\"\n"
    );
    Config::parse(&text).unwrap().emulated
}

fn setup(failure: &str) -> (Machine, Context, Device) {
    let machine = Machine::copy_of("vm");
    let ctx = machine.context_with(BackendsConfig::default(), emulated_config(failure));
    let device = emulated::devices(&ctx).remove(0);
    (machine, ctx, device)
}

fn demo_release(version: &str) -> Release {
    release(InstallMethod::Emulated, version, VersionFormat::Triplet)
}

fn current_version(ctx: &Context) -> String {
    emulated::devices(ctx).remove(0).version
}

#[test]
fn devices_come_from_the_config() {
    let (_machine, ctx, device) = setup("none");

    assert_eq!(emulated::devices(&ctx).len(), 1);
    assert_eq!(device.kind, DeviceKind::Emulated);
    assert_eq!(device.name, "Demo SSD");
    assert_eq!(device.version, "1.2.3");
    assert_eq!(device.version_format, "triplet");
    assert_eq!(device.guids, [GUID]);
    assert_eq!(device.physical_id, "emulated/demo-ssd");
}

#[test]
fn no_devices_without_config() {
    let machine = Machine::copy_of("vm");
    let ctx = machine.context(BackendsConfig::default());

    assert!(emulated::devices(&ctx).is_empty());
}

#[test]
fn apply_verify_and_rollback() {
    let (machine, ctx, device) = setup("none");
    let payload = machine.file("payload.bin", [0u8, 1, 2, 3]);

    let outcome = Emulated
        .apply(&ctx, &device, &payload, &demo_release("1.2.4"))
        .unwrap();
    let after_apply = current_version(&ctx);
    let verified = Emulated.verify(&ctx, &device, &demo_release("1.2.4"));
    Emulated
        .rollback(&ctx, &device, &demo_release("1.2.4"))
        .unwrap();
    let after_rollback = current_version(&ctx);
    let again = Emulated
        .rollback(&ctx, &device, &demo_release("1.2.4"))
        .unwrap_err();

    assert_eq!(outcome, ApplyOutcome::Done);
    assert_eq!(after_apply, "1.2.4");
    assert_eq!(verified, Verification::Succeeded);
    assert_eq!(after_rollback, "1.2.3");
    assert!(
        matches!(again, BackendError::NothingToRollBack { .. }),
        "{again:?}"
    );
    assert!(machine.state_dir.join("emulated/demo-ssd.json").is_file());
}

#[test]
fn payload_text_sets_the_version() {
    let (machine, ctx, device) = setup("none");
    let payload = machine.file("payload.txt", "1.3.0\n");

    Emulated
        .apply(&ctx, &device, &payload, &demo_release("1.2.4"))
        .unwrap();
    let verification = Emulated.verify(&ctx, &device, &demo_release("1.2.4"));

    assert_eq!(current_version(&ctx), "1.3.0");
    let Verification::Failed { reason } = verification else {
        panic!("expected a failure, got {verification:?}");
    };
    assert!(
        reason.contains("reports version 1.3.0, expected 1.2.4"),
        "{reason}"
    );
}

#[test]
fn apply_failure_changes_nothing() {
    let (machine, ctx, device) = setup("apply");
    let payload = machine.file("payload.bin", [0u8; 4]);

    let error = Emulated
        .apply(&ctx, &device, &payload, &demo_release("1.2.4"))
        .unwrap_err();

    assert!(
        matches!(error, BackendError::InjectedFailure { .. }),
        "{error:?}"
    );
    assert!(!error.state_changed());
    assert_eq!(current_version(&ctx), "1.2.3");
    assert!(!machine.state_dir.join("emulated/demo-ssd.json").exists());
}

#[test]
fn verify_failure_keeps_the_old_version() {
    let (machine, ctx, device) = setup("verify");
    let payload = machine.file("payload.bin", [0u8; 4]);

    let outcome = Emulated
        .apply(&ctx, &device, &payload, &demo_release("1.2.4"))
        .unwrap();
    let verification = Emulated.verify(&ctx, &device, &demo_release("1.2.4"));

    assert_eq!(outcome, ApplyOutcome::Done);
    assert!(
        matches!(verification, Verification::Failed { .. }),
        "{verification:?}"
    );
}

#[test]
fn reapplying_keeps_the_rollback_version() {
    let (machine, ctx, device) = setup("none");
    let payload = machine.file("payload.bin", [0u8; 4]);

    Emulated
        .apply(&ctx, &device, &payload, &demo_release("1.2.4"))
        .unwrap();
    Emulated
        .apply(&ctx, &device, &payload, &demo_release("1.2.4"))
        .unwrap();
    Emulated
        .rollback(&ctx, &device, &demo_release("1.2.4"))
        .unwrap();

    assert_eq!(current_version(&ctx), "1.2.3");
}

#[test]
fn file_in_place_of_state_folder_fails_cleanly() {
    let (machine, ctx, device) = setup("none");
    fs::write(machine.state_dir.join("emulated"), "not a folder").unwrap();
    let payload = machine.file("payload.bin", [0u8; 4]);

    let error = Emulated
        .apply(&ctx, &device, &payload, &demo_release("1.2.4"))
        .unwrap_err();

    assert!(matches!(error, BackendError::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("emulated"), "{error}");
    assert!(!error.state_changed());
}

#[test]
fn unconfigured_device_is_rejected() {
    let (machine, _ctx, device) = setup("none");
    let unconfigured = machine.context(BackendsConfig::default());

    let error = Emulated
        .check(&unconfigured, &device, &demo_release("1.2.4"))
        .unwrap_err();

    assert!(error.to_string().contains("demo-ssd"), "{error}");
}

#[test]
fn failure_setting_parses() {
    let config = emulated_config("verify");

    assert_eq!(config.devices[0].failure, EmulatedFailure::Verify);
}
