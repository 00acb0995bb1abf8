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
    /// Where clients reach the API when a reverse proxy stands in front of it (`--public-url`).
    pub public_url: Option<String>,
    /// Where clients reach the object endpoint (`--s3-public-url`): presigned URLs are built and
    /// signed for this address. Default: the endpoint's own address.
    pub s3_public_url: Option<String>,
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

/// Checks a public base URL (`http(s)://host[:port]`, no path, query or credentials) and returns
/// it without a trailing slash.
pub fn parse_public_url(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let bare = uri.path() == "/" || uri.path().is_empty();
    let no_userinfo = uri.authority().is_some_and(|a| !a.as_str().contains('@'));
    if !scheme_ok || !bare || uri.query().is_some() || !no_userinfo {
        return Err(format!(
            "{text:?} must be http(s)://host[:port], without a path, query or credentials"
        ));
    }
    Ok(trimmed.to_owned())
}

/// Parses `name:password`.
pub fn parse_admin(text: &str) -> Option<(String, String)> {
    let (name, password) = text.split_once(':')?;
    Some((name.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_bare_origins() {
        assert_eq!(
            parse_public_url("https://img.example.com/").unwrap(),
            "https://img.example.com"
        );
        assert_eq!(
            parse_public_url("http://127.0.0.1:9000").unwrap(),
            "http://127.0.0.1:9000"
        );
        for bad in [
            "img.example.com",
            "ftp://x",
            "https://x/api",
            "https://x?a=1",
            "https://u:p@x",
            "",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }
}
