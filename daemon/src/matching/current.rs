//! A device's current and lowest versions written in a release's version format.

use std::cmp::Ordering;

use crate::device::{Device, DeviceKind};
use crate::version::{self, ParsedVersion, RenderError, VersionFormat};

use super::reason::HoldReason;

/// A version as text and parsed for comparison in one format.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) text: String,
    pub(crate) parsed: ParsedVersion,
}

impl Version {
    pub(crate) fn new(text: &str, format: VersionFormat) -> Self {
        Self {
            text: text.to_owned(),
            parsed: ParsedVersion::new(text, format),
        }
    }

    pub(crate) fn cmp_text(&self, other: &str, format: VersionFormat) -> Ordering {
        self.parsed.cmp(&ParsedVersion::new(other, format))
    }
}

/// A device's versions converted into one release format.
#[derive(Debug, Clone)]
pub(crate) struct CurrentVersion {
    pub(crate) current: Version,
    /// The lowest version the device accepts, where the device reports one.
    pub(crate) lowest: Option<Version>,
}

/// A device's versions, converted once per release format and kept for the next
/// release in that format.
pub(crate) struct DeviceVersions<'a> {
    device: &'a Device,
    format: Option<VersionFormat>,
    converted: Vec<(VersionFormat, Result<CurrentVersion, HoldReason>)>,
}

impl<'a> DeviceVersions<'a> {
    pub(crate) fn new(device: &'a Device) -> Self {
        Self {
            device,
            format: device.version_format.parse().ok(),
            converted: Vec::new(),
        }
    }

    /// Returns the device's versions written in `format`, or why they cannot be.
    pub(crate) fn in_format(
        &mut self,
        format: VersionFormat,
    ) -> Result<&CurrentVersion, HoldReason> {
        let position = match self.converted.iter().position(|(seen, _)| *seen == format) {
            Some(position) => position,
            None => {
                let result = self.convert(format);
                self.converted.push((format, result));
                self.converted.len() - 1
            }
        };
        self.converted[position].1.as_ref().map_err(Clone::clone)
    }

    fn convert(&self, format: VersionFormat) -> Result<CurrentVersion, HoldReason> {
        let current = self.current_text(format)?;
        let lowest = match &self.device.version_lowest {
            Some(lowest) => Some(self.lowest_text(lowest, format)?),
            None => None,
        };
        Ok(CurrentVersion {
            current: Version::new(&current, format),
            lowest: lowest.map(|text| Version::new(&text, format)),
        })
    }

    /// Writes the current version in `format`: as reported when the formats agree, else
    /// rendered from the raw value, as ESRT devices need when a catalog uses `triplet`.
    fn current_text(&self, format: VersionFormat) -> Result<String, HoldReason> {
        let device = self.device;
        if self.format == Some(format) && !device.version.is_empty() {
            return Ok(device.version.clone());
        }
        let rendered = device
            .version_raw
            .map(|raw| render_raw(device.kind, raw, format));
        match rendered {
            Some(Ok(text)) => Ok(text),
            _ if device.version.is_empty() => Err(HoldReason::NoDeviceVersion),
            _ => Err(HoldReason::IncomparableVersions {
                version: device.version.clone(),
                device_format: device.version_format.clone(),
                release_format: format.to_string(),
            }),
        }
    }

    /// Writes the lowest accepted version in `format`. ESRT reports it as a decimal
    /// integer, so an integer is rendered like the raw current version.
    fn lowest_text(&self, lowest: &str, format: VersionFormat) -> Result<String, HoldReason> {
        if self.format == Some(format) {
            return Ok(lowest.to_owned());
        }
        let rendered = parse_integer(lowest).map(|raw| render_raw(self.device.kind, raw, format));
        match rendered {
            Some(Ok(text)) => Ok(text),
            _ => Err(HoldReason::IncomparableLowest {
                lowest: lowest.to_owned(),
                device_format: self.device.version_format.clone(),
                release_format: format.to_string(),
            }),
        }
    }
}

/// Renders a raw version in `format` at the width the device reports it in: 16 bits for
/// a USB `bcdDevice`, else 32 bits where the value fits (ESRT, microcode), else 64.
fn render_raw(kind: DeviceKind, raw: u64, format: VersionFormat) -> Result<String, RenderError> {
    if kind == DeviceKind::Usb {
        if let Ok(value) = u16::try_from(raw) {
            return version::from_u16(value, format);
        }
    }
    match u32::try_from(raw) {
        Ok(value) => version::from_u32(value, format),
        Err(_) => version::from_u64(raw, format),
    }
}

/// Parses a decimal or `0x`-prefixed hexadecimal integer.
fn parse_integer(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}
