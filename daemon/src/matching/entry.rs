//! Update entries: the rows of `hwupctl updates` and of its `--json` output.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::catalog::document::{urgency_key, InstallMethod, Release, Severity};
use crate::device::Device;

use super::device_match::{DeviceMatch, MatchStatus};

/// One release for one device: an offered update, or a held-back release with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateEntry {
    pub device_id: String,
    pub device_name: String,
    /// The device's version as it reports it.
    pub current_version: String,
    pub remote_id: String,
    pub release_id: String,
    /// Version that the device reports after the update.
    pub version: String,
    pub severity: Severity,
    pub cves: Vec<String>,
    pub known_exploited: bool,
    /// Release date from the catalog.
    pub released: Date,
    pub summary: String,
    pub install_method: InstallMethod,
    pub reboot_required: bool,
    /// Exact payload size in bytes.
    pub payload_size: u64,
    /// Why the release is held back, or None for an update that is offered.
    pub held_back_reason: Option<String>,
    /// Whether the catalog that offers the release has expired. Such a release is held
    /// back from staging and applying, but still counts as missing in reports.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub catalog_expired: bool,
}

/// The document that `hwupctl updates --json` prints: `{"updates": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateList {
    pub updates: Vec<UpdateEntry>,
}

impl UpdateEntry {
    fn new(device: &Device, remote_id: &str, release: &Release) -> Self {
        Self {
            device_id: device.id.clone(),
            device_name: device.name.clone(),
            current_version: device.version.clone(),
            remote_id: remote_id.to_owned(),
            release_id: release.id.clone(),
            version: release.version.clone(),
            severity: release.severity.clone(),
            cves: release.cves.clone(),
            known_exploited: release.known_exploited,
            released: release.release_date,
            summary: release.summary.clone(),
            install_method: release.install_method.clone(),
            reboot_required: release.reboot_required,
            payload_size: release.payload.size,
            held_back_reason: None,
            catalog_expired: false,
        }
    }
}

/// Lists the newest offered release of each device and every held-back release, sorted
/// by [`sort_entries`]. Older offered releases are left out, because installing the
/// newest one supersedes them.
pub fn update_entries(matches: &[DeviceMatch]) -> Vec<UpdateEntry> {
    let mut entries = Vec::new();
    for found in matches {
        if let MatchStatus::UpdateAvailable { newest, .. } = &found.status {
            entries.push(UpdateEntry::new(found.device, found.remote_id, newest));
        }
        for held in &found.held_back {
            let mut entry = UpdateEntry::new(found.device, found.remote_id, held.release);
            entry.held_back_reason = Some(held.reason.to_string());
            entries.push(entry);
        }
    }
    sort_entries(&mut entries);
    entries
}

/// Sorts entries by urgency: known exploited first, then by severity from critical to
/// low, then oldest release first. Device and release ids break ties, so the order is
/// stable across runs.
pub fn sort_entries(entries: &mut [UpdateEntry]) {
    entries.sort_by(|a, b| {
        let key = |entry: &UpdateEntry| {
            urgency_key(entry.known_exploited, &entry.severity, entry.released)
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.device_id.cmp(&b.device_id))
            .then_with(|| a.release_id.cmp(&b.release_id))
    });
}
