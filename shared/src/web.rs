//! The browser app (`web/`, built into `web/dist`), served by `imagegram serve` at `/`.
//!
//! The files are embedded in the binary (rust-embed; a debug build reads them from `web/dist` at
//! run time, so a rebuilt app shows without recompiling). `GET`s of paths that are not the API's
//! (`/v1...`, `/healthz`, `/openapi.json`, `/docs...`) get the file of that name, or `index.html`
//! when the client accepts HTML (client-side routes); anything else goes on to the API, whose
//! unknown routes stay JSON 404s.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::{Layer, ServiceExt};
use tower_http::compression::CompressionLayer;

#[derive(rust_embed::Embed)]
#[folder = "../web/dist"]
#[allow_missing = true]
struct Dist;

/// Vite names every file under `assets/` by its content hash, so they may be cached for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `index.html` and unhashed files: revalidated each time (a 304 while unchanged).
const REVALIDATE: &str = "no-cache";

/// What the app's answers carry; built once at start.
#[derive(Debug, Clone)]
pub struct WebApp {
    csp: HeaderValue,
}

impl WebApp {
    /// `objects`: the object endpoint's origin as clients see it (part uploads and images).
    pub fn new(objects: &str) -> Self {
        let csp = content_security_policy(objects);
        Self {
            csp: HeaderValue::from_str(&csp)
                .unwrap_or(HeaderValue::from_static("default-src 'self'")),
        }
    }

    /// Whether the binary holds a built app (`web/dist/index.html`).
    pub fn is_built() -> bool {
        Dist::get("index.html").is_some()
    }
}

/// Only this origin and the object endpoint: no inline script or style, nothing from elsewhere.
pub fn content_security_policy(objects: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; \
         img-src 'self' data: blob: {objects}; connect-src 'self' {objects}; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Paths that belong to the API (and its documentation), never to the app.
fn is_api(path: &str) -> bool {
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    under("/v1") || under("/docs") || path == "/healthz" || path == "/openapi.json"
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

/// Middleware in front of the API router: answers the app's files, passes the rest on.
pub async fn serve(State(web): State<Arc<WebApp>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !matches!(*req.method(), Method::GET | Method::HEAD) || is_api(path) {
        return next.run(req).await;
    }
    let name = path.trim_start_matches('/');
    let found = match Dist::get(name).filter(|_| !name.is_empty() && !name.ends_with('/')) {
        Some(file) => Some((name.to_owned(), file)),
        None if accepts_html(req.headers()) => {
            Dist::get("index.html").map(|file| ("index.html".to_owned(), file))
        }
        None => None,
    };
    let Some((name, file)) = found else {
        return next.run(req).await;
    };
    let answer = file_response(&web, &name, file, req.headers());
    // Compressed per request (gzip or brotli as accepted); hashed assets are fetched once.
    let compress = CompressionLayer::new().layer(tower::service_fn(move |_req: Request| {
        let answer = answer.clone();
        async move { Ok::<_, Infallible>(answer.into_response()) }
    }));
    match compress.oneshot(req).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// An answer that can be rebuilt (the compression service takes it by value).
#[derive(Clone)]
struct FileAnswer {
    status: StatusCode,
    headers: HeaderMap,
    body: Option<std::borrow::Cow<'static, [u8]>>,
}

impl IntoResponse for FileAnswer {
    fn into_response(self) -> Response {
        let body = self.body.map(Body::from).unwrap_or_else(Body::empty);
        let mut response = (self.status, body).into_response();
        *response.headers_mut() = self.headers;
        response
    }
}

fn file_response(
    web: &WebApp,
    name: &str,
    file: rust_embed::EmbeddedFile,
    request: &HeaderMap,
) -> FileAnswer {
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let mut headers = HeaderMap::new();
    let set = |headers: &mut HeaderMap, name, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(&mut headers, header::CONTENT_TYPE, &content_type(&file));
    set(&mut headers, header::ETAG, &etag);
    let cache = if name.starts_with("assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    set(&mut headers, header::CACHE_CONTROL, cache);
    headers.insert(header::CONTENT_SECURITY_POLICY, web.csp.clone());
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let unchanged = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        });
    if unchanged {
        return FileAnswer {
            status: StatusCode::NOT_MODIFIED,
            headers,
            body: None,
        };
    }
    FileAnswer {
        status: StatusCode::OK,
        headers,
        body: Some(file.data),
    }
}

fn content_type(file: &rust_embed::EmbeddedFile) -> String {
    let mime = file.metadata.mimetype();
    let text = mime.starts_with("text/")
        || mime == "application/javascript"
        || mime == "application/json"
        || mime == "image/svg+xml";
    if text && !mime.contains("charset") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_are_never_the_app() {
        for path in [
            "/v1",
            "/v1/posts",
            "/v1/nope",
            "/docs",
            "/docs/swagger-ui.css",
            "/healthz",
            "/openapi.json",
        ] {
            assert!(is_api(path), "{path}");
        }
        for path in [
            "/",
            "/posts/01H",
            "/v1x",
            "/docsy",
            "/admin",
            "/assets/index-abc.js",
        ] {
            assert!(!is_api(path), "{path}");
        }
    }

    #[test]
    fn the_policy_names_only_this_origin_and_the_object_endpoint() {
        let csp = content_security_policy("http://127.0.0.1:8081");
        assert!(csp.contains("connect-src 'self' http://127.0.0.1:8081;"));
        assert!(csp.contains("script-src 'self';"));
        assert!(!csp.contains("unsafe"));
    }
}
