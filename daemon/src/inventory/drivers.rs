//! Bound kernel drivers, their modules' versions, and one device per module.

use std::collections::BTreeMap;
use std::path::Path;

use super::sysfs::{link_name, read_attr};
use crate::device::{Device, DeviceKind, Driver};
use crate::root::Root;

/// Returns the driver bound to the sysfs device folder `dir`, with the version
/// of its module from `/sys/module`.
///
/// A `driver` link whose target is missing means the driver was unbound or
/// unloaded while the scan ran, so it counts as no driver.
pub fn bound_driver(root: &Root, dir: &Path) -> Option<Driver> {
    if !dir.join("driver").is_dir() {
        return None;
    }
    let name = link_name(dir, "driver")?;

    // Loaded modules link `driver/module`. A built-in driver has the link only
    // when its module folder existed as the driver registered. Without a
    // link, the module folder, if any, uses underscores for dashes.
    // NOTE: that guess is wrong when a built-in driver's module has another
    // name, such as the generic `usb` driver in `usbcore`.
    let module = link_name(&dir.join("driver"), "module").unwrap_or_else(|| name.replace('-', "_"));
    let module_dir = root.join("/sys/module").join(&module);

    // Only loaded modules have `initstate`, so a module without it is built
    // in, linked or not.
    Some(Driver {
        version: read_attr(&module_dir, "version"),
        srcversion: read_attr(&module_dir, "srcversion"),
        builtin: !module_dir.join("initstate").exists(),
        name,
        module,
    })
}

/// Builds one kernel-module device for each module bound to a scanned device.
///
/// A module without `MODULE_VERSION` is versioned by the kernel it ships
/// with, so its version is the kernel release.
pub fn module_devices(devices: &[Device], kernel_release: Option<&str>) -> Vec<Device> {
    let mut modules: BTreeMap<&str, &Driver> = BTreeMap::new();
    for driver in devices.iter().filter_map(|d| d.driver.as_ref()) {
        modules.entry(driver.module.as_str()).or_insert(driver);
    }
    modules
        .values()
        .map(|driver| module_device(driver, kernel_release))
        .collect()
}

fn module_device(driver: &Driver, kernel_release: Option<&str>) -> Device {
    let mut device = Device::new(
        DeviceKind::KernelModule,
        format!("module/{}", driver.module),
    );
    device.name = driver.module.clone();
    device.vendor = "Linux".to_string();
    device.version = driver
        .version
        .clone()
        .or_else(|| kernel_release.map(str::to_string))
        .unwrap_or_default();
    device.add_instance_id(format!("LINUX\\MODULE_{}", driver.module));
    if let Some(release) = kernel_release {
        device.add_instance_id(format!("LINUX\\MODULE_{}&KERNEL_{release}", driver.module));
    }
    device.set_attribute("srcversion", driver.srcversion.clone());
    device.set_attribute("builtin", Some(driver.builtin.to_string()));
    device.set_attribute("kernel_release", kernel_release.map(str::to_string));
    device.driver = Some(driver.clone());
    device
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;

    /// Creates a device folder under a temporary root whose `driver` link
    /// points to `sys/bus/pci/drivers/<driver>`.
    fn device_with_driver_link(driver: &str) -> (tempfile::TempDir, Root, std::path::PathBuf) {
        let temp = tempfile::tempdir().unwrap();
        let root = Root::new(temp.path());
        let device = root.join("/sys/devices/pci0000:00/0000:00:1f.3");
        fs::create_dir_all(&device).unwrap();
        let target = format!("../../../bus/pci/drivers/{driver}");
        symlink(target, device.join("driver")).unwrap();
        (temp, root, device)
    }

    #[test]
    fn bound_driver_reads_existing_link() {
        let (_temp, root, device) = device_with_driver_link("snd_hda_intel");
        fs::create_dir_all(root.join("/sys/bus/pci/drivers/snd_hda_intel")).unwrap();

        let driver = bound_driver(&root, &device).unwrap();
        assert_eq!(driver.name, "snd_hda_intel");
        assert_eq!(driver.module, "snd_hda_intel");
    }

    #[test]
    fn bound_driver_builtin_without_initstate() {
        let (_temp, root, device) = device_with_driver_link("xhci_hcd");
        let driver_dir = root.join("/sys/bus/pci/drivers/xhci_hcd");
        fs::create_dir_all(&driver_dir).unwrap();
        symlink("../../../../module/xhci_pci", driver_dir.join("module")).unwrap();
        fs::create_dir_all(root.join("/sys/module/xhci_pci/parameters")).unwrap();

        let driver = bound_driver(&root, &device).unwrap();
        assert_eq!(driver.module, "xhci_pci");
        assert!(driver.builtin);

        fs::write(root.join("/sys/module/xhci_pci/initstate"), "live\n").unwrap();
        let driver = bound_driver(&root, &device).unwrap();
        assert!(!driver.builtin);
    }

    #[test]
    fn bound_driver_ignores_dangling_link() {
        let (_temp, root, device) = device_with_driver_link("snd_hda_intel");
        assert_eq!(bound_driver(&root, &device), None);
    }
}
