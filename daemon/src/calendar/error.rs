//! Errors from parsing a calendar expression, each naming the part that failed.

/// The reason a calendar expression was rejected.
///
/// `NumberTooLarge` and `ZeroRepetition` are the cases systemd reports as
/// `ERANGE`, and every other variant is its `EINVAL`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar expression is empty")]
    Empty,

    #[error("invalid token {token:?} at byte {offset}: expected {expected}")]
    InvalidToken {
        token: String,
        /// Byte offset of `token` in the expression.
        offset: usize,
        expected: &'static str,
    },

    #[error("calendar expression ends early: expected {expected}")]
    UnexpectedEnd { expected: &'static str },

    #[error("unknown time zone {name:?}")]
    UnknownTimeZone { name: String },

    #[error("{field} {token:?} is out of range: {reason}")]
    OutOfRange {
        field: &'static str,
        token: String,
        reason: String,
    },

    #[error("number {token:?} is too large")]
    NumberTooLarge { token: String },

    #[error("repetition {token:?} is zero")]
    ZeroRepetition { token: String },
}

impl CalendarError {
    /// Returns the part of the expression that was rejected, if one part was.
    pub fn token(&self) -> Option<&str> {
        match self {
            Self::Empty | Self::UnexpectedEnd { .. } => None,
            Self::InvalidToken { token, .. }
            | Self::OutOfRange { token, .. }
            | Self::NumberTooLarge { token }
            | Self::ZeroRepetition { token } => Some(token),
            Self::UnknownTimeZone { name } => Some(name),
        }
    }
}
