//! Event fixtures (`events/`) through the real handlers: API Gateway v2 requests into each
//! function's router, S3 notifications into the resize handler.
#![allow(clippy::unwrap_used)]

use crate::common;
use std::path::PathBuf;
use std::sync::Arc;

use aws_lambda_events::s3::S3Event;
use axum::http::StatusCode;
use bytes::Bytes;
use imagegram::adapters::local_s3::{self, RENDITIONS_BUCKET, UPLOADS_BUCKET};
use imagegram::adapters::s3::S3Objects;
use imagegram::adapters::sqlite::Sqlite;
use imagegram::app::{App, Secrets, Settings};
use imagegram::aws::lambda_router;
use imagegram::domain::{Id, Image, MediaStatus, Upload, UploadStatus, Username, now};
use imagegram::edge::s3_event;
use imagegram::http::Group;
use imagegram::ports::Bucket;
use serde_json::Value;
use tower::ServiceExt;

fn events_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../events"))
}

fn groups(function: &str) -> &'static [Group] {
    match function {
        "accounts" => &[Group::Service, Group::Accounts],
        "uploads" => &[Group::Uploads],
        "posts" => &[Group::Posts],
        other => panic!("no function {other}"),
    }
}

#[tokio::test]
async fn every_api_fixture_gets_its_expected_status_from_its_function() {
    let t = common::spawn_app().await;
    let token = common::user(&t.router, "alice").await;
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("api/expected.json")).unwrap(),
    )
    .unwrap();
    let fixtures = expected.as_object().unwrap();
    let files = std::fs::read_dir(events_dir().join("api")).unwrap().count() - 1;
    assert_eq!(fixtures.len(), files, "every fixture has an expectation");
    for (name, want) in fixtures {
        let text = std::fs::read_to_string(events_dir().join(format!("api/{name}.json")))
            .unwrap()
            .replace("{{TOKEN}}", &token);
        let function = want["function"].as_str().unwrap();
        for (target, other) in [
            (function, false),
            (
                if function == "posts" {
                    "uploads"
                } else {
                    "posts"
                },
                true,
            ),
        ] {
            let req =
                lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let req = req.map(|b| axum::body::Body::from(b.to_vec()));
            let router = lambda_router(groups(target), t.app().clone());
            let res = router.oneshot(req).await.unwrap();
            if other {
                // The same request sent to another function is an unknown route there.
                assert_eq!(res.status(), StatusCode::NOT_FOUND, "{name} via {target}");
            } else {
                assert_eq!(
                    res.status().as_u16() as u64,
                    want["status"].as_u64().unwrap(),
                    "{name} via {target}"
                );
                // The answer carries API Gateway's request id (the fixture sends none itself).
                let event: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(
                    res.headers()["x-request-id"],
                    event["requestContext"]["requestId"].as_str().unwrap(),
                    "{name}"
                );
            }
        }
    }
}

/// The use cases over SQLite and the embedded endpoint, without the in-process event queue, so the
/// test alone decides which events arrive.
async fn quiet_app() -> (Arc<App>, local_s3::LocalS3, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s3 = local_s3::start(
        &dir.path().join("objects"),
        "127.0.0.1:0".parse().unwrap(),
        "AK",
        "SECRET",
        None,
        &[],
    )
    .await
    .unwrap();
    let store = Arc::new(Sqlite::open(&dir.path().join("db")).unwrap());
    let objects = S3Objects::new(
        S3Objects::local_client(&s3.endpoint, "AK", "SECRET"),
        UPLOADS_BUCKET,
        RENDITIONS_BUCKET,
    );
    let secrets = Secrets {
        jwt: vec![1; 32],
        cursor: [2; 32],
    };
    let app = App::new(store, Arc::new(objects), &secrets, Settings::default());
    (Arc::new(app), s3, dir)
}

fn s3_fixture(name: &str) -> S3Event {
    serde_json::from_str(
        &std::fs::read_to_string(events_dir().join(format!("s3/{name}.json"))).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn s3_fixtures_drive_the_resize_handler_idempotently() {
    let (app, _s3, _dir) = quiet_app().await;
    // Given alice's completed upload with the fixtures' id
    let id = Id::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap();
    let bytes = std::fs::read(common::testdata().join("valid/jpeg_baseline.jpg")).unwrap();
    let upload = Upload {
        id,
        owner: Username::parse("alice").unwrap(),
        object_key: format!("uploads/alice/{id}"),
        multipart_id: "n/a".into(),
        filename: "photo.jpg".into(),
        content_type: "image/jpeg".into(),
        size: bytes.len() as u64,
        part_size: 8 << 20,
        status: UploadStatus::Uploaded,
        created_at: now(),
    };
    let image = Image::processing(id, upload.owner.clone(), now());
    app.media.create_upload(&upload, &image).await.unwrap();
    app.objects
        .put(
            Bucket::Uploads,
            &upload.object_key,
            Bytes::from(bytes),
            "image/jpeg",
        )
        .await
        .unwrap();
    let bucket = "imagegram-uploads";

    // Keys outside the prefix, not naming an id, or from another bucket change nothing.
    for name in ["key_with_spaces_and_plus", "outside_prefix", "other_bucket"] {
        s3_event::handle_event(&app, bucket, &s3_fixture(name))
            .await
            .unwrap();
        assert_eq!(
            app.media.get_image(id).await.unwrap().unwrap().status,
            MediaStatus::Processing,
            "{name}"
        );
    }
    assert!(
        app.objects
            .head(Bucket::Renditions, &format!("{id}/600x600.jpg"))
            .await
            .unwrap()
            .is_none()
    );

    // The real event (with moto-style encoded slashes too) makes the image ready, once.
    s3_event::handle_event(&app, bucket, &s3_fixture("encoded_slashes"))
        .await
        .unwrap();
    let ready = app.media.get_image(id).await.unwrap().unwrap();
    assert_eq!(
        (ready.status, ready.width, ready.height),
        (MediaStatus::Ready, Some(640), Some(427))
    );
    let first = app
        .objects
        .head(Bucket::Renditions, &format!("{id}/600x600.jpg"))
        .await
        .unwrap()
        .unwrap();
    // Duplicates, concurrently, are no-ops: same state, same single rendition.
    let (put, complete) = (s3_fixture("put"), s3_fixture("complete_multipart"));
    let (a, b, c) = tokio::join!(
        s3_event::handle_event(&app, bucket, &put),
        s3_event::handle_event(&app, bucket, &complete),
        s3_event::handle_event(&app, bucket, &put),
    );
    a.unwrap();
    b.unwrap();
    c.unwrap();
    assert_eq!(
        app.media.get_image(id).await.unwrap().unwrap().status,
        MediaStatus::Ready
    );
    assert_eq!(
        app.objects
            .head(Bucket::Renditions, &format!("{id}/600x600.jpg"))
            .await
            .unwrap()
            .unwrap(),
        first
    );
}

#[test]
fn malformed_s3_events_are_refused_by_deserialisation() {
    assert!(serde_json::from_str::<S3Event>(r#"{"Records": [{"s3": 5}]}"#).is_err());
    assert!(serde_json::from_str::<S3Event>("[]").is_err());
}
