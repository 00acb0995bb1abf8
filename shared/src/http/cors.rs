//! CORS, for pages on other origins (`IMAGEGRAM_CORS_ORIGINS`, API.md "Browsers"): the API's
//! layer and the embedded object endpoint's, which answers like the uploads bucket's CORS rule in
//! `template.yaml`. Preflights are answered before anything else runs (they carry no token and no
//! signature), and every answer to an allowed origin carries the headers, errors included.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// Parses `IMAGEGRAM_CORS_ORIGINS`: comma-separated `http(s)://host[:port]`, no trailing slash.
pub fn parse_origins(text: &str) -> Result<Vec<String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let bare = origin.trim_end_matches('/');
            let uri: axum::http::Uri = bare
                .parse()
                .map_err(|_| format!("{origin:?} is not an origin"))?;
            let ok = matches!(uri.scheme_str(), Some("http" | "https"))
                && uri.authority().is_some_and(|a| !a.as_str().contains('@'))
                && matches!(uri.path(), "" | "/")
                && uri.query().is_none();
            if ok {
                Ok(bare.to_owned())
            } else {
                Err(format!("{origin:?} must be http(s)://host[:port]"))
            }
        })
        .collect()
}

fn allow(origins: &[String]) -> AllowOrigin {
    AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
}

/// The API's layer when other origins are allowed (none: same origin only, no CORS headers).
pub fn api_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(allow(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([
                header::ETAG,
                header::RETRY_AFTER,
                HeaderName::from_static("idempotent-replayed"),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// The object endpoint's layer: `PUT` parts and `GET` objects from the allowed origins, any
/// request header, `ETag` readable (a page needs each part's ETag to complete the upload).
pub fn objects_layer(origins: &[String]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(allow(origins))
        .allow_methods([Method::GET, Method::PUT, Method::HEAD])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([header::ETAG])
        .max_age(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_bare_and_comma_separated() {
        assert_eq!(
            parse_origins(" https://app.example.com/, http://localhost:5173 ").unwrap(),
            ["https://app.example.com", "http://localhost:5173"]
        );
        assert!(parse_origins("").unwrap().is_empty());
        for bad in ["app.example.com", "https://x/app", "ftp://x", "https://u@x"] {
            assert!(parse_origins(bad).is_err(), "{bad}");
        }
    }
}
