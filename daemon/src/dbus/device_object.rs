//! One D-Bus object per device, at `/org/hwupd/Hwupd1/devices/<id>`.

use std::collections::HashMap;

use zbus::interface;

use crate::device::Device;

/// The `org.hwupd.Hwupd1.Device` interface of one device.
pub struct DeviceObject {
    pub device: Device,
}

#[interface(name = "org.hwupd.Hwupd1.Device")]
impl DeviceObject {
    #[zbus(property(emits_changed_signal = "const"))]
    fn id(&self) -> String {
        self.device.id.clone()
    }

    #[zbus(property(emits_changed_signal = "const"))]
    fn kind(&self) -> String {
        self.device.kind.as_str().to_string()
    }

    #[zbus(property)]
    fn name(&self) -> String {
        self.device.name.clone()
    }

    #[zbus(property)]
    fn vendor(&self) -> String {
        self.device.vendor.clone()
    }

    #[zbus(property)]
    fn version(&self) -> String {
        self.device.version.clone()
    }

    #[zbus(property)]
    fn version_format(&self) -> String {
        self.device.version_format.clone()
    }

    /// Lowest accepted version, or an empty string when the hardware reports none.
    #[zbus(property)]
    fn version_lowest(&self) -> String {
        self.device.version_lowest.clone().unwrap_or_default()
    }

    #[zbus(property)]
    fn instance_ids(&self) -> Vec<String> {
        self.device.instance_ids.clone()
    }

    #[zbus(property)]
    fn guids(&self) -> Vec<String> {
        self.device.guids.clone()
    }

    /// Bound driver's name, or an empty string when no driver is bound.
    #[zbus(property)]
    fn driver_name(&self) -> String {
        self.driver_field(|d| Some(d.name.clone()))
    }

    /// Bound driver's module version, or an empty string when it declares none.
    #[zbus(property)]
    fn driver_version(&self) -> String {
        self.driver_field(|d| d.version.clone())
    }

    #[zbus(property(emits_changed_signal = "const"))]
    fn physical_id(&self) -> String {
        self.device.physical_id.clone()
    }

    #[zbus(property)]
    fn attributes(&self) -> HashMap<String, String> {
        self.device.attributes.clone().into_iter().collect()
    }
}

impl DeviceObject {
    fn driver_field(&self, field: impl Fn(&crate::device::Driver) -> Option<String>) -> String {
        self.device
            .driver
            .as_ref()
            .and_then(field)
            .unwrap_or_default()
    }
}
