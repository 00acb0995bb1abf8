//! Compressed answers kept by ETag, so an answer many clients ask for (the first feed page is the
//! same for everyone while its presigned URLs are) is compressed once, not once per request.
//!
//! The ETag names the uncompressed body (`conditional.rs`), so `(ETag, encoding)` names the
//! compressed bytes exactly. [`remember`] sits outside tower-http's compression layer and keeps
//! what it produced; [`reuse`], inside it, answers from the cache, with the `Content-Encoding` set,
//! which tower-http then passes through unchanged.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

/// Entries kept (a few KiB each); the cache starts over when full.
const MAX_ENTRIES: usize = 512;
/// Larger compressed answers are not kept.
const MAX_BYTES: usize = 256 * 1024;
/// What an answer may be at most (the ETag layer has read it whole already, uncompressed).
const MAX_ANSWER: usize = 16 * 1024 * 1024;
/// Marks an answer served from the cache, so [`remember`] does not store it again.
const FROM_CACHE: &str = "x-imagegram-compressed-cache";

type Key = (HeaderValue, &'static str);

fn cache() -> &'static Mutex<HashMap<Key, Bytes>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Bytes>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The encoding tower-http would pick among those kept here: the client's highest `q` of `br`
/// and `gzip` (`br` on a tie), `None` if it takes neither.
pub fn preferred(headers: &HeaderMap) -> Option<&'static str> {
    let mut best: Option<(&'static str, f32)> = None;
    for item in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let coding = match name.as_str() {
            "br" => "br",
            "gzip" => "gzip",
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((held, held_q)) => q > held_q || (q == held_q && coding == "br" && held != "br"),
        };
        if q > 0.0 && better {
            best = Some((coding, q));
        }
    }
    best.map(|(coding, _)| coding)
}

/// The cached compressed form of the answer tagged `etag` for a client that accepts `headers`.
pub fn reuse(request_headers: &HeaderMap, etag: &HeaderValue) -> Option<(&'static str, Bytes)> {
    let coding = preferred(request_headers)?;
    let map = cache().lock().unwrap_or_else(|e| e.into_inner());
    map.get(&(etag.clone(), coding))
        .map(|b| (coding, b.clone()))
}

/// The answer as it was kept: `bytes` in `coding`, for the (already tagged) `response`.
pub fn reused(mut response: Response, coding: &'static str, bytes: Bytes) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    headers.insert(FROM_CACHE, HeaderValue::from_static("1"));
    *response.body_mut() = Body::from(bytes);
    response
}

/// Outside the compression layer: keeps what it compressed for tagged `GET` answers.
pub async fn remember(request: Request, next: Next) -> Response {
    let is_get = request.method() == Method::GET;
    let mut response = next.run(request).await;
    if response.headers_mut().remove(FROM_CACHE).is_some() || !is_get {
        return response;
    }
    let headers = response.headers();
    let coding = match headers
        .get(header::CONTENT_ENCODING)
        .map(HeaderValue::as_bytes)
    {
        Some(b"br") => "br",
        Some(b"gzip") => "gzip",
        _ => return response,
    };
    let Some(etag) = headers.get(header::ETAG).cloned() else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ANSWER).await else {
        // The body failed: so does the answer.
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    };
    if bytes.len() <= MAX_BYTES {
        let mut map = cache().lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert((etag, coding), bytes.clone());
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn the_preferred_encoding_follows_q_values() {
        assert_eq!(preferred(&accept("gzip, deflate, br")), Some("br"));
        assert_eq!(preferred(&accept("gzip")), Some("gzip"));
        assert_eq!(preferred(&accept("br;q=0.5, gzip;q=1")), Some("gzip"));
        assert_eq!(preferred(&accept("br;q=0, gzip;q=0")), None);
        assert_eq!(preferred(&accept("identity")), None);
        assert_eq!(preferred(&HeaderMap::new()), None);
    }
}
