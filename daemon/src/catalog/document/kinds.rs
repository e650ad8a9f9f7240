//! Named values of a release: severity, install method, version format and rollout ring.
//!
//! Each is a kebab-case string in the JSON document. A name this hwupd does not know
//! parses into the `Unknown` variant, so that validation can report it with the release
//! and field that contain it instead of failing the whole parse with a line number.

use std::fmt;

/// Defines a string-valued enum with an `Unknown(String)` fallback and its serde mapping.
macro_rules! named_values {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$variant_meta:meta])* $variant:ident => $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
            /// A name that this version of hwupd does not know. Validation rejects it.
            Unknown(String),
        }

        impl $name {
            /// Every known name, in order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown(name) => name,
                }
            }
        }

        impl From<String> for $name {
            fn from(name: String) -> Self {
                match name.as_str() {
                    $($text => Self::$variant,)+
                    _ => Self::Unknown(name),
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.as_str().to_owned()
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            /// Parses a known name. The error lists the known names.
            fn from_str(name: &str) -> Result<Self, Self::Err> {
                match Self::from(name.to_owned()) {
                    Self::Unknown(_) => Err(format!("expected one of: {}", Self::NAMES.join(", "))),
                    known => Ok(known),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_values! {
    /// Urgency of a release, from the vendor's advisory. Ordered from low to critical.
    pub enum Severity {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
}

named_values! {
    /// Backend that installs the payload.
    pub enum InstallMethod {
        /// UEFI capsule update of an ESRT entry, applied by the firmware at the next boot.
        UefiCapsule => "uefi-capsule",
        /// Thunderbolt NVM written through sysfs and then authenticated.
        Thunderbolt => "thunderbolt",
        /// Kernel module installed under `lib/modules/<release>/updates/`.
        Kmod => "kmod",
        /// Device kept in a state file, for demonstrations and tests.
        Emulated => "emulated",
    }
}

named_values! {
    /// Format of a version string, named as fwupd names its version formats.
    pub enum VersionFormat {
        Plain => "plain",
        Number => "number",
        Pair => "pair",
        Triplet => "triplet",
        Quad => "quad",
        Bcd => "bcd",
        IntelMe => "intel-me",
        IntelMe2 => "intel-me2",
        SurfaceLegacy => "surface-legacy",
        Surface => "surface",
        DellBios => "dell-bios",
        DellBiosMsb => "dell-bios-msb",
        Hex => "hex",
    }
}

named_values! {
    /// Rollout ring of a release or a machine, from first to last to receive updates.
    ///
    /// A release's ring is the last ring meant to receive it: a `canary` release is for
    /// canary machines only, and a `broad` release is for all machines.
    pub enum Ring {
        Canary => "canary",
        Early => "early",
        Broad => "broad",
    }
}

impl Severity {
    /// Ranks severities from low (1) to critical (4). Names this hwupd does not know
    /// rank 0, below low, because nothing is known about their urgency.
    pub fn rank(&self) -> u8 {
        match self {
            Severity::Critical => 4,
            Severity::High => 3,
            Severity::Medium => 2,
            Severity::Low => 1,
            Severity::Unknown(_) => 0,
        }
    }
}

/// Returns the sort key that puts the most urgent update first: known exploited
/// before the rest, then higher severity, then the older release.
pub fn urgency_key(
    known_exploited: bool,
    severity: &Severity,
    released: jiff::civil::Date,
) -> impl Ord {
    use std::cmp::Reverse;
    (Reverse(known_exploited), Reverse(severity.rank()), released)
}
