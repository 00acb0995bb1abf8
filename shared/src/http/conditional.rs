//! Conditional reads and compression (API.md, "Clients on slow and unstable connections").
//!
//! Every successful JSON `GET` carries a weak `ETag` made from its uncompressed body, so it is the
//! same for every content encoding and changes whenever anything in the answer does; a request
//! whose `If-None-Match` names it gets `304 Not Modified` with no body. Compression (gzip, brotli)
//! sits outside this layer and sees only the bodies that are sent.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel, DefaultPredicate};

/// JSON answers of at least this many bytes are compressed when the client allows it.
pub const COMPRESS_FROM_BYTES: u16 = 1024;

/// Answers are built in memory; this only bounds what the ETag layer reads back.
const MAX_TAGGED_BODY: usize = 16 * 1024 * 1024;

/// gzip and brotli at level 1 (a feed page still shrinks to about a sixth; an answer many ask
/// for is compressed once, `compressed.rs`) for answers of 1 KiB or more, never for images.
pub fn compression() -> CompressionLayer<impl Predicate> {
    let predicate = DefaultPredicate::new()
        .and(SizeAbove::new(COMPRESS_FROM_BYTES))
        .and(NotForContentType::IMAGES);
    CompressionLayer::new()
        .no_deflate()
        .no_zstd()
        .quality(CompressionLevel::Precise(1))
        .compress_when(predicate)
}

/// The weak ETag of a body: `W/"` + 22 characters of its SHA-256 + `"`.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let tag = format!("W/\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..16]));
    HeaderValue::from_str(&tag).expect("base64 is a valid header value")
}

/// Whether `If-None-Match` (a list of entity tags, or `*`) names `etag`, compared weakly
/// (RFC 9110, 13.1.2: `W/"x"` and `"x"` match).
pub fn none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = opaque(etag.to_str().unwrap_or_default());
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || opaque(tag) == ours)
}

fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Tags the `200` JSON answers of `GET` (and `HEAD`) requests, answers `304` when the client
/// already has that answer, and marks every JSON answer `Vary: Accept-Encoding`.
pub async fn conditional_get(request: Request, next: Next) -> Response {
    let readable = matches!(*request.method(), Method::GET | Method::HEAD);
    let conditions = readable.then(|| request.headers().clone());
    let response = next.run(request).await;
    if !is_json(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts
        .headers
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(conditions) = conditions.filter(|_| parts.status == StatusCode::OK) else {
        return Response::from_parts(parts, body);
    };
    let Ok(bytes) = to_bytes(body, MAX_TAGGED_BODY).await else {
        parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        return Response::from_parts(parts, Body::empty());
    };
    let etag = etag_of(&bytes);
    // Caches may keep the answer but must ask again before using it (the 304 is the cheap
    // answer to that question); it is one user's data, so no shared cache keeps it.
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    parts.headers.insert(header::ETAG, etag.clone());
    if none_match(&conditions, &etag) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    if let Some((coding, compressed)) = super::compressed::reuse(&conditions, &etag) {
        return super::compressed::reused(
            Response::from_parts(parts, Body::empty()),
            coding,
            compressed,
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}
