//! `Idempotency-Key` (API.md, "Idempotent writes"): replays, reuse with another body, keys in
//! flight, per-user keys, and a retry after a run that died between its write and its record.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{self, TestApp, error_code, on_both_stores, ready_post, user};

on_both_stores!(
    a_repeat_replays_the_answer_and_writes_nothing,
    another_body_or_path_with_the_key_is_refused,
    a_hundred_concurrent_repeats_make_one_comment,
    a_retry_after_a_crash_finds_the_first_runs_write,
    a_form_is_the_same_request_whatever_its_boundary,
);

/// A POST as `token` with an `Idempotency-Key`, JSON body; status, headers, body.
async fn post(
    router: &axum::Router,
    token: &str,
    key: Option<&str>,
    uri: &str,
    body: &str,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn comment_count(t: &TestApp, token: &str, post: &str) -> u64 {
    let (_, _, p) = crate::common::call(
        &t.router,
        Method::GET,
        &format!("/v1/posts/{post}"),
        Some(token),
        None,
    )
    .await;
    p["comment_count"].as_u64().unwrap()
}

async fn a_repeat_replays_the_answer_and_writes_nothing(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let bob = user(&t.router, "bob").await;
    let post_id = ready_post(&t, &alice).await;
    let uri = format!("/v1/posts/{post_id}/comments");
    let (s, h, first) = post(&t.router, &alice, Some("key-1"), &uri, r#"{"text": "hi"}"#).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert!(h.get("idempotent-replayed").is_none());
    // The same JSON value, spelled otherwise, is the same request.
    let (s, h, again) = post(
        &t.router,
        &alice,
        Some("key-1"),
        &uri,
        "{ \"text\":\"hi\" }",
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h["idempotent-replayed"], "true");
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(again, first);
    assert_eq!(comment_count(&t, &alice, &post_id).await, 1);

    // Keys are per user: bob's "key-1" is his own.
    let (s, h, bobs) = post(&t.router, &bob, Some("key-1"), &uri, r#"{"text": "hi"}"#).await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(h.get("idempotent-replayed").is_none());
    assert_ne!(bobs["id"], first["id"]);
    // Without a key, nothing changes: two requests, two comments.
    for _ in 0..2 {
        let (s, _, _) = post(&t.router, &alice, None, &uri, r#"{"text": "again"}"#).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    assert_eq!(comment_count(&t, &alice, &post_id).await, 4);

    // A final 4xx is stored too: the repeat answers it without running (even once valid).
    let (s, _, refused) = post(&t.router, &alice, Some("key-2"), &uri, r#"{"text": ""}"#).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, h, replayed) = post(&t.router, &alice, Some("key-2"), &uri, r#"{"text": ""}"#).await;
    assert_eq!(
        (s, &h["idempotent-replayed"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &"true".parse().unwrap())
    );
    assert_eq!(replayed, refused);

    // A post and an upload are made once too.
    let created = crate::common::declare_upload(&t, &alice, "a.jpg", 1000, "image/jpeg").await;
    let upload_body = r#"{"filename": "b.jpg", "content_type": "image/jpeg", "size": 1000}"#;
    let (_, _, u1) = post(&t.router, &alice, Some("up"), "/v1/uploads", upload_body).await;
    let (s, h, u2) = post(&t.router, &alice, Some("up"), "/v1/uploads", upload_body).await;
    assert_eq!(
        (s, &h["idempotent-replayed"]),
        (StatusCode::CREATED, &"true".parse().unwrap())
    );
    assert_eq!(u1["id"], u2["id"]);
    let body = json!({"upload_id": created["id"], "caption": "once"}).to_string();
    let (_, _, p1) = post(&t.router, &alice, Some("post"), "/v1/posts", &body).await;
    let (_, _, p2) = post(&t.router, &alice, Some("post"), "/v1/posts", &body).await;
    assert_eq!(p1["id"], p2["id"]);

    // `POST /v1/users` and `/v1/tokens` ignore the header.
    let creds = r#"{"username": "carol", "password": "correct-horse"}"#;
    let (s, _, _) = post(&t.router, &alice, Some("u"), "/v1/users", creds).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _, b) = post(&t.router, &alice, Some("u"), "/v1/users", creds).await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::CONFLICT, "username_taken")
    );
}

async fn another_body_or_path_with_the_key_is_refused(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let post_id = ready_post(&t, &alice).await;
    let uri = format!("/v1/posts/{post_id}/comments");
    let (s, _, _) = post(&t.router, &alice, Some("k"), &uri, r#"{"text": "one"}"#).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _, b) = post(&t.router, &alice, Some("k"), &uri, r#"{"text": "two"}"#).await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    let upload = r#"{"filename": "b.jpg", "content_type": "image/jpeg", "size": 1000}"#;
    let (s, _, b) = post(&t.router, &alice, Some("k"), "/v1/uploads", upload).await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    assert_eq!(comment_count(&t, &alice, &post_id).await, 1);
    for bad in ["", "tab\there", &"x".repeat(256)] {
        let (s, _, b) = post(&t.router, &alice, Some(bad), &uri, r#"{"text": "x"}"#).await;
        assert_eq!(
            (s, error_code(&b)),
            (StatusCode::BAD_REQUEST, "invalid_idempotency_key"),
            "{bad:?}"
        );
    }
    assert_eq!(comment_count(&t, &alice, &post_id).await, 1);
    // A 401 is not stored: with a valid token the same key then runs.
    let (s, _, _) = post(
        &t.router,
        "not-a-token",
        Some("k401"),
        &uri,
        r#"{"text": "x"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, h, _) = post(&t.router, &alice, Some("k401"), &uri, r#"{"text": "x"}"#).await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(h.get("idempotent-replayed").is_none());
}

/// Issue figure: 100 concurrent repeats of one key make exactly one comment; each answer is the
/// first one (replayed) or a 409 `idempotency_key_in_use` with `Retry-After`.
async fn a_hundred_concurrent_repeats_make_one_comment(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let post_id = ready_post(&t, &alice).await;
    let uri = Arc::new(format!("/v1/posts/{post_id}/comments"));
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (router, alice, uri) = (t.router.clone(), alice.clone(), uri.clone());
        tasks.push(tokio::spawn(async move {
            post(&router, &alice, Some("same"), &uri, r#"{"text": "once"}"#).await
        }));
    }
    let (mut created, mut in_use, mut ids) = (0, 0, std::collections::BTreeSet::new());
    for task in tasks {
        let (s, h, b) = task.await.unwrap();
        match s {
            StatusCode::CREATED => {
                created += 1;
                ids.insert(b["id"].as_str().unwrap().to_owned());
            }
            StatusCode::CONFLICT => {
                assert_eq!(error_code(&b), "idempotency_key_in_use");
                assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
                in_use += 1;
            }
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert_eq!(created + in_use, 100);
    assert!(created >= 1);
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(comment_count(&t, &alice, &post_id).await, 1);
    let (_, _, list) = crate::common::call(&t.router, Method::GET, &uri, Some(&alice), None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

/// A run that wrote its comment and died before storing the answer: the claim is in flight with
/// its lease run out. The retry takes it over, makes the same id, finds that comment and answers
/// with it: still one comment.
async fn a_retry_after_a_crash_finds_the_first_runs_write(t: TestApp) {
    use imagegram::domain::{Comment, Id, Username};
    use imagegram::ports::{Claim, ClaimRequest};

    let alice = user(&t.router, "alice").await;
    let post_id = ready_post(&t, &alice).await;
    let uri = format!("/v1/posts/{post_id}/comments");
    let body = r#"{"text": "survives"}"#;
    let req = Request::builder()
        .method(Method::POST)
        .uri(&uri)
        .header("content-type", "application/json")
        .body(())
        .unwrap();
    let (parts, ()) = req.into_parts();
    let fingerprint =
        imagegram::http::idempotency::fingerprint(&parts, &axum::body::Bytes::from(body)).await;
    let app = t.app();
    let name = Username::parse("alice").unwrap();
    let seed = Id::generate();
    let died_at = imagegram::domain::now() - chrono::Duration::seconds(120);
    let claim = ClaimRequest {
        user: &name,
        key: "crashed",
        fingerprint: &fingerprint,
        seed,
        now: died_at,
        lease: imagegram::http::idempotency::LEASE,
        ttl: imagegram::http::idempotency::RECORD_TTL,
    };
    assert_eq!(
        app.idempotency.claim(&claim).await.unwrap(),
        Claim::Claimed { seed }
    );
    // The first run's write: the comment with the first id of its sequence.
    let written = Comment {
        id: seed,
        post_id: Id::parse(&post_id).unwrap(),
        author: name.clone(),
        text: "survives".into(),
        created_at: died_at,
    };
    app.comments.add_comment(&written).await.unwrap();

    let (s, h, answer) = post(&t.router, &alice, Some("crashed"), &uri, body).await;
    assert_eq!(s, StatusCode::CREATED, "{answer}");
    assert!(h.get("idempotent-replayed").is_none());
    assert_eq!(answer["id"], seed.to_string());
    assert_eq!(comment_count(&t, &alice, &post_id).await, 1);
    // And now the answer is stored.
    let (s, h, again) = post(&t.router, &alice, Some("crashed"), &uri, body).await;
    assert_eq!(
        (s, &h["idempotent-replayed"]),
        (StatusCode::CREATED, &"true".parse().unwrap())
    );
    assert_eq!(again, answer);
}

/// `POST /v1/images` as a form with an `Idempotency-Key`, with `boundary`.
async fn post_form(
    t: &TestApp,
    token: &str,
    boundary: &str,
    body: &[u8],
) -> (StatusCode, HeaderMap, Value) {
    // The same bytes with another boundary (it is ASCII and never inside the PNG).
    let from = common::images::BOUNDARY.as_bytes();
    let mut replaced = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(from) {
            replaced.extend_from_slice(boundary.as_bytes());
            i += from.len();
        } else {
            replaced.push(body[i]);
            i += 1;
        }
    }
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/images")
        .header("authorization", format!("Bearer {token}"))
        .header("idempotency-key", "form-1")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(replaced))
        .unwrap();
    let res = t.router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn a_form_is_the_same_request_whatever_its_boundary(t: TestApp) {
    use common::images::{Part, multipart_body};
    let alice = user(&t.router, "alice").await;
    let png = std::fs::read(common::testdata().join("valid/png_1x1.png")).unwrap();
    let form = |title: &str| {
        multipart_body(&[
            Part::File("file", "a.png", &png),
            Part::Text("title", title),
        ])
    };
    let (s, h, first) = post_form(&t, &alice, "AaB03x", &form("one")).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{first}");
    assert!(h.get("idempotent-replayed").is_none());
    let (s, h, again) = post_form(&t, &alice, "zzzz-another-boundary", &form("one")).await;
    assert_eq!(
        (s, &h["idempotent-replayed"]),
        (StatusCode::ACCEPTED, &"true".parse().unwrap())
    );
    assert_eq!(again["id"], first["id"]);
    let (s, _, b) = post_form(&t, &alice, "AaB03x", &form("two")).await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    let (_, list) = common::request(&t, &alice, Method::GET, "/v1/images", None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
