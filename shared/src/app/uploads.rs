//! Uploads: declare, re-sign, inspect, complete and abort S3 multipart uploads done by the client.

use crate::app::ErrorCode;
use std::collections::BTreeSet;

use futures_util::future::try_join_all;
use serde::Serialize;

use super::views::{ListView, rfc3339};
use super::{App, AppError, AppResult, page_limit};
use crate::domain::{Id, Image, Upload, UploadStatus, User, part_count};
use crate::ports::{PartInfo, StoreError, UploadQuery};

pub const MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;
const MAX_PARTS: u32 = 10_000;

const ACCEPTED_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/jpg",
    "image/pjpeg",
    "image/bmp",
    "image/x-bmp",
    "image/x-ms-bmp",
];

#[derive(Debug, Serialize)]
pub struct PartUrl {
    pub number: u32,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct CreatedUpload {
    pub id: String,
    pub part_size: u64,
    pub parts: Vec<PartUrl>,
    pub expires_at: String,
}

#[derive(Debug, Serialize)]
pub struct ReceivedPart {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

#[derive(Debug, Serialize)]
pub struct UploadView {
    pub id: String,
    pub status: UploadStatus,
    pub size: u64,
    pub part_size: u64,
    pub parts_received: Vec<ReceivedPart>,
}

/// An upload in the caller's list (`GET /v1/uploads`).
#[derive(Debug, Serialize)]
pub struct UploadSummary {
    pub id: String,
    pub status: UploadStatus,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub part_size: u64,
    pub created_at: String,
    /// When the object store discards the upload's parts if it is not completed.
    pub expires_at: String,
    pub parts_received_count: usize,
}

#[derive(Debug, Serialize)]
pub struct PartUrls {
    pub parts: Vec<PartUrl>,
}

#[derive(Debug, Serialize)]
pub struct Completed {
    pub id: String,
    pub status: UploadStatus,
}

/// The object key of an upload: built from ids only, never from the client's filename.
pub fn object_key(owner: &str, id: &Id) -> String {
    format!("uploads/{owner}/{id}")
}

pub async fn create(
    app: &App,
    user: &User,
    filename: &str,
    content_type: &str,
    size: u64,
) -> AppResult<CreatedUpload> {
    if size == 0 {
        return Err(AppError::invalid("size", "must be at least 1 byte"));
    }
    if size > MAX_UPLOAD_BYTES {
        return Err(AppError::TooLarge(format!(
            "uploads are limited to {MAX_UPLOAD_BYTES} bytes (100 MiB)"
        )));
    }
    let filename_len = filename.chars().count();
    if filename_len == 0 || filename_len > 255 {
        return Err(AppError::invalid(
            "filename",
            "must be 1..255 characters long",
        ));
    }
    let content_type = content_type.trim().to_ascii_lowercase();
    if !ACCEPTED_TYPES.contains(&content_type.as_str()) {
        return Err(AppError::UnsupportedFormat(
            "only png, jpeg and bmp images are accepted".into(),
        ));
    }
    quota(app, user, size).await?;
    let id = Id::generate();
    let key = object_key(user.username.as_str(), &id);
    let part_size = app
        .settings
        .part_size
        .max(size.div_ceil(u64::from(MAX_PARTS)));
    let multipart_id = app.objects.start_multipart(&key, &content_type).await?;
    let now = crate::domain::now();
    let upload = Upload {
        id,
        owner: user.username.clone(),
        object_key: key,
        multipart_id,
        filename: filename.to_owned(),
        content_type,
        size,
        part_size,
        status: UploadStatus::Uploading,
        created_at: now,
    };
    let image = Image::processing(id, user.username.clone(), now);
    let upload = match app.media.create_upload(&upload, &image).await {
        Ok(()) => upload,
        // Taken only by this request's own first run (an idempotent retry makes the same ids):
        // answer for the upload that run declared, and drop the multipart upload just started.
        Err(StoreError::AlreadyExists) => {
            let _ = app
                .objects
                .abort_multipart(&upload.object_key, &upload.multipart_id)
                .await;
            owned(app, user, &id.to_string()).await?
        }
        Err(other) => return Err(other.into()),
    };
    let numbers: Vec<u32> = (1..=part_count(size, part_size)).collect();
    let (parts, expires_at) = sign_parts(app, &upload, &numbers).await?;
    Ok(CreatedUpload {
        id: id.to_string(),
        part_size,
        parts,
        expires_at,
    })
}

async fn sign_parts(
    app: &App,
    upload: &Upload,
    numbers: &[u32],
) -> AppResult<(Vec<PartUrl>, String)> {
    let mut parts = Vec::with_capacity(numbers.len());
    let mut expires_at = crate::domain::now();
    for &number in numbers {
        let length = upload
            .part_length(number)
            .ok_or_else(|| AppError::invalid("numbers", "outside the upload"))?;
        let signed = app
            .objects
            .presign_part(
                &upload.object_key,
                &upload.multipart_id,
                number,
                length,
                app.settings.upload_url_ttl,
            )
            .await?;
        expires_at = signed.expires_at;
        parts.push(PartUrl {
            number,
            url: signed.url,
        });
    }
    Ok((parts, rfc3339(expires_at)))
}

/// How long an open upload lives: the uploads bucket aborts incomplete multipart uploads a day
/// after they start (`AbortIncompleteMultipartUpload` in template.yaml).
pub const UPLOAD_LIFETIME: chrono::Duration = chrono::Duration::days(1);

/// `GET /v1/uploads`: the caller's uploads, newest first, all or of one `status`; `uploading`
/// lists only those still open (not yet past their `expires_at`).
/// The first id an upload still open at `now` can have (older ones are past `expires_at`).
fn oldest_open(now: chrono::DateTime<chrono::Utc>) -> Id {
    Id::first_at((now - UPLOAD_LIFETIME).timestamp_millis().max(0) as u64)
}

/// Per-user quotas (`GET /v1/limits`): uploads open at once, and bytes declared per day (UTC),
/// counted in the metadata store so they hold across processes. A refused upload counts nothing.
async fn quota(app: &App, user: &User, size: u64) -> AppResult<()> {
    let s = &app.settings;
    let now = crate::domain::now();
    let open = app
        .media
        .list_uploads(
            &UploadQuery {
                owner: user.username.clone(),
                status: Some(UploadStatus::Uploading),
                since: Some(oldest_open(now)),
                limit: u32::try_from(s.uploads_in_flight)
                    .unwrap_or(u32::MAX)
                    .saturating_add(1),
            },
            None,
        )
        .await?;
    if open.items.len() >= s.uploads_in_flight {
        return Err(AppError::Quota {
            code: ErrorCode::UploadsInFlight,
            message: format!(
                "{} uploads are still open: complete or abort one (DELETE /v1/uploads/{{id}}) first",
                open.items.len()
            ),
            retry_after: 60,
        });
    }
    let day = std::time::Duration::from_secs(24 * 3600);
    let (window, left) = super::throttle::window_of(day, now);
    let counter = format!("upload_bytes:{}", user.username);
    let used = app.rates.total(&counter, window).await?;
    if used.saturating_add(size) > s.upload_bytes_per_day {
        return Err(AppError::Quota {
            code: ErrorCode::UploadQuota,
            message: format!(
                "uploads are limited to {} bytes a day; {used} are used, {size} more would pass it",
                s.upload_bytes_per_day
            ),
            retry_after: left,
        });
    }
    let expires = now + chrono::Duration::seconds(i64::try_from(left).unwrap_or(0) + 24 * 3600);
    app.rates.add(&counter, window, size, expires).await?;
    Ok(())
}

pub async fn list(
    app: &App,
    user: &User,
    status: Option<&str>,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> AppResult<ListView<UploadSummary>> {
    let limit = page_limit(limit)?;
    let status = status
        .map(|s| {
            UploadStatus::parse(s).ok_or_else(|| {
                AppError::bad_request(
                    ErrorCode::InvalidStatus,
                    "status must be uploading, uploaded or aborted",
                )
            })
        })
        .transpose()?;
    let binding = format!(
        "uploads|{}|{}",
        user.username,
        status.map_or("", |s| s.as_str())
    );
    let after = cursor.map(|c| app.cursors.open(&binding, c)).transpose()?;
    let now = crate::domain::now();
    let since = (status == Some(UploadStatus::Uploading)).then(|| oldest_open(now));
    let query = UploadQuery {
        owner: user.username.clone(),
        status,
        since,
        limit,
    };
    let page = app.media.list_uploads(&query, after.as_deref()).await?;
    // One object-store call per open upload, all at once.
    let counts = try_join_all(page.items.iter().map(|u| received(app, u))).await?;
    let items = page
        .items
        .iter()
        .zip(counts)
        .map(|(u, parts)| UploadSummary {
            id: u.id.to_string(),
            status: u.status,
            filename: u.filename.clone(),
            content_type: u.content_type.clone(),
            size: u.size,
            part_size: u.part_size,
            created_at: rfc3339(u.created_at),
            expires_at: rfc3339(u.created_at + UPLOAD_LIFETIME),
            parts_received_count: parts.len(),
        })
        .collect();
    Ok(ListView {
        items,
        next_cursor: page.next.map(|n| app.cursors.seal(&binding, &n)),
    })
}

/// `upload` as the open upload a transition starts from.
fn uploading(upload: &Upload) -> Upload {
    Upload {
        status: UploadStatus::Uploading,
        ..upload.clone()
    }
}

/// The caller's upload, or `NotFound` (also for someone else's, admins included, so ids leak nothing).
pub async fn owned(app: &App, user: &User, id: &str) -> AppResult<Upload> {
    let id = Id::parse(id).ok_or(AppError::NotFound("upload"))?;
    match app.media.get_upload(id).await? {
        Some(u) if u.owner == user.username => Ok(u),
        _ => Err(AppError::NotFound("upload")),
    }
}

async fn received(app: &App, upload: &Upload) -> AppResult<Vec<PartInfo>> {
    if upload.status != UploadStatus::Uploading {
        return Ok(Vec::new());
    }
    Ok(app
        .objects
        .list_parts(&upload.object_key, &upload.multipart_id)
        .await?)
}

pub async fn status(app: &App, user: &User, id: &str) -> AppResult<UploadView> {
    let upload = owned(app, user, id).await?;
    let parts = received(app, &upload).await?;
    Ok(UploadView {
        id: upload.id.to_string(),
        status: upload.status,
        size: upload.size,
        part_size: upload.part_size,
        parts_received: parts
            .into_iter()
            .map(|p| ReceivedPart {
                number: p.number,
                etag: p.etag,
                size: p.size,
            })
            .collect(),
    })
}

pub async fn resign(app: &App, user: &User, id: &str, numbers: &[u32]) -> AppResult<PartUrls> {
    let upload = owned(app, user, id).await?;
    if upload.status != UploadStatus::Uploading {
        return Err(AppError::conflict(
            ErrorCode::UploadClosed,
            "the upload is no longer accepting parts",
        ));
    }
    if numbers.is_empty() {
        return Err(AppError::invalid("numbers", "name at least one part"));
    }
    let count = upload.part_count();
    if let Some(bad) = numbers.iter().find(|n| **n == 0 || **n > count) {
        return Err(AppError::invalid(
            "numbers",
            format!("part {bad} is outside 1..{count}"),
        ));
    }
    let unique: Vec<u32> = numbers
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (parts, _) = sign_parts(app, &upload, &unique).await?;
    Ok(PartUrls { parts })
}

pub async fn complete(
    app: &App,
    user: &User,
    id: &str,
    parts: &[(u32, String)],
) -> AppResult<Completed> {
    let upload = owned(app, user, id).await?;
    match upload.status {
        UploadStatus::Uploaded => {
            return Ok(Completed {
                id: upload.id.to_string(),
                status: UploadStatus::Uploaded,
            });
        }
        UploadStatus::Aborted => {
            return Err(AppError::conflict(
                ErrorCode::UploadAborted,
                "the upload was aborted",
            ));
        }
        UploadStatus::Uploading => {}
    }
    let count = upload.part_count();
    let mut given: Vec<(u32, String)> = parts.to_vec();
    given.sort_by_key(|p| p.0);
    let numbers: Vec<u32> = given.iter().map(|p| p.0).collect();
    if numbers != (1..=count).collect::<Vec<_>>() {
        return Err(AppError::bad_request(
            ErrorCode::InvalidPart,
            format!("name each of the parts 1..{count} exactly once"),
        ));
    }
    let stored = received(app, &upload).await?;
    let stored_bytes: u64 = stored.iter().map(|p| p.size).sum();
    if stored_bytes > upload.size {
        return Err(AppError::TooLarge(format!(
            "{stored_bytes} bytes were uploaded but {} were declared",
            upload.size
        )));
    }
    for (number, etag) in &given {
        let Some(part) = stored.iter().find(|p| p.number == *number) else {
            return Err(AppError::bad_request(
                ErrorCode::InvalidPart,
                format!("part {number} has not been uploaded"),
            ));
        };
        if part.etag != etag.trim_matches('"') {
            return Err(AppError::bad_request(
                ErrorCode::InvalidPart,
                format!("the ETag of part {number} does not match"),
            ));
        }
        if Some(part.size) != upload.part_length(*number) {
            return Err(AppError::bad_request(
                ErrorCode::InvalidPart,
                format!("part {number} has the wrong size"),
            ));
        }
    }
    app.objects
        .complete_multipart(&upload.object_key, &upload.multipart_id, &given)
        .await?;
    app.media
        .set_upload_status(&uploading(&upload), UploadStatus::Uploaded)
        .await?;
    Ok(Completed {
        id: upload.id.to_string(),
        status: UploadStatus::Uploaded,
    })
}

pub async fn abort(app: &App, user: &User, id: &str) -> AppResult<()> {
    let upload = owned(app, user, id).await?;
    match upload.status {
        UploadStatus::Aborted => Ok(()),
        UploadStatus::Uploaded => Err(AppError::conflict(
            ErrorCode::UploadCompleted,
            "a completed upload cannot be aborted",
        )),
        UploadStatus::Uploading => {
            match app
                .objects
                .abort_multipart(&upload.object_key, &upload.multipart_id)
                .await
            {
                Ok(()) | Err(crate::ports::ObjectError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
            app.media
                .set_upload_status(&uploading(&upload), UploadStatus::Aborted)
                .await?;
            let failure = crate::domain::Failure {
                code: ErrorCode::Aborted.as_str().into(),
                message: "the upload was aborted".into(),
            };
            app.media
                .finish_image(upload.id, &crate::domain::Outcome::Failed(failure))
                .await?;
            Ok(())
        }
    }
}
