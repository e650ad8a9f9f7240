//! The catalog under test, its publication, and two remotes that refresh it: a local
//! folder and the same folder served by a loopback HTTP server.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use hwupd::catalog::document::{Catalog, Devices, InstallMethod, Payload, Release};
use hwupd::catalog::document::{Ring, Rollout, Severity, VersionFormat};
use hwupd::catalog::minisign::{SecretKey, SignOptions};
use hwupd::remote::{refresh, FetchConfig, Fetcher, RefreshOutcome, RemoteConfig, RemoteStore};
use hwupd_tests::http::HttpServer;
use jiff::{SignedDuration, Timestamp};
use tempfile::TempDir;

use super::Samples;

/// Digest of the 4 KiB payload that every release names. The payload itself is not read.
const PAYLOAD_SHA256: &str = "2cdcd99b4a5a782906099bb55465f37eab0cdc50050b5e1f00a5d71aabe5bc67";

/// Remote to refresh: the local folder or the loopback HTTP server.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Local,
    Http,
}

/// One remote with its own state folder.
struct Remote {
    config: RemoteConfig,
    store: RemoteStore,
}

/// Everything a run needs: the catalog, its key, the served folder and both remotes.
pub struct Bench {
    catalog: Catalog,
    key: SecretKey,
    dir: TempDir,
    local: Remote,
    http: Remote,
    fetcher: Fetcher,
    runtime: tokio::runtime::Runtime,
    // Declared last, so that it stops after the remotes that use it are gone.
    server: HttpServer,
}

impl Bench {
    /// Generates a catalog of `releases` releases and sets up both remotes.
    pub fn new(releases: usize) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let served = dir.path().join("served");
        std::fs::create_dir(&served)?;
        let server = HttpServer::start(&served);
        let key = SecretKey::generate();
        let local = remote(dir.path(), "local", &served.display().to_string(), &key)?;
        let http = remote(dir.path(), "http", &server.url("catalog.json"), &key)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;

        Ok(Self {
            catalog: generate(releases),
            key,
            local,
            http,
            fetcher: Fetcher::new(&FetchConfig::default())?,
            runtime,
            dir,
            server,
        })
    }

    pub fn catalog_path(&self) -> PathBuf {
        self.dir.path().join("served/catalog.json")
    }

    pub fn signature_path(&self) -> PathBuf {
        self.dir.path().join("served/catalog.json.minisig")
    }

    pub fn catalog_url(&self) -> String {
        self.server.url("catalog.json")
    }

    pub fn public_key(&self) -> hwupd::catalog::minisign::PublicKey {
        self.key.public_key()
    }

    pub fn scratch_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Publishes the catalog with the next serial and returns its size in bytes.
    pub fn publish(&mut self) -> Result<usize> {
        self.catalog.serial += 1;
        let bytes = self.catalog.to_json().into_bytes();
        let options = SignOptions::for_file("catalog.json", Timestamp::now());
        let signature = self.key.sign(&bytes, &options)?;
        std::fs::write(self.catalog_path(), &bytes)?;
        std::fs::write(self.signature_path(), signature.to_file_text())?;

        // The server's ETag is the size and the modification time in seconds, and the
        // size rarely changes, so each serial gets its own second.
        let modified = UNIX_EPOCH + Duration::from_secs(1_750_000_000 + self.catalog.serial);
        File::options()
            .write(true)
            .open(self.catalog_path())?
            .set_modified(modified)?;
        Ok(bytes.len())
    }

    /// Refreshes one remote and checks that it accepted the published catalog.
    pub fn refresh(&self, kind: Kind) -> Result<()> {
        let remote = match kind {
            Kind::Local => &self.local,
            Kind::Http => &self.http,
        };
        let mut progress = |_, _: &str| {};
        let refreshed = refresh(
            &remote.config,
            &remote.store,
            &self.fetcher,
            Timestamp::now(),
            &mut progress,
        );
        let outcome = self.runtime.block_on(refreshed)?;
        if !matches!(outcome, RefreshOutcome::Accepted { .. }) {
            bail!("expected the new catalog to be accepted, got {outcome:?}");
        }
        Ok(())
    }

    /// Refreshes one remote once untimed, so that an accepted catalog is in place as in
    /// a running daemon, then `runs` times, each after publishing a new serial.
    pub fn time_refreshes(&mut self, kind: Kind, runs: usize) -> Result<Samples> {
        self.publish()?;
        self.refresh(kind).context("first refresh")?;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            self.publish()?;
            let start = Instant::now();
            self.refresh(kind)?;
            times.push(start.elapsed());
        }
        Ok(Samples(times))
    }
}

/// Writes `remotes.d/bench.toml` for `url` under `dir/name` and opens its store there.
fn remote(dir: &Path, name: &str, url: &str, key: &SecretKey) -> Result<Remote> {
    let folder = dir.join(name);
    let public_key = key.public_key().to_base64();
    let text = format!("url = {url:?}\npublic_keys = [{public_key:?}]\n");
    let path = folder.join("remotes.d/bench.toml");
    let config = RemoteConfig::parse(&path, &text)?;
    Ok(Remote {
        config,
        store: RemoteStore::new(&folder.join("state")),
    })
}

/// Returns a catalog for remote `bench`, valid from a minute ago for 30 days.
fn generate(releases: usize) -> Catalog {
    let now = Timestamp::now();
    let issued = now - SignedDuration::from_mins(1);
    let expires = now + SignedDuration::from_hours(30 * 24);
    let mut catalog = Catalog::new("bench", issued, expires);
    catalog.serial = 0;
    catalog.releases = (0..releases).map(release).collect();
    catalog
}

/// Returns release `index`, as `tests/bench/run.sh` writes it from one template.
fn release(index: usize) -> Release {
    let vendor = 0xBE00 + index / 0x10000;
    let device = index % 0x10000;
    Release {
        id: format!("bench-{index}"),
        name: "Bench device firmware".to_owned(),
        summary: "Synthetic release".to_owned(),
        description: None,
        vendor: None,
        devices: Devices {
            guids: Vec::new(),
            instance_ids: vec![format!("PCI\\VEN_{vendor:04X}&DEV_{device:04X}")],
        },
        hardware_ids: Vec::new(),
        version: "1.0.1".to_owned(),
        version_format: VersionFormat::Triplet,
        replaces: None,
        lowest_supported_version: None,
        severity: Severity::Low,
        cves: Vec::new(),
        known_exploited: false,
        release_date: jiff::civil::date(2026, 12, 4),
        install_method: InstallMethod::Emulated,
        payload: Payload {
            path: "payload.bin".to_owned(),
            sha256: PAYLOAD_SHA256.to_owned(),
            size: 4096,
            url: None,
        },
        reboot_required: false,
        rollout: Rollout {
            ring: Ring::Broad,
            percentage: 100,
        },
    }
}
