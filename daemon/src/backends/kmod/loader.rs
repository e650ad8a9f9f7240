//! Reloading a module with the configured commands, only when nothing uses it.

use std::path::Path;
use std::time::Duration;

use super::super::{command, records, ApplyOutcome, BackendError, Context};
use super::{install, record_path, Installed, Target};
use crate::device::Device;
use crate::inventory::sysfs::{list_dir, read_attr};

/// Returns the placeholder values of the depmod and loader commands.
pub fn placeholder_values<'a>(
    ctx: &'a Context,
    target: &'a Target,
    path: &'a Path,
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| match name {
        "root" => Some(ctx.root.base().display().to_string()),
        "kernel_release" => Some(target.kernel_release.clone()),
        "module" => Some(target.module.clone()),
        "path" => Some(path.display().to_string()),
        _ => None,
    }
}

/// Makes a newly installed module live: reloads it when unused, else records that it
/// loads at the next boot. A module that fails to load is rolled back at once.
pub fn activate(
    ctx: &Context,
    target: &Target,
    mut record: Installed,
    device: &Device,
) -> Result<ApplyOutcome, BackendError> {
    match reload(ctx, target, &record.installed) {
        Ok(ApplyOutcome::Done) => {
            tracing::info!(device = %device.id, release = %record.release_id, "reloaded kernel module");
            Ok(ApplyOutcome::Done)
        }
        Ok(ApplyOutcome::PendingReboot) => {
            record.pending_reboot = true;
            record.boot_id = super::super::boot_id(&ctx.root);
            records::save(&record_path(ctx, target)?, &record)?;
            tracing::info!(device = %device.id, release = %record.release_id,
                "kernel module is in use; the new one loads at the next boot");
            Ok(ApplyOutcome::PendingReboot)
        }
        Err(error) => Err(roll_back_failed_load(ctx, target, &record, error)),
    }
}

/// Restores the previous module after the new one failed to load.
fn roll_back_failed_load(
    ctx: &Context,
    target: &Target,
    record: &Installed,
    error: BackendError,
) -> BackendError {
    tracing::warn!(module = %target.module, error = %error, "module failed to load; rolling back");
    let rolled_back = install::restore(record)
        .and_then(|()| install::run_depmod(ctx, target, record))
        .and_then(|()| reload(ctx, target, &record.previous_or_installed()))
        .and_then(|_| install::forget(&record_path(ctx, target)?, record));
    BackendError::LoadFailed {
        module: target.module.clone(),
        detail: error.to_string(),
        rollback: rolled_back.err().map(Box::new),
    }
}

/// Unloads and loads the module when it is loaded and unused, or loads it when it is
/// not loaded. A module in use, or one that refuses to unload, stays as it is and
/// the outcome is `PendingReboot`.
pub fn reload(ctx: &Context, target: &Target, path: &Path) -> Result<ApplyOutcome, BackendError> {
    let timeout = Duration::from_secs(ctx.config.command_timeout_secs);
    let values = || placeholder_values(ctx, target, path);
    let dir = ctx.root.join("/sys/module").join(&target.module);

    // Only loaded modules have `initstate`; a built-in one was rejected earlier.
    if dir.join("initstate").exists() {
        if in_use(&dir) {
            return Ok(ApplyOutcome::PendingReboot);
        }
        if let Err(e) = command::run(&ctx.config.module_unload, values(), timeout) {
            tracing::warn!(module = %target.module, error = %e, "module did not unload");
            return Ok(ApplyOutcome::PendingReboot);
        }
    }
    command::run(&ctx.config.module_load, values(), timeout)?;
    Ok(ApplyOutcome::Done)
}

/// Reports whether a loaded module is used: a reference count other than 0, an
/// unreadable one, or another module listed in `holders/`.
fn in_use(dir: &Path) -> bool {
    let refcnt = read_attr(dir, "refcnt").and_then(|count| count.parse::<u64>().ok());
    refcnt != Some(0) || !list_dir(&dir.join("holders")).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_use_checks_refcnt_and_holders() {
        let dir = tempfile::tempdir().unwrap();
        assert!(in_use(dir.path()), "unknown refcnt counts as in use");

        std::fs::write(dir.path().join("refcnt"), "0\n").unwrap();
        assert!(!in_use(dir.path()));

        std::fs::create_dir_all(dir.path().join("holders/nvme_core")).unwrap();
        assert!(in_use(dir.path()));

        std::fs::remove_dir(dir.path().join("holders/nvme_core")).unwrap();
        std::fs::write(dir.path().join("refcnt"), "2\n").unwrap();
        assert!(in_use(dir.path()));
    }
}
