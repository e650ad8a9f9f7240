//! The daemon's catalogs: remotes, the accepted catalogs read for this
//! machine, the updates they offer and the policy's view of each.

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{json, Value};

use super::activity::RunningUpdate;
use super::error::{Error, Result};
use super::manager::DaemonState;
use crate::catalog::document::Release;
use crate::matching::{update_entries, MachineIds, Matcher, UpdateEntry};
use crate::policy::{Candidate, Environment, MachineId, Policy, PowerState};
use crate::remote::{self, Fetcher, MachineCatalog, RemoteList, RemoteStore};
use crate::staging::StagingStore;

/// Remotes, their store, and what was loaded from them.
pub struct CatalogState {
    pub remotes: RemoteList,
    pub store: Arc<RemoteStore>,
    /// Accepted catalogs filtered to this machine; None until first needed,
    /// so the daemon starts without parsing catalogs.
    pub loaded: Option<Vec<MachineCatalog>>,
    pub fetcher: Option<Fetcher>,
    pub staging: Arc<StagingStore>,
}

impl CatalogState {
    /// Reads the remote configs beside the config file and opens the stores.
    pub fn open(config_path: &Path, state_dir: &Path) -> anyhow::Result<Self> {
        let folder = crate::fsutil::parent_folder(config_path).join("remotes.d");
        let remotes = remote::load_remotes(&folder)?;
        for error in &remotes.errors {
            tracing::warn!(%error, "skipping an invalid remote config");
        }
        Ok(Self {
            remotes,
            store: Arc::new(RemoteStore::new(state_dir)),
            loaded: None,
            fetcher: None,
            staging: Arc::new(StagingStore::open(state_dir)?),
        })
    }
}

impl DaemonState {
    /// Returns the shared HTTP client, built on first use.
    pub fn fetcher(&mut self) -> Result<Fetcher> {
        if let Some(fetcher) = &self.catalogs.fetcher {
            return Ok(fetcher.clone());
        }
        let fetcher = Fetcher::new(&self.config.fetch)
            .map_err(|e| Error::Failed(format!("building the HTTP client failed: {e}")))?;
        self.catalogs.fetcher = Some(fetcher.clone());
        Ok(fetcher)
    }

    /// Loads the accepted catalogs for this machine, once.
    pub fn loaded_catalogs(&mut self) -> &[MachineCatalog] {
        if self.catalogs.loaded.is_none() {
            let machine = MachineIds::new(&self.inventory);
            let store = &self.catalogs.store;
            let loaded = self
                .catalogs
                .remotes
                .remotes
                .iter()
                .filter_map(|remote| remote::load_for_machine(store, remote, &machine))
                .collect();
            self.catalogs.loaded = Some(loaded);
            crate::memory::release_idle_memory();
        }
        self.catalogs.loaded.as_deref().unwrap_or_default()
    }

    /// Offered and held-back updates of every catalog, sorted by priority.
    pub fn update_entries(&mut self) -> Vec<UpdateEntry> {
        let devices = self.inventory.devices.clone();
        let hardware_ids = self.inventory.hardware_ids.clone();
        let mut entries = Vec::new();
        let now = Timestamp::now();
        for loaded in self.loaded_catalogs() {
            let matches = Matcher::new(&loaded.catalog, &hardware_ids).match_devices(&devices);
            let mut found = update_entries(&matches);
            if loaded.catalog.is_expired_at(now) {
                hold_back_expired(&mut found, &loaded.remote.id, loaded.catalog.expires);
            }
            entries.extend(found);
        }
        self.hold_back_applied_before(&mut entries);
        crate::matching::sort_entries(&mut entries);
        entries
    }

    /// Holds back each release that succeeded on its device before, which the device
    /// runs no longer after a rollback or a downgrade. The engine applies a release to
    /// a device only once, so offering it again would only fail at every window.
    fn hold_back_applied_before(&self, entries: &mut [UpdateEntry]) {
        for entry in entries.iter_mut().filter(|e| e.held_back_reason.is_none()) {
            match self
                .history
                .has_succeeded(&entry.device_id, &entry.release_id)
            {
                Ok(false) => {}
                Ok(true) => entry.held_back_reason = Some(APPLIED_BEFORE_REASON.to_string()),
                Err(error) => {
                    tracing::warn!(device = %entry.device_id, release = %entry.release_id,
                        %error, "reading the history failed, so the update is held back");
                    entry.held_back_reason = Some(format!("reading the history failed: {error}"));
                }
            }
        }
    }

    /// Finds a release by id in the loaded catalogs, with its remote.
    pub fn find_release(&mut self, release_id: &str) -> Option<(Release, remote::RemoteConfig)> {
        self.loaded_catalogs().iter().find_map(|loaded| {
            let release = loaded
                .catalog
                .releases
                .iter()
                .find(|r| r.id == release_id)?;
            Some((release.clone(), loaded.remote.clone()))
        })
    }

    /// Returns the policy with this machine's id and the run-time lists.
    pub fn policy(&self) -> Policy {
        Policy {
            config: self.config.policy.clone(),
            state: self.policy.state().clone(),
            machine_id: MachineId::read(&self.root).ok(),
        }
    }
}

/// Holds back the offered entries of a catalog that expired at `expires`. An expired
/// catalog may lack newer releases or withdrawals that its publisher signed since, so
/// nothing from it is staged or applied until a refresh brings a current one.
fn hold_back_expired(entries: &mut [UpdateEntry], remote_id: &str, expires: Timestamp) {
    for entry in entries.iter_mut() {
        entry.catalog_expired = true;
        if entry.held_back_reason.is_none() {
            entry.held_back_reason = Some(format!(
                "the catalog of remote {remote_id} expired at {expires}; run `hwupctl refresh`, \
                 because hwupd stages and applies nothing from an expired catalog"
            ));
        }
    }
}

/// Held-back reason of a release that succeeded on the device before.
pub const APPLIED_BEFORE_REASON: &str = "applied to this device before and since rolled back \
     or downgraded; hwupd applies a release to a device only once";

/// `waiting_reason` of an update that an apply job is applying now.
pub const APPLYING_REASON: &str = "being applied now";

/// Returns `{"updates": [...]}`, each entry with whether it is staged and the
/// policy's decision (`decision`, `waiting_reason`). An update that an apply job is
/// applying now has the decision `applying` in place of the policy's.
pub fn updates_json(state: &mut DaemonState) -> String {
    let entries = state.update_entries();
    let policy = state.policy();
    let power = PowerState::read(&state.root);
    let env = Environment {
        now: Timestamp::now(),
        windows: &state.config.window,
        power: &power,
        apply_now: false,
    };
    let staged = state.catalogs.staging.list();
    let updates: Vec<Value> = entries
        .iter()
        .map(|entry| {
            let is_staged = staged
                .iter()
                .any(|s| s.release_id == entry.release_id && s.device_id == entry.device_id);
            let mut value = serde_json::to_value(entry).unwrap_or(Value::Null);
            if state.is_applying(&entry.release_id, &entry.device_id) {
                value["decision"] = json!({ "decision": "applying" });
                value["waiting_reason"] = json!(APPLYING_REASON);
            } else if entry.held_back_reason.is_none() {
                let release = state.find_release_cached(&entry.release_id);
                if let Some(release) = release {
                    let candidate = Candidate {
                        release: &release,
                        device_id: &entry.device_id,
                        staged: is_staged,
                    };
                    let decision = policy.decide(&candidate, &env);
                    value["decision"] = serde_json::to_value(&decision).unwrap_or(Value::Null);
                    value["waiting_reason"] = json!(decision.describe(&env.windows.zone().clone()));
                }
            }
            value["staged"] = json!(is_staged);
            value
        })
        .collect();
    json!({ "updates": updates }).to_string()
}

impl DaemonState {
    /// Returns whether an apply job is applying `release_id` to `device_id` now.
    pub fn is_applying(&self, release_id: &str, device_id: &str) -> bool {
        let running = RunningUpdate::Apply {
            release_id: release_id.to_string(),
            device_id: device_id.to_string(),
        };
        self.applying.as_ref() == Some(&running)
    }

    fn find_release_cached(&self, release_id: &str) -> Option<Release> {
        self.catalogs.loaded.as_ref()?.iter().find_map(|loaded| {
            loaded
                .catalog
                .releases
                .iter()
                .find(|r| r.id == release_id)
                .cloned()
        })
    }
}

/// Returns `{"remotes": [status], "errors": [config errors]}`.
pub fn remotes_json(state: &DaemonState) -> String {
    let seed = MachineId::read(&state.root)
        .map(|id| id.as_str().as_bytes().to_vec())
        .unwrap_or_default();
    let statuses: Vec<_> = state
        .catalogs
        .remotes
        .remotes
        .iter()
        .map(|remote| remote::remote_status(&state.catalogs.store, remote, &seed))
        .collect();
    let errors: Vec<String> = state
        .catalogs
        .remotes
        .errors
        .iter()
        .map(|e| e.to_string())
        .collect();
    json!({ "remotes": statuses, "errors": errors }).to_string()
}
