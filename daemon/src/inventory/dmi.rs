//! System firmware from DMI/SMBIOS, as `/sys/class/dmi/id` exposes it.

use super::sysfs::read_attr;
use crate::device::{Device, DeviceKind};
use crate::root::Root;

/// The SMBIOS strings hwupd uses, already trimmed; placeholders read as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Smbios {
    pub bios_vendor: Option<String>,
    pub bios_version: Option<String>,
    pub bios_date: Option<String>,
    /// `major.minor` from `bios_release`, present on kernels since 5.10.
    pub bios_release: Option<String>,
    pub sys_vendor: Option<String>,
    pub product_name: Option<String>,
    pub product_family: Option<String>,
    pub product_sku: Option<String>,
    pub board_vendor: Option<String>,
    pub board_name: Option<String>,
    /// SMBIOS chassis type, written in decimal by sysfs.
    pub chassis_type: Option<String>,
}

/// Strings that vendors leave in unused SMBIOS fields; they identify nothing.
const PLACEHOLDERS: &[&str] = &[
    "to be filled by o.e.m.",
    "default string",
    "system version",
    "system product name",
    "system manufacturer",
    "sku",
    "not applicable",
    "not specified",
    "none",
    "o.e.m.",
    "oem",
    "0123456789",
];

/// Reads the DMI attributes under the root. Missing files give `None` fields.
pub fn read(root: &Root) -> Smbios {
    let dir = root.join("/sys/class/dmi/id");
    let field = |name: &str| read_attr(&dir, name).filter(|v| !is_placeholder(v));
    Smbios {
        bios_vendor: field("bios_vendor"),
        bios_version: field("bios_version"),
        bios_date: field("bios_date"),
        bios_release: field("bios_release"),
        sys_vendor: field("sys_vendor"),
        product_name: field("product_name"),
        product_family: field("product_family"),
        product_sku: field("product_sku"),
        board_vendor: field("board_vendor"),
        board_name: field("board_name"),
        chassis_type: field("chassis_type"),
    }
}

/// Reports whether an SMBIOS string is a vendor placeholder such as "Default string".
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    PLACEHOLDERS.contains(&lower.as_str())
}

/// Builds the system firmware device from the BIOS strings, when there are any.
pub fn system_firmware(smbios: &Smbios) -> Option<Device> {
    let version = smbios.bios_version.clone()?;
    let mut device = Device::new(DeviceKind::SystemFirmware, "dmi/bios");
    device.name = "System Firmware".to_string();
    device.vendor = smbios.bios_vendor.clone().unwrap_or_default();
    device.version = version;
    device.set_attribute("bios_date", smbios.bios_date.clone());
    device.set_attribute("bios_release", smbios.bios_release.clone());
    device.set_attribute("system_vendor", smbios.sys_vendor.clone());
    device.set_attribute("system_product", smbios.product_name.clone());
    device.set_attribute("system_family", smbios.product_family.clone());
    device.set_attribute("board_vendor", smbios.board_vendor.clone());
    device.set_attribute("board_product", smbios.board_name.clone());

    // The machine's hardware IDs name its firmware in catalogs, as fwupd's do.
    for guid in super::hwids::compute(smbios) {
        device.add_guid(guid);
    }
    Some(device)
}
