//! Typed configuration of the embedded shape (`imagegram serve`).

use std::net::SocketAddr;
use std::path::PathBuf;

/// What `imagegram serve` needs; the binary fills it from flags and `IMAGEGRAM_*` variables.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where the API listens.
    pub addr: SocketAddr,
    /// Where the embedded S3 endpoint listens (presigned URLs point here). Port 0 picks one.
    pub s3_addr: SocketAddr,
    pub data_dir: PathBuf,
    /// `IMAGEGRAM_ADMIN=name:password`: an admin account made sure of at start.
    pub admin: Option<(String, String)>,
}

impl ServeConfig {
    /// The S3 endpoint's default address: the API's host, next port (127.0.0.1:8081 by default).
    pub fn default_s3_addr(addr: SocketAddr) -> SocketAddr {
        let port = if addr.port() == 0 {
            0
        } else {
            addr.port().saturating_add(1)
        };
        SocketAddr::new(addr.ip(), port)
    }
}

/// Parses `name:password`.
pub fn parse_admin(text: &str) -> Option<(String, String)> {
    let (name, password) = text.split_once(':')?;
    Some((name.to_owned(), password.to_owned()))
}
