//! Guessing a version's format from its text, and checking text against a format.

use thiserror::Error;

use super::format::VersionFormat;

/// A version string that does not look like its declared format.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("version {version:?} is not a valid {expected} version: it looks like {guessed}")]
pub struct FormatMismatch {
    /// The checked version string.
    pub version: String,
    /// The declared format.
    pub expected: VersionFormat,
    /// The format `guess_format` returned for the string.
    pub guessed: VersionFormat,
}

/// Guesses the format from the shape of `version` alone.
///
/// One field gives `number` for digits or a `0x` prefix, `hex` for other hex digits
/// (`1A`) and `plain` otherwise. Two to four all-digit fields give `pair`, `triplet` or
/// `quad`, any non-digit field gives `plain`, and an empty string or five or more
/// fields give `unknown`. An empty field counts as all-digit, as in fwupd.
pub fn guess_format(version: &str) -> VersionFormat {
    if version.is_empty() {
        return VersionFormat::Unknown;
    }
    let fields: Vec<&str> = version.split('.').collect();
    if let [single] = fields.as_slice() {
        return guess_single_field(single);
    }
    if !fields.iter().all(|field| is_digits(field)) {
        return VersionFormat::Plain;
    }
    match fields.len() {
        2 => VersionFormat::Pair,
        3 => VersionFormat::Triplet,
        4 => VersionFormat::Quad,
        _ => VersionFormat::Unknown,
    }
}

/// Checks that `version` has the shape of `format`.
///
/// `plain` and `unknown` accept anything. Bit-field formats are checked by their field
/// count, so `intel-me` needs a quad and `bcd` or `compal-bios` a pair. `hex` accepts
/// both `1A` and `0x0000001a`.
pub fn verify_format(version: &str, format: VersionFormat) -> Result<(), FormatMismatch> {
    if matches!(format, VersionFormat::Plain | VersionFormat::Unknown) {
        return Ok(());
    }
    let guessed = guess_format(version);
    if accepts(format, guessed) {
        return Ok(());
    }
    Err(FormatMismatch {
        version: version.to_owned(),
        expected: format,
        guessed,
    })
}

fn accepts(format: VersionFormat, guessed: VersionFormat) -> bool {
    // fwupd renders hex versions as `0x...`, which guesses as `number`.
    let hex_rendering = format == VersionFormat::Hex && guessed == VersionFormat::Number;
    guessed == format.base() || hex_rendering
}

fn guess_single_field(field: &str) -> VersionFormat {
    if field.starts_with("0x") || is_digits(field) {
        VersionFormat::Number
    } else if field.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        VersionFormat::Hex
    } else {
        VersionFormat::Plain
    }
}

/// Returns true when every byte is an ASCII digit, including for the empty string.
fn is_digits(text: &str) -> bool {
    text.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guess_common_shapes() {
        assert_eq!(guess_format("1"), VersionFormat::Number);
        assert_eq!(guess_format("1234ac"), VersionFormat::Hex);
        assert_eq!(guess_format("1.2.3"), VersionFormat::Triplet);
        assert_eq!(guess_format("1.2.3.4"), VersionFormat::Quad);
        assert_eq!(guess_format("dave"), VersionFormat::Plain);
    }

    #[test]
    fn guess_counts_empty_fields_as_digits() {
        assert_eq!(guess_format("1..2"), VersionFormat::Triplet);
        assert_eq!(guess_format("."), VersionFormat::Pair);
    }

    #[test]
    fn verify_accepts_rendered_hex() {
        assert_eq!(verify_format("0x0a70410a", VersionFormat::Hex), Ok(()));
    }

    #[test]
    fn verify_maps_bit_fields_to_field_count() {
        assert_eq!(
            verify_format("11.8.50.3460", VersionFormat::IntelMe2),
            Ok(())
        );
        assert_eq!(verify_format("1.15.2", VersionFormat::DellBiosMsb), Ok(()));
        assert_eq!(verify_format("6.25.136", VersionFormat::Surface), Ok(()));
        assert!(verify_format("1.2.3", VersionFormat::Bcd).is_err());
    }

    #[test]
    fn verify_plain_accepts_anything() {
        assert_eq!(verify_format("", VersionFormat::Plain), Ok(()));
        assert_eq!(verify_format("😀", VersionFormat::Unknown), Ok(()));
    }

    #[test]
    fn mismatch_message_names_version_and_formats() {
        let error = verify_format("1A", VersionFormat::Number).unwrap_err();
        let expected = "version \"1A\" is not a valid number version: it looks like hex";
        assert_eq!(error.to_string(), expected);
    }
}
