//! `MediaStore` and `LibraryStore` on SQLite: uploads, the processing state of their images, and owners' libraries.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{Sqlite, corrupt, from_millis, is_unique_violation, library, to_millis};
use crate::domain::{Failure, Id, Image, MediaStatus, Outcome, Upload, UploadStatus, Username};
use crate::domain::{Page, Placeholder, Rendition, fold_title};
use crate::ports::{
    ALREADY_LISTED, ImageQuery, LibraryStore, Listing, MediaStore, StoreError, StoreResult,
    UploadQuery,
};

fn parse_id(text: &str) -> StoreResult<Id> {
    Id::parse(text).ok_or_else(|| corrupt("id"))
}

pub(super) fn placeholder(thumbhash: Option<String>, color: Option<String>) -> Option<Placeholder> {
    Some(Placeholder {
        thumbhash: thumbhash?,
        color: color?,
    })
}

pub(super) fn failure(code: Option<String>, message: Option<String>) -> Option<Failure> {
    code.map(|code| Failure {
        code,
        message: message.unwrap_or_default(),
    })
}

const UPLOAD_COLUMNS: &str = "id, owner, object_key, multipart_id, filename, content_type, size, part_size, status, created_at";

struct StoredUpload {
    id: String,
    owner: String,
    object_key: String,
    multipart_id: String,
    filename: String,
    content_type: String,
    size: i64,
    part_size: i64,
    status: String,
    created_at: i64,
}

fn read_upload(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredUpload> {
    Ok(StoredUpload {
        id: r.get(0)?,
        owner: r.get(1)?,
        object_key: r.get(2)?,
        multipart_id: r.get(3)?,
        filename: r.get(4)?,
        content_type: r.get(5)?,
        size: r.get(6)?,
        part_size: r.get(7)?,
        status: r.get(8)?,
        created_at: r.get(9)?,
    })
}

impl StoredUpload {
    fn into_upload(self) -> StoreResult<Upload> {
        Ok(Upload {
            id: parse_id(&self.id)?,
            owner: Username::from_trusted(self.owner),
            object_key: self.object_key,
            multipart_id: self.multipart_id,
            filename: self.filename,
            content_type: self.content_type,
            size: self.size as u64,
            part_size: self.part_size as u64,
            status: UploadStatus::parse(&self.status).ok_or_else(|| corrupt("upload status"))?,
            created_at: from_millis(self.created_at),
        })
    }
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
            let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1");
            let row = conn
                .prepare_cached(&sql)?
                .query_row([id.to_string()], read_upload)
                .optional()?;
            row.map(StoredUpload::into_upload).transpose()
        })
        .await
    }

    async fn list_uploads(
        &self,
        query: &UploadQuery,
        after: Option<&str>,
    ) -> StoreResult<Page<Upload>> {
        let before = after
            .map(|a| Id::parse(a).ok_or(StoreError::BadContinuation))
            .transpose()?;
        let owner = query.owner.as_str().to_owned();
        let status = query.status.map(|s| s.as_str());
        let since = query.since.map(|id| id.to_string()).unwrap_or_default();
        let limit = query.limit;
        self.read(move |conn| {
            // One range scan of uploads_by_owner_status (with a status) or uploads_by_owner.
            let status_clause = if status.is_some() {
                "AND status = ?4"
            } else {
                "AND ?4 IS NULL"
            };
            let sql = format!(
                "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE owner = ?1 {status_clause} \
                 AND id > ?2 AND id < ?3 ORDER BY id DESC LIMIT ?5"
            );
            let before = before.map_or_else(|| "~".to_owned(), |id| id.to_string());
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![owner, since, before, status, limit + 1],
                read_upload,
            )?;
            let mut items = rows
                .map(|r| {
                    r.map_err(StoreError::from)
                        .and_then(StoredUpload::into_upload)
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let next = if items.len() > limit as usize {
                items.truncate(limit as usize);
                items.last().map(|u| u.id.to_string())
            } else {
                None
            };
            Ok(Page { items, next })
        })
        .await
    }

    async fn set_upload_status(&self, upload: &Upload, to: UploadStatus) -> StoreResult<()> {
        let (id, from) = (upload.id, upload.status);
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
            let (status, code, message, width, height, renditions, placeholder) = match outcome {
                Outcome::Ready { width, height, renditions, placeholder } => {
                    (MediaStatus::Ready, None, None, Some(width), Some(height), renditions, placeholder)
                }
                Outcome::Failed(f) => {
                    (MediaStatus::Failed, Some(f.code), Some(f.message), None, None, Vec::new(), None)
                }
            };
            let (thumbhash, color) = placeholder.map(|p| (p.thumbhash, p.color)).unzip();
            let n = tx.execute(
                "UPDATE images SET status = ?2, failure_code = ?3, failure_message = ?4, width = ?5, height = ?6, \
                 thumbhash = ?7, color = ?8 WHERE id = ?1 AND status = 'processing'",
                params![id.to_string(), status.as_str(), code, message, width, height, thumbhash, color],
            )?;
            if n == 0 {
                return Ok(false);
            }
            library::add_renditions(tx, id, &renditions)?;
            tx.execute(
                "UPDATE posts SET status = ?2, failure_code = ?3, failure_message = ?4, thumbhash = ?5, color = ?6 \
                 WHERE image_id = ?1 AND status = 'processing'",
                params![id.to_string(), status.as_str(), code, message, thumbhash, color],
            )?;
            Ok(true)
        })
        .await
    }

    async fn set_placeholder(&self, id: Id, placeholder: &Placeholder) -> StoreResult<()> {
        let p = placeholder.clone();
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE images SET thumbhash = ?2, color = ?3 WHERE id = ?1",
                params![id.to_string(), p.thumbhash, p.color],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            tx.execute(
                "UPDATE posts SET thumbhash = ?2, color = ?3 WHERE image_id = ?1",
                params![id.to_string(), p.thumbhash, p.color],
            )?;
            Ok(())
        })
        .await
    }
}

impl Sqlite {
    /// Up to `limit` ready images without a placeholder (processed before placeholders existed),
    /// for the start-up backfill of the one-machine shape.
    pub async fn images_without_placeholder(&self, limit: u32) -> StoreResult<Vec<Id>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM images WHERE status = 'ready' AND thumbhash IS NULL LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| r.get::<_, String>(0))?;
            rows.map(|r| r.map_err(StoreError::from).and_then(|id| parse_id(&id)))
                .collect()
        })
        .await
    }
}

#[async_trait]
impl LibraryStore for Sqlite {
    async fn list_image(&self, id: Id, listing: &Listing) -> StoreResult<Image> {
        let Listing {
            title,
            fit,
            alt_text,
        } = listing.clone();
        let fold = fold_title(&title);
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE images SET listed = 1, title = ?2, title_fold = ?3, fit_width = ?4, fit_height = ?5, \
                 alt_text = ?6 WHERE id = ?1 AND listed = 0",
                params![id.to_string(), title, fold, fit.map(|f| f.width), fit.map(|f| f.height), alt_text],
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
