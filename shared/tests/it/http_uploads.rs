//! HTTP tests for uploads: declared limits, ownership (BOLA), lying uploads, resumption.

use crate::common;
use axum::http::{Method, StatusCode};
use common::{call, error_code, spawn_app, testdata, upload, user, wait_post};
use serde_json::json;

#[tokio::test]
async fn declared_size_and_type_are_checked() {
    let t = spawn_app().await;
    let token = user(&t.router, "alice").await;
    let cases = [
        (
            json!({"filename": "a.jpg", "content_type": "image/jpeg", "size": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"filename": "a.jpg", "content_type": "image/jpeg", "size": 104_857_601u64}),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            json!({"filename": "a.gif", "content_type": "image/gif", "size": 10}),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            json!({"filename": "a.txt", "content_type": "text/plain", "size": 10}),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            json!({"filename": "", "content_type": "image/png", "size": 10}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"filename": "a.png", "content_type": "image/png", "size": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"filename": "a.png", "content_type": "image/png", "size": "big"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"filename": "a.png", "content_type": "image/png", "size": 10.5}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"filename": "a.png", "content_type": "image/png", "size": null}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (body, want) in cases {
        let (s, _, b) = call(
            &t.router,
            Method::POST,
            "/v1/uploads",
            Some(&token),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, want, "{body} -> {b}");
        error_code(&b);
    }
    // The largest allowed size is accepted, in 8 MiB parts; written as a float it is the same
    // integer (JSON Schema's `integer` counts 104857600.0).
    let body = json!({"filename": "../../etc/passwd\u{0}%2F", "content_type": "image/png", "size": 104_857_600.0});
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        "/v1/uploads",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["parts"].as_array().unwrap().len(), 13);
    let url = b["parts"][0]["url"].as_str().unwrap();
    assert!(
        url.contains(&format!(
            "/uploads/uploads/alice/{}",
            b["id"].as_str().unwrap()
        )),
        "key from ids only: {url}"
    );
    assert!(!url.contains("passwd"));
}

#[tokio::test]
async fn someone_elses_upload_is_404_everywhere_and_unchanged() {
    let t = spawn_app().await;
    let alice = user(&t.router, "alice").await;
    let mallory = user(&t.router, "mallory").await;
    let body = json!({"filename": "a.jpg", "content_type": "image/jpeg", "size": 1000});
    let (_, _, created) = call(
        &t.router,
        Method::POST,
        "/v1/uploads",
        Some(&alice),
        Some(body),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let attempts = [
        (Method::GET, format!("/v1/uploads/{id}"), None),
        (
            Method::POST,
            format!("/v1/uploads/{id}/parts"),
            Some(json!({"numbers": [1]})),
        ),
        (
            Method::POST,
            format!("/v1/uploads/{id}/complete"),
            Some(json!({"parts": [{"number": 1, "etag": "x"}]})),
        ),
        (Method::DELETE, format!("/v1/uploads/{id}"), None),
        (
            Method::POST,
            "/v1/posts".to_owned(),
            Some(json!({"upload_id": id, "caption": "mine now"})),
        ),
    ];
    for (method, uri, body) in attempts {
        let (s, _, b) = call(&t.router, method.clone(), &uri, Some(&mallory), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {uri} -> {b}");
    }
    let (s, _, b) = call(
        &t.router,
        Method::GET,
        &format!("/v1/uploads/{id}"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["status"], "uploading");
    let (s, _, _) = call(
        &t.router,
        Method::GET,
        "/v1/uploads/not-an-id",
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn resign_and_complete_validate_parts() {
    let t = spawn_app().await;
    let token = user(&t.router, "alice").await;
    let bytes = std::fs::read(testdata().join("valid/png_rgba.png")).unwrap();
    let body = json!({"filename": "a.png", "content_type": "image/png", "size": bytes.len()});
    let (_, _, created) = call(
        &t.router,
        Method::POST,
        "/v1/uploads",
        Some(&token),
        Some(body),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    for numbers in [json!([0]), json!([2]), json!([10001]), json!([])] {
        let (s, _, b) = call(
            &t.router,
            Method::POST,
            &format!("/v1/uploads/{id}/parts"),
            Some(&token),
            Some(json!({"numbers": numbers})),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    }
    let (s, _, fresh) = call(
        &t.router,
        Method::POST,
        &format!("/v1/uploads/{id}/parts"),
        Some(&token),
        Some(json!({"numbers": [1, 1.0]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(fresh["parts"].as_array().unwrap().len(), 1);

    // Completing before the part arrived, or with a wrong ETag, is invalid_part.
    let complete = format!("/v1/uploads/{id}/complete");
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        &complete,
        Some(&token),
        Some(json!({"parts": [{"number": 1.0, "etag": "abc"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&b), "invalid_part");
    let res = reqwest::Client::new()
        .put(fresh["parts"][0]["url"].as_str().unwrap())
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let (s, _, st) = call(
        &t.router,
        Method::GET,
        &format!("/v1/uploads/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        st["parts_received"],
        json!([{"number": 1, "etag": etag, "size": bytes.len()}])
    );
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        &complete,
        Some(&token),
        Some(json!({"parts": [{"number": 1, "etag": "0123"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&b), "invalid_part");
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        &complete,
        Some(&token),
        Some(json!({"parts": []})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        &complete,
        Some(&token),
        Some(json!({"parts": [{"number": 1, "etag": etag}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "uploaded");
    // Completing again is harmless; aborting a completed upload is a conflict.
    let (s, _, _) = call(
        &t.router,
        Method::POST,
        &complete,
        Some(&token),
        Some(json!({"parts": [{"number": 1, "etag": etag}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(
        &t.router,
        Method::DELETE,
        &format!("/v1/uploads/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn abort_discards_the_upload() {
    let t = spawn_app().await;
    let token = user(&t.router, "alice").await;
    let body = json!({"filename": "a.png", "content_type": "image/png", "size": 100});
    let (_, _, created) = call(
        &t.router,
        Method::POST,
        "/v1/uploads",
        Some(&token),
        Some(body),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let (s, _, _) = call(
        &t.router,
        Method::DELETE,
        &format!("/v1/uploads/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, _, st) = call(
        &t.router,
        Method::GET,
        &format!("/v1/uploads/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(st["status"], "aborted");
    let (s, _, _) = call(
        &t.router,
        Method::DELETE,
        &format!("/v1/uploads/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = call(
        &t.router,
        Method::POST,
        "/v1/posts",
        Some(&token),
        Some(json!({"upload_id": id})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn lying_uploads_end_failed_with_a_readable_reason() {
    let t = spawn_app().await;
    let token = user(&t.router, "alice").await;
    let bob = user(&t.router, "bob").await;
    for (file, code) in [
        ("invalid/text_as.jpg", "unsupported_format"),
        ("invalid/html_then_jpeg.jpg", "unsupported_format"),
        ("invalid/jpeg_trunc_scan.jpg", "corrupt_image"),
        ("invalid/png_50000x50000.png", "too_many_pixels"),
    ] {
        let bytes = std::fs::read(testdata().join(file)).unwrap();
        let upload_id = upload(&t, &token, &bytes, "image/jpeg").await;
        let (s, _, post) = call(
            &t.router,
            Method::POST,
            "/v1/posts",
            Some(&token),
            Some(json!({"upload_id": upload_id, "caption": file})),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let post = wait_post(&t, &token, post["id"].as_str().unwrap()).await;
        assert_eq!(post["status"], "failed", "{file}: {post}");
        assert_eq!(post["failure"]["code"], code, "{file}: {post}");
        assert!(post["failure"]["message"].as_str().unwrap().len() > 5);
        assert!(post["image"].is_null());
        // Nobody but the author sees a failed post.
        let (s, _, _) = call(
            &t.router,
            Method::GET,
            &format!("/v1/posts/{}", post["id"].as_str().unwrap()),
            Some(&bob),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    // Failed posts never reach the feed.
    let (_, _, feed) = call(&t.router, Method::GET, "/v1/posts", Some(&token), None).await;
    assert_eq!(feed["items"], json!([]));
}
