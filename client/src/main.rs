//! hwupctl: the command-line client of the hwupd daemon.

mod catalog_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Control hwupd, the firmware and driver update daemon, and author its catalogs.
#[derive(Debug, Parser)]
#[command(name = "hwupctl", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create signing keys, write and sign update catalogs, and verify their signatures.
    #[command(subcommand)]
    Catalog(catalog_cmd::CatalogCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Catalog(command) => catalog_cmd::run(command),
    };

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hwupctl: {error:#}");
            ExitCode::from(catalog_cmd::exit_code(&error))
        }
    }
}
