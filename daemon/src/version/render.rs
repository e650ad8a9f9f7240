//! Rendering of raw version integers as strings, field by field as fwupd does.

use std::fmt::Display;

use thiserror::Error;

use super::bcd::decode_bcd_byte;
use super::format::VersionFormat;

/// Largest value `from_u24` accepts.
pub const U24_MAX: u32 = 0x00ff_ffff;

/// A raw version that cannot be rendered in the requested format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RenderError {
    /// fwupd defines no layout of this format for integers of this width.
    #[error("version format {format} cannot render a {bits}-bit integer")]
    Unsupported {
        /// The requested format.
        format: VersionFormat,
        /// Width of the integer type, such as 16 or 32.
        bits: u8,
    },
    /// The value does not fit in 24 bits.
    #[error("{value:#x} does not fit in 24 bits (maximum 0xffffff)")]
    OutOfRange {
        /// The rejected value.
        value: u32,
    },
}

/// Renders a 16-bit raw version, such as a USB `bcdDevice`.
///
/// Supports `bcd`, `pair` (`AA.BB`), `triplet` (`A.B.CC`), `number`, `plain`, `hex` and
/// `compal-bios`.
pub fn from_u16(value: u16, format: VersionFormat) -> Result<String, RenderError> {
    let [high, low] = value.to_be_bytes();
    let text = match format {
        VersionFormat::Bcd => bcd_u16(value),
        VersionFormat::Pair => dotted(&[high, low]),
        VersionFormat::Triplet => dotted(&[high >> 4, high & 0x0f, low]),
        VersionFormat::Number | VersionFormat::Plain => value.to_string(),
        VersionFormat::Hex => format!("{value:#06x}"),
        VersionFormat::CompalBios => compal_bios(value),
        _ => return Err(RenderError::Unsupported { format, bits: 16 }),
    };
    Ok(text)
}

/// Renders a 24-bit raw version held in the low bits of `value`.
///
/// Supports `triplet` (`0.BB.CCDD`), `pair` (`BB.CCDD`), `number`, `plain` and `hex`.
pub fn from_u24(value: u32, format: VersionFormat) -> Result<String, RenderError> {
    if value > U24_MAX {
        return Err(RenderError::OutOfRange { value });
    }
    let text = match format {
        VersionFormat::Triplet
        | VersionFormat::Pair
        | VersionFormat::Number
        | VersionFormat::Plain => return from_u32(value, format),
        VersionFormat::Hex => format!("{value:#08x}"),
        _ => return Err(RenderError::Unsupported { format, bits: 24 }),
    };
    Ok(text)
}

/// Renders a 32-bit raw version, such as a UEFI ESRT `fw_version`.
///
/// Every format except `unknown` is supported; see `VersionFormat` for the layouts.
pub fn from_u32(value: u32, format: VersionFormat) -> Result<String, RenderError> {
    u32_byte_fields(value, format)
        .or_else(|| u32_bit_fields(value, format))
        .ok_or(RenderError::Unsupported { format, bits: 32 })
}

/// Renders the 32-bit formats whose fields are whole bytes or 16-bit halves.
fn u32_byte_fields(value: u32, format: VersionFormat) -> Option<String> {
    let [b3, b2, b1, b0] = value.to_be_bytes();
    let low16 = value & 0xffff;
    let text = match format {
        VersionFormat::Quad => dotted(&[b3, b2, b1, b0]),
        VersionFormat::Triplet => dotted(&[u32::from(b3), u32::from(b2), low16]),
        VersionFormat::Pair => dotted(&[value >> 16, low16]),
        VersionFormat::Number | VersionFormat::Plain => value.to_string(),
        VersionFormat::Bcd => bcd_u32(value),
        VersionFormat::DellBios => dotted(&[b2, b1, b0]),
        VersionFormat::DellBiosMsb => dotted(&[b3, b2, b1]),
        VersionFormat::Hex => format!("{value:#010x}"),
        // Only the low 16 bits carry a Compal BIOS version.
        VersionFormat::CompalBios => compal_bios(value as u16),
        _ => return None,
    };
    Some(text)
}

/// Renders the 32-bit formats whose fields are bit ranges that do not align with bytes.
fn u32_bit_fields(value: u32, format: VersionFormat) -> Option<String> {
    let text = match format {
        VersionFormat::IntelMe => intel_me(value, 11),
        VersionFormat::IntelCsme19 => intel_me(value, 19),
        VersionFormat::IntelMe2 => intel_me2(value),
        VersionFormat::SurfaceLegacy => {
            dotted(&[value >> 22, (value >> 10) & 0xfff, value & 0x3ff])
        }
        VersionFormat::Surface => dotted(&[value >> 24, (value >> 8) & 0xffff, value & 0xff]),
        _ => return None,
    };
    Some(text)
}

/// Renders a 64-bit raw version.
///
/// Supports `quad` (four 16-bit fields), `pair` (two 32-bit fields), `number`, `plain`,
/// `hex` and `compal-bios`.
pub fn from_u64(value: u64, format: VersionFormat) -> Result<String, RenderError> {
    let text = match format {
        VersionFormat::Quad => dotted(&[
            value >> 48,
            (value >> 32) & 0xffff,
            (value >> 16) & 0xffff,
            value & 0xffff,
        ]),
        VersionFormat::Pair => dotted(&[value >> 32, value & 0xffff_ffff]),
        VersionFormat::Number | VersionFormat::Plain => value.to_string(),
        VersionFormat::Hex => format!("{value:#018x}"),
        VersionFormat::CompalBios => compal_bios(value as u16),
        _ => return Err(RenderError::Unsupported { format, bits: 64 }),
    };
    Ok(text)
}

/// Renders `AA.BB` with each byte decoded by fwupd's lenient BCD decoder.
pub(crate) fn bcd_u16(value: u16) -> String {
    dotted(&value.to_be_bytes().map(decode_bcd_byte))
}

/// Renders `AA.BB.CC.DD` with each byte decoded by fwupd's lenient BCD decoder.
pub(crate) fn bcd_u32(value: u32) -> String {
    dotted(&value.to_be_bytes().map(decode_bcd_byte))
}

/// Renders Intel ME bit fields: 3 bits plus `offset`, then 5, 8 and 16 bits.
fn intel_me(value: u32, offset: u32) -> String {
    let major = (value >> 29) + offset;
    dotted(&[
        major,
        (value >> 24) & 0x1f,
        (value >> 16) & 0xff,
        value & 0xffff,
    ])
}

/// Renders Intel ME `A.B.CC.DDDD`: two nibbles, a byte and 16 bits.
fn intel_me2(value: u32) -> String {
    dotted(&[
        value >> 28,
        (value >> 24) & 0x0f,
        (value >> 16) & 0xff,
        value & 0xffff,
    ])
}

/// Renders the two bytes of `value` as two-digit lowercase hex, so 0xff01 is `ff.01`.
///
/// NOTE: fwupd's tests cover only values below 0x10000, so keeping the low 16 bits of
/// wider u32 and u64 values is assumed rather than checked against fwupd.
fn compal_bios(value: u16) -> String {
    let [high, low] = value.to_be_bytes();
    format!("{high:02x}.{low:02x}")
}

fn dotted<T: Display>(fields: &[T]) -> String {
    let texts: Vec<String> = fields.iter().map(ToString::to_string).collect();
    texts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u32_intel_me_adds_11() {
        assert_eq!(from_u32(0, VersionFormat::IntelMe).unwrap(), "11.0.0.0");
        assert_eq!(
            from_u32(0xffff_ffff, VersionFormat::IntelMe).unwrap(),
            "18.31.255.65535"
        );
        assert_eq!(
            from_u32(0x0b32_057a, VersionFormat::IntelMe).unwrap(),
            "11.11.50.1402"
        );
    }

    #[test]
    fn u32_intel_csme19_adds_19() {
        assert_eq!(
            from_u32(0x741, VersionFormat::IntelCsme19).unwrap(),
            "19.0.0.1857"
        );
    }

    #[test]
    fn u32_surface_legacy_splits_10_12_10_bits() {
        let text = from_u32(0x226a_4b00, VersionFormat::SurfaceLegacy).unwrap();
        assert_eq!(text, "137.2706.768");
    }

    #[test]
    fn u32_quad_and_triplet_of_top_byte() {
        assert_eq!(
            from_u32(0xff00_0100, VersionFormat::Quad).unwrap(),
            "255.0.1.0"
        );
        assert_eq!(
            from_u32(0xff00_0100, VersionFormat::Triplet).unwrap(),
            "255.0.256"
        );
    }

    #[test]
    fn u32_esrt_samples() {
        assert_eq!(from_u32(65586, VersionFormat::Triplet).unwrap(), "0.1.50");
        assert_eq!(from_u32(65586, VersionFormat::Quad).unwrap(), "0.1.0.50");
        assert_eq!(
            from_u32(0xb850_0ea2, VersionFormat::IntelMe2).unwrap(),
            "11.8.80.3746"
        );
    }

    #[test]
    fn u16_pair_of_high_byte() {
        assert_eq!(from_u16(0xff01, VersionFormat::Pair).unwrap(), "255.1");
        assert_eq!(from_u16(0x1234, VersionFormat::Number).unwrap(), "4660");
    }

    #[test]
    fn u16_hex_pads_to_four_digits() {
        assert_eq!(from_u16(0xc8, VersionFormat::Hex).unwrap(), "0x00c8");
    }

    #[test]
    fn u24_rejects_wider_values() {
        let error = from_u24(0x0100_0000, VersionFormat::Number).unwrap_err();
        assert_eq!(error, RenderError::OutOfRange { value: 0x0100_0000 });
    }

    #[test]
    fn u24_pair_and_triplet() {
        assert_eq!(from_u24(0x01_0203, VersionFormat::Pair).unwrap(), "1.515");
        assert_eq!(
            from_u24(0x01_0203, VersionFormat::Triplet).unwrap(),
            "0.1.515"
        );
    }

    #[test]
    fn unsupported_formats_are_errors() {
        let error = from_u16(1, VersionFormat::IntelMe).unwrap_err();
        assert_eq!(
            error.to_string(),
            "version format intel-me cannot render a 16-bit integer"
        );
        assert!(from_u24(1, VersionFormat::Quad).is_err());
        assert!(from_u32(1, VersionFormat::Unknown).is_err());
        assert!(from_u64(1, VersionFormat::Triplet).is_err());
    }
}
