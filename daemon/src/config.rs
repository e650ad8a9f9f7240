//! The daemon's configuration file, `/etc/hwupd/hwupd.toml`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::policy::PolicyConfig;
use crate::window::Windows;

pub const DEFAULT_CONFIG_PATH: &str = "/etc/hwupd/hwupd.toml";
pub const DEFAULT_STATE_DIR: &str = "/var/lib/hwupd";

/// Settings read from `hwupd.toml`. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Folder that `/sys`, `/proc`, `/dev` and the ESP are resolved under.
    pub root: Option<PathBuf>,
    /// Folder for the history database, accepted catalogs and staged payloads.
    pub state_dir: Option<PathBuf>,
    /// Settings of the install methods, the `[backends]` section.
    #[serde(default)]
    pub backends: crate::backends::BackendsConfig,
    /// Emulated devices for demos and tests, the `[emulated]` section.
    #[serde(default)]
    pub emulated: crate::backends::EmulatedConfig,
    /// The `[report]` table: where to write the Prometheus metrics file.
    #[serde(default)]
    pub report: crate::report::ReportConfig,
    /// Maintenance windows, from the `[[window]]` tables.
    #[serde(default)]
    pub window: Windows,
    /// Update policy, from the `[policy]` table.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// Timeouts of catalog downloads, the `[fetch]` section.
    #[serde(default)]
    pub fetch: crate::remote::FetchConfig,
    /// How often the daemon checks its schedule, the `[schedule]` section.
    #[serde(default)]
    pub schedule: crate::schedule::ScheduleConfig,
}

/// Error reading or parsing the configuration file. The messages include the OS
/// error, so no variant has a source that a chain of errors would print again.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading config file {path} failed: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("config file {path} is invalid: {message}")]
    Parse { path: String, message: String },
}

impl Config {
    /// Loads `path`. A missing file at the default path gives the defaults; a
    /// missing file named explicitly is an error.
    pub fn load(path: &Path, explicit: bool) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok(Self::default())
            }
            Err(error) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    error,
                })
            }
        };
        Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses the text of a config file; the error message names the bad key and line.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| describe_toml_error(text, &e))
    }
}

/// Renders a TOML error as one line: the line and column, then the message,
/// without the multi-line source excerpt the toml crate adds.
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', " ");
    let Some(span) = error.span() else {
        return message;
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.len() - line_start + 1;
    let source = text[line_start..].lines().next().unwrap_or_default().trim();
    format!("line {line}, column {column} ({source}): {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_unknown_keys() {
        let error = Config::parse("rooot = \"/\"").unwrap_err();
        assert!(error.contains("rooot"), "{error}");
    }

    #[test]
    fn parse_reads_paths() {
        let config = Config::parse("root = \"/tmp/x\"\nstate_dir = \"/tmp/s\"").unwrap();
        assert_eq!(config.root.unwrap(), PathBuf::from("/tmp/x"));
        assert_eq!(config.state_dir.unwrap(), PathBuf::from("/tmp/s"));
    }

    #[test]
    fn load_default_path_may_be_missing() {
        let missing = Path::new("/nonexistent/hwupd.toml");
        assert!(Config::load(missing, false).is_ok());
        assert!(Config::load(missing, true).is_err());
    }
}
