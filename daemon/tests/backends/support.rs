//! Shared setup: a copy of a fixture root in a temporary folder, releases and contexts.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use hwupd::backends::{BackendsConfig, Context, EmulatedConfig};
use hwupd::catalog::document::{
    Devices, InstallMethod, Payload, Release, Ring, Rollout, Severity, VersionFormat,
};
use hwupd::device::Device;
use hwupd::inventory::scan;
use hwupd::root::Root;
use tempfile::TempDir;

/// A fixture root copied into a temporary folder, with a state folder beside it.
pub struct Machine {
    pub temp: TempDir,
    pub root: Root,
    pub state_dir: PathBuf,
}

impl Machine {
    /// Copies `tests/fixtures/<name>` with its symlinks into a new temporary folder.
    pub fn copy_of(name: &str) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures")
            .join(name);
        let base = temp.path().join("root");
        copy_tree(&fixture, &base);
        let state_dir = temp.path().join("state");
        fs::create_dir_all(&state_dir).unwrap();
        Self {
            root: Root::new(base),
            state_dir,
            temp,
        }
    }

    /// Returns the path of an absolute system path under the root.
    pub fn path(&self, system_path: &str) -> PathBuf {
        self.root.join(system_path)
    }

    /// Writes a file under the root, creating its folders.
    pub fn write(&self, system_path: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(system_path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    /// Reads a file under the root as text.
    pub fn read(&self, system_path: &str) -> String {
        fs::read_to_string(self.path(system_path)).unwrap()
    }

    /// Writes a file in the temporary folder outside the root, such as a payload.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.temp.path().join(name);
        fs::write(&path, contents).unwrap();
        path
    }

    /// Sets the boot id, which the backends compare to detect a reboot.
    pub fn set_boot_id(&self, boot_id: &str) {
        self.write("/proc/sys/kernel/random/boot_id", format!("{boot_id}\n"));
    }

    pub fn context(&self, config: BackendsConfig) -> Context {
        self.context_with(config, EmulatedConfig::default())
    }

    pub fn context_with(&self, config: BackendsConfig, emulated: EmulatedConfig) -> Context {
        Context::new(self.root.clone(), &self.state_dir, config, emulated)
    }

    /// Scans the root and returns the device with `physical_id`.
    pub fn device(&self, physical_id: &str) -> Device {
        let inventory = scan(&self.root).unwrap();
        let found = inventory
            .devices
            .into_iter()
            .find(|device| device.physical_id == physical_id);
        found.unwrap_or_else(|| panic!("no device {physical_id} in the scan"))
    }
}

/// Copies a folder tree, recreating symlinks as symlinks.
pub fn copy_tree(source: &Path, target: &Path) {
    fs::create_dir_all(target).unwrap();
    for entry in fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        let to = target.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            symlink(fs::read_link(entry.path()).unwrap(), &to).unwrap();
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &to);
        } else {
            fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// Builds a release of `version` for `method`. The payload fields are placeholders,
/// because the backends get the staged file's path and leave hash checks to staging.
pub fn release(method: InstallMethod, version: &str, format: VersionFormat) -> Release {
    Release {
        id: format!("test-{method}-{version}"),
        name: "Test release".to_string(),
        summary: "A release for backend tests".to_string(),
        description: None,
        vendor: None,
        devices: Devices::default(),
        hardware_ids: Vec::new(),
        version: version.to_string(),
        version_format: format,
        replaces: None,
        lowest_supported_version: None,
        severity: Severity::High,
        cves: Vec::new(),
        known_exploited: false,
        release_date: jiff::civil::date(2024, 5, 1),
        install_method: method,
        payload: Payload {
            path: "payload.bin".to_string(),
            sha256: "0".repeat(64),
            size: 0,
            url: None,
        },
        reboot_required: false,
        rollout: Rollout {
            ring: Ring::Broad,
            percentage: 100,
        },
    }
}
