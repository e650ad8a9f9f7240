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

    fn get_updates(&self) -> zbus::Result<String>;

    fn get_remotes(&self) -> zbus::Result<String>;

    fn refresh(&self, remote_id: &str) -> zbus::Result<zbus::zvariant::OwnedObjectPath>;

    fn stage(&self, release_id: &str) -> zbus::Result<zbus::zvariant::OwnedObjectPath>;

    fn unstage(&self, release_id: &str) -> zbus::Result<bool>;

    fn apply(&self, release_id: &str, now: bool) -> zbus::Result<zbus::zvariant::OwnedObjectPath>;

    fn rollback(&self, device_id: &str) -> zbus::Result<zbus::zvariant::OwnedObjectPath>;

    fn get_history(&self, device_id: &str, limit: u32) -> zbus::Result<String>;

    fn get_report(&self) -> zbus::Result<String>;

    fn get_windows(&self, count: u32) -> zbus::Result<String>;

    fn get_policy(&self) -> zbus::Result<String>;

    fn approve(&self, entry: &str) -> zbus::Result<bool>;

    fn revoke_approval(&self, entry: &str) -> zbus::Result<bool>;

    fn block(&self, entry: &str) -> zbus::Result<bool>;

    fn unblock(&self, entry: &str) -> zbus::Result<bool>;

    fn inhibit(&self, reason: &str, until: &str) -> zbus::Result<String>;

    #[zbus(property)]
    fn daemon_version(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn status(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn kernel_release(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn hardware_ids(&self) -> zbus::Result<Vec<String>>;
}
