//! Commands that query the running daemon: `devices` and `status`.

use hwupd::device::Device;
use hwupd::inventory::Inventory;
use serde::Serialize;
use zbus::proxy::CacheProperties;

use crate::failure::{from_connect, from_dbus, Failure, FAILED};
use crate::proxy::ManagerProxy;

/// Connects to the system bus and returns a manager proxy without a property cache.
///
/// Each command reads a property at most once, so a cache would only add the
/// AddMatch, GetNameOwner and GetAll calls that fill it and watch for changes.
pub async fn manager() -> Result<ManagerProxy<'static>, Failure> {
    let connection = zbus::Connection::system().await.map_err(from_connect)?;
    ManagerProxy::builder(&connection)
        .cache_properties(CacheProperties::No)
        .build()
        .await
        .map_err(from_dbus)
}

/// Fetches the daemon's inventory: its devices, kernel release and hardware IDs.
///
/// The three calls are sent together, so the replies take one round trip.
pub async fn fetch_inventory(manager: &ManagerProxy<'_>) -> Result<Inventory, Failure> {
    let (dicts, kernel_release, hardware_ids) = tokio::try_join!(
        manager.get_devices(),
        manager.kernel_release(),
        manager.hardware_ids(),
    )
    .map_err(from_dbus)?;
    let devices = dicts
        .into_iter()
        .map(Device::try_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::new(FAILED, e.to_string()))?;
    Ok(Inventory {
        kernel_release: (!kernel_release.is_empty()).then_some(kernel_release),
        hardware_ids,
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
    let (daemon_version, status, kernel_release, devices) = tokio::try_join!(
        manager.daemon_version(),
        manager.status(),
        manager.kernel_release(),
        manager.get_devices(),
    )
    .map_err(from_dbus)?;
    let status = Status {
        daemon_version,
        status,
        kernel_release,
        devices: devices.len(),
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
