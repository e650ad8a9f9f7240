//! hwupctl: the command-line client of the hwupd daemon.

mod base_time;
mod calendar_cmd;
mod catalog_cmd;
mod daemon_cmd;
mod device_id;
mod failure;
mod history_cmd;
mod job;
mod policy_cmd;
mod proxy;
mod relative_time;
mod update_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use failure::Failure;
use policy_cmd::ListCommand;

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
    ///
    /// The ID column shows the first 12 characters of each device id. Commands that
    /// take a device id (`rollback`, `history --device`) accept any unique prefix of
    /// at least 4 characters, and --json prints the full ids.
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
    /// Download the signed catalogs of every enabled remote (or one), verify
    /// them and keep the last good ones.
    Refresh {
        /// Only this remote id.
        #[arg(default_value = "")]
        remote: String,
        /// Print every remote's outcome as JSON, also when some failed:
        /// {"remotes": [{"remote", "outcome", "serial" or "error_kind" and "error"}]}.
        #[arg(long)]
        json: bool,
    },
    /// Show each remote's catalog serial, expiry, last refresh and last error.
    Remotes {
        /// Print JSON: {"remotes": [...], "errors": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// List the updates the catalogs offer, with severity, CVEs, known
    /// exploitation, release date, and why each is held back or waiting.
    Updates {
        /// Print JSON: {"updates": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Download and verify a release's payload ahead of the maintenance window.
    Stage {
        /// Release id, as `hwupctl updates` shows it.
        release: String,
        /// Print the job's result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a release's staged payload.
    Unstage {
        /// Release id.
        release: String,
    },
    /// Apply a staged release. Inside a maintenance window unless --now.
    Apply {
        /// Release id.
        release: String,
        /// Apply outside the maintenance window (blocks and power conditions
        /// still apply). Needs --yes and the org.hwupd.apply authorization.
        #[arg(long)]
        now: bool,
        /// Confirm --now.
        #[arg(long)]
        yes: bool,
        /// Print the job's result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Roll a device back to the version it ran before its latest update.
    ///
    /// The daemon undoes the device's latest update through its install method,
    /// scans the device again and records `rolled-back` in the history with the
    /// versions before and after. What each install method can undo:
    ///
    ///   kmod          puts the previous module file back, runs depmod and reloads
    ///                 the module. A module in use switches at the next boot.
    ///   emulated      restores the version from before the last apply.
    ///   uefi-capsule  withdraws a capsule that waits for the next boot. Firmware
    ///                 that is installed already cannot be rolled back.
    ///   thunderbolt   cannot roll back. Install an older release instead.
    ///
    /// hwupd keeps one previous version, so a second rollback fails and changes
    /// nothing, and it never applies a rolled-back release again. A rollback
    /// replaces running firmware or drivers, so it needs --yes and the
    /// org.hwupd.apply authorization, and it never runs beside an apply.
    ///
    /// Exit codes: 0 rolled back, 1 nothing to roll back or the rollback failed,
    /// 2 --yes missing or DEVICE_ID a prefix of several ids, 3 daemon or bus
    /// unreachable, 4 not authorized, 6 no device has DEVICE_ID.
    ///
    /// Example: `hwupctl devices` lists the ids, then
    /// `hwupctl rollback DEVICE_ID --yes` rolls one back.
    #[command(verbatim_doc_comment)]
    Rollback {
        /// Device id, or a unique prefix of at least 4 characters, such as the
        /// one that `hwupctl devices` shows.
        #[arg(value_name = "DEVICE_ID")]
        device: String,
        /// Confirm the rollback. Without it, hwupctl changes nothing.
        #[arg(long)]
        yes: bool,
        /// Print the job's result as JSON: {"attempt_id", "outcome", "release_id",
        /// "install_method", "version_before", "version_after", "pending_reboot",
        /// "reason"}.
        #[arg(long)]
        json: bool,
    },
    /// Show the update history: every transition of every update, oldest first.
    History {
        /// Only this device: its id, or a unique prefix of at least 4 characters
        /// (see `hwupctl devices`).
        #[arg(long, value_name = "ID", default_value = "")]
        device: String,
        /// Show the latest N records; 0 shows up to 10,000.
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: u32,
        /// Print JSON: {"history": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Report per device state, missing updates by severity, the oldest missing
    /// critical update and recent deployment outcomes.
    Report {
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: history_cmd::ReportFormat,
        /// Print JSON, the same as --format json.
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
    /// Show the maintenance windows and their next openings.
    Windows {
        /// How many openings to list, 1 to 1000.
        #[arg(long, value_name = "N", default_value_t = 5,
              value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
        /// Print JSON: {"windows", "open", "next"}.
        #[arg(long)]
        json: bool,
    },
    /// Show the update policy, the approved and blocked lists, postponements and power.
    Policy {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve a release (by release id or payload SHA-256) that policy holds for approval.
    Approve {
        /// Release id or payload SHA-256.
        entry: String,
        /// Withdraw the approval instead.
        #[arg(long)]
        revoke: bool,
    },
    /// Block a release (by release id or payload SHA-256); a block wins over an approval.
    Block {
        /// Release id or payload SHA-256.
        entry: String,
        /// Remove the block instead.
        #[arg(long)]
        remove: bool,
    },
    /// Postpone every apply until a time, with a reason.
    Inhibit {
        /// Reason for the postponement, shown in status.
        #[arg(long, default_value = "postponed by an administrator")]
        reason: String,
        /// Until when: `YYYY-MM-DD HH:MM[:SS]`, `@SECONDS`, `+2h`, `tomorrow`, ...
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Remove every postponement.
        #[arg(long, conflicts_with = "until")]
        clear: bool,
        /// Print the postponements in force as JSON: {"inhibits": [{"reason", "until",
        /// "created"}]}.
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
            Command::Refresh { remote, json } => update_cmd::refresh(&remote, json).await,
            Command::Remotes { json } => update_cmd::remotes(json).await,
            Command::Updates { json } => update_cmd::updates(json).await,
            Command::Stage { release, json } => update_cmd::stage(&release, json).await,
            Command::Unstage { release } => update_cmd::unstage(&release).await,
            Command::Apply {
                release,
                now,
                yes,
                json,
            } => update_cmd::apply(&release, now, yes, json).await,
            Command::Rollback { device, yes, json } => {
                update_cmd::rollback(&device, yes, json).await
            }
            Command::History {
                device,
                limit,
                json,
            } => policy_cmd::history(&device, limit, json).await,
            Command::Report { format, json } => {
                let format = if json {
                    history_cmd::ReportFormat::Json
                } else {
                    format
                };
                policy_cmd::report(format).await
            }
            Command::Windows { count, json } => policy_cmd::windows(count, json).await,
            Command::Policy { json } => policy_cmd::policy(json).await,
            Command::Approve { entry, revoke } => {
                let change = if revoke {
                    ListCommand::RevokeApproval
                } else {
                    ListCommand::Approve
                };
                policy_cmd::change_list(change, &entry).await
            }
            Command::Block { entry, remove } => {
                let change = if remove {
                    ListCommand::Unblock
                } else {
                    ListCommand::Block
                };
                policy_cmd::change_list(change, &entry).await
            }
            Command::Inhibit {
                reason,
                until,
                clear,
                json,
            } => policy_cmd::inhibit(&reason, until.as_deref(), clear, json).await,
            Command::Catalog(_) | Command::Calendar(_) => {
                unreachable!("local commands run before the runtime starts")
            }
        }
    })
}
