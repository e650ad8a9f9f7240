//! Inventory: the firmware and driver versions of this machine, read from sysfs and procfs.

mod block;
mod cpu;
mod dmi;
mod drivers;
pub(crate) mod esrt;
pub mod hwids;
mod names;
mod pci;
pub mod sysfs;
mod thunderbolt;
mod tpm;
mod usb;

use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::root::Root;

/// The result of one scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// Kernel release from `/proc/sys/kernel/osrelease`, such as `6.1.0-18-amd64`.
    pub kernel_release: Option<String>,
    /// Microsoft-style hardware IDs (GUIDs) of the whole machine, computed from SMBIOS.
    pub hardware_ids: Vec<String>,
    pub devices: Vec<Device>,
}

/// Error that stops a scan before it starts; attributes that fail to read never do.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(
        "root folder {0} does not exist or is not a folder; pass an existing folder with --root"
    )]
    MissingRoot(String),
}

/// Scans the machine under `root`. Missing or unreadable attributes leave
/// fields empty; only a missing root fails.
pub fn scan(root: &Root) -> Result<Inventory, ScanError> {
    if !root.base().is_dir() {
        return Err(ScanError::MissingRoot(root.base().display().to_string()));
    }

    let kernel_release = sysfs::read_attr(&root.join("/proc/sys/kernel"), "osrelease");
    let smbios = dmi::read(root);
    let mut devices = Vec::new();
    devices.extend(dmi::system_firmware(&smbios));
    devices.extend(esrt::scan(root, &smbios));
    devices.extend(cpu::scan(root));
    devices.extend(pci::scan(root));
    devices.extend(block::scan_nvme(root));
    devices.extend(block::scan_disks(root));
    devices.extend(usb::scan(root));
    devices.extend(thunderbolt::scan(root));
    devices.extend(tpm::scan(root));

    // Each bound module becomes a device of its own, so catalogs can target drivers.
    let modules = drivers::module_devices(&devices, kernel_release.as_deref());
    devices.extend(modules);

    Ok(Inventory {
        kernel_release,
        hardware_ids: hwids::compute(&smbios),
        devices,
    })
}
