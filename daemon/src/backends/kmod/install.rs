//! Module files: installing under `updates/`, the backup of the previous file, restoring.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::super::files::{copy_replace, file_sha256, remove_synced, sha256, write_replace};
use super::super::{command, records, BackendError, Context};
use super::{loader, record_path, Installed, Target};
use crate::catalog::document::Release;
use crate::fsutil::{create_private_dir, parent_folder};

/// File name endings of kernel modules, plain or compressed, as depmod finds them.
const EXTENSIONS: [&str; 4] = [".ko", ".ko.xz", ".ko.zst", ".ko.gz"];

/// Result of putting the new module file in place.
pub struct Install {
    pub record: Installed,
    /// True when the same file was already installed, so nothing changed.
    pub unchanged: bool,
}

/// Returns the file name ending for a module payload from its first bytes: an ELF
/// object, or an xz, zstd or gzip stream.
pub fn module_extension(bytes: &[u8]) -> Option<&'static str> {
    const MAGICS: [(&[u8], &str); 4] = [
        (b"\x7fELF", ".ko"),
        (b"\xfd7zXZ\x00", ".ko.xz"),
        (b"\x28\xb5\x2f\xfd", ".ko.zst"),
        (b"\x1f\x8b", ".ko.gz"),
    ];
    MAGICS
        .into_iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, extension)| extension)
}

/// Installs the module as `updates/<module><extension>`, after copying any file it
/// replaces to the state folder and recording both.
pub fn install(
    ctx: &Context,
    target: &Target,
    release: &Release,
    bytes: &[u8],
    extension: &str,
) -> Result<Install, BackendError> {
    let updates = target.modules_dir.join("updates");
    fs::create_dir_all(&updates).map_err(|e| BackendError::io("creating folder", &updates, e))?;
    let installed = updates.join(format!("{}{extension}", target.module));
    let existing = existing_files(&updates, &target.module)?;
    let record_path = record_path(ctx, target)?;

    let hash = sha256(bytes);
    let current =
        file_sha256(&installed).map_err(|e| BackendError::io("reading", &installed, e))?;
    if existing == [installed.clone()] && current.as_deref() == Some(hash.as_str()) {
        // The same file again: keep the record and backup of the first apply.
        let record = records::load(&record_path)?;
        let record = record.unwrap_or_else(|| new_record(release, &installed, &hash, None, None));
        return Ok(Install {
            record,
            unchanged: true,
        });
    }

    let previous = existing.into_iter().next();
    let backup = previous
        .as_ref()
        .map(|_| record_path.with_extension("backup"));
    if let (Some(previous), Some(backup)) = (&previous, &backup) {
        let folder = parent_folder(backup);
        create_private_dir(&folder).map_err(|e| BackendError::io("creating folder", &folder, e))?;
        copy_replace(previous, backup, 0o600)
            .map_err(|e| BackendError::io("backing up module", previous, e))?;
    }
    let record = new_record(release, &installed, &hash, previous, backup);
    records::save(&record_path, &record)?;
    put_in_place(&record_path, &record, bytes)?;
    Ok(Install {
        record,
        unchanged: false,
    })
}

fn new_record(
    release: &Release,
    installed: &Path,
    hash: &str,
    previous: Option<PathBuf>,
    backup: Option<PathBuf>,
) -> Installed {
    Installed {
        release_id: release.id.clone(),
        version: release.version.clone(),
        installed: installed.to_path_buf(),
        sha256: hash.to_string(),
        previous,
        backup,
        pending_reboot: false,
        boot_id: None,
    }
}

/// Writes the new file, then removes a previous file with another ending so that
/// depmod finds one file for the module.
fn put_in_place(record_path: &Path, record: &Installed, bytes: &[u8]) -> Result<(), BackendError> {
    if let Err(e) = write_replace(&record.installed, bytes, 0o644) {
        let _ = forget(record_path, record);
        return Err(BackendError::io("installing module", &record.installed, e));
    }
    let replaced = record.previous.as_ref().filter(|p| **p != record.installed);
    match replaced.map(|previous| remove_synced(previous).map_err(|e| (previous, e))) {
        Some(Err((previous, e))) => Err(BackendError::io("removing", previous, e).changed()),
        _ => Ok(()),
    }
}

/// Lists `updates/<module>.ko*` files; more than one is an error because depmod would
/// pick one of them by its own rules.
fn existing_files(updates: &Path, module: &str) -> Result<Vec<PathBuf>, BackendError> {
    let files: Vec<PathBuf> = EXTENSIONS
        .iter()
        .map(|extension| updates.join(format!("{module}{extension}")))
        .filter(|path| path.exists())
        .collect();
    if files.len() > 1 {
        return Err(BackendError::InvalidState {
            item: "module files",
            path: updates.to_path_buf(),
            reason: format!(
                "{} files exist for module {module}; keep only one",
                files.len()
            ),
        });
    }
    Ok(files)
}

/// Puts the previous file back from the backup and removes the installed one.
pub fn restore(record: &Installed) -> Result<(), BackendError> {
    if let (Some(previous), Some(backup)) = (&record.previous, &record.backup) {
        copy_replace(backup, previous, 0o644)
            .map_err(|e| BackendError::io("restoring module", previous, e).changed())?;
    }
    if record.previous.as_ref() != Some(&record.installed) {
        remove_synced(&record.installed)
            .map_err(|e| BackendError::io("removing module", &record.installed, e).changed())?;
    }
    Ok(())
}

/// Deletes the record and the backup once nothing can be rolled back any more.
pub fn forget(record_path: &Path, record: &Installed) -> Result<(), BackendError> {
    if let Some(backup) = &record.backup {
        remove_synced(backup).map_err(|e| BackendError::io("removing backup", backup, e))?;
    }
    records::delete(record_path)
}

/// Runs the configured depmod command for the target's kernel.
pub fn run_depmod(ctx: &Context, target: &Target, record: &Installed) -> Result<(), BackendError> {
    let timeout = Duration::from_secs(ctx.config.command_timeout_secs);
    let values = loader::placeholder_values(ctx, target, &record.installed);
    command::run(&ctx.config.depmod, values, timeout)
}

/// Runs depmod after an install. When depmod fails, restores the previous files and
/// rebuilds the index for them, so that the error reports no change if both work.
pub fn depmod_or_restore(
    ctx: &Context,
    target: &Target,
    record: &Installed,
) -> Result<(), BackendError> {
    let Err(error) = run_depmod(ctx, target, record) else {
        return Ok(());
    };
    let undone = restore(record).and_then(|()| run_depmod(ctx, target, record));
    match undone {
        Ok(()) => {
            let _ = forget(&record_path(ctx, target)?, record);
            Err(error)
        }
        Err(undo_error) => {
            tracing::warn!(error = %undo_error, "could not restore the previous module");
            Err(error.changed())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_follows_magic() {
        assert_eq!(module_extension(b"\x7fELF\x02\x01"), Some(".ko"));
        assert_eq!(module_extension(b"\xfd7zXZ\x00\x00"), Some(".ko.xz"));
        assert_eq!(module_extension(b"\x28\xb5\x2f\xfd\x00"), Some(".ko.zst"));
        assert_eq!(module_extension(b"\x1f\x8b\x08"), Some(".ko.gz"));
        assert_eq!(module_extension(b"version=1.0"), None);
        assert_eq!(module_extension(b""), None);
    }
}
