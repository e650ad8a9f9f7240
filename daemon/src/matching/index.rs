//! Index from GUID to the releases of a catalog that name it.

use crate::catalog::document::Release;
use crate::device::Device;

use super::machine::{device_keys, release_keys, GuidKey};

/// The releases of one catalog, sorted by the GUIDs they name.
///
/// A sorted vector of 20-byte entries takes less memory than a hash map of strings,
/// and a lookup is a binary search, so matching a device costs `O(g log r)` for `g`
/// device GUIDs and `r` index entries, not a pass over every release.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseIndex {
    /// GUID and position of the release in the catalog, sorted and without repeats.
    entries: Vec<(GuidKey, u32)>,
}

impl ReleaseIndex {
    /// Indexes every GUID and instance ID GUID of `releases`.
    pub fn new(releases: &[Release]) -> Self {
        let mut entries = Vec::new();
        for (position, release) in releases.iter().enumerate() {
            // Catalogs hold at most MAX_RELEASES releases, far below u32::MAX.
            let Ok(position) = u32::try_from(position) else {
                break;
            };
            entries.extend(release_keys(release).map(|key| (key, position)));
        }
        entries.sort_unstable();
        entries.dedup();
        Self { entries }
    }

    /// Returns the positions of the releases that name any GUID of `device`, in catalog
    /// order and each once.
    pub fn candidates(&self, device: &Device) -> Vec<usize> {
        let mut positions: Vec<usize> = device_keys(device)
            .iter()
            .flat_map(|key| self.positions(key))
            .collect();
        positions.sort_unstable();
        positions.dedup();
        positions
    }

    fn positions<'a>(&'a self, key: &'a GuidKey) -> impl Iterator<Item = usize> + 'a {
        let start = self.entries.partition_point(|(entry, _)| entry < key);
        self.entries[start..]
            .iter()
            .take_while(move |(entry, _)| entry == key)
            .map(|&(_, position)| position as usize)
    }
}
