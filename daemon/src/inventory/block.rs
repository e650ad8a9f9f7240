//! Storage: NVMe controllers and SCSI, ATA and virtio disks.

use std::fs;
use std::path::Path;

use super::drivers::bound_driver;
use super::names;
use super::sysfs::{file_name, list_dir, read_attr, read_hex};
use crate::device::{Device, DeviceKind};
use crate::root::Root;

/// Lists NVMe controllers under `/sys/class/nvme`, keyed by their PCI address
/// because `nvmeN` numbering can change between boots.
pub fn scan_nvme(root: &Root) -> Vec<Device> {
    list_dir(&root.join("/sys/class/nvme"))
        .iter()
        .filter_map(|dir| nvme(root, dir))
        .collect()
}

fn nvme(root: &Root, dir: &Path) -> Option<Device> {
    let controller = file_name(dir);
    let pci = dir.join("device");
    let address = read_attr(dir, "address").unwrap_or_else(|| controller.clone());

    let mut device = Device::new(DeviceKind::Nvme, format!("nvme/{address}"));
    device.name = read_attr(dir, "model").unwrap_or_else(|| "NVMe controller".to_string());
    device.version = read_attr(dir, "firmware_rev").unwrap_or_default();
    device.driver = bound_driver(root, &pci);
    if let Some(serial) = read_attr(dir, "serial") {
        device.set_serial(&serial);
    }
    device.set_attribute("controller", Some(controller));

    if let (Some(vendor), Some(product)) = (read_hex(&pci, "vendor"), read_hex(&pci, "device")) {
        device.vendor = names::vendor(vendor);
        let subsystem = read_hex(&pci, "subsystem_vendor").zip(read_hex(&pci, "subsystem_device"));
        super::pci::add_instance_ids(&mut device, "NVME", vendor, product, subsystem, None);
    }
    Some(device)
}

/// Lists whole disks under `/sys/class/block` that sit on a SCSI, ATA or virtio
/// device. NVMe namespaces, partitions and virtual devices are left out.
pub fn scan_disks(root: &Root) -> Vec<Device> {
    list_dir(&root.join("/sys/class/block"))
        .iter()
        .filter(|dir| is_disk(dir))
        .filter_map(|dir| disk(root, dir))
        .collect()
}

fn is_disk(dir: &Path) -> bool {
    let name = file_name(dir);
    let virtual_device = ["loop", "ram", "zram", "dm-", "md", "nbd", "nvme", "sr"]
        .iter()
        .any(|prefix| name.starts_with(prefix));
    !virtual_device && !dir.join("partition").exists() && dir.join("device").exists()
}

fn disk(root: &Root, dir: &Path) -> Option<Device> {
    let name = file_name(dir);
    let hardware = dir.join("device");
    let physical_id = sysfs_device_path(root, &hardware)?;

    let mut device = Device::new(DeviceKind::Disk, physical_id);
    device.driver = bound_driver(root, &hardware);
    device.set_attribute("block_device", Some(name));

    // NOTE: virtio disks show `serial` on the block device (`vda/serial`), and
    // SCSI disks only inside the binary `vpd_pg80`, so neither is hashed here.
    if let Some(serial) = read_attr(&hardware, "serial") {
        device.set_serial(&serial);
    }

    match read_attr(&hardware, "model") {
        Some(model) => describe_scsi(&mut device, &hardware, model),
        None => describe_virtio(&mut device, &hardware),
    }
    Some(device)
}

/// Resolves a sysfs link to its device path under `/sys`, such as
/// `devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0`.
///
/// The root is canonicalized too, so the path, and the device id made from it,
/// stay the same when the root is given as a relative path or with `..`.
fn sysfs_device_path(root: &Root, link: &Path) -> Option<String> {
    let target = fs::canonicalize(link).ok()?;
    let sys = fs::canonicalize(root.sys()).unwrap_or_else(|_| root.sys());
    let relative = target.strip_prefix(&sys).unwrap_or(&target);
    Some(relative.display().to_string())
}

/// SCSI and ATA disks: `vendor`, `model` and `rev` from the INQUIRY data.
fn describe_scsi(device: &mut Device, hardware: &Path, model: String) {
    let vendor = read_attr(hardware, "vendor").unwrap_or_default();
    device.name = model.clone();
    device.version = read_attr(hardware, "rev").unwrap_or_default();
    let scsi_id = format!("SCSI\\VEN_{vendor}&DEV_{model}");
    if !device.version.is_empty() {
        device.add_instance_id(format!("{scsi_id}&REV_{}", device.version));
    }
    device.add_instance_id(scsi_id);

    // libata reports every ATA disk with the vendor "ATA".
    device.vendor = if vendor == "ATA" {
        String::new()
    } else {
        vendor
    };
}

/// virtio disks report no model or firmware revision, only virtio ids.
fn describe_virtio(device: &mut Device, hardware: &Path) {
    device.name = "Virtio Block Device".to_string();
    if let (Some(vendor), Some(product)) =
        (read_hex(hardware, "vendor"), read_hex(hardware, "device"))
    {
        device.vendor = names::vendor(vendor);
        device.add_instance_id(format!("VIRTIO\\VEN_{vendor:04X}&DEV_{product:04X}"));
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    const SCSI_DEVICE: &str = "devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0";

    #[test]
    fn device_path_ignores_root_spelling() {
        let temp = tempfile::tempdir().unwrap();
        let block = temp.path().join("sys").join(SCSI_DEVICE).join("block/sda");
        fs::create_dir_all(&block).unwrap();
        symlink("../../../0:0:0:0", block.join("device")).unwrap();

        for base in [temp.path().to_path_buf(), temp.path().join("sys/..")] {
            let root = Root::new(base);
            let link = root.sys().join(SCSI_DEVICE).join("block/sda/device");
            assert_eq!(
                sysfs_device_path(&root, &link).as_deref(),
                Some(SCSI_DEVICE)
            );
        }
    }
}
