//! Typed proxies for the hwupd D-Bus API.

use hwupd::dbus::wire::DeviceDict;
use zbus::proxy;

#[proxy(
    interface = "org.hwupd.Hwupd1.Manager",
    default_service = "org.hwupd.Hwupd1",
    default_path = "/org/hwupd/Hwupd1/Manager"
)]
pub trait Manager {
    fn get_devices(&self) -> zbus::Result<Vec<DeviceDict>>;

    fn rescan(&self) -> zbus::Result<()>;

    #[zbus(property)]
    fn daemon_version(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn status(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn kernel_release(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn hardware_ids(&self) -> zbus::Result<Vec<String>>;
}
