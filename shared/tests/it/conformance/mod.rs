//! One conformance suite per port: plain async fns taking the port, run against every adapter.
#![allow(clippy::unwrap_used)]

pub mod idempotency;
pub mod library;
pub mod media;
pub mod objects;
pub mod posts;
pub mod rates;
pub mod tiers;
pub mod users;

use imagegram::domain::{Id, Image, Tier, Upload, UploadStatus, Username};
use imagegram::ports::{
    CommentStore, LibraryStore, MediaStore, PostStore, StoreError, TierStore, UserStore,
};

/// A store of accounts: users and the tiers they are on, which the account suites need together.
pub trait Accounts: UserStore + TierStore {}

impl<T: UserStore + TierStore + ?Sized> Accounts for T {}

/// A store of images and the libraries that list them.
pub trait Library: MediaStore + LibraryStore {}

impl<T: MediaStore + LibraryStore + ?Sized> Library for T {}

/// A store of posts and their comments.
pub trait Posts: PostStore + CommentStore {}

impl<T: PostStore + CommentStore + ?Sized> Posts for T {}

pub fn name(text: &str) -> Username {
    Username::parse(text).unwrap()
}

/// `prefix` and a suffix no other call returns (lower case, so it also makes a valid username), for
/// suites that share a store with others.
pub fn unique(prefix: &str) -> String {
    let id = Id::generate().to_string().to_lowercase();
    format!("{prefix}_{}", &id[id.len() - 12..])
}

/// Stores `tier` unless a tier of that name exists already.
pub async fn ensure_tier(store: &dyn TierStore, tier: &Tier) {
    match store.create_tier(tier).await {
        Ok(()) | Err(StoreError::AlreadyExists) => {}
        Err(e) => panic!("creating tier {}: {e}", tier.name),
    }
}

/// An upload and its image, as `POST /v1/uploads` makes them.
pub fn upload_and_image(owner: &str) -> (Upload, Image) {
    let id = Id::generate();
    let now = imagegram::domain::now();
    let upload = Upload {
        id,
        owner: name(owner),
        object_key: format!("uploads/{owner}/{id}"),
        multipart_id: "mp".into(),
        filename: "a.jpg".into(),
        content_type: "image/jpeg".into(),
        size: 1000,
        part_size: 8 << 20,
        status: UploadStatus::Uploading,
        created_at: now,
    };
    let image = Image::processing(id, name(owner), now);
    (upload, image)
}
