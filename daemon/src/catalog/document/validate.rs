//! Validation of a parsed catalog, with errors that name the release and the field.

use std::collections::HashMap;
use std::fmt;

use jiff::Timestamp;

use super::location::{check_payload_path, check_payload_url};
use super::{Catalog, InstallMethod, Payload, Release, Replaces, Ring, Severity, VersionFormat};
use super::{MAX_PAYLOAD_SIZE, MAX_RELEASES};

/// Maximum length in bytes of an id: the remote id, a release id or a version.
const MAX_ID_LEN: usize = 128;

/// Maximum length in bytes of a one-line text such as a name, summary or vendor.
const MAX_LINE_LEN: usize = 1024;

/// Maximum length in bytes of a release description.
const MAX_DESCRIPTION_LEN: usize = 64 * 1024;

/// Maximum length in bytes of an instance ID. fwupd's longest ones, with several
/// `&`-joined keys, stay well under this.
const MAX_INSTANCE_ID_LEN: usize = 512;

/// Maximum number of entries in one list of a release, such as its GUIDs or CVEs.
const MAX_LIST_LEN: usize = 1024;

/// Caller's knowledge about where the catalog came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidateOptions {
    /// Host of the URL that the catalog was fetched from, or None for a local catalog.
    pub catalog_host: Option<String>,
    /// Whether a payload URL may name a host other than `catalog_host`. It comes from
    /// the remote's configuration, and authoring tools set it because they cannot know.
    pub allow_other_hosts: bool,
}

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
    #[error("{value:?} is not a known install method (expected {})", InstallMethod::NAMES.join(", "))]
    UnknownInstallMethod { value: String },
    #[error("{value:?} is not a known version format (expected {})", VersionFormat::NAMES.join(", "))]
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

/// Builds errors for one release or for the catalog itself.
struct Scope<'a> {
    release: Option<ReleaseRef>,
    prefix: &'a str,
}

impl Scope<'_> {
    fn error(&self, field: impl fmt::Display, problem: Problem) -> ValidationError {
        ValidationError {
            release: self.release.clone(),
            field: format!("{}{field}", self.prefix),
            problem,
        }
    }

    fn check(
        &self,
        field: impl fmt::Display,
        result: Result<(), Problem>,
    ) -> Result<(), ValidationError> {
        result.map_err(|problem| self.error(field, problem))
    }
}

impl Catalog {
    /// Checks every rule of the format and returns the first field that breaks one.
    pub fn validate(&self, options: &ValidateOptions) -> Result<(), ValidationError> {
        let scope = Scope {
            release: None,
            prefix: "",
        };
        scope.check("remote_id", check_id(&self.remote_id))?;
        if self.expires <= self.issued {
            let problem = Problem::ExpiresBeforeIssued {
                issued: self.issued,
                expires: self.expires,
            };
            return Err(scope.error("expires", problem));
        }
        scope.check("releases", check_count(self.releases.len(), MAX_RELEASES))?;

        for (index, release) in self.releases.iter().enumerate() {
            let release_ref = ReleaseRef {
                index,
                id: release.id.clone(),
            };
            let scope = Scope {
                release: Some(release_ref),
                prefix: "",
            };
            release.validate(&scope, options)?;
        }
        check_unique_ids(&self.releases)?;
        check_payload_conflicts(&self.releases)
    }
}

impl Release {
    fn validate(&self, scope: &Scope, options: &ValidateOptions) -> Result<(), ValidationError> {
        scope.check("id", check_id(&self.id))?;
        self.validate_texts(scope)?;
        self.validate_devices(scope)?;
        self.validate_versions(scope)?;
        self.validate_advisory(scope)?;

        if let InstallMethod::Unknown(value) = &self.install_method {
            let problem = Problem::UnknownInstallMethod {
                value: value.clone(),
            };
            return Err(scope.error("install_method", problem));
        }
        let payload_scope = Scope {
            release: scope.release.clone(),
            prefix: "payload.",
        };
        self.payload.validate(&payload_scope, options)?;
        self.validate_rollout(scope)
    }

    fn validate_texts(&self, scope: &Scope) -> Result<(), ValidationError> {
        scope.check("name", check_line(&self.name))?;
        scope.check("summary", check_line(&self.summary))?;
        if let Some(vendor) = &self.vendor {
            scope.check("vendor", check_line(vendor))?;
        }
        if let Some(description) = &self.description {
            scope.check("description", check_description(description))?;
        }
        Ok(())
    }

    fn validate_devices(&self, scope: &Scope) -> Result<(), ValidationError> {
        let devices = &self.devices;
        if devices.guids.is_empty() && devices.instance_ids.is_empty() {
            return Err(scope.error("devices", Problem::NoDevices));
        }
        check_list(scope, "devices.guids", &devices.guids, check_guid)?;
        check_list(
            scope,
            "devices.instance_ids",
            &devices.instance_ids,
            check_instance_id,
        )?;
        check_list(scope, "hardware_ids", &self.hardware_ids, check_guid)
    }

    fn validate_versions(&self, scope: &Scope) -> Result<(), ValidationError> {
        scope.check("version", check_version(&self.version))?;
        if let VersionFormat::Unknown(value) = &self.version_format {
            let problem = Problem::UnknownVersionFormat {
                value: value.clone(),
            };
            return Err(scope.error("version_format", problem));
        }
        if let Some(lowest) = &self.lowest_supported_version {
            scope.check("lowest_supported_version", check_version(lowest))?;
        }
        match &self.replaces {
            Some(replaces) => replaces.validate(scope),
            None => Ok(()),
        }
    }

    fn validate_advisory(&self, scope: &Scope) -> Result<(), ValidationError> {
        if let Severity::Unknown(value) = &self.severity {
            let problem = Problem::UnknownSeverity {
                value: value.clone(),
            };
            return Err(scope.error("severity", problem));
        }
        check_list(scope, "cves", &self.cves, check_cve)
    }

    fn validate_rollout(&self, scope: &Scope) -> Result<(), ValidationError> {
        if let Ring::Unknown(value) = &self.rollout.ring {
            let problem = Problem::UnknownRing {
                value: value.clone(),
            };
            return Err(scope.error("rollout.ring", problem));
        }
        let value = self.rollout.percentage;
        if value > 100 {
            return Err(scope.error(
                "rollout.percentage",
                Problem::PercentageOutOfRange { value },
            ));
        }
        Ok(())
    }
}

impl Replaces {
    fn validate(&self, scope: &Scope) -> Result<(), ValidationError> {
        if self.versions.is_empty() && self.min.is_none() && self.max.is_none() {
            return Err(scope.error("replaces", Problem::EmptyReplaces));
        }
        check_list(scope, "replaces.versions", &self.versions, check_version)?;
        for (field, bound) in [("replaces.min", &self.min), ("replaces.max", &self.max)] {
            if let Some(bound) = bound {
                scope.check(field, check_version(bound))?;
            }
        }
        Ok(())
    }
}

impl Payload {
    fn validate(&self, scope: &Scope, options: &ValidateOptions) -> Result<(), ValidationError> {
        scope.check("path", check_payload_path(&self.path))?;
        scope.check("sha256", check_sha256(&self.sha256))?;
        if self.size == 0 {
            return Err(scope.error("size", Problem::ZeroSize));
        }
        if self.size > MAX_PAYLOAD_SIZE {
            let problem = Problem::SizeTooLarge {
                size: self.size,
                max: MAX_PAYLOAD_SIZE,
            };
            return Err(scope.error("size", problem));
        }
        match &self.url {
            Some(url) => scope.check("url", check_payload_url(url, options)),
            None => Ok(()),
        }
    }
}

/// Checks each entry of a list and the list's length; the field names the entry's index.
fn check_list(
    scope: &Scope,
    field: &str,
    values: &[String],
    check: fn(&str) -> Result<(), Problem>,
) -> Result<(), ValidationError> {
    scope.check(field, check_count(values.len(), MAX_LIST_LEN))?;
    for (index, value) in values.iter().enumerate() {
        scope.check(format_args!("{field}[{index}]"), check(value))?;
    }
    Ok(())
}

fn check_unique_ids(releases: &[Release]) -> Result<(), ValidationError> {
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (index, release) in releases.iter().enumerate() {
        if let Some(&first) = first_index.get(release.id.as_str()) {
            let release_ref = ReleaseRef {
                index,
                id: release.id.clone(),
            };
            let scope = Scope {
                release: Some(release_ref),
                prefix: "",
            };
            return Err(scope.error(
                "id",
                Problem::DuplicateId {
                    value: release.id.clone(),
                    first,
                },
            ));
        }
        first_index.insert(&release.id, index);
    }
    Ok(())
}

/// Rejects two releases that name the same payload path with different contents.
fn check_payload_conflicts(releases: &[Release]) -> Result<(), ValidationError> {
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (index, release) in releases.iter().enumerate() {
        let payload = &release.payload;
        let Some(&other) = first_index.get(payload.path.as_str()) else {
            first_index.insert(&payload.path, index);
            continue;
        };
        let earlier = &releases[other].payload;
        if !earlier.sha256.eq_ignore_ascii_case(&payload.sha256) || earlier.size != payload.size {
            let release_ref = ReleaseRef {
                index,
                id: release.id.clone(),
            };
            let scope = Scope {
                release: Some(release_ref),
                prefix: "",
            };
            return Err(scope.error("payload.path", Problem::ConflictingPayload { other }));
        }
    }
    Ok(())
}

fn check_count(count: usize, max: usize) -> Result<(), Problem> {
    if count > max {
        return Err(Problem::TooMany { count, max });
    }
    Ok(())
}

fn check_length(text: &str, max: usize) -> Result<(), Problem> {
    if text.is_empty() {
        return Err(Problem::Empty);
    }
    if text.len() > max {
        return Err(Problem::TooLong {
            length: text.len(),
            max,
        });
    }
    Ok(())
}

fn check_id(id: &str) -> Result<(), Problem> {
    check_length(id, MAX_ID_LEN)?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+');
    if !id.chars().all(allowed) {
        return Err(Problem::InvalidId {
            value: id.to_owned(),
        });
    }
    Ok(())
}

fn check_line(text: &str) -> Result<(), Problem> {
    check_length(text, MAX_LINE_LEN)?;
    if text.chars().any(char::is_control) {
        return Err(Problem::ControlCharacter);
    }
    Ok(())
}

/// Checks a description, which may contain line feeds and tabs.
fn check_description(text: &str) -> Result<(), Problem> {
    check_length(text, MAX_DESCRIPTION_LEN)?;
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Problem::ControlCharacter);
    }
    Ok(())
}

fn is_printable_ascii(text: &str) -> bool {
    text.bytes().all(|byte| byte.is_ascii_graphic())
}

fn check_version(version: &str) -> Result<(), Problem> {
    check_length(version, MAX_ID_LEN)?;
    if !is_printable_ascii(version) {
        return Err(Problem::InvalidVersion {
            value: version.to_owned(),
        });
    }
    Ok(())
}

fn check_instance_id(instance_id: &str) -> Result<(), Problem> {
    check_length(instance_id, MAX_INSTANCE_ID_LEN)?;
    if !is_printable_ascii(instance_id) {
        return Err(Problem::InvalidInstanceId {
            value: instance_id.to_owned(),
        });
    }
    Ok(())
}

/// Checks for the hyphenated 8-4-4-4-12 form. Upper-case digits are accepted.
fn check_guid(guid: &str) -> Result<(), Problem> {
    let groups: Vec<&str> = guid.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    let hex = groups
        .iter()
        .all(|group| group.bytes().all(|byte| byte.is_ascii_hexdigit()));
    if lengths != [8, 4, 4, 4, 12] || !hex {
        return Err(Problem::InvalidGuid {
            value: guid.to_owned(),
        });
    }
    Ok(())
}

/// Checks the form `CVE-YYYY-NNNN`: a four-digit year and a sequence of 4 to 19 digits.
fn check_cve(cve: &str) -> Result<(), Problem> {
    let invalid = || Problem::InvalidCve {
        value: cve.to_owned(),
    };
    let rest = cve.strip_prefix("CVE-").ok_or_else(invalid)?;
    let (year, sequence) = rest.split_once('-').ok_or_else(invalid)?;

    let digits = |text: &str| text.bytes().all(|byte| byte.is_ascii_digit());
    let year_ok = year.len() == 4 && digits(year) && year >= "1999";
    let sequence_ok = (4..=19).contains(&sequence.len()) && digits(sequence);
    if !year_ok || !sequence_ok {
        return Err(invalid());
    }
    Ok(())
}

fn check_sha256(digest: &str) -> Result<(), Problem> {
    if digest.len() != 64 || !digest.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(Problem::InvalidSha256 {
            value: digest.to_owned(),
        });
    }
    Ok(())
}
