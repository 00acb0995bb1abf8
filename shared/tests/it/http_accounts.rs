//! HTTP tests (router.oneshot) for accounts, tokens, auth and the error conventions.
#![allow(clippy::unwrap_used)]

use crate::common;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{call, error_code, raw, spawn_app, user};
use serde_json::json;

#[tokio::test]
async fn register_login_and_me() {
    let t = spawn_app().await;
    // Given a new account, with server-owned fields smuggled into the body
    let body = json!({"username": "alice", "password": "correct-horse", "role": "admin", "tier": "Enterprise"});
    let (s, _, b) = call(&t.router, Method::POST, "/v1/users", None, Some(body)).await;
    // Then it is created as a Basic user
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        b,
        json!({"username": "alice", "tier": "Basic", "role": "user"})
    );
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        "/v1/users",
        None,
        Some(json!({"username": "alice", "password": "another-pass"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(error_code(&b), "username_taken");

    let creds = json!({"username": "alice", "password": "correct-horse"});
    let (s, _, tok) = call(&t.router, Method::POST, "/v1/tokens", None, Some(creds)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(tok["token_type"], "Bearer");
    assert!(tok["expires_in"].as_u64().unwrap() > 0);
    let token = tok["access_token"].as_str().unwrap();
    let (s, _, me) = call(&t.router, Method::GET, "/v1/users/me", Some(token), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["role"], "user");
    assert!(me.get("password_hash").is_none());
}

#[tokio::test]
async fn invalid_registrations_are_422() {
    let t = spawn_app().await;
    for body in [
        json!({"username": "ab", "password": "correct-horse"}),
        json!({"username": "a".repeat(33), "password": "correct-horse"}),
        json!({"username": "Alice", "password": "correct-horse"}),
        json!({"username": "alice", "password": "short"}),
        json!({"username": "alice", "password": "x".repeat(129)}),
        json!({"username": "alice"}),
        json!({"username": 5, "password": "correct-horse"}),
    ] {
        let (s, _, b) = call(
            &t.router,
            Method::POST,
            "/v1/users",
            None,
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {b}");
        error_code(&b);
    }
}

#[tokio::test]
async fn wrong_credentials_then_throttled() {
    let t = spawn_app().await;
    user(&t.router, "bob").await;
    let wrong = json!({"username": "bob", "password": "wrong-password"});
    for _ in 0..10 {
        let (s, _, b) = call(
            &t.router,
            Method::POST,
            "/v1/tokens",
            None,
            Some(wrong.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&b), "unauthorized");
    }
    let (s, h, b) = call(&t.router, Method::POST, "/v1/tokens", None, Some(wrong)).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&b), "throttled");
    assert!(h.get("retry-after").is_some());
    // An unknown user is a 401 like a wrong password (no user enumeration).
    let (s, _, _) = call(
        &t.router,
        Method::POST,
        "/v1/tokens",
        None,
        Some(json!({"username": "nobody", "password": "whatever1"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// Failures are counted in the metadata store: a second instance on the same database (a restart,
/// another process, another Lambda environment on the same table) sees them, in this window.
#[tokio::test]
async fn throttling_holds_across_instances_of_one_store() {
    let first = spawn_app().await;
    user(&first.router, "dora").await;
    let wrong = json!({"username": "Dora", "password": "wrong-password"});
    for _ in 0..10 {
        let (s, _, _) = call(
            &first.router,
            Method::POST,
            "/v1/tokens",
            None,
            Some(wrong.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let dir = first.data_dir().to_path_buf();
    let second = common::spawn_configured(
        common::Store::Sqlite,
        imagegram::app::Settings::default(),
        None,
        move |config| config.data_dir = dir,
    )
    .await;
    let (s, h, b) = call(
        &second.router,
        Method::POST,
        "/v1/tokens",
        None,
        Some(wrong),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
}

fn login_from(ip: [u8; 4], password: &str) -> Request<Body> {
    let body = json!({"username": "erin", "password": password}).to_string();
    let mut req = Request::post("/v1/tokens")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let addr = std::net::SocketAddr::from((ip, 40000));
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    req
}

#[tokio::test]
async fn a_guessing_attack_does_not_lock_out_a_known_address() {
    let t = spawn_app().await;
    user(&t.router, "erin").await;
    // Given erin logged in from her address before
    assert_eq!(
        raw(&t.router, login_from([10, 0, 0, 1], "correct-horse"))
            .await
            .0,
        StatusCode::OK
    );
    // When an attacker guesses from elsewhere until throttled
    for _ in 0..10 {
        assert_eq!(
            raw(&t.router, login_from([10, 9, 9, 9], "guess-guess"))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        raw(&t.router, login_from([10, 9, 9, 9], "correct-horse"))
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Then erin still gets in from her address, 100 times in a row
    for _ in 0..100 {
        assert_eq!(
            raw(&t.router, login_from([10, 0, 0, 1], "correct-horse"))
                .await
                .0,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn successful_logins_are_not_throttled() {
    let t = spawn_app().await;
    user(&t.router, "carol").await;
    let creds = json!({"username": "carol", "password": "correct-horse"});
    for _ in 0..30 {
        let (s, _, _) = call(
            &t.router,
            Method::POST,
            "/v1/tokens",
            None,
            Some(creds.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
    }
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let t = spawn_app().await;
    let token = user(&t.router, "dave").await;
    let parts: Vec<&str> = token.split('.').collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let edited = URL_SAFE_NO_PAD.encode(payload.replace("dave", "root"));
    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 3;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    for bad in [
        format!("{none}.{}.", parts[1]),
        format!("{}.{edited}.{}", parts[0], parts[2]),
        String::from_utf8(flipped).unwrap(),
        token[..token.len() - 5].to_owned(),
        "garbage".to_owned(),
    ] {
        let (s, _, b) = call(&t.router, Method::GET, "/v1/users/me", Some(&bad), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(error_code(&b), "unauthorized");
    }
    let (s, _, _) = call(&t.router, Method::GET, "/v1/users/me", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let req = Request::get("/v1/users/me")
        .header("authorization", format!("Basic {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(raw(&t.router, req).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn conventions_unknown_route_method_json_and_size() {
    let t = spawn_app().await;
    let (s, h, b) = call(&t.router, Method::GET, "/v1/nothing-here", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&b), "not_found");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let (s, _, b) = call(&t.router, Method::PUT, "/v1/users", None, None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&b), "method_not_allowed");

    let req = Request::post("/v1/users")
        .header("content-type", "application/json")
        .body(Body::from("{\"username\": "))
        .unwrap();
    let (s, _, b) = raw(&t.router, req).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&b), "malformed_json");

    let req = Request::post("/v1/users").body(Body::from("{}")).unwrap();
    let (s, _, b) = raw(&t.router, req).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    error_code(&b);

    // A body is a JSON object: other JSON is a 422 (serde alone would read a struct from an
    // array), text that is not JSON a 400; `application/*+json` is JSON too.
    for (media, body, status, code) in [
        (
            "application/json",
            "[\"alice\", \"correct-horse\"]",
            422,
            "invalid_body",
        ),
        ("application/json", " [] ", 422, "invalid_body"),
        ("application/json", "\"alice\"", 422, "invalid_body"),
        ("application/json", "null", 422, "invalid_body"),
        ("application/json", "", 400, "malformed_json"),
        ("application/json", "nope", 400, "malformed_json"),
        ("application/json; charset=utf-8", "{}", 422, "invalid_body"),
        ("application/merge-patch+json", "{}", 422, "invalid_body"),
        ("text/json", "{}", 415, "unsupported_media_type"),
    ] {
        let req = Request::post("/v1/users")
            .header("content-type", media)
            .body(Body::from(body))
            .unwrap();
        let (s, _, b) = raw(&t.router, req).await;
        assert_eq!(
            (s.as_u16(), error_code(&b)),
            (status, code),
            "{media} {body:?}: {b}"
        );
    }

    let big = json!({"username": "x".repeat(70 * 1024), "password": "correct-horse"}).to_string();
    let req = Request::post("/v1/users")
        .header("content-type", "application/json")
        .body(Body::from(big))
        .unwrap();
    let (s, _, b) = raw(&t.router, req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&b), "too_large");

    let (s, _, b) = call(&t.router, Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["status"], "ok");
}

#[tokio::test]
async fn admin_from_environment_exists() {
    let t = common::spawn_app_with(Default::default(), Some(("root", "root-password"))).await;
    let creds = json!({"username": "root", "password": "root-password"});
    let (s, _, tok) = call(&t.router, Method::POST, "/v1/tokens", None, Some(creds)).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, me) = call(
        &t.router,
        Method::GET,
        "/v1/users/me",
        tok["access_token"].as_str(),
        None,
    )
    .await;
    assert_eq!(me["role"], "admin");
}
