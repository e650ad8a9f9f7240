//! The machine under test: a copy of the laptop fixture with an ESP and efivarfs for
//! capsule on disk, an emulated device, and a catalog signed by `hwupctl catalog` on a
//! loopback HTTP server.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use hwupd_tests::bus::TestBus;
use hwupd_tests::daemon::Daemon;
use hwupd_tests::http::HttpServer;
use hwupd_tests::{binary, fixture, parse_json, run, Run};
use serde_json::Value;

pub const EMULATED_RELEASE: &str = "demo-bmc-2.0";
pub const CAPSULE_RELEASE: &str = "system-firmware-65590";
pub const EMULATED_GUID: &str = "1ea8e2b7-3f38-5c53-b6a4-5e0f2b0b6a01";

/// ESRT class of the laptop's system firmware (entry0), which reports fw_version 65586.
pub const SYSTEM_FW: &str = "ddc0ee61-e7f0-4e7d-acc5-c070a398838e";
const ESRT_ENTRY: &str = "sys/firmware/efi/esrt/entries/entry0";
const EFIVARS: &str = "sys/firmware/efi/efivars";
const EFI_GLOBAL: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
const BOOT_ID: &str = "proc/sys/kernel/random/boot_id";

/// EFI_OS_INDICATIONS_FILE_CAPSULE_DELIVERY_SUPPORTED, the bit that capsule on disk sets.
pub const FILE_CAPSULE_DELIVERY: u64 = 0x4;

/// A private bus, a catalog server and a writable fixture root, removed when dropped.
pub struct Lab {
    pub bus: TestBus,
    /// Kept so the catalog stays served for the whole test.
    _server: HttpServer,
    pub root: PathBuf,
    config: PathBuf,
}

impl Lab {
    pub fn new() -> Self {
        let bus = TestBus::start();
        let dir = bus.scratch("lab");
        let public_key = signed_catalog(&dir);
        let server = HttpServer::start(&dir.join("www"));
        let root = bus.scratch("root");
        capsule_root(&root);

        let config = dir.join("hwupd.toml");
        let emulated = format!(
            "[[emulated.devices]]\nid = \"bmc\"\nname = \"Demo BMC\"\nversion = \"1.0\"\n\
             version_format = \"pair\"\nguid = \"{EMULATED_GUID}\"\n"
        );
        fs::write(&config, emulated).unwrap();
        fs::create_dir_all(dir.join("remotes.d")).unwrap();
        let remote = format!(
            "url = \"{}\"\npublic_keys = [\"{public_key}\"]\n",
            server.url("catalog.json")
        );
        fs::write(dir.join("remotes.d/lab.toml"), remote).unwrap();
        Self {
            bus,
            _server: server,
            root,
            config,
        }
    }

    /// Starts hwupd with `env` added to its environment, logging at info.
    pub fn start(&self, env: &[(&str, &OsStr)]) -> Daemon {
        let config = self.config.display().to_string();
        let mut env = env.to_vec();
        env.push(("HWUPD_LOG", OsStr::new("info")));
        Daemon::start_with_env(&self.bus, &self.root, &["--config", &config], &env)
    }

    pub fn hwupctl(&self, args: &[&str]) -> Run {
        run(&mut self.hwupctl_command(args))
    }

    pub fn hwupctl_command(&self, args: &[&str]) -> Command {
        let mut command = self.bus.command(binary("hwupctl"));
        command.args(args);
        command
    }

    /// Returns the records of `hwupctl history --json`, oldest first.
    pub fn history(&self) -> Vec<Value> {
        let history = parse_json(&self.hwupctl(&["history", "--json"]));
        history["history"]
            .as_array()
            .expect("history array")
            .clone()
    }

    /// Returns the version of the device with `guid` in `hwupctl devices --json`.
    pub fn device_version(&self, guid: &str) -> String {
        let devices = parse_json(&self.hwupctl(&["devices", "--json"]));
        let device = devices["devices"]
            .as_array()
            .expect("devices array")
            .iter()
            .find(|device| {
                device["guids"]
                    .as_array()
                    .is_some_and(|g| g.contains(&guid.into()))
            })
            .unwrap_or_else(|| panic!("no device has GUID {guid}: {devices}"));
        device["version"]
            .as_str()
            .expect("version text")
            .to_string()
    }

    pub fn state_dir(&self) -> PathBuf {
        self.bus.scratch("state")
    }

    /// Reads the version in the emulated device's state file, which is missing before
    /// the device's first apply.
    pub fn emulated_file_version(&self) -> Option<String> {
        let path = self.state_dir().join("emulated/bmc.json");
        let text = fs::read(path).ok()?;
        let state: Value = serde_json::from_slice(&text).expect("emulated state JSON");
        Some(state["version"].as_str().expect("version text").to_string())
    }

    /// Counts the files in the state folder's `pending/`, the records of open attempts.
    pub fn attempt_records(&self) -> usize {
        fs::read_dir(self.state_dir().join("pending")).map_or(0, |entries| entries.count())
    }

    pub fn staged_capsule(&self) -> PathBuf {
        self.root
            .join(format!("boot/efi/EFI/UpdateCapsule/{SYSTEM_FW}.cap"))
    }

    /// Reads the OsIndications variable's value, after its 4-byte attribute header.
    pub fn os_indications(&self) -> u64 {
        let path = self
            .root
            .join(format!("{EFIVARS}/OsIndications-{EFI_GLOBAL}"));
        let bytes = fs::read(&path).unwrap();
        let value: [u8; 8] = bytes[4..12].try_into().expect("8-byte value");
        u64::from_le_bytes(value)
    }

    /// Rewrites the root as a boot after which the firmware installed the capsule: a
    /// new boot id, the ESRT entry at the new version with status success, the capsule
    /// consumed and the OsIndications bit cleared.
    pub fn reboot_into_new_firmware(&self) {
        let entry = self.root.join(ESRT_ENTRY);
        fs::write(entry.join("fw_version"), "65590\n").unwrap();
        fs::write(entry.join("last_attempt_version"), "65590\n").unwrap();
        fs::write(entry.join("last_attempt_status"), "0\n").unwrap();
        let _ = fs::remove_file(self.staged_capsule());
        write_variable(&self.root, "OsIndications", 0);
        let boot_id = "22222222-2222-2222-2222-222222222222\n";
        fs::write(self.root.join(BOOT_ID), boot_id).unwrap();
    }
}

/// Writes the keys, the payloads and `www/catalog.json` with its signature, and returns
/// the public key in the form a remote's `public_keys` takes.
fn signed_catalog(dir: &Path) -> String {
    let www = dir.join("www");
    fs::create_dir_all(&www).unwrap();
    fs::write(www.join("bmc-2.0.bin"), b"2.0\n").unwrap();
    fs::write(www.join("system-65590.cap"), capsule(4096)).unwrap();
    let text = |path: PathBuf| path.display().to_string();
    let (secret, public) = (text(dir.join("catalog.key")), text(dir.join("catalog.pub")));
    let catalog = text(www.join("catalog.json"));

    catalog_command(&["keygen", "--secret-key", &secret, "--public-key", &public]);
    catalog_command(&["new", &catalog, "--remote-id", "lab"]);
    let bmc = text(www.join("bmc-2.0.bin"));
    catalog_command(&[
        "add",
        &catalog,
        "--payload",
        &bmc,
        "--id",
        EMULATED_RELEASE,
        "--name",
        "Demo BMC",
        "--summary",
        "Fixes a remote code execution",
        "--guid",
        EMULATED_GUID,
        "--version",
        "2.0",
        "--version-format",
        "pair",
        "--severity",
        "critical",
        "--install-method",
        "emulated",
    ]);
    let firmware = text(www.join("system-65590.cap"));
    catalog_command(&[
        "add",
        &catalog,
        "--payload",
        &firmware,
        "--id",
        CAPSULE_RELEASE,
        "--name",
        "System Firmware",
        "--summary",
        "Fixes a boot guard bypass",
        "--guid",
        SYSTEM_FW,
        "--version",
        "65590",
        "--version-format",
        "number",
        "--severity",
        "high",
        "--install-method",
        "uefi-capsule",
        "--reboot-required",
    ]);
    catalog_command(&["sign", &catalog, "--secret-key", &secret]);

    let key_file = fs::read_to_string(&public).unwrap();
    key_file
        .lines()
        .nth(1)
        .expect("public key line")
        .trim()
        .to_string()
}

/// Runs `hwupctl catalog` with `args` and checks that it succeeded.
fn catalog_command(args: &[&str]) {
    let result = run(Command::new(binary("hwupctl")).arg("catalog").args(args));
    assert_eq!(
        result.code,
        Some(0),
        "hwupctl catalog {args:?}: {}",
        result.stderr
    );
}

/// Builds a capsule of `total` bytes whose EFI_CAPSULE_HEADER matches its size.
fn capsule(total: u32) -> Vec<u8> {
    let mut bytes = vec![0x11; total as usize];
    bytes[16..20].copy_from_slice(&28u32.to_le_bytes());
    bytes[20..24].copy_from_slice(&0x0005_0000u32.to_le_bytes());
    bytes[24..28].copy_from_slice(&total.to_le_bytes());
    bytes
}

/// Copies the laptop fixture to `root` and adds what capsule on disk needs: a vfat ESP
/// in the mount table, OsIndicationsSupported with file capsule delivery, an empty
/// OsIndications, and a boot id.
fn capsule_root(root: &Path) {
    copy_tree(&fixture("laptop"), root);
    let mounts = "/dev/nvme0n1p2 / ext4 rw 0 0\n/dev/nvme0n1p1 /boot/efi vfat rw 0 0\n";
    write(root, "proc/self/mounts", mounts.as_bytes());
    fs::create_dir_all(root.join("boot/efi/EFI/debian")).unwrap();
    write_variable(root, "OsIndicationsSupported", FILE_CAPSULE_DELIVERY);
    write_variable(root, "OsIndications", 0);
    write(root, BOOT_ID, b"11111111-1111-1111-1111-111111111111\n");
}

/// Writes an EFI global variable as efivarfs shows it: attributes, then the value.
fn write_variable(root: &Path, name: &str, value: u64) {
    let mut bytes = 7u32.to_le_bytes().to_vec();
    bytes.extend(value.to_le_bytes());
    write(root, &format!("{EFIVARS}/{name}-{EFI_GLOBAL}"), &bytes);
}

fn write(root: &Path, relative: &str, bytes: &[u8]) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// Copies a fixture tree, keeping its symbolic links as links.
fn copy_tree(source: &Path, target: &Path) {
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
