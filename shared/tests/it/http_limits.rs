//! `GET /v1/limits`: the numbers are the ones the checks use (each bound is tried: the limit
//! passes, one more is refused), and the tier is the caller's current one.

use crate::common;
use axum::http::{Method, StatusCode};
use common::{Store, call, spawn_on, user};
use serde_json::{Value, json};

async fn limits(t: &common::TestApp, token: &str) -> Value {
    let (s, _, b) = call(&t.router, Method::GET, "/v1/limits", Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

#[tokio::test]
async fn limits_are_the_ones_the_checks_use() {
    let t = spawn_on(Store::Sqlite).await;
    let (s, _, b) = call(&t.router, Method::GET, "/v1/limits", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");

    let token = user(&t.router, "limited").await;
    let l = limits(&t, &token).await;
    let settings = &t.app().settings;
    assert_eq!(l["upload"]["max_bytes"], 104_857_600);
    assert_eq!(l["upload"]["part_size"], settings.part_size);
    assert_eq!(
        l["upload"]["max_parts"],
        104_857_600u64.div_ceil(settings.part_size)
    );
    assert_eq!(l["upload"]["formats"], json!(["png", "jpeg", "bmp"]));
    assert_eq!(l["lists"], json!({"min": 1, "max": 100, "default": 20}));
    assert_eq!(
        l["links"],
        json!({"min_expires_in": 300, "max_expires_in": 30000})
    );
    assert_eq!(
        l["rates"]["comments"]["limit"],
        settings.comments_per_window
    );
    assert_eq!(l["tier"]["name"], "Basic");
    assert_eq!(l["tier"]["thumbnail_heights"], json!([200]));

    // The largest declared upload is taken, one byte more is a 413.
    let max = l["upload"]["max_bytes"].as_u64().unwrap();
    for (size, status) in [
        (max, StatusCode::CREATED),
        (max + 1, StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let body = json!({"filename": "a.png", "content_type": "image/png", "size": size});
        let (s, _, b) = call(
            &t.router,
            Method::POST,
            "/v1/uploads",
            Some(&token),
            Some(body),
        )
        .await;
        assert_eq!(s, status, "{size}: {b}");
        if s == StatusCode::CREATED {
            assert_eq!(
                b["parts"].as_array().unwrap().len() as u64,
                l["upload"]["max_parts"].as_u64().unwrap()
            );
        }
    }
    // Text limits, in characters: the limit passes validation, one more is a 422.
    let post = common::ready_post(&t, &token).await;
    let comment = l["text"]["comment"].as_u64().unwrap() as usize;
    for (n, status) in [
        (comment, StatusCode::CREATED),
        (comment + 1, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let body = json!({"text": "é".repeat(n)});
        let uri = format!("/v1/posts/{post}/comments");
        let (s, _, b) = call(&t.router, Method::POST, &uri, Some(&token), Some(body)).await;
        assert_eq!(s, status, "{n}: {b}");
    }
    let name = &l["text"]["username"];
    for (n, status) in [
        (name["max"].as_u64().unwrap() as usize, StatusCode::CREATED),
        (
            name["max"].as_u64().unwrap() as usize + 1,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            name["min"].as_u64().unwrap() as usize - 1,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let body = json!({"username": "u".repeat(n), "password": "correct-horse"});
        let (s, _, b) = call(&t.router, Method::POST, "/v1/users", None, Some(body)).await;
        assert_eq!(s, status, "{n}: {b}");
    }
    // The tier follows the account.
    let admin = common::admin(&t).await;
    common::images::patch_user(&t, &admin, "limited", json!({"tier": "Enterprise"})).await;
    let l = limits(&t, &token).await;
    assert_eq!(l["tier"]["name"], "Enterprise");
    assert_eq!(l["tier"]["expiring_links"], true);
    assert_eq!(l["tier"]["thumbnail_heights"], json!([200, 400]));
}

async fn declare(t: &common::TestApp, token: &str, size: u64) -> (StatusCode, Value, String) {
    let body = json!({"filename": "a.png", "content_type": "image/png", "size": size});
    let (s, h, b) = call(
        &t.router,
        Method::POST,
        "/v1/uploads",
        Some(token),
        Some(body),
    )
    .await;
    let retry = h
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (s, b, retry)
}

#[tokio::test]
async fn uploads_open_at_once_and_bytes_a_day_are_bounded() {
    let settings = imagegram::app::Settings {
        uploads_in_flight: 2,
        upload_bytes_per_day: 1_000,
        ..imagegram::app::Settings::default()
    };
    let t = common::spawn_app_with(settings, None).await;
    let token = user(&t.router, "quota").await;
    let l = limits(&t, &token).await;
    assert_eq!(l["upload"]["max_in_flight"], 2);
    assert_eq!(
        l["rates"]["upload_bytes"],
        json!({"limit": 1000, "window_s": 86400})
    );

    let (s, first, _) = declare(&t, &token, 300).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, b, _) = declare(&t, &token, 300).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b, retry) = declare(&t, &token, 100).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(common::error_code(&b), "uploads_in_flight");
    assert_eq!(retry, "60");

    // Aborting one frees its place; the bytes it declared still count for the day.
    let uri = format!("/v1/uploads/{}", first["id"].as_str().unwrap());
    let (s, _, _) = call(&t.router, Method::DELETE, &uri, Some(&token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b, _) = declare(&t, &token, 400).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().to_owned();
    let (s, _, _) = call(
        &t.router,
        Method::DELETE,
        &format!("/v1/uploads/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b, retry) = declare(&t, &token, 1).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(common::error_code(&b), "upload_quota");
    let wait: u64 = retry.parse().unwrap();
    assert!((1..=86_400).contains(&wait), "{wait}");
    // Another user has their own allowance.
    let other = user(&t.router, "quota_two").await;
    let (s, b, _) = declare(&t, &other, 1_000).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

/// A body that stops arriving (a slow or stalled client) is answered `408 request_timeout`
/// whoever reads it: the JSON extractor, the idempotency check (with a key), the form reader.
/// Time is paused: tokio moves the clock on when nothing else can run, so the 30 s and 300 s
/// deadlines pass at once.
#[tokio::test]
async fn stalled_bodies_time_out_with_408() {
    use axum::body::Body;
    use axum::http::Request;
    use futures_util::{StreamExt, stream};

    let t = spawn_on(Store::Sqlite).await;
    let token = user(&t.router, "slowpoke").await;
    let post = common::ready_post(&t, &token).await;
    tokio::time::pause();
    // A few bytes, then nothing more, ever.
    let stalled = || {
        let first = stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{\"te"))]);
        Body::from_stream(first.chain(stream::pending()))
    };
    let comments = format!("/v1/posts/{post}/comments");
    let cases = [
        ("/v1/users", "application/json", None),
        (comments.as_str(), "application/json", None),
        (comments.as_str(), "application/json", Some("stalled-1")),
        ("/v1/images", "multipart/form-data; boundary=x", None),
        (
            "/v1/images",
            "multipart/form-data; boundary=x",
            Some("stalled-2"),
        ),
        ("/v1/images", "application/json", None),
    ];
    for (uri, media, key) in cases {
        let mut req = Request::post(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", media);
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        let started = tokio::time::Instant::now();
        // Without a limit the request would wait for ever: give up after 10 (paused) minutes.
        let answer = common::raw(&t.router, req.body(stalled()).unwrap());
        let (s, _, b) = tokio::time::timeout(std::time::Duration::from_secs(600), answer)
            .await
            .unwrap_or_else(|_| panic!("{uri} {media} {key:?}: no answer in 10 minutes"));
        assert_eq!(
            (s, common::error_code(&b)),
            (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            "{uri} {media} {key:?}: {b}"
        );
        // The pause limit (30 s) ends it, not a deadline of several minutes.
        let waited = started.elapsed();
        assert!(
            waited >= std::time::Duration::from_secs(30)
                && waited < std::time::Duration::from_secs(60),
            "{uri}: {waited:?}"
        );
    }
}
