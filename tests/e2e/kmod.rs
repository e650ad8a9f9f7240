//! End to end: a kernel module update of the laptop's `nvme` driver inside an open
//! window, with the real depmod and modinfo, and a module that fails to load.
//!
//! The modules are ELF objects built with `cc -c` whose `.modinfo` section carries
//! `version=...`, which modinfo and depmod read like a real module's. A shell script
//! replaces `modprobe`: it writes the version of the file that depmod's index
//! resolves to the fixture's `/sys/module/nvme/version`, and it rejects a module whose
//! version contains `broken`, as modprobe rejects a module that does not load.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use hwupd_tests::lab::{check_history, last_reason, Expected, Lab, Release};
use hwupd_tests::lab::{MANUAL_SCHEDULE, OPEN_WINDOW};

const KERNEL: &str = "6.1.0-18-amd64";
const MODULES: &str = "/lib/modules/6.1.0-18-amd64";
const UPDATES_NVME: &str = "/lib/modules/6.1.0-18-amd64/updates/nvme.ko";
/// The GUID of the instance ID `LINUX\MODULE_nvme`.
const NVME_GUID: &str = "1624021f-7cdf-5cde-88a6-f98eaa8b21ad";

const LOAD_SCRIPT: &str = r#"#!/bin/sh
# Stands in for `modprobe MODULE`: arguments are ROOT KERNEL_RELEASE MODULE.
version=$(modinfo -b "$1" -k "$2" -F version "$3") || exit 1
case $version in
  *broken*) echo "modprobe: ERROR: could not insert '$3': Invalid module format" >&2; exit 1 ;;
esac
mkdir -p "$1/sys/module/$3"
printf '%s\n' "$version" > "$1/sys/module/$3/version"
"#;

const UNLOAD_SCRIPT: &str = r#"#!/bin/sh
# Stands in for `modprobe -r MODULE`: arguments are ROOT KERNEL_RELEASE MODULE.
rm -f "$1/sys/module/$3/version"
"#;

/// Builds an ELF object with a `.modinfo` section in `dir`, which modinfo reads as a
/// module of `version`.
fn build_module(dir: &Path, version: &str) -> Vec<u8> {
    let source = dir.join(format!("nvme-{version}.c"));
    let object = dir.join(format!("nvme-{version}.o"));
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
    std::fs::write(&source, lines.join("\n")).unwrap();
    let status = Command::new("cc")
        .arg("-c")
        .arg(&source)
        .arg("-o")
        .arg(&object)
        .status();
    assert!(status.expect("cc builds the test modules").success());
    std::fs::read(object).unwrap()
}

fn depmod(lab: &Lab) {
    let output = Command::new("depmod")
        .arg("-b")
        .arg(lab.root.base())
        .arg(KERNEL)
        .output()
        .expect("depmod from kmod is installed");
    assert!(output.status.success(), "{output:?}");
}

fn script(lab: &Lab, name: &str, text: &str) -> String {
    let path = lab.dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

/// Returns the `[backends]` section that runs the stand-ins for modprobe.
fn backends_config(lab: &Lab) -> String {
    let load = script(lab, "load.sh", LOAD_SCRIPT);
    let unload = script(lab, "unload.sh", UNLOAD_SCRIPT);
    format!(
        "[backends]\nmodule_load = [\"{load}\", \"{{root}}\", \"{{kernel_release}}\", \"{{module}}\"]\n\
         module_unload = [\"{unload}\", \"{{root}}\", \"{{kernel_release}}\", \"{{module}}\"]\n\
         {MANUAL_SCHEDULE}"
    )
}

/// Returns the laptop with a release of nvme `version` in its catalog. The root has
/// the distribution's nvme 1.0 under `kernel/` and nvme 1.5 under `updates/`, loaded
/// and unused.
fn module_lab(release_id: &str, version: &str) -> Lab {
    let build = tempfile::tempdir().unwrap();
    let payload = build_module(build.path(), version);
    let lab = Lab::new(
        "laptop",
        &[Release {
            id: release_id,
            guid: NVME_GUID,
            version,
            version_format: "plain",
            method: "kmod",
            severity: "high",
            payload,
        }],
    );
    let root = &lab.root;
    let original = build_module(build.path(), "1.0");
    root.write(
        &format!("{MODULES}/kernel/drivers/nvme/host/nvme.ko"),
        original,
    );
    root.write(UPDATES_NVME, build_module(build.path(), "1.5"));
    root.write("/sys/module/nvme/version", "1.5\n");
    root.write("/sys/module/nvme/refcnt", "0\n");
    root.set_boot_id("11111111-1111-1111-1111-111111111111");
    depmod(&lab);
    lab
}

fn loaded_version(lab: &Lab) -> Option<String> {
    let text = lab.root.read("/sys/module/nvme/version")?;
    Some(text.trim().to_string())
}

/// Returns the version that modinfo reads from the file depmod's index resolves.
fn indexed_version(lab: &Lab) -> String {
    let output = Command::new("modinfo")
        .arg("-b")
        .arg(lab.root.base())
        .args(["-k", KERNEL, "-F", "version", "nvme"])
        .output()
        .expect("modinfo from kmod is installed");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn module_installs_reloads_and_verifies() {
    let release = "nvme-2.0";
    let lab = module_lab(release, "2.0");
    let config = backends_config(&lab);
    let _daemon = lab.stage_and_try_closed_window(release, &config);
    let device = lab.device("module/nvme");
    assert_eq!(device["version"], "1.5");
    let sha256 = lab.payload_sha256(release);

    let applied = lab.hwupctl_ok(&["apply", release]);

    assert_eq!(applied.stdout.trim(), format!("{release}: succeeded"));
    let expected = Expected {
        release_id: release,
        device_id: device["id"].as_str().unwrap(),
        version_before: "1.5",
        version_after: "2.0",
        sha256: &sha256,
        method: "kmod",
    };
    let states = ["staged", "applying", "succeeded"];
    check_history(&lab.history(), &states, &expected);
    assert_eq!(lab.device("module/nvme")["version"], "2.0");
    assert_eq!(loaded_version(&lab).as_deref(), Some("2.0"));
    assert_eq!(indexed_version(&lab), "2.0");
}

#[test]
fn module_that_fails_to_load_is_rolled_back() {
    let release = "nvme-2.0-broken";
    let lab = module_lab(release, "2.0-broken");
    let previous = std::fs::read(lab.root.path(UPDATES_NVME)).unwrap();
    lab.configure(&format!("{}{OPEN_WINDOW}", backends_config(&lab)));
    let _daemon = lab.start();
    let device = lab.device("module/nvme");
    let sha256 = lab.payload_sha256(release);
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", release]);

    let applied = lab.hwupctl(&["apply", release]);

    assert_eq!(applied.code, Some(1), "{}", applied.stdout);
    assert!(
        applied.stderr.contains("Invalid module format"),
        "{}",
        applied.stderr
    );
    let expected = Expected {
        release_id: release,
        device_id: device["id"].as_str().unwrap(),
        version_before: "1.5",
        version_after: "2.0-broken",
        sha256: &sha256,
        method: "kmod",
    };
    let history = lab.history();
    let states = ["staged", "applying", "failed", "rolled-back"];
    check_history(&history, &states, &expected);
    let failure = history[2]["reason"].as_str().unwrap_or_default();
    assert!(
        failure.contains("kernel module nvme failed to load"),
        "{failure}"
    );
    assert!(failure.contains("Invalid module format"), "{failure}");
    let rollback = last_reason(&history);
    assert!(rollback.contains("previous module"), "{rollback}");
    assert_eq!(
        std::fs::read(lab.root.path(UPDATES_NVME)).unwrap(),
        previous
    );
    assert_eq!(indexed_version(&lab), "1.5");
    assert_eq!(loaded_version(&lab).as_deref(), Some("1.5"));
    assert_eq!(lab.device("module/nvme")["version"], "1.5");
}

#[test]
fn rollback_puts_previous_module_back() {
    let release = "nvme-2.0";
    let lab = module_lab(release, "2.0");
    let previous = std::fs::read(lab.root.path(UPDATES_NVME)).unwrap();
    lab.configure(&format!("{}{OPEN_WINDOW}", backends_config(&lab)));
    let _daemon = lab.start();
    let device = lab.device("module/nvme");
    let device_id = device["id"].as_str().unwrap();
    lab.hwupctl_ok(&["refresh"]);
    lab.hwupctl_ok(&["stage", release]);
    lab.hwupctl_ok(&["apply", release]);
    assert_eq!(lab.device("module/nvme")["version"], "2.0");

    let rolled_back = lab.hwupctl_ok(&["rollback", device_id, "--yes"]);

    let summary = format!("{device_id}: rolled back {release} from 2.0 to 1.5");
    assert_eq!(rolled_back.stdout.trim(), summary);
    assert_eq!(
        std::fs::read(lab.root.path(UPDATES_NVME)).unwrap(),
        previous
    );
    assert_eq!(indexed_version(&lab), "1.5");
    assert_eq!(loaded_version(&lab).as_deref(), Some("1.5"));
    assert_eq!(lab.device("module/nvme")["version"], "1.5");
    let history = lab.history();
    let states: Vec<&str> = history
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["staged", "applying", "succeeded", "rolled-back"]);
    let last = history.last().unwrap();
    assert_eq!(last["version_before"], "2.0", "{last}");
    assert_eq!(last["version_after"], "1.5", "{last}");
    assert_eq!(last["install_method"], "kmod", "{last}");
    assert_eq!(last_reason(&history), "rolled back by request");

    // A second rollback fails and changes nothing.
    let again = lab.hwupctl(&["rollback", device_id, "--yes"]);

    assert_eq!(again.code, Some(1), "{}", again.stdout);
    assert!(
        again.stderr.contains("is already rolled back"),
        "{}",
        again.stderr
    );
    assert_eq!(lab.history(), history);
    assert_eq!(
        std::fs::read(lab.root.path(UPDATES_NVME)).unwrap(),
        previous
    );
    assert_eq!(loaded_version(&lab).as_deref(), Some("1.5"));
}
