//! The one error type of the use cases; `http::error` is the only place it becomes a status code.

use crate::app::ErrorCode;
use crate::domain::{CursorError, ValidationError};
use crate::ports::{ObjectError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Well-formed request whose content breaks a rule (422).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Malformed request: bad query parameter, cursor or part list (400).
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    #[error("missing or invalid credentials")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Something the body names does not exist (404 with its own code, e.g. `no_such_tier`).
    #[error("{message}")]
    Missing { code: ErrorCode, message: String },
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedFormat(String),
    #[error("too many requests; retry in {retry_after} s")]
    Throttled { retry_after: u64 },
    /// A per-user quota is used up (429 with its own code and message).
    #[error("{message}")]
    Quota {
        code: super::ErrorCode,
        message: String,
        retry_after: u64,
    },
    /// A dependency failed; the cause is logged, never shown (503).
    #[error("a dependency is unavailable")]
    Unavailable(String),
    /// A bug; the cause is logged, never shown (500).
    #[error("internal error")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid(ValidationError::new(field, message))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("resource"),
            StoreError::AlreadyExists => {
                AppError::conflict(ErrorCode::AlreadyExists, "it already exists")
            }
            StoreError::Conflict(why) => AppError::conflict(ErrorCode::Conflict, why),
            StoreError::BadContinuation => {
                AppError::bad_request(ErrorCode::InvalidCursor, "the cursor is not valid")
            }
            StoreError::Unavailable(cause) => AppError::Unavailable(cause),
        }
    }
}

impl From<ObjectError> for AppError {
    fn from(e: ObjectError) -> Self {
        match e {
            ObjectError::NotFound => AppError::NotFound("object"),
            ObjectError::InvalidPart(why) => AppError::bad_request(ErrorCode::InvalidPart, why),
            ObjectError::TooLarge(n) => {
                AppError::TooLarge(format!("the object has {n} bytes, more than allowed"))
            }
            ObjectError::Unavailable(cause) => AppError::Unavailable(cause),
        }
    }
}

impl From<CursorError> for AppError {
    fn from(_: CursorError) -> Self {
        AppError::bad_request(
            ErrorCode::InvalidCursor,
            "the cursor is malformed, altered, or belongs to another query",
        )
    }
}
