//! The `thunderbolt` method: write the image to the non-active NVM through sysfs, then
//! authenticate it.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::files::{read_payload, safe_name};
use super::{check_target, versions};
use super::{
    ApplyOutcome, Backend, BackendError, Context, ThunderboltAuthentication, Verification,
};
use crate::catalog::document::{InstallMethod, Release};
use crate::device::{Device, DeviceKind};
use crate::inventory::sysfs::{file_name, list_dir, read_attr};
use crate::version::normalize_nvm_version;

/// Bytes per write to the NVM. sysfs hands a driver at most one page per `write`.
pub const CHUNK_SIZE: usize = 4096;

/// Maximum wait for the router to take an authentication request and return to the
/// bus. NOTE: an estimate with a wide margin, not a measured restart time.
pub const AUTHENTICATION_TIMEOUT: Duration = Duration::from_secs(60);

/// Time between two checks of the router while it authenticates the image.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// The request that `nvm_authenticate` takes: authenticate the non-active image.
const AUTHENTICATE_REQUEST: &str = "1";

/// NVM updates of Thunderbolt and USB4 routers.
pub struct Thunderbolt;

/// The sysfs files that one update writes.
struct Targets {
    /// The router's folder, such as `/sys/bus/thunderbolt/devices/0-0`.
    dir: PathBuf,
    /// `nvm_non_active<N>/nvmem` in that folder.
    nvmem: PathBuf,
    /// `nvm_authenticate` or `nvm_authenticate_on_disconnect`.
    authenticate: PathBuf,
}

impl Backend for Thunderbolt {
    fn method(&self) -> InstallMethod {
        InstallMethod::Thunderbolt
    }

    fn check(&self, ctx: &Context, device: &Device, release: &Release) -> Result<(), BackendError> {
        targets(ctx, device, release).map(drop)
    }

    fn apply(
        &self,
        ctx: &Context,
        device: &Device,
        payload: &Path,
        release: &Release,
    ) -> Result<ApplyOutcome, BackendError> {
        let targets = targets(ctx, device, release)?;
        let image = read_payload(payload)?;
        if image.is_empty() {
            return Err(BackendError::InvalidPayload {
                path: payload.to_path_buf(),
                reason: "it is empty".to_string(),
            });
        }

        write_nvm(ctx, &targets, &image)?;
        tracing::info!(device = %device.id, release = %release.id, bytes = image.len(),
            "wrote Thunderbolt NVM image");
        authenticate(&targets, image.len() as u64)?;
        tracing::info!(device = %device.id, release = %release.id,
            file = %file_name(&targets.authenticate), "started Thunderbolt NVM authentication");
        if ctx.config.thunderbolt_authentication == ThunderboltAuthentication::Now {
            wait_for_authentication(&targets, AUTHENTICATION_TIMEOUT)?;
        }
        Ok(ApplyOutcome::Done)
    }

    fn verify(&self, ctx: &Context, device: &Device, release: &Release) -> Verification {
        let dir = match device_dir(ctx, device) {
            Ok(dir) => dir,
            Err(e) => {
                return Verification::Failed {
                    reason: e.to_string(),
                }
            }
        };
        if !dir.is_dir() {
            let reason = format!("{} is missing while the router restarts", dir.display());
            return Verification::Pending { reason };
        }
        if let Some(status) = failed_status(&dir) {
            let reason = format!("nvm_authenticate reports status {status}");
            return Verification::Failed { reason };
        }

        let raw = read_attr(&dir, "nvm_version");
        let normalized = raw.as_deref().map(normalize_nvm_version).transpose();
        let verification = match normalized {
            Ok(version) => versions::verify_equal("nvm_version", version.as_deref(), release),
            Err(e) => Verification::Failed {
                reason: e.to_string(),
            },
        };
        pending_until_disconnect(ctx, verification)
    }

    fn rollback(
        &self,
        _ctx: &Context,
        device: &Device,
        _release: &Release,
    ) -> Result<ApplyOutcome, BackendError> {
        Err(BackendError::NothingToRollBack {
            device: device.id.clone(),
            method: "thunderbolt".into(),
            reason: "the router keeps no previous image that can be restored; install an \
                     older release instead",
        })
    }
}

/// Finds the router's folder, NVM and authentication files, failing on any missing one.
fn targets(ctx: &Context, device: &Device, release: &Release) -> Result<Targets, BackendError> {
    check_target(
        device,
        release,
        InstallMethod::Thunderbolt,
        DeviceKind::Thunderbolt,
    )?;
    let dir = device_dir(ctx, device)?;
    if !dir.is_dir() {
        return Err(BackendError::Missing {
            item: "Thunderbolt device folder",
            path: dir,
            hint: "connect the device and rescan",
        });
    }
    let nvmem = list_dir(&dir)
        .into_iter()
        .filter(|path| file_name(path).starts_with("nvm_non_active"))
        .map(|path| path.join("nvmem"))
        .find(|nvmem| nvmem.is_file())
        .ok_or_else(|| BackendError::Missing {
            item: "non-active NVM (nvm_non_active*/nvmem)",
            path: dir.clone(),
            hint: "the router does not support NVM upgrades from the host",
        })?;
    let authenticate = dir.join(match ctx.config.thunderbolt_authentication {
        ThunderboltAuthentication::Now => "nvm_authenticate",
        ThunderboltAuthentication::OnDisconnect => "nvm_authenticate_on_disconnect",
    });
    if !authenticate.is_file() {
        return Err(BackendError::Missing {
            item: "NVM authentication file",
            path: authenticate,
            hint: "set [backends] thunderbolt_authentication to a mode this router offers",
        });
    }
    Ok(Targets {
        dir,
        nvmem,
        authenticate,
    })
}

/// Returns `/sys/bus/thunderbolt/devices/<name>` for the device's sysfs name.
fn device_dir(ctx: &Context, device: &Device) -> Result<PathBuf, BackendError> {
    let name = device
        .attributes
        .get("sysfs_name")
        .map(String::as_str)
        .or_else(|| device.physical_id.strip_prefix("thunderbolt/"))
        .unwrap_or_default();
    let name = safe_name("Thunderbolt sysfs name", name)?;
    Ok(ctx.root.join("/sys/bus/thunderbolt/devices").join(name))
}

/// Writes the image in [`CHUNK_SIZE`] pieces, checking before each that the router's
/// folder still exists: an unplugged router's files fail or vanish mid-write.
///
/// Only the non-active NVM is written, so a failure leaves the running firmware as it
/// was, and the error reports no state change.
fn write_nvm(ctx: &Context, targets: &Targets, image: &[u8]) -> Result<(), BackendError> {
    let total = image.len() as u64;
    let file = OpenOptions::new()
        .write(true)
        .open(&targets.nvmem)
        .map_err(|e| write_error(targets, 0, total, e))?;
    let mut written = 0u64;
    for chunk in image.chunks(CHUNK_SIZE) {
        if !targets.dir.is_dir() {
            return Err(vanished(targets, written, total));
        }
        write_chunk(&file, chunk, written).map_err(|e| write_error(targets, written, total, e))?;
        written += chunk.len() as u64;
        ctx.report(written, total);
    }
    file.sync_all()
        .map_err(|e| write_error(targets, written, total, e))
}

fn write_chunk(file: &File, chunk: &[u8], offset: u64) -> io::Result<()> {
    file.write_all_at(chunk, offset)
}

/// Starts authentication of the written image by writing `1`.
fn authenticate(targets: &Targets, total: u64) -> Result<(), BackendError> {
    if !targets.dir.is_dir() {
        return Err(vanished(targets, total, total));
    }
    fs::write(&targets.authenticate, AUTHENTICATE_REQUEST).map_err(|e| match e.raw_os_error() {
        Some(nix::libc::ENODEV) | Some(nix::libc::ENOENT) => vanished(targets, total, total),
        _ => BackendError::io("writing", &targets.authenticate, e),
    })
}

/// Waits until the router has taken the authentication request: its folder is
/// present and `nvm_authenticate` no longer reads the request. Linux prints the last
/// authentication status there with `%#x` (drivers/thunderbolt/switch.c), so it never
/// reads `1`, and the router may leave the bus while it restarts with the new image.
/// A plain file, as in a test root, keeps the request until a stand-in for the
/// controller replaces it.
fn wait_for_authentication(targets: &Targets, timeout: Duration) -> Result<(), BackendError> {
    let deadline = Instant::now() + timeout;
    let taken = || {
        let status = read_attr(&targets.dir, "nvm_authenticate");
        targets.dir.is_dir() && status.as_deref() != Some(AUTHENTICATE_REQUEST)
    };
    while !taken() {
        if Instant::now() >= deadline {
            return Err(authentication_timed_out(targets, timeout));
        }
        std::thread::sleep(POLL_INTERVAL);
    }
    Ok(())
}

/// Describes a router that is still restarting, or has not taken the request, after
/// `timeout`. The running image is unchanged unless the router switches later.
fn authentication_timed_out(targets: &Targets, timeout: Duration) -> BackendError {
    let detail = match targets.dir.is_dir() {
        true => "the request was not taken",
        false => "the router did not come back on the bus",
    };
    let message =
        format!("{detail} within {timeout:?}; reconnect the device, rescan and check nvm_version");
    let source = io::Error::new(io::ErrorKind::TimedOut, message);
    BackendError::io(
        "waiting for the router to authenticate its NVM through",
        &targets.authenticate,
        source,
    )
}

/// Maps a write error to `DeviceVanished` when the router's folder is gone.
fn write_error(targets: &Targets, written: u64, total: u64, error: io::Error) -> BackendError {
    let vanished_device = !targets.dir.is_dir() || error.raw_os_error() == Some(nix::libc::ENODEV);
    match vanished_device {
        true => vanished(targets, written, total),
        false => BackendError::io("writing NVM image to", &targets.nvmem, error),
    }
}

fn vanished(targets: &Targets, written: u64, total: u64) -> BackendError {
    BackendError::DeviceVanished {
        path: targets.dir.clone(),
        written,
        total,
    }
}

/// Returns the status of the last authentication when it reports an error. The kernel
/// prints it with `%#x`, so success reads as `0`.
fn failed_status(dir: &Path) -> Option<String> {
    let status = read_attr(dir, "nvm_authenticate")?;
    let digits = status.strip_prefix("0x").unwrap_or(&status);
    let code = u32::from_str_radix(digits, 16).ok();
    (code != Some(0)).then_some(status)
}

/// Turns a failure into `Pending` in on-disconnect mode, where the new image becomes
/// active only after the device is unplugged.
fn pending_until_disconnect(ctx: &Context, verification: Verification) -> Verification {
    let waits = ctx.config.thunderbolt_authentication == ThunderboltAuthentication::OnDisconnect;
    match verification {
        Verification::Failed { reason } if waits => Verification::Pending {
            reason: format!("{reason}; the new image activates when the device is unplugged"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns the targets of a router folder in a temporary folder, with `status`
    /// in `nvm_authenticate`.
    fn router(status: &str) -> (tempfile::TempDir, Targets) {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("0-0");
        fs::create_dir_all(dir.join("nvm_non_active0")).unwrap();
        fs::write(dir.join("nvm_authenticate"), status).unwrap();
        let targets = Targets {
            nvmem: dir.join("nvm_non_active0/nvmem"),
            authenticate: dir.join("nvm_authenticate"),
            dir,
        };
        (temp, targets)
    }

    #[test]
    fn taken_request_ends_the_wait() {
        for status in ["0\n", "0x5\n"] {
            let (_temp, targets) = router(status);
            wait_for_authentication(&targets, Duration::ZERO).unwrap();
        }
    }

    #[test]
    fn pending_request_times_out() {
        let (_temp, targets) = router("1");

        let error = wait_for_authentication(&targets, Duration::from_millis(50)).unwrap_err();

        let message = error.to_string();
        assert!(
            message.contains("request was not taken within 50ms"),
            "{message}"
        );
        assert!(message.contains("nvm_authenticate"), "{message}");
        assert!(!error.state_changed());
    }

    #[test]
    fn router_that_stays_away_times_out() {
        let (_temp, targets) = router("1");
        fs::remove_dir_all(&targets.dir).unwrap();

        let error = wait_for_authentication(&targets, Duration::from_millis(50)).unwrap_err();

        let message = error.to_string();
        assert!(
            message.contains("did not come back on the bus"),
            "{message}"
        );
    }

    #[test]
    fn wait_covers_a_router_restart() {
        let (_temp, targets) = router("1");
        let dir = targets.dir.clone();
        let controller = std::thread::spawn(move || {
            let away = dir.with_file_name("0-0.restarting");
            fs::rename(&dir, &away).unwrap();
            fs::write(away.join("nvm_authenticate"), "0\n").unwrap();
            std::thread::sleep(Duration::from_millis(100));
            fs::rename(&away, &dir).unwrap();
        });

        let waited = wait_for_authentication(&targets, Duration::from_secs(60));

        controller.join().unwrap();
        waited.unwrap();
        assert_eq!(
            read_attr(&targets.dir, "nvm_authenticate").as_deref(),
            Some("0")
        );
    }
}
