//! The daemon's view of the machine: the inventory plus configured emulated devices.

use std::path::Path;

use crate::backends::{emulated, Context};
use crate::config::Config;
use crate::inventory::{self, Inventory, ScanError};
use crate::root::Root;

/// Builds the install-method context for this daemon's root, state and config.
pub fn backend_context(root: &Root, state_dir: &Path, config: &Config) -> Context {
    Context::new(
        root.clone(),
        state_dir,
        config.backends.clone(),
        config.emulated.clone(),
    )
}

/// Scans the hardware and appends the emulated devices the config declares.
pub fn scan(root: &Root, state_dir: &Path, config: &Config) -> Result<Inventory, ScanError> {
    let mut inventory = inventory::scan(root)?;
    let context = backend_context(root, state_dir, config);
    inventory.devices.extend(emulated::devices(&context));
    Ok(inventory)
}
