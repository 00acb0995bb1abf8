//! A client for Imagegram's `/v1` API (`../shared/API.md`): what the command-line client, the
//! tests and the benchmarks use.
//!
//! - [`Client`]: typed calls, each retried on network errors, 5xx, 429 and `409
//!   idempotency_key_in_use` with exponential backoff and full jitter ([`Retry`]), honouring
//!   `Retry-After`; every `POST` carries an `Idempotency-Key`, the same on every retry, so a
//!   retried write never doubles. The environment's proxy settings (`HTTP_PROXY`,
//!   `HTTPS_PROXY`, `NO_PROXY`) apply to every request, API and object storage alike.
//! - [`upload::Uploader`]: a file to a completed upload, parts straight to their presigned URLs,
//!   several at once, streamed from the file (never the whole file in memory), each part
//!   checked against its ETag (the MD5 of its bytes), expired URLs re-signed, and resumable:
//!   killed or cut off, the same file uploads into the same upload from the parts the server
//!   already has ([`state`]: a small file per content hash).
//! - [`config`]: the stored login.

pub mod api;
pub mod config;
mod error;
mod retry;
pub mod state;
pub mod upload;

pub use api::Client;
pub use error::Error;
pub use retry::Retry;

pub type Result<T, E = Error> = std::result::Result<T, E>;
