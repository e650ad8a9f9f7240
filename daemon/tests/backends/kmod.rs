//! kmod against the laptop fixture's `nvme` module, with the real depmod and modinfo.
//!
//! The modules are real ELF objects built with `cc -c` whose `.modinfo` section
//! carries `version=...`, so the real `modinfo` reads them and the real `depmod`
//! indexes them. They contain no code and could not be inserted into a kernel.
//! A small shell script, `LOAD_SCRIPT`, replaces `modprobe`. It runs
//! `modinfo -b <root> -k <release> nvme` to find the file that depmod's index resolves,
//! and writes that file's version to the fixture's `/sys/module/nvme/version`, as a
//! real load would. It rejects modules whose version contains `broken`, so such a
//! version simulates a module that does not load.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use hwupd::backends::kmod::Kmod;
use hwupd::backends::{ApplyOutcome, Backend, BackendError, BackendsConfig, CommandTemplate};
use hwupd::backends::{Context, Verification};
use hwupd::catalog::document::{InstallMethod, Release, VersionFormat};

use crate::support::{release, Machine};

const KERNEL: &str = "6.1.0-18-amd64";
const MODULES: &str = "/lib/modules/6.1.0-18-amd64";
const UPDATES_NVME: &str = "/lib/modules/6.1.0-18-amd64/updates/nvme.ko";

const LOAD_SCRIPT: &str = r#"#!/bin/sh
# Stands in for `modprobe MODULE`: arguments are ROOT KERNEL_RELEASE MODULE.
version=$(modinfo -b "$1" -k "$2" -F version "$3") || exit 1
case $version in
  *broken*) echo "modprobe: ERROR: could not insert '$3': Invalid module format" >&2; exit 1 ;;
esac
mkdir -p "$1/sys/module/$3"
printf '%s\n' "$version" > "$1/sys/module/$3/version"
echo live > "$1/sys/module/$3/initstate"
"#;

const UNLOAD_SCRIPT: &str = r#"#!/bin/sh
# Stands in for `modprobe -r MODULE`: arguments are ROOT KERNEL_RELEASE MODULE.
rm -f "$1/sys/module/$3/version" "$1/sys/module/$3/initstate"
"#;

/// Builds an ELF object with a `.modinfo` section, which modinfo reads as a module.
fn build_module(machine: &Machine, version: &str) -> Vec<u8> {
    let source = machine.temp.path().join(format!("nvme-{version}.c"));
    let object = machine.temp.path().join(format!("nvme-{version}.o"));
    let entries = [
        format!("version={version}"),
        "license=GPL".into(),
        "name=nvme".into(),
    ];
    let lines: Vec<String> = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            format!("__attribute__((section(\".modinfo\"), used)) static const char e{i}[] = \"{entry}\";")
        })
        .collect();
    fs::write(&source, lines.join("\n")).unwrap();
    let status = Command::new("cc")
        .arg("-c")
        .arg(&source)
        .arg("-o")
        .arg(&object)
        .status();
    assert!(status.expect("cc builds the test modules").success());
    fs::read(object).unwrap()
}

fn depmod(machine: &Machine) {
    let status = Command::new("depmod")
        .arg("-b")
        .arg(machine.root.base())
        .arg(KERNEL)
        .output()
        .expect("depmod from kmod is installed");
    assert!(status.status.success(), "{status:?}");
}

fn script(machine: &Machine, name: &str, text: &str) -> String {
    let path = machine.temp.path().join(name);
    fs::write(&path, text).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

fn template(args: &[&str]) -> CommandTemplate {
    let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    CommandTemplate::try_from(args).unwrap()
}

/// Returns the laptop with the distribution's nvme 1.0 under `kernel/`, an unused loaded
/// module and a boot id.
fn module_machine() -> Machine {
    let machine = Machine::copy_of("laptop");
    let original = build_module(&machine, "1.0");
    machine.write(
        &format!("{MODULES}/kernel/drivers/nvme/host/nvme.ko"),
        original,
    );
    machine.write("/sys/module/nvme/refcnt", "0\n");
    machine.set_boot_id("11111111-1111-1111-1111-111111111111");
    depmod(&machine);
    machine
}

/// Adds an earlier update, nvme 1.5 under `updates/`, loaded.
fn with_previous_update(machine: &Machine) -> Vec<u8> {
    let previous = build_module(machine, "1.5");
    machine.write(UPDATES_NVME, &previous);
    machine.write("/sys/module/nvme/version", "1.5\n");
    depmod(machine);
    previous
}

fn config(machine: &Machine) -> BackendsConfig {
    let load = script(machine, "load.sh", LOAD_SCRIPT);
    let unload = script(machine, "unload.sh", UNLOAD_SCRIPT);
    BackendsConfig {
        module_load: template(&[&load, "{root}", "{kernel_release}", "{module}"]),
        module_unload: template(&[&unload, "{root}", "{kernel_release}", "{module}"]),
        ..BackendsConfig::default()
    }
}

fn module_release(version: &str) -> Release {
    release(InstallMethod::Kmod, version, VersionFormat::Plain)
}

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

fn loaded_version(machine: &Machine) -> Option<String> {
    let text = fs::read_to_string(machine.path("/sys/module/nvme/version")).ok()?;
    Some(text.trim().to_string())
}

fn record(machine: &Machine) -> PathBuf {
    machine
        .state_dir
        .join(format!("backends/kmod/nvme@{KERNEL}.json"))
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
