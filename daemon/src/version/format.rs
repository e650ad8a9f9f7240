//! The `VersionFormat` enum and its fwupd names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The way a device writes its version, with the names that fwupd and LVFS metadata use.
///
/// The layouts below describe how a raw integer is rendered. `AA` is one byte and `A`
/// one nibble, and each field is printed in decimal unless noted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionFormat {
    /// An unknown format, compared by the dotted rules.
    #[default]
    Unknown,
    /// Free text, compared byte by byte.
    Plain,
    /// One integer, such as `66051`.
    Number,
    /// `AABB.CCDD` from a u32.
    Pair,
    /// `AA.BB.CCDD` from a u32.
    Triplet,
    /// `AA.BB.CC.DD` from a u32.
    Quad,
    /// Binary-coded decimal, one field per byte.
    Bcd,
    /// Intel ME bit fields `aaa+11.bbbbb.cccccccc.dddddddddddddddd`.
    IntelMe,
    /// Intel ME `A.B.CC.DDDD`.
    IntelMe2,
    /// Older Microsoft Surface bit fields, 10.12.10 bits.
    SurfaceLegacy,
    /// Microsoft Surface bit fields, 8.16.8 bits.
    Surface,
    /// Dell BIOS `BB.CC.DD`, ignoring the top byte.
    DellBios,
    /// `0x` followed by the zero-padded hex integer.
    Hex,
    /// Dell BIOS `AA.BB.CC`, ignoring the bottom byte.
    DellBiosMsb,
    /// Intel CSME 19 bit fields, like `IntelMe` with 19 added to the top field.
    IntelCsme19,
    /// Compal BIOS `AA.BB` of the low 16 bits, each byte as two hex digits.
    CompalBios,
}

/// A string that names no version format.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid version format {value:?}: expected one of {}", format_names())]
pub struct ParseFormatError {
    /// The rejected string.
    pub value: String,
}

impl VersionFormat {
    /// Every format, in fwupd's enum order.
    pub const ALL: [VersionFormat; 16] = [
        Self::Unknown,
        Self::Plain,
        Self::Number,
        Self::Pair,
        Self::Triplet,
        Self::Quad,
        Self::Bcd,
        Self::IntelMe,
        Self::IntelMe2,
        Self::SurfaceLegacy,
        Self::Surface,
        Self::DellBios,
        Self::Hex,
        Self::DellBiosMsb,
        Self::IntelCsme19,
        Self::CompalBios,
    ];

    /// Returns the kebab-case name that fwupd and LVFS metadata use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Plain => "plain",
            Self::Number => "number",
            Self::Pair => "pair",
            Self::Triplet => "triplet",
            Self::Quad => "quad",
            Self::Bcd => "bcd",
            Self::IntelMe => "intel-me",
            Self::IntelMe2 => "intel-me2",
            Self::SurfaceLegacy => "surface-legacy",
            Self::Surface => "surface",
            Self::DellBios => "dell-bios",
            Self::Hex => "hex",
            Self::DellBiosMsb => "dell-bios-msb",
            Self::IntelCsme19 => "intel-csme19",
            Self::CompalBios => "compal-bios",
        }
    }

    /// Number of dot-separated fields a version in this format has, or 0 for `Unknown`.
    pub(crate) fn section_count(self) -> usize {
        match self {
            Self::Unknown => 0,
            Self::Plain | Self::Number | Self::Hex => 1,
            Self::Pair | Self::Bcd | Self::CompalBios => 2,
            Self::Triplet
            | Self::SurfaceLegacy
            | Self::Surface
            | Self::DellBios
            | Self::DellBiosMsb => 3,
            Self::Quad | Self::IntelMe | Self::IntelMe2 | Self::IntelCsme19 => 4,
        }
    }

    /// Returns the generic format that `guess_format` reports for strings in this format.
    ///
    /// NOTE: fwupd's `fu_version_verify_format` (read in the fwupd 1.8 sources) maps neither
    /// `surface` nor `surface-legacy` to `triplet`, so it rejects every Surface version.
    /// Here both map to `triplet`.
    pub(crate) fn base(self) -> Self {
        match self {
            Self::IntelMe | Self::IntelMe2 | Self::IntelCsme19 => Self::Quad,
            Self::DellBios | Self::DellBiosMsb | Self::Surface | Self::SurfaceLegacy => {
                Self::Triplet
            }
            Self::Bcd | Self::CompalBios => Self::Pair,
            other => other,
        }
    }
}

impl fmt::Display for VersionFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VersionFormat {
    type Err = ParseFormatError;

    /// Parses an exact, case-sensitive fwupd name such as `intel-me2`.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|format| format.as_str() == value)
            .ok_or_else(|| ParseFormatError {
                value: value.to_owned(),
            })
    }
}

fn format_names() -> String {
    let names: Vec<&str> = VersionFormat::ALL.iter().map(|f| f.as_str()).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str() {
        for format in VersionFormat::ALL {
            assert_eq!(format.as_str().parse::<VersionFormat>(), Ok(format));
        }
    }

    #[test]
    fn serde_names_match_as_str() {
        for format in VersionFormat::ALL {
            let json = serde_json::to_string(&format).unwrap();
            assert_eq!(json, format!("\"{format}\""));
            let back: VersionFormat = serde_json::from_str(&json).unwrap();
            assert_eq!(back, format);
        }
    }

    #[test]
    fn from_str_error_names_value_and_choices() {
        let error = "Triplet".parse::<VersionFormat>().unwrap_err();
        let message = error.to_string();
        assert!(message.contains("\"Triplet\""), "{message}");
        assert!(message.contains("intel-me2"), "{message}");
        assert!(message.contains("compal-bios"), "{message}");
    }

    #[test]
    fn serde_rejects_unknown_name() {
        let result = serde_json::from_str::<VersionFormat>("\"quadruple\"");
        assert!(result.is_err());
    }
}
