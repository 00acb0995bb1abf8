//! Imagegram core library: domain, ports, use cases, adapters, HTTP routers and the image pipeline.
//!
//! Binaries (`imagegram` and the Lambda functions) only wire these together. Cargo features keep
//! each binary to what it runs: `render` (decoding and encoding images: the resize and images
//! functions) and `embedded` (the one-machine shape: SQLite, the embedded S3 endpoint; implies
//! `render`). The Lambda functions never enable `embedded`.

pub mod adapters;
pub mod app;
pub mod aws;
#[cfg(feature = "embedded")]
pub mod config;
pub mod domain;
#[cfg(feature = "render")]
pub mod edge;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod http;
pub use imagegram_imaging as imaging;
pub mod ports;
pub mod telemetry;
#[cfg(feature = "embedded")]
pub mod web;
