//! PCI functions with their ids, revision and bound driver.

use std::path::Path;

use super::drivers::bound_driver;
use super::names;
use super::sysfs::{file_name, list_dir, read_hex};
use crate::device::{Device, DeviceKind};
use crate::root::Root;

/// Lists every function under `/sys/bus/pci/devices`.
pub fn scan(root: &Root) -> Vec<Device> {
    list_dir(&root.join("/sys/bus/pci/devices"))
        .iter()
        .filter_map(|dir| function(root, dir))
        .collect()
}

fn function(root: &Root, dir: &Path) -> Option<Device> {
    let vendor = read_hex(dir, "vendor")?;
    let product = read_hex(dir, "device")?;
    let class = read_hex(dir, "class").unwrap_or(0);
    let revision = read_hex(dir, "revision");
    let address = file_name(dir);

    let mut device = Device::new(DeviceKind::Pci, format!("pci/{address}"));
    device.name = format!("{} {vendor:04x}:{product:04x}", names::pci_class(class));
    device.vendor = names::vendor(vendor);
    if let Some(revision) = revision {
        device.version = format!("0x{revision:02x}");
        device.version_raw = Some(revision);
        device.version_format = "hex".to_string();
    }
    device.driver = bound_driver(root, dir);
    device.set_attribute("address", Some(address));
    device.set_attribute("class", Some(format!("0x{class:06x}")));

    let subsystem = read_hex(dir, "subsystem_vendor").zip(read_hex(dir, "subsystem_device"));
    add_instance_ids(&mut device, "PCI", vendor, product, subsystem, revision);
    Some(device)
}

/// Adds fwupd's PCI-style instance IDs under `prefix` (`PCI`, `NVME`), most
/// specific first.
pub fn add_instance_ids(
    device: &mut Device,
    prefix: &str,
    vendor: u64,
    product: u64,
    subsystem: Option<(u64, u64)>,
    revision: Option<u64>,
) {
    let base = format!("{prefix}\\VEN_{vendor:04X}&DEV_{product:04X}");
    let subsys = subsystem.map(|(v, d)| format!("&SUBSYS_{v:04X}{d:04X}"));
    let rev = revision.map(|r| format!("&REV_{r:02X}"));
    if let (Some(subsys), Some(rev)) = (&subsys, &rev) {
        device.add_instance_id(format!("{base}{subsys}{rev}"));
    }
    if let Some(subsys) = &subsys {
        device.add_instance_id(format!("{base}{subsys}"));
    }
    if let Some(rev) = &rev {
        device.add_instance_id(format!("{base}{rev}"));
    }
    device.add_instance_id(base);
    device.add_instance_id(format!("{prefix}\\VEN_{vendor:04X}"));
}
