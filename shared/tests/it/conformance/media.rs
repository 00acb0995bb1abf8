//! `MediaStore` contract: uploads, status transitions, finishing an image exactly once.

use imagegram::domain::{Failure, Id, MediaStatus, Outcome, Rendition, Upload, UploadStatus};
use imagegram::ports::{MediaStore, StoreError, UploadQuery};

use super::{name, unique, upload_and_image};

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
            .set_upload_status(
                &Upload {
                    status: UploadStatus::Uploaded,
                    ..upload.clone()
                },
                UploadStatus::Aborted
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .set_upload_status(
                &Upload {
                    id: Id::generate(),
                    ..upload.clone()
                },
                UploadStatus::Uploaded
            )
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .set_upload_status(&upload, UploadStatus::Uploaded)
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
                    placeholder: None,
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
                    placeholder: None,
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
                        placeholder: None,
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

fn uploads_of(
    owner: &str,
    status: Option<UploadStatus>,
    since: Option<Id>,
    limit: u32,
) -> UploadQuery {
    UploadQuery {
        owner: name(owner),
        status,
        since,
        limit,
    }
}

/// Every page of a query, following continuations; the ids, in order.
async fn all_uploads(store: &dyn MediaStore, query: &UploadQuery) -> Vec<Id> {
    let mut ids = Vec::new();
    let mut after = None;
    for _ in 0..100 {
        let page = store.list_uploads(query, after.as_deref()).await.unwrap();
        assert!(page.items.len() <= query.limit as usize);
        assert!(
            page.items
                .iter()
                .all(|u| u.owner.as_str() == query.owner.as_str())
        );
        ids.extend(page.items.iter().map(|u| u.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return ids,
        }
    }
    panic!("list_uploads did not reach the end in 100 pages");
}

/// An owner's uploads newest first, all or of one status (which follows every transition), only
/// those made after `since` when asked, across pages; nobody else's.
pub async fn list_uploads_by_status_across_pages(store: &dyn MediaStore) {
    let owner = unique("up");
    let mut made = Vec::new();
    for _ in 0..7 {
        let (upload, image) = upload_and_image(&owner);
        store.create_upload(&upload, &image).await.unwrap();
        made.push(upload);
    }
    let (theirs, image) = upload_and_image(&unique("other"));
    store.create_upload(&theirs, &image).await.unwrap();
    store
        .set_upload_status(&made[1], UploadStatus::Uploaded)
        .await
        .unwrap();
    store
        .set_upload_status(&made[4], UploadStatus::Aborted)
        .await
        .unwrap();
    let newest_first = |picked: &[usize]| -> Vec<Id> {
        let mut ids: Vec<Id> = picked.iter().map(|&i| made[i].id).collect();
        ids.sort_by(|a, b| b.cmp(a));
        ids
    };
    assert_eq!(
        all_uploads(store, &uploads_of(&owner, None, None, 3)).await,
        newest_first(&[0, 1, 2, 3, 4, 5, 6])
    );
    assert_eq!(
        all_uploads(
            store,
            &uploads_of(&owner, Some(UploadStatus::Uploading), None, 2)
        )
        .await,
        newest_first(&[0, 2, 3, 5, 6])
    );
    assert_eq!(
        all_uploads(
            store,
            &uploads_of(&owner, Some(UploadStatus::Uploaded), None, 2)
        )
        .await,
        newest_first(&[1])
    );
    assert_eq!(
        all_uploads(
            store,
            &uploads_of(&owner, Some(UploadStatus::Aborted), None, 1)
        )
        .await,
        newest_first(&[4])
    );
    // Only those after `since` (how expired uploads are left out).
    assert_eq!(
        all_uploads(
            store,
            &uploads_of(&owner, Some(UploadStatus::Uploading), Some(made[3].id), 1)
        )
        .await,
        newest_first(&[5, 6])
    );
    // A continuation the store did not make.
    assert!(matches!(
        store
            .list_uploads(
                &uploads_of(&owner, None, None, 2),
                Some("not a continuation")
            )
            .await,
        Err(StoreError::BadContinuation)
    ));
    assert!(
        all_uploads(store, &uploads_of(&unique("nobody"), None, None, 5))
            .await
            .is_empty()
    );
}
