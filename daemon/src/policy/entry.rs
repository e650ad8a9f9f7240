//! Entries of the approved and blocked lists: a release id or a payload SHA-256.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::document::Release;

/// Maximum length in bytes of a release id, as the catalog allows.
const MAX_RELEASE_ID_LEN: usize = 128;

const SHA256_HEX_LEN: usize = 64;

/// A release id, or the SHA-256 of a payload in hexadecimal, which matches
/// every release that ships that payload.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ListEntry(String);

/// The reason a list entry was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid release id or SHA-256 {}: expected a release id of at most \
     {MAX_RELEASE_ID_LEN} ASCII letters, digits, '.', '_', '-' or '+', or 64 hexadecimal digits",
    crate::output::quoted(value)
)]
pub struct EntryError {
    pub value: String,
}

impl ListEntry {
    /// Parses an entry. 64 hexadecimal digits are read as a SHA-256 and
    /// stored in lower case, so either case matches.
    pub fn parse(text: &str) -> Result<Self, EntryError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+');
        let valid =
            !text.is_empty() && text.len() <= MAX_RELEASE_ID_LEN && text.chars().all(allowed);
        if !valid {
            return Err(EntryError {
                value: text.to_owned(),
            });
        }

        if is_sha256(text) {
            return Ok(Self(text.to_ascii_lowercase()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns whether the entry names `release` by id or by payload SHA-256.
    pub fn matches(&self, release: &Release) -> bool {
        self.matches_parts(&release.id, &release.payload.sha256)
    }

    /// Returns whether the entry names the release with this id or payload SHA-256.
    pub fn matches_parts(&self, release_id: &str, payload_sha256: &str) -> bool {
        self.0 == release_id || (is_sha256(&self.0) && self.0.eq_ignore_ascii_case(payload_sha256))
    }
}

fn is_sha256(text: &str) -> bool {
    text.len() == SHA256_HEX_LEN && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl TryFrom<String> for ListEntry {
    type Error = EntryError;

    fn try_from(text: String) -> Result<Self, EntryError> {
        Self::parse(&text)
    }
}

impl From<ListEntry> for String {
    fn from(entry: ListEntry) -> Self {
        entry.0
    }
}

impl fmt::Display for ListEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Returns the first entry of `list` that names the release, if any.
pub fn find_match<'a>(
    list: impl IntoIterator<Item = &'a ListEntry>,
    release_id: &str,
    payload_sha256: &str,
) -> Option<&'a ListEntry> {
    list.into_iter()
        .find(|entry| entry.matches_parts(release_id, payload_sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";

    #[test]
    fn parse_accepts_ids_and_hashes() {
        assert_eq!(
            ListEntry::parse("bios-1.2.3").unwrap().as_str(),
            "bios-1.2.3"
        );
        assert_eq!(
            ListEntry::parse(SHA).unwrap().as_str(),
            SHA.to_ascii_lowercase()
        );
    }

    #[test]
    fn parse_rejects_bad_text() {
        for bad in ["", "has space", "semi;colon", "ümlaut", &"x".repeat(129)] {
            let error = ListEntry::parse(bad).unwrap_err();
            assert_eq!(error.value, bad);
        }
    }

    #[test]
    fn matches_id_or_payload_hash() {
        let by_hash = ListEntry::parse(SHA).unwrap();
        assert!(by_hash.matches_parts("any", &SHA.to_ascii_lowercase()));
        assert!(!by_hash.matches_parts("any", "00"));

        let by_id = ListEntry::parse("bios-1").unwrap();
        assert!(by_id.matches_parts("bios-1", SHA));
        assert!(!by_id.matches_parts("bios-2", SHA));
    }
}
