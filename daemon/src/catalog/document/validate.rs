//! Validation of a parsed catalog, with errors that name the release and the field.

use std::collections::HashMap;
use std::fmt;

use super::borrowed::{BorrowedPayload, BorrowedRelease, BorrowedReplaces, Text};
use super::checks::{check_count, check_cve, check_description, check_guid, check_id};
use super::checks::{check_instance_id, check_line, check_sha256, check_version, MAX_LIST_LEN};
use super::location::{check_payload_path, check_payload_url};
use super::{Catalog, InstallMethod, Release, Ring, Severity, VersionFormat};
use super::{Problem, ReleaseRef, ValidationError, MAX_PAYLOAD_SIZE, MAX_RELEASES};

/// Origin of the catalog, which the payload URL checks need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidateOptions {
    /// Host of the URL that the catalog was fetched from, or None for a local catalog.
    pub catalog_host: Option<String>,
    /// Whether a payload URL may name a host other than `catalog_host`. It comes from
    /// the remote's configuration. Authoring tools set it, because only that
    /// configuration on each machine decides.
    pub allow_other_hosts: bool,
}

/// Builds errors for one release or for the catalog itself.
struct Scope<'a> {
    /// Index and id of the release, or None for the catalog. The error's copy of the id
    /// is made only when there is an error.
    release: Option<(usize, &'a str)>,
    prefix: &'a str,
}

impl Scope<'_> {
    fn error(&self, field: impl fmt::Display, problem: Problem) -> ValidationError {
        ValidationError {
            release: self.release.map(|(index, id)| ReleaseRef {
                index,
                id: id.to_owned(),
            }),
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
            release.validate_at(index, options)?;
        }
        check_unique_ids(&self.releases)?;
        check_payload_conflicts(&self.releases)
    }
}

impl Release {
    /// Checks every rule of the format that concerns this release alone, for the release
    /// at `index` of its catalog. Catalog-wide rules, such as unique ids, are not checked.
    pub(crate) fn validate_at(
        &self,
        index: usize,
        options: &ValidateOptions,
    ) -> Result<(), ValidationError> {
        BorrowedRelease::from(self).validate_at(index, options)
    }
}

impl BorrowedRelease<'_> {
    /// Checks every rule of the format that concerns this release alone, for the release
    /// at `index` of its catalog. Catalog-wide rules, such as unique ids, are not checked.
    pub(crate) fn validate_at(
        &self,
        index: usize,
        options: &ValidateOptions,
    ) -> Result<(), ValidationError> {
        let scope = Scope {
            release: Some((index, self.id.as_str())),
            prefix: "",
        };
        self.validate(&scope, options)
    }

    fn validate(&self, scope: &Scope, options: &ValidateOptions) -> Result<(), ValidationError> {
        scope.check("id", check_id(self.id.as_str()))?;
        self.validate_texts(scope)?;
        self.validate_devices(scope)?;
        self.validate_versions(scope)?;
        self.validate_advisory(scope)?;

        let method = self.install_method.as_str();
        if !InstallMethod::NAMES.contains(&method) {
            let problem = Problem::UnknownInstallMethod {
                value: method.to_owned(),
            };
            return Err(scope.error("install_method", problem));
        }
        let payload_scope = Scope {
            release: scope.release,
            prefix: "payload.",
        };
        self.payload.validate(&payload_scope, options)?;
        self.validate_rollout(scope)
    }

    fn validate_texts(&self, scope: &Scope) -> Result<(), ValidationError> {
        scope.check("name", check_line(self.name.as_str()))?;
        scope.check("summary", check_line(self.summary.as_str()))?;
        if let Some(vendor) = &self.vendor {
            scope.check("vendor", check_line(vendor.as_str()))?;
        }
        if let Some(description) = &self.description {
            scope.check("description", check_description(description.as_str()))?;
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
        scope.check("version", check_version(self.version.as_str()))?;
        let format = self.version_format.as_str();
        if !VersionFormat::NAMES.contains(&format) {
            let problem = Problem::UnknownVersionFormat {
                value: format.to_owned(),
            };
            return Err(scope.error("version_format", problem));
        }
        if let Some(lowest) = &self.lowest_supported_version {
            scope.check("lowest_supported_version", check_version(lowest.as_str()))?;
        }
        match &self.replaces {
            Some(replaces) => replaces.validate(scope),
            None => Ok(()),
        }
    }

    fn validate_advisory(&self, scope: &Scope) -> Result<(), ValidationError> {
        let severity = self.severity.as_str();
        if !Severity::NAMES.contains(&severity) {
            let problem = Problem::UnknownSeverity {
                value: severity.to_owned(),
            };
            return Err(scope.error("severity", problem));
        }
        check_list(scope, "cves", &self.cves, check_cve)
    }

    fn validate_rollout(&self, scope: &Scope) -> Result<(), ValidationError> {
        let ring = self.rollout.ring.as_str();
        if !Ring::NAMES.contains(&ring) {
            let problem = Problem::UnknownRing {
                value: ring.to_owned(),
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

impl BorrowedReplaces<'_> {
    fn validate(&self, scope: &Scope) -> Result<(), ValidationError> {
        if self.versions.is_empty() && self.min.is_none() && self.max.is_none() {
            return Err(scope.error("replaces", Problem::EmptyReplaces));
        }
        check_list(scope, "replaces.versions", &self.versions, check_version)?;
        for (field, bound) in [("replaces.min", &self.min), ("replaces.max", &self.max)] {
            if let Some(bound) = bound {
                scope.check(field, check_version(bound.as_str()))?;
            }
        }
        Ok(())
    }
}

impl BorrowedPayload<'_> {
    fn validate(&self, scope: &Scope, options: &ValidateOptions) -> Result<(), ValidationError> {
        scope.check("path", check_payload_path(self.path.as_str()))?;
        scope.check("sha256", check_sha256(self.sha256.as_str()))?;
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
            Some(url) => scope.check("url", check_payload_url(url.as_str(), options)),
            None => Ok(()),
        }
    }
}

/// Checks the length of a list and each entry. An entry's error names its index.
fn check_list(
    scope: &Scope,
    field: &str,
    values: &[Text],
    check: fn(&str) -> Result<(), Problem>,
) -> Result<(), ValidationError> {
    scope.check(field, check_count(values.len(), MAX_LIST_LEN))?;
    for (index, value) in values.iter().enumerate() {
        scope.check(format_args!("{field}[{index}]"), check(value.as_str()))?;
    }
    Ok(())
}

fn check_unique_ids(releases: &[Release]) -> Result<(), ValidationError> {
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (index, release) in releases.iter().enumerate() {
        if let Some(&first) = first_index.get(release.id.as_str()) {
            let scope = Scope {
                release: Some((index, &release.id)),
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
        let same_digest = earlier.sha256 == payload.sha256
            || earlier.sha256.eq_ignore_ascii_case(&payload.sha256);
        if !same_digest || earlier.size != payload.size {
            let scope = Scope {
                release: Some((index, &release.id)),
                prefix: "",
            };
            return Err(scope.error("payload.path", Problem::ConflictingPayload { other }));
        }
    }
    Ok(())
}
