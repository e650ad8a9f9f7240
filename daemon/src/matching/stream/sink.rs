//! The receiver of streamed releases: validates each one, applies the catalog-wide
//! rules as releases arrive, and keeps the releases that match the machine.

use std::collections::HashMap;

use crate::catalog::document::{
    Catalog, Problem, Release, ReleaseRef, ValidateOptions, ValidationError, MAX_RELEASES,
};

use super::super::machine::MachineIds;
use super::visitor::Header;

/// The first release that named a payload path, for the conflict rule.
struct FirstPayload {
    index: usize,
    /// The decoded digest, which takes half the memory of the text and ignores case.
    sha256: Option<[u8; 32]>,
    size: u64,
}

/// Decodes a SHA-256 digest written as 64 hexadecimal digits in either case.
fn decode_sha256(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (byte, pair) in digest.iter_mut().zip(bytes.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    Some(digest)
}

/// Releases seen so far and the first error of each kind that `Catalog::validate`
/// reports after the header checks, in the order it reports them.
pub(super) struct ReleaseSink<'a> {
    machine: &'a MachineIds,
    options: &'a ValidateOptions,
    kept: Vec<Release>,
    count: usize,
    release_error: Option<ValidationError>,
    duplicate_error: Option<ValidationError>,
    conflict_error: Option<ValidationError>,
    first_by_id: HashMap<String, usize>,
    first_by_path: HashMap<String, FirstPayload>,
}

impl<'a> ReleaseSink<'a> {
    pub(super) fn new(machine: &'a MachineIds, options: &'a ValidateOptions) -> Self {
        Self {
            machine,
            options,
            kept: Vec::new(),
            count: 0,
            release_error: None,
            duplicate_error: None,
            conflict_error: None,
            first_by_id: HashMap::new(),
            first_by_path: HashMap::new(),
        }
    }

    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// Checks one release and keeps it when it matches the machine. Once the outcome is
    /// an error whatever follows, releases are only counted, so that a later JSON error
    /// still wins as it does in `Catalog::parse`.
    pub(super) fn push(&mut self, release: Release) {
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
        if self.machine.matches(&release) {
            self.kept.push(release);
        }
    }

    fn check_unique_id(&mut self, index: usize, release: &Release) {
        if self.duplicate_error.is_some() {
            return;
        }
        match self.first_by_id.get(&release.id) {
            Some(&first) => {
                let problem = Problem::DuplicateId {
                    value: release.id.clone(),
                    first,
                };
                self.duplicate_error = Some(release_error(index, release, "id", problem));
            }
            None => {
                self.first_by_id.insert(release.id.clone(), index);
            }
        }
    }

    /// Two releases may share a payload path only with the same sha256 and size.
    fn check_payload(&mut self, index: usize, release: &Release) {
        if self.conflict_error.is_some() {
            return;
        }
        let payload = &release.payload;
        let Some(first) = self.first_by_path.get(&payload.path) else {
            let first = FirstPayload {
                index,
                sha256: decode_sha256(&payload.sha256),
                size: payload.size,
            };
            self.first_by_path.insert(payload.path.clone(), first);
            return;
        };
        // Validation has accepted both digests, so both decode.
        let same_digest = first.sha256 == decode_sha256(&payload.sha256);
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
    release: &Release,
    field: &str,
    problem: Problem,
) -> ValidationError {
    ValidationError {
        release: Some(ReleaseRef {
            index,
            id: release.id.clone(),
        }),
        field: field.to_owned(),
        problem,
    }
}
