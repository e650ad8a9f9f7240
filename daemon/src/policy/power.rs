//! Power state from `/sys/class/power_supply`: AC or battery, and the battery charge.
//!
//! The kernel lists each supply with a `type` (`Mains`, `USB`, `Battery`, ...),
//! `online` for adapters, and `capacity` and `status` for batteries. Batteries
//! whose `scope` is `Device` belong to peripherals such as mice and are ignored.

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use super::config::PowerPolicy;
use crate::root::Root;

/// Maximum bytes read from one sysfs attribute.
const MAX_ATTRIBUTE_LEN: u64 = 256;

/// Maximum number of power supplies read.
const MAX_SUPPLIES: usize = 64;

/// One entry of `/sys/class/power_supply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PowerSupply {
    pub name: String,
    /// The `type` attribute, such as `Mains`, `USB` or `Battery`.
    pub kind: String,
    pub online: Option<bool>,
    /// Charge in percent, for batteries.
    pub capacity: Option<u8>,
    /// The `status` attribute, such as `Charging` or `Discharging`, for batteries.
    pub status: Option<String>,
    /// The `scope` attribute: `System`, or `Device` for a peripheral's battery.
    pub scope: Option<String>,
}

/// The machine's power supplies at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PowerState {
    pub supplies: Vec<PowerSupply>,
}

impl PowerSupply {
    fn is_adapter(&self) -> bool {
        self.kind == "Mains" || self.kind.starts_with("USB")
    }

    fn is_system_battery(&self) -> bool {
        self.kind == "Battery" && self.scope.as_deref() != Some("Device")
    }
}

impl PowerState {
    /// Reads `/sys/class/power_supply` under `root`. A missing folder means
    /// no supplies, as on most desktops, servers and VMs. Entries that cannot
    /// be read are skipped with a warning.
    pub fn read(root: &Root) -> Self {
        let folder = root.join("/sys/class/power_supply");
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Self::default(),
            Err(error) => {
                tracing::warn!(path = %folder.display(), %error, "reading power supplies failed");
                return Self::default();
            }
        };

        let mut supplies: Vec<PowerSupply> = entries
            .filter_map(Result::ok)
            .take(MAX_SUPPLIES)
            .filter_map(|entry| read_supply(&entry.path()))
            .collect();
        supplies.sort_by(|a, b| a.name.cmp(&b.name));
        Self { supplies }
    }

    /// Returns whether the machine runs on AC power.
    ///
    /// It does when an adapter (`Mains` or `USB`) is online or when there is
    /// no system battery. When no adapter is listed at all, it does unless a
    /// battery reports `Discharging`.
    pub fn on_ac(&self) -> bool {
        let mut batteries = self.system_batteries().peekable();
        if batteries.peek().is_none() {
            return true;
        }
        let mut adapters = self
            .supplies
            .iter()
            .filter(|supply| supply.is_adapter())
            .peekable();
        if adapters.peek().is_none() {
            return !batteries.any(|battery| battery.status.as_deref() == Some("Discharging"));
        }
        adapters.any(|adapter| adapter.online == Some(true))
    }

    /// Returns the mean charge of the system batteries that report one.
    // NOTE: the mean matches the remaining energy only for batteries of equal
    // size; `energy_now` and `energy_full` would weigh them exactly.
    pub fn battery_percent(&self) -> Option<u8> {
        let charges: Vec<u32> = self
            .system_batteries()
            .filter_map(|battery| battery.capacity)
            .map(u32::from)
            .collect();
        let count = u32::try_from(charges.len())
            .ok()
            .filter(|count| *count > 0)?;
        u8::try_from(charges.iter().sum::<u32>() / count).ok()
    }

    /// Checks the policy's power conditions; the error describes the one not met.
    ///
    /// A battery that reports no charge passes the charge check, as in fwupd.
    pub fn check(&self, policy: &PowerPolicy) -> Result<(), String> {
        let percent = self.battery_percent();
        if policy.require_ac && !self.on_ac() {
            let charge = percent.map_or_else(String::new, |percent| format!(" at {percent}%"));
            return Err(format!(
                "on battery{charge}, and the policy requires AC power"
            ));
        }
        match percent {
            Some(percent) if percent < policy.min_battery_percent => Err(format!(
                "battery at {percent}%, below the policy's minimum of {}%",
                policy.min_battery_percent
            )),
            _ => Ok(()),
        }
    }

    fn system_batteries(&self) -> impl Iterator<Item = &PowerSupply> {
        self.supplies
            .iter()
            .filter(|supply| supply.is_system_battery())
    }
}

fn read_supply(path: &Path) -> Option<PowerSupply> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let Some(kind) = read_attribute(path, "type") else {
        tracing::warn!(path = %path.display(), "power supply has no readable type; ignoring it");
        return None;
    };
    let online = read_attribute(path, "online").map(|value| value == "1");
    let capacity = read_attribute(path, "capacity")
        .and_then(|value| value.parse::<u8>().ok())
        .map(|percent| percent.min(100));

    Some(PowerSupply {
        name,
        kind,
        online,
        capacity,
        status: read_attribute(path, "status"),
        scope: read_attribute(path, "scope"),
    })
}

/// Reads a small sysfs attribute without its trailing newline.
fn read_attribute(folder: &Path, name: &str) -> Option<String> {
    let mut text = String::new();
    std::fs::File::open(folder.join(name))
        .and_then(|file| file.take(MAX_ATTRIBUTE_LEN).read_to_string(&mut text))
        .ok()?;
    Some(text.trim().to_owned())
}
