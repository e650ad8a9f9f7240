//! Checks of single field values, such as ids, versions, GUIDs and CVE ids.

use super::Problem;

/// Maximum length in bytes of an id: the remote id, a release id or a version.
const MAX_ID_LEN: usize = 128;

/// Maximum length in bytes of a one-line text such as a name, summary or vendor.
const MAX_LINE_LEN: usize = 1024;

/// Maximum length in bytes of a release description.
const MAX_DESCRIPTION_LEN: usize = 64 * 1024;

/// Maximum length in bytes of an instance ID. Typical ones such as
/// `USB\VID_273F&PID_1004&REV_0001` are tens of bytes, so this leaves a wide margin.
const MAX_INSTANCE_ID_LEN: usize = 512;

/// Maximum number of entries in one list of a release, such as its GUIDs or CVEs.
pub(super) const MAX_LIST_LEN: usize = 1024;

pub(super) fn check_count(count: usize, max: usize) -> Result<(), Problem> {
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

pub(super) fn check_id(id: &str) -> Result<(), Problem> {
    check_length(id, MAX_ID_LEN)?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+');
    if !id.chars().all(allowed) {
        return Err(Problem::InvalidId {
            value: id.to_owned(),
        });
    }
    Ok(())
}

pub(super) fn check_line(text: &str) -> Result<(), Problem> {
    check_length(text, MAX_LINE_LEN)?;
    if text.chars().any(char::is_control) {
        return Err(Problem::ControlCharacter);
    }
    Ok(())
}

/// Checks a description, which may contain line feeds and tabs.
pub(super) fn check_description(text: &str) -> Result<(), Problem> {
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

pub(super) fn check_version(version: &str) -> Result<(), Problem> {
    check_length(version, MAX_ID_LEN)?;
    if !is_printable_ascii(version) {
        return Err(Problem::InvalidVersion {
            value: version.to_owned(),
        });
    }
    Ok(())
}

pub(super) fn check_instance_id(instance_id: &str) -> Result<(), Problem> {
    check_length(instance_id, MAX_INSTANCE_ID_LEN)?;
    if !is_printable_ascii(instance_id) {
        return Err(Problem::InvalidInstanceId {
            value: instance_id.to_owned(),
        });
    }
    Ok(())
}

/// Checks for the hyphenated 8-4-4-4-12 form. Upper-case digits are accepted.
pub(super) fn check_guid(guid: &str) -> Result<(), Problem> {
    const GROUP_LENGTHS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut groups = guid.split('-');
    let valid_group = |group: &str, length: usize| {
        group.len() == length && group.bytes().all(|byte| byte.is_ascii_hexdigit())
    };
    let valid = GROUP_LENGTHS.iter().all(|&length| {
        groups
            .next()
            .is_some_and(|group| valid_group(group, length))
    }) && groups.next().is_none();
    if !valid {
        return Err(Problem::InvalidGuid {
            value: guid.to_owned(),
        });
    }
    Ok(())
}

/// Checks the form `CVE-YYYY-NNNN`: a four-digit year and a sequence of 4 to 19 digits.
pub(super) fn check_cve(cve: &str) -> Result<(), Problem> {
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

pub(super) fn check_sha256(digest: &str) -> Result<(), Problem> {
    if digest.len() != 64 || !digest.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(Problem::InvalidSha256 {
            value: digest.to_owned(),
        });
    }
    Ok(())
}
