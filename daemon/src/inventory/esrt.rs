//! UEFI ESRT entries: firmware that the platform can update with capsules.

use std::path::Path;

use super::dmi::Smbios;
use super::sysfs::{file_name, list_dir, read_attr, read_u64};
use crate::device::{Device, DeviceKind};
use crate::root::Root;

const NIL_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// Lists the ESRT entries under `/sys/firmware/efi/esrt/entries`, skipping
/// entries without a class GUID or with the nil GUID.
pub fn scan(root: &Root, smbios: &Smbios) -> Vec<Device> {
    let entries = root.join("/sys/firmware/efi/esrt/entries");
    list_dir(&entries)
        .iter()
        .filter_map(|dir| entry(dir, smbios))
        .collect()
}

fn entry(dir: &Path, smbios: &Smbios) -> Option<Device> {
    let fw_class = read_attr(dir, "fw_class")?.to_ascii_lowercase();
    if fw_class == NIL_GUID || !crate::guid::is_guid(&fw_class) {
        return None;
    }

    let fw_type = read_u64(dir, "fw_type").unwrap_or(0);
    let mut device = Device::new(DeviceKind::UefiEsrt, format!("esrt/{fw_class}"));
    device.name = type_name(fw_type).to_string();
    if fw_type == 1 {
        device.vendor = smbios.bios_vendor.clone().unwrap_or_default();
    }

    // ESRT versions are 32-bit integers whose layout only the vendor knows, so
    // they are shown and compared as numbers unless a catalog says otherwise.
    device.version_raw = read_u64(dir, "fw_version");
    device.version = device
        .version_raw
        .map(|v| v.to_string())
        .unwrap_or_default();
    device.version_format = "number".to_string();
    device.version_lowest = read_attr(dir, "lowest_supported_fw_version");
    device.add_guid(fw_class.clone());
    device.add_instance_id(format!("UEFI\\RES_{{{}}}", fw_class.to_ascii_uppercase()));

    let status = read_u64(dir, "last_attempt_status");
    device.set_attribute("esrt_entry", Some(file_name(dir)));
    device.set_attribute("fw_type", Some(fw_type.to_string()));
    device.set_attribute(
        "last_attempt_version",
        read_attr(dir, "last_attempt_version"),
    );
    device.set_attribute(
        "last_attempt_status",
        status.map(|s| status_name(s).to_string()),
    );
    device.set_attribute("capsule_flags", read_attr(dir, "capsule_flags"));
    Some(device)
}

/// Names an ESRT `fw_type` as the UEFI specification defines it.
fn type_name(fw_type: u64) -> &'static str {
    match fw_type {
        1 => "System Firmware",
        2 => "Device Firmware",
        3 => "UEFI Driver",
        _ => "UEFI Firmware",
    }
}

/// Names an ESRT `last_attempt_status` code as the UEFI specification defines it.
pub fn status_name(status: u64) -> &'static str {
    match status {
        0 => "success",
        1 => "unsuccessful",
        2 => "insufficient-resources",
        3 => "incorrect-version",
        4 => "invalid-format",
        5 => "auth-error",
        6 => "power-event-ac",
        7 => "power-event-battery",
        8 => "unsatisfied-dependencies",
        0x1000..=0x4000 => "vendor-error",
        _ => "unknown",
    }
}
