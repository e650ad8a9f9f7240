//! Reading sysfs attributes: bounded reads, padding trimmed, missing values tolerated.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest attribute read. sysfs text attributes fit in one 4 KiB page; the
/// margin covers procfs files such as `/proc/cpuinfo`, read elsewhere.
const MAX_ATTRIBUTE_BYTES: u64 = 4096;

/// Reads one attribute, trimmed of whitespace, NULs and padding.
///
/// Returns `None` when the file is missing, unreadable or blank, so one bad
/// attribute never aborts a scan.
pub fn read_attr(dir: &Path, name: &str) -> Option<String> {
    let mut bytes = Vec::new();
    File::open(dir.join(name))
        .ok()?
        .take(MAX_ATTRIBUTE_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    clean_value(&bytes)
}

/// Trims a raw firmware string: NULs end it, surrounding whitespace goes, and
/// non-UTF-8 bytes become U+FFFD. Returns `None` for an empty result.
pub fn clean_value(raw: &[u8]) -> Option<String> {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    let text = String::from_utf8_lossy(&raw[..end]);
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// Parses an attribute written as hex with or without `0x`, such as `0x8086` or `093a`.
pub fn read_hex(dir: &Path, name: &str) -> Option<u64> {
    let value = read_attr(dir, name)?;
    let digits = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
        .unwrap_or(&value);
    u64::from_str_radix(digits, 16).ok()
}

/// Parses a decimal attribute such as an ESRT `fw_version`.
pub fn read_u64(dir: &Path, name: &str) -> Option<u64> {
    read_attr(dir, name)?.parse().ok()
}

/// Returns the last component of the symlink `dir/name`, such as a bound driver's name.
pub fn link_name(dir: &Path, name: &str) -> Option<String> {
    let target = fs::read_link(dir.join(name)).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// Lists the entries of a folder sorted by name; a missing folder gives an empty list.
pub fn list_dir(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    paths
}

/// Returns the file name of a path as text.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn clean_value_trims_padding() {
        assert_eq!(
            clean_value(b"THNSN5512GPU7 TOSHIBA   \n").as_deref(),
            Some("THNSN5512GPU7 TOSHIBA")
        );
        assert_eq!(clean_value(b" 1.10\n").as_deref(), Some("1.10"));
        assert_eq!(
            clean_value(b"GJET75WW (2.25 )\n").as_deref(),
            Some("GJET75WW (2.25 )")
        );
    }

    #[test]
    fn clean_value_stops_at_nul() {
        assert_eq!(clean_value(b"ABC\0\0garbage").as_deref(), Some("ABC"));
        assert_eq!(clean_value(b"\0\0\0"), None);
        assert_eq!(clean_value(b"   \n"), None);
    }

    #[test]
    fn clean_value_replaces_invalid_utf8() {
        assert_eq!(clean_value(b"A\xffB").as_deref(), Some("A\u{fffd}B"));
    }

    fn is_padding(c: char) -> bool {
        c.is_whitespace() || c.is_control()
    }

    proptest! {
        #[test]
        fn clean_value_returns_trimmed_text(raw in vec(any::<u8>(), 0..64)) {
            if let Some(value) = clean_value(&raw) {
                prop_assert!(!value.contains('\0'));
                prop_assert!(!value.starts_with(is_padding));
                prop_assert!(!value.ends_with(is_padding));
            }
        }

        #[test]
        fn clean_value_strips_padding(
            text in "[!-~]([ -~]{0,30}[!-~])?",
            leading in "[ \t]{0,8}",
            trailing in "[ \n]{0,20}",
            after_nul in vec(any::<u8>(), 0..8),
        ) {
            let mut raw = format!("{leading}{text}{trailing}").into_bytes();
            prop_assert_eq!(clean_value(&raw), Some(text.clone()));

            raw.push(0);
            raw.extend(after_nul);
            prop_assert_eq!(clean_value(&raw), Some(text.clone()));
        }
    }
}
