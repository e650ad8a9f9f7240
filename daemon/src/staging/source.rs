//! Payload sources: the catalog's URL or local folder joined with the payload's
//! validated relative path, or the payload's own URL.

use std::fmt;
use std::path::PathBuf;

use reqwest::Url;

use super::StageError;
use crate::catalog::document::location::{check_payload_path, check_payload_url};
use crate::catalog::document::{Payload, Problem, ValidateOptions};

/// Location of the catalog that a release came from. Payload paths are relative to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogBase {
    /// `http://` or `https://` URL of the catalog document. A payload path resolves as a
    /// relative URL does: against the folder of `catalog.json`, or against the URL itself
    /// when it ends with `/`.
    Url(Url),
    /// Local folder that contains the catalog, for machines without network access.
    /// Payloads must be files inside it.
    Folder(PathBuf),
}

impl fmt::Display for CatalogBase {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(url) => write!(formatter, "{url}"),
            Self::Folder(folder) => write!(formatter, "{}", folder.display()),
        }
    }
}

/// Resolved place to read a payload from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadSource {
    Url(Url),
    /// File named by the validated relative `path` inside `folder`. It is opened with
    /// checks that it stays inside the folder, symbolic links included.
    File {
        folder: PathBuf,
        path: String,
    },
}

impl fmt::Display for PayloadSource {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(url) => write!(formatter, "{url}"),
            Self::File { folder, path } => write!(formatter, "{}", folder.join(path).display()),
        }
    }
}

impl PayloadSource {
    /// Resolves a payload against its catalog's location.
    ///
    /// A URL catalog uses the payload's `url` when it has one, checked against the
    /// catalog's host unless `allow_other_hosts`, and its `path` otherwise. A folder
    /// catalog always uses `path`, because a machine with a local remote may have no
    /// network access.
    pub fn resolve(
        base: &CatalogBase,
        payload: &Payload,
        allow_other_hosts: bool,
    ) -> Result<Self, StageError> {
        check_payload_path(&payload.path).map_err(|problem| StageError::PathEscapes {
            path: payload.path.clone(),
            base: base.to_string(),
            reason: problem.to_string(),
        })?;

        match base {
            CatalogBase::Folder(folder) => Ok(Self::File {
                folder: folder.clone(),
                path: payload.path.clone(),
            }),
            CatalogBase::Url(catalog) => match &payload.url {
                Some(url) => absolute_url(catalog, url, allow_other_hosts).map(Self::Url),
                None => join_path(catalog, &payload.path).map(Self::Url),
            },
        }
    }
}

/// Appends the segments of a validated payload path to the catalog URL's folder.
///
/// Each segment is percent-encoded as one segment, so `?`, `#`, `%` or a scheme-like
/// `https:` in the catalog text cannot turn into a query, a fragment or another URL.
fn join_path(catalog: &Url, path: &str) -> Result<Url, StageError> {
    let escapes = |reason: &str| StageError::PathEscapes {
        path: path.to_owned(),
        base: catalog.to_string(),
        reason: reason.to_owned(),
    };
    if !matches!(catalog.scheme(), "http" | "https") {
        return Err(escapes("the catalog URL is not http:// or https://"));
    }

    let mut url = catalog.clone();
    url.set_query(None);
    url.set_fragment(None);
    let mut segments = url
        .path_segments_mut()
        .map_err(|()| escapes("the catalog URL has no path"))?;
    // Drops the catalog's file name, or the empty segment after a final `/`.
    segments.pop();
    segments.extend(path.split('/'));
    drop(segments);
    Ok(url)
}

/// Parses the payload's own URL after the catalog format's host check.
fn absolute_url(catalog: &Url, url: &str, allow_other_hosts: bool) -> Result<Url, StageError> {
    let options = ValidateOptions {
        catalog_host: catalog_host(catalog),
        allow_other_hosts,
    };
    let invalid = |problem| StageError::InvalidPayload {
        field: "url",
        problem,
    };
    check_payload_url(url, &options).map_err(invalid)?;

    let parsed = Url::parse(url).ok().filter(|parsed| parsed.has_host());
    parsed.ok_or_else(|| {
        invalid(Problem::InvalidUrl {
            value: url.to_owned(),
        })
    })
}

/// Returns the catalog's host in the form that the payload URL check compares: IPv6
/// addresses without brackets.
fn catalog_host(catalog: &Url) -> Option<String> {
    let host = catalog.host_str()?;
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'));
    Some(unbracketed.unwrap_or(host).to_owned())
}
