//! Comparison of two version strings by format, following fwupd's rules.

use std::cmp::Ordering;

use super::format::VersionFormat;
use super::parsed::ParsedVersion;

/// Compares two versions written in `format`.
///
/// `plain` compares bytes. Every other format splits on dots and compares field by
/// field: first the leading integer, then the text after it, where `~` sorts before
/// the end of the field (`1.2.3~rc1` < `1.2.3` < `1.2.3a`) and a version with fewer
/// fields sorts first when the shared fields are equal (`1.2.3` < `1.2.3.1`). `hex`
/// first renders raw integers as `0x` plus 8 hex digits, so `0x2` equals `0x00000002`.
///
/// To compare one version against many, parse it once with `ParsedVersion::new`.
pub fn compare(a: &str, b: &str, format: VersionFormat) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    ParsedVersion::new(a, format).cmp(&ParsedVersion::new(b, format))
}

/// Compares two versions that may be missing, returning `None` when either is.
///
/// fwupd returns `G_MAXINT` for a missing version in every format but `plain`, where
/// it sorts a missing version first. Here `plain` also returns `None`.
pub fn compare_optional(
    a: Option<&str>,
    b: Option<&str>,
    format: VersionFormat,
) -> Option<Ordering> {
    Some(compare(a?, b?, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ignores_zero_padding() {
        assert_eq!(
            compare("0x00000002", "0x2", VersionFormat::Hex),
            Ordering::Equal
        );
    }

    #[test]
    fn triplet_treats_fields_as_numbers() {
        assert_eq!(
            compare("1.2.10", "1.2.9", VersionFormat::Triplet),
            Ordering::Greater
        );
    }

    #[test]
    fn plain_treats_text_as_bytes() {
        assert_eq!(
            compare("1.2.10", "1.2.9", VersionFormat::Plain),
            Ordering::Less
        );
    }

    #[test]
    fn missing_version_is_none() {
        assert_eq!(
            compare_optional(None, Some("1"), VersionFormat::Plain),
            None
        );
        let both = compare_optional(Some("2"), Some("1"), VersionFormat::Number);
        assert_eq!(both, Some(Ordering::Greater));
    }
}
