//! Imagegram core library: domain, ports, use cases, adapters, HTTP routers and the image pipeline.
//!
//! Binaries (`imagegram` and the Lambda functions) only wire these together.

pub mod adapters;
pub mod app;
pub mod aws;
pub mod config;
pub mod domain;
pub mod embedded;
pub mod http;
pub use imagegram_imaging as imaging;
pub mod ports;
pub mod telemetry;
