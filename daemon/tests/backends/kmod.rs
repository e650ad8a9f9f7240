//! kmod against the laptop fixture's `nvme` module, with the real depmod and modinfo;
//! `kmod_fixture` describes the test modules and the script that loads them.

use std::fs;
use std::process::Command;

use hwupd::backends::kmod::Kmod;
use hwupd::backends::{ApplyOutcome, Backend, BackendError, BackendsConfig};
use hwupd::backends::{Context, Verification};

use crate::kmod_fixture::{build_module, config, loaded_version, module_machine};
use crate::kmod_fixture::{module_release, record, template, with_previous_update};
use crate::kmod_fixture::{KERNEL, MODULES, UPDATES_NVME};
use crate::support::Machine;

fn apply(
    machine: &Machine,
    ctx: &Context,
    bytes: &[u8],
    version: &str,
) -> Result<ApplyOutcome, BackendError> {
    let device = machine.device("module/nvme");
    let payload = machine.file(&format!("payload-{version}"), bytes);
    Kmod.apply(ctx, &device, &payload, &module_release(version))
}

#[test]
fn installs_reloads_and_verifies() {
    let machine = module_machine();
    let ctx = machine.context(config(&machine));
    let bytes = build_module(&machine, "2.0");

    let outcome = apply(&machine, &ctx, &bytes, "2.0").unwrap();

    assert_eq!(outcome, ApplyOutcome::Done);
    assert_eq!(fs::read(machine.path(UPDATES_NVME)).unwrap(), bytes);
    let index = machine.read(&format!("{MODULES}/modules.dep"));
    assert!(index.contains("updates/nvme.ko:"), "{index}");
    assert_eq!(loaded_version(&machine).as_deref(), Some("2.0"));
    let device = machine.device("module/nvme");
    assert_eq!(
        Kmod.verify(&ctx, &device, &module_release("2.0")),
        Verification::Succeeded
    );
}

#[test]
fn module_in_use_waits_for_reboot() {
    let machine = module_machine();
    machine.write("/sys/module/nvme/refcnt", "3\n");
    let ctx = machine.context(config(&machine));

    let outcome = apply(&machine, &ctx, &build_module(&machine, "2.0"), "2.0").unwrap();
    let device = machine.device("module/nvme");
    let before_reboot = Kmod.verify(&ctx, &device, &module_release("2.0"));
    machine.set_boot_id("22222222-2222-2222-2222-222222222222");
    let after_reboot = Kmod.verify(&ctx, &device, &module_release("2.0"));

    assert_eq!(outcome, ApplyOutcome::PendingReboot);
    assert_eq!(loaded_version(&machine).as_deref(), Some("1.0"));
    assert!(machine.path(UPDATES_NVME).is_file());
    assert!(
        matches!(before_reboot, Verification::Pending { .. }),
        "{before_reboot:?}"
    );
    let Verification::Failed { reason } = after_reboot else {
        panic!("expected a failure after the reboot, got {after_reboot:?}");
    };
    assert!(
        reason.contains("reports version 1.0, expected 2.0"),
        "{reason}"
    );
}

#[test]
fn module_with_holders_is_not_reloaded() {
    let machine = module_machine();
    fs::create_dir_all(machine.path("/sys/module/nvme/holders/nvme_fabrics")).unwrap();
    let ctx = machine.context(config(&machine));

    let outcome = apply(&machine, &ctx, &build_module(&machine, "2.0"), "2.0").unwrap();

    assert_eq!(outcome, ApplyOutcome::PendingReboot);
    assert_eq!(loaded_version(&machine).as_deref(), Some("1.0"));
}

#[test]
fn failed_load_puts_previous_file_back() {
    let machine = module_machine();
    let previous = with_previous_update(&machine);
    let ctx = machine.context(config(&machine));

    let error = apply(
        &machine,
        &ctx,
        &build_module(&machine, "2.0-broken"),
        "2.0-broken",
    );

    let error = error.unwrap_err();
    let BackendError::LoadFailed { rollback, .. } = &error else {
        panic!("expected LoadFailed, got {error:?}");
    };
    assert!(rollback.is_none(), "{error}");
    assert!(
        error.to_string().contains("Invalid module format"),
        "{error}"
    );
    assert!(!error.state_changed());
    assert_eq!(fs::read(machine.path(UPDATES_NVME)).unwrap(), previous);
    assert_eq!(loaded_version(&machine).as_deref(), Some("1.5"));
    assert!(!record(&machine).exists());
}

#[test]
fn failed_load_without_previous_update_removes_file() {
    let machine = module_machine();
    let ctx = machine.context(config(&machine));

    let error = apply(
        &machine,
        &ctx,
        &build_module(&machine, "2.0-broken"),
        "2.0-broken",
    );

    assert!(
        matches!(error, Err(BackendError::LoadFailed { rollback: None, .. })),
        "{error:?}"
    );
    assert!(!machine.path(UPDATES_NVME).exists());
    assert_eq!(
        loaded_version(&machine).as_deref(),
        Some("1.0"),
        "the kernel/ module loads"
    );
}

#[test]
fn rollback_restores_previous_module() {
    let machine = module_machine();
    let previous = with_previous_update(&machine);
    let ctx = machine.context(config(&machine));
    apply(&machine, &ctx, &build_module(&machine, "2.0"), "2.0").unwrap();
    let device = machine.device("module/nvme");

    let outcome = Kmod
        .rollback(&ctx, &device, &module_release("2.0"))
        .unwrap();
    let again = Kmod
        .rollback(&ctx, &device, &module_release("2.0"))
        .unwrap_err();

    assert_eq!(outcome, ApplyOutcome::Done);
    assert_eq!(fs::read(machine.path(UPDATES_NVME)).unwrap(), previous);
    assert_eq!(loaded_version(&machine).as_deref(), Some("1.5"));
    assert!(!record(&machine).exists());
    assert!(!record(&machine).with_extension("backup").exists());
    assert!(
        matches!(again, BackendError::NothingToRollBack { .. }),
        "{again:?}"
    );
}

#[test]
fn reapplying_keeps_the_first_backup() {
    let machine = module_machine();
    let previous = with_previous_update(&machine);
    let ctx = machine.context(config(&machine));
    let bytes = build_module(&machine, "2.0");

    let first = apply(&machine, &ctx, &bytes, "2.0").unwrap();
    let second = apply(&machine, &ctx, &bytes, "2.0").unwrap();
    let device = machine.device("module/nvme");
    Kmod.rollback(&ctx, &device, &module_release("2.0"))
        .unwrap();

    assert_eq!(first, ApplyOutcome::Done);
    assert_eq!(second, ApplyOutcome::Done);
    assert_eq!(fs::read(machine.path(UPDATES_NVME)).unwrap(), previous);
}

#[test]
fn compressed_module_replaces_plain_file() {
    let machine = module_machine();
    let previous = with_previous_update(&machine);
    let ctx = machine.context(config(&machine));
    let plain = machine.file("nvme-2.0.ko", build_module(&machine, "2.0"));
    let xz = Command::new("xz")
        .arg("-c")
        .arg(&plain)
        .output()
        .expect("xz is installed");
    assert!(xz.status.success());

    apply(&machine, &ctx, &xz.stdout, "2.0").unwrap();
    let installed = machine.path(&format!("{UPDATES_NVME}.xz"));
    let installed_exists = installed.is_file();
    let plain_exists = machine.path(UPDATES_NVME).exists();
    let version = loaded_version(&machine);
    let device = machine.device("module/nvme");
    Kmod.rollback(&ctx, &device, &module_release("2.0"))
        .unwrap();

    assert!(installed_exists);
    assert!(!plain_exists, "depmod must see one file per module");
    assert_eq!(version.as_deref(), Some("2.0"));
    assert!(!installed.exists());
    assert_eq!(fs::read(machine.path(UPDATES_NVME)).unwrap(), previous);
}

#[test]
fn failed_depmod_leaves_files_as_before() {
    let machine = module_machine();
    let mut config = config(&machine);
    // Fails while the new file is installed, succeeds once it is removed again.
    config.depmod = template(&["sh", "-c", "test ! -e \"$0\"", "{path}"]);
    let ctx = machine.context(config);

    let error = apply(&machine, &ctx, &build_module(&machine, "2.0"), "2.0").unwrap_err();

    assert!(matches!(error, BackendError::Command { .. }), "{error:?}");
    assert!(!error.state_changed());
    assert!(!machine.path(UPDATES_NVME).exists());
    assert_eq!(loaded_version(&machine).as_deref(), Some("1.0"));
    assert!(!record(&machine).exists());
}

#[test]
fn builtin_module_is_rejected() {
    let machine = module_machine();
    let ctx = machine.context(config(&machine));
    let device = machine.device("module/usbcore");

    let error = Kmod
        .check(&ctx, &device, &module_release("2.0"))
        .unwrap_err();

    assert!(
        error.to_string().contains("built into the kernel"),
        "{error}"
    );
}

#[test]
fn file_in_place_of_updates_folder_fails_cleanly() {
    let machine = module_machine();
    machine.write(&format!("{MODULES}/updates"), "not a folder");
    let ctx = machine.context(config(&machine));

    let error = apply(&machine, &ctx, &build_module(&machine, "2.0"), "2.0").unwrap_err();

    assert!(matches!(error, BackendError::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("updates"), "{error}");
    assert!(!error.state_changed());
    assert_eq!(loaded_version(&machine).as_deref(), Some("1.0"));
}

#[test]
fn missing_modules_folder_fails_the_check() {
    let machine = Machine::copy_of("laptop");
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device("module/nvme");

    let error = Kmod
        .check(&ctx, &device, &module_release("2.0"))
        .unwrap_err();

    assert!(matches!(error, BackendError::Missing { .. }), "{error:?}");
    assert!(error.to_string().contains(KERNEL), "{error}");
}

#[test]
fn payload_that_is_no_module_is_rejected() {
    let machine = module_machine();
    let ctx = machine.context(config(&machine));

    let error = apply(&machine, &ctx, b"version=2.0\n", "2.0").unwrap_err();

    assert!(
        matches!(error, BackendError::InvalidPayload { .. }),
        "{error:?}"
    );
    assert!(!machine.path(UPDATES_NVME).exists());
}
