//! `PostStore` contract (with `MediaStore` for the image a post shows).

use std::sync::Arc;

use imagegram::domain::{
    Comment, FeedSort, Id, MediaStatus, Outcome, Placeholder, Post, Rendition,
};
use imagegram::ports::{FeedQuery, MediaStore, StoreError};

use super::{Posts, name, upload_and_image};

fn post_of(author: &str, image: Id) -> Post {
    Post {
        id: Id::generate(),
        author: name(author),
        caption: "c".into(),
        image_id: image,
        status: MediaStatus::Processing,
        failure: None,
        comment_count: 0,
        recent_comments: Vec::new(),
        created_at: imagegram::domain::now(),
        alt_text: "a dog on a beach".into(),
        placeholder: None,
    }
}

fn placeholder(color: &str) -> Placeholder {
    Placeholder {
        thumbhash: "1QcSHQRnh493V4dIh4eXh1h4kJUI".into(),
        color: color.into(),
    }
}

/// A ready post by `author`.
pub async fn ready_post(media: &dyn MediaStore, posts: &dyn Posts, author: &str) -> Post {
    let (upload, image) = upload_and_image(author);
    media.create_upload(&upload, &image).await.unwrap();
    media
        .finish_image(
            image.id,
            &Outcome::Ready {
                width: 1,
                height: 1,
                renditions: vec![Rendition::Feed],
                placeholder: None,
            },
        )
        .await
        .unwrap();
    posts.create_post(&post_of(author, image.id)).await.unwrap()
}

fn comment(post: Id, author: &str, text: &str) -> Comment {
    Comment {
        id: Id::generate(),
        post_id: post,
        author: name(author),
        text: text.into(),
        created_at: imagegram::domain::now(),
    }
}

pub async fn both_orders_end_ready(media: &dyn MediaStore, posts: &dyn Posts) {
    // Post first, then the image finishes.
    let (u1, i1) = upload_and_image("alice");
    media.create_upload(&u1, &i1).await.unwrap();
    let first = posts.create_post(&post_of("alice", i1.id)).await.unwrap();
    assert_eq!(first.status, MediaStatus::Processing);
    assert_eq!(first.placeholder, None);
    media
        .finish_image(
            i1.id,
            &Outcome::Ready {
                width: 1,
                height: 1,
                renditions: vec![Rendition::Feed],
                placeholder: Some(placeholder("#102030")),
            },
        )
        .await
        .unwrap();
    let finished = posts.get_post(first.id).await.unwrap().unwrap();
    assert_eq!(finished.status, MediaStatus::Ready);
    assert_eq!(finished.placeholder, Some(placeholder("#102030")));
    assert_eq!(finished.alt_text, "a dog on a beach");
    let image = media.get_image(i1.id).await.unwrap().unwrap();
    assert_eq!(image.placeholder, Some(placeholder("#102030")));
    // Image first, then the post.
    let (u2, i2) = upload_and_image("alice");
    media.create_upload(&u2, &i2).await.unwrap();
    media
        .finish_image(
            i2.id,
            &Outcome::Ready {
                width: 1,
                height: 1,
                renditions: vec![Rendition::Feed],
                placeholder: Some(placeholder("#ffffff")),
            },
        )
        .await
        .unwrap();
    let born = posts.create_post(&post_of("alice", i2.id)).await.unwrap();
    assert_eq!(born.status, MediaStatus::Ready);
    assert_eq!(born.placeholder, Some(placeholder("#ffffff")));
    let stored = posts.get_post(born.id).await.unwrap().unwrap();
    assert_eq!(stored.placeholder, Some(placeholder("#ffffff")));
    assert_eq!(stored.alt_text, "a dog on a beach");
    // No image, no post.
    assert!(matches!(
        posts.create_post(&post_of("alice", Id::generate())).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn feed_order_pagination_and_filters(media: &dyn MediaStore, posts: &dyn Posts) {
    let mut ids = Vec::new();
    for author in ["alice", "bob", "alice", "bob", "alice"] {
        ids.push(ready_post(media, posts, author).await.id);
    }
    // A post whose image is still processing never shows.
    let (u, i) = upload_and_image("alice");
    media.create_upload(&u, &i).await.unwrap();
    posts.create_post(&post_of("alice", i.id)).await.unwrap();
    for (post, n) in [(1, 3), (3, 1), (4, 1)] {
        for k in 0..n {
            posts
                .add_comment(&comment(ids[post], "carol", &format!("{k}")))
                .await
                .unwrap();
        }
    }
    // comments desc, then newest: 1 (3), 4 (1), 3 (1), 2, 0
    let want = [ids[1], ids[4], ids[3], ids[2], ids[0]];
    let mut got = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let q = FeedQuery {
            sort: FeedSort::Comments,
            author: None,
            limit: 2,
        };
        let page = posts.list_posts(&q, after.as_deref()).await.unwrap();
        assert!(page.items.len() <= 2);
        got.extend(page.items.iter().map(|p| p.id));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(got, want);

    let q = FeedQuery {
        sort: FeedSort::New,
        author: None,
        limit: 100,
    };
    let new: Vec<Id> = posts
        .list_posts(&q, None)
        .await
        .unwrap()
        .items
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(new, vec![ids[4], ids[3], ids[2], ids[1], ids[0]]);
    let q = FeedQuery {
        sort: FeedSort::Comments,
        author: Some(name("bob")),
        limit: 100,
    };
    let bob: Vec<Id> = posts
        .list_posts(&q, None)
        .await
        .unwrap()
        .items
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(bob, vec![ids[1], ids[3]]);
    let q = FeedQuery {
        sort: FeedSort::New,
        author: Some(name("alice")),
        limit: 1,
    };
    let page = posts.list_posts(&q, None).await.unwrap();
    assert_eq!(page.items[0].id, ids[4]);
    let page = posts.list_posts(&q, page.next.as_deref()).await.unwrap();
    assert_eq!(page.items[0].id, ids[2]);

    let q = FeedQuery {
        sort: FeedSort::Comments,
        author: None,
        limit: 2,
    };
    assert!(matches!(
        posts.list_posts(&q, Some("garbage")).await,
        Err(StoreError::BadContinuation)
    ));
}

pub async fn comments_keep_count_and_recent(media: &dyn MediaStore, posts: &dyn Posts) {
    let post = ready_post(media, posts, "alice").await;
    let a = comment(post.id, "bob", "a");
    let b = comment(post.id, "bob", "b");
    let c = comment(post.id, "carol", "c");
    for x in [&a, &b, &c] {
        posts.add_comment(x).await.unwrap();
    }
    let p = posts.get_post(post.id).await.unwrap().unwrap();
    assert_eq!(p.comment_count, 3);
    assert_eq!(p.recent_comments, vec![c.clone(), b.clone()]);
    assert_eq!(
        posts.get_comment(post.id, a.id).await.unwrap(),
        Some(a.clone())
    );
    posts.delete_comment(post.id, c.id).await.unwrap();
    assert!(matches!(
        posts.delete_comment(post.id, c.id).await,
        Err(StoreError::NotFound)
    ));
    let p = posts.get_post(post.id).await.unwrap().unwrap();
    assert_eq!(p.comment_count, 2);
    assert_eq!(p.recent_comments, vec![b.clone(), a.clone()]);
    let page = posts.list_comments(post.id, 1, None).await.unwrap();
    assert_eq!(page.items, vec![b.clone()]);
    let page = posts
        .list_comments(post.id, 1, page.next.as_deref())
        .await
        .unwrap();
    assert_eq!(page.items, vec![a.clone()]);
    assert!(page.next.is_none());

    // Comments need a ready post.
    let (u, i) = upload_and_image("alice");
    media.create_upload(&u, &i).await.unwrap();
    let pending = posts.create_post(&post_of("alice", i.id)).await.unwrap();
    assert!(matches!(
        posts.add_comment(&comment(pending.id, "bob", "x")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        posts
            .add_comment(&comment(Id::generate(), "bob", "x"))
            .await,
        Err(StoreError::NotFound)
    ));

    // Deleting a post takes its comments with it.
    posts.delete_post(post.id).await.unwrap();
    assert!(posts.get_post(post.id).await.unwrap().is_none());
    assert!(posts.get_comment(post.id, a.id).await.unwrap().is_none());
    assert!(matches!(
        posts.delete_post(post.id).await,
        Err(StoreError::NotFound)
    ));
}

/// SECURITY.md figure 4: 50 concurrent creates then 20 concurrent deletes, 20 repetitions.
pub async fn concurrent_comments_stay_exact(
    media: Arc<dyn MediaStore>,
    posts: Arc<dyn Posts>,
    rounds: usize,
) {
    for _ in 0..rounds {
        let post = ready_post(media.as_ref(), posts.as_ref(), "alice").await;
        let mut tasks = Vec::new();
        for i in 0..50 {
            let posts = posts.clone();
            tasks.push(tokio::spawn(async move {
                let c = comment(post.id, "bob", &format!("{i}"));
                posts.add_comment(&c).await.unwrap();
                c.id
            }));
        }
        let mut created = Vec::new();
        for t in tasks {
            created.push(t.await.unwrap());
        }
        created.sort();
        let mut deletes = Vec::new();
        for id in created.iter().rev().step_by(2).take(20).copied() {
            let posts = posts.clone();
            deletes.push(tokio::spawn(async move {
                posts.delete_comment(post.id, id).await.unwrap()
            }));
        }
        for d in deletes {
            d.await.unwrap();
        }
        let p = posts.get_post(post.id).await.unwrap().unwrap();
        let live = posts.list_comments(post.id, 100, None).await.unwrap().items;
        assert_eq!(p.comment_count, 30);
        assert_eq!(live.len(), 30);
        assert_eq!(p.recent_comments, live[..2].to_vec());
    }
}

/// A failed image fails the posts made before it, and a post made after it is failed at once
/// (both finish paths write posts); the store, not the caller, decides status and count.
pub async fn a_failed_image_fails_its_posts(media: &dyn MediaStore, posts: &dyn Posts) {
    use imagegram::domain::Failure;

    let (upload, image) = upload_and_image("alice");
    media.create_upload(&upload, &image).await.unwrap();
    let post = Post {
        id: Id::generate(),
        author: name("alice"),
        caption: "c".into(),
        image_id: image.id,
        status: MediaStatus::Ready,
        failure: None,
        comment_count: 7,
        recent_comments: Vec::new(),
        created_at: imagegram::domain::now(),
        alt_text: String::new(),
        placeholder: None,
    };
    // The store, not the caller, decides status and count.
    let created = posts.create_post(&post).await.unwrap();
    assert_eq!(
        (created.status, created.comment_count),
        (MediaStatus::Processing, 0)
    );
    let failure = Failure {
        code: "corrupt_image".into(),
        message: "cannot decode".into(),
    };
    assert!(
        media
            .finish_image(image.id, &Outcome::Failed(failure.clone()))
            .await
            .unwrap()
    );
    let got = posts.get_post(post.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.failure),
        (MediaStatus::Failed, Some(failure))
    );
    let late = posts
        .create_post(&Post {
            id: Id::generate(),
            ..post
        })
        .await
        .unwrap();
    assert_eq!(late.status, MediaStatus::Failed);
    let q = FeedQuery {
        sort: FeedSort::New,
        author: None,
        limit: 10,
    };
    assert!(posts.list_posts(&q, None).await.unwrap().items.is_empty());
}

/// A ready image without a placeholder (processed before placeholders existed) gets one, on the
/// image and on every post of it.
pub async fn a_placeholder_added_later_reaches_the_posts(
    media: &dyn MediaStore,
    posts: &dyn Posts,
) {
    let (upload, image) = upload_and_image("alice");
    media.create_upload(&upload, &image).await.unwrap();
    let before = posts
        .create_post(&post_of("alice", image.id))
        .await
        .unwrap();
    media
        .finish_image(
            image.id,
            &Outcome::Ready {
                width: 1,
                height: 1,
                renditions: vec![Rendition::Feed],
                placeholder: None,
            },
        )
        .await
        .unwrap();
    let after = posts
        .create_post(&post_of("alice", image.id))
        .await
        .unwrap();
    assert_eq!(after.placeholder, None);
    media
        .set_placeholder(image.id, &placeholder("#abcdef"))
        .await
        .unwrap();
    assert_eq!(
        media
            .get_image(image.id)
            .await
            .unwrap()
            .unwrap()
            .placeholder,
        Some(placeholder("#abcdef"))
    );
    for id in [before.id, after.id] {
        let p = posts.get_post(id).await.unwrap().unwrap();
        assert_eq!(p.placeholder, Some(placeholder("#abcdef")));
        assert_eq!(p.status, MediaStatus::Ready);
    }
    assert!(matches!(
        media
            .set_placeholder(Id::generate(), &placeholder("#000000"))
            .await,
        Err(StoreError::NotFound)
    ));
}
