//! The resize use case: an object created in the uploads bucket in, renditions and one state
//! change out. The S3 event that brings it (and its key encoding) is the edge's business
//! (`crate::edge::s3_event`).
//!
//! The same function runs in the resize Lambda and, fed by the embedded endpoint, in `imagegram
//! serve`. Events arrive at least once and in any order, so it is idempotent: rendition keys are
//! deterministic (a rerun overwrites), and `finish_image` changes state only from `processing`.
//! It returns `Err` only for what a retry can fix (a store or bucket being unavailable).

use super::{App, renditions, tiers};
use crate::domain::{DEFAULT_TIER, Failure, Id, Image, MediaStatus, Outcome, Tier, builtin_tier};
use crate::imaging::ImageError;
use crate::ports::{Bucket, ObjectError, StoreError};

/// A failure worth retrying: the event should be delivered again.
#[derive(Debug, thiserror::Error)]
#[error("transient failure, retry: {0}")]
pub struct Retry(pub String);

impl From<StoreError> for Retry {
    fn from(e: StoreError) -> Self {
        Retry(e.to_string())
    }
}

impl From<ObjectError> for Retry {
    fn from(e: ObjectError) -> Self {
        Retry(e.to_string())
    }
}

/// The image id of an uploads-bucket key `uploads/{owner}/{id}`; anything else is not ours.
pub fn image_id_of(key: &str) -> Option<(String, Id)> {
    let rest = key.strip_prefix("uploads/")?;
    let (owner, id) = rest.split_once('/')?;
    Some((owner.to_owned(), Id::parse(id)?))
}

/// Handles an object created at `key` (decoded) in `bucket`: objects under
/// `uploads/{owner}/{id}` in the uploads bucket are processed, anything else is ignored.
/// What became of an object-created event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processed {
    /// The image is ready, with its renditions.
    Ready,
    /// The bytes are no image we take: the image (and its posts) failed, for good.
    Failed,
    /// Nothing to do: not ours, already processed, or gone.
    Skipped,
}

impl Processed {
    pub fn as_str(self) -> &'static str {
        match self {
            Processed::Ready => "ready",
            Processed::Failed => "failed",
            Processed::Skipped => "skipped",
        }
    }
}

pub async fn object_created(
    app: &App,
    uploads_bucket: &str,
    bucket: &str,
    key: &str,
) -> Result<Processed, Retry> {
    if bucket != uploads_bucket {
        tracing::warn!(bucket, "ignoring an event from another bucket");
        return Ok(Processed::Skipped);
    }
    let Some((owner, id)) = image_id_of(key) else {
        tracing::info!(key, "ignoring a key outside uploads/{{owner}}/{{id}}");
        return Ok(Processed::Skipped);
    };
    process(app, &owner, id).await
}

/// The tier the owner of `image` is on now (Basic's definition if the owner is gone).
async fn owner_tier(app: &App, image: &Image) -> Result<Tier, Retry> {
    let user = app.users.get_user(image.owner.as_str()).await?;
    match user {
        Some(user) => tiers::of_user(app, &user)
            .await
            .map_err(|e| Retry(e.to_string())),
        None => Ok(builtin_tier(DEFAULT_TIER).unwrap_or_else(|| unreachable!("Basic is builtin"))),
    }
}

fn failed(e: &ImageError) -> Outcome {
    Outcome::Failed(Failure {
        code: e.code().to_owned(),
        message: e.to_string(),
    })
}

/// Turns the uploaded object of image `id` into its renditions, once.
pub async fn process(app: &App, owner: &str, id: Id) -> Result<Processed, Retry> {
    let Some(image) = app.media.get_image(id).await? else {
        tracing::info!(%id, "no image for this object (deleted or unknown): nothing to do");
        return Ok(Processed::Skipped);
    };
    if image.status != MediaStatus::Processing || image.owner.as_str() != owner {
        return Ok(Processed::Skipped);
    }
    let Some(upload) = app.media.get_upload(id).await? else {
        return Ok(Processed::Skipped);
    };
    let limits = app.settings.image_limits;
    let max = upload.size.min(limits.max_bytes);
    let bytes = match app
        .objects
        .get(Bucket::Uploads, &upload.object_key, max)
        .await
    {
        Ok(b) => b,
        Err(ObjectError::TooLarge(n)) => {
            let e = ImageError::TooLarge { bytes: n };
            app.media.finish_image(id, &failed(&e)).await?;
            return Ok(Processed::Failed);
        }
        Err(ObjectError::NotFound) => return Ok(Processed::Skipped),
        Err(e) => return Err(e.into()),
    };
    let wanted = renditions::wanted(&image, &owner_tier(app, &image).await?);
    let rendered = match renditions::render(bytes, limits, &wanted).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::info!(%id, code = e.code(), "image refused");
            app.media.finish_image(id, &failed(&e)).await?;
            return Ok(Processed::Failed);
        }
        Err(e) => return Err(Retry(e.to_string())),
    };
    let (width, height) = (rendered.width, rendered.height);
    let placeholder = rendered.placeholder.as_ref().map(renditions::placeholder);
    renditions::store(app, &image, rendered)
        .await
        .map_err(|e| Retry(e.to_string()))?;
    app.media
        .finish_image(
            id,
            &Outcome::Ready {
                width,
                height,
                renditions: wanted,
                placeholder,
            },
        )
        .await?;
    Ok(Processed::Ready)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_upload_keys_with_ids_are_ours() {
        let id = Id::generate();
        assert_eq!(
            image_id_of(&format!("uploads/alice/{id}")),
            Some(("alice".into(), id))
        );
        assert_eq!(image_id_of(&format!("renditions/alice/{id}")), None);
        assert_eq!(image_id_of("uploads/alice/not-an-id"), None);
        assert_eq!(image_id_of(&format!("uploads/{id}")), None);
    }
}
