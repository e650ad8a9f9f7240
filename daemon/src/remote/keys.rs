//! Reading and checking each key of a remote config file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::config::{is_valid_remote_id, RemoteSource, KNOWN_KEYS};
use super::config::{DEFAULT_RANDOM_DELAY, DEFAULT_REFRESH_INTERVAL};
use super::config_error::ConfigProblem;
use super::duration::parse_duration;
use crate::catalog::document::location::url_host;
use crate::catalog::document::MAX_CATALOG_SIZE;
use crate::catalog::minisign::PublicKey;

/// Key that has a problem, and the problem.
pub(super) type KeyResult<T> = Result<T, (&'static str, ConfigProblem)>;

/// Maximum length in bytes of a remote's URL or path.
const MAX_URL_LEN: usize = 4096;

/// Shortest refresh interval, so that a value meant as minutes or hours but written as
/// seconds does not make the daemon poll the server constantly.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// Maximum refresh interval and random delay.
const MAX_INTERVAL: Duration = Duration::from_secs(365 * 86_400);

const URL_EXAMPLE: &str = "url = \"https://updates.example.com/hwupd/catalog.json\"";
const KEYS_EXAMPLE: &str = "public_keys = [\"RW...\"]";

/// Keys of a parsed config file, with typed accessors whose errors name the key.
pub(super) struct KeyReader<'a> {
    table: &'a toml::Table,
}

impl<'a> KeyReader<'a> {
    /// Wraps a parsed file, rejecting any key that is not in [`KNOWN_KEYS`].
    pub(super) fn new(table: &'a toml::Table) -> Result<Self, (String, ConfigProblem)> {
        if let Some(key) = table.keys().find(|key| !KNOWN_KEYS.contains(&key.as_str())) {
            return Err((key.clone(), ConfigProblem::UnknownKey));
        }
        Ok(Self { table })
    }

    pub(super) fn bool(&self, key: &'static str, default: bool) -> KeyResult<bool> {
        match self.table.get(key) {
            None => Ok(default),
            Some(toml::Value::Boolean(value)) => Ok(*value),
            Some(other) => Err(wrong_type(key, "true or false", other)),
        }
    }

    fn string(&self, key: &'static str) -> KeyResult<Option<&'a str>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::String(value)) => Ok(Some(value)),
            Some(other) => Err(wrong_type(key, "a string", other)),
        }
    }
}

fn wrong_type(
    key: &'static str,
    expected: &'static str,
    found: &toml::Value,
) -> (&'static str, ConfigProblem) {
    let example = match key {
        "id" => "id = \"acme-fleet\"",
        "url" => URL_EXAMPLE,
        "public_keys" => KEYS_EXAMPLE,
        "refresh_interval" => "refresh_interval = \"6h\"",
        "random_delay" => "random_delay = \"1h\"",
        "max_catalog_size" => "max_catalog_size = 67108864",
        _ => "enabled = false",
    };
    let found = found.type_str();
    (
        key,
        ConfigProblem::WrongType {
            expected,
            found,
            example,
        },
    )
}

/// Reads `id`, or takes the file name without `.toml` when the key is absent.
pub(super) fn read_id(reader: &KeyReader, path: &Path) -> KeyResult<String> {
    let (id, from_file_name) = match reader.string("id")? {
        Some(id) => (id.to_owned(), false),
        None => (file_stem(path), true),
    };
    if !is_valid_remote_id(&id) {
        let value = id.chars().take(160).collect();
        return Err((
            "id",
            ConfigProblem::InvalidId {
                value,
                from_file_name,
            },
        ));
    }
    Ok(id)
}

fn file_stem(path: &Path) -> String {
    let stem = path.file_stem().unwrap_or_default();
    stem.to_string_lossy().into_owned()
}

/// Reads `url`: an `http://` or `https://` URL, a `file:///` URL or an absolute path.
pub(super) fn read_source(reader: &KeyReader) -> KeyResult<(String, RemoteSource)> {
    let missing = ConfigProblem::Missing {
        example: URL_EXAMPLE,
    };
    let text = reader.string("url")?.ok_or(("url", missing))?;
    let source = parse_source(text).map_err(|reason| {
        let value = text.chars().take(MAX_URL_LEN).collect();
        ("url", ConfigProblem::InvalidUrl { value, reason })
    })?;
    Ok((text.to_owned(), source))
}

/// Parses a catalog location. The error is the reason, for [`ConfigProblem::InvalidUrl`].
pub(super) fn parse_source(text: &str) -> Result<RemoteSource, &'static str> {
    if text.is_empty() {
        return Err("it is empty");
    }
    if text.len() > MAX_URL_LEN {
        return Err("it is longer than 4096 bytes");
    }
    if text.chars().any(char::is_control) {
        return Err("it contains a control character");
    }

    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    if text.starts_with('/') {
        Ok(RemoteSource::Local {
            path: PathBuf::from(text),
        })
    } else if lower.starts_with("http://") || lower.starts_with("https://") {
        parse_http(text)
    } else if lower.starts_with("file:") {
        parse_file_url(text, &lower)
    } else if text.contains("://") {
        Err("use an https:// or http:// URL, a file:/// URL or an absolute path")
    } else {
        Err("a local path must be absolute, such as /media/usb/hwupd")
    }
}

fn parse_http(text: &str) -> Result<RemoteSource, &'static str> {
    let url = reqwest::Url::parse(text).map_err(|_| "it is not a valid URL")?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it must not contain a user name or password");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(
            "it must not have a query or fragment, because the signature's URL is the \
             catalog's URL with .minisig appended",
        );
    }
    // The host is read from the text as written, because URL parsing would turn
    // `https:///catalog.json` into the host `catalog.json`.
    let host = url_host(text).ok_or("it has no valid ASCII host name")?;
    Ok(RemoteSource::Http { url, host })
}

/// Parses a `file:///` URL. `lower` is the text's first 8 bytes in lower case.
fn parse_file_url(text: &str, lower: &str) -> Result<RemoteSource, &'static str> {
    let invalid = "a file: URL must name an absolute local path, such as file:///media/usb/hwupd";
    if lower != "file:///" {
        return Err(invalid);
    }
    let url = reqwest::Url::parse(text).map_err(|_| invalid)?;
    let path = url.to_file_path().map_err(|()| invalid)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a file: URL must not have a query or fragment");
    }
    Ok(RemoteSource::Local { path })
}

/// Reads `public_keys`: a non-empty list of key lines or key files.
pub(super) fn read_public_keys(reader: &KeyReader) -> KeyResult<Vec<PublicKey>> {
    const KEY: &str = "public_keys";
    let missing = ConfigProblem::Missing {
        example: KEYS_EXAMPLE,
    };
    let entries = match reader.table.get(KEY) {
        None => return Err((KEY, missing)),
        Some(toml::Value::Array(entries)) => entries,
        Some(other) => return Err(wrong_type(KEY, "a list of strings", other)),
    };
    if entries.is_empty() {
        return Err((KEY, ConfigProblem::NoKeys));
    }

    let mut keys = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let Some(text) = entry.as_str() else {
            return Err(wrong_type(KEY, "a list of strings", entry));
        };
        let key = PublicKey::parse(text.trim().as_bytes())
            .map_err(|error| (KEY, ConfigProblem::InvalidKey { index, error }))?;
        keys.push(key);
    }
    Ok(keys)
}

pub(super) fn read_refresh_interval(reader: &KeyReader) -> KeyResult<Duration> {
    let range = (MIN_REFRESH_INTERVAL, "1m", "365d");
    read_duration(reader, "refresh_interval", DEFAULT_REFRESH_INTERVAL, range)
}

pub(super) fn read_random_delay(reader: &KeyReader) -> KeyResult<Duration> {
    let range = (Duration::ZERO, "0s", "365d");
    read_duration(reader, "random_delay", DEFAULT_RANDOM_DELAY, range)
}

/// Reads a duration given as seconds or as text such as `6h`, and checks its range,
/// given as the minimum and the names of the minimum and of [`MAX_INTERVAL`].
fn read_duration(
    reader: &KeyReader,
    key: &'static str,
    default: Duration,
    (min, min_name, max_name): (Duration, &'static str, &'static str),
) -> KeyResult<Duration> {
    let duration = match reader.table.get(key) {
        None => return Ok(default),
        Some(toml::Value::Integer(seconds)) => {
            let seconds = u64::try_from(*seconds).map_err(|_| {
                let value = format!("{seconds} seconds");
                (key, out_of_range(value, min_name, max_name))
            })?;
            Duration::from_secs(seconds)
        }
        Some(toml::Value::String(text)) => {
            parse_duration(text).map_err(|error| (key, ConfigProblem::InvalidDuration { error }))?
        }
        Some(other) => return Err(wrong_type(key, "a duration such as \"6h\"", other)),
    };

    if duration < min || duration > MAX_INTERVAL {
        let value = super::duration::format_duration(duration);
        return Err((key, out_of_range(value, min_name, max_name)));
    }
    Ok(duration)
}

fn out_of_range(value: String, min: &'static str, max: &'static str) -> ConfigProblem {
    ConfigProblem::DurationOutOfRange { value, min, max }
}

/// Reads `max_catalog_size` in bytes. A value above [`MAX_CATALOG_SIZE`] is lowered to
/// it with a warning, because the daemon cannot accept larger catalogs anyway.
pub(super) fn read_max_catalog_size(reader: &KeyReader, path: &Path) -> KeyResult<u64> {
    const KEY: &str = "max_catalog_size";
    let hard_max = MAX_CATALOG_SIZE as u64;
    let value = match reader.table.get(KEY) {
        None => return Ok(hard_max),
        Some(toml::Value::Integer(value)) => *value,
        Some(other) => return Err(wrong_type(KEY, "a number of bytes", other)),
    };

    let size = u64::try_from(value)
        .ok()
        .filter(|size| *size > 0)
        .ok_or((KEY, ConfigProblem::InvalidSize { value }))?;
    if size > hard_max {
        tracing::warn!(
            config = %path.display(),
            max_catalog_size = size,
            hard_max,
            "max_catalog_size is above the maximum catalog size, so the maximum applies"
        );
        return Ok(hard_max);
    }
    Ok(size)
}
