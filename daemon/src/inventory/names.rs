//! Display names for the vendor and class codes that sysfs reports as numbers.

/// Returns a vendor name for a PCI or USB vendor id, for the vendors common in
/// endpoints; other ids show as hex.
pub fn vendor(vendor_id: u64) -> String {
    let name = match vendor_id {
        0x1002 => "AMD",
        0x1022 => "AMD",
        0x1028 => "Dell",
        0x103c => "HP",
        0x10de => "NVIDIA",
        0x10ec => "Realtek",
        0x1179 => "Toshiba",
        0x126f => "Silicon Motion",
        0x144d => "Samsung",
        0x14e4 => "Broadcom",
        0x15ad => "VMware",
        0x15b7 => "Western Digital",
        0x168c => "Qualcomm Atheros",
        0x17aa => "Lenovo",
        0x1987 => "Phison",
        0x1af4 => "Red Hat (virtio)",
        0x1b36 => "Red Hat (QEMU)",
        0x1c5c => "SK hynix",
        0x1d6b => "Linux Foundation",
        0x1e0f => "KIOXIA",
        0x2646 => "Kingston",
        0x8086 => "Intel",
        0x8087 => "Intel",
        0x046d => "Logitech",
        0x05ac => "Apple",
        0x0bda => "Realtek",
        0x093a => "PixArt",
        _ => return format!("0x{vendor_id:04x}"),
    };
    name.to_string()
}

/// Returns the name of a PCI base class, from the class code's top byte.
pub fn pci_class(class: u64) -> &'static str {
    match class >> 16 {
        0x00 => "Unclassified device",
        0x01 => "Storage controller",
        0x02 => "Network controller",
        0x03 => "Display controller",
        0x04 => "Multimedia controller",
        0x05 => "Memory controller",
        0x06 => "Bridge",
        0x07 => "Communication controller",
        0x08 => "System peripheral",
        0x09 => "Input device controller",
        0x0c => "Serial bus controller",
        0x0d => "Wireless controller",
        0x10 => "Encryption controller",
        0x11 => "Signal processing controller",
        0x12 => "Processing accelerator",
        _ => "PCI device",
    }
}

/// Maps a `/proc/cpuinfo` `vendor_id` to a vendor name.
pub fn cpu_vendor(vendor_id: &str) -> String {
    match vendor_id {
        "GenuineIntel" => "Intel".to_string(),
        "AuthenticAMD" => "AMD".to_string(),
        "HygonGenuine" => "Hygon".to_string(),
        "CentaurHauls" => "Centaur".to_string(),
        other => other.to_string(),
    }
}
