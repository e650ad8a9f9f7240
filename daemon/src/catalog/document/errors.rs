//! Validation errors: which release and field break which rule of the format.

use jiff::Timestamp;

use super::{InstallMethod, Ring, Severity, VersionFormat};

/// Position and id of a release in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRef {
    /// Position in `releases`, from 0.
    pub index: usize,
    pub id: String,
}

/// Field of a catalog that breaks a rule of the format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid catalog: {} field {field}: {problem}", describe(release))]
pub struct ValidationError {
    /// Release that contains the field, or None for a field of the catalog itself.
    pub release: Option<ReleaseRef>,
    /// Path of the field within the release or catalog, such as `payload.sha256` or
    /// `cves[1]`.
    pub field: String,
    pub problem: Problem,
}

fn describe(release: &Option<ReleaseRef>) -> String {
    match release {
        Some(release) => format!("release {:?} (index {})", release.id, release.index),
        None => "catalog".to_owned(),
    }
}

/// Rule that a field breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("must not be empty")]
    Empty,
    #[error("is {length} bytes, more than the maximum of {max}")]
    TooLong { length: usize, max: usize },
    #[error("has {count} entries, more than the maximum of {max}")]
    TooMany { count: usize, max: usize },
    #[error("contains a control character")]
    ControlCharacter,
    #[error("{value:?} may only contain ASCII letters, digits, '.', '_', '-' and '+'")]
    InvalidId { value: String },
    #[error("{value:?} repeats the id of the release at index {first}")]
    DuplicateId { value: String, first: usize },
    #[error("lists no device; give at least one GUID or instance ID")]
    NoDevices,
    #[error("{value:?} is not a GUID in the form 6ba7b810-9dad-11d1-80b4-00c04fd430c8")]
    InvalidGuid { value: String },
    #[error("{value:?} is not an instance ID: use printable ASCII without spaces")]
    InvalidInstanceId { value: String },
    #[error("{value:?} is not a version: use printable ASCII without spaces")]
    InvalidVersion { value: String },
    #[error("names no version; give versions, min or max")]
    EmptyReplaces,
    #[error("{value:?} is not a known severity (expected {})", Severity::NAMES.join(", "))]
    UnknownSeverity { value: String },
    #[error(
        "{value:?} is not a known install method (expected {})",
        InstallMethod::NAMES.join(", ")
    )]
    UnknownInstallMethod { value: String },
    #[error(
        "{value:?} is not a known version format (expected {})",
        VersionFormat::NAMES.join(", ")
    )]
    UnknownVersionFormat { value: String },
    #[error("{value:?} is not a known rollout ring (expected {})", Ring::NAMES.join(", "))]
    UnknownRing { value: String },
    #[error("{value:?} is not a CVE id in the form CVE-2024-12345")]
    InvalidCve { value: String },
    #[error("{value:?} is not a SHA-256 digest of 64 hexadecimal digits")]
    InvalidSha256 { value: String },
    #[error("is 0; a payload has at least one byte")]
    ZeroSize,
    #[error("is {size} bytes, more than the maximum payload size of {max} bytes")]
    SizeTooLarge { size: u64, max: u64 },
    #[error("is {value}, outside the range 0 to 100")]
    PercentageOutOfRange { value: u32 },
    #[error("is an absolute path; payload paths are relative to the catalog")]
    AbsolutePath,
    #[error("contains a '..' segment, which could leave the catalog's folder")]
    ParentSegment,
    #[error("contains a '.' segment")]
    DotSegment,
    #[error("contains an empty segment")]
    EmptySegment,
    #[error("contains a backslash; use '/' between segments")]
    Backslash,
    #[error("contains a NUL byte")]
    Nul,
    #[error("{value:?} is not an http:// or https:// URL with a plain host")]
    InvalidUrl { value: String },
    #[error(
        "names host {host:?}, which is not the catalog's host, and the remote does not \
         allow payloads from other hosts"
    )]
    OtherHost { host: String },
    #[error(
        "payload path is also used by the release at index {other} with another sha256 or size"
    )]
    ConflictingPayload { other: usize },
    #[error("{expires} is not after the issue time {issued}")]
    ExpiresBeforeIssued {
        issued: Timestamp,
        expires: Timestamp,
    },
}
