//! UEFI variables through efivarfs: OsIndicationsSupported and OsIndications.
//!
//! An efivarfs file contains the variable's attributes as a 4-byte little-endian integer
//! followed by the data, and a write must pass both in one `write` call. The kernel
//! marks most variable files immutable, so the flag is cleared before a write.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::libc::c_int;

use super::BackendError;
use crate::root::Root;

/// Vendor GUID of the variables that the UEFI specification defines.
pub const EFI_GLOBAL_VARIABLE: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

/// OsIndications bit that requests processing of the capsules in
/// `\EFI\UpdateCapsule` at the next boot (EFI_OS_INDICATIONS_FILE_CAPSULE_DELIVERY_SUPPORTED).
pub const FILE_CAPSULE_DELIVERY: u64 = 0x4;

/// EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS.
const OS_INDICATIONS_ATTRIBUTES: u32 = 0x7;

/// FS_IMMUTABLE_FL from `linux/fs.h`.
const FS_IMMUTABLE_FL: c_int = 0x10;

/// Largest variable read; the variables read here hold 8 bytes.
const MAX_VARIABLE_BYTES: u64 = 64 * 1024;

/// Returns the efivarfs file of a global variable such as `OsIndications`.
pub fn variable_path(root: &Root, name: &str) -> PathBuf {
    root.join("/sys/firmware/efi/efivars")
        .join(format!("{name}-{EFI_GLOBAL_VARIABLE}"))
}

/// Fails unless OsIndicationsSupported has the capsule-on-disk bit.
pub fn check_file_capsule_supported(root: &Root) -> Result<(), BackendError> {
    let path = variable_path(root, "OsIndicationsSupported");
    let unsupported = |reason: String| BackendError::FirmwareUnsupported {
        feature: "capsule on disk",
        path: path.clone(),
        reason,
    };
    let supported = read_u64(&path)?.ok_or_else(|| unsupported("does not exist".into()))?;
    if supported & FILE_CAPSULE_DELIVERY == 0 {
        let reason = format!("is {supported:#x}, without bit 2 ({FILE_CAPSULE_DELIVERY:#x})");
        return Err(unsupported(reason));
    }
    Ok(())
}

/// Sets or clears the capsule-on-disk bit of OsIndications, keeping the other bits.
/// Returns whether the variable was written.
pub fn set_file_capsule_delivery(root: &Root, enabled: bool) -> Result<bool, BackendError> {
    let path = variable_path(root, "OsIndications");
    let current = read_u64(&path)?.unwrap_or(0);
    let requested = match enabled {
        true => current | FILE_CAPSULE_DELIVERY,
        false => current & !FILE_CAPSULE_DELIVERY,
    };
    if requested == current {
        return Ok(false);
    }
    write_u64(&path, OS_INDICATIONS_ATTRIBUTES, requested)?;
    tracing::info!(path = %path.display(), value = format_args!("{requested:#x}"), "set OsIndications");
    Ok(true)
}

/// Reads a variable whose data is one u64, or None when it does not exist.
pub fn read_u64(path: &Path) -> Result<Option<u64>, BackendError> {
    let mut bytes = Vec::new();
    let read = File::open(path).and_then(|f| f.take(MAX_VARIABLE_BYTES).read_to_end(&mut bytes));
    match read {
        Ok(_) => decode_u64(&bytes)
            .map(Some)
            .map_err(|reason| BackendError::InvalidState {
                item: "UEFI variable",
                path: path.to_path_buf(),
                reason,
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BackendError::io("reading UEFI variable", path, e)),
    }
}

/// Decodes an efivarfs file of a u64 variable: 4 attribute bytes, then 8 data bytes.
pub fn decode_u64(bytes: &[u8]) -> Result<u64, String> {
    let data: [u8; 8] = bytes
        .get(4..)
        .and_then(|data| data.try_into().ok())
        .ok_or_else(|| {
            format!(
                "expected 12 bytes (attributes and a u64), found {}",
                bytes.len()
            )
        })?;
    Ok(u64::from_le_bytes(data))
}

/// Encodes attributes and a u64 value as one efivarfs write.
pub fn encode_u64(attributes: u32, value: u64) -> [u8; 12] {
    let mut bytes = [0; 12];
    bytes[..4].copy_from_slice(&attributes.to_le_bytes());
    bytes[4..].copy_from_slice(&value.to_le_bytes());
    bytes
}

fn write_u64(path: &Path, attributes: u32, value: u64) -> Result<(), BackendError> {
    let was_immutable = make_mutable(path)?;

    // No truncation: efivarfs replaces the variable's whole value on each write.
    let written = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .and_then(|mut file| file.write_all(&encode_u64(attributes, value)));
    let restored = match was_immutable {
        true => set_immutable(path, true),
        false => Ok(()),
    };
    written.map_err(|e| BackendError::io("writing UEFI variable", path, e))?;
    restored
}

/// Clears the immutable flag of an existing file and returns whether it was set.
/// File systems without the flag, such as tmpfs under a fixture root, count as
/// mutable.
fn make_mutable(path: &Path) -> Result<bool, BackendError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(BackendError::io("opening UEFI variable", path, e)),
    };
    let flags = match iflags::get(&file) {
        Ok(flags) => flags,
        Err(Errno::ENOTTY | Errno::EOPNOTSUPP) => return Ok(false),
        Err(e) => return Err(BackendError::io("reading file flags of", path, e.into())),
    };
    if flags & FS_IMMUTABLE_FL == 0 {
        return Ok(false);
    }
    iflags::set(&file, flags & !FS_IMMUTABLE_FL)
        .map_err(|e| BackendError::io("clearing the immutable flag of", path, e.into()))?;
    Ok(true)
}

fn set_immutable(path: &Path, immutable: bool) -> Result<(), BackendError> {
    let file = File::open(path).map_err(|e| BackendError::io("opening UEFI variable", path, e))?;
    let flags = iflags::get(&file)
        .map_err(|e| BackendError::io("reading file flags of", path, e.into()))?;
    let flags = match immutable {
        true => flags | FS_IMMUTABLE_FL,
        false => flags & !FS_IMMUTABLE_FL,
    };
    iflags::set(&file, flags)
        .map_err(|e| BackendError::io("setting file flags of", path, e.into()).changed())
}

/// The inode flag ioctls of `ioctl_iflags(2)`.
mod iflags {
    use super::*;

    // The request numbers encode a `long`, but the kernel reads and writes an int:
    // ioctl_iflags(2) documents the argument as `int *`.
    nix::ioctl_read_bad!(fs_ioc_getflags, nix::libc::FS_IOC_GETFLAGS, c_int);
    nix::ioctl_write_ptr_bad!(fs_ioc_setflags, nix::libc::FS_IOC_SETFLAGS, c_int);

    #[allow(unsafe_code)]
    pub fn get(file: &File) -> Result<c_int, Errno> {
        let mut flags: c_int = 0;
        // SAFETY: the descriptor is open for the call, and the kernel writes one int
        // into `flags`, which lives until the call returns.
        unsafe { fs_ioc_getflags(file.as_raw_fd(), &mut flags) }?;
        Ok(flags)
    }

    #[allow(unsafe_code)]
    pub fn set(file: &File, flags: c_int) -> Result<(), Errno> {
        // SAFETY: the descriptor is open for the call, and the kernel reads one int
        // from `flags`, which lives until the call returns.
        unsafe { fs_ioc_setflags(file.as_raw_fd(), &flags) }?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn write_variable(root: &Root, name: &str, value: u64) {
        let path = variable_path(root, name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, encode_u64(7, value)).unwrap();
    }

    #[test]
    fn decode_rejects_wrong_sizes() {
        assert!(decode_u64(&[]).is_err());
        assert!(decode_u64(&[7, 0, 0, 0, 1]).is_err());
        assert!(decode_u64(&[0; 13]).is_err());
        assert_eq!(decode_u64(&encode_u64(7, 0x45)), Ok(0x45));
    }

    #[test]
    fn set_bit_keeps_other_bits() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        write_variable(&root, "OsIndications", 0x41);

        assert!(set_file_capsule_delivery(&root, true).unwrap());
        let bytes = std::fs::read(variable_path(&root, "OsIndications")).unwrap();
        assert_eq!(bytes, encode_u64(7, 0x45));
        assert!(!set_file_capsule_delivery(&root, true).unwrap());

        assert!(set_file_capsule_delivery(&root, false).unwrap());
        let value = read_u64(&variable_path(&root, "OsIndications")).unwrap();
        assert_eq!(value, Some(0x41));
    }

    #[test]
    fn set_bit_creates_missing_variable() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        std::fs::create_dir_all(root.join("/sys/firmware/efi/efivars")).unwrap();
        assert!(set_file_capsule_delivery(&root, true).unwrap());
        let value = read_u64(&variable_path(&root, "OsIndications")).unwrap();
        assert_eq!(value, Some(FILE_CAPSULE_DELIVERY));
    }

    #[test]
    fn supported_bit_is_required() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        let error = check_file_capsule_supported(&root).unwrap_err().to_string();
        assert!(error.contains("does not exist"), "{error}");

        write_variable(&root, "OsIndicationsSupported", 0x1);
        let error = check_file_capsule_supported(&root).unwrap_err().to_string();
        assert!(error.contains("without bit 2"), "{error}");

        write_variable(&root, "OsIndicationsSupported", 0x5);
        check_file_capsule_supported(&root).unwrap();
    }

    #[test]
    fn set_bit_clears_and_restores_immutable_flag() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        write_variable(&root, "OsIndications", 0x1);
        let path = variable_path(&root, "OsIndications");

        // Setting the flag needs CAP_LINUX_IMMUTABLE and a file system with inode
        // flags, such as ext4 as root. Elsewhere this case cannot be built.
        if set_immutable(&path, true).is_err() {
            eprintln!(
                "skipped: cannot set the immutable flag on {}",
                path.display()
            );
            return;
        }
        let written = set_file_capsule_delivery(&root, true);
        let still_immutable = make_mutable(&path);

        assert!(written.unwrap());
        assert!(
            still_immutable.unwrap(),
            "the flag is set again after the write"
        );
        assert_eq!(read_u64(&path).unwrap(), Some(0x5));
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
            let _ = decode_u64(&bytes);
        }
    }
}
