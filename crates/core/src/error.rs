//! The one error type of the domain. The HTTP layer maps it to status codes.

use serde::Serialize;

/// Result of every use-case.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms the caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The record does not exist *or the actor may not know it exists*.
    #[error("not found")]
    NotFound,
    /// The actor is known to see the record but may not do this.
    #[error("forbidden")]
    Forbidden,
    /// The request conflicts with the current state (duplicate, changed meanwhile).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input was wrong; each field says what to fix.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// A sealed value failed its integrity check: it was changed, truncated or moved to another
    /// row or column. Names the field (never a value); reported as tampering, never as data.
    #[error("tampered: {0}")]
    Tampered(String),
    /// Too busy right now: try again after this many seconds (back-pressure, never a crash).
    #[error("busy: retry after {0} s")]
    Busy(u64),
    /// Something broke; the cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Wrap any lower-level failure as internal.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }

    /// One invalid field.
    pub fn invalid(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, zh, en);
        Error::Invalid(errors)
    }
}

/// One field's problem, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub zh: String,
    pub en: String,
}

/// All problems found in one input, field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, zh: impl Into<String>, en: impl Into<String>) {
        self.0.push(FieldError {
            field,
            zh: zh.into(),
            en: en.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message for a field, if any.
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    /// `Ok(())` when nothing was added, otherwise `Err(Error::Invalid)`.
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self))
        }
    }

    /// Keep the value of a field parse, or record its error and return `None`.
    pub fn take<T>(&mut self, r: std::result::Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
}
