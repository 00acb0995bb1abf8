//! HTTP tests for `/v1/admin`: the builtin tiers, tier CRUD, user administration, and tier changes
//! reaching the images on their next read. Refusals to non-admins are in `http_bola.rs`.
//! Every test runs on SQLite and on DynamoDB (moto).

#![allow(clippy::unwrap_used)]

use crate::common;
use axum::http::{Method, StatusCode};
use common::images::{assert_renditions, corpus, get_image, patch_user, ready_image};
use common::{
    TestApp, admin, call, delete, error_code, get, login, on_both_stores, patch, post, put, user,
};
use serde_json::{Value, json};

on_both_stores!(
    builtin_tiers_and_tier_crud,
    tiers_in_use_and_builtin_tiers_are_kept,
    users_create_list_and_patch,
    tier_changes_show_on_the_next_read,
);

fn tier(name: &str, heights: &[u32], original_link: bool, expiring_links: bool) -> Value {
    json!({"name": name, "thumbnail_heights": heights, "original_link": original_link,
        "expiring_links": expiring_links})
}

use common::request as req;

/// Every item of a paginated admin list, walking pages of `limit`.
async fn walk(t: &TestApp, token: &str, path: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut uri = format!("{path}?limit={limit}");
    loop {
        let (s, page) = get(t, token, &uri).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {page}");
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit as usize, "{page}");
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => uri = format!("{path}?limit={limit}&cursor={c}"),
            None => return items,
        }
        assert!(items.len() < 100, "pagination does not end");
    }
}

async fn builtin_tiers_and_tier_crud(t: TestApp) {
    let root = admin(&t).await;
    let builtin = vec![
        tier("Basic", &[200], false, false),
        tier("Enterprise", &[200, 400], true, true),
        tier("Premium", &[200, 400], true, false),
    ];
    let (s, page) = get(&t, &root, "/v1/admin/tiers").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page, json!({"items": builtin, "next_cursor": null}));
    assert_eq!(walk(&t, &root, "/v1/admin/tiers", 1).await, builtin);
    for bad in ["?limit=0", "?limit=101", "?cursor=garbage"] {
        let (s, b) = get(&t, &root, &format!("/v1/admin/tiers{bad}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }

    // Create: the boundaries are accepted, a second time is 409, anything outside them 422.
    let gold = tier("Gold", &[100, 300], true, false);
    let (s, b) = post(&t, &root, "/v1/admin/tiers", gold.clone()).await;
    assert_eq!((s, b), (StatusCode::CREATED, gold.clone()));
    let (s, b) = post(
        &t,
        &root,
        "/v1/admin/tiers",
        tier("Gold", &[50], false, false),
    )
    .await;
    assert_eq!((s, error_code(&b)), (StatusCode::CONFLICT, "tier_exists"));
    let widest = tier(
        &format!("A-_{}", "z".repeat(29)),
        &[1, 2, 3, 4, 5, 6, 7, 4096],
        false,
        true,
    );
    let (s, b) = post(&t, &root, "/v1/admin/tiers", widest.clone()).await;
    assert_eq!((s, b), (StatusCode::CREATED, widest));
    let invalid = [
        tier("", &[200], false, false),
        tier(&"z".repeat(33), &[200], false, false),
        tier("with space", &[200], false, false),
        tier("Été", &[200], false, false),
        tier("Zero", &[0], false, false),
        tier("Huge", &[4097], false, false),
        tier("Many", &[1, 2, 3, 4, 5, 6, 7, 8, 9], false, false),
        json!({"name": "Typed", "thumbnail_heights": ["200"], "original_link": false, "expiring_links": false}),
        json!({"name": "Typed", "thumbnail_heights": [200], "original_link": "yes", "expiring_links": false}),
        json!({"thumbnail_heights": [200], "original_link": false, "expiring_links": false}),
    ];
    for body in invalid {
        let (s, b) = post(&t, &root, "/v1/admin/tiers", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {b}");
        error_code(&b);
    }
    // A tier that does not exist (names are case-sensitive): 404 no_such_tier.
    for tier in ["Platinum", "premium"] {
        let body = json!({"username": "eddie", "password": "ed-password", "tier": tier});
        let (s, b) = post(&t, &root, "/v1/admin/users", body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{tier}: {b}");
        assert_eq!(error_code(&b), "no_such_tier");
    }

    // Read and replace; names are case-sensitive and never change.
    let (s, b) = get(&t, &root, "/v1/admin/tiers/Gold").await;
    assert_eq!((s, b), (StatusCode::OK, gold));
    for missing in ["gold", "premium", "Nope"] {
        let (s, b) = get(&t, &root, &format!("/v1/admin/tiers/{missing}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{missing}: {b}");
    }
    let silver = tier("Gold", &[150], false, true);
    let (s, b) = put(&t, &root, "/v1/admin/tiers/Gold", silver.clone()).await;
    assert_eq!((s, b), (StatusCode::OK, silver.clone()));
    let (s, b) = put(
        &t,
        &root,
        "/v1/admin/tiers/Gold",
        tier("Silver", &[150], false, false),
    )
    .await;
    // Tiers are not renamed: the path names the tier, a body's `name` is not read.
    assert_eq!(
        (s, b),
        (StatusCode::OK, tier("Gold", &[150], false, false)),
        "rename"
    );
    // At most 8 heights as sent, duplicates included (the schema's maxItems).
    for (heights, status) in [
        (vec![150; 8], StatusCode::OK),
        (vec![150; 9], StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (s, b) = put(
            &t,
            &root,
            "/v1/admin/tiers/Gold",
            tier("Gold", &heights, false, true),
        )
        .await;
        assert_eq!(s, status, "{} heights: {b}", heights.len());
    }
    // Integral floats are integers (JSON Schema says so); fractions and nulls are not.
    let (s, b) = put(
        &t,
        &root,
        "/v1/admin/tiers/Gold",
        json!({"thumbnail_heights": [150.0], "expiring_links": true}),
    )
    .await;
    assert_eq!((s, b), (StatusCode::OK, silver.clone()), "150.0");
    for body in [
        json!({"thumbnail_heights": [150.5]}),
        json!({"thumbnail_heights": [null]}),
        json!({"name": null}),
    ] {
        let (s, b) = post(&t, &root, "/v1/admin/tiers", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {b}");
    }
    let (s, b) = put(
        &t,
        &root,
        "/v1/admin/tiers/Gold",
        tier("Gold", &[0], false, false),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = put(
        &t,
        &root,
        "/v1/admin/tiers/Nope",
        tier("Nope", &[150], false, false),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, b) = get(&t, &root, "/v1/admin/tiers/Gold").await;
    assert_eq!(
        (s, b),
        (StatusCode::OK, silver),
        "the refused PUTs changed nothing"
    );

    // Delete.
    let (s, _) = delete(&t, &root, "/v1/admin/tiers/Gold").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for method in [Method::GET, Method::DELETE] {
        let (s, b) = req(&t, &root, method.clone(), "/v1/admin/tiers/Gold", None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method}: {b}");
    }
    assert_eq!(walk(&t, &root, "/v1/admin/tiers", 2).await.len(), 4);
}

async fn tiers_in_use_and_builtin_tiers_are_kept(t: TestApp) {
    let root = admin(&t).await;
    user(&t.router, "bob").await;
    let (s, b) = post(
        &t,
        &root,
        "/v1/admin/tiers",
        tier("Gold", &[100], false, false),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    patch_user(&t, &root, "bob", json!({"tier": "Gold"})).await;

    let (s, b) = delete(&t, &root, "/v1/admin/tiers/Gold").await;
    assert_eq!((s, error_code(&b)), (StatusCode::CONFLICT, "tier_in_use"));
    let (s, b) = delete(&t, &root, "/v1/admin/tiers/Basic").await;
    assert_eq!((s, error_code(&b)), (StatusCode::CONFLICT, "default_tier"));
    // The other builtin tiers can be edited but not deleted (they would come back at the next start).
    for name in ["Premium", "Enterprise"] {
        let uri = format!("/v1/admin/tiers/{name}");
        let (s, b) = delete(&t, &root, &uri).await;
        assert_eq!(
            (s, error_code(&b)),
            (StatusCode::CONFLICT, "builtin_tier"),
            "{name}"
        );
    }
    let (s, _) = get(&t, &root, "/v1/admin/tiers/Gold").await;
    assert_eq!(s, StatusCode::OK);

    // Once nobody is on it, it goes.
    patch_user(&t, &root, "bob", json!({"tier": "Basic"})).await;
    let (s, b) = delete(&t, &root, "/v1/admin/tiers/Gold").await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, page) = get(&t, &root, "/v1/admin/tiers").await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Basic", "Enterprise", "Premium"]);
}

async fn users_create_list_and_patch(t: TestApp) {
    let root = admin(&t).await;
    let alice = user(&t.router, "alice").await;

    // Create: defaults Basic/user; a tier and role may be given; 409 taken; 422 invalid.
    let body = json!({"username": "carol", "password": "carol-password", "tier": "Premium", "role": "admin"});
    let (s, b) = post(&t, &root, "/v1/admin/users", body.clone()).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::CREATED,
            json!({"username": "carol", "tier": "Premium", "role": "admin"})
        )
    );
    let (s, b) = post(&t, &root, "/v1/admin/users", body).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let body = json!({"username": "dave", "password": "dave-password"});
    let (s, b) = post(&t, &root, "/v1/admin/users", body).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::CREATED,
            json!({"username": "dave", "tier": "Basic", "role": "user"})
        )
    );
    let invalid = [
        json!({"username": "Ed", "password": "ed-password"}),
        json!({"username": "eddie", "password": "short"}),
        json!({"username": "eddie"}),
        json!({"username": "eddie", "password": "ed-password", "tier": null}),
        json!({"username": "eddie", "password": "ed-password", "role": null}),
        json!({"username": "eddie", "password": "ed-password", "role": "root"}),
        json!({"username": "eddie", "password": "ed-password", "role": "Admin"}),
    ];
    for body in invalid {
        let (s, b) = post(&t, &root, "/v1/admin/users", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {b}");
        error_code(&b);
    }
    // A created admin is an admin.
    let carol = login(&t.router, "carol", "carol-password").await;
    let (s, b) = get(&t, &carol, "/v1/admin/tiers").await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // List: by username, exactly the public fields.
    let everyone = json!([
        {"username": "alice", "tier": "Basic", "role": "user"},
        {"username": "carol", "tier": "Premium", "role": "admin"},
        {"username": "dave", "tier": "Basic", "role": "user"},
        {"username": "root", "tier": "Basic", "role": "admin"},
    ]);
    let (s, page) = get(&t, &root, "/v1/admin/users").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page, json!({"items": everyone, "next_cursor": null}));
    assert_eq!(
        Value::from(walk(&t, &root, "/v1/admin/users", 3).await),
        everyone
    );
    let (s, b) = get(&t, &root, "/v1/admin/users?limit=101").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");

    // Patch: tier, role, password; unknown user 404; unknown tier or role 422.
    let b = patch_user(&t, &root, "alice", json!({"tier": "Premium"})).await;
    assert_eq!(
        b,
        json!({"username": "alice", "tier": "Premium", "role": "user"})
    );
    let (s, me) = get(&t, &alice, "/v1/users/me").await;
    assert_eq!((s, me["tier"].clone()), (StatusCode::OK, json!("Premium")));
    let b = patch_user(&t, &root, "alice", json!({"role": "admin"})).await;
    assert_eq!(
        b,
        json!({"username": "alice", "tier": "Premium", "role": "admin"})
    );
    let (s, b) = get(&t, &alice, "/v1/admin/users").await;
    assert_eq!(s, StatusCode::OK, "alice is an admin now: {b}");
    let b = patch_user(
        &t,
        &root,
        "alice",
        json!({"role": "user", "password": "a-new-password"}),
    )
    .await;
    assert_eq!(
        b,
        json!({"username": "alice", "tier": "Premium", "role": "user"})
    );
    login(&t.router, "alice", "a-new-password").await;
    let old = json!({"username": "alice", "password": "correct-horse"});
    let (s, _, b) = call(&t.router, Method::POST, "/v1/tokens", None, Some(old)).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the old password still works: {b}"
    );

    let (s, b) = patch(
        &t,
        &root,
        "/v1/admin/users/nobody",
        json!({"tier": "Premium"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    for tier in ["Platinum", "premium"] {
        let body = json!({"tier": tier});
        let (s, b) = patch(&t, &root, "/v1/admin/users/alice", body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{tier}: {b}");
        assert_eq!(error_code(&b), "no_such_tier");
    }
    for body in [
        json!({"role": "god"}),
        json!({"password": "short"}),
        json!({"role": null}),
        json!({"tier": null}),
        json!({"password": null}),
        json!({"tier": "Basic", "role": null}),
    ] {
        let (s, b) = patch(&t, &root, "/v1/admin/users/alice", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {b}");
    }
    let (s, page) = get(&t, &root, "/v1/admin/users?limit=1").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        page["items"][0],
        json!({"username": "alice", "tier": "Premium", "role": "user"})
    );
}

/// After a change of a user's tier, or of the tier itself, the next read lists exactly the
/// renditions the tier grants, and every listed URL serves them (missing ones made at that read).
async fn tier_changes_show_on_the_next_read(t: TestApp) {
    let root = admin(&t).await;
    let alice = user(&t.router, "alice").await;
    let original = corpus("valid/jpeg_baseline.jpg");
    let image = ready_image(
        &t,
        &alice,
        "valid/jpeg_baseline.jpg",
        "tiers",
        Some((300, 300)),
    )
    .await;
    let id = image["id"].as_str().unwrap();
    assert_renditions(&image, (640, 427), &[200], None).await;

    let steps: [(&str, Value, &[u32], bool); 4] = [
        (
            "alice to Premium",
            json!({"tier": "Premium"}),
            &[200, 400],
            true,
        ),
        (
            "Premium adds 300",
            tier("Premium", &[200, 300, 400], true, false),
            &[200, 300, 400],
            true,
        ),
        (
            "Premium drops the original",
            tier("Premium", &[300], false, false),
            &[300],
            false,
        ),
        (
            "alice back to Basic",
            json!({"tier": "Basic"}),
            &[200],
            false,
        ),
    ];
    for (step, change, heights, with_original) in steps {
        if change.get("name").is_some() {
            let (s, b) = put(&t, &root, "/v1/admin/tiers/Premium", change).await;
            assert_eq!(s, StatusCode::OK, "{step}: {b}");
        } else {
            patch_user(&t, &root, "alice", change).await;
        }
        let (s, image) = get_image(&t, &alice, id).await;
        assert_eq!(s, StatusCode::OK, "{step}: {image}");
        assert_eq!(
            (image["width"].clone(), image["height"].clone()),
            (json!(300), json!(200)),
            "{step}"
        );
        let original = with_original.then_some(original.as_slice());
        assert_renditions(&image, (640, 427), heights, original).await;
    }
}
