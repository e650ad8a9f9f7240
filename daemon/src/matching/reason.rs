//! Reasons why a release that could be newer than a device's version is held back.

use std::fmt;

use crate::catalog::document::Replaces;

/// Why a release for a device is not offered although it may be newer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldReason {
    /// The device reports an empty version, so nothing can be compared with it.
    NoDeviceVersion,
    /// The release's version format is not one this hwupd can compare.
    UnknownReleaseFormat { format: String },
    /// The device's version is in another format and has no raw value to render.
    IncomparableVersions {
        version: String,
        device_format: String,
        release_format: String,
    },
    /// The device's lowest accepted version cannot be written in the release's format.
    IncomparableLowest {
        lowest: String,
        device_format: String,
        release_format: String,
    },
    /// The release is below the lowest version that the device accepts.
    BelowDeviceLowest {
        version: String,
        device_lowest: String,
    },
    /// The device's version is below the release's `lowest_supported_version`.
    BelowLowestSupported {
        current: String,
        lowest_supported: String,
    },
    /// The device's version is not one that the release's `replaces` lists.
    NotReplaced { current: String, replaces: Replaces },
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoDeviceVersion => write!(f, "the device reports no version"),
            Self::UnknownReleaseFormat { format } => write!(
                f,
                "the release's version format {format:?} is unknown to this hwupd; \
                 update hwupd to compare it"
            ),
            Self::IncomparableVersions {
                version,
                device_format,
                release_format,
            } => write!(
                f,
                "cannot compare versions: device reports {version} as {device_format}, \
                 release uses {release_format}"
            ),
            Self::IncomparableLowest {
                lowest,
                device_format,
                release_format,
            } => write!(
                f,
                "cannot compare versions: device reports its lowest accepted version \
                 {lowest} as {device_format}, release uses {release_format}"
            ),
            Self::BelowDeviceLowest {
                version,
                device_lowest,
            } => write!(
                f,
                "version {version} is below {device_lowest}, the lowest version the \
                 device accepts"
            ),
            Self::BelowLowestSupported {
                current,
                lowest_supported,
            } => write!(
                f,
                "the device's version {current} is below the release's lowest supported \
                 version {lowest_supported}; install an intermediate release first"
            ),
            Self::NotReplaced { current, replaces } => write!(
                f,
                "the release replaces only {}, not the device's version {current}",
                describe_replaces(replaces)
            ),
        }
    }
}

/// Describes the versions that `replaces` allows, such as `1.0, 1.1 or 2.0 to 3.0`.
fn describe_replaces(replaces: &Replaces) -> String {
    let mut parts: Vec<String> = replaces.versions.clone();
    let range = match (&replaces.min, &replaces.max) {
        (Some(min), Some(max)) => Some(format!("{min} to {max}")),
        (Some(min), None) => Some(format!("{min} and later")),
        (None, Some(max)) => Some(format!("{max} and earlier")),
        (None, None) => None,
    };
    parts.extend(range);
    match parts.split_last() {
        None => "no version".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}
