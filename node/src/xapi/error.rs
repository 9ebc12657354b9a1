//! The one error type of the xAPI layer: an HTTP status the endpoint should answer with and a
//! message that names the JSON path of the problem.

use super::path::Path;

/// A rejected request. `status` is the HTTP status the LRS must answer with (400 for malformed
/// statements and parameters, 409 for a conflicting statement id); `message` says what and where,
/// e.g. `statement[3].actor: an Agent must have exactly one inverse functional identifier, found 2
/// (mbox, account)`. Messages never echo agent identifiers (email addresses, account names).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct XapiError {
    pub status: u16,
    pub message: String,
}

impl XapiError {
    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> XapiError {
        XapiError { status: 400, message: message.into() }
    }

    /// 409 Conflict: a statement id already stored with different content.
    pub fn conflict(message: impl Into<String>) -> XapiError {
        XapiError { status: 409, message: message.into() }
    }

    /// 400 at a JSON path: `"{path}: {message}"`.
    pub(crate) fn at(path: &Path<'_>, message: impl std::fmt::Display) -> XapiError {
        XapiError::bad_request(format!("{path}: {message}"))
    }
}
