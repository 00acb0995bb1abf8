use std::time::Duration;

/// What went wrong, and the CLI's exit code for it (API.md: 1 other, 3 auth, 4 refused by the
/// API, 5 network gave up).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API (or the object endpoint) answered with an error status.
    #[error("{message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused or reset, timeout, DNS (after the retries).
    #[error("network: {0}")]
    Network(String),
    /// Not logged in, or the stored login is unusable.
    #[error("{0}")]
    Auth(String),
    /// Anything else: a file that cannot be read, an answer that is not what API.md says.
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Api { status: 401, .. } | Error::Auth(_) => 3,
            Error::Api { status, .. } if *status >= 500 => 5,
            Error::Api { .. } => 4,
            Error::Network(_) => 5,
            Error::Other(_) => 1,
        }
    }

    /// Worth another try: the network, a server error, a throttle, or the first request with
    /// the same Idempotency-Key still in flight.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Network(_) => true,
            Error::Api { status, code, .. } => {
                matches!(status, 429 | 500 | 502 | 503 | 504)
                    || (*status == 409 && code == "idempotency_key_in_use")
            }
            Error::Auth(_) | Error::Other(_) => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn io(context: &str, err: std::io::Error) -> Self {
        Error::Other(format!("{context}: {err}"))
    }
}

impl From<reqwest::Error> for Error {
    fn from(err: reqwest::Error) -> Self {
        if err.is_decode() {
            return Error::Other(format!("unexpected answer: {err}"));
        }
        // Walk to the root cause: "error sending request" alone says nothing.
        let mut text = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            text = format!("{text}: {cause}");
            source = cause.source();
        }
        Error::Network(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str) -> Error {
        Error::Api {
            status,
            code: code.into(),
            message: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(api(401, "unauthorized").exit_code(), 3);
        assert_eq!(Error::Auth("x".into()).exit_code(), 3);
        assert_eq!(api(403, "forbidden").exit_code(), 4);
        assert_eq!(api(422, "invalid").exit_code(), 4);
        assert_eq!(api(503, "unavailable").exit_code(), 5);
        assert_eq!(Error::Network("x".into()).exit_code(), 5);
        assert_eq!(Error::Other("x".into()).exit_code(), 1);
    }

    #[test]
    fn only_transient_failures_are_retried() {
        assert!(api(503, "unavailable").is_transient());
        assert!(api(429, "throttled").is_transient());
        assert!(api(409, "idempotency_key_in_use").is_transient());
        assert!(!api(409, "conflict").is_transient());
        assert!(!api(422, "invalid").is_transient());
        assert!(!api(401, "unauthorized").is_transient());
        assert!(Error::Network("reset".into()).is_transient());
    }
}
