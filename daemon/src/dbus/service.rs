//! Starting the D-Bus service: serve the objects, then take the bus name.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use zbus::connection::Builder;
use zbus::fdo::{ObjectManager, RequestNameFlags, RequestNameReply};

use super::manager::{add_device_object, DaemonState, Manager};
use super::names::{BUS_NAME, MANAGER_PATH, ROOT_PATH};
use super::shutdown::Signals;
use crate::cli::Settings;
use crate::fsutil::create_private_dir;
use crate::history::History;
use crate::machine;
use crate::policy::PolicyStore;
use crate::state_lock::StateLock;

/// Runs the daemon until SIGTERM or SIGINT, then until a running apply or rollback has
/// recorded its outcome.
pub async fn run(settings: Settings) -> Result<()> {
    let mut signals = Signals::install()?;
    let Settings {
        root,
        config,
        config_path,
        state_dir,
    } = settings;
    create_private_dir(&state_dir).with_context(|| {
        format!(
            "creating the state folder {} failed; pass a writable folder with --state-dir",
            state_dir.display()
        )
    })?;
    // Nothing reads or writes state before this, so a second hwupd leaves it untouched.
    let _lock = StateLock::acquire(&state_dir)?;
    let (scan_root, scan_state, scan_config) = (root.clone(), state_dir.clone(), config.clone());
    let inventory =
        tokio::task::spawn_blocking(move || machine::scan(&scan_root, &scan_state, &scan_config))
            .await
            .context("inventory scan stopped")??;
    tracing::info!(devices = inventory.devices.len(), root = %root.base().display(), "inventory scanned");

    let mut history = History::open_in(&state_dir)
        .with_context(|| format!("opening the history in {} failed", state_dir.display()))?;

    // Finish what a crash or a reboot interrupted before anything new starts.
    let context = machine::backend_context(&root, &state_dir, &config);
    let (history, report) = tokio::task::spawn_blocking(move || {
        let report = crate::engine::recover(&context, &mut history);
        (history, report)
    })
    .await
    .context("recovering interrupted updates stopped")?;
    log_recovery(&report);
    let policy = PolicyStore::open(&state_dir)
        .with_context(|| format!("reading the policy state in {} failed", state_dir.display()))?;
    let catalogs = super::catalogs::CatalogState::open(&config_path, &state_dir)?;
    // Updates that the recovery verified, or that an older hwupd applied, need no payload.
    super::staged::remove_applied(&catalogs.staging, &history);
    let state = Arc::new(Mutex::new(DaemonState {
        history,
        policy,
        catalogs,
        applying: None,
        root,
        config,
        config_path,
        state_dir,
        inventory: inventory.clone(),
        activities: Default::default(),
        metrics_failures: Default::default(),
    }));
    super::reports::check_metrics_folder(&mut super::manager::lock(&state));
    let connection = connect(Manager {
        state: state.clone(),
    })
    .await?;
    for device in &inventory.devices {
        add_device_object(connection.object_server(), device).await?;
    }

    // The name is taken last, so a client that sees it finds every object.
    request_name(&connection).await?;
    tracing::info!(name = BUS_NAME, "service started");
    // Node_exporter reads the metrics file at any time, so it exists from the start.
    super::reports::write_metrics(&mut super::manager::lock(&state));
    crate::memory::release_idle_memory();
    let schedule = tokio::spawn(super::schedule::run(
        connection.object_server().clone(),
        state.clone(),
    ));
    let signal = signals.wait_for_stop().await;
    tracing::info!(signal, "service stopping");
    super::shutdown::stop(&connection, schedule, &state, &mut signals).await;
    Ok(())
}

fn log_recovery(report: &crate::engine::RecoveryReport) {
    for attempt in &report.succeeded {
        tracing::info!(attempt, "update verified after restart");
    }
    for (attempt, reason) in &report.failed {
        tracing::warn!(attempt, %reason, "update failed verification after restart");
    }
    for attempt in &report.interrupted {
        tracing::warn!(
            attempt,
            "update was interrupted by a stop and is recorded as failed"
        );
    }
    for error in &report.errors {
        tracing::error!(%error, "recovering an update failed");
    }
    if !report.pending.is_empty() {
        tracing::info!(count = report.pending.len(), "updates wait for a reboot");
    }
}

async fn connect(manager: Manager) -> Result<zbus::Connection> {
    let address = std::env::var("DBUS_SYSTEM_BUS_ADDRESS")
        .unwrap_or_else(|_| "unix:path=/run/dbus/system_bus_socket".to_string());
    Builder::system()?
        .serve_at(ROOT_PATH, ObjectManager)?
        .serve_at(MANAGER_PATH, manager)?
        .build()
        .await
        .with_context(|| {
            format!("connecting to the system bus at {address} failed; start dbus or set DBUS_SYSTEM_BUS_ADDRESS")
        })
}

async fn request_name(connection: &zbus::Connection) -> Result<()> {
    let flags = RequestNameFlags::DoNotQueue.into();
    match connection.request_name_with_flags(BUS_NAME, flags).await {
        Ok(RequestNameReply::PrimaryOwner | RequestNameReply::AlreadyOwner) => Ok(()),
        Ok(_) | Err(zbus::Error::NameTaken) => {
            anyhow::bail!("another process already owns {BUS_NAME}; stop the other hwupd first")
        }
        Err(error) => Err(error).with_context(|| {
            format!("taking the bus name {BUS_NAME} failed; only root may own it under the installed D-Bus policy")
        }),
    }
}
