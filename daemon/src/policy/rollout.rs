//! Rollout limits: which rings and which share of machines receive a release.
//!
//! Rings are ordered `canary < early < broad`, and a release's `rollout.ring`
//! is the last ring it is currently offered to. A machine in ring `R` receives
//! a release when `R` is at or before that ring: a `canary` release reaches
//! canary machines only, an `early` release canary and early machines, and a
//! `broad` release every machine. Publishers widen a rollout by moving the
//! release's ring later.
//!
//! Within those rings, `rollout.percentage` picks a stable share of machines.
//! A machine's bucket for a release is the first 8 bytes of
//! SHA-256(`machine-id` + ":" + release id) as a big-endian `u64`, modulo
//! 10,000, and the machine is in the rollout when the bucket is below
//! `percentage * 100`. Each machine decides the same way every time, and a
//! different release picks a different set of machines.

use std::io::Read;

use sha2::{Digest, Sha256};

use crate::catalog::document::Ring;
use crate::root::Root;

/// Buckets per machine and release: hundredths of a percent.
pub const BUCKETS: u64 = 10_000;

/// Maximum size of `/etc/machine-id` read. The file holds 32 hexadecimal digits.
const MAX_MACHINE_ID_LEN: u64 = 256;

/// Contents of `/etc/machine-id`, without surrounding whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineId(String);

/// Failure to read the machine id.
#[derive(Debug, thiserror::Error)]
pub enum MachineIdError {
    #[error("reading machine id {path} failed: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },

    #[error("machine id {path} is empty, too long or uninitialized; run systemd-machine-id-setup")]
    Invalid { path: String },
}

impl MachineId {
    /// Reads `/etc/machine-id` under `root`.
    pub fn read(root: &Root) -> Result<Self, MachineIdError> {
        let path = root.join("/etc/machine-id");
        let read_error = |source| MachineIdError::Read {
            path: path.display().to_string(),
            source,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .and_then(|file| file.take(MAX_MACHINE_ID_LEN + 1).read_to_end(&mut bytes))
            .map_err(read_error)?;

        let text = String::from_utf8_lossy(&bytes);
        Self::new(text.trim()).ok_or_else(|| MachineIdError::Invalid {
            path: path.display().to_string(),
        })
    }

    /// Wraps an id given as text. Returns `None` for an empty or overlong id
    /// and for `uninitialized`, which systemd writes before the first boot completes.
    pub fn new(id: &str) -> Option<Self> {
        let valid = !id.is_empty()
            && id.len() as u64 <= MAX_MACHINE_ID_LEN
            && id != "uninitialized"
            && !id.chars().any(|c| c.is_whitespace() || c.is_control());
        valid.then(|| Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Returns this machine's bucket for `release_id`, from 0 to 9,999.
pub fn rollout_bucket(machine_id: &MachineId, release_id: &str) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(machine_id.0.as_bytes());
    hasher.update(b":");
    hasher.update(release_id.as_bytes());
    let digest = hasher.finalize();

    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % BUCKETS
}

/// Returns whether the machine is in a rollout to `percentage` percent of
/// machines. Without a machine id only a rollout to 100% includes it.
pub fn in_rollout(machine_id: Option<&MachineId>, release_id: &str, percentage: u32) -> bool {
    let threshold = u64::from(percentage.min(100)) * 100;
    match machine_id {
        Some(id) => rollout_bucket(id, release_id) < threshold,
        None => threshold >= BUCKETS,
    }
}

/// Returns whether a machine in `machine_ring` receives a release offered up to `release_ring`.
///
/// A ring this hwupd does not know never matches, since validation rejects it.
pub fn ring_reached(machine_ring: &Ring, release_ring: &Ring) -> bool {
    let known = |ring: &Ring| !matches!(ring, Ring::Unknown(_));
    known(machine_ring) && known(release_ring) && machine_ring <= release_ring
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(id: &str) -> MachineId {
        MachineId::new(id).unwrap()
    }

    #[test]
    fn bucket_is_stable_and_differs_by_release() {
        let id = machine("0123456789abcdef0123456789abcdef");
        assert_eq!(rollout_bucket(&id, "bios-1"), rollout_bucket(&id, "bios-1"));
        let buckets: std::collections::HashSet<u64> = (0..20)
            .map(|n| rollout_bucket(&id, &format!("release-{n}")))
            .collect();
        assert!(buckets.len() > 1);
    }

    #[test]
    fn bucket_follows_the_documented_hash() {
        let id = machine("0123456789abcdef0123456789abcdef");
        let digest = Sha256::digest(b"0123456789abcdef0123456789abcdef:bios-1");
        let expected = u64::from_be_bytes(digest[..8].try_into().unwrap()) % BUCKETS;
        assert_eq!(rollout_bucket(&id, "bios-1"), expected);
    }

    #[test]
    fn edge_percentages() {
        let id = machine("0123456789abcdef0123456789abcdef");
        assert!(!in_rollout(Some(&id), "bios-1", 0));
        assert!(in_rollout(Some(&id), "bios-1", 100));
        assert!(in_rollout(Some(&id), "bios-1", 250));
        assert!(in_rollout(None, "bios-1", 100));
        assert!(!in_rollout(None, "bios-1", 99));
    }

    #[test]
    fn rings_reach_earlier_machines() {
        use Ring::{Broad, Canary, Early};
        assert!(ring_reached(&Canary, &Canary));
        assert!(ring_reached(&Canary, &Broad));
        assert!(ring_reached(&Early, &Early));
        assert!(!ring_reached(&Early, &Canary));
        assert!(!ring_reached(&Broad, &Early));
        assert!(!ring_reached(&Broad, &Ring::Unknown("later".into())));
    }

    #[test]
    fn machine_id_rejects_placeholders() {
        assert!(MachineId::new("").is_none());
        assert!(MachineId::new("uninitialized").is_none());
        assert!(MachineId::new("two words").is_none());
        assert!(MachineId::new(&"a".repeat(257)).is_none());
    }
}
