//! serde visitors that read the catalog's header fields and hand each release of the
//! `releases` array to a [`ReleaseSink`] instead of collecting them.

use std::fmt;

use jiff::Timestamp;
use serde::de::{DeserializeSeed, Error, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;

use crate::catalog::document::BorrowedRelease;

use super::sink::ReleaseSink;

/// The catalog's fields, in the order of `Catalog`'s declaration, so that an unknown
/// field gets the same message as from the derived deserializer.
const FIELDS: &[&str] = &[
    "format_version",
    "remote_id",
    "serial",
    "issued",
    "expires",
    "releases",
];

/// The catalog's fields other than the releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) format_version: u32,
    pub(super) remote_id: String,
    pub(super) serial: u64,
    pub(super) issued: Timestamp,
    pub(super) expires: Timestamp,
}

/// Reads a catalog document, sending each release to the sink.
pub(super) struct CatalogSeed<'s, 'a, 'de> {
    sink: &'s mut ReleaseSink<'a, 'de>,
}

impl<'s, 'a, 'de> CatalogSeed<'s, 'a, 'de> {
    pub(super) fn new(sink: &'s mut ReleaseSink<'a, 'de>) -> Self {
        Self { sink }
    }
}

impl<'de> DeserializeSeed<'de> for CatalogSeed<'_, '_, 'de> {
    type Value = Header;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Header, D::Error> {
        deserializer.deserialize_struct("Catalog", FIELDS, self)
    }
}

/// The header fields seen so far. A field given twice is rejected, as serde's derived
/// deserializer rejects it.
#[derive(Default)]
struct PartialHeader {
    format_version: Option<u32>,
    remote_id: Option<String>,
    serial: Option<u64>,
    issued: Option<Timestamp>,
    expires: Option<Timestamp>,
    releases_seen: bool,
}

impl PartialHeader {
    fn finish<E: Error>(self) -> Result<Header, E> {
        Ok(Header {
            format_version: self
                .format_version
                .ok_or_else(|| E::missing_field("format_version"))?,
            remote_id: self
                .remote_id
                .ok_or_else(|| E::missing_field("remote_id"))?,
            serial: self.serial.ok_or_else(|| E::missing_field("serial"))?,
            issued: self.issued.ok_or_else(|| E::missing_field("issued"))?,
            expires: self.expires.ok_or_else(|| E::missing_field("expires"))?,
        })
    }
}

/// Reads one field value into `slot`, rejecting a second occurrence of the field.
fn read_once<'de, A, T>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: serde::Deserialize<'de>,
{
    if slot.is_some() {
        return Err(A::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Visitor<'de> for CatalogSeed<'_, '_, 'de> {
    type Value = Header;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("struct Catalog")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let sink = self.sink;
        let mut header = PartialHeader::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format_version" => read_once(&mut map, &mut header.format_version, FIELDS[0])?,
                "remote_id" => read_once(&mut map, &mut header.remote_id, FIELDS[1])?,
                "serial" => read_once(&mut map, &mut header.serial, FIELDS[2])?,
                "issued" => read_once(&mut map, &mut header.issued, FIELDS[3])?,
                "expires" => read_once(&mut map, &mut header.expires, FIELDS[4])?,
                "releases" if header.releases_seen => {
                    return Err(A::Error::duplicate_field("releases"));
                }
                "releases" => {
                    header.releases_seen = true;
                    map.next_value_seed(ReleasesSeed { sink: &mut *sink })?;
                }
                other => return Err(A::Error::unknown_field(other, FIELDS)),
            }
        }
        header.finish()
    }

    /// Reads the fields in declaration order, as the derived deserializer of `Catalog`
    /// reads a JSON array, so that both reject arrays with the same message.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Header, A::Error> {
        let expected = &"struct Catalog with 6 elements";
        let missing = |index| A::Error::invalid_length(index, expected);
        let format_version = seq.next_element()?.ok_or_else(|| missing(0))?;
        let remote_id = seq.next_element()?.ok_or_else(|| missing(1))?;
        let serial = seq.next_element()?.ok_or_else(|| missing(2))?;
        let issued = seq.next_element()?.ok_or_else(|| missing(3))?;
        let expires = seq.next_element()?.ok_or_else(|| missing(4))?;

        // `releases` has a default, so the array may end before it.
        seq.next_element_seed(ReleasesSeed { sink: self.sink })?;
        Ok(Header {
            format_version,
            remote_id,
            serial,
            issued,
            expires,
        })
    }
}

/// Reads the `releases` array one release at a time.
struct ReleasesSeed<'s, 'a, 'de> {
    sink: &'s mut ReleaseSink<'a, 'de>,
}

impl<'de> DeserializeSeed<'de> for ReleasesSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ReleasesSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(release) = seq.next_element::<BorrowedRelease<'de>>()? {
            self.sink.push(release);
        }
        Ok(())
    }
}
