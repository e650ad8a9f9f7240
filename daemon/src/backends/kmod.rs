//! The `kmod` method: install a kernel module under `updates/`, run depmod, and reload
//! it when nothing uses it, keeping the previous file for rollback.

mod install;
mod loader;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{read_payload, safe_name};
use super::{check_target, records, versions};
use super::{ApplyOutcome, Backend, BackendError, Context, Verification};
use crate::catalog::document::{InstallMethod, Release};
use crate::device::{Device, DeviceKind};
use crate::inventory::sysfs::read_attr;

/// Kernel module updates.
pub struct Kmod;

/// The module that a device stands for and the kernel it is installed for.
struct Target {
    module: String,
    kernel_release: String,
    /// `<root>/lib/modules/<kernel_release>`.
    modules_dir: PathBuf,
}

/// Record of the files that apply changed, kept until the next apply so that rollback
/// can undo the change.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Installed {
    release_id: String,
    version: String,
    /// The new module file under `updates/`.
    installed: PathBuf,
    sha256: String,
    /// Original path of the module file that the new one replaced, if any.
    previous: Option<PathBuf>,
    /// The copy of that file in the state folder.
    backup: Option<PathBuf>,
    /// Whether the module was in use, so the new file loads only at the next boot.
    pending_reboot: bool,
    boot_id: Option<String>,
}

impl Backend for Kmod {
    fn method(&self) -> InstallMethod {
        InstallMethod::Kmod
    }

    fn check(&self, ctx: &Context, device: &Device, release: &Release) -> Result<(), BackendError> {
        check_target(
            device,
            release,
            InstallMethod::Kmod,
            DeviceKind::KernelModule,
        )?;
        target(ctx, device).map(drop)
    }

    fn apply(
        &self,
        ctx: &Context,
        device: &Device,
        payload: &Path,
        release: &Release,
    ) -> Result<ApplyOutcome, BackendError> {
        self.check(ctx, device, release)?;
        let target = target(ctx, device)?;
        let bytes = read_payload(payload)?;
        let extension = install::module_extension(&bytes).ok_or_else(|| {
            let reason = "it is neither an ELF module nor xz, zstd or gzip compressed".into();
            BackendError::InvalidPayload {
                path: payload.to_path_buf(),
                reason,
            }
        })?;

        let installed = install::install(ctx, &target, release, &bytes, extension)?;
        if installed.unchanged && loaded_version_matches(ctx, &target, release) {
            tracing::info!(device = %device.id, release = %release.id, "module already installed and loaded");
            return Ok(ApplyOutcome::Done);
        }
        install::depmod_or_restore(ctx, &target, &installed.record)?;
        tracing::info!(device = %device.id, release = %release.id,
            path = %installed.record.installed.display(), "installed kernel module");
        loader::activate(ctx, &target, installed.record, device)
    }

    fn verify(&self, ctx: &Context, device: &Device, release: &Release) -> Verification {
        let target = match target(ctx, device) {
            Ok(target) => target,
            Err(e) => {
                return Verification::Failed {
                    reason: e.to_string(),
                }
            }
        };
        let subject = format!("kernel module {}", target.module);
        let verification =
            versions::verify_equal(&subject, loaded_version(ctx, &target).as_deref(), release);
        match verification {
            Verification::Failed { reason } if waits_for_reboot(ctx, &target) => {
                let reason = format!("{reason}; the new module loads at the next boot");
                Verification::Pending { reason }
            }
            other => other,
        }
    }

    fn rollback(
        &self,
        ctx: &Context,
        device: &Device,
        _release: &Release,
    ) -> Result<ApplyOutcome, BackendError> {
        let target = target(ctx, device)?;
        let path = record_path(ctx, &target)?;
        let record: Installed =
            records::load(&path)?.ok_or_else(|| BackendError::NothingToRollBack {
                device: device.id.clone(),
                method: "kmod".into(),
                reason: "hwupd has installed no module for it",
            })?;

        install::restore(&record)?;
        install::run_depmod(ctx, &target, &record).map_err(BackendError::changed)?;
        let outcome = loader::reload(ctx, &target, &record.previous_or_installed())
            .map_err(BackendError::changed)?;
        // The previous module is back by now, so a failure here still changed the state.
        install::forget(&path, &record).map_err(BackendError::changed)?;
        tracing::info!(device = %device.id, release = %record.release_id, ?outcome,
            "rolled back kernel module");
        Ok(outcome)
    }
}

impl Installed {
    /// Returns the file that loads after a rollback: the previous one, else the installed path.
    fn previous_or_installed(&self) -> PathBuf {
        self.previous
            .clone()
            .unwrap_or_else(|| self.installed.clone())
    }
}

/// Reads the module name and kernel release of a kernel-module device.
fn target(ctx: &Context, device: &Device) -> Result<Target, BackendError> {
    let not_applicable =
        |reason: String| BackendError::not_applicable(device, &InstallMethod::Kmod, reason);
    let driver = device
        .driver
        .as_ref()
        .ok_or_else(|| not_applicable("the device names no kernel module".into()))?;
    if driver.builtin {
        let reason = format!(
            "module {} is built into the kernel; only a kernel update changes it",
            driver.module
        );
        return Err(not_applicable(reason));
    }
    let module = module_name(&driver.module)?;
    let kernel_release = kernel_release(ctx, device)?;
    let modules_dir = ctx.root.join("/lib/modules").join(&kernel_release);
    if !modules_dir.is_dir() {
        return Err(BackendError::Missing {
            item: "module folder of the running kernel",
            path: modules_dir,
            hint: "install the kernel's modules package",
        });
    }
    Ok(Target {
        module,
        kernel_release,
        modules_dir,
    })
}

/// Accepts module names as the kernel writes them: ASCII letters, digits, `_` and `-`.
fn module_name(name: &str) -> Result<String, BackendError> {
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    match !name.is_empty() && name.len() <= 64 && name.chars().all(valid) {
        true => Ok(name.to_string()),
        false => Err(BackendError::UnsafeName {
            item: "kernel module name",
            value: name.to_string(),
        }),
    }
}

fn kernel_release(ctx: &Context, device: &Device) -> Result<String, BackendError> {
    let release = device
        .attributes
        .get("kernel_release")
        .cloned()
        .or_else(|| read_attr(&ctx.root.join("/proc/sys/kernel"), "osrelease"))
        .ok_or_else(|| BackendError::Missing {
            item: "kernel release",
            path: ctx.root.join("/proc/sys/kernel/osrelease"),
            hint: "rescan the inventory on a running Linux system",
        })?;
    safe_name("kernel release", &release).map(str::to_string)
}

fn record_path(ctx: &Context, target: &Target) -> Result<PathBuf, BackendError> {
    let key = format!("{}@{}", target.module, target.kernel_release);
    records::record_path(&ctx.state_dir, "kmod", &key)
}

/// Returns the loaded module's `version`, or its `srcversion` when it declares none.
fn loaded_version(ctx: &Context, target: &Target) -> Option<String> {
    let dir = ctx.root.join("/sys/module").join(&target.module);
    read_attr(&dir, "version").or_else(|| read_attr(&dir, "srcversion"))
}

fn loaded_version_matches(ctx: &Context, target: &Target, release: &Release) -> bool {
    let loaded = loaded_version(ctx, target);
    let subject = "kernel module";
    versions::verify_equal(subject, loaded.as_deref(), release) == Verification::Succeeded
}

/// Reports whether the last apply left the module for the next boot, which has not
/// happened yet.
fn waits_for_reboot(ctx: &Context, target: &Target) -> bool {
    let record = record_path(ctx, target).and_then(|path| records::load::<Installed>(&path));
    let Ok(Some(record)) = record else {
        return false;
    };
    // Without boot ids there is no telling whether the machine has rebooted, so the
    // update counts as failed rather than pending forever.
    let now = super::boot_id(&ctx.root);
    record.pending_reboot && record.boot_id.is_some() && record.boot_id == now
}
