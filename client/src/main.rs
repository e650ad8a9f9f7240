//! hwupctl: the command-line client of the hwupd firmware and driver update daemon.

mod base_time;
mod calendar_cmd;
mod relative_time;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Control the hwupd firmware and driver update daemon.
#[derive(Debug, Parser)]
#[command(name = "hwupctl", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Normalize a maintenance window expression and list its next elapses
    /// (works without the daemon, like `systemd-analyze calendar`).
    Calendar(calendar_cmd::CalendarArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Calendar(args) => calendar_cmd::run(args),
    };

    // One line per error, with its causes joined by ": ".
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hwupctl: {error:#}");
            ExitCode::FAILURE
        }
    }
}
