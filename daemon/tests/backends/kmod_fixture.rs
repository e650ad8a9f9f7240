//! A kmod fixture: the laptop's `nvme` module, the real depmod and modinfo, and a
//! script in place of modprobe.
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

use hwupd::backends::{BackendsConfig, CommandTemplate};
use hwupd::catalog::document::{InstallMethod, Release, VersionFormat};

use crate::support::{release, Machine};

pub const KERNEL: &str = "6.1.0-18-amd64";
pub const MODULES: &str = "/lib/modules/6.1.0-18-amd64";
pub const UPDATES_NVME: &str = "/lib/modules/6.1.0-18-amd64/updates/nvme.ko";

pub const LOAD_SCRIPT: &str = r#"#!/bin/sh
# Stands in for `modprobe MODULE`: arguments are ROOT KERNEL_RELEASE MODULE.
version=$(modinfo -b "$1" -k "$2" -F version "$3") || exit 1
case $version in
  *broken*) echo "modprobe: ERROR: could not insert '$3': Invalid module format" >&2; exit 1 ;;
esac
mkdir -p "$1/sys/module/$3"
printf '%s\n' "$version" > "$1/sys/module/$3/version"
echo live > "$1/sys/module/$3/initstate"
"#;

pub const UNLOAD_SCRIPT: &str = r#"#!/bin/sh
# Stands in for `modprobe -r MODULE`: arguments are ROOT KERNEL_RELEASE MODULE.
rm -f "$1/sys/module/$3/version" "$1/sys/module/$3/initstate"
"#;

/// Builds an ELF object with a `.modinfo` section, which modinfo reads as a module.
pub fn build_module(machine: &Machine, version: &str) -> Vec<u8> {
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

pub fn depmod(machine: &Machine) {
    let status = Command::new("depmod")
        .arg("-b")
        .arg(machine.root.base())
        .arg(KERNEL)
        .output()
        .expect("depmod from kmod is installed");
    assert!(status.status.success(), "{status:?}");
}

pub fn script(machine: &Machine, name: &str, text: &str) -> String {
    let path = machine.temp.path().join(name);
    fs::write(&path, text).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

pub fn template(args: &[&str]) -> CommandTemplate {
    let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    CommandTemplate::try_from(args).unwrap()
}

/// Returns the laptop with the distribution's nvme 1.0 under `kernel/`, an unused loaded
/// module and a boot id.
pub fn module_machine() -> Machine {
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
pub fn with_previous_update(machine: &Machine) -> Vec<u8> {
    let previous = build_module(machine, "1.5");
    machine.write(UPDATES_NVME, &previous);
    machine.write("/sys/module/nvme/version", "1.5\n");
    depmod(machine);
    previous
}

pub fn config(machine: &Machine) -> BackendsConfig {
    let load = script(machine, "load.sh", LOAD_SCRIPT);
    let unload = script(machine, "unload.sh", UNLOAD_SCRIPT);
    BackendsConfig {
        module_load: template(&[&load, "{root}", "{kernel_release}", "{module}"]),
        module_unload: template(&[&unload, "{root}", "{kernel_release}", "{module}"]),
        ..BackendsConfig::default()
    }
}

pub fn module_release(version: &str) -> Release {
    release(InstallMethod::Kmod, version, VersionFormat::Plain)
}

pub fn loaded_version(machine: &Machine) -> Option<String> {
    let text = fs::read_to_string(machine.path("/sys/module/nvme/version")).ok()?;
    Some(text.trim().to_string())
}

pub fn record(machine: &Machine) -> PathBuf {
    machine
        .state_dir
        .join(format!("backends/kmod/nvme@{KERNEL}.json"))
}
