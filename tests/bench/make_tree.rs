//! Writes a synthetic sysfs root with N devices for the inventory scaling benchmark.
//!
//! `cargo run --release -p hwupd-tests --example make_tree -- N DIR`
//!
//! The tree follows the kernel's layout as `tests/fixtures/make-fixtures.sh`
//! writes it: devices under `sys/devices/`, relative symlinks from `sys/bus/`
//! and `sys/class/`, and `driver` links into `sys/bus/<bus>/drivers/`. Devices
//! are added in turn as an NVMe drive (its PCI function and its controller), a
//! network PCI function and a USB device with one interface. Every 15 USB
//! devices get a new xHCI function with a root hub. The inventory of the tree
//! has exactly N devices besides one kernel-module device per bound module.

use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// USB devices per root hub. An xHCI root hub has at most 15 ports of one speed.
const PORTS_PER_HUB: u32 = 15;

/// Upper bound on N, so a mistyped count cannot fill the disk. A device takes
/// about ten small files.
const MAX_DEVICES: u64 = 1_000_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = parse_args(&args).and_then(|(count, dir)| {
        write_tree(count, &dir).map_err(|e| format!("writing {} failed: {e}", dir.display()))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("make_tree: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(args: &[String]) -> Result<(u64, PathBuf), String> {
    let [count, dir] = args else {
        return Err("usage: make_tree N DIR (N devices, DIR a new or empty folder)".into());
    };
    let count: u64 = count
        .parse()
        .ok()
        .filter(|n| (1..=MAX_DEVICES).contains(n))
        .ok_or_else(|| format!("device count {count:?} is invalid; give 1 to {MAX_DEVICES}"))?;
    let dir = PathBuf::from(dir);
    let occupied = fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        return Err(format!("{} is not empty; give a new folder", dir.display()));
    }
    Ok((count, dir))
}

/// Writes the drivers and modules, then adds devices until there are `count`.
fn write_tree(count: u64, dir: &Path) -> io::Result<()> {
    let mut tree = Tree::new(dir);
    tree.put("proc/sys/kernel/osrelease", "6.1.0-bench-amd64")?;
    tree.drivers_and_modules()?;

    let mut step = 0u64;
    while tree.devices < count {
        let remaining = count - tree.devices;
        match step % 3 {
            0 if remaining >= 2 => tree.nvme()?,
            2 if remaining >= 3 || tree.free_usb_port() => tree.usb_device()?,
            _ => tree.network_function()?,
        }
        step += 1;
    }
    Ok(())
}

/// A tree being written, with counters that pick the next free names.
struct Tree {
    root: PathBuf,
    /// Inventory devices written so far, kernel modules not counted.
    devices: u64,
    pci_functions: u32,
    nvme_controllers: u32,
    /// Number of the newest USB bus, 0 before the first.
    usb_bus: u32,
    /// Path of the newest root hub under `sys/devices/`.
    root_hub: String,
    ports_used: u32,
}

impl Tree {
    fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            devices: 0,
            pci_functions: 0,
            nvme_controllers: 0,
            usb_bus: 0,
            root_hub: String::new(),
            ports_used: PORTS_PER_HUB,
        }
    }

    /// Writes `value` and the newline that sysfs adds to `path` under the root.
    fn put(&self, path: &str, value: &str) -> io::Result<()> {
        let file = self.root.join(path);
        if let Some(parent) = file.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(file, format!("{value}\n"))
    }

    /// Creates the symlink `link` pointing to `target`, both relative to the
    /// root, through the relative path that the kernel would write.
    fn link(&self, link: &str, target: &str) -> io::Result<()> {
        let file = self.root.join(link);
        if let Some(parent) = file.parent() {
            fs::create_dir_all(parent)?;
        }
        symlink(relative_path(link, target), file)
    }

    /// Creates `sys/bus/BUS/drivers/NAME`, linked to its module when it has one.
    fn driver(&self, bus: &str, name: &str, module: Option<&str>) -> io::Result<()> {
        let dir = format!("sys/bus/{bus}/drivers/{name}");
        self.put(&format!("{dir}/uevent"), "")?;
        match module {
            Some(module) => self.link(&format!("{dir}/module"), &format!("sys/module/{module}")),
            None => Ok(()),
        }
    }

    /// Creates `sys/module/NAME`; a loaded module has `initstate` and a
    /// built-in one only its folder.
    fn module(&self, name: &str, version: Option<&str>, loaded: bool) -> io::Result<()> {
        let dir = format!("sys/module/{name}");
        fs::create_dir_all(self.root.join(&dir))?;
        if let Some(version) = version {
            self.put(&format!("{dir}/version"), version)?;
        }
        if loaded {
            self.put(&format!("{dir}/initstate"), "live")?;
        }
        Ok(())
    }

    fn drivers_and_modules(&self) -> io::Result<()> {
        self.driver("pci", "nvme", Some("nvme"))?;
        self.module("nvme", Some("1.0"), true)?;
        self.driver("pci", "igb", Some("igb"))?;
        self.module("igb", Some("5.6.0-k"), true)?;
        self.driver("pci", "xhci_hcd", Some("xhci_pci"))?;
        self.module("xhci_pci", None, true)?;

        // The generic `usb` driver and `hub` are built into usbcore.
        self.driver("usb", "usb", None)?;
        self.driver("usb", "hub", Some("usbcore"))?;
        self.module("usbcore", None, false)?;
        self.driver("usb", "usbhid", Some("usbhid"))?;
        self.module("usbhid", None, true)
    }

    /// Links `device/driver` to `sys/bus/BUS/drivers/DRIVER`.
    fn bind(&self, device: &str, bus: &str, driver: &str) -> io::Result<()> {
        self.link(
            &format!("{device}/driver"),
            &format!("sys/bus/{bus}/drivers/{driver}"),
        )
    }

    /// Writes the next PCI function and returns its folder. Each bus gets 32
    /// slots, each root bus 256 buses, as in the kernel's `DDDD:BB:SS.F` names.
    fn pci_function(&mut self, ids: [&str; 4], driver: &str) -> io::Result<String> {
        let index = self.pci_functions;
        self.pci_functions += 1;
        let (domain, bus, slot) = (index / 8192, index / 32 % 256, index % 32);
        let address = format!("{domain:04x}:{bus:02x}:{slot:02x}.0");
        let dir = format!("sys/devices/pci{domain:04x}:{bus:02x}/{address}");

        let [vendor, device, class, revision] = ids;
        let attributes = [
            ("vendor", vendor),
            ("device", device),
            ("class", class),
            ("revision", revision),
            ("subsystem_vendor", vendor),
            ("subsystem_device", "0x0001"),
        ];
        for (name, value) in attributes {
            self.put(&format!("{dir}/{name}"), value)?;
        }
        self.link(&format!("sys/bus/pci/devices/{address}"), &dir)?;
        self.bind(&dir, "pci", driver)?;
        self.devices += 1;
        Ok(dir)
    }

    fn network_function(&mut self) -> io::Result<()> {
        self.pci_function(["0x8086", "0x1533", "0x020000", "0x03"], "igb")?;
        Ok(())
    }

    /// An NVMe drive: its PCI function and its controller, two devices.
    fn nvme(&mut self) -> io::Result<()> {
        let function = self.pci_function(["0x144d", "0xa808", "0x010802", "0x00"], "nvme")?;
        let name = format!("nvme{}", self.nvme_controllers);
        self.nvme_controllers += 1;

        let controller = format!("{function}/nvme/{name}");
        self.put(
            &format!("{controller}/model"),
            "Samsung SSD 970 EVO Plus 1TB",
        )?;
        self.put(
            &format!("{controller}/serial"),
            &format!("BENCH{:08}", self.devices),
        )?;
        self.put(&format!("{controller}/firmware_rev"), "2B2QEXM7")?;
        let address = function.rsplit('/').next().unwrap_or_default();
        self.put(&format!("{controller}/address"), address)?;
        self.link(&format!("{controller}/device"), &function)?;
        self.link(&format!("sys/class/nvme/{name}"), &controller)?;
        self.devices += 1;
        Ok(())
    }

    fn free_usb_port(&self) -> bool {
        self.ports_used < PORTS_PER_HUB
    }

    /// An xHCI function and its root hub `usbN`, two devices.
    fn usb_host(&mut self) -> io::Result<()> {
        let function = self.pci_function(["0x8086", "0x9d2f", "0x0c0330", "0x21"], "xhci_hcd")?;
        self.usb_bus += 1;
        let bus = self.usb_bus;
        self.root_hub = format!("{function}/usb{bus}");
        self.ports_used = 0;

        let hub = self.root_hub.clone();
        self.usb_attributes(&hub, ["1d6b", "0002", "0601"], "xHCI Host Controller")?;
        self.link(&format!("sys/bus/usb/devices/usb{bus}"), &hub)?;
        self.bind(&hub, "usb", "usb")?;
        self.usb_interface(&hub, &format!("{bus}-0:1.0"), "09", "hub")?;
        self.devices += 1;
        Ok(())
    }

    /// A USB device on the next free port, and a new host when the hub is full.
    fn usb_device(&mut self) -> io::Result<()> {
        if !self.free_usb_port() {
            self.usb_host()?;
        }
        self.ports_used += 1;
        let name = format!("{}-{}", self.usb_bus, self.ports_used);
        let dir = format!("{}/{name}", self.root_hub);

        self.usb_attributes(&dir, ["046d", "c52b", "1201"], "USB Receiver")?;
        self.put(
            &format!("{dir}/serial"),
            &format!("BENCH{:08}", self.devices),
        )?;
        self.link(&format!("sys/bus/usb/devices/{name}"), &dir)?;
        self.bind(&dir, "usb", "usb")?;
        self.usb_interface(&dir, &format!("{name}:1.0"), "03", "usbhid")?;
        self.devices += 1;
        Ok(())
    }

    /// Writes a USB device's ids, release number and strings. The kernel prints
    /// ids without `0x` and the USB version with a leading space.
    fn usb_attributes(&self, dir: &str, ids: [&str; 3], product: &str) -> io::Result<()> {
        let [vendor, id_product, bcd] = ids;
        self.put(&format!("{dir}/idVendor"), vendor)?;
        self.put(&format!("{dir}/idProduct"), id_product)?;
        self.put(&format!("{dir}/bcdDevice"), bcd)?;
        self.put(&format!("{dir}/version"), " 2.00")?;
        self.put(&format!("{dir}/bConfigurationValue"), "1")?;
        self.put(&format!("{dir}/product"), product)
    }

    fn usb_interface(&self, device: &str, name: &str, class: &str, driver: &str) -> io::Result<()> {
        let dir = format!("{device}/{name}");
        self.put(&format!("{dir}/bInterfaceClass"), class)?;
        self.link(&format!("sys/bus/usb/devices/{name}"), &dir)?;
        self.bind(&dir, "usb", driver)
    }
}

/// Returns `target` relative to the folder of `link`; both are relative to
/// the same root and free of `.` and `..`.
fn relative_path(link: &str, target: &str) -> PathBuf {
    let from: Vec<&str> = link.split('/').collect();
    let from = &from[..from.len().saturating_sub(1)];
    let to: Vec<&str> = target.split('/').collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();

    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for part in &to[common..] {
        path.push(part);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_path_matches_kernel_links() {
        let cases = [
            (
                "sys/bus/pci/devices/0000:00:00.0",
                "sys/devices/pci0000:00/0000:00:00.0",
            ),
            (
                "sys/devices/pci0000:00/0000:00:00.0/driver",
                "sys/bus/pci/drivers/igb",
            ),
            ("sys/devices/p/f/nvme/nvme0/device", "sys/devices/p/f"),
        ];
        let expected = [
            "../../../devices/pci0000:00/0000:00:00.0",
            "../../../bus/pci/drivers/igb",
            "../..",
        ];
        for ((link, target), expected) in cases.iter().zip(expected) {
            assert_eq!(relative_path(link, target), PathBuf::from(expected));
        }
    }
}
