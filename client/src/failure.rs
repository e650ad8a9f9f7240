//! Errors of hwupctl and the exit codes they map to.
//!
//! | code | meaning |
//! | --- | --- |
//! | 1 | the operation failed |
//! | 2 | invalid command line (clap) |
//! | 3 | the daemon or the bus is unreachable |
//! | 4 | not authorized |
//! | 5 | a signature or checksum did not verify |
//! | 6 | not found |

use std::fmt;
use std::process::ExitCode;

use zbus::DBusError;

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

pub const FAILED: u8 = 1;
pub const USAGE: u8 = 2;
pub const UNREACHABLE: u8 = 3;
pub const NOT_AUTHORIZED: u8 = 4;
pub const NOT_VERIFIED: u8 = 5;
pub const NOT_FOUND: u8 = 6;

/// Maps a D-Bus error to a one-line message that names the next step.
///
/// Only the error's name decides the exit code, never its message, because a
/// message may quote another error. For example, a polkit check that fails with
/// `ServiceUnknown` comes back as `NotAuthorized` with that name in its text.
pub fn from_dbus(error: zbus::Error) -> Failure {
    // Method calls return error replies as MethodError, and property reads as
    // FDO, so the same bus error reaches here in either form.
    match &error {
        zbus::Error::MethodError(name, detail, _) => {
            from_error_name(name.as_str(), detail.as_deref().unwrap_or_default())
        }
        zbus::Error::FDO(fdo) => from_error_name(&fdo.name(), fdo.description().unwrap_or("")),
        zbus::Error::InputOutput(_) => stopped_answering(&daemon_text(&error.to_string())),
        _ => Failure::new(
            FAILED,
            format!("calling hwupd failed: {}", daemon_text(&error.to_string())),
        ),
    }
}

/// Maximum characters of a daemon message that hwupctl prints. The daemon quotes
/// at most `MAX_ECHOED_CHARS` of any argument, so a longer message comes only from
/// an older daemon that echoes a huge argument back.
const MAX_MESSAGE_CHARS: usize = 1000;

/// Makes a message from the daemon safe to print. Control characters are escaped,
/// and the text is cut after `MAX_MESSAGE_CHARS` characters.
pub fn daemon_text(text: &str) -> String {
    hwupd::output::printable(text, MAX_MESSAGE_CHARS)
}

/// Maps a D-Bus error name and its message to a failure. Job objects report the
/// error of a failed job in the same two parts.
pub fn from_error_name(name: &str, detail: &str) -> Failure {
    let detail = &daemon_text(detail);
    match name {
        "org.freedesktop.DBus.Error.ServiceUnknown"
        | "org.freedesktop.DBus.Error.NameHasNoOwner" => not_running(),
        "org.freedesktop.DBus.Error.NoReply" | "org.freedesktop.DBus.Error.Disconnected" => {
            stopped_answering(detail)
        }
        "org.freedesktop.DBus.Error.AccessDenied" => Failure::new(
            NOT_AUTHORIZED,
            format!("not authorized: {detail}; run as root or ask an administrator"),
        ),
        // The daemon's message names the action and the next step.
        "org.hwupd.Hwupd1.Error.NotAuthorized" => {
            Failure::new(NOT_AUTHORIZED, format!("not authorized: {detail}"))
        }
        "org.hwupd.Hwupd1.Error.SignatureInvalid" => Failure::new(NOT_VERIFIED, detail),
        "org.hwupd.Hwupd1.Error.NotFound" => Failure::new(NOT_FOUND, detail),
        // The message of an error is for people, and its name only for programs.
        _ if detail.is_empty() => Failure::new(
            FAILED,
            format!("calling hwupd failed with the D-Bus error {name}"),
        ),
        _ => Failure::new(FAILED, detail),
    }
}

fn stopped_answering(detail: &str) -> Failure {
    Failure::new(
        UNREACHABLE,
        format!("hwupd stopped answering during the call ({detail}); check `hwupctl status` and `hwupctl history`"),
    )
}

/// Maps a failure to reach the bus itself.
pub fn from_connect(error: zbus::Error) -> Failure {
    let address = std::env::var("DBUS_SYSTEM_BUS_ADDRESS")
        .unwrap_or_else(|_| "unix:path=/run/dbus/system_bus_socket".to_string());
    Failure::new(
        UNREACHABLE,
        format!("cannot connect to the system bus at {address}: {error}; is dbus running?"),
    )
}

/// Returns the failure for a daemon name without an owner on the bus in use.
fn not_running() -> Failure {
    match std::env::var("DBUS_SYSTEM_BUS_ADDRESS") {
        Ok(address) => Failure::new(
            UNREACHABLE,
            format!("hwupd is not running on the bus at {address}; start it there, or unset DBUS_SYSTEM_BUS_ADDRESS"),
        ),
        Err(_) => Failure::new(
            UNREACHABLE,
            "hwupd is not running on the system bus; start it with `systemctl start hwupd`",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_read_without_daemon_is_unreachable() {
        let message = "The name org.hwupd.Hwupd1 was not provided by any .service files";
        let error = zbus::fdo::Error::ServiceUnknown(message.into());
        let failure = from_dbus(zbus::Error::FDO(Box::new(error)));
        assert_eq!(failure.code, UNREACHABLE);
        assert!(failure.message.contains("hwupd is not running"));
    }

    /// Returns the error that a method call gets from an error reply.
    fn method_error(name: &str, detail: &str) -> zbus::Error {
        let call = zbus::Message::method_call("/org/hwupd/Hwupd1/Manager", "Approve")
            .unwrap()
            .build(&())
            .unwrap();
        let reply = zbus::Message::error(&call.header(), name)
            .unwrap()
            .build(&(detail,))
            .unwrap();
        zbus::Error::from(reply)
    }

    #[test]
    fn polkit_missing_is_not_authorized() {
        let detail = "org.hwupd.configure denied: polkit is not available \
            (org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.PolicyKit1 \
            was not provided by any .service files); run hwupctl as root";
        let error = method_error("org.hwupd.Hwupd1.Error.NotAuthorized", detail);

        let failure = from_dbus(error);

        assert_eq!(failure.code, NOT_AUTHORIZED, "{failure}");
        assert!(failure.message.contains(detail), "{failure}");
        assert!(!failure.message.contains("not running"), "{failure}");
    }

    #[test]
    fn error_names_decide_the_exit_code() {
        let cases = [
            ("org.freedesktop.DBus.Error.ServiceUnknown", UNREACHABLE),
            ("org.freedesktop.DBus.Error.NameHasNoOwner", UNREACHABLE),
            ("org.freedesktop.DBus.Error.NoReply", UNREACHABLE),
            ("org.freedesktop.DBus.Error.AccessDenied", NOT_AUTHORIZED),
            ("org.hwupd.Hwupd1.Error.NotAuthorized", NOT_AUTHORIZED),
            ("org.hwupd.Hwupd1.Error.SignatureInvalid", NOT_VERIFIED),
            ("org.hwupd.Hwupd1.Error.NotFound", NOT_FOUND),
            ("org.hwupd.Hwupd1.Error.Failed", FAILED),
        ];
        for (name, code) in cases {
            // A message that quotes other error names must not change the verdict.
            let detail = "saw org.freedesktop.DBus.Error.ServiceUnknown and NoReply before";

            let failure = from_dbus(method_error(name, detail));

            assert_eq!(failure.code, code, "{name}: {failure}");
        }
    }

    #[test]
    fn failed_call_quoting_no_reply_is_failed() {
        let error = method_error("org.hwupd.Hwupd1.Error.Failed", "the backend saw NoReply");

        let failure = from_dbus(error);

        assert_eq!(failure.code, FAILED, "{failure}");
        assert!(!failure.message.contains("stopped answering"), "{failure}");
    }

    #[test]
    fn huge_daemon_message_is_cut_and_escaped() {
        let detail = format!("release \u{1b}[2J{} is unknown", "x".repeat(20_000_000));
        let error = method_error("org.hwupd.Hwupd1.Error.NotFound", &detail);

        let failure = from_dbus(error);

        assert_eq!(failure.code, NOT_FOUND);
        // 1000 characters, five more for the escaped ESC, and the ellipsis.
        assert_eq!(failure.message.chars().count(), 1006);
        assert!(
            failure.message.starts_with("release \\u{1b}[2J"),
            "{failure}"
        );
        assert!(failure.message.ends_with('…'), "{failure}");
        assert!(!failure.message.contains('\u{1b}'), "{failure}");
    }

    #[test]
    fn failed_message_has_no_error_name() {
        let error = method_error(
            "org.hwupd.Hwupd1.Error.InvalidArgs",
            "count 5000 is too large",
        );

        let failure = from_dbus(error);

        assert_eq!(failure.code, FAILED);
        assert_eq!(failure.message, "count 5000 is too large");
    }

    #[test]
    fn empty_message_names_the_error() {
        let failure = from_error_name("org.example.Error.Odd", "");

        assert_eq!(
            failure.message,
            "calling hwupd failed with the D-Bus error org.example.Error.Odd"
        );
    }

    #[test]
    fn property_read_denied_is_not_authorized() {
        let error = zbus::fdo::Error::AccessDenied("rejected by policy".into());
        let failure = from_dbus(zbus::Error::FDO(Box::new(error)));
        assert_eq!(failure.code, NOT_AUTHORIZED);
        assert!(failure.message.contains("rejected by policy"));
    }
}
