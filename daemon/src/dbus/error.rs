//! Errors sent over D-Bus, each with a name that the client maps to an exit code.

use zbus::DBusError;

/// An error returned by a hwupd method, named `org.hwupd.Hwupd1.Error.<Variant>`.
#[derive(Debug, DBusError)]
#[zbus(prefix = "org.hwupd.Hwupd1.Error")]
pub enum Error {
    #[zbus(error)]
    ZBus(zbus::Error),
    /// An argument is malformed or out of range.
    InvalidArgs(String),
    /// A device, release or job does not exist.
    NotFound(String),
    /// The caller may not perform this action.
    NotAuthorized(String),
    /// A catalog or payload failed verification.
    SignatureInvalid(String),
    /// The operation failed; the message says why.
    Failed(String),
}

pub type Result<T> = std::result::Result<T, Error>;
