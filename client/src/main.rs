//! hwupctl: the command-line client of the hwupd daemon.

mod base_time;
mod calendar_cmd;
mod catalog_cmd;
mod daemon_cmd;
mod failure;
#[allow(dead_code)]
mod history_cmd;
mod proxy;
mod relative_time;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use failure::Failure;

/// Control hwupd, the firmware and driver update daemon.
///
/// hwupctl talks to org.hwupd.Hwupd1 on the system bus, or on the bus that
/// DBUS_SYSTEM_BUS_ADDRESS names.
///
/// Exit codes: 0 success, 1 failure, 2 invalid command line, 3 daemon or bus
/// unreachable, 4 not authorized, 5 signature or checksum not verified,
/// 6 not found.
#[derive(Debug, Parser)]
#[command(name = "hwupctl", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the devices the daemon tracks with their firmware and driver versions.
    Devices {
        /// Print JSON: {"kernel_release", "hardware_ids", "devices": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Show the daemon's version and what it is doing.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create signing keys, write and sign update catalogs, and verify their
    /// signatures. Works without the daemon.
    #[command(subcommand)]
    Catalog(catalog_cmd::CatalogCommand),
    /// Normalize a maintenance window expression and list its next elapses.
    /// Works without the daemon, like `systemd-analyze calendar`.
    Calendar(calendar_cmd::CalendarArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();

    // Local commands work on files and text alone, with no bus or runtime.
    let result = match cli.command {
        Command::Catalog(command) => catalog_cmd::run(command).map_err(|e| {
            let code = catalog_cmd::exit_code(&e);
            Failure::new(code, format!("{e:#}"))
        }),
        Command::Calendar(args) => {
            calendar_cmd::run(args).map_err(|e| Failure::new(failure::FAILED, format!("{e:#}")))
        }
        command => run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("hwupctl: {failure}");
            failure.exit_code()
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                failure::FAILED,
                format!("starting the async runtime failed: {e}"),
            )
        })?;
    runtime.block_on(async {
        match command {
            Command::Devices { json } => daemon_cmd::devices(json).await,
            Command::Status { json } => daemon_cmd::status(json).await,
            Command::Catalog(_) | Command::Calendar(_) => {
                unreachable!("local commands run before the runtime starts")
            }
        }
    })
}
