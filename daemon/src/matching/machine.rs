//! GUIDs of this machine's devices, its hardware IDs, and the GUIDs that a release names.

use std::collections::HashSet;

use uuid::Uuid;

use crate::catalog::document::{BorrowedRelease, Release};
use crate::device::Device;
use crate::inventory::Inventory;

/// A GUID as its 16 bytes, so that text case does not matter and comparisons are cheap.
pub(crate) type GuidKey = [u8; 16];

/// Parses a GUID written in either case, or returns None when `text` is not a GUID.
pub(crate) fn guid_key(text: &str) -> Option<GuidKey> {
    Uuid::try_parse(text).ok().map(|uuid| *uuid.as_bytes())
}

/// Returns the GUID of an instance ID, as `crate::guid::from_instance_id` writes it.
fn instance_id_key(instance_id: &str) -> GuidKey {
    *Uuid::new_v5(&Uuid::NAMESPACE_DNS, instance_id.as_bytes()).as_bytes()
}

/// Returns the GUIDs of a device list: the GUIDs themselves and those of the instance
/// IDs. Entries that are not GUIDs are skipped, because they cannot match any device.
fn listed_keys<'a, S: AsRef<str>>(
    guids: &'a [S],
    instance_ids: &'a [S],
) -> impl Iterator<Item = GuidKey> + 'a {
    let guids = guids.iter().filter_map(|text| guid_key(text.as_ref()));
    let derived = instance_ids.iter().map(|id| instance_id_key(id.as_ref()));
    guids.chain(derived)
}

/// Returns the GUIDs that a release names: its own and those of its instance IDs.
pub(crate) fn release_keys(release: &Release) -> impl Iterator<Item = GuidKey> + '_ {
    listed_keys(&release.devices.guids, &release.devices.instance_ids)
}

/// Returns the GUIDs of a device, including those of its instance IDs in case the
/// device lists an instance ID without its GUID.
pub(crate) fn device_keys(device: &Device) -> Vec<GuidKey> {
    let guids = device.guids.iter().filter_map(|text| guid_key(text));
    let derived = device.instance_ids.iter().map(|id| instance_id_key(id));
    let mut keys: Vec<GuidKey> = guids.chain(derived).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The hardware IDs of one machine, which restrict releases that list some.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HardwareIds(HashSet<GuidKey>);

impl HardwareIds {
    pub(crate) fn new(hardware_ids: &[String]) -> Self {
        Self(hardware_ids.iter().filter_map(|id| guid_key(id)).collect())
    }

    /// Reports whether the release lists no hardware ID or the machine has one of them.
    pub(crate) fn allow(&self, release: &Release) -> bool {
        self.allow_listed(&release.hardware_ids)
    }

    fn allow_listed<S: AsRef<str>>(&self, listed: &[S]) -> bool {
        listed.is_empty()
            || listed
                .iter()
                .filter_map(|id| guid_key(id.as_ref()))
                .any(|key| self.0.contains(&key))
    }
}

/// The GUIDs of every device of one machine and its hardware IDs: what decides whether a
/// release can apply to the machine at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineIds {
    guids: HashSet<GuidKey>,
    hardware_ids: HardwareIds,
}

impl MachineIds {
    /// Collects the GUIDs of the inventory's devices and the machine's hardware IDs.
    pub fn new(inventory: &Inventory) -> Self {
        Self::from_parts(&inventory.devices, &inventory.hardware_ids)
    }

    /// Collects the GUIDs of `devices` and the machine's `hardware_ids`.
    pub fn from_parts(devices: &[Device], hardware_ids: &[String]) -> Self {
        let guids = devices.iter().flat_map(device_keys).collect();
        Self {
            guids,
            hardware_ids: HardwareIds::new(hardware_ids),
        }
    }

    /// Reports whether the release names a device of this machine and, when it lists
    /// hardware IDs, whether the machine has one of them.
    pub fn matches(&self, release: &Release) -> bool {
        let devices = &release.devices;
        self.matches_lists(&devices.guids, &devices.instance_ids, &release.hardware_ids)
    }

    /// Reports what [`MachineIds::matches`] reports, for a release read in place.
    pub(crate) fn matches_borrowed(&self, release: &BorrowedRelease) -> bool {
        let devices = &release.devices;
        self.matches_lists(&devices.guids, &devices.instance_ids, &release.hardware_ids)
    }

    fn matches_lists<S: AsRef<str>>(
        &self,
        guids: &[S],
        instance_ids: &[S],
        hardware_ids: &[S],
    ) -> bool {
        // With no devices nothing matches, and deriving GUIDs would be wasted work.
        if self.guids.is_empty() {
            return false;
        }
        let names_device = listed_keys(guids, instance_ids).any(|key| self.guids.contains(&key));
        names_device && self.hardware_ids.allow_listed(hardware_ids)
    }
}
