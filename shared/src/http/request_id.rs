//! `x-request-id` on every answer, one structured log line per request, and on Lambda a
//! CloudWatch Embedded Metric Format line (latency by route and status; throttles).
//!
//! The id is the request's own `x-request-id` when it is sane (1..=128 of `A-Z a-z 0-9 . _ - = + :`),
//! else the one the edge gave (API Gateway's request id on Lambda, set by `aws::lambda_router`),
//! else a new ULID. Every log line inside the request carries it (a `request` span).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::app::App;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id an edge in front of the router assigned (API Gateway's), carried as an extension.
#[derive(Debug, Clone)]
pub struct EdgeRequestId(pub String);

pub fn sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'=' | b'+' | b':')
        })
}

fn request_id(req: &Request) -> String {
    let given = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| sane(id));
    let edge = req
        .extensions()
        .get::<EdgeRequestId>()
        .map(|e| e.0.as_str())
        .filter(|id| sane(id));
    given
        .or(edge)
        .map(str::to_owned)
        .unwrap_or_else(|| ulid::Ulid::new().to_string())
}

pub async fn middleware(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let id = request_id(&req);
    if let Ok(value) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(HEADER, value);
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, %method, %route);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let latency = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = (latency * 100.0).round() / 100.0,
            "answered"
        );
    });
    if app.settings.emf_metrics {
        let route = format!("{method} {route}");
        println!(
            "{}",
            crate::telemetry::emf_request(&route, status, latency, now_ms())
        );
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_ids_are_taken() {
        assert!(sane("01JABCDEF"));
        assert!(sane("a.b_c-d"));
        assert!(sane("JKJaXmPLvHcESHA="), "API Gateway's ids");
        assert!(sane(&"x".repeat(128)));
        for bad in ["", "a b", "a\nb", "é", &"x".repeat(129), "a/b"] {
            assert!(!sane(bad), "{bad:?}");
        }
    }
}
