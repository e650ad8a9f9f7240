//! Binary-coded decimal: fwupd's lenient byte decoder and a strict check.

use thiserror::Error;

use super::render::{bcd_u16, bcd_u32};

/// A raw value that is not binary-coded decimal because one of its nibbles is above 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "{value:#x} is not valid BCD: nibble {nibble} (counted from the least significant) \
     is {digit:#x}, above 9"
)]
pub struct InvalidBcd {
    /// The rejected raw value.
    pub value: u64,
    /// Position of the lowest invalid nibble, 0 being the least significant.
    pub nibble: u32,
    /// The invalid nibble, 0xa to 0xf.
    pub digit: u8,
}

/// Decodes one BCD byte the way fwupd does: tens nibble times 10 plus units nibble.
///
/// Nibbles above 9 are not rejected, so 0x0a and 0x10 both decode to 10. Use
/// `validate_bcd` first where a wrong version is worse than no version.
pub(crate) fn decode_bcd_byte(byte: u8) -> u8 {
    (byte >> 4) * 10 + (byte & 0x0f)
}

/// Checks that every nibble of `value` is a decimal digit.
///
/// USB `bcdDevice` and some ESRT versions are BCD, but firmware sometimes stores plain
/// binary there. fwupd renders 0x010a as `1.10`, the same as 0x0110, so the inventory
/// should report such a value as invalid instead of guessing.
pub fn validate_bcd(value: u64) -> Result<(), InvalidBcd> {
    for nibble in 0..16 {
        let digit = ((value >> (nibble * 4)) & 0x0f) as u8;
        if digit > 9 {
            return Err(InvalidBcd {
                value,
                nibble,
                digit,
            });
        }
    }
    Ok(())
}

/// Renders a 16-bit BCD value as `AA.BB`, rejecting nibbles above 9.
pub fn bcd_from_u16_strict(value: u16) -> Result<String, InvalidBcd> {
    validate_bcd(value.into())?;
    Ok(bcd_u16(value))
}

/// Renders a 32-bit BCD value as `AA.BB.CC.DD`, rejecting nibbles above 9.
pub fn bcd_from_u32_strict(value: u32) -> Result<String, InvalidBcd> {
    validate_bcd(value.into())?;
    Ok(bcd_u32(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_decoder_maps_two_values_to_ten() {
        assert_eq!(decode_bcd_byte(0x10), 10);
        assert_eq!(decode_bcd_byte(0x0a), 10);
        assert_eq!(decode_bcd_byte(0xff), 165);
    }

    #[test]
    fn strict_u16_accepts_decimal_nibbles() {
        assert_eq!(bcd_from_u16_strict(0x0320), Ok("3.20".to_owned()));
        assert_eq!(bcd_from_u16_strict(0x9999), Ok("99.99".to_owned()));
    }

    #[test]
    fn strict_u16_rejects_nibble_above_nine() {
        let error = bcd_from_u16_strict(0x010a).unwrap_err();
        assert_eq!(error.nibble, 0);
        assert_eq!(error.digit, 0xa);
        assert!(error.to_string().contains("0x10a is not valid BCD"));
    }

    #[test]
    fn strict_u32_renders_four_fields() {
        assert_eq!(bcd_from_u32_strict(0x0380_0290), Ok("3.80.2.90".to_owned()));
    }

    #[test]
    fn strict_u32_reports_lowest_bad_nibble() {
        let error = bcd_from_u32_strict(0xf0b0_0000).unwrap_err();
        assert_eq!(error.nibble, 5);
        assert_eq!(error.digit, 0xb);
    }

    #[test]
    fn validate_checks_all_sixteen_nibbles() {
        assert!(validate_bcd(0x9999_9999_9999_9999).is_ok());
        assert!(validate_bcd(0xa000_0000_0000_0000).is_err());
    }
}
