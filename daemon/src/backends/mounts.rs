//! Finding the EFI system partition: from the config or from the mount table.

use std::path::PathBuf;

use super::BackendError;
use crate::root::Root;

/// Mount points where distributions mount the ESP, in order of preference.
const ESP_MOUNT_POINTS: [&str; 3] = ["/boot/efi", "/efi", "/boot"];

/// Largest mount table read.
const MAX_MOUNTS_BYTES: u64 = 1024 * 1024;

/// One line of `/proc/self/mounts`, with the kernel's octal escapes decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub source: String,
    pub mount_point: String,
    pub fs_type: String,
}

/// Returns the ESP folder under the root: the configured path, else the vfat mount
/// at the first of `/boot/efi`, `/efi` and `/boot` that the mount table lists.
pub fn find_esp(
    root: &Root,
    configured: Option<&std::path::Path>,
) -> Result<PathBuf, BackendError> {
    let system_path = match configured {
        Some(path) => path.to_string_lossy().into_owned(),
        None => esp_from_mounts(root)?.to_string(),
    };
    let esp = root.join(&system_path);
    if !esp.is_dir() {
        return Err(BackendError::Missing {
            item: "EFI system partition",
            path: esp,
            hint: "mount the ESP or set [backends] esp in hwupd.toml",
        });
    }
    Ok(esp)
}

fn esp_from_mounts(root: &Root) -> Result<&'static str, BackendError> {
    let path = root.join("/proc/self/mounts");
    let text = read_text(&path)?;
    let mounts = parse_mounts(&text);
    let is_vfat_at = |point: &str| {
        mounts
            .iter()
            .any(|m| m.mount_point == point && m.fs_type == "vfat")
    };
    ESP_MOUNT_POINTS
        .into_iter()
        .find(|point| is_vfat_at(point))
        .ok_or(BackendError::Missing {
            item: "vfat mount at /boot/efi, /efi or /boot",
            path,
            hint: "mount the ESP or set [backends] esp in hwupd.toml",
        })
}

fn read_text(path: &std::path::Path) -> Result<String, BackendError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_MOUNTS_BYTES).read_to_end(&mut bytes))
        .map_err(|e| BackendError::io("reading mount table", path, e))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Parses a mount table in the `/proc/self/mounts` format. Lines with fewer than
/// three fields are skipped.
pub fn parse_mounts(text: &str) -> Vec<Mount> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Mount> {
    let mut fields = line.split([' ', '\t']).filter(|f| !f.is_empty());
    Some(Mount {
        source: unescape(fields.next()?),
        mount_point: unescape(fields.next()?),
        fs_type: unescape(fields.next()?),
    })
}

/// Decodes the kernel's `\ooo` octal escapes, used for space, tab, newline and `\`.
/// A backslash not followed by three octal digits is kept as it is.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut output = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match octal_escape(&bytes[i..]) {
            Some(byte) => {
                output.push(byte);
                i += 4;
            }
            None => {
                output.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&output).into_owned()
}

fn octal_escape(bytes: &[u8]) -> Option<u8> {
    let [b'\\', digits @ ..] = bytes.get(..4)? else {
        return None;
    };
    let value = digits.iter().try_fold(0u16, |value, &digit| {
        (b'0'..=b'7')
            .contains(&digit)
            .then(|| value * 8 + u16::from(digit - b'0'))
    })?;
    u8::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TABLE: &str = "\
/dev/nvme0n1p2 / ext4 rw,relatime 0 0
proc /proc proc rw,nosuid 0 0
/dev/nvme0n1p3 /boot ext4 rw 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,fmask=0077 0 0
/dev/sdb1 /media/USB\\040STICK vfat rw 0 0
";

    #[test]
    fn parse_decodes_escapes() {
        let mounts = parse_mounts(TABLE);
        assert_eq!(mounts.len(), 5);
        assert_eq!(mounts[3].mount_point, "/boot/efi");
        assert_eq!(mounts[3].fs_type, "vfat");
        assert_eq!(mounts[4].mount_point, "/media/USB STICK");
    }

    #[test]
    fn parse_skips_short_lines() {
        assert_eq!(parse_mounts("\n/dev/sda1 /boot\nnone\n"), []);
    }

    #[test]
    fn unescape_keeps_invalid_escapes() {
        assert_eq!(unescape("a\\040b"), "a b");
        assert_eq!(unescape("a\\134b"), "a\\b");
        assert_eq!(unescape("a\\9b"), "a\\9b");
        assert_eq!(unescape("a\\777"), "a\\777");
        assert_eq!(unescape("end\\04"), "end\\04");
    }

    #[test]
    fn esp_prefers_boot_efi_over_boot() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        std::fs::create_dir_all(root.join("/proc/self")).unwrap();
        std::fs::create_dir_all(root.join("/boot/efi")).unwrap();
        let table = "/dev/a /boot vfat rw 0 0\n/dev/b /boot/efi vfat rw 0 0\n";
        std::fs::write(root.join("/proc/self/mounts"), table).unwrap();
        assert_eq!(find_esp(&root, None).unwrap(), root.join("/boot/efi"));
    }

    #[test]
    fn esp_requires_vfat() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        std::fs::create_dir_all(root.join("/proc/self")).unwrap();
        std::fs::write(root.join("/proc/self/mounts"), "/dev/a /boot ext4 rw 0 0\n").unwrap();
        let error = find_esp(&root, None).unwrap_err().to_string();
        assert!(error.contains("vfat mount"), "{error}");
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = parse_mounts(&text);
        }

        #[test]
        fn parse_never_panics_on_escapes(text in "[a-z \\\\0-9\n]{0,120}") {
            for mount in parse_mounts(&text) {
                prop_assert!(!mount.mount_point.is_empty());
            }
        }
    }
}
