//! A fixture machine with a real history, staging store and local catalog folder.

use std::fs;
use std::path::{Path, PathBuf};

use hwupd::backends::{emulated, Context};
use hwupd::catalog::document::{InstallMethod, Release, VersionFormat};
use hwupd::config::Config;
use hwupd::device::Device;
use hwupd::engine::{self, ApplyError, ApplyResult, RecoveryReport};
use hwupd::history::{Filter, History, Record, UpdateState};
use hwupd::root::Root;
use hwupd::staging::{CatalogBase, StageRequest, StagingStore};
use sha2::{Digest, Sha256};

use crate::support::{release, Machine};

pub const REMOTE: &str = "vendor";
pub const EMULATED_GUID: &str = "2fa8891f-3ece-53a4-adc4-0dd875685f30";

/// A machine, its config text and the stores of its state folder.
pub struct Rig {
    pub machine: Machine,
    pub config_text: String,
    pub ctx: Context,
    pub history: History,
    pub staging: StagingStore,
}

impl Rig {
    /// Builds a rig over `machine` with `config_text` as `hwupd.toml`.
    pub fn new(machine: Machine, config_text: &str) -> Self {
        let ctx = context(&machine.root, &machine.state_dir, config_text);
        let history = History::open_in(&machine.state_dir).unwrap();
        let staging = StagingStore::open(&machine.state_dir).unwrap();
        Self {
            machine,
            config_text: config_text.to_string(),
            ctx,
            history,
            staging,
        }
    }

    /// The laptop fixture with one emulated device at 1.2.3 that fails with `failure`.
    pub fn emulated(failure: &str) -> Self {
        Self::new(Machine::copy_of("laptop"), &emulated_config(failure))
    }

    pub fn catalog_folder(&self) -> PathBuf {
        self.machine.temp.path().join("catalog")
    }

    /// Writes `bytes` as the release's payload in the catalog folder, sets its hash and
    /// size, and stages it for `device` through the staging store.
    pub fn stage(&self, release: &mut Release, device: &Device, bytes: &[u8]) {
        let folder = self.catalog_folder();
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join(&release.payload.path), bytes).unwrap();
        release.payload.sha256 = format!("{:x}", Sha256::digest(bytes));
        release.payload.size = bytes.len() as u64;

        let request = StageRequest::new(REMOTE, &device.id, release, CatalogBase::Folder(folder));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = reqwest::Client::new();
        runtime
            .block_on(self.staging.stage(&client, request, &mut |_, _| {}))
            .unwrap();
    }

    pub fn apply(&mut self, device: &Device, release: &Release) -> Result<ApplyResult, ApplyError> {
        engine::apply_one(
            &self.ctx,
            &mut self.history,
            &self.staging,
            device,
            release,
            REMOTE,
        )
    }

    pub fn recover(&mut self) -> RecoveryReport {
        engine::recover(&self.ctx, &mut self.history)
    }

    /// Returns the states recorded for an update, in order.
    pub fn states(&self, device: &Device, release: &Release) -> Vec<UpdateState> {
        self.records(device, release)
            .iter()
            .map(|record| record.transition.state)
            .collect()
    }

    pub fn records(&self, device: &Device, release: &Release) -> Vec<Record> {
        let filter = Filter {
            device_id: Some(device.id.clone()),
            release_id: Some(release.id.clone()),
            ..Filter::default()
        };
        self.history.list(&filter).unwrap()
    }

    /// Returns the emulated device as a fresh read of its state file shows it.
    pub fn emulated_device(&self) -> Device {
        emulated::devices(&self.ctx).remove(0)
    }

    /// Returns the attempt records left in `state_dir/pending`.
    pub fn pending_files(&self) -> Vec<PathBuf> {
        let folder = self.machine.state_dir.join(engine::PENDING_DIR);
        match fs::read_dir(folder) {
            Ok(entries) => entries.map(|entry| entry.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Builds the backend context that the daemon builds from `config_text`.
pub fn context(root: &Root, state_dir: &Path, config_text: &str) -> Context {
    let config = Config::parse(config_text).unwrap();
    hwupd::machine::backend_context(root, state_dir, &config)
}

pub fn emulated_config(failure: &str) -> String {
    format!(
        "[[emulated.devices]]\nid = \"demo-ssd\"\nname = \"Demo SSD\"\nversion = \"1.2.3\"\n\
         version_format = \"triplet\"\nguid = \"{EMULATED_GUID}\"\nfailure = \"{failure}\"\n"
    )
}

pub fn emulated_release(version: &str) -> Release {
    release(InstallMethod::Emulated, version, VersionFormat::Triplet)
}
