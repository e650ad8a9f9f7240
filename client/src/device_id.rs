//! Device ids on the command line: a full id, or a unique prefix of one as the
//! `hwupctl devices` table shows it, resolved against the daemon's device list.

use hwupd::output::{printable, quoted};

use crate::daemon_cmd::fetch_inventory;
use crate::failure::{from_dbus, Failure, FAILED, NOT_FOUND, USAGE};
use crate::proxy::ManagerProxy;

/// Shortest prefix that hwupctl matches, as git does for commit hashes, so that a
/// typo of one or two characters cannot pick a device for a rollback.
pub const MIN_PREFIX_LEN: usize = 4;

/// Maximum number of candidates that the error for an ambiguous prefix lists.
const MAX_LISTED: usize = 10;

/// A device from the daemon's list, with its full id and its name for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedDevice {
    pub id: String,
    pub name: String,
}

/// Outcome of matching a device id against the device list.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    /// The full id of the one device that the text names.
    Found(String),
    /// No device has this id or an id that starts with it.
    NotFound,
}

/// Matches `text` against `devices`, first as an exact id and then as a unique prefix
/// of at least [`MIN_PREFIX_LEN`] characters. A prefix that is too short, or that
/// matches several devices, is a usage error.
pub fn resolve(text: &str, devices: &[ListedDevice]) -> Result<Resolved, Failure> {
    let lowered = text.to_ascii_lowercase();
    if let Some(device) = devices.iter().find(|d| d.id == lowered) {
        return Ok(Resolved::Found(device.id.clone()));
    }

    let matches: Vec<&ListedDevice> = devices
        .iter()
        .filter(|d| !lowered.is_empty() && d.id.starts_with(&lowered))
        .collect();
    match matches.as_slice() {
        [] => Ok(Resolved::NotFound),
        [_] if lowered.len() < MIN_PREFIX_LEN => Err(Failure::new(
            USAGE,
            format!(
                "device id prefix {} is too short; give at least {MIN_PREFIX_LEN} characters",
                quoted(text)
            ),
        )),
        [device] => Ok(Resolved::Found(device.id.clone())),
        several => Err(ambiguous(text, several)),
    }
}

/// Returns the usage error for a prefix that matches several devices.
fn ambiguous(text: &str, candidates: &[&ListedDevice]) -> Failure {
    let mut listed: Vec<String> = candidates
        .iter()
        .take(MAX_LISTED)
        .map(|d| format!("{} ({})", d.id, printable(&d.name, 80)))
        .collect();
    if candidates.len() > MAX_LISTED {
        listed.push(format!("and {} more", candidates.len() - MAX_LISTED));
    }
    Failure::new(
        USAGE,
        format!(
            "device id prefix {} matches {} devices: {}; give more characters of the id",
            quoted(text),
            candidates.len(),
            listed.join(", ")
        ),
    )
}

/// Returns the failure for a device id that no device has.
pub fn not_found(text: &str) -> Failure {
    Failure::new(
        NOT_FOUND,
        format!(
            "device {} not found; `hwupctl devices` lists the device ids",
            quoted(text)
        ),
    )
}

/// Returns the full id of the listed device that `text` names, or a not-found failure.
pub async fn resolve_listed(manager: &ManagerProxy<'_>, text: &str) -> Result<String, Failure> {
    match resolve(text, &list(manager).await?)? {
        Resolved::Found(id) => Ok(id),
        Resolved::NotFound => Err(not_found(text)),
    }
}

/// Returns the full id of the device that `text` names for `hwupctl history`. Beside
/// the listed devices, this accepts the full id of a device that is gone but still
/// has history records.
pub async fn resolve_in_history(manager: &ManagerProxy<'_>, text: &str) -> Result<String, Failure> {
    if let Resolved::Found(id) = resolve(text, &list(manager).await?)? {
        return Ok(id);
    }

    // NOTE: only the full id of a device that is gone matches, never a prefix of it.
    let records = manager.get_history(text, 1).await.map_err(from_dbus)?;
    let document: serde_json::Value = serde_json::from_str(&records)
        .map_err(|e| Failure::new(FAILED, format!("the daemon sent an invalid history: {e}")))?;
    match document["history"].as_array() {
        Some(records) if !text.is_empty() && !records.is_empty() => Ok(text.to_string()),
        _ => Err(not_found(text)),
    }
}

/// Fetches the daemon's devices with their full ids and names.
async fn list(manager: &ManagerProxy<'_>) -> Result<Vec<ListedDevice>, Failure> {
    let inventory = fetch_inventory(manager).await?;
    let devices = inventory.devices.into_iter().map(|device| ListedDevice {
        id: device.id,
        name: device.name,
    });
    Ok(devices.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::USAGE;

    fn devices() -> Vec<ListedDevice> {
        let device = |id: &str, name: &str| ListedDevice {
            id: id.to_string(),
            name: name.to_string(),
        };
        vec![
            device("0fe20d6d197845b71282445b472dd15059df6434", "Demo BMC"),
            device("0fe2aa0000000000000000000000000000000001", "NVMe SSD"),
            device("7c31b2e5d0a94f1e8e2b6c4d9a0f1e2d3c4b5a69", "Wi-Fi"),
        ]
    }

    #[test]
    fn full_id_resolves() {
        let id = "7c31b2e5d0a94f1e8e2b6c4d9a0f1e2d3c4b5a69";

        let resolved = resolve(id, &devices()).unwrap();

        assert_eq!(resolved, Resolved::Found(id.to_string()));
    }

    #[test]
    fn table_prefix_resolves() {
        let resolved = resolve("0fe20d6d1978", &devices()).unwrap();

        let full = "0fe20d6d197845b71282445b472dd15059df6434";
        assert_eq!(resolved, Resolved::Found(full.to_string()));
    }

    #[test]
    fn upper_case_prefix_resolves() {
        let resolved = resolve("7C31B2", &devices()).unwrap();

        let full = "7c31b2e5d0a94f1e8e2b6c4d9a0f1e2d3c4b5a69";
        assert_eq!(resolved, Resolved::Found(full.to_string()));
    }

    #[test]
    fn ambiguous_prefix_lists_candidates() {
        let failure = resolve("0fe2", &devices()).unwrap_err();

        assert_eq!(failure.code, USAGE, "{failure}");
        assert!(failure.message.contains("matches 2 devices"), "{failure}");
        assert!(
            failure
                .message
                .contains("0fe20d6d197845b71282445b472dd15059df6434 (Demo BMC)"),
            "{failure}"
        );
        assert!(
            failure
                .message
                .contains("0fe2aa0000000000000000000000000000000001 (NVMe SSD)"),
            "{failure}"
        );
    }

    #[test]
    fn short_prefix_is_rejected() {
        let failure = resolve("7c3", &devices()).unwrap_err();

        assert_eq!(failure.code, USAGE, "{failure}");
        assert!(
            failure.message.contains("at least 4 characters"),
            "{failure}"
        );
    }

    #[test]
    fn unknown_and_empty_ids_are_not_found() {
        for text in ["ffff", "", "0fe20d6d1978x"] {
            let resolved = resolve(text, &devices()).unwrap();

            assert_eq!(resolved, Resolved::NotFound, "{text:?}");
        }
    }

    #[test]
    fn not_found_message_escapes_the_id() {
        let failure = not_found("a\nb\u{1b}[31m");

        assert_eq!(failure.code, NOT_FOUND);
        assert!(
            failure.message.contains("\"a\\nb\\u{1b}[31m\""),
            "{failure}"
        );
        assert!(failure.message.contains("`hwupctl devices`"), "{failure}");
    }
}
