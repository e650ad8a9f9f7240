//! CPU microcode revisions per package, from `/proc/cpuinfo` and sysfs.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;

use super::names;
use super::sysfs::read_attr;
use crate::device::{Device, DeviceKind};
use crate::root::Root;

/// `/proc/cpuinfo` on a machine with hundreds of threads stays well below this.
const MAX_CPUINFO_BYTES: u64 = 16 * 1024 * 1024;

/// The fields of one `processor` block that hwupd uses.
#[derive(Debug, Default, Clone)]
struct Processor {
    number: u32,
    package: u32,
    vendor_id: String,
    family: Option<u32>,
    model: Option<u32>,
    stepping: Option<u32>,
    model_name: String,
    microcode: Option<String>,
}

/// Returns one microcode device per physical package.
pub fn scan(root: &Root) -> Vec<Device> {
    let Some(text) = read_cpuinfo(root) else {
        return Vec::new();
    };

    // The first processor of each package stands for the package.
    let mut packages: BTreeMap<u32, Processor> = BTreeMap::new();
    for processor in parse(&text) {
        packages.entry(processor.package).or_insert(processor);
    }
    packages.values().filter_map(|p| device(root, p)).collect()
}

fn read_cpuinfo(root: &Root) -> Option<String> {
    let mut bytes = Vec::new();
    File::open(root.join("/proc/cpuinfo"))
        .ok()?
        .take(MAX_CPUINFO_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn parse(text: &str) -> Vec<Processor> {
    text.split("\n\n").filter_map(parse_block).collect()
}

fn parse_block(block: &str) -> Option<Processor> {
    let mut processor = Processor::default();
    let mut seen_processor = false;
    for line in block.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "processor" => {
                processor.number = value.parse().ok()?;
                seen_processor = true;
            }
            "physical id" => processor.package = value.parse().unwrap_or(0),
            "vendor_id" => processor.vendor_id = value.to_string(),
            "cpu family" => processor.family = value.parse().ok(),
            "model" => processor.model = value.parse().ok(),
            "stepping" => processor.stepping = value.parse().ok(),
            "model name" => processor.model_name = value.to_string(),
            "microcode" => processor.microcode = Some(value.to_string()),
            _ => {}
        }
    }
    seen_processor.then_some(processor)
}

fn device(root: &Root, processor: &Processor) -> Option<Device> {
    // sysfs has the revision on kernels that drop it from cpuinfo.
    let sysfs_dir = root.join(&format!(
        "/sys/devices/system/cpu/cpu{}/microcode",
        processor.number
    ));
    let microcode = processor
        .microcode
        .clone()
        .or_else(|| read_attr(&sysfs_dir, "version"))?;

    let mut device = Device::new(
        DeviceKind::CpuMicrocode,
        format!("cpu/package{}", processor.package),
    );
    device.name = processor.model_name.clone();
    device.vendor = names::cpu_vendor(&processor.vendor_id);
    device.version_raw = parse_revision(&microcode);
    device.version = microcode;
    device.version_format = "hex".to_string();
    device.set_attribute("package", Some(processor.package.to_string()));
    add_cpuid_instance_ids(&mut device, processor);
    Some(device)
}

/// Parses a revision written as `0x1000065` or plain hex digits.
fn parse_revision(text: &str) -> Option<u64> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    u64::from_str_radix(digits, 16).ok()
}

/// Adds fwupd's CPUID instance IDs. The processor type (`PRO`) comes from
/// CPUID leaf 1, which cpuinfo does not show; it is 0 for every processor
/// sold for ordinary systems, so 0 is used.
fn add_cpuid_instance_ids(device: &mut Device, processor: &Processor) {
    let (Some(family), Some(model)) = (processor.family, processor.model) else {
        return;
    };
    let base = format!("CPUID\\PRO_0&FAM_{family:02X}");
    device.add_instance_id(base.clone());
    device.add_instance_id(format!("{base}&MOD_{model:02X}"));
    if let Some(stepping) = processor.stepping {
        device.add_instance_id(format!("{base}&MOD_{model:02X}&STP_{stepping:X}"));
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    const TWO_PACKAGES: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n\
        model\t\t: 142\nmodel name\t: Intel(R) Core(TM) i7-8650U\nstepping\t: 10\n\
        microcode\t: 0xf4\nphysical id\t: 0\n\n\
        processor\t: 1\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 142\n\
        stepping\t: 10\nmicrocode\t: 0xf4\nphysical id\t: 1\n\n";

    #[test]
    fn parse_reads_each_block() {
        let processors = parse(TWO_PACKAGES);
        assert_eq!(processors.len(), 2);
        assert_eq!(processors[0].family, Some(6));
        assert_eq!(processors[0].model, Some(142));
        assert_eq!(processors[1].package, 1);
        assert_eq!(processors[0].microcode.as_deref(), Some("0xf4"));
    }

    #[test]
    fn parse_skips_garbage() {
        assert!(parse("no colon here\n\nprocessor : x\n").is_empty());
        assert!(parse("").is_empty());
    }

    #[test]
    fn parse_revision_accepts_both_forms() {
        assert_eq!(parse_revision("0x1000065"), Some(0x1000065));
        assert_eq!(parse_revision("a70410a"), Some(0xa70410a));
        assert_eq!(parse_revision("zz"), None);
    }

    #[test]
    fn device_falls_back_to_sysfs_microcode() {
        let temp = tempfile::tempdir().unwrap();
        let root = Root::new(temp.path());
        let sysfs_dir = root.join("/sys/devices/system/cpu/cpu2/microcode");
        std::fs::create_dir_all(&sysfs_dir).unwrap();
        std::fs::write(sysfs_dir.join("version"), "0xa101144\n").unwrap();
        let processor = Processor {
            number: 2,
            package: 1,
            ..Processor::default()
        };

        let device = device(&root, &processor).unwrap();
        assert_eq!(device.version, "0xa101144");
        assert_eq!(device.version_raw, Some(0xa101144));
        assert_eq!(device.physical_id, "cpu/package1");
    }

    #[test]
    fn device_needs_a_microcode_revision() {
        let processor = Processor::default();
        assert!(device(&Root::new("/nonexistent"), &processor).is_none());
    }

    /// Generates one `key: value` line, weighting the keys that `parse_block`
    /// reads over random ones.
    fn cpuinfo_line() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("processor".to_string()),
            Just("physical id".to_string()),
            Just("vendor_id".to_string()),
            Just("cpu family".to_string()),
            Just("model".to_string()),
            Just("model name".to_string()),
            Just("stepping".to_string()),
            Just("microcode".to_string()),
            "[a-z ]{0,12}",
        ];
        let value = prop_oneof!["[0-9]{1,12}", "0x[0-9a-fA-F]{0,18}", "\\PC{0,16}"];
        (key, "[ \t]{0,2}", value).prop_map(|(key, gap, value)| format!("{key}{gap}: {value}"))
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_any_text(text in any::<String>()) {
            let processors = parse(&text);
            prop_assert!(processors.len() <= text.matches("processor").count());
        }

        #[test]
        fn parse_never_panics_on_cpuinfo_text(
            lines in vec(prop_oneof![cpuinfo_line(), Just(String::new())], 0..40),
        ) {
            let text = lines.join("\n");
            let root = Root::new("/nonexistent");
            for processor in parse(&text) {
                if let Some(device) = device(&root, &processor) {
                    prop_assert_eq!(device.kind, DeviceKind::CpuMicrocode);
                }
            }
        }

        #[test]
        fn parse_revision_never_panics(text in "\\PC{0,24}") {
            parse_revision(&text);
        }
    }
}
