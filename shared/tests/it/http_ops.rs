//! Operations: `x-request-id` on every answer (the caller's when sane, else a new one) and the
//! request's log lines carrying it (JSON, as on Lambda).

use std::sync::{Arc, Mutex};

use crate::common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

async fn get(router: &axum::Router, uri: &str, id: Option<&str>) -> axum::response::Response {
    let mut req = Request::get(uri);
    if let Some(id) = id {
        req = req.header("x-request-id", id);
    }
    router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn id_of(res: &axum::response::Response) -> String {
    res.headers()["x-request-id"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let t = common::spawn_app().await;
    let made = get(&t.router, "/healthz", None).await;
    assert_eq!(made.status(), StatusCode::OK);
    assert_eq!(id_of(&made).len(), 26, "a ULID");
    let other = get(&t.router, "/healthz", None).await;
    assert_ne!(id_of(&made), id_of(&other), "one per request");

    let given = get(&t.router, "/v1/users/me", Some("trace-42.a_b")).await;
    assert_eq!(given.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(id_of(&given), "trace-42.a_b", "errors carry it too");
    let unknown = get(&t.router, "/v1/nothing-here", Some("x")).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(id_of(&unknown), "x");

    for bad in ["has space", "tab\tin", &"x".repeat(129), "semi;colon"] {
        let res = get(&t.router, "/healthz", Some(bad)).await;
        let id = id_of(&res);
        assert_ne!(id, bad);
        assert_eq!(id.len(), 26, "{bad:?} is replaced by a new id");
    }
}

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn log_lines_of_a_request_are_json_with_its_id() {
    let t = common::spawn_app().await;
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let res = get(&t.router, "/v1/posts", Some("log-me-1")).await;
    drop(guard);
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let answered: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .filter(|v: &serde_json::Value| v["message"] == "answered")
        .collect();
    assert_eq!(answered.len(), 1, "{text}");
    let line = &answered[0];
    assert_eq!(line["status"], 401);
    assert!(line["latency_ms"].as_f64().is_some());
    let span = &line["spans"][0];
    assert_eq!(span["request_id"], "log-me-1");
    assert_eq!(span["route"], "/v1/posts");
    assert_eq!(span["method"], "GET");
}
