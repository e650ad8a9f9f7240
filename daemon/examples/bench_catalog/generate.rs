//! A deterministic, realistic catalog: releases for the fixture machines' devices among
//! many releases for other hardware.

use hwupd::catalog::document::{
    Catalog, Devices, InstallMethod, Payload, Release, Replaces, Ring, Rollout, Severity,
    VersionFormat,
};
use hwupd::device::{Device, DeviceKind};
use hwupd::inventory::Inventory;
use hwupd::version;
use jiff::civil::Date;

/// Releases generated for each fixture device: older, equal and newer versions.
const STEPS: [i64; 8] = [-3, -1, 0, 1, 2, 3, 5, 8];

const VENDORS: &[&str] = &[
    "Lenovo", "Dell", "HP", "Intel", "AMD", "Realtek", "Broadcom",
];

const WORDS: &[&str] = &[
    "fixes",
    "a",
    "the",
    "firmware",
    "issue",
    "where",
    "system",
    "may",
    "hang",
    "during",
    "resume",
    "from",
    "sleep",
    "improves",
    "power",
    "management",
    "on",
    "battery",
    "updates",
    "security",
    "mitigations",
    "for",
    "boot",
    "thunderbolt",
    "display",
    "docking",
    "station",
    "with",
    "external",
    "monitors",
    "and",
    "stability",
    "when",
    "storage",
    "controller",
];

/// A small, fast, seeded generator (SplitMix64), so every run builds the same catalog.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn hex(&mut self, digits: usize) -> String {
        (0..digits)
            .map(|_| char::from_digit(self.below(16) as u32, 16).unwrap_or('0'))
            .collect()
    }

    fn guid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

/// Builds a catalog of `total` releases: several for each device of `machines` at random
/// positions, and the rest for other hardware. Returns the catalog and the number of
/// releases for `machines`.
pub fn catalog(total: usize, machines: &[Inventory], rng: &mut Rng) -> (Catalog, usize) {
    let mut releases: Vec<Release> = Vec::with_capacity(total);
    for machine in machines {
        // Catalog versions are printable ASCII without spaces, so a device whose version
        // is empty or has spaces (such as SMBIOS `GJET75WW (2.25 )`) gets no releases.
        let versioned = |device: &&Device| {
            !device.version.is_empty() && device.version.bytes().all(|b| b.is_ascii_graphic())
        };
        for device in machine.devices.iter().filter(versioned) {
            for step in STEPS {
                releases.push(fixture_release(releases.len(), machine, device, step, rng));
            }
        }
    }
    let fixture_count = releases.len();
    while releases.len() < total {
        releases.push(foreign_release(releases.len(), rng));
    }
    // Spread the fixture releases over the catalog, which a real catalog orders by vendor
    // or date, not by machine.
    for index in 0..fixture_count.min(releases.len()) {
        let target = rng.below(releases.len() as u64) as usize;
        releases.swap(index, target);
    }

    let issued = "2025-06-01T00:00:00Z".parse().expect("valid timestamp");
    let expires = "2025-07-01T00:00:00Z".parse().expect("valid timestamp");
    let mut catalog = Catalog::new("bench", issued, expires);
    catalog.releases = releases;
    (catalog, fixture_count)
}

fn fixture_release(
    index: usize,
    machine: &Inventory,
    device: &Device,
    step: i64,
    rng: &mut Rng,
) -> Release {
    let (version, format) = stepped_version(device, step);
    let mut release = base_release(index, rng);
    release.name = format!("{} update", device.name);
    release.version = version;
    release.version_format = VersionFormat::from(format);
    // The catalog format rejects instance IDs with spaces, which some disks report,
    // so such devices are named by GUID.
    let instance_id = device.instance_ids.first().filter(|id| !id.contains(' '));
    release.devices = match (instance_id, device.guids.first()) {
        (Some(instance_id), _) if index.is_multiple_of(2) => Devices {
            guids: Vec::new(),
            instance_ids: vec![instance_id.clone()],
        },
        (_, Some(guid)) => Devices {
            guids: vec![guid.clone()],
            instance_ids: Vec::new(),
        },
        _ => Devices::default(),
    };
    if device.kind == DeviceKind::UefiEsrt {
        release.hardware_ids = machine.hardware_ids.iter().take(1).cloned().collect();
    }
    release
}

/// Writes the device's version moved by `step` in the format its catalog would use:
/// ESRT raw values as triplets, hex values as 8 hex digits, and other versions in the
/// device's own format with the last dotted field moved.
fn stepped_version(device: &Device, step: i64) -> (String, String) {
    let raw = device.version_raw.unwrap_or(0) as i64 + step;
    let raw = raw.clamp(0, i64::from(u32::MAX)) as u32;
    if device.kind == DeviceKind::UefiEsrt {
        let text = version::from_u32(raw, version::VersionFormat::Triplet);
        return (text.unwrap_or_default(), "triplet".to_owned());
    }
    if device.version_format == "hex" {
        return (format!("0x{raw:08x}"), "hex".to_owned());
    }
    let moved = bump_last_field(&device.version, step);
    (moved, device.version_format.clone())
}

fn bump_last_field(version: &str, step: i64) -> String {
    match version.rsplit_once('.') {
        Some((head, last)) if last.parse::<i64>().is_ok() => {
            let value = last.parse::<i64>().unwrap_or(0).saturating_add(step).max(0);
            format!("{head}.{value}")
        }
        _ if step > 0 => format!("{version}.{step}"),
        _ => version.to_owned(),
    }
}

fn foreign_release(index: usize, rng: &mut Rng) -> Release {
    let mut release = base_release(index, rng);
    let vendor = rng.pick(VENDORS);
    release.name = format!("{vendor} device firmware");
    release.vendor = Some(vendor.to_owned());
    release.devices = foreign_devices(rng);
    if rng.chance(30) {
        release.hardware_ids = (0..1 + rng.below(3)).map(|_| rng.guid()).collect();
    }
    release.version = format!("{}.{}.{}", rng.below(10), rng.below(100), rng.below(1000));
    release.version_format = VersionFormat::Triplet;
    if rng.chance(20) {
        release.replaces = Some(Replaces {
            versions: Vec::new(),
            min: Some(format!("{}.0.0", rng.below(5))),
            max: None,
        });
    }
    release
}

fn foreign_devices(rng: &mut Rng) -> Devices {
    let (vendor, product) = (rng.hex(4).to_uppercase(), rng.hex(4).to_uppercase());
    match rng.below(3) {
        0 => Devices {
            guids: vec![rng.guid()],
            instance_ids: Vec::new(),
        },
        1 => Devices {
            guids: Vec::new(),
            instance_ids: vec![format!("USB\\VID_{vendor}&PID_{product}")],
        },
        _ => Devices {
            guids: Vec::new(),
            instance_ids: vec![
                format!("PCI\\VEN_{vendor}&DEV_{product}"),
                format!(
                    "PCI\\VEN_{vendor}&DEV_{product}&SUBSYS_{}",
                    rng.hex(8).to_uppercase()
                ),
            ],
        },
    }
}

/// Builds a release with the fields that do not depend on the device: advisory, payload
/// and rollout.
fn base_release(index: usize, rng: &mut Rng) -> Release {
    let severity = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ][rng.below(4) as usize]
        .clone();
    let cves = (0..rng.below(4))
        .map(|_| format!("CVE-{}-{}", 2019 + rng.below(7), 10_000 + rng.below(50_000)))
        .collect();
    let (year, month, day) = (2019 + rng.below(7), 1 + rng.below(12), 1 + rng.below(28));
    let release_date =
        Date::new(year as i16, month as i8, day as i8).unwrap_or(Date::constant(2024, 1, 1));
    let summary_words = 6 + rng.below(6) as usize;
    let summary = sentence(rng, summary_words);
    Release {
        id: format!("release-{index:06}"),
        name: String::new(),
        summary,
        description: Some(description(rng)),
        vendor: None,
        devices: Devices::default(),
        hardware_ids: Vec::new(),
        version: String::new(),
        version_format: VersionFormat::Plain,
        replaces: None,
        lowest_supported_version: None,
        severity,
        cves,
        known_exploited: rng.chance(3),
        release_date,
        install_method: InstallMethod::UefiCapsule,
        payload: Payload {
            path: format!("firmware/{index:06}/{}.cap", rng.hex(8)),
            sha256: rng.hex(64),
            size: 65_536 + rng.below(32 << 20),
            url: None,
        },
        reboot_required: rng.chance(60),
        rollout: Rollout {
            ring: Ring::Broad,
            percentage: 100,
        },
    }
}

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut text: Vec<&str> = (0..words).map(|_| rng.pick(WORDS)).collect();
    text.dedup();
    let mut sentence = text.join(" ");
    if let Some(first) = sentence.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    sentence
}

/// Writes two to four sentences, as vendors write release notes.
fn description(rng: &mut Rng) -> String {
    let count = 2 + rng.below(3) as usize;
    let mut sentences = Vec::with_capacity(count);
    for _ in 0..count {
        let words = 8 + rng.below(10) as usize;
        sentences.push(sentence(rng, words) + ".");
    }
    sentences.join(" ")
}
