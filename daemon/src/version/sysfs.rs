//! Normalization of version values as the kernel prints them in sysfs and procfs.

use thiserror::Error;

/// A Thunderbolt `nvm_version` attribute that is not `<major>.<minor>` in hex.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "invalid Thunderbolt nvm_version {value:?}: expected <major>.<minor> as hex bytes, \
     such as \"20.2\""
)]
pub struct InvalidNvmVersion {
    /// The rejected attribute text.
    pub value: String,
}

/// A CPU microcode revision that is not a `0x`-prefixed 32-bit hex number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "invalid microcode revision {value:?}: expected a 0x-prefixed 32-bit hex number, \
     such as \"0xa70410a\""
)]
pub struct InvalidMicrocodeRevision {
    /// The rejected text.
    pub value: String,
}

/// Pads a Thunderbolt `nvm_version` to two hex digits per field, as fwupd shows it.
///
/// The kernel prints the NVM major and minor bytes in hex without padding, so `20.2`
/// becomes `20.02` and `5.0` becomes `05.00`. Surrounding whitespace, such as the
/// trailing newline of a sysfs attribute, is ignored.
pub fn normalize_nvm_version(raw: &str) -> Result<String, InvalidNvmVersion> {
    let invalid = || InvalidNvmVersion {
        value: raw.to_owned(),
    };
    let (major, minor) = raw.trim().split_once('.').ok_or_else(invalid)?;
    let major = parse_hex_byte(major).ok_or_else(invalid)?;
    let minor = parse_hex_byte(minor).ok_or_else(invalid)?;
    Ok(format!("{major:02x}.{minor:02x}"))
}

/// Parses a microcode revision such as `0xa70410a` from `/proc/cpuinfo` or sysfs.
///
/// Surrounding whitespace is ignored. The `0x` prefix is required because a bare
/// `10` could be read as either decimal or hex.
pub fn parse_microcode_revision(raw: &str) -> Result<u32, InvalidMicrocodeRevision> {
    let invalid = || InvalidMicrocodeRevision {
        value: raw.to_owned(),
    };
    let trimmed = raw.trim();
    let digits = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .ok_or_else(invalid)?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    u32::from_str_radix(digits, 16).map_err(|_| invalid())
}

/// Renders a microcode revision in fwupd's `hex` format, such as `0x0a70410a`.
pub fn format_microcode_revision(revision: u32) -> String {
    format!("{revision:#010x}")
}

/// Parses one or two hex digits, as the kernel prints a byte with `%x`.
fn parse_hex_byte(text: &str) -> Option<u8> {
    let valid = (1..=2).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return None;
    }
    u8::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::{from_u32, VersionFormat};

    #[test]
    fn nvm_version_pads_both_fields() {
        let cases = [
            ("20.2", "20.02"),
            ("20.0", "20.00"),
            ("5.0", "05.00"),
            ("42.23", "42.23"),
        ];
        for (raw, expected) in cases {
            assert_eq!(normalize_nvm_version(raw).as_deref(), Ok(expected), "{raw}");
        }
    }

    #[test]
    fn nvm_version_ignores_trailing_newline() {
        assert_eq!(normalize_nvm_version("10.0\n").as_deref(), Ok("10.00"));
    }

    #[test]
    fn nvm_version_rejects_bad_shapes() {
        for raw in ["20", "20.", ".2", "1.2.3", "100.1", "g.1", "", "+1.2"] {
            assert!(normalize_nvm_version(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn nvm_version_error_names_attribute_and_value() {
        let message = normalize_nvm_version("20").unwrap_err().to_string();
        assert!(
            message.starts_with("invalid Thunderbolt nvm_version \"20\""),
            "{message}"
        );
    }

    #[test]
    fn microcode_parses_unpadded_hex() {
        assert_eq!(parse_microcode_revision("0xa70410a\n"), Ok(0x0a70_410a));
        assert_eq!(parse_microcode_revision("0x0a70410a"), Ok(0x0a70_410a));
        assert_eq!(parse_microcode_revision(" 0XFF "), Ok(0xff));
    }

    #[test]
    fn microcode_rejects_missing_prefix_and_overflow() {
        for raw in ["a70410a", "0x", "0x1_0", "0x100000000", "0x+1", ""] {
            assert!(parse_microcode_revision(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn microcode_renders_eight_digits() {
        assert_eq!(format_microcode_revision(0x0a70_410a), "0x0a70410a");
        assert_eq!(format_microcode_revision(0), "0x00000000");
    }

    #[test]
    fn microcode_rendering_matches_hex_format() {
        for revision in [0, 0xc8, 0x0a70_410a, u32::MAX] {
            let hex = from_u32(revision, VersionFormat::Hex).unwrap();
            assert_eq!(format_microcode_revision(revision), hex);
        }
    }
}
