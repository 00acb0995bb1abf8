//! Adapters: the ports implemented over real storage (embedded SQLite, S3 or the embedded S3 endpoint).

pub mod dynamodb;
#[cfg(feature = "embedded")]
pub mod local_s3;
pub mod s3;
#[cfg(feature = "embedded")]
pub mod sqlite;
