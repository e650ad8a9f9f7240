//! The receiver of streamed releases: validates each one, applies the catalog-wide
//! rules as releases arrive, and keeps the releases that match the machine.

use std::borrow::Cow;
use std::collections::hash_map::Entry;

use crate::catalog::document::{BorrowedRelease, Catalog, Problem, Release, ReleaseRef};
use crate::catalog::document::{ValidateOptions, ValidationError, MAX_RELEASES};

use super::super::machine::MachineIds;
use super::text_map::TextMap;
use super::visitor::Header;

/// The first release that named a payload path, for the conflict rule.
struct FirstPayload<'de> {
    index: usize,
    /// The digest as written, usually borrowed from the document.
    sha256: Cow<'de, str>,
    size: u64,
}

/// Releases seen so far and the first error of each kind that `Catalog::validate`
/// reports after the header checks, in the order it reports them. The maps of ids and
/// paths borrow from the document, whose text lives for `'de`.
pub(super) struct ReleaseSink<'a, 'de> {
    machine: &'a MachineIds,
    options: &'a ValidateOptions,
    kept: Vec<Release>,
    count: usize,
    release_error: Option<ValidationError>,
    duplicate_error: Option<ValidationError>,
    conflict_error: Option<ValidationError>,
    first_by_id: TextMap<'de, usize>,
    first_by_path: TextMap<'de, FirstPayload<'de>>,
}

impl<'a, 'de> ReleaseSink<'a, 'de> {
    pub(super) fn new(machine: &'a MachineIds, options: &'a ValidateOptions) -> Self {
        Self {
            machine,
            options,
            kept: Vec::new(),
            count: 0,
            release_error: None,
            duplicate_error: None,
            conflict_error: None,
            first_by_id: TextMap::new(),
            first_by_path: TextMap::new(),
        }
    }

    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// Checks one release and keeps it when it matches the machine. Once the outcome is
    /// an error whatever follows, releases are only counted, so that a later JSON error
    /// still wins as it does in `Catalog::parse`.
    pub(super) fn push(&mut self, release: BorrowedRelease<'de>) {
        let index = self.count;
        self.count += 1;
        if self.count > MAX_RELEASES || self.release_error.is_some() {
            return;
        }
        if let Err(error) = release.validate_at(index, self.options) {
            self.release_error = Some(error);
            self.kept = Vec::new();
            return;
        }
        self.check_unique_id(index, &release);
        self.check_payload(index, &release);
        if self.machine.matches_borrowed(&release) {
            self.kept.push(release.into_owned());
        }
    }

    fn check_unique_id(&mut self, index: usize, release: &BorrowedRelease<'de>) {
        if self.duplicate_error.is_some() {
            return;
        }
        let first = match self.first_by_id.entry(&release.id.0) {
            Entry::Occupied(entry) => *entry.get(),
            Entry::Vacant(entry) => {
                entry.insert(index);
                return;
            }
        };
        let problem = Problem::DuplicateId {
            value: release.id.as_str().to_owned(),
            first,
        };
        self.duplicate_error = Some(release_error(index, release, "id", problem));
    }

    /// Two releases may share a payload path only with the same sha256 and size.
    fn check_payload(&mut self, index: usize, release: &BorrowedRelease<'de>) {
        if self.conflict_error.is_some() {
            return;
        }
        let payload = &release.payload;
        let first = match self.first_by_path.entry(&payload.path.0) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                entry.insert(FirstPayload {
                    index,
                    sha256: payload.sha256.0.clone(),
                    size: payload.size,
                });
                return;
            }
        };
        // Validation has accepted both digests as hexadecimal, which may differ in case.
        let sha256 = payload.sha256.as_str();
        let same_digest = first.sha256 == sha256 || first.sha256.eq_ignore_ascii_case(sha256);
        if !same_digest || first.size != payload.size {
            let problem = Problem::ConflictingPayload { other: first.index };
            self.conflict_error = Some(release_error(index, release, "payload.path", problem));
        }
    }

    /// Applies the catalog-wide rules in the order `Catalog::validate` applies them and
    /// returns the catalog with the kept releases.
    pub(super) fn finish(
        self,
        header: Header,
        options: &ValidateOptions,
    ) -> Result<Catalog, ValidationError> {
        let mut catalog = Catalog {
            format_version: header.format_version,
            remote_id: header.remote_id,
            serial: header.serial,
            issued: header.issued,
            expires: header.expires,
            releases: Vec::new(),
        };
        // With no releases, this checks the remote id and the expiry time.
        catalog.validate(options)?;
        if self.count > MAX_RELEASES {
            return Err(ValidationError {
                release: None,
                field: "releases".to_owned(),
                problem: Problem::TooMany {
                    count: self.count,
                    max: MAX_RELEASES,
                },
            });
        }
        let first_error = self
            .release_error
            .or(self.duplicate_error)
            .or(self.conflict_error);
        if let Some(error) = first_error {
            return Err(error);
        }
        catalog.releases = self.kept;
        Ok(catalog)
    }
}

fn release_error(
    index: usize,
    release: &BorrowedRelease,
    field: &str,
    problem: Problem,
) -> ValidationError {
    ValidationError {
        release: Some(ReleaseRef {
            index,
            id: release.id.as_str().to_owned(),
        }),
        field: field.to_owned(),
        problem,
    }
}
