//! Commands that query the running daemon: `devices` and `status`.

use hwupd::device::Device;
use hwupd::inventory::Inventory;
use serde::Serialize;

use crate::failure::{from_connect, from_dbus, Failure, FAILED};
use crate::proxy::ManagerProxy;

/// Connects to the system bus and returns a manager proxy.
pub async fn manager() -> Result<ManagerProxy<'static>, Failure> {
    let connection = zbus::Connection::system().await.map_err(from_connect)?;
    ManagerProxy::new(&connection).await.map_err(from_dbus)
}

/// Fetches the daemon's inventory: its devices, kernel release and hardware IDs.
pub async fn fetch_inventory(manager: &ManagerProxy<'_>) -> Result<Inventory, Failure> {
    let dicts = manager.get_devices().await.map_err(from_dbus)?;
    let devices = dicts
        .into_iter()
        .map(Device::try_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::new(FAILED, e.to_string()))?;
    let kernel_release = manager.kernel_release().await.map_err(from_dbus)?;
    Ok(Inventory {
        kernel_release: (!kernel_release.is_empty()).then_some(kernel_release),
        hardware_ids: manager.hardware_ids().await.map_err(from_dbus)?,
        devices,
    })
}

/// `hwupctl devices`: the same document as `hwupd inventory --json`.
pub async fn devices(json: bool) -> Result<(), Failure> {
    let manager = manager().await?;
    let inventory = fetch_inventory(&manager).await?;
    if json {
        print_json(&inventory)
    } else {
        print!("{}", hwupd::output::inventory_table(&inventory));
        Ok(())
    }
}

#[derive(Serialize)]
struct Status {
    daemon_version: String,
    status: String,
    kernel_release: String,
    devices: usize,
}

/// `hwupctl status`: what the daemon is doing.
pub async fn status(json: bool) -> Result<(), Failure> {
    let manager = manager().await?;
    let status = Status {
        daemon_version: manager.daemon_version().await.map_err(from_dbus)?,
        status: manager.status().await.map_err(from_dbus)?,
        kernel_release: manager.kernel_release().await.map_err(from_dbus)?,
        devices: manager.get_devices().await.map_err(from_dbus)?.len(),
    };
    if json {
        return print_json(&status);
    }
    println!("hwupd {}", status.daemon_version);
    println!("status:   {}", status.status);
    println!("kernel:   {}", status.kernel_release);
    println!("devices:  {}", status.devices);
    Ok(())
}

/// Prints a value as pretty JSON followed by a newline.
pub fn print_json(value: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(FAILED, format!("encoding JSON failed: {e}")))?;
    println!("{text}");
    Ok(())
}
