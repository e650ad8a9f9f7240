//! The `[policy]` table of the config file.

use serde::{Deserialize, Deserializer, Serialize};

use super::entry::ListEntry;
use crate::catalog::document::{Ring, Severity};

/// Maximum deferral in days, about ten years. It keeps date arithmetic in range.
pub const MAX_DEFER_DAYS: u32 = 3650;

/// Update policy as configured in `[policy]`. Every key is optional.
///
/// ```toml
/// [policy]
/// auto_stage = ["critical", "high"]
/// require_approval = ["critical"]
/// approved = ["bios-2.4.1"]
/// blocked = ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
/// ring = "early"
/// allow_reboot = false
///
/// [policy.defer]
/// medium = 7
///
/// [policy.power]
/// require_ac = true
/// min_battery_percent = 30
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Severities whose releases are staged without a request.
    #[serde(deserialize_with = "deserialize_severities")]
    pub auto_stage: Vec<Severity>,
    /// Days after the release date before a release is staged or applied.
    pub defer: DeferDays,
    /// Severities whose releases need an entry in the approved list.
    #[serde(deserialize_with = "deserialize_severities")]
    pub require_approval: Vec<Severity>,
    /// Release ids or payload SHA-256 values approved in the config.
    pub approved: Vec<ListEntry>,
    /// Release ids or payload SHA-256 values never staged or applied. A
    /// block wins over an approval.
    pub blocked: Vec<ListEntry>,
    /// Rollout ring of this machine.
    #[serde(deserialize_with = "deserialize_ring")]
    pub ring: Ring,
    /// Whether the daemon may reboot the machine to finish an update.
    pub allow_reboot: bool,
    pub power: PowerPolicy,
}

/// Days to wait after a release date, per severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeferDays {
    #[serde(deserialize_with = "deserialize_days")]
    pub critical: u32,
    #[serde(deserialize_with = "deserialize_days")]
    pub high: u32,
    #[serde(deserialize_with = "deserialize_days")]
    pub medium: u32,
    #[serde(deserialize_with = "deserialize_days")]
    pub low: u32,
}

/// Power conditions for applying updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PowerPolicy {
    /// Whether the machine must be on AC power. A machine without a system
    /// battery, such as a desktop, server or VM, always counts as on AC power.
    pub require_ac: bool,
    /// Lowest system battery charge in percent, checked whenever a battery
    /// reports its charge, on AC power or not, as fwupd does.
    #[serde(deserialize_with = "deserialize_percent")]
    pub min_battery_percent: u8,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            auto_stage: vec![Severity::Critical, Severity::High],
            defer: DeferDays::default(),
            require_approval: Vec::new(),
            approved: Vec::new(),
            blocked: Vec::new(),
            ring: Ring::Broad,
            allow_reboot: false,
            power: PowerPolicy::default(),
        }
    }
}

impl Default for DeferDays {
    fn default() -> Self {
        Self {
            critical: 0,
            high: 0,
            medium: 7,
            low: 30,
        }
    }
}

impl Default for PowerPolicy {
    fn default() -> Self {
        Self {
            require_ac: true,
            min_battery_percent: 30,
        }
    }
}

impl DeferDays {
    /// Returns the deferral for `severity`. A severity this hwupd does not
    /// know gets the longest configured deferral.
    pub fn for_severity(&self, severity: &Severity) -> u32 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Unknown(_) => [self.critical, self.high, self.medium, self.low]
                .into_iter()
                .max()
                .unwrap_or(0),
        }
    }
}

fn deserialize_severities<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Severity>, D::Error> {
    let names = Vec::<String>::deserialize(deserializer)?;
    names
        .iter()
        .map(|name| {
            name.parse::<Severity>().map_err(|expected| {
                serde::de::Error::custom(format!("invalid severity {name:?}: {expected}"))
            })
        })
        .collect()
}

fn deserialize_ring<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Ring, D::Error> {
    let name = String::deserialize(deserializer)?;
    name.parse::<Ring>()
        .map_err(|expected| serde::de::Error::custom(format!("invalid ring {name:?}: {expected}")))
}

fn deserialize_days<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let days = u32::deserialize(deserializer)?;
    if days > MAX_DEFER_DAYS {
        let message =
            format!("deferral of {days} days is more than the maximum of {MAX_DEFER_DAYS}");
        return Err(serde::de::Error::custom(message));
    }
    Ok(days)
}

fn deserialize_percent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
    let percent = u8::deserialize(deserializer)?;
    if percent > 100 {
        let message = format!("battery charge of {percent}% is more than 100%");
        return Err(serde::de::Error::custom(message));
    }
    Ok(percent)
}
