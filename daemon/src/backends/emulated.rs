//! The `emulated` method: devices whose version lives in a state file, for demos and
//! tests. It has no devices unless `[emulated]` in `hwupd.toml` lists some.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use super::files::safe_name;
use super::{check_target, records, versions};
use super::{ApplyOutcome, Backend, BackendError, Context, Verification};
use crate::catalog::document::{InstallMethod, Release};
use crate::device::{Device, DeviceKind};
use crate::fsutil::{create_private_dir, write_atomic};
use crate::version::VersionFormat;

/// Maximum size in bytes of a payload that is read as a version text.
const MAX_VERSION_PAYLOAD: usize = 64;

/// The `[emulated]` section of `hwupd.toml`.
///
/// ```toml
/// [[emulated.devices]]
/// id = "demo-ssd"
/// name = "Demo SSD"
/// version = "1.2.3"
/// version_format = "triplet"
/// guid = "2fa8891f-3ece-53a4-adc4-0dd875685f30"
/// failure = "none"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulatedConfig {
    /// Devices with distinct ids, because the id names the device and its state file.
    #[serde(deserialize_with = "deserialize_devices")]
    pub devices: Vec<EmulatedDeviceConfig>,
}

/// One emulated device.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmulatedDeviceConfig {
    /// Name of the state file, `<state_dir>/emulated/<id>.json`.
    #[serde(deserialize_with = "deserialize_id")]
    pub id: String,
    pub name: String,
    /// Version before any update.
    pub version: String,
    #[serde(default = "plain")]
    pub version_format: VersionFormat,
    /// GUID that catalogs name the device by.
    #[serde(deserialize_with = "deserialize_guid")]
    pub guid: String,
    #[serde(default)]
    pub failure: EmulatedFailure,
}

/// Failure that an emulated device shows on purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmulatedFailure {
    #[default]
    None,
    /// `apply` fails before anything changes.
    Apply,
    /// `apply` reports success but the version stays, so `verify` fails.
    Verify,
}

fn plain() -> VersionFormat {
    VersionFormat::Plain
}

fn deserialize_devices<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<EmulatedDeviceConfig>, D::Error> {
    let devices = Vec::<EmulatedDeviceConfig>::deserialize(deserializer)?;
    let mut seen = std::collections::HashSet::new();
    for device in &devices {
        if !seen.insert(device.id.as_str()) {
            return Err(serde::de::Error::custom(format!(
                "emulated device id {:?} appears twice; give each [[emulated.devices]] \
                 its own id",
                device.id
            )));
        }
    }
    Ok(devices)
}

fn deserialize_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let id = String::deserialize(deserializer)?;
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    match !id.is_empty() && id.len() <= 64 && !id.starts_with('.') && id.chars().all(valid) {
        true => Ok(id),
        false => Err(serde::de::Error::custom(format!(
            "emulated device id {id:?} must be 1 to 64 ASCII letters, digits, '-', '_' or \
             '.', not starting with '.'"
        ))),
    }
}

fn deserialize_guid<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let guid = String::deserialize(deserializer)?;
    match crate::guid::is_guid(&guid) {
        true => Ok(guid.to_ascii_lowercase()),
        false => Err(serde::de::Error::custom(format!(
            "emulated device guid {guid:?} is not a GUID such as \
             \"2fa8891f-3ece-53a4-adc4-0dd875685f30\""
        ))),
    }
}

/// The state file of one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    version: String,
    /// Version before the last apply, which rollback restores.
    previous_version: Option<String>,
}

/// Updates of emulated devices.
pub struct Emulated;

/// Builds the configured emulated devices with their current versions, for the
/// daemon to append to an inventory scan.
pub fn devices(ctx: &Context) -> Vec<Device> {
    ctx.emulated
        .devices
        .iter()
        .map(|config| device(ctx, config))
        .collect()
}

fn device(ctx: &Context, config: &EmulatedDeviceConfig) -> Device {
    let mut device = Device::new(DeviceKind::Emulated, format!("emulated/{}", config.id));
    device.name = config.name.clone();
    device.vendor = "hwupd".to_string();
    device.version = match load_state(ctx, config) {
        Ok(state) => state.version,
        Err(e) => {
            tracing::warn!(device = %config.id, error = %e, "using the configured version");
            config.version.clone()
        }
    };
    device.version_format = config.version_format.as_str().to_string();
    device.add_guid(config.guid.clone());
    device.set_attribute("emulated_id", Some(config.id.clone()));
    device
}

impl Backend for Emulated {
    fn method(&self) -> InstallMethod {
        InstallMethod::Emulated
    }

    fn check(&self, ctx: &Context, device: &Device, release: &Release) -> Result<(), BackendError> {
        check_target(
            device,
            release,
            InstallMethod::Emulated,
            DeviceKind::Emulated,
        )?;
        configured(ctx, device).map(drop)
    }

    fn apply(
        &self,
        ctx: &Context,
        device: &Device,
        payload: &Path,
        release: &Release,
    ) -> Result<ApplyOutcome, BackendError> {
        self.check(ctx, device, release)?;
        let config = configured(ctx, device)?;
        if config.failure == EmulatedFailure::Apply {
            return Err(BackendError::InjectedFailure {
                id: config.id.clone(),
            });
        }

        let state = load_state(ctx, config)?;
        let version = payload_version(payload)?.unwrap_or_else(|| release.version.clone());
        if config.failure == EmulatedFailure::Verify || state.version == version {
            tracing::info!(device = %device.id, release = %release.id, "emulated version unchanged");
            return Ok(ApplyOutcome::Done);
        }
        let previous_version = Some(state.version);
        save_state(
            ctx,
            config,
            &State {
                version,
                previous_version,
            },
        )?;
        tracing::info!(device = %device.id, release = %release.id, "updated emulated device");
        Ok(ApplyOutcome::Done)
    }

    fn verify(&self, ctx: &Context, device: &Device, release: &Release) -> Verification {
        let version = configured(ctx, device)
            .and_then(|config| load_state(ctx, config))
            .map(|state| state.version);
        match version {
            Ok(version) => versions::verify_equal("emulated device", Some(&version), release),
            Err(e) => Verification::Failed {
                reason: e.to_string(),
            },
        }
    }

    fn rollback(
        &self,
        ctx: &Context,
        device: &Device,
        release: &Release,
    ) -> Result<ApplyOutcome, BackendError> {
        let config = configured(ctx, device)?;
        let state = load_state(ctx, config)?;
        let previous = state
            .previous_version
            .ok_or_else(|| BackendError::NothingToRollBack {
                device: device.id.clone(),
                method: "emulated".into(),
                reason: "no apply has changed its version",
            })?;
        save_state(
            ctx,
            config,
            &State {
                version: previous,
                previous_version: None,
            },
        )?;
        tracing::info!(device = %device.id, release = %release.id, "rolled back emulated device");
        Ok(ApplyOutcome::Done)
    }
}

/// Returns the configuration of an emulated device from its physical id.
fn configured<'a>(
    ctx: &'a Context,
    device: &Device,
) -> Result<&'a EmulatedDeviceConfig, BackendError> {
    let id = device
        .physical_id
        .strip_prefix("emulated/")
        .unwrap_or_default();
    ctx.emulated
        .devices
        .iter()
        .find(|config| config.id == id)
        .ok_or_else(|| {
            let reason = format!("no [[emulated.devices]] entry has id {id:?}");
            BackendError::not_applicable(device, &InstallMethod::Emulated, reason)
        })
}

/// Returns the payload's text as the new version when it is one short line of
/// printable ASCII, such as `1.2.4\n`. Any other payload gives None, so the release's
/// version applies.
fn payload_version(payload: &Path) -> Result<Option<String>, BackendError> {
    let mut bytes = Vec::new();
    std::fs::File::open(payload)
        .and_then(|file| {
            file.take(MAX_VERSION_PAYLOAD as u64 + 1)
                .read_to_end(&mut bytes)
        })
        .map_err(|e| BackendError::io("reading payload", payload, e))?;
    let text = std::str::from_utf8(&bytes).unwrap_or_default().trim();
    let is_version = bytes.len() <= MAX_VERSION_PAYLOAD
        && !text.is_empty()
        && text.chars().all(|c| c.is_ascii_graphic());
    Ok(is_version.then(|| text.to_string()))
}

fn state_path(ctx: &Context, config: &EmulatedDeviceConfig) -> Result<PathBuf, BackendError> {
    let file = format!("{}.json", safe_name("emulated device id", &config.id)?);
    Ok(ctx.state_dir.join("emulated").join(file))
}

/// Reads the state file, or the configured version when there is none yet.
fn load_state(ctx: &Context, config: &EmulatedDeviceConfig) -> Result<State, BackendError> {
    let state = records::load(&state_path(ctx, config)?)?;
    Ok(state.unwrap_or_else(|| State {
        version: config.version.clone(),
        previous_version: None,
    }))
}

fn save_state(
    ctx: &Context,
    config: &EmulatedDeviceConfig,
    state: &State,
) -> Result<(), BackendError> {
    let path = state_path(ctx, config)?;
    let folder = crate::fsutil::parent_folder(&path);
    create_private_dir(&folder).map_err(|e| BackendError::io("creating folder", &folder, e))?;
    let json = serde_json::to_vec_pretty(state).unwrap_or_default();
    write_atomic(&path, &json, 0o600, true).map_err(|e| BackendError::io("writing", &path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_rejects_bad_id_and_guid() {
        let device = |id: &str, guid: &str| {
            format!("[[devices]]\nid = {id:?}\nname = \"x\"\nversion = \"1\"\nguid = {guid:?}\n")
        };
        let guid = "2fa8891f-3ece-53a4-adc4-0dd875685f30";
        for id in ["", "../x", "a/b", ".hidden"] {
            let error = toml::from_str::<EmulatedConfig>(&device(id, guid)).unwrap_err();
            assert!(error.to_string().contains("emulated device id"), "{error}");
        }
        let error = toml::from_str::<EmulatedConfig>(&device("ssd", "not-a-guid")).unwrap_err();
        assert!(error.to_string().contains("not a GUID"), "{error}");

        let config: EmulatedConfig = toml::from_str(&device("ssd", guid)).unwrap();
        assert_eq!(config.devices[0].version_format, VersionFormat::Plain);
        assert_eq!(config.devices[0].failure, EmulatedFailure::None);
    }

    #[test]
    fn config_rejects_duplicate_ids() {
        let device = "[[devices]]\nid = \"bmc\"\nname = \"x\"\nversion = \"1\"\n\
                      guid = \"2fa8891f-3ece-53a4-adc4-0dd875685f30\"\n";
        let error = toml::from_str::<EmulatedConfig>(&device.repeat(2)).unwrap_err();
        assert!(
            error.to_string().contains("\"bmc\" appears twice"),
            "{error}"
        );
    }

    #[test]
    fn payload_version_reads_short_text_only() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&[u8], Option<&str>); 5] = [
            (b"1.2.4\n", Some("1.2.4")),
            (b"  2.0  ", Some("2.0")),
            (b"1.0 beta", None),
            (b"\x7fELF", None),
            (b"", None),
        ];
        for (index, (bytes, expected)) in cases.into_iter().enumerate() {
            let path = dir.path().join(index.to_string());
            std::fs::write(&path, bytes).unwrap();
            assert_eq!(
                payload_version(&path).unwrap().as_deref(),
                expected,
                "{bytes:?}"
            );
        }
        let long = dir.path().join("long");
        std::fs::write(&long, "1".repeat(65)).unwrap();
        assert_eq!(payload_version(&long).unwrap(), None);
    }
}
