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

/// Rejects a call that carries arguments to a method that takes none; zbus
/// would otherwise ignore them silently.
pub fn expect_no_arguments(header: &zbus::message::Header<'_>) -> Result<()> {
    match header.signature() {
        signature if signature.to_string().is_empty() => Ok(()),
        signature => Err(Error::InvalidArgs(format!(
            "this method takes no arguments, but the call has signature {signature}"
        ))),
    }
}
