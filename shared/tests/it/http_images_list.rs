//! HTTP tests for `GET /v1/images`: the caller's images in every status, newest first, title search
//! (case-insensitive, Unicode, no wildcards), pagination and cursors bound to the title.
//! Every test runs on SQLite and on DynamoDB (moto).

#![allow(clippy::unwrap_used)]

use crate::common;
use axum::http::{Method, StatusCode};
use common::images::{Part, corpus, ids, list_images, multipart_body, post_image, post_multipart};
use common::{TestApp, call, declare_upload, error_code, on_both_stores, upload, user};
use serde_json::{Value, json};

on_both_stores!(list_search_and_pagination);

/// Adds an image titled `title` through the multipart form; returns its id.
async fn add(t: &TestApp, token: &str, title: &str) -> String {
    let png = corpus("valid/png_gray16.png");
    let body = multipart_body(&[
        Part::File("file", "a.png", &png),
        Part::Text("title", title),
    ]);
    let (s, b) = post_multipart(t, token, body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    // ULIDs made in the same millisecond need not sort by creation.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    b["id"].as_str().unwrap().to_owned()
}

/// Walks every page of `query` (which must end in `limit=`) and returns the ids in order.
async fn walk(t: &TestApp, token: &str, query: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut page = list_images(t, token, query).await;
    loop {
        all.extend(ids(&page));
        let Some(cursor) = page["next_cursor"].as_str() else {
            assert_eq!(page["next_cursor"], Value::Null, "{page}");
            return all;
        };
        assert!(all.len() < 50, "pagination does not end: {page}");
        page = list_images(t, token, &format!("{query}&cursor={cursor}")).await;
    }
}

async fn list_status(t: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    let uri = format!("/v1/images{query}");
    let (s, _, b) = call(&t.router, Method::GET, &uri, Some(token), None).await;
    (s, b)
}

async fn list_search_and_pagination(t: TestApp) {
    // Given alice's images in every status, and bob's summer image.
    let alice = user(&t.router, "alice").await;
    let bob = user(&t.router, "bob").await;
    let mut made = Vec::new();
    for title in [
        "Été à Paris",
        "summer beach",
        "Winter",
        "SUMMER night",
        "100% under_score",
    ] {
        made.push(add(&t, &alice, title).await);
    }
    let broken = upload(
        &t,
        &alice,
        &corpus("invalid/png_trunc_idat.png"),
        "image/png",
    )
    .await;
    let (s, b) = post_image(
        &t,
        &alice,
        json!({"upload_id": broken, "title": "broken summer"}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    made.push(b["id"].as_str().unwrap().to_owned());
    let pending = declare_upload(&t, &alice, "later.jpg", 1000, "image/jpeg").await;
    let (s, b) = post_image(
        &t,
        &alice,
        json!({"upload_id": pending["id"], "title": "Summer later"}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    made.push(b["id"].as_str().unwrap().to_owned());
    add(&t, &bob, "summer of bob").await;
    let newest_first: Vec<String> = made.iter().rev().cloned().collect();

    // The whole list: alice's only, every status, newest first.
    let all = list_images(&t, &alice, "?limit=100").await;
    assert_eq!(ids(&all), newest_first, "{all}");
    assert_eq!(all["next_cursor"], Value::Null);
    let statuses: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses[0], "processing", "{all}");
    assert!(["processing", "failed"].contains(&statuses[1]), "{all}");
    assert_eq!(
        list_images(&t, &alice, "").await["items"]
            .as_array()
            .unwrap()
            .len(),
        7,
        "default limit 20"
    );

    // Pages of 2 and of 1 give the same list, without repeats or gaps.
    assert_eq!(walk(&t, &alice, "?limit=2").await, newest_first);
    let summer = vec![
        made[6].clone(),
        made[5].clone(),
        made[3].clone(),
        made[1].clone(),
    ];
    assert_eq!(
        ids(&list_images(&t, &alice, "?title=summer&limit=100").await),
        summer
    );
    assert_eq!(walk(&t, &alice, "?title=SuMmEr&limit=1").await, summer);

    // Case-insensitive beyond ASCII; `%` and `_` are plain characters, not wildcards.
    let ete = list_images(&t, &alice, "?title=%C3%89T%C3%89").await;
    assert_eq!(ids(&ete), [made[0].clone()], "ÉTÉ finds Été: {ete}");
    assert_eq!(
        ids(&list_images(&t, &alice, "?title=%25").await),
        [made[4].clone()]
    );
    assert_eq!(
        ids(&list_images(&t, &alice, "?title=W_nter").await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&list_images(&t, &alice, "?title=nothing%20like%20it").await),
        Vec::<String>::new()
    );

    // A cursor works only with the title that made it, unchanged.
    let first = list_images(&t, &alice, "?title=summer&limit=1").await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let mut tampered = cursor.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for query in [
        format!("?title=winter&limit=1&cursor={cursor}"),
        format!("?limit=1&cursor={cursor}"),
        format!("?title=summer&limit=1&cursor={tampered}"),
        format!(
            "?title=summer&limit=1&cursor={}",
            &cursor[..cursor.len() / 2]
        ),
        "?limit=0".to_owned(),
        "?limit=101".to_owned(),
        "?limit=ten".to_owned(),
    ] {
        let (s, b) = list_status(&t, &alice, &query).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {b}");
        error_code(&b);
    }
    // Bob's list is bob's.
    assert_eq!(ids(&list_images(&t, &bob, "?title=summer").await).len(), 1);
}

/// After a tier change, a page stops making the missing thumbnails once its time budget is spent
/// (zero here): each page then holds the one image it made them for, its cursor continues after
/// that image, and walking the pages lists every image once, each with the new tier's
/// thumbnails, every one of which exists.
#[tokio::test]
async fn a_tier_change_cuts_pages_short_instead_of_rendering_them_whole() {
    let settings = imagegram::app::Settings {
        list_render_budget: std::time::Duration::ZERO,
        ..Default::default()
    };
    let t = common::spawn_app_with(settings, Some(common::ADMIN)).await;
    let root = common::admin(&t).await;
    let alice = user(&t.router, "alice").await;
    let mut made = Vec::new();
    for title in ["one", "two", "three"] {
        let id = add(&t, &alice, title).await;
        common::images::wait_image(&t, &alice, &id).await;
        made.insert(0, id);
    }
    // Untouched: one page of all three.
    let page = list_images(&t, &alice, "?limit=10").await;
    assert_eq!(ids(&page), made, "{page}");
    assert_eq!(page["next_cursor"], Value::Null);

    common::images::patch_user(&t, &root, "alice", json!({"tier": "Premium"})).await;
    let mut seen = Vec::new();
    let mut page = list_images(&t, &alice, "?limit=10").await;
    loop {
        let items = page["items"].as_array().unwrap().clone();
        assert_eq!(
            items.len(),
            1,
            "one image per page while each needs work: {page}"
        );
        for image in &items {
            let heights = common::images::thumbnail_heights(image);
            assert_eq!(heights, [200, 400].into(), "{image}");
            for url in image["thumbnails"].as_object().unwrap().values() {
                let (status, _, _) = common::images::fetch(url.as_str().unwrap()).await;
                assert_eq!(status, 200, "listed thumbnail {url} does not exist");
            }
        }
        seen.extend(ids(&page));
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        assert!(seen.len() < 10, "pagination does not end: {page}");
        page = list_images(&t, &alice, &format!("?limit=10&cursor={cursor}")).await;
    }
    assert_eq!(seen, made);
    // Made: the next read is one page again.
    let page = list_images(&t, &alice, "?limit=10").await;
    assert_eq!(ids(&page), made, "{page}");
    assert_eq!(page["next_cursor"], Value::Null);
}
