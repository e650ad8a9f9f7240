//! The device model shared by the inventory, the catalogs and the D-Bus service.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::guid;

/// What a device is, which decides where its version comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    SystemFirmware,
    UefiEsrt,
    CpuMicrocode,
    Pci,
    Nvme,
    Disk,
    Usb,
    Thunderbolt,
    Tpm,
    KernelModule,
    Emulated,
}

impl DeviceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SystemFirmware => "system-firmware",
            Self::UefiEsrt => "uefi-esrt",
            Self::CpuMicrocode => "cpu-microcode",
            Self::Pci => "pci",
            Self::Nvme => "nvme",
            Self::Disk => "disk",
            Self::Usb => "usb",
            Self::Thunderbolt => "thunderbolt",
            Self::Tpm => "tpm",
            Self::KernelModule => "kernel-module",
            Self::Emulated => "emulated",
        }
    }
}

impl std::str::FromStr for DeviceKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        ALL_KINDS
            .iter()
            .copied()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| format!("unknown device kind {text:?}"))
    }
}

const ALL_KINDS: [DeviceKind; 11] = [
    DeviceKind::SystemFirmware,
    DeviceKind::UefiEsrt,
    DeviceKind::CpuMicrocode,
    DeviceKind::Pci,
    DeviceKind::Nvme,
    DeviceKind::Disk,
    DeviceKind::Usb,
    DeviceKind::Thunderbolt,
    DeviceKind::Tpm,
    DeviceKind::KernelModule,
    DeviceKind::Emulated,
];

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kernel driver bound to a device and the version of the module behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Driver {
    /// Driver name as sysfs shows it, such as `nvme` or `virtio-pci`.
    pub name: String,
    /// Module name under `/sys/module`, such as `virtio_pci`.
    pub module: String,
    /// `MODULE_VERSION` of the module, when it declares one.
    pub version: Option<String>,
    /// Checksum of the module's source files, when the kernel exposes it.
    pub srcversion: Option<String>,
    /// True when the module is built into the kernel rather than loaded.
    pub builtin: bool,
}

/// One device with firmware or a driver that hwupd tracks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Stable id: a hash of the kind and physical id, safe in D-Bus object paths.
    pub id: String,
    pub name: String,
    pub kind: DeviceKind,
    pub vendor: String,
    pub version: String,
    /// fwupd's name for how `version` is written and compared, such as `triplet` or `hex`.
    pub version_format: String,
    /// Lowest version the device accepts, where the hardware reports one.
    pub version_lowest: Option<String>,
    /// The integer the version was rendered from, where the hardware reports one.
    pub version_raw: Option<u64>,
    pub instance_ids: Vec<String>,
    pub guids: Vec<String>,
    pub driver: Option<Driver>,
    /// Where the device sits, such as a sysfs path relative to the root.
    pub physical_id: String,
    /// SHA-256 of the serial number, so that a serial never leaves the daemon in clear.
    pub serial_hash: Option<String>,
    /// Kind-specific facts, such as an ESRT entry's last attempt status.
    pub attributes: BTreeMap<String, String>,
}

impl Device {
    /// Creates a device with an id derived from its kind and physical id.
    pub fn new(kind: DeviceKind, physical_id: impl Into<String>) -> Self {
        let physical_id = physical_id.into();
        Self {
            id: device_id(kind, &physical_id),
            name: String::new(),
            kind,
            vendor: String::new(),
            version: String::new(),
            version_format: "plain".to_string(),
            version_lowest: None,
            version_raw: None,
            instance_ids: Vec::new(),
            guids: Vec::new(),
            driver: None,
            physical_id,
            serial_hash: None,
            attributes: BTreeMap::new(),
        }
    }

    /// Adds an instance ID and its GUID, once.
    pub fn add_instance_id(&mut self, instance_id: impl Into<String>) {
        let instance_id = instance_id.into();
        if self.instance_ids.contains(&instance_id) {
            return;
        }
        self.add_guid(guid::from_instance_id(&instance_id));
        self.instance_ids.push(instance_id);
    }

    /// Adds a GUID that does not come from an instance ID, such as an ESRT `fw_class`.
    pub fn add_guid(&mut self, guid: impl Into<String>) {
        let guid = guid.into().to_ascii_lowercase();
        if !self.guids.contains(&guid) {
            self.guids.push(guid);
        }
    }

    /// Stores the hash of a serial number; the serial itself is dropped.
    pub fn set_serial(&mut self, serial: &str) {
        self.serial_hash = Some(hex(&Sha256::digest(serial.as_bytes())));
    }

    /// Records a kind-specific attribute when the value is present.
    pub fn set_attribute(&mut self, key: &str, value: Option<String>) {
        if let Some(value) = value {
            self.attributes.insert(key.to_string(), value);
        }
    }
}

/// Derives a device id: the first 20 bytes of SHA-256 over `kind:physical_id`, in hex.
pub fn device_id(kind: DeviceKind, physical_id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(kind.as_str())
        .chain_update(b":")
        .chain_update(physical_id)
        .finalize();
    hex(&digest[..20])
}

/// Lowercase hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_id_is_stable_and_path_safe() {
        let id = device_id(DeviceKind::Pci, "pci/0000:00:02.0");
        assert_eq!(id, device_id(DeviceKind::Pci, "pci/0000:00:02.0"));
        assert_eq!(id.len(), 40);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, device_id(DeviceKind::Usb, "pci/0000:00:02.0"));
    }

    #[test]
    fn serial_is_hashed() {
        let mut device = Device::new(DeviceKind::Nvme, "nvme0");
        device.set_serial("S4EWNX0R123456");
        let hash = device.serial_hash.unwrap();
        assert!(!hash.contains("S4EWNX0R123456"));
        assert_eq!(hash.len(), 64);
    }

    #[test]
    fn instance_ids_are_added_once() {
        let mut device = Device::new(DeviceKind::CpuMicrocode, "cpu0");
        device.add_instance_id("CPUID\\PRO_0&FAM_19&MOD_11");
        device.add_instance_id("CPUID\\PRO_0&FAM_19&MOD_11");
        assert_eq!(device.instance_ids.len(), 1);
        assert_eq!(device.guids, ["f9203adb-b862-5263-88e9-373204438174"]);
    }
}
