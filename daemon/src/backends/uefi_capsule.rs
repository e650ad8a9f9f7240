//! The `uefi-capsule` method: capsule on disk or the kernel's capsule loader, verified
//! from the ESRT after the reboot.

mod capsule;
mod esrt;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::read_payload;
use super::{check_target, mounts, records};
use super::{ApplyOutcome, Backend, BackendError, CapsuleDelivery, Context, Verification};
use crate::catalog::document::{InstallMethod, Release};
use crate::device::{Device, DeviceKind};

/// Path of the kernel's capsule loader, resolved under the root.
const CAPSULE_LOADER: &str = "/dev/efi_capsule_loader";

/// Capsule updates of ESRT entries.
pub struct UefiCapsule;

/// Destination of the capsule, chosen from the config and what the root offers.
enum Route {
    /// Capsule on disk into this ESP folder.
    Disk(PathBuf),
    /// The capsule loader device at this path.
    Loader(PathBuf),
}

/// Record that apply leaves in the state folder until the update is verified.
#[derive(Debug, Serialize, Deserialize)]
struct PendingCapsule {
    release_id: String,
    version: String,
    /// The staged file on the ESP, or None when the capsule loader took it.
    staged: Option<PathBuf>,
    sha256: String,
    /// Boot id at apply time; a different one means the machine has rebooted.
    boot_id: Option<String>,
}

impl Backend for UefiCapsule {
    fn method(&self) -> InstallMethod {
        InstallMethod::UefiCapsule
    }

    fn check(&self, ctx: &Context, device: &Device, release: &Release) -> Result<(), BackendError> {
        self.route(ctx, device, release).map(drop)
    }

    fn apply(
        &self,
        ctx: &Context,
        device: &Device,
        payload: &Path,
        release: &Release,
    ) -> Result<ApplyOutcome, BackendError> {
        let route = self.route(ctx, device, release)?;
        let fw_class = fw_class(device)?;
        let bytes = read_payload(payload)?;
        capsule::check_header(&bytes).map_err(|reason| BackendError::InvalidPayload {
            path: payload.to_path_buf(),
            reason,
        })?;

        let staged = match route {
            Route::Disk(esp) => Some(capsule::stage_on_disk(ctx, &esp, fw_class, &bytes)?),
            Route::Loader(loader) => capsule::write_to_loader(&loader, &bytes).map(|()| None)?,
        };
        let record = PendingCapsule {
            release_id: release.id.clone(),
            version: release.version.clone(),
            staged,
            sha256: super::files::sha256(&bytes),
            boot_id: super::boot_id(&ctx.root),
        };
        save_record(ctx, fw_class, &record)?;
        tracing::info!(device = %device.id, release = %release.id, fw_class,
            staged = ?record.staged, "capsule staged; it applies at the next boot");
        Ok(ApplyOutcome::PendingReboot)
    }

    fn verify(&self, ctx: &Context, device: &Device, release: &Release) -> Verification {
        let fw_class = match fw_class(device) {
            Ok(fw_class) => fw_class,
            Err(e) => {
                return Verification::Failed {
                    reason: e.to_string(),
                }
            }
        };
        let path = records::record_path(&ctx.state_dir, "uefi-capsule", fw_class);
        let record = path.and_then(|path| records::load::<PendingCapsule>(&path));
        let record = record.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "ignoring unreadable capsule record");
            None
        });
        if let Some(record) = record.as_ref().filter(|r| !has_rebooted(ctx, r)) {
            let reason = format!(
                "capsule for release {} waits for a reboot",
                record.release_id
            );
            return Verification::Pending { reason };
        }

        let verification = esrt::verify(ctx, fw_class, release);
        if let Some(record) = record {
            finish(ctx, fw_class, &record);
        }
        verification
    }

    fn rollback(
        &self,
        ctx: &Context,
        device: &Device,
        release: &Release,
    ) -> Result<ApplyOutcome, BackendError> {
        let fw_class = fw_class(device)?;
        let path = records::record_path(&ctx.state_dir, "uefi-capsule", fw_class)?;
        let nothing = |reason| BackendError::NothingToRollBack {
            device: device.id.clone(),
            method: "uefi-capsule".into(),
            reason,
        };
        let Some(record) = records::load::<PendingCapsule>(&path)? else {
            let withdrawn = withdraw_unrecorded(ctx, device, fw_class, release);
            return withdrawn
                .unwrap_or_else(|| Err(nothing("no capsule is staged for this device")));
        };
        if has_rebooted(ctx, &record) {
            return Err(nothing("the firmware has already processed the capsule"));
        }
        let staged = record.staged.as_deref().ok_or_else(|| {
            nothing("the capsule loader keeps a capsule until the reboot; it cannot be withdrawn")
        })?;
        capsule::unstage(ctx, staged)?;
        records::delete(&path)?;
        tracing::info!(device = %device.id, release = %record.release_id, "capsule withdrawn");
        Ok(ApplyOutcome::Done)
    }
}

impl UefiCapsule {
    /// Checks the device and release, then chooses where the capsule goes.
    fn route(
        &self,
        ctx: &Context,
        device: &Device,
        release: &Release,
    ) -> Result<Route, BackendError> {
        check_target(
            device,
            release,
            InstallMethod::UefiCapsule,
            DeviceKind::UefiEsrt,
        )?;
        let fw_class = fw_class(device)?;
        let loader = ctx.root.join(CAPSULE_LOADER);
        let route = match ctx.config.capsule_delivery {
            CapsuleDelivery::PreferLoader if loader.exists() => Route::Loader(loader),
            CapsuleDelivery::Loader if !loader.exists() => {
                return Err(BackendError::Missing {
                    item: "capsule loader",
                    path: loader,
                    hint: "load the capsule-loader module or set capsule_delivery = \"disk\"",
                })
            }
            CapsuleDelivery::Loader => Route::Loader(loader),
            CapsuleDelivery::Disk | CapsuleDelivery::PreferLoader => {
                Route::Disk(capsule::disk_target(ctx, fw_class)?)
            }
        };
        Ok(route)
    }
}

/// Returns the ESRT class GUID of a device from its physical id `esrt/<fw_class>`.
fn fw_class(device: &Device) -> Result<&str, BackendError> {
    device
        .physical_id
        .strip_prefix("esrt/")
        .filter(|fw_class| crate::guid::is_guid(fw_class))
        .ok_or_else(|| BackendError::UnsafeName {
            item: "ESRT physical id",
            value: device.physical_id.clone(),
        })
}

/// Reports whether the machine has booted since the capsule was staged: by boot id,
/// or where a boot id is missing, by the firmware having deleted the staged file.
fn has_rebooted(ctx: &Context, record: &PendingCapsule) -> bool {
    match (&record.boot_id, super::boot_id(&ctx.root)) {
        (Some(then), Some(now)) => *then != now,
        _ => record
            .staged
            .as_deref()
            .is_none_or(|staged| !staged.exists()),
    }
}

/// Withdraws the capsule of `release` from the ESP when no record names it. An apply
/// that stops after writing the capsule and before writing the record leaves one.
/// Returns None when the ESP contains no capsule with the release's SHA-256 for the
/// device.
fn withdraw_unrecorded(
    ctx: &Context,
    device: &Device,
    fw_class: &str,
    release: &Release,
) -> Option<Result<ApplyOutcome, BackendError>> {
    let esp = mounts::find_esp(&ctx.root, ctx.config.esp.as_deref()).ok()?;
    let staged = capsule::staged_path(&esp, fw_class);
    let hash = match super::files::file_sha256(&staged) {
        Ok(Some(hash)) => hash,
        Ok(None) => return None,
        Err(e) => return Some(Err(BackendError::io("reading capsule", &staged, e))),
    };
    if !hash.eq_ignore_ascii_case(&release.payload.sha256) {
        return None;
    }

    tracing::warn!(device = %device.id, release = %release.id, path = %staged.display(),
        "withdrawing a capsule that has no record");
    Some(capsule::unstage(ctx, &staged).map(|()| ApplyOutcome::Done))
}

fn save_record(ctx: &Context, fw_class: &str, record: &PendingCapsule) -> Result<(), BackendError> {
    let path = records::record_path(&ctx.state_dir, "uefi-capsule", fw_class)?;
    let saved = records::save(&path, record);
    if saved.is_err() {
        if let Some(staged) = &record.staged {
            let _ = capsule::unstage(ctx, staged);
        }
    }
    saved
}

/// Removes a capsule that the firmware left on the ESP and the record, once verify has
/// a final result after the reboot.
fn finish(ctx: &Context, fw_class: &str, record: &PendingCapsule) {
    if let Some(staged) = record.staged.as_deref().filter(|s| s.exists()) {
        tracing::warn!(path = %staged.display(), "firmware left the capsule on the ESP; removing it");
        if let Err(e) = capsule::unstage(ctx, staged) {
            tracing::warn!(error = %e, "could not remove the leftover capsule");
        }
    }
    let path = records::record_path(&ctx.state_dir, "uefi-capsule", fw_class);
    if let Err(e) = path.and_then(|path| records::delete(&path)) {
        tracing::warn!(error = %e, "could not remove the capsule record");
    }
}
