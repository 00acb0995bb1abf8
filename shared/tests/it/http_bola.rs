//! SECURITY.md API1/API5 for the image library and the admin routes: mallory, holding alice's ids,
//! upload ids and cursors, gets 404 (or 403 on admin routes) everywhere, and nothing of alice's
//! changes. Anonymous callers get 401. Every test runs on SQLite and on DynamoDB (moto).

#![allow(clippy::unwrap_used)]

use crate::common;
use axum::http::{Method, StatusCode};
use common::images::{
    get_image, ids, list_images, patch_user, post_image, ready_image, unknown_id,
};
use common::{TestApp, admin, call, error_code, on_both_stores, upload, user};
use serde_json::{Value, json};

on_both_stores!(
    mallory_cannot_reach_alices_images,
    admin_routes_refuse_anonymous_and_non_admins
);

/// What must not change of an image: everything but the (re-signable) URLs.
fn fixed_fields(image: &Value) -> Value {
    let thumbnails: Vec<&String> = image["thumbnails"].as_object().unwrap().keys().collect();
    json!([
        image["id"],
        image["title"],
        image["status"],
        image["width"],
        image["height"],
        image["created_at"],
        thumbnails,
        image.get("original_url").is_some()
    ])
}

async fn mallory_cannot_reach_alices_images(t: TestApp) {
    // Given alice on Enterprise with two images and an upload not yet in her library.
    let root = admin(&t).await;
    let alice = user(&t.router, "alice").await;
    let mallory = user(&t.router, "mallory").await;
    patch_user(&t, &root, "alice", json!({"tier": "Enterprise"})).await;
    let first = ready_image(&t, &alice, "valid/jpeg_baseline.jpg", "Beach", None).await;
    let image = ready_image(&t, &alice, "valid/png_rgba.png", "Beach 2", None).await;
    let id = image["id"].as_str().unwrap();
    let spare = upload(
        &t,
        &alice,
        &common::images::corpus("valid/png_gray16.png"),
        "image/png",
    )
    .await;
    let listed_upload = upload(
        &t,
        &alice,
        &common::images::corpus("valid/png_gray16.png"),
        "image/png",
    )
    .await;
    let (s, b) = post_image(
        &t,
        &alice,
        json!({"upload_id": listed_upload, "title": "listed"}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let before = list_images(&t, &alice, "?limit=100").await;
    let page = list_images(&t, &alice, "?limit=1").await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();

    // When mallory tries every image route with alice's ids, on Basic and on Enterprise alike.
    let (_, not_found) = get_image(&t, &mallory, &unknown_id()).await;
    for tier in ["Basic", "Enterprise"] {
        patch_user(&t, &root, "mallory", json!({"tier": tier})).await;
        let (s, b) = get_image(&t, &mallory, id).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{tier}: {b}");
        assert_eq!(
            error_code(&b),
            error_code(&not_found),
            "alice's id must look like no id"
        );
        let uri = format!("/v1/images/{id}/links");
        let (s, _, b) = call(
            &t.router,
            Method::POST,
            &uri,
            Some(&mallory),
            Some(json!({"expires_in": 300})),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{tier} links: {b}");
        for upload_id in [&spare, &listed_upload] {
            let (s, b) = post_image(
                &t,
                &mallory,
                json!({"upload_id": upload_id, "title": "mine"}),
            )
            .await;
            assert_eq!(
                s,
                StatusCode::NOT_FOUND,
                "POST /v1/images with alice's upload: {b}"
            );
            let post = json!({"upload_id": upload_id, "caption": "mine"});
            let (s, _, b) = call(
                &t.router,
                Method::POST,
                "/v1/posts",
                Some(&mallory),
                Some(post),
            )
            .await;
            assert_eq!(
                s,
                StatusCode::NOT_FOUND,
                "POST /v1/posts with alice's upload: {b}"
            );
        }
        let uri = format!("/v1/images?limit=1&cursor={cursor}");
        let (s, _, b) = call(&t.router, Method::GET, &uri, Some(&mallory), None).await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "alice's cursor for mallory: {b}"
        );
        assert_eq!(
            ids(&list_images(&t, &mallory, "?title=beach").await),
            Vec::<String>::new()
        );
    }
    for (method, uri) in [
        (Method::PATCH, "/v1/admin/users/alice"),
        (Method::PATCH, "/v1/admin/users/mallory"),
    ] {
        let body = json!({"tier": "Basic", "role": "admin"});
        let (s, _, b) = call(&t.router, method, uri, Some(&mallory), Some(body)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{uri}: {b}");
    }

    // Then nothing of alice's changed, and her upload is still hers to list.
    let (s, after) = get_image(&t, &alice, id).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(fixed_fields(&after), fixed_fields(&image));
    assert_eq!(
        ids(&list_images(&t, &alice, "?limit=100").await),
        ids(&before)
    );
    let (s, _, me) = call(&t.router, Method::GET, "/v1/users/me", Some(&alice), None).await;
    assert_eq!(
        (s, me),
        (
            StatusCode::OK,
            json!({"username": "alice", "tier": "Enterprise", "role": "user"})
        )
    );
    let (s, b) = post_image(
        &t,
        &alice,
        json!({"upload_id": spare, "title": "still mine"}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let uri = format!("/v1/images/{}/links", first["id"].as_str().unwrap());
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        &uri,
        Some(&alice),
        Some(json!({"expires_in": 300})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

async fn admin_routes_refuse_anonymous_and_non_admins(t: TestApp) {
    let root = admin(&t).await;
    user(&t.router, "alice").await;
    let mallory = user(&t.router, "mallory").await;
    let (_, tiers_before) = call_as(&t, &root, Method::GET, "/v1/admin/tiers", None).await;
    let (_, users_before) = call_as(&t, &root, Method::GET, "/v1/admin/users", None).await;

    let evil_tier = json!({"name": "Basic", "thumbnail_heights": [200, 400], "original_link": true, "expiring_links": true});
    let routes = [
        (Method::GET, "/v1/admin/tiers", None),
        (
            Method::POST,
            "/v1/admin/tiers",
            Some(
                json!({"name": "Evil", "thumbnail_heights": [200], "original_link": true, "expiring_links": true}),
            ),
        ),
        (Method::GET, "/v1/admin/tiers/Basic", None),
        (Method::GET, "/v1/admin/tiers/Nope", None),
        (Method::PUT, "/v1/admin/tiers/Basic", Some(evil_tier)),
        (Method::DELETE, "/v1/admin/tiers/Premium", None),
        (Method::GET, "/v1/admin/users", None),
        (
            Method::POST,
            "/v1/admin/users",
            Some(json!({"username": "evil", "password": "evil-password", "role": "admin"})),
        ),
        (
            Method::PATCH,
            "/v1/admin/users/alice",
            Some(json!({"tier": "Enterprise", "role": "admin", "password": "pwned-password"})),
        ),
        (
            Method::PATCH,
            "/v1/admin/users/mallory",
            Some(json!({"tier": "Enterprise", "role": "admin"})),
        ),
    ];
    for (method, uri, body) in routes {
        for (who, token, want) in [
            ("anonymous", None, StatusCode::UNAUTHORIZED),
            ("bad token", Some("not.a.token"), StatusCode::UNAUTHORIZED),
            ("mallory", Some(mallory.as_str()), StatusCode::FORBIDDEN),
        ] {
            let (s, _, b) = call(&t.router, method.clone(), uri, token, body.clone()).await;
            assert_eq!(s, want, "{who}: {method} {uri} -> {b}");
            error_code(&b);
        }
    }

    // Nothing changed.
    assert_eq!(
        call_as(&t, &root, Method::GET, "/v1/admin/tiers", None)
            .await
            .1,
        tiers_before
    );
    assert_eq!(
        call_as(&t, &root, Method::GET, "/v1/admin/users", None)
            .await
            .1,
        users_before
    );
    let (_, me) = call_as(&t, &mallory, Method::GET, "/v1/users/me", None).await;
    assert_eq!(
        me,
        json!({"username": "mallory", "tier": "Basic", "role": "user"})
    );
    common::login(&t.router, "alice", "correct-horse").await;
}

async fn call_as(
    t: &TestApp,
    token: &str,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (s, b) = common::request(t, token, method, uri, body).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {b}");
    (s, b)
}
