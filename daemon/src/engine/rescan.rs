//! Reading the devices again after an apply or a restart.

use crate::backends::Context;
use crate::config::Config;
use crate::device::Device;
use crate::machine;

/// Scans the machine, emulated devices included, with the backends' settings.
pub fn scan_devices(ctx: &Context) -> Result<Vec<Device>, String> {
    let config = Config {
        backends: ctx.config.clone(),
        emulated: ctx.emulated.clone(),
        ..Config::default()
    };
    let inventory = machine::scan(&ctx.root, &ctx.state_dir, &config)
        .map_err(|e| format!("scanning the devices again failed: {e}"))?;
    Ok(inventory.devices)
}

/// Scans the machine and returns the device with `id`.
pub fn find_device(ctx: &Context, id: &str) -> Result<Option<Device>, String> {
    let devices = scan_devices(ctx)?;
    Ok(devices.into_iter().find(|device| device.id == id))
}
