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
pub fn from_dbus(error: zbus::Error) -> Failure {
    let text = error.to_string();
    if text.contains("ServiceUnknown") || text.contains("NameHasNoOwner") {
        return not_running();
    }
    if text.contains("NoReply") || matches!(error, zbus::Error::InputOutput(_)) {
        return Failure::new(
            UNREACHABLE,
            format!("hwupd stopped answering during the call ({error}); check `hwupctl status` and `hwupctl history`"),
        );
    }

    // Method calls return error replies as MethodError, and property reads as
    // FDO, so the same bus error reaches here in either form.
    let (name, detail) = match &error {
        zbus::Error::MethodError(name, detail, _) => {
            (name.to_string(), detail.clone().unwrap_or_default())
        }
        zbus::Error::FDO(fdo) => (
            fdo.name().to_string(),
            fdo.description().unwrap_or("").into(),
        ),
        _ => return Failure::new(FAILED, format!("calling hwupd failed: {error}")),
    };
    match name.as_str() {
        "org.freedesktop.DBus.Error.ServiceUnknown"
        | "org.freedesktop.DBus.Error.NameHasNoOwner" => Failure::new(
            UNREACHABLE,
            "hwupd is not running on the system bus; start it with `systemctl start hwupd`",
        ),
        "org.freedesktop.DBus.Error.AccessDenied" | "org.hwupd.Hwupd1.Error.NotAuthorized" => {
            Failure::new(
                NOT_AUTHORIZED,
                format!("not authorized: {detail}; run as root or ask an administrator"),
            )
        }
        "org.hwupd.Hwupd1.Error.SignatureInvalid" => Failure::new(NOT_VERIFIED, detail),
        "org.hwupd.Hwupd1.Error.NotFound" => Failure::new(NOT_FOUND, detail),
        _ => Failure::new(FAILED, format!("{detail} ({name})")),
    }
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

    #[test]
    fn property_read_denied_is_not_authorized() {
        let error = zbus::fdo::Error::AccessDenied("rejected by policy".into());
        let failure = from_dbus(zbus::Error::FDO(Box::new(error)));
        assert_eq!(failure.code, NOT_AUTHORIZED);
        assert!(failure.message.contains("rejected by policy"));
    }
}
