//! Command line of the `hwupd` binary.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::config::{Config, DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR};
use crate::inventory;
use crate::root::Root;

/// hwupd keeps the firmware and drivers of this machine patched.
///
/// With no command, hwupd runs the D-Bus service org.hwupd.Hwupd1 on the
/// system bus (or the bus that DBUS_SYSTEM_BUS_ADDRESS names). hwupctl is its
/// client.
#[derive(Debug, Parser)]
#[command(name = "hwupd", version, max_term_width = 100)]
pub struct Cli {
    /// Folder that /sys, /proc, /dev and the EFI system partition are read
    /// under; fixture trees in tests use it. Overrides `root` in the config.
    #[arg(long, value_name = "DIR", global = true)]
    pub root: Option<PathBuf>,

    /// Configuration file. Remotes are read from remotes.d/ beside it.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// Folder for the history database, accepted catalogs and staged
    /// payloads. Overrides `state_dir` in the config [default: /var/lib/hwupd]
    #[arg(long, value_name = "DIR", global = true)]
    pub state_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan this machine once and print its firmware and driver versions,
    /// without D-Bus.
    Inventory {
        /// Print JSON: {"kernel_release", "hardware_ids", "devices": [...]}.
        #[arg(long)]
        json: bool,
    },
}

/// Settings after the command line and the config file are merged.
pub struct Settings {
    pub root: Root,
    pub config: Config,
    /// The config file; remotes are read from `remotes.d/` beside it.
    pub config_path: PathBuf,
    pub state_dir: PathBuf,
}

impl Cli {
    /// Merges the command line over the config file.
    pub fn settings(&self) -> Result<Settings> {
        let explicit = self.config.is_some();
        let path = self
            .config
            .clone()
            .unwrap_or_else(|| DEFAULT_CONFIG_PATH.into());
        let config = Config::load(&path, explicit)?;
        let root = self
            .root
            .clone()
            .or_else(|| config.root.clone())
            .unwrap_or_else(|| "/".into());
        if !root.is_dir() {
            anyhow::bail!(
                "root folder {} does not exist; pass an existing folder with --root",
                root.display()
            );
        }
        let state_dir = self
            .state_dir
            .clone()
            .or_else(|| config.state_dir.clone())
            .unwrap_or_else(|| DEFAULT_STATE_DIR.into());
        Ok(Settings {
            root: Root::new(root),
            config,
            config_path: path,
            state_dir,
        })
    }
}

/// Runs `hwupd inventory`.
pub fn print_inventory(settings: &Settings, json: bool) -> Result<()> {
    let inventory = inventory::scan(&settings.root)?;
    if json {
        let text =
            serde_json::to_string_pretty(&inventory).context("encoding the inventory as JSON")?;
        println!("{text}");
    } else {
        print!("{}", crate::output::inventory_table(&inventory));
    }
    Ok(())
}
