//! The hwupd daemon binary: a thin shim over the library.

use std::process::ExitCode;

use clap::Parser;
use hwupd::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hwupd: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings()?;
    match cli.command {
        Some(Command::Inventory { json }) => hwupd::cli::print_inventory(&settings, json),
        None => {
            hwupd::logging::init();
            hwupd::memory::configure_allocator();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(hwupd::dbus::service::run(settings))
        }
    }
}
