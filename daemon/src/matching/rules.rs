//! Version rules: how one release relates to a device's current version, and whether a
//! newer release may be offered.

use std::cmp::Ordering;

use crate::catalog::document::Release;
use crate::version::{ParsedVersion, VersionFormat};

use super::current::{CurrentVersion, DeviceVersions};
use super::reason::HoldReason;

/// How one release relates to a device.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// The release is older than the device's version.
    Older,
    /// The release has the device's version.
    Equal,
    /// The release is newer and may be offered. Carries the parsed release version.
    Offered(ParsedVersion),
    /// The release may be newer but is not offered, for this reason.
    HeldBack(HoldReason),
}

/// Compares `release` with the device's version in the release's format and checks the
/// limits of a newer release. Releases at or below the current version are never
/// offered, so no rule can cause a downgrade.
pub(crate) fn judge(release: &Release, device: &mut DeviceVersions) -> Verdict {
    let format = match release_format(release) {
        Ok(format) => format,
        Err(reason) => return Verdict::HeldBack(reason),
    };
    let versions = match device.in_format(format) {
        Ok(versions) => versions,
        Err(reason) => return Verdict::HeldBack(reason),
    };

    let version = ParsedVersion::new(&release.version, format);
    match version.cmp(&versions.current.parsed) {
        Ordering::Less => Verdict::Older,
        Ordering::Equal => Verdict::Equal,
        Ordering::Greater => match check_limits(release, format, versions, &version) {
            Ok(()) => Verdict::Offered(version),
            Err(reason) => Verdict::HeldBack(reason),
        },
    }
}

/// Maps the catalog's version format onto the comparison rules of `crate::version`.
fn release_format(release: &Release) -> Result<VersionFormat, HoldReason> {
    let name = release.version_format.as_str();
    match name.parse::<VersionFormat>() {
        Ok(VersionFormat::Unknown) | Err(_) => Err(HoldReason::UnknownReleaseFormat {
            format: name.to_owned(),
        }),
        Ok(format) => Ok(format),
    }
}

fn check_limits(
    release: &Release,
    format: VersionFormat,
    versions: &CurrentVersion,
    version: &ParsedVersion,
) -> Result<(), HoldReason> {
    check_device_lowest(release, versions, version)?;
    check_lowest_supported(release, format, versions)?;
    check_replaces(release, format, versions)
}

/// A release below the device's own lowest accepted version would be rejected by the
/// hardware, so it is never offered.
fn check_device_lowest(
    release: &Release,
    versions: &CurrentVersion,
    version: &ParsedVersion,
) -> Result<(), HoldReason> {
    match &versions.lowest {
        Some(lowest) if *version < lowest.parsed => Err(HoldReason::BelowDeviceLowest {
            version: release.version.clone(),
            device_lowest: lowest.text.clone(),
        }),
        _ => Ok(()),
    }
}

fn check_lowest_supported(
    release: &Release,
    format: VersionFormat,
    versions: &CurrentVersion,
) -> Result<(), HoldReason> {
    let Some(lowest) = &release.lowest_supported_version else {
        return Ok(());
    };
    if versions.current.cmp_text(lowest, format) == Ordering::Less {
        return Err(HoldReason::BelowLowestSupported {
            current: versions.current.text.clone(),
            lowest_supported: lowest.clone(),
        });
    }
    Ok(())
}

/// The device's version must be one of `replaces.versions` or, when `min` or `max` is
/// set, lie within those inclusive bounds.
fn check_replaces(
    release: &Release,
    format: VersionFormat,
    versions: &CurrentVersion,
) -> Result<(), HoldReason> {
    let Some(replaces) = &release.replaces else {
        return Ok(());
    };
    let current = &versions.current;
    let listed = replaces
        .versions
        .iter()
        .any(|listed| current.cmp_text(listed, format) == Ordering::Equal);

    let has_bounds = replaces.min.is_some() || replaces.max.is_some();
    let above_min = replaces
        .min
        .as_deref()
        .is_none_or(|min| current.cmp_text(min, format) != Ordering::Less);
    let below_max = replaces
        .max
        .as_deref()
        .is_none_or(|max| current.cmp_text(max, format) != Ordering::Greater);

    if listed || (has_bounds && above_min && below_max) {
        return Ok(());
    }
    Err(HoldReason::NotReplaced {
        current: current.text.clone(),
        replaces: replaces.clone(),
    })
}
