//! Scans of the fixture roots in `tests/fixtures/`, checked value by value.
//!
//! `tests/fixtures/README.md` describes what each root contains.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hwupd::device::{Device, DeviceKind};
use hwupd::inventory::{scan, Inventory, ScanError};
use hwupd::root::Root;
use uuid::Uuid;

/// Serial numbers and unique ids written into the fixtures. None of them may
/// appear in an inventory.
const FIXTURE_SERIALS: [&str; 5] = [
    "FIXTURE0NVME",
    "FIXTURE-USB-SERIAL",
    "FIXTURE-DMI-SERIAL",
    "FIXTURE-VDA-SERIAL",
    "d6010000-0070-6b18-2323-6a0c1e8e1d23",
];

/// Returns the path of a fixture root, spelled with `..` as tests see it.
fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn scan_fixture(name: &str) -> Inventory {
    scan(&Root::new(fixture_path(name))).expect("fixture roots exist")
}

fn count_by_kind(inventory: &Inventory) -> BTreeMap<DeviceKind, usize> {
    let mut counts = BTreeMap::new();
    for device in &inventory.devices {
        *counts.entry(device.kind).or_insert(0) += 1;
    }
    counts
}

/// Returns the device with `physical_id`, or panics with the ids there are.
fn device<'a>(inventory: &'a Inventory, physical_id: &str) -> &'a Device {
    inventory
        .devices
        .iter()
        .find(|device| device.physical_id == physical_id)
        .unwrap_or_else(|| {
            let ids: Vec<&str> = inventory
                .devices
                .iter()
                .map(|d| d.physical_id.as_str())
                .collect();
            panic!("no device {physical_id:?} in {ids:?}")
        })
}

fn devices_of_kind(inventory: &Inventory, kind: DeviceKind) -> Vec<&Device> {
    inventory
        .devices
        .iter()
        .filter(|device| device.kind == kind)
        .collect()
}

fn attribute<'a>(device: &'a Device, key: &str) -> Option<&'a str> {
    device.attributes.get(key).map(String::as_str)
}

/// Returns the GUID that fwupd derives from an instance ID: a version-5 UUID
/// in the DNS namespace, computed here with the uuid crate directly.
fn instance_guid(instance_id: &str) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_DNS, instance_id.as_bytes()).to_string()
}

// Laptop: ThinkPad T440s SMBIOS, ESRT, Intel CPU, NVMe, USB, Thunderbolt, TPM 1.2.

#[test]
fn laptop_device_counts() {
    let inventory = scan_fixture("laptop");
    let expected = BTreeMap::from([
        (DeviceKind::SystemFirmware, 1),
        (DeviceKind::UefiEsrt, 2),
        (DeviceKind::CpuMicrocode, 1),
        (DeviceKind::Pci, 6),
        (DeviceKind::Nvme, 1),
        (DeviceKind::Usb, 4),
        (DeviceKind::Thunderbolt, 1),
        (DeviceKind::Tpm, 1),
        (DeviceKind::KernelModule, 7),
    ]);
    assert_eq!(count_by_kind(&inventory), expected);
    assert_eq!(inventory.kernel_release.as_deref(), Some("6.1.0-18-amd64"));
}

#[test]
fn laptop_hardware_ids_match_fwupd() {
    let inventory = scan_fixture("laptop");

    // HardwareID-00 to HardwareID-14 that fwupd's libfwupdplugin/fu-hwids-test.c
    // expects for a ThinkPad T440s. The fixture's product SKU ends in NULs,
    // which must not count.
    let expected = [
        "147efce9-f201-5fc8-ab0c-c859751c3440",
        "b7cceb67-774c-537e-bf8b-22c6107e9a74",
        "f5ff077f-3eeb-5bae-be1c-e98ffe8ce5f8",
        "3faec92a-3ae3-5744-be88-495e90a7d541",
        "660ccba8-1b78-5a33-80e6-9fb8354ee873",
        "8dc9b7c5-f5d5-5850-9ab3-bd6f0549d814",
        "178cd22d-ad9f-562d-ae0a-34009822cdbe",
        "da1da9b6-62f5-5f22-8aaa-14db7eeda2a4",
        "059eb22d-6dc7-59af-abd3-94bbe017f67c",
        "0cf8618d-9eff-537c-9f35-46861406eb9c",
        "f4275c1f-6130-5191-845c-3426247eb6a1",
        "db73af4c-4612-50f7-b8a7-787cf4871847",
        "e093d715-70f7-51f4-b6c8-b4a7e31def85",
        "f8e1de5f-b68c-5f52-9d1a-f1ba52f1f773",
        "6de5d951-d755-576b-bd09-c5cf66b27234",
    ];
    assert_eq!(inventory.hardware_ids, expected);
}

#[test]
fn laptop_system_firmware() {
    let inventory = scan_fixture("laptop");
    let firmware = device(&inventory, "dmi/bios");

    assert_eq!(firmware.kind, DeviceKind::SystemFirmware);
    assert_eq!(firmware.version, "GJET75WW (2.25 )");
    assert_eq!(firmware.vendor, "LENOVO");
    assert_eq!(attribute(firmware, "bios_release"), Some("2.25"));
    assert_eq!(attribute(firmware, "bios_date"), Some("02/13/2014"));
    assert_eq!(attribute(firmware, "system_family"), Some("ThinkPad T440s"));
    assert_eq!(firmware.guids, inventory.hardware_ids);
}

#[test]
fn laptop_esrt_entries() {
    let inventory = scan_fixture("laptop");
    let entries = devices_of_kind(&inventory, DeviceKind::UefiEsrt);
    assert_eq!(entries.len(), 2);

    let system = device(&inventory, "esrt/ddc0ee61-e7f0-4e7d-acc5-c070a398838e");
    assert_eq!(system.name, "System Firmware");
    assert_eq!(system.vendor, "LENOVO");
    assert_eq!(system.version, "65586");
    assert_eq!(system.version_raw, Some(65586));
    assert_eq!(system.version_format, "number");
    assert_eq!(system.version_lowest.as_deref(), Some("65582"));
    assert_eq!(
        attribute(system, "last_attempt_status"),
        Some("unsuccessful")
    );
    assert_eq!(attribute(system, "last_attempt_version"), Some("18472960"));
    assert_eq!(attribute(system, "capsule_flags"), Some("0xfe"));
    assert_eq!(
        system.instance_ids,
        ["UEFI\\RES_{DDC0EE61-E7F0-4E7D-ACC5-C070A398838E}"]
    );
    assert_eq!(
        system.guids,
        [
            "ddc0ee61-e7f0-4e7d-acc5-c070a398838e",
            "40ce5954-bfa8-5762-926b-f4848cb28bc8",
        ]
    );

    // 0xb8320d61 has the top bit set, so it must read as u32, not i32.
    let device_firmware = device(&inventory, "esrt/671d19d0-d43c-4852-98d9-1ce16f9967e4");
    assert_eq!(device_firmware.name, "Device Firmware");
    assert_eq!(device_firmware.vendor, "");
    assert_eq!(device_firmware.version, "3090287969");
    assert_eq!(device_firmware.version_raw, Some(0xb832_0d61));
    assert_eq!(
        attribute(device_firmware, "last_attempt_status"),
        Some("success")
    );
}

#[test]
fn laptop_esrt_ignores_nil_guid() {
    let inventory = scan_fixture("laptop");
    let nil = "00000000-0000-0000-0000-000000000000";
    for device in &inventory.devices {
        assert!(!device.guids.iter().any(|guid| guid == nil), "{device:?}");
        assert_ne!(attribute(device, "esrt_entry"), Some("entry2"));
    }
}

#[test]
fn laptop_cpu_is_one_package() {
    let inventory = scan_fixture("laptop");
    let cpus = devices_of_kind(&inventory, DeviceKind::CpuMicrocode);
    assert_eq!(cpus.len(), 1, "eight threads in one package");

    let cpu = cpus[0];
    assert_eq!(cpu.physical_id, "cpu/package0");
    assert_eq!(cpu.name, "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz");
    assert_eq!(cpu.vendor, "Intel");
    assert_eq!(cpu.version, "0xf4");
    assert_eq!(cpu.version_raw, Some(0xf4));
    assert_eq!(cpu.version_format, "hex");
    assert_eq!(
        cpu.instance_ids,
        [
            "CPUID\\PRO_0&FAM_06",
            "CPUID\\PRO_0&FAM_06&MOD_8E",
            "CPUID\\PRO_0&FAM_06&MOD_8E&STP_A",
        ]
    );
    assert!(cpu
        .guids
        .contains(&"561403e8-143a-5071-ab09-bf5e4c146983".to_string()));
}

#[test]
fn laptop_pci_functions() {
    let inventory = scan_fixture("laptop");

    let host_bridge = device(&inventory, "pci/0000:00:00.0");
    assert_eq!(host_bridge.name, "Bridge 8086:5914");
    assert_eq!(host_bridge.vendor, "Intel");
    assert_eq!(host_bridge.version, "0x08");
    assert_eq!(host_bridge.driver, None);
    assert_eq!(
        host_bridge.instance_ids[0],
        "PCI\\VEN_8086&DEV_5914&SUBSYS_17AA2258&REV_08"
    );

    // The xhci_hcd driver lives in the xhci_pci module.
    let xhci = device(&inventory, "pci/0000:00:14.0");
    let driver = xhci.driver.as_ref().unwrap();
    assert_eq!(driver.name, "xhci_hcd");
    assert_eq!(driver.module, "xhci_pci");
    assert_eq!(driver.version, None);
    assert_eq!(
        driver.srcversion.as_deref(),
        Some("9B2A7C1D0E3F45A6B7C8D9E")
    );
    assert!(!driver.builtin);

    let nvme = device(&inventory, "pci/0000:02:00.0");
    let driver = nvme.driver.as_ref().unwrap();
    assert_eq!(driver.name, "nvme");
    assert_eq!(driver.version.as_deref(), Some("1.0"));
    assert_eq!(
        driver.srcversion.as_deref(),
        Some("4AB4E4F9D0C5B8C1E0F2A37")
    );
    assert!(!driver.builtin);
}

#[test]
fn laptop_pci_odd_attributes() {
    let inventory = scan_fixture("laptop");

    // The Wi-Fi card's revision is a folder, so it has no version and no REV ids.
    let wifi = device(&inventory, "pci/0000:03:00.0");
    assert_eq!(wifi.name, "Network controller 8086:24fd");
    assert_eq!(wifi.version, "");
    assert_eq!(wifi.version_raw, None);
    assert_eq!(
        wifi.instance_ids,
        [
            "PCI\\VEN_8086&DEV_24FD&SUBSYS_80860010",
            "PCI\\VEN_8086&DEV_24FD",
            "PCI\\VEN_8086",
        ]
    );
    assert_eq!(wifi.driver.as_ref().unwrap().name, "iwlwifi");

    // The audio device's driver link dangles, so no driver is bound.
    let audio = device(&inventory, "pci/0000:00:1f.3");
    assert_eq!(audio.driver, None);
    assert!(!inventory.devices.iter().any(|d| d.name == "snd_hda_intel"));
}

#[test]
fn laptop_nvme_controller() {
    let inventory = scan_fixture("laptop");
    let nvme = device(&inventory, "nvme/0000:02:00.0");

    assert_eq!(nvme.name, "THNSN5512GPU7 TOSHIBA");
    assert_eq!(nvme.vendor, "Toshiba");
    assert_eq!(nvme.version, "410557LA");
    assert_eq!(nvme.version_format, "plain");
    assert_eq!(attribute(nvme, "controller"), Some("nvme0"));
    assert_eq!(
        nvme.instance_ids,
        [
            "NVME\\VEN_1179&DEV_010F&SUBSYS_11790001",
            "NVME\\VEN_1179&DEV_010F",
            "NVME\\VEN_1179",
        ]
    );
    assert!(nvme
        .guids
        .contains(&"83991323-9951-5adf-b743-d93e882a41e1".to_string()));

    // SHA-256 of "FIXTURE0NVME": the serial without its eight leading spaces.
    assert_eq!(
        nvme.serial_hash.as_deref(),
        Some("67cebaa1f12a74b689ed9ce045c3e0dfaeb5d2d8f898365edf4944d838d14101")
    );
}

#[test]
fn laptop_namespaces_and_loop_skipped() {
    let inventory = scan_fixture("laptop");
    assert!(devices_of_kind(&inventory, DeviceKind::Disk).is_empty());
}

#[test]
fn laptop_usb_versions() {
    let inventory = scan_fixture("laptop");

    let mouse = device(&inventory, "usb/1-1");
    assert_eq!(mouse.name, "Pixart dual-mode mouse");
    assert_eq!(mouse.vendor, "PIXART");
    assert_eq!(mouse.version, "0.0");
    assert_eq!(mouse.version_format, "bcd");
    assert_eq!(attribute(mouse, "usb_version"), Some("1.10"));
    assert_eq!(mouse.driver.as_ref().unwrap().name, "usbhid");

    // No string descriptors, so the name and vendor come from the ids.
    let keyboard = device(&inventory, "usb/1-2");
    assert_eq!(keyboard.name, "USB device 05f3:0007");
    assert_eq!(keyboard.vendor, "0x05f3");
    assert_eq!(keyboard.version, "3.20");
    assert_eq!(keyboard.version_raw, Some(0x0320));
    assert_eq!(keyboard.version_format, "bcd");
    assert_eq!(keyboard.instance_ids[0], "USB\\VID_05F3&PID_0007&REV_0320");
    assert!(keyboard
        .guids
        .contains(&"a9a196b0-6f74-5a4e-a8ca-aced82e9830a".to_string()));

    // 0x010a has a nibble above 9, so it is hex, not BCD "1.10".
    let fingerprint = device(&inventory, "usb/1-3");
    assert_eq!(fingerprint.version, "0x010a");
    assert_eq!(fingerprint.version_raw, Some(0x010a));
    assert_eq!(fingerprint.version_format, "hex");
    assert_eq!(fingerprint.driver.as_ref().unwrap().name, "usb");
    assert_eq!(
        fingerprint.serial_hash.as_deref(),
        Some("ac32382bd93e19f08ca4d4b1a1bf630d240b7a087efdad516dcde1a7c16493cb")
    );
}

#[test]
fn laptop_usb_root_hub() {
    let inventory = scan_fixture("laptop");
    let hub = device(&inventory, "usb/usb1");

    assert_eq!(hub.name, "xHCI Host Controller");
    assert_eq!(hub.vendor, "Linux 6.1.0-18-amd64 xhci-hcd");
    assert_eq!(hub.version, "6.1");

    // The hub driver is built into usbcore, which has a module folder
    // because it takes parameters.
    let driver = hub.driver.as_ref().unwrap();
    assert_eq!(driver.name, "hub");
    assert_eq!(driver.module, "usbcore");
    assert!(driver.builtin);
}

#[test]
fn laptop_usb_interfaces_not_devices() {
    let inventory = scan_fixture("laptop");
    for device in devices_of_kind(&inventory, DeviceKind::Usb) {
        assert!(!device.physical_id.contains(':'), "{}", device.physical_id);
    }
}

#[test]
fn laptop_thunderbolt_nvm_version() {
    let inventory = scan_fixture("laptop");
    let controllers = devices_of_kind(&inventory, DeviceKind::Thunderbolt);
    assert_eq!(controllers.len(), 1, "domain0 has no NVM");

    let router = device(&inventory, "thunderbolt/0-0");
    assert_eq!(router.name, "ThinkPad");
    assert_eq!(router.vendor, "Lenovo");
    assert_eq!(router.version, "20.02");
    assert_eq!(router.version_format, "pair");
    assert_eq!(attribute(router, "authorized"), Some("1"));
    assert_eq!(router.instance_ids, ["TBT-808615d3"]);
    assert_eq!(router.guids, ["045574a1-e78a-51a0-844a-7495820b2ada"]);
    assert_eq!(
        router.serial_hash.as_deref(),
        Some("fcccac2376e33eb6908cc85e6246309ecca09d7bb274192e93ca8294ddef51d0")
    );
}

#[test]
fn laptop_tpm_caps() {
    let inventory = scan_fixture("laptop");
    let tpm = device(&inventory, "tpm/tpm0");

    assert_eq!(tpm.version, "13.12");
    assert_eq!(tpm.version_format, "pair");
    assert_eq!(tpm.vendor, "STM");
    assert_eq!(attribute(tpm, "tcg_version"), Some("1.2"));
    assert_eq!(tpm.instance_ids, ["TPM\\VEN_STM"]);
}

#[test]
fn laptop_kernel_modules() {
    let inventory = scan_fixture("laptop");
    let modules = devices_of_kind(&inventory, DeviceKind::KernelModule);
    let names: Vec<&str> = modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "iwlwifi",
            "nvme",
            "thunderbolt",
            "usb",
            "usbcore",
            "usbhid",
            "xhci_pci"
        ]
    );

    // nvme declares MODULE_VERSION. iwlwifi does not, so its version is the kernel release.
    let nvme = device(&inventory, "module/nvme");
    assert_eq!(nvme.version, "1.0");
    assert_eq!(
        attribute(nvme, "srcversion"),
        Some("4AB4E4F9D0C5B8C1E0F2A37")
    );
    assert_eq!(attribute(nvme, "builtin"), Some("false"));
    assert_eq!(
        nvme.instance_ids,
        [
            "LINUX\\MODULE_nvme",
            "LINUX\\MODULE_nvme&KERNEL_6.1.0-18-amd64",
        ]
    );

    let iwlwifi = device(&inventory, "module/iwlwifi");
    assert_eq!(iwlwifi.version, "6.1.0-18-amd64");

    let usbcore = device(&inventory, "module/usbcore");
    assert_eq!(attribute(usbcore, "builtin"), Some("true"));
}

// Server: two AMD packages, SATA and SAS disks, placeholder SMBIOS strings.

#[test]
fn server_device_counts() {
    let inventory = scan_fixture("server");
    let expected = BTreeMap::from([
        (DeviceKind::SystemFirmware, 1),
        (DeviceKind::CpuMicrocode, 2),
        (DeviceKind::Pci, 3),
        (DeviceKind::Disk, 2),
        (DeviceKind::KernelModule, 3),
    ]);
    assert_eq!(
        count_by_kind(&inventory),
        expected,
        "no ESRT, TPM 2.0 skipped"
    );
}

#[test]
fn server_placeholders_read_absent() {
    let inventory = scan_fixture("server");
    let firmware = device(&inventory, "dmi/bios");

    assert_eq!(firmware.version, "2.7");
    assert_eq!(firmware.vendor, "American Megatrends International, LLC.");
    assert_eq!(attribute(firmware, "bios_release"), Some("5.27"));
    assert_eq!(attribute(firmware, "system_family"), None);
    assert_eq!(attribute(firmware, "bios_date"), None, "empty file");

    // The Latin-1 byte 0xae is not UTF-8 and reads as U+FFFD.
    assert_eq!(
        attribute(firmware, "system_product"),
        Some("AS -2025HS-TNR\u{fffd}")
    );

    let json = serde_json::to_string(&inventory).unwrap();
    assert!(!json.contains("To be filled by O.E.M."));
    assert!(!json.contains("Default string"));
}

#[test]
fn server_hardware_ids_skip_placeholders() {
    let inventory = scan_fixture("server");

    // Family and SKU are placeholders, so only HardwareID-02, 08, 09, 12, 13
    // and 14 can be computed.
    let expected = [
        "628f6bc7-6d86-5dcf-9c91-95779673e952",
        "45e023e0-63bf-5c94-8a1a-ce087c732c80",
        "70c90445-227a-5967-9005-6d7d8098b6c5",
        "7aa64177-3318-511c-8703-9022c3d93d2b",
        "538f89ca-7e34-5188-8d89-bb974b216742",
        "af233289-c076-5301-8379-9cf1fdb3b08b",
    ];
    assert_eq!(inventory.hardware_ids, expected);

    // HardwareID-11 over "Supermicro&To be filled by O.E.M.".
    let from_placeholder = "60c36787-7a62-5290-9ae4-f22034d8783b".to_string();
    assert!(!inventory.hardware_ids.contains(&from_placeholder));
}

#[test]
fn server_cpu_per_package() {
    let inventory = scan_fixture("server");
    let cpus = devices_of_kind(&inventory, DeviceKind::CpuMicrocode);
    let packages: Vec<&str> = cpus.iter().map(|c| c.physical_id.as_str()).collect();
    assert_eq!(packages, ["cpu/package0", "cpu/package1"]);

    for cpu in cpus {
        assert_eq!(cpu.name, "AMD EPYC 9354 32-Core Processor");
        assert_eq!(cpu.vendor, "AMD");
        assert_eq!(cpu.version, "0xa101144");
        assert_eq!(cpu.version_raw, Some(0xa10_1144));
        assert_eq!(cpu.version_format, "hex");
        assert_eq!(
            cpu.instance_ids,
            [
                "CPUID\\PRO_0&FAM_19",
                "CPUID\\PRO_0&FAM_19&MOD_11",
                "CPUID\\PRO_0&FAM_19&MOD_11&STP_1",
            ]
        );
        assert_eq!(cpu.guids[1], "f9203adb-b862-5263-88e9-373204438174");
    }
}

#[test]
fn server_sata_disk() {
    let inventory = scan_fixture("server");
    let disk = device(
        &inventory,
        "devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0",
    );

    assert_eq!(disk.kind, DeviceKind::Disk);
    assert_eq!(disk.name, "SAMSUNG MZ7LH960");
    assert_eq!(disk.vendor, "", "libata's \"ATA\" names no vendor");
    assert_eq!(disk.version, "904Q");
    assert_eq!(attribute(disk, "block_device"), Some("sda"));
    assert_eq!(
        disk.instance_ids,
        [
            "SCSI\\VEN_ATA&DEV_SAMSUNG MZ7LH960&REV_904Q",
            "SCSI\\VEN_ATA&DEV_SAMSUNG MZ7LH960",
        ]
    );

    let driver = disk.driver.as_ref().unwrap();
    assert_eq!(driver.name, "sd");
    assert_eq!(driver.module, "sd_mod");
    assert!(!driver.builtin);
}

#[test]
fn server_sas_disk() {
    let inventory = scan_fixture("server");
    let disk = device(
        &inventory,
        "devices/pci0000:00/0000:00:01.1/0000:01:00.0/host1/port-1:0/end_device-1:0/\
         target1:0:0/1:0:0:0",
    );

    assert_eq!(disk.name, "ST4000NM0025");
    assert_eq!(disk.vendor, "SEAGATE");
    assert_eq!(disk.version, "E004");
    assert_eq!(attribute(disk, "block_device"), Some("sdb"));
    assert_eq!(
        disk.instance_ids[0],
        "SCSI\\VEN_SEAGATE&DEV_ST4000NM0025&REV_E004"
    );
}

#[test]
fn server_partitions_and_dm_skipped() {
    let inventory = scan_fixture("server");
    let disks: Vec<Option<&str>> = devices_of_kind(&inventory, DeviceKind::Disk)
        .iter()
        .map(|disk| attribute(disk, "block_device"))
        .collect();
    assert_eq!(disks, [Some("sda"), Some("sdb")]);
}

#[test]
fn server_builtin_and_loaded_drivers() {
    let inventory = scan_fixture("server");

    // ahci is built in: no module link, and its module folder has only parameters.
    let sata = device(&inventory, "pci/0000:00:1f.2");
    let driver = sata.driver.as_ref().unwrap();
    assert_eq!(driver.name, "ahci");
    assert_eq!(driver.module, "ahci");
    assert_eq!(driver.version, None);
    assert!(driver.builtin);

    let ahci = device(&inventory, "module/ahci");
    assert_eq!(ahci.version, "5.14.0-427.13.1.el9_4.x86_64");
    assert_eq!(attribute(ahci, "builtin"), Some("true"));

    let sas = device(&inventory, "pci/0000:01:00.0");
    let driver = sas.driver.as_ref().unwrap();
    assert_eq!(driver.version.as_deref(), Some("43.100.00.00"));
    assert!(!driver.builtin);

    let mpt3sas = device(&inventory, "module/mpt3sas");
    assert_eq!(mpt3sas.version, "43.100.00.00");
    assert_eq!(attribute(mpt3sas, "builtin"), Some("false"));
}

// VM: a KVM guest with virtio-pci functions, no SMBIOS and no ESRT.

#[test]
fn vm_device_counts() {
    let inventory = scan_fixture("vm");
    let expected = BTreeMap::from([
        (DeviceKind::CpuMicrocode, 1),
        (DeviceKind::Pci, 4),
        (DeviceKind::Disk, 1),
        (DeviceKind::KernelModule, 2),
    ]);
    assert_eq!(count_by_kind(&inventory), expected);
    assert!(inventory.hardware_ids.is_empty(), "no SMBIOS");
}

#[test]
fn vm_virtio_disk() {
    let inventory = scan_fixture("vm");
    let disk = device(&inventory, "devices/pci0000:00/0000:00:02.0/virtio1");

    assert_eq!(disk.name, "Virtio Block Device");
    assert_eq!(disk.vendor, "Red Hat (virtio)");
    assert_eq!(disk.version, "");
    assert_eq!(attribute(disk, "block_device"), Some("vda"));
    assert_eq!(disk.instance_ids, ["VIRTIO\\VEN_1AF4&DEV_0002"]);

    let driver = disk.driver.as_ref().unwrap();
    assert_eq!(driver.name, "virtio_blk");
    assert!(driver.builtin);
}

#[test]
fn vm_virtio_pci_driver() {
    let inventory = scan_fixture("vm");
    for address in ["0000:00:01.0", "0000:00:02.0", "0000:00:03.0"] {
        let function = device(&inventory, &format!("pci/{address}"));
        assert_eq!(function.vendor, "Red Hat (virtio)");

        // Built in, but it declares MODULE_VERSION("1"), so its folder has a version.
        let driver = function.driver.as_ref().unwrap();
        assert_eq!(driver.name, "virtio-pci");
        assert_eq!(driver.module, "virtio_pci");
        assert_eq!(driver.version.as_deref(), Some("1"));
        assert!(driver.builtin);
    }

    let module = device(&inventory, "module/virtio_pci");
    assert_eq!(module.version, "1");
}

#[test]
fn vm_virtual_cpu() {
    let inventory = scan_fixture("vm");
    let cpu = device(&inventory, "cpu/package0");

    assert_eq!(cpu.name, "AMD EPYC");
    assert_eq!(cpu.version, "0x1000065");
    assert_eq!(cpu.version_raw, Some(0x100_0065));
}

// Checks across all fixtures.

#[test]
fn serials_never_in_clear() {
    for name in ["laptop", "server", "vm"] {
        let json = serde_json::to_string(&scan_fixture(name)).unwrap();
        for serial in FIXTURE_SERIALS {
            assert!(!json.contains(serial), "{name} shows {serial}");
        }
    }
}

#[test]
fn guids_derive_from_instance_ids() {
    for name in ["laptop", "server", "vm"] {
        for device in scan_fixture(name).devices {
            for instance_id in &device.instance_ids {
                let guid = instance_guid(instance_id);
                assert!(device.guids.contains(&guid), "{name}: {instance_id}");
            }
        }
    }
}

#[test]
fn device_ids_unique_and_hex() {
    for name in ["laptop", "server", "vm"] {
        let inventory = scan_fixture(name);
        let mut seen = std::collections::BTreeSet::new();
        for device in &inventory.devices {
            assert_eq!(device.id.len(), 40, "{name}: {}", device.physical_id);
            assert!(device.id.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(seen.insert(device.id.clone()), "{name}: {}", device.id);
        }
    }
}

#[test]
fn scan_ignores_root_spelling() {
    for name in ["laptop", "server", "vm"] {
        let spelled = fixture_path(name);
        let canonical = spelled.canonicalize().unwrap();
        let from_spelled = scan(&Root::new(&spelled)).unwrap();
        let from_canonical = scan(&Root::new(&canonical)).unwrap();
        assert_eq!(from_spelled, from_canonical, "{name}");
    }
}

#[test]
fn scan_rejects_missing_root() {
    let result = scan(&Root::new("/nonexistent/hwupd-fixture"));
    assert!(matches!(result, Err(ScanError::MissingRoot(path)) if path.contains("nonexistent")));
}
