//! `MediaStore` on SQLite: uploads and the processing state of their images.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{Sqlite, corrupt, from_millis, is_unique_violation, to_millis};
use crate::domain::{Failure, Id, Image, MediaStatus, Outcome, Upload, UploadStatus, Username};
use crate::domain::{Fit, Page, Rendition};
use crate::ports::ImageQuery;
use crate::ports::{MediaStore, StoreError, StoreResult};

fn parse_id(text: &str) -> StoreResult<Id> {
    Id::parse(text).ok_or_else(|| corrupt("id"))
}

pub(super) fn failure(code: Option<String>, message: Option<String>) -> Option<Failure> {
    code.map(|code| Failure {
        code,
        message: message.unwrap_or_default(),
    })
}

#[async_trait]
impl MediaStore for Sqlite {
    async fn create_upload(&self, upload: &Upload, image: &Image) -> StoreResult<()> {
        let (u, i) = (upload.clone(), image.clone());
        self.write(move |tx| {
            let r = tx.execute(
                "INSERT INTO uploads (id, owner, object_key, multipart_id, filename, content_type, size, part_size, \
                 status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    u.id.to_string(),
                    u.owner.as_str(),
                    u.object_key,
                    u.multipart_id,
                    u.filename,
                    u.content_type,
                    u.size as i64,
                    u.part_size as i64,
                    u.status.as_str(),
                    to_millis(u.created_at)
                ],
            );
            if let Err(e) = r {
                return Err(if is_unique_violation(&e) { StoreError::AlreadyExists } else { e.into() });
            }
            let r = tx.execute(
                "INSERT INTO images (id, owner, status, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![i.id.to_string(), i.owner.as_str(), i.status.as_str(), to_millis(i.created_at)],
            );
            match r {
                Ok(_) => Ok(()),
                Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn get_upload(&self, id: Id) -> StoreResult<Option<Upload>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, owner, object_key, multipart_id, filename, content_type, size, part_size, status, \
                 created_at FROM uploads WHERE id = ?1",
            )?;
            let row = stmt
                .query_row([id.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, i64>(9)?,
                    ))
                })
                .optional()?;
            let Some((id, owner, object_key, multipart_id, filename, content_type, size, part_size, status, at)) = row
            else {
                return Ok(None);
            };
            Ok(Some(Upload {
                id: parse_id(&id)?,
                owner: Username::from_trusted(owner),
                object_key,
                multipart_id,
                filename,
                content_type,
                size: size as u64,
                part_size: part_size as u64,
                status: UploadStatus::parse(&status).ok_or_else(|| corrupt("upload status"))?,
                created_at: from_millis(at),
            }))
        })
        .await
    }

    async fn set_upload_status(
        &self,
        id: Id,
        from: UploadStatus,
        to: UploadStatus,
    ) -> StoreResult<()> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE uploads SET status = ?3 WHERE id = ?1 AND status = ?2",
                params![id.to_string(), from.as_str(), to.as_str()],
            )?;
            if n == 1 {
                return Ok(());
            }
            let exists: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM uploads WHERE id = ?1",
                    [id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            Err(if exists.is_some() {
                StoreError::Conflict("upload is not in the expected state")
            } else {
                StoreError::NotFound
            })
        })
        .await
    }

    async fn get_image(&self, id: Id) -> StoreResult<Option<Image>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT owner, status, failure_code, failure_message, width, height, created_at FROM images WHERE id = ?1",
            )?;
            let row = stmt
                .query_row([id.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<u32>>(4)?,
                        r.get::<_, Option<u32>>(5)?,
                        r.get::<_, i64>(6)?,
                    ))
                })
                .optional()?;
            let Some((owner, status, code, message, width, height, at)) = row else { return Ok(None) };
            Ok(Some(Image {
                id,
                owner: Username::from_trusted(owner),
                status: MediaStatus::parse(&status).ok_or_else(|| corrupt("image status"))?,
                failure: failure(code, message),
                width,
                height,
                created_at: from_millis(at),
                title: String::new(),
                listed: false,
                fit: None,
                renditions: Vec::new(),
            }))
        })
        .await
    }

    async fn finish_image(&self, id: Id, outcome: &Outcome) -> StoreResult<bool> {
        let outcome = outcome.clone();
        self.write(move |tx| {
            let (status, code, message, width, height) = match outcome {
                Outcome::Ready { width, height, .. } => (MediaStatus::Ready, None, None, Some(width), Some(height)),
                Outcome::Failed(f) => (MediaStatus::Failed, Some(f.code), Some(f.message), None, None),
            };
            let n = tx.execute(
                "UPDATE images SET status = ?2, failure_code = ?3, failure_message = ?4, width = ?5, height = ?6 \
                 WHERE id = ?1 AND status = 'processing'",
                params![id.to_string(), status.as_str(), code, message, width, height],
            )?;
            if n == 0 {
                return Ok(false);
            }
            tx.execute(
                "UPDATE posts SET status = ?2, failure_code = ?3, failure_message = ?4 \
                 WHERE image_id = ?1 AND status = 'processing'",
                params![id.to_string(), status.as_str(), code, message],
            )?;
            Ok(true)
        })
        .await
    }
    async fn list_image(&self, _id: Id, _title: &str, _fit: Option<Fit>) -> StoreResult<Image> {
        Err(StoreError::Unavailable(
            "list_image: not implemented yet".into(),
        ))
    }

    async fn add_renditions(&self, _id: Id, _renditions: &[Rendition]) -> StoreResult<()> {
        Err(StoreError::Unavailable(
            "add_renditions: not implemented yet".into(),
        ))
    }

    async fn list_images(
        &self,
        _query: &ImageQuery,
        _after: Option<&str>,
    ) -> StoreResult<Page<Image>> {
        Err(StoreError::Unavailable(
            "list_images: not implemented yet".into(),
        ))
    }
}
