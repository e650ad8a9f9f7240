//! USB devices with their `bcdDevice` release number.

use std::path::Path;

use super::drivers::bound_driver;
use super::names;
use super::sysfs::{file_name, list_dir, read_attr, read_hex};
use crate::device::{Device, DeviceKind};
use crate::root::Root;

/// Lists USB devices under `/sys/bus/usb/devices`; interfaces (`1-1:1.0`) are
/// not devices and are skipped.
pub fn scan(root: &Root) -> Vec<Device> {
    list_dir(&root.join("/sys/bus/usb/devices"))
        .iter()
        .filter(|dir| !file_name(dir).contains(':'))
        .filter_map(|dir| usb_device(root, dir))
        .collect()
}

fn usb_device(root: &Root, dir: &Path) -> Option<Device> {
    let vendor = read_hex(dir, "idVendor")?;
    let product = read_hex(dir, "idProduct")?;
    let bcd = read_hex(dir, "bcdDevice");
    let port = file_name(dir);

    let mut device = Device::new(DeviceKind::Usb, format!("usb/{port}"));
    device.name = read_attr(dir, "product")
        .unwrap_or_else(|| format!("USB device {vendor:04x}:{product:04x}"));
    device.vendor = read_attr(dir, "manufacturer").unwrap_or_else(|| names::vendor(vendor));
    if let Some(bcd) = bcd {
        set_bcd_version(&mut device, bcd);
    }
    if let Some(serial) = read_attr(dir, "serial") {
        device.set_serial(&serial);
    }
    device.driver = interface_driver(root, dir, &port).or_else(|| bound_driver(root, dir));
    device.set_attribute("port", Some(port));
    device.set_attribute("usb_version", read_attr(dir, "version"));

    let base = format!("USB\\VID_{vendor:04X}&PID_{product:04X}");
    if let Some(bcd) = bcd {
        device.add_instance_id(format!("{base}&REV_{bcd:04X}"));
    }
    device.add_instance_id(base);
    device.add_instance_id(format!("USB\\VID_{vendor:04X}"));
    Some(device)
}

/// The driver of the first interface, which does the device's real work
/// (`usbhid`, `btusb`); the device itself is bound to the generic `usb`.
fn interface_driver(root: &Root, dir: &Path, port: &str) -> Option<crate::device::Driver> {
    let config = read_attr(dir, "bConfigurationValue").unwrap_or_else(|| "1".to_string());
    let interface = format!("{}:{config}.0", interface_prefix(port));
    bound_driver(root, &dir.join(interface))
}

/// Returns the device part of an interface name. Interfaces of a root hub
/// (`usb1`) are named after its bus number and devpath 0 (`1-0:1.0`), and those of
/// other devices after the device (`1-2.4:1.0`).
fn interface_prefix(device_name: &str) -> String {
    match device_name.strip_prefix("usb") {
        Some(bus) => format!("{bus}-0"),
        None => device_name.to_string(),
    }
}

/// Renders `bcdDevice` as `major.minor` in BCD (0x0320 is "3.20"). A value
/// with a nibble above 9 is not BCD, so it is shown in hex rather than guessed.
fn set_bcd_version(device: &mut Device, bcd: u64) {
    device.version_raw = Some(bcd);
    let strict = u16::try_from(bcd)
        .ok()
        .map(crate::version::bcd_from_u16_strict);
    match strict {
        Some(Ok(text)) => {
            device.version = text;
            device.version_format = "bcd".to_string();
        }
        _ => {
            device.version = format!("0x{bcd:04x}");
            device.version_format = "hex".to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_prefix_of_root_hub() {
        assert_eq!(interface_prefix("usb1"), "1-0");
        assert_eq!(interface_prefix("usb12"), "12-0");
        assert_eq!(interface_prefix("1-2.4"), "1-2.4");
    }
}
