//! HTTP tests for the image library (`POST/GET /v1/images`, `GET /v1/images/{id}`): geometry of
//! the renditions, both ways in (JSON with an upload, multipart), validation and upload states.
//! Every test runs on SQLite and on DynamoDB (moto).

#![allow(clippy::unwrap_used)]

use crate::common;
use axum::http::{Method, StatusCode};
use common::images::{
    MULTIPART_LIMIT, Part, assert_processing_shape, assert_renditions, corpus, fetch_jpeg,
    get_image, ids, list_images, multipart_body, multipart_body_of_size, patch_user, post_image,
    post_multipart, ready_image, unknown_id, wait_image,
};
use common::{
    TestApp, admin, call, complete_upload, declare_upload, error_code, on_both_stores, upload, user,
};
use serde_json::{Value, json};

on_both_stores!(
    json_image_fits_inside_and_keeps_aspect,
    default_size_and_never_enlarged,
    multipart_png_and_bmp,
    multipart_limits_and_errors,
    json_body_validation,
    upload_states,
    lying_upload_becomes_failed,
    owner_and_admin_read_others_get_404,
);

/// Given a 640x427 JPEG asked at 300x300, the image fits inside (300x200); Basic gets the 200 thumbnail
/// and no original.
async fn json_image_fits_inside_and_keeps_aspect(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let bytes = corpus("valid/jpeg_baseline.jpg");
    let upload_id = upload(&t, &alice, &bytes, "image/jpeg").await;

    let body = json!({"upload_id": upload_id, "title": "Beach", "width": 300, "height": 300});
    let (s, created) = post_image(&t, &alice, body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{created}");
    if created["status"] == "processing" {
        assert_processing_shape(&created);
    }
    assert_eq!(created["title"], "Beach");
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));

    let id = created["id"].as_str().unwrap();
    let image = wait_image(&t, &alice, id).await;
    assert_eq!(image["id"], id);
    assert_eq!(
        (image["width"].clone(), image["height"].clone()),
        (json!(300), json!(200))
    );
    assert!(image.get("failure").is_none_or(Value::is_null), "{image}");
    assert_renditions(&image, (640, 427), &[200], None).await;
}

/// 600x600 when no size is asked; a small image is never enlarged; a 1000:1 image keeps its aspect.
async fn default_size_and_never_enlarged(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let cases = [
        ("valid/jpeg_progressive.jpg", None, (600, 450)),
        ("valid/png_gray16.png", Some((4096, 4096)), (200, 150)),
        (
            "valid/jpeg_wide_10000x10.jpg",
            Some((1000, 1000)),
            (1000, 1),
        ),
        ("valid/png_tall_10x10000.png", None, (1, 600)),
    ];
    for (file, fit, want) in cases {
        let image = ready_image(&t, &alice, file, file, fit).await;
        let got = (
            image["width"].as_u64().unwrap() as u32,
            image["height"].as_u64().unwrap() as u32,
        );
        assert_eq!(got, want, "{file}: {image}");
        assert_eq!(
            fetch_jpeg(image["url"].as_str().unwrap()).await,
            want,
            "{file}"
        );
        assert_eq!(
            common::images::thumbnail_heights(&image),
            [200].into(),
            "{file}"
        );
    }
}

/// The multipart way in: a PNG and a BMP (named .jpg: the format comes from the bytes).
async fn multipart_png_and_bmp(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let png = corpus("valid/png_rgba.png");
    let bmp = corpus("valid/bmp_24bit.bmp");
    let cases = [
        (
            &png,
            "rgba.png",
            Some(("160", "160.0")),
            (320, 240),
            (160, 120),
        ),
        (&bmp, "bitmap.jpg", None, (127, 65), (127, 65)),
    ];
    for (bytes, filename, fit, source, want) in cases {
        let mut parts = vec![
            Part::File("file", filename, bytes),
            Part::Text("title", filename),
        ];
        if let Some((w, h)) = fit {
            parts.extend([Part::Text("width", w), Part::Text("height", h)]);
        }
        let (s, created) = post_multipart(&t, &alice, multipart_body(&parts)).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{filename}: {created}");
        assert_eq!(created["title"], filename);
        let image = wait_image(&t, &alice, created["id"].as_str().unwrap()).await;
        assert_eq!(
            (image["width"].clone(), image["height"].clone()),
            (json!(want.0), json!(want.1))
        );
        assert_renditions(&image, source, &[200], None).await;
    }
}

/// The form is limited to 6 MiB in all; its fields are validated like the JSON body's.
async fn multipart_limits_and_errors(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let jpeg = corpus("valid/jpeg_baseline.jpg");

    // Exactly the limit is accepted (a JPEG padded after its EOI); one byte more is 413.
    let (s, b) = post_multipart(
        &t,
        &alice,
        multipart_body_of_size(&jpeg, "big", MULTIPART_LIMIT),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let image = wait_image(&t, &alice, b["id"].as_str().unwrap()).await;
    assert_eq!(
        (image["status"].clone(), image["width"].clone()),
        (json!("ready"), json!(600))
    );
    let (s, b) = post_multipart(
        &t,
        &alice,
        multipart_body_of_size(&jpeg, "big", MULTIPART_LIMIT + 1),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    error_code(&b);

    let gif = corpus("invalid/gif_as.jpg");
    let (s, b) = post_multipart(
        &t,
        &alice,
        multipart_body(&[
            Part::File("file", "a.jpg", &gif),
            Part::Text("title", "gif"),
        ]),
    )
    .await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_format")
    );

    let invalid: [Vec<Part>; 6] = [
        vec![Part::Text("title", "no file")],
        vec![Part::File("file", "a.jpg", &jpeg)],
        vec![Part::File("file", "a.jpg", &jpeg), Part::Text("title", "")],
        vec![
            Part::File("file", "a.jpg", &jpeg),
            Part::Text("title", "t"),
            Part::Text("width", "0"),
            Part::Text("height", "10"),
        ],
        vec![
            Part::File("file", "a.jpg", &jpeg),
            Part::Text("title", "t"),
            Part::Text("width", "4097"),
            Part::Text("height", "10"),
        ],
        vec![
            Part::File("file", "a.jpg", &jpeg),
            Part::Text("title", "t"),
            Part::Text("width", "100"),
        ],
    ];
    for (i, parts) in invalid.iter().enumerate() {
        let (s, b) = post_multipart(&t, &alice, multipart_body(parts)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "invalid form {i}: {b}");
        error_code(&b);
    }

    // A body that is not multipart at all, or one cut before its closing boundary, is malformed.
    let mut cut = multipart_body(&[Part::File("file", "a.jpg", &jpeg), Part::Text("title", "t")]);
    cut.truncate(cut.len() / 2);
    for body in [b"not a form".to_vec(), cut] {
        let (s, b) = post_multipart(&t, &alice, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        error_code(&b);
    }
    // None of the refused forms made an image: only the 6 MiB one is listed.
    assert_eq!(
        ids(&list_images(&t, &alice, "").await),
        [image["id"].as_str().unwrap()]
    );
}

/// Title 1..200 scalar values; width and height each 1..4096, both or neither; fields the server
/// owns are ignored.
async fn json_body_validation(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let upload_id = upload(&t, &alice, &corpus("valid/jpeg_baseline.jpg"), "image/jpeg").await;
    let invalid = [
        json!({"upload_id": upload_id}),
        json!({"title": "no upload"}),
        json!({"upload_id": upload_id, "title": ""}),
        json!({"upload_id": upload_id, "title": "é".repeat(201)}),
        json!({"upload_id": upload_id, "title": 7}),
        json!({"upload_id": upload_id, "title": "t", "width": 0, "height": 10}),
        json!({"upload_id": upload_id, "title": "t", "width": 10, "height": 4097}),
        json!({"upload_id": upload_id, "title": "t", "width": 65535, "height": 65535}),
        json!({"upload_id": upload_id, "title": "t", "width": -1, "height": 10}),
        json!({"upload_id": upload_id, "title": "t", "width": "300", "height": "300"}),
        json!({"upload_id": upload_id, "title": "t", "width": 300}),
        json!({"upload_id": upload_id, "title": "t", "width": null, "height": null}),
        json!({"upload_id": upload_id, "title": "t", "width": 300.5, "height": 300}),
        json!({"upload_id": upload_id, "title": "t", "height": 300}),
    ];
    for body in invalid {
        let (s, b) = post_image(&t, &alice, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {b}");
        error_code(&b);
    }
    let unknown = json!({"upload_id": unknown_id(), "title": "t"});
    let (s, b) = post_image(&t, &alice, unknown).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");

    // The refusals left the upload unused: the boundary values are accepted with it.
    let title = "é".repeat(200);
    let forced = unknown_id();
    let body = json!({"upload_id": upload_id, "title": title, "width": 4096.0, "height": 4096,
        "id": forced, "status": "ready", "owner": "mallory"});
    let (s, created) = post_image(&t, &alice, body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{created}");
    assert_ne!(created["id"], forced.as_str());
    let image = wait_image(&t, &alice, created["id"].as_str().unwrap()).await;
    assert_eq!(image["title"], title.as_str());
    assert_eq!(
        (image["width"].clone(), image["height"].clone()),
        (json!(640), json!(427))
    );
}

/// An upload still in flight is accepted and ready once completed; an aborted one is 409; an upload
/// is listed once, whether through `POST /v1/images` or `POST /v1/posts`.
async fn upload_states(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let bytes = corpus("valid/jpeg_baseline.jpg");

    let pending = declare_upload(&t, &alice, "pending.jpg", bytes.len(), "image/jpeg").await;
    let body = json!({"upload_id": pending["id"], "title": "early"});
    let (s, created) = post_image(&t, &alice, body.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{created}");
    assert_processing_shape(&created);
    complete_upload(&t, &alice, &pending, &bytes).await;
    let image = wait_image(&t, &alice, created["id"].as_str().unwrap()).await;
    assert_eq!(image["status"], "ready", "{image}");
    let (s, b) = post_image(&t, &alice, body).await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::CONFLICT, "already_listed")
    );

    let aborted = declare_upload(&t, &alice, "gone.jpg", bytes.len(), "image/jpeg").await;
    let id = aborted["id"].as_str().unwrap();
    let (s, _, _) = call(
        &t.router,
        Method::DELETE,
        &format!("/v1/uploads/{id}"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = post_image(&t, &alice, json!({"upload_id": id, "title": "t"})).await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::CONFLICT, "upload_aborted")
    );

    // A post puts its image in the library, titled by the caption, else by the filename.
    for (caption, title) in [
        ("Sunset over the bay", "Sunset over the bay"),
        ("", "photo"),
    ] {
        let upload_id = upload(&t, &alice, &bytes, "image/jpeg").await;
        let post = json!({"upload_id": upload_id, "caption": caption});
        let (s, _, b) = call(
            &t.router,
            Method::POST,
            "/v1/posts",
            Some(&alice),
            Some(post),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{b}");
        let (s, b) = post_image(
            &t,
            &alice,
            json!({"upload_id": upload_id, "title": "again"}),
        )
        .await;
        assert_eq!(
            (s, error_code(&b)),
            (StatusCode::CONFLICT, "already_listed")
        );
        let listed = list_images(&t, &alice, "?limit=1").await;
        assert_eq!(listed["items"][0]["title"], title, "{listed}");
    }
    assert_eq!(ids(&list_images(&t, &alice, "").await).len(), 3);
}

/// Bytes that are not what was declared end in a `failed` image with the pipeline's error code.
async fn lying_upload_becomes_failed(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    for (file, code) in [
        ("invalid/png_trunc_idat.png", "corrupt_image"),
        ("invalid/gif_as.jpg", "unsupported_format"),
    ] {
        let upload_id = upload(&t, &alice, &corpus(file), "image/jpeg").await;
        let (s, created) =
            post_image(&t, &alice, json!({"upload_id": upload_id, "title": file})).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{created}");
        let image = wait_image(&t, &alice, created["id"].as_str().unwrap()).await;
        assert_eq!(image["status"], "failed", "{image}");
        assert_eq!(image["failure"]["code"], code, "{image}");
        assert!(image["failure"]["message"].is_string(), "{image}");
        assert!(
            image["url"].is_null() && image["width"].is_null(),
            "{image}"
        );
        assert_eq!(image["thumbnails"], json!({}));
        assert!(
            image.get("original_url").is_none_or(Value::is_null),
            "{image}"
        );
    }
}

/// The owner and admins read an image (an admin sees it with the owner's tier); ids that are not
/// images are 404.
async fn owner_and_admin_read_others_get_404(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let root = admin(&t).await;
    patch_user(&t, &root, "alice", json!({"tier": "Premium"})).await;
    let original = corpus("valid/jpeg_baseline.jpg");
    let image = ready_image(&t, &alice, "valid/jpeg_baseline.jpg", "mine", None).await;
    let id = image["id"].as_str().unwrap();

    // The admin is on Basic; alice's image still shows Premium's renditions and original.
    let (s, seen) = get_image(&t, &root, id).await;
    assert_eq!(s, StatusCode::OK, "{seen}");
    assert_renditions(&seen, (640, 427), &[200, 400], Some(&original)).await;
    assert_renditions(&image, (640, 427), &[200, 400], Some(&original)).await;

    for bad in [
        "not-an-id".to_owned(),
        unknown_id(),
        "..%2F..%2Fetc".to_owned(),
    ] {
        let (s, b) = get_image(&t, &alice, &bad).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}: {b}");
        error_code(&b);
    }
    // An admin's own list is the admin's images, not everyone's.
    assert_eq!(ids(&list_images(&t, &root, "").await), Vec::<String>::new());
}
