//! `MediaStore` contract: uploads, status transitions, finishing an image exactly once.

use imagegram::domain::{Failure, Id, MediaStatus, Outcome, Rendition, UploadStatus};
use imagegram::ports::{MediaStore, StoreError};

use super::upload_and_image;

pub async fn uploads_and_transitions(store: &dyn MediaStore) {
    let (upload, image) = upload_and_image("alice");
    store.create_upload(&upload, &image).await.unwrap();
    assert!(matches!(
        store.create_upload(&upload, &image).await,
        Err(StoreError::AlreadyExists)
    ));
    let got = store.get_upload(upload.id).await.unwrap().unwrap();
    assert_eq!(got.object_key, upload.object_key);
    assert_eq!(
        (got.size, got.part_size, got.status),
        (1000, 8 << 20, UploadStatus::Uploading)
    );
    assert!(store.get_upload(Id::generate()).await.unwrap().is_none());

    // A transition from the wrong state is a Conflict; from an unknown id, NotFound.
    assert!(matches!(
        store
            .set_upload_status(upload.id, UploadStatus::Uploaded, UploadStatus::Aborted)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .set_upload_status(
                Id::generate(),
                UploadStatus::Uploading,
                UploadStatus::Uploaded
            )
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .set_upload_status(upload.id, UploadStatus::Uploading, UploadStatus::Uploaded)
        .await
        .unwrap();
    assert_eq!(
        store.get_upload(upload.id).await.unwrap().unwrap().status,
        UploadStatus::Uploaded
    );
}

pub async fn finish_image_happens_once(store: &dyn MediaStore) {
    let (upload, image) = upload_and_image("alice");
    store.create_upload(&upload, &image).await.unwrap();
    assert_eq!(
        store.get_image(image.id).await.unwrap().unwrap().status,
        MediaStatus::Processing
    );
    assert!(
        store
            .finish_image(
                image.id,
                &Outcome::Ready {
                    width: 640,
                    height: 427,
                    renditions: vec![Rendition::Feed],
                }
            )
            .await
            .unwrap()
    );
    // A duplicate event, even with another outcome, changes nothing.
    let failure = Failure {
        code: "corrupt_image".into(),
        message: "x".into(),
    };
    assert!(
        !store
            .finish_image(image.id, &Outcome::Failed(failure))
            .await
            .unwrap()
    );
    let got = store.get_image(image.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.width, got.height),
        (MediaStatus::Ready, Some(640), Some(427))
    );
    assert!(got.failure.is_none());
    assert!(
        !store
            .finish_image(
                Id::generate(),
                &Outcome::Ready {
                    width: 1,
                    height: 1,
                    renditions: vec![Rendition::Feed],
                }
            )
            .await
            .unwrap()
    );
}

pub async fn concurrent_finishes_change_state_once(store: std::sync::Arc<dyn MediaStore>) {
    let (upload, image) = upload_and_image("alice");
    store.create_upload(&upload, &image).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .finish_image(
                    image.id,
                    &Outcome::Ready {
                        width: i,
                        height: i,
                        renditions: vec![Rendition::Feed],
                    },
                )
                .await
                .unwrap()
        }));
    }
    let mut changed = 0;
    for t in tasks {
        changed += usize::from(t.await.unwrap());
    }
    assert_eq!(changed, 1);
}
