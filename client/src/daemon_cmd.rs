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
    /// Offered updates with whether each is staged and why it waits.
    updates: Vec<serde_json::Value>,
    /// The window open now, if any, and the next opening.
    window_open: serde_json::Value,
    next_window: serde_json::Value,
    /// Active postponements of every apply, with reason and end.
    inhibits: serde_json::Value,
}

/// `hwupctl status`: what the daemon is doing.
pub async fn status(json: bool) -> Result<(), Failure> {
    let manager = manager().await?;
    let windows = parse(&manager.get_windows(1).await.map_err(from_dbus)?)?;
    let status = Status {
        daemon_version: manager.daemon_version().await.map_err(from_dbus)?,
        status: manager.status().await.map_err(from_dbus)?,
        kernel_release: manager.kernel_release().await.map_err(from_dbus)?,
        devices: manager.get_devices().await.map_err(from_dbus)?.len(),
        updates: offered_updates(&manager).await?,
        window_open: windows["open"].clone(),
        next_window: windows["next"][0].clone(),
        inhibits: parse(&manager.get_policy().await.map_err(from_dbus)?)?["state"]["inhibits"]
            .clone(),
    };
    if json {
        return print_json(&status);
    }
    println!("hwupd {}", status.daemon_version);
    println!("status:       {}", status.status);
    println!("kernel:       {}", status.kernel_release);
    println!("devices:      {}", status.devices);
    println!(
        "window:       {}",
        window_line(&status.window_open, &status.next_window)
    );
    for inhibit in status.inhibits.as_array().into_iter().flatten() {
        println!(
            "postponed:    until {}: {}",
            inhibit["until"].as_str().unwrap_or("-"),
            inhibit["reason"].as_str().unwrap_or("-")
        );
    }
    for update in &status.updates {
        let staged = if update["staged"] == serde_json::Value::Bool(true) {
            "staged"
        } else {
            "not staged"
        };
        println!(
            "update:       {} {} ({}, {staged}): {}",
            update["device_name"].as_str().unwrap_or("-"),
            update["version"].as_str().unwrap_or("-"),
            update["release_id"].as_str().unwrap_or("-"),
            update["waiting_reason"].as_str().unwrap_or("-")
        );
    }
    Ok(())
}

/// Prints a value as pretty JSON followed by a newline.
pub fn print_json(value: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(FAILED, format!("encoding JSON failed: {e}")))?;
    println!("{text}");
    Ok(())
}

fn parse(text: &str) -> Result<serde_json::Value, Failure> {
    serde_json::from_str(text)
        .map_err(|e| Failure::new(FAILED, format!("the daemon sent invalid JSON: {e}")))
}

async fn offered_updates(manager: &ManagerProxy<'_>) -> Result<Vec<serde_json::Value>, Failure> {
    let document = parse(&manager.get_updates().await.map_err(from_dbus)?)?;
    let updates = document["updates"].as_array().cloned().unwrap_or_default();
    Ok(updates
        .into_iter()
        .filter(|u| u["held_back_reason"].is_null())
        .collect())
}

fn window_line(open: &serde_json::Value, next: &serde_json::Value) -> String {
    let field =
        |value: &serde_json::Value, key: &str| value[key].as_str().unwrap_or("-").to_string();
    if open.is_object() {
        return format!(
            "{} is open until {}",
            field(open, "name"),
            field(open, "closes")
        );
    }
    if next.is_object() {
        return format!(
            "next: {} opens at {}",
            field(next, "name"),
            field(next, "opens")
        );
    }
    "no maintenance windows are configured, so nothing is applied automatically".to_string()
}
