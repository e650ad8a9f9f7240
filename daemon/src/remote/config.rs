//! Remote configs: one TOML file per remote in `remotes.d/`, read into [`RemoteConfig`].

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::config_error::{ConfigProblem, RemoteConfigError};
use super::download::catalog_url;
use super::keys::{self, KeyReader};
use super::local::catalog_file;
use crate::catalog::document::ValidateOptions;
use crate::catalog::minisign::PublicKey;
use crate::staging::CatalogBase;

/// Keys that a remote config file may contain.
pub const KNOWN_KEYS: &[&str] = &[
    "id",
    "url",
    "public_keys",
    "refresh_interval",
    "random_delay",
    "enabled",
    "allow_payload_hosts",
    "max_catalog_size",
];

/// Default folder of the remote config files, beside the daemon's config file.
pub const DEFAULT_REMOTES_DIR: &str = "/etc/hwupd/remotes.d";

/// Maximum size in bytes of one remote config file. A file with a few keys is well
/// under 4 KiB.
pub const MAX_CONFIG_FILE: u64 = 64 * 1024;

/// Default time between refreshes.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(86_400);

/// Default maximum random delay added to each scheduled refresh.
pub const DEFAULT_RANDOM_DELAY: Duration = Duration::from_secs(3600);

/// One source of a signed catalog, as its config file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteConfig {
    /// Id that the catalog must name, and the folder name of the remote's state.
    pub id: String,
    /// Location as the config file gives it, for display.
    pub url: String,
    pub source: RemoteSource,
    /// Keys that may sign the catalog. Several are pinned during a key rotation.
    pub public_keys: Vec<PublicKey>,
    pub refresh_interval: Duration,
    /// Maximum delay added to each scheduled refresh, so that a fleet spreads its
    /// requests. Each machine uses a stable share of it.
    pub random_delay: Duration,
    /// Whether the remote is refreshed. Disabled remotes are still listed.
    pub enabled: bool,
    /// Whether payload URLs may name hosts other than the catalog's.
    pub allow_payload_hosts: bool,
    /// Maximum catalog size in bytes, at most [`MAX_CATALOG_SIZE`](crate::catalog::document::MAX_CATALOG_SIZE).
    pub max_catalog_size: u64,
    /// File that the config was read from.
    pub config_path: PathBuf,
}

/// Location of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteSource {
    /// `http://` or `https://` URL of the catalog. A URL that ends with `/` names the
    /// `catalog.json` in that folder.
    Http {
        url: reqwest::Url,
        /// Lower-case host, which payload URLs must match unless other hosts are allowed.
        host: String,
    },
    /// Local catalog file, or a folder that contains `catalog.json`, for machines without
    /// network access and for removable media.
    Local { path: PathBuf },
}

impl RemoteSource {
    /// Returns the host that payload URLs are checked against, or None for a local source.
    pub fn catalog_host(&self) -> Option<&str> {
        match self {
            Self::Http { host, .. } => Some(host),
            Self::Local { .. } => None,
        }
    }
}

impl RemoteConfig {
    /// Parses the text of the remote config file at `path`. The id defaults to the file
    /// name without `.toml`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, RemoteConfigError> {
        let error = |key: Option<&str>, problem| RemoteConfigError {
            path: path.to_owned(),
            key: key.map(str::to_owned),
            problem,
        };
        let table: toml::Table = text.parse().map_err(|syntax: toml::de::Error| {
            let message = syntax.to_string().trim_end().replace('\n', " ");
            error(None, ConfigProblem::Syntax { message })
        })?;
        let reader = KeyReader::new(&table).map_err(|(key, problem)| error(Some(&key), problem))?;
        Self::from_keys(path, &reader).map_err(|(key, problem)| error(Some(key), problem))
    }

    fn from_keys(path: &Path, reader: &KeyReader) -> Result<Self, (&'static str, ConfigProblem)> {
        let id = keys::read_id(reader, path)?;
        let (url, source) = keys::read_source(reader)?;
        let public_keys = keys::read_public_keys(reader)?;
        let refresh_interval = keys::read_refresh_interval(reader)?;
        let random_delay = keys::read_random_delay(reader)?;

        Ok(Self {
            id,
            url,
            source,
            public_keys,
            refresh_interval,
            random_delay,
            enabled: reader.bool("enabled", true)?,
            allow_payload_hosts: reader.bool("allow_payload_hosts", false)?,
            max_catalog_size: keys::read_max_catalog_size(reader, path)?,
            config_path: path.to_owned(),
        })
    }

    /// Reads and parses one remote config file, with its size bounded.
    pub fn load(path: &Path) -> Result<Self, RemoteConfigError> {
        let text = read_config_file(path).map_err(|problem| RemoteConfigError {
            path: path.to_owned(),
            key: None,
            problem,
        })?;
        Self::parse(path, &text)
    }

    /// Returns the catalog's location that payload paths are relative to, for staging.
    /// A local file's folder is its parent, which needs one `stat` to tell from a folder.
    pub fn catalog_base(&self) -> CatalogBase {
        match &self.source {
            RemoteSource::Http { url, .. } => CatalogBase::Url(catalog_url(url)),
            RemoteSource::Local { path } => {
                let catalog = catalog_file(path);
                CatalogBase::Folder(crate::fsutil::parent_folder(&catalog))
            }
        }
    }

    /// Returns the document checks for this remote's catalog: the payload URL host rule.
    pub fn validate_options(&self) -> ValidateOptions {
        ValidateOptions {
            catalog_host: self.source.catalog_host().map(str::to_owned),
            allow_other_hosts: self.allow_payload_hosts,
        }
    }
}

fn read_config_file(path: &Path) -> Result<String, ConfigProblem> {
    let read_error = |error: std::io::Error| ConfigProblem::Read {
        message: error.to_string(),
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut text = String::new();
    file.take(MAX_CONFIG_FILE + 1)
        .read_to_string(&mut text)
        .map_err(read_error)?;

    let size = text.len() as u64;
    if size > MAX_CONFIG_FILE {
        return Err(ConfigProblem::TooLarge {
            size,
            max: MAX_CONFIG_FILE,
        });
    }
    Ok(text)
}

/// Remotes read from a folder: the valid ones, and an error for each invalid file.
#[derive(Debug, Default)]
pub struct RemoteList {
    /// Valid remotes, enabled or not, ordered by file name.
    pub remotes: Vec<RemoteConfig>,
    /// One error per file that was skipped.
    pub errors: Vec<RemoteConfigError>,
}

/// Reads every `*.toml` file in `folder`, in file name order. Hidden files are skipped.
///
/// A missing folder means no remotes. An invalid file is skipped and reported in
/// [`RemoteList::errors`], so that one bad file does not stop the other remotes. The
/// second file that names an id already taken is an error too.
pub fn load_remotes(folder: &Path) -> Result<RemoteList, RemoteConfigError> {
    let mut list = RemoteList::default();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for path in config_files(folder)? {
        let remote = match RemoteConfig::load(&path) {
            Ok(remote) => remote,
            Err(error) => {
                list.errors.push(error);
                continue;
            }
        };
        if let Some(other) = seen.get(&remote.id) {
            list.errors.push(duplicate_id(&remote, other));
            continue;
        }
        seen.insert(remote.id.clone(), path);
        list.remotes.push(remote);
    }
    Ok(list)
}

fn duplicate_id(remote: &RemoteConfig, other: &Path) -> RemoteConfigError {
    RemoteConfigError {
        path: remote.config_path.clone(),
        key: Some("id".to_owned()),
        problem: ConfigProblem::DuplicateId {
            id: remote.id.clone(),
            other: other.to_owned(),
        },
    }
}

/// Lists the `*.toml` entries of `folder` that do not start with `.`, sorted by name.
/// A folder or a dangling link with such a name is listed too, so that loading it
/// reports the problem instead of skipping the remote without a word.
fn config_files(folder: &Path) -> Result<Vec<PathBuf>, RemoteConfigError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            let message = error.to_string();
            return Err(RemoteConfigError {
                path: folder.to_owned(),
                key: None,
                problem: ConfigProblem::Read { message },
            });
        }
    };

    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| is_config_file(path))
        .collect();
    files.sort();
    Ok(files)
}

fn is_config_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    !name.starts_with('.') && name.ends_with(".toml")
}

/// Returns whether `id` is a valid remote id: 1 to 128 bytes of `[a-z0-9._-]`, starting
/// with a letter or digit. Such an id is also a safe folder name.
pub fn is_valid_remote_id(id: &str) -> bool {
    let starts_well = id
        .bytes()
        .next()
        .is_some_and(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit());
    let allowed = |byte: u8| {
        byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'.' | b'_' | b'-')
    };
    starts_well && id.len() <= 128 && id.bytes().all(allowed)
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
