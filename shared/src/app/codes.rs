//! Every error code the API answers with (`{"error": {"code", ...}}`) or stores as a failure
//! (`failure.code` of an image or post), in one registry: a code is a variant here, never a
//! string literal at its call site. API.md lists what each means.

macro_rules! error_codes {
    ($($variant:ident = $text:literal,)*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            /// Every code, in registry order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// How the code is spelled on the wire and in stores.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }

            /// The code spelled `text`, if it is one.
            pub fn parse(text: &str) -> Option<ErrorCode> {
                ErrorCode::ALL.iter().copied().find(|c| c.as_str() == text)
            }
        }
    };
}

error_codes! {
    // Request shape (400) and validation (422)
    MalformedJson = "malformed_json",
    MalformedBody = "malformed_body",
    MalformedForm = "malformed_form",
    InvalidBody = "invalid_body",
    InvalidQuery = "invalid_query",
    InvalidCursor = "invalid_cursor",
    InvalidLimit = "invalid_limit",
    InvalidSort = "invalid_sort",
    InvalidAuthor = "invalid_author",
    InvalidTitle = "invalid_title",
    InvalidStatus = "invalid_status",
    InvalidIdempotencyKey = "invalid_idempotency_key",
    IdempotencyKeyReused = "idempotency_key_reused",
    IdempotencyKeyInUse = "idempotency_key_in_use",
    InvalidPart = "invalid_part",
    RequestTimeout = "request_timeout",
    ValidationFailed = "validation_failed",
    // Who may do what (401, 403, 404, 405)
    Unauthorized = "unauthorized",
    Forbidden = "forbidden",
    NotFound = "not_found",
    NoSuchTier = "no_such_tier",
    MethodNotAllowed = "method_not_allowed",
    // State (409)
    AlreadyExists = "already_exists",
    AlreadyListed = "already_listed",
    Conflict = "conflict",
    UsernameTaken = "username_taken",
    TierExists = "tier_exists",
    TierInUse = "tier_in_use",
    DefaultTier = "default_tier",
    BuiltinTier = "builtin_tier",
    UploadAborted = "upload_aborted",
    UploadClosed = "upload_closed",
    UploadCompleted = "upload_completed",
    ImageNotReady = "image_not_ready",
    PostNotReady = "post_not_ready",
    // Sizes and formats (413, 415), image failures (`failure.code`)
    TooLarge = "too_large",
    UnsupportedMediaType = "unsupported_media_type",
    UnsupportedFormat = "unsupported_format",
    CorruptImage = "corrupt_image",
    TooManyPixels = "too_many_pixels",
    UploadFailed = "upload_failed",
    Aborted = "aborted",
    // Load and faults (429, 500, 503)
    Throttled = "throttled",
    UploadsInFlight = "uploads_in_flight",
    UploadQuota = "upload_quota",
    Internal = "internal",
    Unavailable = "unavailable",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                !text.is_empty() && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{text}"
            );
            assert_eq!(ErrorCode::parse(text), Some(code));
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }

    #[test]
    fn the_image_pipeline_codes_are_registered() {
        use crate::imaging::ImageError;
        for e in [
            ImageError::UnsupportedFormat,
            ImageError::CorruptImage(String::new()),
            ImageError::TooManyPixels {
                width: 1,
                height: 1,
            },
            ImageError::OverDecodeBudget {
                width: 1,
                height: 1,
            },
            ImageError::TooLarge { bytes: 1 },
        ] {
            assert!(ErrorCode::parse(e.code()).is_some(), "{}", e.code());
        }
    }
}
