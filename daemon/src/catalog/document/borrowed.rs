//! A release that borrows its text from the document, for readers that validate every
//! release but keep few or none of them.
//!
//! [`BorrowedRelease`] has the fields, defaults and serde rules of [`Release`], so it
//! accepts and rejects the same JSON with the same messages. Its strings point into the
//! document unless JSON escapes forced a copy, and named values such as the severity
//! stay text until [`BorrowedRelease::into_owned`].

use std::borrow::Cow;
use std::fmt;

use jiff::civil::Date;
use serde::de::{Deserializer, Error, Unexpected, Visitor};
use serde::Deserialize;

use super::{Devices, Payload, Release, Replaces, Rollout};

/// A JSON string, borrowed from the document when it has no escapes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'a> Text<'a> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(text: &'a str) -> Self {
        Self(Cow::Borrowed(text))
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_string(TextVisitor)
    }
}

/// Accepts what serde's visitor for `String` accepts, with the same messages, and
/// borrows where the deserializer lends its input.
struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_borrowed_str<E: Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(text)))
    }

    fn visit_borrowed_bytes<E: Error>(self, bytes: &'de [u8]) -> Result<Self::Value, E> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Text(Cow::Borrowed(text))),
            Err(_) => Err(E::invalid_value(Unexpected::Bytes(bytes), &self)),
        }
    }

    fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<Self::Value, E> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.visit_str(text),
            Err(_) => Err(E::invalid_value(Unexpected::Bytes(bytes), &self)),
        }
    }

    fn visit_byte_buf<E: Error>(self, bytes: Vec<u8>) -> Result<Self::Value, E> {
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Text(Cow::Owned(text))),
            Err(error) => Err(E::invalid_value(
                Unexpected::Bytes(&error.into_bytes()),
                &self,
            )),
        }
    }
}

/// A [`Release`] whose text borrows from the document. Field order, defaults and the
/// struct names in messages are those of the owned types.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename = "Release", deny_unknown_fields)]
pub struct BorrowedRelease<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub name: Text<'a>,
    #[serde(borrow)]
    pub summary: Text<'a>,
    #[serde(default, borrow)]
    pub description: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub vendor: Option<Text<'a>>,
    #[serde(borrow)]
    pub devices: BorrowedDevices<'a>,
    #[serde(default, borrow)]
    pub hardware_ids: Vec<Text<'a>>,
    #[serde(borrow)]
    pub version: Text<'a>,
    /// A [`super::VersionFormat`] name, known or not.
    #[serde(borrow)]
    pub version_format: Text<'a>,
    #[serde(default, borrow)]
    pub replaces: Option<BorrowedReplaces<'a>>,
    #[serde(default, borrow)]
    pub lowest_supported_version: Option<Text<'a>>,
    /// A [`super::Severity`] name, known or not.
    #[serde(borrow)]
    pub severity: Text<'a>,
    #[serde(default, borrow)]
    pub cves: Vec<Text<'a>>,
    #[serde(default)]
    pub known_exploited: bool,
    pub release_date: Date,
    /// An [`super::InstallMethod`] name, known or not.
    #[serde(borrow)]
    pub install_method: Text<'a>,
    #[serde(borrow)]
    pub payload: BorrowedPayload<'a>,
    #[serde(default)]
    pub reboot_required: bool,
    #[serde(borrow)]
    pub rollout: BorrowedRollout<'a>,
}

/// [`Devices`] with borrowed text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename = "Devices", deny_unknown_fields)]
pub struct BorrowedDevices<'a> {
    #[serde(default, borrow)]
    pub guids: Vec<Text<'a>>,
    #[serde(default, borrow)]
    pub instance_ids: Vec<Text<'a>>,
}

/// [`Replaces`] with borrowed text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename = "Replaces", deny_unknown_fields)]
pub struct BorrowedReplaces<'a> {
    #[serde(default, borrow)]
    pub versions: Vec<Text<'a>>,
    #[serde(default, borrow)]
    pub min: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub max: Option<Text<'a>>,
}

/// [`Payload`] with borrowed text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename = "Payload", deny_unknown_fields)]
pub struct BorrowedPayload<'a> {
    #[serde(borrow)]
    pub path: Text<'a>,
    #[serde(borrow)]
    pub sha256: Text<'a>,
    pub size: u64,
    #[serde(default, borrow)]
    pub url: Option<Text<'a>>,
}

/// [`Rollout`] with the ring as text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename = "Rollout", deny_unknown_fields)]
pub struct BorrowedRollout<'a> {
    /// A [`super::Ring`] name, known or not.
    #[serde(borrow)]
    pub ring: Text<'a>,
    pub percentage: u32,
}

fn owned_list(list: Vec<Text<'_>>) -> Vec<String> {
    list.into_iter().map(Text::into_string).collect()
}

fn borrowed_list(list: &[String]) -> Vec<Text<'_>> {
    list.iter().map(|text| Text::from(text.as_str())).collect()
}

fn owned_option(text: Option<Text<'_>>) -> Option<String> {
    text.map(Text::into_string)
}

fn borrowed_option(text: &Option<String>) -> Option<Text<'_>> {
    text.as_deref().map(Text::from)
}

impl BorrowedRelease<'_> {
    /// Copies the release into an owned [`Release`].
    pub fn into_owned(self) -> Release {
        Release {
            id: self.id.into_string(),
            name: self.name.into_string(),
            summary: self.summary.into_string(),
            description: owned_option(self.description),
            vendor: owned_option(self.vendor),
            devices: Devices {
                guids: owned_list(self.devices.guids),
                instance_ids: owned_list(self.devices.instance_ids),
            },
            hardware_ids: owned_list(self.hardware_ids),
            version: self.version.into_string(),
            version_format: self.version_format.into_string().into(),
            replaces: self.replaces.map(|replaces| Replaces {
                versions: owned_list(replaces.versions),
                min: owned_option(replaces.min),
                max: owned_option(replaces.max),
            }),
            lowest_supported_version: owned_option(self.lowest_supported_version),
            severity: self.severity.into_string().into(),
            cves: owned_list(self.cves),
            known_exploited: self.known_exploited,
            release_date: self.release_date,
            install_method: self.install_method.into_string().into(),
            payload: Payload {
                path: self.payload.path.into_string(),
                sha256: self.payload.sha256.into_string(),
                size: self.payload.size,
                url: owned_option(self.payload.url),
            },
            reboot_required: self.reboot_required,
            rollout: Rollout {
                ring: self.rollout.ring.into_string().into(),
                percentage: self.rollout.percentage,
            },
        }
    }
}

impl<'a> From<&'a Release> for BorrowedRelease<'a> {
    /// Borrows the text of an owned release. Only the lists are allocated.
    fn from(release: &'a Release) -> Self {
        Self {
            id: Text::from(release.id.as_str()),
            name: Text::from(release.name.as_str()),
            summary: Text::from(release.summary.as_str()),
            description: borrowed_option(&release.description),
            vendor: borrowed_option(&release.vendor),
            devices: BorrowedDevices {
                guids: borrowed_list(&release.devices.guids),
                instance_ids: borrowed_list(&release.devices.instance_ids),
            },
            hardware_ids: borrowed_list(&release.hardware_ids),
            version: Text::from(release.version.as_str()),
            version_format: Text::from(release.version_format.as_str()),
            replaces: release.replaces.as_ref().map(|replaces| BorrowedReplaces {
                versions: borrowed_list(&replaces.versions),
                min: borrowed_option(&replaces.min),
                max: borrowed_option(&replaces.max),
            }),
            lowest_supported_version: borrowed_option(&release.lowest_supported_version),
            severity: Text::from(release.severity.as_str()),
            cves: borrowed_list(&release.cves),
            known_exploited: release.known_exploited,
            release_date: release.release_date,
            install_method: Text::from(release.install_method.as_str()),
            payload: BorrowedPayload {
                path: Text::from(release.payload.path.as_str()),
                sha256: Text::from(release.payload.sha256.as_str()),
                size: release.payload.size,
                url: borrowed_option(&release.payload.url),
            },
            reboot_required: release.reboot_required,
            rollout: BorrowedRollout {
                ring: Text::from(release.rollout.ring.as_str()),
                percentage: release.rollout.percentage,
            },
        }
    }
}

#[cfg(test)]
#[path = "borrowed_tests.rs"]
mod tests;
