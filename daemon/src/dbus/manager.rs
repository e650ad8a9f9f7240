//! The manager object: daemon status and the device list.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use zbus::interface;
use zbus::message::Header;
use zbus::zvariant::OwnedObjectPath;

use super::error::expect_no_arguments;
use zbus::object_server::ObjectServer;

use super::activity::{self, Activities, RunningUpdate};
use super::authz::{actions, authorize};
use super::device_object::DeviceObject;
use super::error::{Error, Result};
use super::names::device_path;
use super::policy::ListChange;
use super::wire::DeviceDict;
use crate::config::Config;
use crate::device::Device;
use crate::history::History;
use crate::inventory::Inventory;
use crate::policy::PolicyStore;
use crate::report::AvailableUpdate;
use crate::root::Root;

/// State shared by the daemon's D-Bus objects.
pub struct DaemonState {
    pub root: Root,
    pub config: Config,
    /// The config file; remotes are read from `remotes.d/` beside it.
    pub config_path: PathBuf,
    pub state_dir: PathBuf,
    pub inventory: Inventory,
    pub history: History,
    pub policy: PolicyStore,
    pub catalogs: super::catalogs::CatalogState,
    /// The apply or rollback job that runs now, if any. No two of them overlap.
    pub applying: Option<RunningUpdate>,
    /// The running jobs, which `Status` shows.
    pub activities: Activities,
    /// Failures to write the metrics file, logged once per run of failures.
    pub metrics_failures: super::reports::FailureLog,
}

impl DaemonState {
    /// Returns the updates the catalogs offer for this machine's devices.
    pub fn available_updates(&mut self) -> Vec<AvailableUpdate> {
        // An update held back only because its catalog expired is still missing.
        self.update_entries()
            .into_iter()
            .filter(|entry| entry.held_back_reason.is_none() || entry.catalog_expired)
            .map(|entry| AvailableUpdate {
                device_id: entry.device_id,
                release_id: entry.release_id,
                severity: entry.severity,
                known_exploited: entry.known_exploited,
                release_date: entry.released,
                version: entry.version,
            })
            .collect()
    }
}

pub type SharedState = Arc<Mutex<DaemonState>>;

/// Locks the shared state. A poisoned lock means a panic elsewhere; the data
/// is still usable, so the daemon keeps serving.
pub fn lock(state: &SharedState) -> std::sync::MutexGuard<'_, DaemonState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `org.hwupd.Hwupd1.Manager` interface.
pub struct Manager {
    pub state: SharedState,
}

#[interface(name = "org.hwupd.Hwupd1.Manager")]
impl Manager {
    #[zbus(property(emits_changed_signal = "const"))]
    fn daemon_version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    /// Current activity of the daemon: `idle`, or the running jobs joined by `, `:
    /// `scanning`, `refreshing`, `staging <release>`, `applying <release>` and
    /// `rolling-back <device>`.
    #[zbus(property)]
    fn status(&self) -> String {
        self.lock().activities.status()
    }

    #[zbus(property)]
    fn kernel_release(&self) -> String {
        self.lock()
            .inventory
            .kernel_release
            .clone()
            .unwrap_or_default()
    }

    /// Hardware IDs of the machine from SMBIOS, which catalogs use to restrict releases.
    #[zbus(property)]
    fn hardware_ids(&self) -> Vec<String> {
        self.lock().inventory.hardware_ids.clone()
    }

    /// Returns every device as a dictionary with the keys of `hwupd inventory --json`.
    fn get_devices(&self, #[zbus(header)] header: Header<'_>) -> Result<Vec<DeviceDict>> {
        expect_no_arguments(&header)?;
        Ok(self
            .lock()
            .inventory
            .devices
            .iter()
            .map(DeviceDict::from)
            .collect())
    }

    /// Returns `{"history": [...]}`: the latest `limit` records (0 for up to
    /// 10,000) of one device, or of all devices when `device_id` is empty.
    fn get_history(&self, device_id: String, limit: u32) -> Result<String> {
        super::reports::history_json(&self.lock(), &device_id, limit)
    }

    /// Returns the report as JSON: per device state, missing updates by
    /// severity, the oldest missing critical update, recent outcomes.
    fn get_report(&self) -> Result<String> {
        let report = super::reports::report(&mut self.lock())?;
        report
            .to_json()
            .map_err(|e| Error::Failed(format!("encoding the report failed: {e}")))
    }

    /// Returns `{"updates": [...]}`: offered and held-back releases per device,
    /// with whether each is staged and the policy's decision.
    fn get_updates(&self) -> String {
        super::catalogs::updates_json(&mut self.lock())
    }

    /// Returns `{"remotes": [...], "errors": [...]}`: each remote's serial,
    /// expiry, last refresh and last error, and invalid remote files.
    fn get_remotes(&self) -> String {
        super::catalogs::remotes_json(&self.lock())
    }

    /// Refreshes one remote's catalog, or every enabled remote when `remote_id`
    /// is empty. Returns the path of the job.
    async fn refresh(
        &self,
        remote_id: String,
        #[zbus(object_server)] server: &ObjectServer,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath> {
        authorize(connection, &header, actions::REFRESH).await?;
        super::operations::refresh(server, self.state.clone(), remote_id).await
    }

    /// Downloads and verifies a release's payload ahead of its window. Staging
    /// what is already staged returns at once. Returns the path of the job.
    async fn stage(
        &self,
        release_id: String,
        #[zbus(object_server)] server: &ObjectServer,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath> {
        authorize(connection, &header, actions::STAGE).await?;
        super::operations::stage(server, self.state.clone(), release_id).await
    }

    /// Deletes a release's staged payloads. Returns false when none was staged. Fails
    /// while a stage or apply job works on the release.
    async fn unstage(
        &self,
        release_id: String,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<bool> {
        authorize(connection, &header, actions::STAGE).await?;
        super::staged::unstage(&self.state, &release_id)
    }

    /// Applies a staged release. Inside a maintenance window unless `now` is
    /// true, which skips the window only (never blocks or power conditions).
    /// Returns the path of the job.
    async fn apply(
        &self,
        release_id: String,
        now: bool,
        #[zbus(object_server)] server: &ObjectServer,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath> {
        authorize(connection, &header, actions::APPLY).await?;
        super::operations::apply(server, self.state.clone(), release_id, now).await
    }

    /// Rolls a device back to the version from before its latest update, where the
    /// install method keeps it. Needs the same authorization as `Apply`, and never
    /// runs beside an apply. Returns the path of the job.
    async fn rollback(
        &self,
        device_id: String,
        #[zbus(object_server)] server: &ObjectServer,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath> {
        authorize(connection, &header, actions::APPLY).await?;
        super::rollback::rollback(server, self.state.clone(), device_id).await
    }

    /// Returns the configured windows, the one open now and the next `count`
    /// openings, as JSON.
    fn get_windows(&self, count: u32) -> Result<String> {
        super::policy::windows_json(&self.lock(), count, jiff::Timestamp::now())
    }

    /// Returns the policy config, the run-time lists and the power state, as JSON.
    fn get_policy(&self) -> String {
        super::policy::policy_json(&self.lock())
    }

    /// Approves a release id or payload SHA-256. Returns false when it already was.
    async fn approve(
        &self,
        entry: String,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<bool> {
        self.change_list(connection, &header, ListChange::Approve, &entry)
            .await
    }

    /// Withdraws an approval. Returns false when there was none.
    async fn revoke_approval(
        &self,
        entry: String,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<bool> {
        self.change_list(connection, &header, ListChange::RevokeApproval, &entry)
            .await
    }

    /// Blocks a release id or payload SHA-256; a block wins over an approval.
    async fn block(
        &self,
        entry: String,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<bool> {
        self.change_list(connection, &header, ListChange::Block, &entry)
            .await
    }

    /// Removes a block. Returns false when there was none.
    async fn unblock(
        &self,
        entry: String,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<bool> {
        self.change_list(connection, &header, ListChange::Unblock, &entry)
            .await
    }

    /// Postpones every apply until `until` (RFC 3339) with a reason, or clears
    /// all postponements when `until` is empty. Returns the active ones as JSON.
    async fn inhibit(
        &self,
        reason: String,
        until: String,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<String> {
        authorize(connection, &header, actions::CONFIGURE).await?;
        super::policy::inhibit(&mut self.lock(), &reason, &until)
    }

    /// Scans the hardware again, adding and removing device objects to match.
    async fn rescan(
        &self,
        #[zbus(object_server)] server: &ObjectServer,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<()> {
        expect_no_arguments(&header)?;
        let (root, state_dir, config) = {
            let state = self.lock();
            (
                state.root.clone(),
                state.state_dir.clone(),
                state.config.clone(),
            )
        };
        let activity = activity::begin(server, &self.state, "scanning".to_string()).await;
        let scanned =
            tokio::task::spawn_blocking(move || crate::machine::scan(&root, &state_dir, &config))
                .await;
        drop(activity);

        let inventory = scanned
            .map_err(|e| Error::Failed(format!("inventory scan stopped: {e}")))?
            .map_err(|e| Error::Failed(e.to_string()))?;
        let old = std::mem::replace(&mut self.lock().inventory, inventory.clone());
        sync_device_objects(server, &old.devices, &inventory.devices).await
    }
}

impl Manager {
    async fn change_list(
        &self,
        connection: &zbus::Connection,
        header: &Header<'_>,
        change: ListChange,
        entry: &str,
    ) -> Result<bool> {
        authorize(connection, header, actions::CONFIGURE).await?;
        super::policy::change_list(&mut self.lock(), change, entry)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DaemonState> {
        lock(&self.state)
    }
}

/// Adds, removes and updates device objects so they match `new`. The object
/// manager at the root sends `InterfacesAdded` and `InterfacesRemoved`.
pub async fn sync_device_objects(
    server: &ObjectServer,
    old: &[Device],
    new: &[Device],
) -> Result<()> {
    for gone in old.iter().filter(|d| !new.iter().any(|n| n.id == d.id)) {
        tracing::info!(device = %gone.id, name = %gone.name, "device removed");
        server
            .remove::<DeviceObject, _>(device_path(&gone.id))
            .await?;
    }
    for device in new {
        match old.iter().find(|d| d.id == device.id) {
            None => add_device_object(server, device).await?,
            Some(previous) if previous != device => update_device_object(server, device).await?,
            Some(_) => {}
        }
    }
    Ok(())
}

/// Serves a device object; the caller logs nothing for the initial scan.
pub async fn add_device_object(server: &ObjectServer, device: &Device) -> Result<()> {
    let object = DeviceObject {
        device: device.clone(),
    };
    server.at(device_path(&device.id), object).await?;
    Ok(())
}

async fn update_device_object(server: &ObjectServer, device: &Device) -> Result<()> {
    let iface = server
        .interface::<_, DeviceObject>(device_path(&device.id))
        .await?;
    let emitter = iface.signal_emitter();
    let version_changed = iface.get().await.device.version != device.version;
    iface.get_mut().await.device = device.clone();
    if version_changed {
        tracing::info!(device = %device.id, version = %device.version, "device version changed");
        iface.get().await.version_changed(emitter).await?;
    }
    Ok(())
}
