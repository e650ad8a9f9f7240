//! Matching the devices of a machine against one catalog.

use crate::catalog::document::{Catalog, Release};
use crate::device::Device;
use crate::inventory::Inventory;
use crate::version::ParsedVersion;

use super::current::DeviceVersions;
use super::index::ReleaseIndex;
use super::machine::HardwareIds;
use super::reason::HoldReason;
use super::rules::{judge, Verdict};

/// State of a device relative to the releases of one catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchStatus<'a> {
    /// No release can be offered and one has the device's version. `held_back` may
    /// still list newer releases that cannot be offered.
    UpToDate,
    /// At least one newer release can be offered.
    UpdateAvailable {
        /// The newest release that can be offered.
        newest: &'a Release,
        /// The other releases that can be offered, newest first.
        others: Vec<&'a Release>,
    },
    /// The device is newer than every release for it, and none is held back.
    NewerThanAll,
    /// No release can be offered, none has the device's version, and not every release
    /// is older. Either the catalog lists none for the device, or `held_back` gives the
    /// reasons why the ones it lists cannot be offered.
    NoReleases,
}

/// A release for the device that may be newer but is not offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBack<'a> {
    pub release: &'a Release,
    pub reason: HoldReason,
}

/// Result of matching one device against one catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceMatch<'a> {
    pub device: &'a Device,
    /// Remote that published the catalog.
    pub remote_id: &'a str,
    pub status: MatchStatus<'a>,
    /// Releases that may be newer than the device's version but are held back, in
    /// catalog order.
    pub held_back: Vec<HeldBack<'a>>,
}

/// A catalog indexed by GUID, ready to match the devices of one machine.
#[derive(Debug, Clone)]
pub struct Matcher<'a> {
    catalog: &'a Catalog,
    index: ReleaseIndex,
    hardware_ids: HardwareIds,
}

impl<'a> Matcher<'a> {
    /// Indexes `catalog` for a machine with `hardware_ids` (from `Inventory`).
    pub fn new(catalog: &'a Catalog, hardware_ids: &[String]) -> Self {
        Self {
            catalog,
            index: ReleaseIndex::new(&catalog.releases),
            hardware_ids: HardwareIds::new(hardware_ids),
        }
    }

    /// Matches one device. A release applies when it names one of the device's GUIDs,
    /// directly or through an instance ID, and the machine has one of the hardware IDs
    /// it lists, if it lists any.
    pub fn match_device(&self, device: &'a Device) -> DeviceMatch<'a> {
        let mut versions = DeviceVersions::new(device);
        let mut tally = Tally::default();
        for position in self.index.candidates(device) {
            let Some(release) = self.catalog.releases.get(position) else {
                continue;
            };
            if self.hardware_ids.allow(release) {
                tally.add(release, judge(release, &mut versions));
            }
        }
        tally.finish(device, &self.catalog.remote_id)
    }

    /// Matches each device, in order.
    pub fn match_devices(&self, devices: &'a [Device]) -> Vec<DeviceMatch<'a>> {
        devices
            .iter()
            .map(|device| self.match_device(device))
            .collect()
    }
}

/// Matches every device of `inventory` against `catalog`.
pub fn match_inventory<'a>(catalog: &'a Catalog, inventory: &'a Inventory) -> Vec<DeviceMatch<'a>> {
    Matcher::new(catalog, &inventory.hardware_ids).match_devices(&inventory.devices)
}

/// The verdicts on the releases for one device, collected for its status.
#[derive(Default)]
struct Tally<'a> {
    offered: Vec<(ParsedVersion, &'a Release)>,
    equal: bool,
    older: bool,
    held_back: Vec<HeldBack<'a>>,
}

impl<'a> Tally<'a> {
    fn add(&mut self, release: &'a Release, verdict: Verdict) {
        match verdict {
            Verdict::Older => self.older = true,
            Verdict::Equal => self.equal = true,
            Verdict::Offered(version) => self.offered.push((version, release)),
            Verdict::HeldBack(reason) => self.held_back.push(HeldBack { release, reason }),
        }
    }

    fn finish(mut self, device: &'a Device, remote_id: &'a str) -> DeviceMatch<'a> {
        // Newest first. Releases of one device normally share a format. Across formats,
        // the parsed order is total but only roughly meaningful.
        self.offered.sort_by(|(a, first), (b, second)| {
            b.cmp(a)
                .then_with(|| second.release_date.cmp(&first.release_date))
                .then_with(|| first.id.cmp(&second.id))
        });
        let mut offered = self.offered.into_iter().map(|(_, release)| release);

        let status = match offered.next() {
            Some(newest) => MatchStatus::UpdateAvailable {
                newest,
                others: offered.collect(),
            },
            None if self.equal => MatchStatus::UpToDate,
            None if self.older && self.held_back.is_empty() => MatchStatus::NewerThanAll,
            None => MatchStatus::NoReleases,
        };
        DeviceMatch {
            device,
            remote_id,
            status,
            held_back: self.held_back,
        }
    }
}
