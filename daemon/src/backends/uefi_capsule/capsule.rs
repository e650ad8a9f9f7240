//! Staging a capsule: the header check, the file in `\EFI\UpdateCapsule`, the loader.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::super::files::{file_sha256, remove_synced, sha256, write_replace};
use super::super::{efivars, mounts, BackendError, Context};

/// Size of EFI_CAPSULE_HEADER: CapsuleGuid (16 bytes), then HeaderSize, Flags and
/// CapsuleImageSize as little-endian u32s.
const HEADER_LEN: usize = 28;

/// Folder of capsules on disk, relative to the ESP.
const CAPSULE_FOLDER: &str = "EFI/UpdateCapsule";

/// Checks that `bytes` start with an EFI_CAPSULE_HEADER that describes exactly them.
pub fn check_header(bytes: &[u8]) -> Result<(), String> {
    let field = |offset: usize| -> Option<u32> {
        let raw = bytes.get(offset..offset + 4)?;
        Some(u32::from_le_bytes(raw.try_into().ok()?))
    };
    let (Some(header_size), Some(image_size)) = (field(16), field(24)) else {
        return Err(format!(
            "it has {} bytes, fewer than the {HEADER_LEN}-byte EFI capsule header",
            bytes.len()
        ));
    };
    let length = bytes.len() as u64;
    if (header_size as usize) < HEADER_LEN || u64::from(header_size) > length {
        return Err(format!(
            "its capsule header size {header_size} is outside {HEADER_LEN}..={length}"
        ));
    }
    if u64::from(image_size) != length {
        return Err(format!(
            "its capsule header gives an image size of {image_size} bytes, but it has {length}"
        ));
    }
    Ok(())
}

/// Returns the ESP for capsule on disk after checking that the firmware supports it
/// and that no other capsule is staged there.
pub fn disk_target(ctx: &Context, fw_class: &str) -> Result<PathBuf, BackendError> {
    let esp = mounts::find_esp(&ctx.root, ctx.config.esp.as_deref())?;
    efivars::check_file_capsule_supported(&ctx.root)?;
    reject_other_capsules(&esp.join(CAPSULE_FOLDER), fw_class)?;
    Ok(esp)
}

/// Writes the capsule to `<esp>/EFI/UpdateCapsule/<fw_class>.cap` and sets OsIndications
/// so that the firmware processes it at the next boot. Staging the same capsule again changes nothing.
pub fn stage_on_disk(
    ctx: &Context,
    esp: &Path,
    fw_class: &str,
    bytes: &[u8],
) -> Result<PathBuf, BackendError> {
    let target = staged_path(esp, fw_class);
    let folder = crate::fsutil::parent_folder(&target);
    fs::create_dir_all(&folder).map_err(|e| BackendError::io("creating folder", &folder, e))?;
    reject_other_capsules(&folder, fw_class)?;

    let existing = file_sha256(&target).map_err(|e| BackendError::io("reading", &target, e))?;
    let written = match existing {
        Some(hash) if hash == sha256(bytes) => false,
        Some(_) => return Err(BackendError::CapsulePending { path: target }),
        None => {
            write_replace(&target, bytes, 0o644)
                .map_err(|e| BackendError::io("writing capsule", &target, e))?;
            true
        }
    };

    if let Err(error) = efivars::set_file_capsule_delivery(&ctx.root, true) {
        return Err(undo_write(&target, written, error));
    }
    Ok(target)
}

/// Returns `<esp>/EFI/UpdateCapsule/<fw_class>.cap`, where capsule on disk stages the
/// capsule of one ESRT entry.
pub fn staged_path(esp: &Path, fw_class: &str) -> PathBuf {
    esp.join(CAPSULE_FOLDER).join(format!("{fw_class}.cap"))
}

/// Removes a capsule written by this apply after a later step failed.
fn undo_write(target: &Path, written: bool, error: BackendError) -> BackendError {
    if !written {
        return error;
    }
    match remove_synced(target) {
        Ok(()) => error,
        Err(e) => {
            tracing::warn!(path = %target.display(), error = %e, "could not remove the capsule");
            error.changed()
        }
    }
}

/// Removes a staged capsule, and the OsIndications request once no capsule is left.
pub fn unstage(ctx: &Context, staged: &Path) -> Result<(), BackendError> {
    remove_synced(staged).map_err(|e| BackendError::io("removing capsule", staged, e))?;
    let folder = crate::fsutil::parent_folder(staged);
    if staged_capsules(&folder)?.is_empty() {
        efivars::set_file_capsule_delivery(&ctx.root, false)?;
    }
    Ok(())
}

/// Fails when a capsule other than `<fw_class>.cap` waits in `folder`, because only
/// one capsule is staged at a time.
fn reject_other_capsules(folder: &Path, fw_class: &str) -> Result<(), BackendError> {
    let own = format!("{fw_class}.cap");
    let other = staged_capsules(folder)?.into_iter().find(|path| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        !name.eq_ignore_ascii_case(&own)
    });
    match other {
        Some(path) => Err(BackendError::CapsulePending { path }),
        None => Ok(()),
    }
}

/// Lists the `.cap` files in `folder`; vfat names compare without case.
fn staged_capsules(folder: &Path) -> Result<Vec<PathBuf>, BackendError> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BackendError::io("listing", folder, e)),
    };
    let is_capsule = |path: &PathBuf| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        name.to_ascii_lowercase().ends_with(".cap") && path.is_file()
    };
    Ok(entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(is_capsule)
        .collect())
}

/// Passes the capsule to the kernel's capsule loader in one open-write-close session.
///
/// The loader takes at most a page per `write`, so `write_all` repeats until the whole
/// capsule is in. The kernel checks that the capsule is complete when the file is
/// closed, so the result of `close` is checked too.
pub fn write_to_loader(loader: &Path, bytes: &[u8]) -> Result<(), BackendError> {
    let mut file = OpenOptions::new()
        .write(true)
        .open(loader)
        .map_err(|e| BackendError::io("opening capsule loader", loader, e))?;
    file.write_all(bytes)
        .map_err(|e| BackendError::io("writing to capsule loader", loader, e))?;
    nix::unistd::close(file)
        .map_err(|e| BackendError::io("closing capsule loader", loader, e.into()).changed())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Builds a capsule of `total` bytes with a valid header.
    fn capsule(total: u32) -> Vec<u8> {
        let mut bytes = vec![0xab; total as usize];
        bytes[16..20].copy_from_slice(&28u32.to_le_bytes());
        bytes[20..24].copy_from_slice(&0x0005_0000u32.to_le_bytes());
        bytes[24..28].copy_from_slice(&total.to_le_bytes());
        bytes
    }

    #[test]
    fn header_accepts_matching_sizes() {
        check_header(&capsule(28)).unwrap();
        check_header(&capsule(4096)).unwrap();
    }

    #[test]
    fn header_rejects_truncated_and_mismatched() {
        assert!(check_header(&[]).unwrap_err().contains("fewer than"));
        assert!(check_header(&capsule(64)[..27]).is_err());

        let mut short_image = capsule(64);
        short_image[24..28].copy_from_slice(&63u32.to_le_bytes());
        assert!(check_header(&short_image)
            .unwrap_err()
            .contains("image size of 63"));

        let mut huge_header = capsule(64);
        huge_header[16..20].copy_from_slice(&65u32.to_le_bytes());
        assert!(check_header(&huge_header)
            .unwrap_err()
            .contains("header size 65"));

        let mut tiny_header = capsule(64);
        tiny_header[16..20].copy_from_slice(&8u32.to_le_bytes());
        assert!(check_header(&tiny_header).is_err());
    }

    proptest! {
        #[test]
        fn header_check_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = check_header(&bytes);
        }
    }
}
