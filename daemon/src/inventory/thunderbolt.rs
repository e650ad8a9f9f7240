//! Thunderbolt and USB4 controllers with their NVM version.

use std::path::Path;

use super::drivers::bound_driver;
use super::sysfs::{file_name, list_dir, read_attr, read_hex};
use crate::device::{Device, DeviceKind};
use crate::root::Root;

/// Lists Thunderbolt devices that expose `nvm_version`.
pub fn scan(root: &Root) -> Vec<Device> {
    list_dir(&root.join("/sys/bus/thunderbolt/devices"))
        .iter()
        .filter_map(|dir| controller(root, dir))
        .collect()
}

fn controller(root: &Root, dir: &Path) -> Option<Device> {
    let nvm_version = read_attr(dir, "nvm_version")?;
    let name = file_name(dir);

    let mut device = Device::new(DeviceKind::Thunderbolt, format!("thunderbolt/{name}"));
    device.name =
        read_attr(dir, "device_name").unwrap_or_else(|| "Thunderbolt controller".to_string());
    device.vendor = read_attr(dir, "vendor_name").unwrap_or_default();
    device.version = crate::version::normalize_nvm_version(&nvm_version).unwrap_or(nvm_version);
    device.version_format = "pair".to_string();
    device.driver = bound_driver(root, dir);
    if let Some(unique_id) = read_attr(dir, "unique_id") {
        device.set_serial(&unique_id);
    }
    device.set_attribute("authorized", read_attr(dir, "authorized"));
    device.set_attribute("sysfs_name", Some(name));

    if let (Some(vendor), Some(product)) = (read_hex(dir, "vendor"), read_hex(dir, "device")) {
        device.add_instance_id(format!("TBT-{vendor:04x}{product:04x}"));
    }
    Some(device)
}
