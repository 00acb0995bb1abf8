//! `Idempotency-Key` on every authenticated `POST` under `/v1` (API.md, "Idempotent writes";
//! after the IETF httpapi draft and Stripe's idempotent requests).
//!
//! The first request with a key claims it in the metadata store (one conditional write, so two
//! processes or Lambda environments can never both run it), runs, and stores its final answer;
//! a repeat with the same method, path and body answers that again with `Idempotent-Replayed:
//! true`. Another body or path with the key is a 422, a repeat while the first runs a 409.
//!
//! The record and the write it guards stay consistent without a transaction spanning both: the
//! claim records a seed, and the request makes its ids from it (`Id::sequence`). If the process
//! dies after the write but before the answer is stored, the claim stays in flight until its lease
//! runs out; a retry then takes it over with the same seed, runs again, and its conditional create
//! finds the row it made the first time (same id), so the answer is built from that row instead of
//! a second one. A stored answer is only ever one the request really gave.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::app::{App, ErrorCode};
use crate::domain::{Id, Username};
use crate::ports::{Claim, ClaimRequest, IdempotencyState, StoredAnswer};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// How long a record lives.
pub const RECORD_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a claim holds before a retry may take it over (longer than any request runs: API
/// Gateway gives up after 30 s).
pub const LEASE: Duration = Duration::from_secs(60);
/// The largest body the layer reads (the image form's 6 MiB, and some room for its framing).
const MAX_BODY: usize = 6 * 1024 * 1024 + 64 * 1024;

/// Whether `key` is a valid key: 1..255 printable ASCII characters.
pub fn valid_key(key: &[u8]) -> bool {
    (1..=255).contains(&key.len()) && key.iter().all(|b| (0x20..=0x7e).contains(b))
}

/// Routes that take no user (and so ignore the header).
fn guarded(method: &Method, path: &str) -> bool {
    method == Method::POST
        && path.starts_with("/v1/")
        && !matches!(path, "/v1/users" | "/v1/tokens")
}

/// Only final answers are kept: 2xx and 4xx but 401, 409 and 429.
fn storable(status: StatusCode) -> bool {
    status.is_success()
        || (status.is_client_error()
            && !matches!(
                status,
                StatusCode::UNAUTHORIZED | StatusCode::CONFLICT | StatusCode::TOO_MANY_REQUESTS
            ))
}

/// The bearer token's user, if the token is valid (the handler answers 401 otherwise).
fn bearer_user(app: &App, request: &Request) -> Option<Username> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let name = app.tokens.verify(token.trim()).ok()?;
    Username::parse(&name).ok()
}

/// JSON with sorted keys and no whitespace: the same value always hashes the same.
fn canonical_json(value: &serde_json::Value, out: &mut Vec<u8>) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(k).unwrap_or_default());
                out.push(b':');
                canonical_json(&map[k], out);
            }
            out.push(b'}');
        }
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(item, out);
            }
            out.push(b']');
        }
        other => out.extend(serde_json::to_vec(other).unwrap_or_default()),
    }
}

/// The fields of a `multipart/form-data` body, in order (name, file name, bytes): the boundary
/// does not count. `None` if it is not a readable form.
async fn canonical_form(content_type: &HeaderValue, body: &Bytes) -> Option<Vec<u8>> {
    let request = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.clone()))
        .ok()?;
    let mut form = Multipart::from_request(request, &()).await.ok()?;
    let mut out = Vec::new();
    while let Some(field) = form.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_owned();
        let file = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.ok()?;
        for part in [name.as_bytes(), file.as_deref().unwrap_or("\0").as_bytes()] {
            out.extend((part.len() as u64).to_be_bytes());
            out.extend(part);
        }
        out.extend((bytes.len() as u64).to_be_bytes());
        out.extend(&bytes);
    }
    Some(out)
}

/// What identifies a request: method, path and query, and the body as a value.
pub async fn fingerprint(parts: &axum::http::request::Parts, body: &Bytes) -> String {
    let mut canonical = Vec::new();
    let content_type = parts.headers.get(header::CONTENT_TYPE);
    let is_form = content_type.and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    });
    let form = match content_type {
        Some(ct) if is_form => canonical_form(ct, body).await,
        _ => None,
    };
    match (form, serde_json::from_slice::<serde_json::Value>(body)) {
        (Some(form), _) => {
            canonical.extend(b"form:");
            canonical.extend(form);
        }
        (None, Ok(json)) => {
            canonical.extend(b"json:");
            canonical_json(&json, &mut canonical);
        }
        (None, Err(_)) => {
            canonical.extend(b"raw:");
            canonical.extend(body);
        }
    }
    let target = parts
        .uri
        .path_and_query()
        .map_or("", |p| p.as_str())
        .to_owned();
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str());
    hash.update(b" ");
    hash.update(target.as_bytes());
    hash.update(b"\n");
    hash.update(&canonical);
    format!("{:x}", hash.finalize())
}

fn replay(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(&answer.content_type) {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// The layer: see the module doc.
pub async fn idempotency(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    if !guarded(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(HEADER).cloned() else {
        return next.run(request).await;
    };
    if !valid_key(key.as_bytes()) {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidIdempotencyKey,
            "Idempotency-Key must be 1..255 printable ASCII characters",
        )
        .into_response();
    }
    let key = String::from_utf8_lossy(key.as_bytes()).into_owned();
    let Some(user) = bearer_user(&app, &request) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    let deadline = if json {
        super::JSON_BODY_DEADLINE
    } else {
        super::FORM_BODY_DEADLINE
    };
    let read = super::read_in_time(deadline, to_bytes(body, MAX_BODY), |_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooLarge,
            "the request body is too large",
        )
    });
    let body = match read.await {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    let fingerprint = fingerprint(&parts, &body).await;
    let request = Request::from_parts(parts, Body::from(body));
    let now = crate::domain::now();
    let claim = ClaimRequest {
        user: &user,
        key: &key,
        fingerprint: &fingerprint,
        seed: Id::random(),
        now,
        lease: LEASE,
        ttl: RECORD_TTL,
    };
    let seed = match app.idempotency.claim(&claim).await {
        Err(e) => return ApiError::from(crate::app::AppError::from(e)).into_response(),
        Ok(Claim::Claimed { seed }) => seed,
        Ok(Claim::Existing(record)) if record.fingerprint != fingerprint => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with another request (method, path or body)",
            )
            .into_response();
        }
        Ok(Claim::Existing(record)) => match record.state {
            IdempotencyState::Done(answer) => return replay(answer),
            IdempotencyState::InFlight { lease_until } => {
                let wait = (lease_until - now)
                    .num_seconds()
                    .clamp(1, LEASE.as_secs() as i64);
                return ApiError::new(
                    StatusCode::CONFLICT,
                    ErrorCode::IdempotencyKeyInUse,
                    "a request with this Idempotency-Key is still being processed",
                )
                .retry_after(wait as u64)
                .into_response();
            }
        },
    };
    let response = Id::sequence(seed, next.run(request)).await;
    let status = response.status();
    if !storable(status) {
        if let Err(e) = app.idempotency.release(&user, &key, seed).await {
            tracing::warn!(error = %e, "releasing an idempotency claim failed; it expires with its lease");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        let _ = app.idempotency.release(&user, &key, seed).await;
        return Response::from_parts(parts, Body::empty());
    };
    let answer = StoredAnswer {
        status: status.as_u16(),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned(),
        body: bytes.to_vec(),
    };
    if let Err(e) = app.idempotency.finish(&user, &key, seed, &answer).await {
        // The write happened; a retry after the lease takes the claim over and finds it.
        tracing::warn!(error = %e, "storing an idempotent answer failed");
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert!(valid_key(b"a"));
        assert!(valid_key(&[b'x'; 255]));
        assert!(valid_key(b"8e03978e-40d5-43e8-bc93-6894a57f9324 ~!"));
        assert!(!valid_key(b""));
        assert!(!valid_key(&[b'x'; 256]));
        assert!(!valid_key(b"tab\there"));
        assert!(!valid_key("é".as_bytes()));
    }

    #[test]
    fn only_authenticated_posts_under_v1_are_guarded() {
        assert!(guarded(&Method::POST, "/v1/posts"));
        assert!(guarded(&Method::POST, "/v1/posts/x/comments"));
        assert!(!guarded(&Method::POST, "/v1/users"));
        assert!(!guarded(&Method::POST, "/v1/tokens"));
        assert!(!guarded(&Method::GET, "/v1/posts"));
        assert!(!guarded(&Method::DELETE, "/v1/posts/x"));
    }

    #[test]
    fn final_answers_are_stored_and_others_not() {
        for s in [200, 201, 202, 204, 400, 403, 404, 413, 415, 422] {
            assert!(storable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [401, 409, 429, 500, 502, 503] {
            assert!(!storable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }

    #[test]
    fn json_bodies_compare_as_values() {
        let canon = |text: &str| {
            let mut out = Vec::new();
            canonical_json(&serde_json::from_str(text).unwrap(), &mut out);
            out
        };
        assert_eq!(
            canon(r#"{"b": 1, "a": [1, {"y": 2, "x": 1}]}"#),
            canon(r#"{"a":[1,{"x":1,"y":2}],"b":1}"#)
        );
        assert_ne!(canon(r#"{"a": 1}"#), canon(r#"{"a": 2}"#));
        assert_ne!(canon(r#"{"a": [1, 2]}"#), canon(r#"{"a": [2, 1]}"#));
    }
}
