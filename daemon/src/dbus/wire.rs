//! Devices as D-Bus dictionaries (`a{sv}`), with the same keys as the JSON output.

use std::collections::BTreeMap;

use zbus::zvariant::{DeserializeDict, SerializeDict, Type};

use crate::device::{Device, DeviceKind, Driver};

/// One device in `GetDevices`. Optional keys are left out when empty.
#[derive(Debug, Default, Clone, PartialEq, SerializeDict, DeserializeDict, Type)]
#[zvariant(signature = "a{sv}")]
pub struct DeviceDict {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub vendor: String,
    pub version: String,
    pub version_format: String,
    pub version_lowest: Option<String>,
    pub version_raw: Option<u64>,
    pub instance_ids: Vec<String>,
    pub guids: Vec<String>,
    pub driver_name: Option<String>,
    pub driver_module: Option<String>,
    pub driver_version: Option<String>,
    pub driver_srcversion: Option<String>,
    pub driver_builtin: Option<bool>,
    pub physical_id: String,
    pub serial_hash: Option<String>,
    pub attributes: BTreeMap<String, String>,
}

impl From<&Device> for DeviceDict {
    fn from(device: &Device) -> Self {
        let driver = device.driver.as_ref();
        Self {
            id: device.id.clone(),
            name: device.name.clone(),
            kind: device.kind.as_str().to_string(),
            vendor: device.vendor.clone(),
            version: device.version.clone(),
            version_format: device.version_format.clone(),
            version_lowest: device.version_lowest.clone(),
            version_raw: device.version_raw,
            instance_ids: device.instance_ids.clone(),
            guids: device.guids.clone(),
            driver_name: driver.map(|d| d.name.clone()),
            driver_module: driver.map(|d| d.module.clone()),
            driver_version: driver.and_then(|d| d.version.clone()),
            driver_srcversion: driver.and_then(|d| d.srcversion.clone()),
            driver_builtin: driver.map(|d| d.builtin),
            physical_id: device.physical_id.clone(),
            serial_hash: device.serial_hash.clone(),
            attributes: device.attributes.clone(),
        }
    }
}

/// Error for a dictionary from the daemon that does not describe a device.
#[derive(Debug, thiserror::Error)]
#[error(
    "the daemon sent device {id} with unknown kind {kind:?}; hwupctl and hwupd versions differ"
)]
pub struct UnknownKind {
    pub id: String,
    pub kind: String,
}

impl TryFrom<DeviceDict> for Device {
    type Error = UnknownKind;

    fn try_from(dict: DeviceDict) -> Result<Self, UnknownKind> {
        let Ok(kind) = dict.kind.parse::<DeviceKind>() else {
            return Err(UnknownKind {
                id: dict.id,
                kind: dict.kind,
            });
        };
        let driver = dict.driver_name.map(|name| Driver {
            module: dict.driver_module.unwrap_or_else(|| name.clone()),
            name,
            version: dict.driver_version,
            srcversion: dict.driver_srcversion,
            builtin: dict.driver_builtin.unwrap_or(false),
        });
        Ok(Device {
            id: dict.id,
            name: dict.name,
            kind,
            vendor: dict.vendor,
            version: dict.version,
            version_format: dict.version_format,
            version_lowest: dict.version_lowest,
            version_raw: dict.version_raw,
            instance_ids: dict.instance_ids,
            guids: dict.guids,
            driver,
            physical_id: dict.physical_id,
            serial_hash: dict.serial_hash,
            attributes: dict.attributes,
        })
    }
}
