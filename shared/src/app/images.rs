//! The image library: images from uploads or small form posts, listing and title search, the
//! tier-dependent view, and expiring links to originals.

use crate::app::ErrorCode;
use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

use super::uploads::object_key;
use super::views::{ListView, rfc3339};
use super::{App, AppError, AppResult, can_manage, page_limit, renditions, tiers};
use crate::domain::tier::MAX_EDGE;
use crate::domain::{
    AltText, Failure, Fit, Id, Image, MediaStatus, Placeholder, Rendition, Tier, Title, Upload,
    UploadStatus, User,
};
use crate::imaging::{self, Size};
use crate::ports::{ALREADY_LISTED, Bucket, Download, ImageQuery, Listing, Presigned, StoreError};

pub use super::limits::{FORM_LIMIT, LINK_SECONDS};

#[derive(Debug, Serialize)]
pub struct ImageView {
    pub id: String,
    pub title: String,
    pub status: MediaStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Size of the JPEG at `url` (null until ready).
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub url: Option<String>,
    /// Thumbnail URLs keyed by height, as the owner's tier lists them.
    pub thumbnails: BTreeMap<u32, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_url: Option<String>,
    pub created_at: String,
    pub alt_text: String,
    /// Painted before the JPEG arrives (null until ready).
    pub placeholder: Option<Placeholder>,
}

#[derive(Debug, Serialize)]
pub struct LinkView {
    pub url: String,
    pub expires_at: String,
}

/// The requested size: both sides or neither, each 1..4096.
pub fn fit(width: Option<u64>, height: Option<u64>) -> AppResult<Option<Fit>> {
    let side = |field: &'static str, v: u64| {
        u32::try_from(v)
            .ok()
            .filter(|v| (1..=MAX_EDGE).contains(v))
            .ok_or_else(|| AppError::invalid(field, format!("must be 1..{MAX_EDGE}")))
    };
    match (width, height) {
        (None, None) => Ok(None),
        (Some(w), Some(h)) => Ok(Some(Fit {
            width: side("width", w)?,
            height: side("height", h)?,
        })),
        (Some(_), None) => Err(AppError::invalid(
            "height",
            "give width and height together",
        )),
        (None, Some(_)) => Err(AppError::invalid("width", "give width and height together")),
    }
}

async fn list_into_library(app: &App, id: Id, listing: &Listing) -> AppResult<Image> {
    match app.library.list_image(id, listing).await {
        Ok(image) => Ok(image),
        Err(StoreError::Conflict(ALREADY_LISTED)) => Err(AppError::conflict(
            ErrorCode::AlreadyListed,
            "this upload is already in your library",
        )),
        Err(e) => Err(e.into()),
    }
}

/// A validated title and alt text with the requested size.
fn listing(title: &str, fit: Option<Fit>, alt_text: &str) -> AppResult<Listing> {
    Ok(Listing {
        title: Title::parse(title)?.into_inner(),
        fit,
        alt_text: AltText::parse(alt_text)?.into_inner(),
    })
}

/// `POST /v1/images` from an upload of the caller's (complete or still uploading).
pub async fn create_from_upload(
    app: &App,
    user: &User,
    upload_id: &str,
    title: &str,
    fit: Option<Fit>,
    alt_text: &str,
) -> AppResult<ImageView> {
    let listing = listing(title, fit, alt_text)?;
    let upload = super::uploads::owned(app, user, upload_id).await?;
    if upload.status == UploadStatus::Aborted {
        return Err(AppError::conflict(
            ErrorCode::UploadAborted,
            "the upload was aborted",
        ));
    }
    let image = list_into_library(app, upload.id, &listing).await?;
    view(app, user, image).await
}

/// `POST /v1/images` with the file in the request: stored as an upload of its own, then processed
/// like any other (the object-created event starts the resize).
pub async fn create_from_file(
    app: &App,
    user: &User,
    file: Bytes,
    filename: &str,
    title: &str,
    fit: Option<Fit>,
    alt_text: &str,
) -> AppResult<ImageView> {
    let listing = listing(title, fit, alt_text)?;
    if file.is_empty() {
        return Err(AppError::invalid("file", "the file is empty"));
    }
    let format = imaging::sniff(&file).ok_or_else(|| {
        AppError::UnsupportedFormat("only png, jpeg and bmp images are accepted".into())
    })?;
    let id = Id::generate();
    let now = crate::domain::now();
    let size = file.len() as u64;
    let upload = Upload {
        id,
        owner: user.username.clone(),
        object_key: object_key(user.username.as_str(), &id),
        multipart_id: String::new(),
        filename: filename.chars().take(255).collect(),
        content_type: format.mime().to_owned(),
        size,
        part_size: size,
        status: UploadStatus::Uploaded,
        created_at: now,
    };
    let image = match app
        .media
        .create_upload(&upload, &Image::processing(id, user.username.clone(), now))
        .await
    {
        Ok(()) => list_into_library(app, id, &listing).await?,
        // Taken only by this request's own first run (an idempotent retry makes the same ids):
        // finish what it began (the object may not have been stored yet).
        Err(StoreError::AlreadyExists) => match app.media.get_image(id).await? {
            Some(made) if made.owner == user.username && made.listed => made,
            Some(made) if made.owner == user.username => {
                list_into_library(app, id, &listing).await?
            }
            _ => return Err(AppError::Internal("a new image id was taken".into())),
        },
        Err(other) => return Err(other.into()),
    };
    let stored = app
        .objects
        .put(Bucket::Uploads, &upload.object_key, file, format.mime())
        .await;
    if let Err(e) = stored {
        // Never leave a library entry that waits for bytes that will not come.
        let failure = Failure {
            code: ErrorCode::UploadFailed.as_str().into(),
            message: "storing the file failed; send it again".into(),
        };
        app.media
            .finish_image(id, &crate::domain::Outcome::Failed(failure))
            .await?;
        return Err(e.into());
    }
    view(app, user, image).await
}

/// An image `viewer` may see: their own, or anyone's for an admin; 404 otherwise (and for
/// uploads that never entered the library).
async fn visible(app: &App, viewer: &User, id: &str) -> AppResult<Image> {
    let id = Id::parse(id).ok_or(AppError::NotFound("image"))?;
    match app.media.get_image(id).await? {
        Some(image) if image.listed && can_manage(viewer, &image.owner) => Ok(image),
        _ => Err(AppError::NotFound("image")),
    }
}

/// The tier the owner of `image` is on, looked up only when the viewer is not the owner.
async fn owner_tier(app: &App, viewer: &User, image: &Image) -> AppResult<Tier> {
    if viewer.username == image.owner {
        return tiers::of_user(app, viewer).await;
    }
    let owner = app.users.get_user(image.owner.as_str()).await?;
    let owner = owner.ok_or(AppError::NotFound("image"))?;
    tiers::of_user(app, &owner).await
}

pub async fn get(app: &App, viewer: &User, id: &str) -> AppResult<ImageView> {
    let image = visible(app, viewer, id).await?;
    view(app, viewer, image).await
}

async fn view(app: &App, viewer: &User, image: Image) -> AppResult<ImageView> {
    let tier = owner_tier(app, viewer, &image).await?;
    view_with(app, &tier, image).await
}

async fn view_with(app: &App, tier: &Tier, mut image: Image) -> AppResult<ImageView> {
    renditions::ensure(app, &mut image, tier).await?;
    renditions::ensure_placeholder(app, &mut image).await?;
    let ttl = app.settings.media_url_ttl;
    let sign = |r: Rendition| async move {
        app.objects
            .presign_get(Bucket::Renditions, &r.key(&image.id), ttl)
            .await
            .map(|p| p.url)
    };
    let (mut width, mut height, mut url) = (None, None, None);
    let mut thumbnails = BTreeMap::new();
    let mut original_url = None;
    if let (MediaStatus::Ready, Some(w), Some(h)) = (image.status, image.width, image.height) {
        let fit = image.fit.unwrap_or(Fit::DEFAULT);
        let (fw, fh) = imaging::output_size(
            w,
            h,
            Size::Inside {
                width: fit.width,
                height: fit.height,
            },
        );
        (width, height) = (Some(fw), Some(fh));
        url = Some(sign(Rendition::Fit(fit)).await?);
        for &th in &tier.thumbnail_heights {
            thumbnails.insert(th, sign(Rendition::Thumb(th)).await?);
        }
        if tier.original_link {
            let key = object_key(image.owner.as_str(), &image.id);
            original_url = Some(
                app.objects
                    .presign_get(Bucket::Uploads, &key, ttl)
                    .await?
                    .url,
            );
        }
    }
    Ok(ImageView {
        id: image.id.to_string(),
        title: image.title,
        status: image.status,
        failure: image.failure,
        width,
        height,
        url,
        thumbnails,
        original_url,
        created_at: rfc3339(image.created_at),
        alt_text: image.alt_text,
        placeholder: image.placeholder,
    })
}

fn extension(format: imaging::Format) -> &'static str {
    match format {
        imaging::Format::Png => "png",
        imaging::Format::Jpeg => "jpg",
        imaging::Format::Bmp => "bmp",
    }
}

/// A signed GET of the original that serves it as the type its bytes say it is, as a download
/// (SECURITY.md, API8), whatever type the client declared when uploading it.
async fn original(app: &App, image: &Image, ttl: Duration) -> AppResult<Presigned> {
    let key = object_key(image.owner.as_str(), &image.id);
    let head = app.objects.read_prefix(Bucket::Uploads, &key, 16).await?;
    let format = imaging::sniff(&head).ok_or_else(|| {
        AppError::Internal(format!(
            "the original of ready image {} is not an image",
            image.id
        ))
    })?;
    let download = Download {
        content_type: format.mime().to_owned(),
        filename: format!("{}.{}", image.id, extension(format)),
    };
    Ok(app
        .objects
        .presign_link(Bucket::Uploads, &key, ttl, Some(&download))
        .await?)
}

fn binding(user: &User, title: Option<&str>) -> String {
    format!("images|{}|{}", user.username, title.unwrap_or(""))
}

/// The caller's library, newest first; `title` filters case-insensitively.
pub async fn list(
    app: &App,
    user: &User,
    title: Option<&str>,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> AppResult<ListView<ImageView>> {
    let limit = page_limit(limit)?;
    let title = title.filter(|t| !t.is_empty());
    if title.is_some_and(|t| t.chars().count() > 200) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidTitle,
            "title searches are at most 200 characters",
        ));
    }
    let binding = binding(user, title);
    let after = cursor.map(|c| app.cursors.open(&binding, c)).transpose()?;
    let query = ImageQuery {
        owner: user.username.clone(),
        title: title.map(str::to_owned),
        limit,
    };
    let page = app.library.list_images(&query, after.as_deref()).await?;
    let tier = tiers::of_user(app, user).await?;
    // After a tier change every image of a page may lack renditions, each one a decode of its
    // original. A page stops making them after `list_render_budget` (the first image always gets
    // its own): it ends before the next image that needs work, its cursor continues there, and
    // the next page makes the next ones. Every URL listed is of an object that exists.
    let started = std::time::Instant::now();
    let mut items: Vec<ImageView> = Vec::with_capacity(page.items.len());
    let mut next = page.next;
    for image in page.items {
        let needs_work = !renditions::missing(&image, &tier).is_empty();
        if needs_work && !items.is_empty() && started.elapsed() >= app.settings.list_render_budget {
            // The library's continuation is the id of the last image listed (ports.rs).
            next = items.last().map(|v| v.id.clone());
            break;
        }
        items.push(view_with(app, &tier, image).await?);
    }
    Ok(ListView {
        items,
        next_cursor: next.map(|n| app.cursors.seal(&binding, &n)),
    })
}

/// `POST /v1/images/{id}/links`: a URL to the original that works for `expires_in` seconds.
pub async fn link(app: &App, viewer: &User, id: &str, expires_in: u64) -> AppResult<LinkView> {
    if !LINK_SECONDS.contains(&expires_in) {
        return Err(AppError::invalid(
            "expires_in",
            "must be 300..30000 seconds",
        ));
    }
    let image = visible(app, viewer, id).await?;
    let tier = owner_tier(app, viewer, &image).await?;
    if !tier.expiring_links {
        return Err(AppError::Forbidden(
            "the owner's tier does not include expiring links",
        ));
    }
    if image.status != MediaStatus::Ready {
        return Err(AppError::conflict(
            ErrorCode::ImageNotReady,
            "the image is not ready yet (or failed)",
        ));
    }
    let signed = original(app, &image, Duration::from_secs(expires_in)).await?;
    Ok(LinkView {
        url: signed.url,
        expires_at: rfc3339(signed.expires_at),
    })
}
