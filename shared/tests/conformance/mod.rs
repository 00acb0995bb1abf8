//! One conformance suite per port: plain async fns taking the port, run against every adapter.
#![allow(dead_code, clippy::unwrap_used)]

pub mod media;
pub mod objects;
pub mod posts;
pub mod users;

use imagegram::domain::{Id, Image, Upload, UploadStatus, Username};

pub fn name(text: &str) -> Username {
    Username::parse(text).unwrap()
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
