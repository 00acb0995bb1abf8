//! `MediaStore` and `LibraryStore` on SQLite: uploads, the processing state of their images, and owners' libraries.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{Sqlite, corrupt, from_millis, is_unique_violation, library, to_millis};
use crate::domain::{Failure, Id, Image, MediaStatus, Outcome, Upload, UploadStatus, Username};
use crate::domain::{Fit, Page, Rendition, fold_title};
use crate::ports::{ALREADY_LISTED, ImageQuery, LibraryStore, MediaStore, StoreError, StoreResult};

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
        self.read(move |conn| library::image_by_id(conn, id)).await
    }

    async fn finish_image(&self, id: Id, outcome: &Outcome) -> StoreResult<bool> {
        let outcome = outcome.clone();
        self.write(move |tx| {
            let (status, code, message, width, height, renditions) = match outcome {
                Outcome::Ready { width, height, renditions } => {
                    (MediaStatus::Ready, None, None, Some(width), Some(height), renditions)
                }
                Outcome::Failed(f) => (MediaStatus::Failed, Some(f.code), Some(f.message), None, None, Vec::new()),
            };
            let n = tx.execute(
                "UPDATE images SET status = ?2, failure_code = ?3, failure_message = ?4, width = ?5, height = ?6 \
                 WHERE id = ?1 AND status = 'processing'",
                params![id.to_string(), status.as_str(), code, message, width, height],
            )?;
            if n == 0 {
                return Ok(false);
            }
            library::add_renditions(tx, id, &renditions)?;
            tx.execute(
                "UPDATE posts SET status = ?2, failure_code = ?3, failure_message = ?4 \
                 WHERE image_id = ?1 AND status = 'processing'",
                params![id.to_string(), status.as_str(), code, message],
            )?;
            Ok(true)
        })
        .await
    }
}

#[async_trait]
impl LibraryStore for Sqlite {
    async fn list_image(&self, id: Id, title: &str, fit: Option<Fit>) -> StoreResult<Image> {
        let (title, fold) = (title.to_owned(), fold_title(title));
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE images SET listed = 1, title = ?2, title_fold = ?3, fit_width = ?4, fit_height = ?5 \
                 WHERE id = ?1 AND listed = 0",
                params![id.to_string(), title, fold, fit.map(|f| f.width), fit.map(|f| f.height)],
            )?;
            let image = library::image_by_id(tx, id)?.ok_or(StoreError::NotFound)?;
            if n == 0 {
                return Err(StoreError::Conflict(ALREADY_LISTED));
            }
            Ok(image)
        })
        .await
    }

    async fn add_renditions(&self, id: Id, renditions: &[Rendition]) -> StoreResult<()> {
        let renditions = renditions.to_vec();
        self.write(move |tx| {
            if library::add_renditions(tx, id, &renditions)? {
                Ok(())
            } else {
                Err(StoreError::NotFound)
            }
        })
        .await
    }

    async fn list_images(
        &self,
        query: &ImageQuery,
        after: Option<&str>,
    ) -> StoreResult<Page<Image>> {
        let before = after
            .map(|a| Id::parse(a).ok_or(StoreError::BadContinuation))
            .transpose()?;
        let owner = query.owner.as_str().to_owned();
        let needle = query.title.as_deref().map(fold_title);
        let limit = query.limit;
        self.read(move |conn| {
            let mut items = library::page(conn, &owner, needle.as_deref(), before, limit)?;
            let next = if items.len() > limit as usize {
                items.truncate(limit as usize);
                items.last().map(|i| i.id.to_string())
            } else {
                None
            };
            Ok(Page { items, next })
        })
        .await
    }
}
