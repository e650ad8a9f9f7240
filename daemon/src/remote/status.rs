//! Remote status for `hwupctl remotes`, and the time of each remote's next refresh.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::config::RemoteConfig;
use super::error::LastError;
use super::store::{RemoteStore, StoredStatus};

/// State of one remote, as `hwupctl remotes --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteStatus {
    pub id: String,
    /// Location as the config file gives it.
    pub url: String,
    pub enabled: bool,
    /// Serial of the accepted catalog, or None if none was accepted.
    pub serial: Option<u64>,
    pub issued: Option<Timestamp>,
    pub expires: Option<Timestamp>,
    /// Id of the key that signed the accepted catalog.
    pub key_id: Option<String>,
    pub last_refresh: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_error: Option<LastError>,
    /// Time of the next scheduled refresh. None when the remote is disabled, or when it
    /// was never refreshed and so is due now.
    pub next_refresh: Option<Timestamp>,
}

impl RemoteStatus {
    /// Combines a remote's config with its stored status. `machine_seed` is a stable
    /// value of this machine, such as `/etc/machine-id`, for [`next_refresh_time`].
    pub fn new(remote: &RemoteConfig, stored: &StoredStatus, machine_seed: &[u8]) -> Self {
        let accepted = stored.accepted.as_ref();
        let next_refresh = remote
            .enabled
            .then(|| {
                next_refresh_time(
                    stored.last_refresh,
                    remote.refresh_interval,
                    remote.random_delay,
                    machine_seed,
                )
            })
            .flatten();
        Self {
            id: remote.id.clone(),
            url: remote.url.clone(),
            enabled: remote.enabled,
            serial: accepted.map(|record| record.serial),
            issued: accepted.map(|record| record.issued),
            expires: accepted.map(|record| record.expires),
            key_id: accepted.map(|record| record.key_id.clone()),
            last_refresh: stored.last_refresh,
            last_success: stored.last_success,
            last_error: stored.last_error.clone(),
            next_refresh,
        }
    }
}

/// Reads the stored status of `remote` and returns its [`RemoteStatus`]. Blocks on a
/// small file read.
pub fn remote_status(
    store: &RemoteStore,
    remote: &RemoteConfig,
    machine_seed: &[u8],
) -> RemoteStatus {
    let stored = match store.remote_dir(&remote.id) {
        Ok(dir) => dir.read_status(),
        Err(_) => StoredStatus::default(),
    };
    RemoteStatus::new(remote, &stored, machine_seed)
}

/// Returns when a remote is next due: `interval` after the `last` refresh, plus a delay
/// of up to `random_delay` that is the same on every call for the same `machine_seed`.
///
/// The stable delay spreads a fleet's refreshes over `random_delay` while each machine
/// keeps a fixed rhythm. Returns None when there was no refresh yet, which means due now.
pub fn next_refresh_time(
    last: Option<Timestamp>,
    interval: Duration,
    random_delay: Duration,
    machine_seed: &[u8],
) -> Option<Timestamp> {
    let last = last?;
    let delay = stable_delay(random_delay, machine_seed);
    let total = interval.as_secs().saturating_add(delay);
    let total = SignedDuration::from_secs(i64::try_from(total).unwrap_or(i64::MAX));
    Some(last.checked_add(total).unwrap_or(Timestamp::MAX))
}

/// Returns seconds from 0 to `max` inclusive, derived from a hash of `machine_seed`.
fn stable_delay(max: Duration, machine_seed: &[u8]) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(b"hwupd refresh delay\0");
    hasher.update(machine_seed);
    let digest = hasher.finalize();

    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let value = u64::from_le_bytes(first);
    value % max.as_secs().saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);
    const HOUR: Duration = Duration::from_secs(3600);

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn next_refresh_time_is_stable_per_machine() {
        let last = Some(at("2025-06-01T00:00:00Z"));

        let first = next_refresh_time(last, DAY, HOUR, b"machine-a");
        let again = next_refresh_time(last, DAY, HOUR, b"machine-a");

        assert_eq!(first, again);
    }

    #[test]
    fn next_refresh_time_stays_in_window() {
        let last = at("2025-06-01T00:00:00Z");
        let earliest = at("2025-06-02T00:00:00Z");
        let latest = at("2025-06-02T01:00:00Z");
        for seed in 0u32..200 {
            let next = next_refresh_time(Some(last), DAY, HOUR, &seed.to_le_bytes()).unwrap();
            assert!(next >= earliest, "{next}");
            assert!(next <= latest, "{next}");
        }
    }

    #[test]
    fn next_refresh_time_spreads_machines() {
        let last = Some(at("2025-06-01T00:00:00Z"));
        let times: std::collections::HashSet<Timestamp> = (0u32..50)
            .filter_map(|seed| next_refresh_time(last, DAY, HOUR, &seed.to_le_bytes()))
            .collect();

        assert!(times.len() > 40, "only {} distinct times", times.len());
    }

    #[test]
    fn next_refresh_time_handles_edges() {
        let last = Some(at("2025-06-01T00:00:00Z"));

        let no_delay = next_refresh_time(last, DAY, Duration::ZERO, b"m");
        let huge = next_refresh_time(Some(Timestamp::MAX), DAY, HOUR, b"m");

        assert_eq!(no_delay, Some(at("2025-06-02T00:00:00Z")));
        assert_eq!(huge, Some(Timestamp::MAX));
        assert_eq!(next_refresh_time(None, DAY, HOUR, b"m"), None);
    }
}
