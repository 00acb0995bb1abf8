//! Which JPEGs an image needs, and making them: all at once after upload (resize), or the missing
//! ones on demand when a read finds the owner's tier or the requested size asks for more.
//!
//! Choice: thumbnails that a tier change adds are rendered on demand, at the first read of the
//! image that needs them (one decode of the original, shrink-on-load, then every missing size),
//! not by a background job. A read never lists a URL whose object does not exist, there is no
//! job queue to run on either shape, and images nobody looks at again cost nothing. A library
//! page bounds that work in time (`Settings::list_render_budget`, `images::list`): past it the
//! page ends early and the next page goes on, so no read waits for a whole page of decodes.

use bytes::Bytes;

use super::uploads::object_key;
use super::{App, AppError, AppResult};
use crate::domain::{
    FEED_HEIGHT, FEED_WIDTH, Fit, Image, MediaStatus, Placeholder, Rendition, Tier,
};
use crate::imaging::{self, ImageError, Limits, Rendered, RenditionSpec, Size};
use crate::ports::Bucket;

/// Every rendition `image` should have for an owner on `tier`: the feed crop, the requested size
/// and the tier's thumbnails.
pub fn wanted(image: &Image, tier: &Tier) -> Vec<Rendition> {
    let mut all = vec![
        Rendition::Feed,
        Rendition::Fit(image.fit.unwrap_or(Fit::DEFAULT)),
    ];
    all.extend(tier.thumbnail_heights.iter().map(|&h| Rendition::Thumb(h)));
    all
}

pub fn size_of(r: Rendition) -> Size {
    match r {
        Rendition::Feed => Size::Cover {
            width: FEED_WIDTH,
            height: FEED_HEIGHT,
        },
        Rendition::Fit(f) => Size::Inside {
            width: f.width,
            height: f.height,
        },
        Rendition::Thumb(h) => Size::Height(h),
    }
}

/// The stored form of a rendition's placeholder: base64 ThumbHash and `#rrggbb`.
pub fn placeholder(p: &imaging::Placeholder) -> Placeholder {
    use base64::Engine as _;
    Placeholder {
        thumbhash: base64::engine::general_purpose::STANDARD.encode(&p.thumbhash),
        color: p.color_hex(),
    }
}

/// Decodes `original` once (on the blocking pool) and renders every one of `renditions`.
pub async fn render(
    original: Bytes,
    limits: Limits,
    renditions: &[Rendition],
) -> AppResult<Result<Rendered, ImageError>> {
    let specs: Vec<RenditionSpec> = renditions
        .iter()
        .map(|&r| RenditionSpec {
            name: r.name(),
            size: size_of(r),
        })
        .collect();
    tokio::task::spawn_blocking(move || imaging::render(&original, &limits, &specs))
        .await
        .map_err(|e| AppError::Internal(format!("render task: {e}")))
}

/// Writes rendered JPEGs to their deterministic keys (a rerun overwrites).
pub async fn store(app: &App, image: &Image, rendered: Rendered) -> AppResult<()> {
    for r in rendered.renditions {
        let Some(which) = Rendition::parse(&r.name) else {
            return Err(AppError::Internal(format!("unknown rendition {}", r.name)));
        };
        app.objects
            .put(
                Bucket::Renditions,
                &which.key(&image.id),
                Bytes::from(r.jpeg),
                "image/jpeg",
            )
            .await?;
    }
    Ok(())
}

/// Gives a ready image processed before placeholders existed its placeholder, from its feed
/// rendition (one small decode), on the image and its posts. Every later read has it.
pub async fn ensure_placeholder(app: &App, image: &mut Image) -> AppResult<()> {
    if image.status != MediaStatus::Ready || image.placeholder.is_some() {
        return Ok(());
    }
    let feed = app
        .objects
        .get(
            Bucket::Renditions,
            &Rendition::Feed.key(&image.id),
            app.settings.image_limits.max_bytes,
        )
        .await?;
    let rendered = render(feed, app.settings.image_limits, &[Rendition::Feed])
        .await?
        .map_err(|e| AppError::Internal(format!("a feed rendition no longer decodes: {e}")))?;
    let Some(made) = rendered.placeholder.as_ref().map(placeholder) else {
        return Ok(());
    };
    app.media.set_placeholder(image.id, &made).await?;
    tracing::info!(id = %image.id, "placeholder added to an image processed before placeholders");
    image.placeholder = Some(made);
    Ok(())
}

/// The renditions a ready `image` lacks for `tier` (none for an image not ready).
pub fn missing(image: &Image, tier: &Tier) -> Vec<Rendition> {
    if image.status != MediaStatus::Ready {
        return Vec::new();
    }
    wanted(image, tier)
        .into_iter()
        .filter(|r| !image.renditions.contains(r))
        .collect()
}

/// Makes sure every rendition a ready `image` needs for `tier` exists, rendering the missing ones
/// from the original; `image.renditions` is updated to match.
pub async fn ensure(app: &App, image: &mut Image, tier: &Tier) -> AppResult<()> {
    let missing = missing(image, tier);
    if missing.is_empty() {
        return Ok(());
    }
    let key = object_key(image.owner.as_str(), &image.id);
    let limits = app.settings.image_limits;
    let original = app
        .objects
        .get(Bucket::Uploads, &key, limits.max_bytes)
        .await?;
    let rendered = render(original, limits, &missing)
        .await?
        .map_err(|e| AppError::Internal(format!("a ready image no longer renders: {e}")))?;
    store(app, image, rendered).await?;
    app.library.add_renditions(image.id, &missing).await?;
    tracing::info!(id = %image.id, count = missing.len(), "rendered missing renditions on demand");
    image.renditions.extend(missing);
    Ok(())
}
