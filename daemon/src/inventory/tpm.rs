//! TPM chips whose firmware version the kernel exposes (TPM 1.2 `caps`).
//!
//! NOTE: the kernel exposes no firmware version for TPM 2.0 chips; reading it
//! needs a TPM2_GetCapability command through `/dev/tpmrm0`, not done here.

use std::path::Path;

use super::sysfs::{file_name, list_dir};
use crate::device::{Device, DeviceKind};
use crate::root::Root;

/// Lists TPMs under `/sys/class/tpm` that report a firmware version.
pub fn scan(root: &Root) -> Vec<Device> {
    list_dir(&root.join("/sys/class/tpm"))
        .iter()
        .filter_map(|dir| chip(dir))
        .collect()
}

fn chip(dir: &Path) -> Option<Device> {
    let caps = std::fs::read_to_string(dir.join("caps"))
        .or_else(|_| std::fs::read_to_string(dir.join("device/caps")))
        .ok()?;
    let field = |key: &str| {
        caps.lines().find_map(|line| {
            line.strip_prefix(key)
                .map(|v| v.trim_start_matches(':').trim().to_string())
        })
    };
    let version = field("Firmware version")?;

    let name = file_name(dir);
    let mut device = Device::new(DeviceKind::Tpm, format!("tpm/{name}"));
    device.name = "TPM".to_string();
    device.version = version;
    device.version_format = "pair".to_string();
    if let Some(manufacturer) = field("Manufacturer") {
        device.vendor = manufacturer_name(&manufacturer);
        device.add_instance_id(format!("TPM\\VEN_{}", device.vendor));
    }
    device.set_attribute("tcg_version", field("TCG version"));
    Some(device)
}

/// Decodes the TCG vendor id ("0x53544d20") into its ASCII name ("STM").
fn manufacturer_name(raw: &str) -> String {
    let digits = raw.trim_start_matches("0x");
    let Ok(code) = u32::from_str_radix(digits, 16) else {
        return raw.to_string();
    };
    let text: String = code.to_be_bytes().iter().map(|&b| b as char).collect();
    let trimmed = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if trimmed.chars().all(|c| c.is_ascii_graphic()) {
        trimmed.to_string()
    } else {
        raw.to_string()
    }
}
