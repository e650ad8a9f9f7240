//! Checks of where a payload comes from: its relative path and its optional URL.

use super::{Problem, ValidateOptions};

/// Maximum length in bytes of a payload path or URL.
pub(super) const MAX_LOCATION_LEN: usize = 2048;

/// Checks that a payload path stays inside the catalog's folder or URL prefix.
///
/// The path must be relative, use `/` between segments and have no empty, `.` or `..`
/// segment, so it cannot name a file outside the catalog's location on any platform.
pub fn check_payload_path(path: &str) -> Result<(), Problem> {
    if path.is_empty() {
        return Err(Problem::Empty);
    }
    check_length(path)?;
    if path.contains('\0') {
        return Err(Problem::Nul);
    }
    if path.contains('\\') {
        return Err(Problem::Backslash);
    }
    if path.chars().any(char::is_control) {
        return Err(Problem::ControlCharacter);
    }
    if path.starts_with('/') {
        return Err(Problem::AbsolutePath);
    }
    path.split('/').try_for_each(check_segment)
}

fn check_segment(segment: &str) -> Result<(), Problem> {
    match segment {
        "" => Err(Problem::EmptySegment),
        "." => Err(Problem::DotSegment),
        ".." => Err(Problem::ParentSegment),
        _ => Ok(()),
    }
}

fn check_length(text: &str) -> Result<(), Problem> {
    if text.len() > MAX_LOCATION_LEN {
        let length = text.len();
        return Err(Problem::TooLong {
            length,
            max: MAX_LOCATION_LEN,
        });
    }
    Ok(())
}

/// Checks that a payload URL is `http://` or `https://` and that its host is the
/// catalog's, unless the remote allows other hosts.
pub fn check_payload_url(url: &str, options: &ValidateOptions) -> Result<(), Problem> {
    check_length(url)?;
    let invalid = || Problem::InvalidUrl {
        value: url.to_owned(),
    };
    let host = url_host(url).ok_or_else(invalid)?;

    let same_host = options
        .catalog_host
        .as_deref()
        .is_some_and(|catalog_host| normalize_host(catalog_host) == host);
    if !same_host && !options.allow_other_hosts {
        return Err(Problem::OtherHost { host });
    }
    Ok(())
}

/// Returns the lower-case host of an `http://` or `https://` URL, or None if the URL is
/// malformed or has user information, which could make the host hard to read.
pub fn url_host(url: &str) -> Option<String> {
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let rest = strip_prefix_ignore_case(url, "https://")
        .or_else(|| strip_prefix_ignore_case(url, "http://"))?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.contains('@') {
        return None;
    }

    let (host, port) = split_host_port(authority)?;
    if !port.chars().all(|c| c.is_ascii_digit()) || !valid_host(host) {
        return None;
    }
    Some(normalize_host(host))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Splits `host[:port]` or `[ipv6][:port]` into host and port (empty if absent).
fn split_host_port(authority: &str) -> Option<(&str, &str)> {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (address, rest) = bracketed.split_once(']')?;
        let port = if rest.is_empty() {
            ""
        } else {
            rest.strip_prefix(':')?
        };
        return Some((address, port));
    }
    Some(authority.split_once(':').unwrap_or((authority, "")))
}

fn valid_host(host: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':');
    !host.is_empty() && host.chars().all(allowed)
}

/// Lower-cases a host name and drops a final `.`, so equal hosts compare equal.
fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}
