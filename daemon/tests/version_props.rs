//! Property tests: version comparison is a consistent order and no input panics.

use std::cmp::Ordering;

use hwupd::version::{self, ParsedVersion, VersionFormat};
use proptest::prelude::*;

fn any_format() -> impl Strategy<Value = VersionFormat> {
    prop::sample::select(VersionFormat::ALL.to_vec())
}

/// Arbitrary Unicode mixed with strings built from the characters versions use.
fn any_version() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9a-fx.~+ -]{0,24}",
        "(0x)?[0-9]{1,30}(\\.[0-9]{1,30}){0,5}",
    ]
}

proptest! {
    #[test]
    fn compare_is_antisymmetric(a in any_version(), b in any_version(), format in any_format()) {
        let forward = version::compare(&a, &b, format);
        let backward = version::compare(&b, &a, format);
        prop_assert_eq!(forward, backward.reverse());
    }

    #[test]
    fn compare_is_transitive(
        a in any_version(),
        b in any_version(),
        c in any_version(),
        format in any_format(),
    ) {
        let mut sorted = [a, b, c];
        sorted.sort_by(|x, y| version::compare(x, y, format));
        let [low, middle, high] = &sorted;
        prop_assert_ne!(version::compare(low, middle, format), Ordering::Greater);
        prop_assert_ne!(version::compare(middle, high, format), Ordering::Greater);
        prop_assert_ne!(version::compare(low, high, format), Ordering::Greater);
    }

    #[test]
    fn compare_matches_parsed_order(
        a in any_version(),
        b in any_version(),
        format in any_format(),
    ) {
        let parsed = ParsedVersion::new(&a, format).cmp(&ParsedVersion::new(&b, format));
        prop_assert_eq!(version::compare(&a, &b, format), parsed);
    }

    #[test]
    fn compare_of_itself_is_equal(a in any_version(), format in any_format()) {
        prop_assert_eq!(version::compare(&a, &a, format), Ordering::Equal);
    }

    #[test]
    fn render_never_panics(value in any::<u64>(), format in any_format()) {
        let _ = version::from_u16(value as u16, format);
        let _ = version::from_u24(value as u32, format);
        let _ = version::from_u32(value as u32, format);
        let _ = version::from_u64(value, format);
        let _ = version::bcd_from_u16_strict(value as u16);
        let _ = version::bcd_from_u32_strict(value as u32);
        let _ = version::format_microcode_revision(value as u32);
    }

    #[test]
    fn string_parsers_never_panic(text in any_version(), format in any_format()) {
        let _ = version::parse_from_format(&text, format);
        let _ = version::ensure_semver(&text, format);
        let _ = version::guess_format(&text);
        let _ = version::verify_format(&text, format);
        let _ = text.parse::<VersionFormat>();
        let _ = version::normalize_nvm_version(&text);
        let _ = version::parse_microcode_revision(&text);
        let _ = ParsedVersion::new(&text, format);
    }

    #[test]
    fn ensure_semver_output_is_ascii(text in any_version(), format in any_format()) {
        if let Some(semver) = version::ensure_semver(&text, format) {
            prop_assert!(semver.is_ascii(), "{:?}", semver);
        }
    }

    #[test]
    fn strict_bcd_agrees_with_lenient_render(value in any::<u16>()) {
        if let Ok(strict) = version::bcd_from_u16_strict(value) {
            prop_assert_eq!(Ok(strict), version::from_u16(value, VersionFormat::Bcd));
        }
    }
}

#[test]
fn huge_inputs_do_not_panic() {
    // 256 KiB each: long enough to expose quadratic work, short enough for debug builds.
    let digits = "9".repeat(1 << 18);
    let dots = ".".repeat(1 << 18);
    let mixed = "1.ü~".repeat(1 << 16);
    for text in [&digits, &dots, &mixed] {
        for format in VersionFormat::ALL {
            assert_eq!(version::compare(text, text, format), Ordering::Equal);
            let _ = version::compare(text, "1", format);
            let _ = ParsedVersion::new(text, format);
            let _ = version::ensure_semver(text, format);
            let _ = version::verify_format(text, format);
            let _ = version::parse_from_format(text, format);
        }
    }
}

#[test]
fn huge_numbers_saturate_at_i64_max() {
    let huge = "9".repeat(100);
    let ordering = version::compare(&huge, "18446744073709551615", VersionFormat::Number);
    assert_eq!(
        ordering,
        Ordering::Equal,
        "both saturate at i64::MAX, as in fwupd"
    );
    let ordering = version::compare(&huge, "1", VersionFormat::Number);
    assert_eq!(ordering, Ordering::Greater);
}
