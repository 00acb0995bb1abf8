//! Adapters: the ports implemented over real storage (embedded SQLite, S3 or the embedded S3 endpoint).

pub mod dynamodb;
pub mod local_s3;
pub mod s3;
pub mod sqlite;
