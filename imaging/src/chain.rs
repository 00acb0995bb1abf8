//! Which source each rendition is resampled from: renditions are made largest first, and a
//! smaller whole-picture one (a 200-high thumbnail) from a larger one already made (the
//! 400-high) when that still has about twice its pixels, instead of from the decoded
//! intermediate, which may be several times larger.

use std::borrow::Cow;

use super::Size;
use super::decode::{Decoded, RgbImage};
use super::resize::plan;

/// A whole-picture rendition is reused as the source of a smaller one when it has at least this
/// many pixels per output pixel on each side (a 200-high thumbnail from the 400-high one, whose
/// width may be a rounding short of twice the 200-high's, hence a little under 2): a
/// Lanczos3 pass costs about 6 multiply-adds per *source* pixel and per side whatever the
/// ratio, so resampling from the 533x400 instead of a 2000x1500 intermediate is ~14x cheaper,
/// and at about 2:1 the second Lanczos3 pass sees a source that still holds every frequency it keeps.
pub(crate) const CHAIN_MARGIN: f64 = 1.9;

/// Indices of `sizes` ordered by output area, largest first (stable for equal areas).
pub(crate) fn largest_first(
    full_width: u32,
    full_height: u32,
    sizes: impl IntoIterator<Item = Size>,
) -> Vec<usize> {
    let mut areas: Vec<(usize, u64)> = sizes
        .into_iter()
        .map(|size| {
            let p = plan(full_width, full_height, size);
            u64::from(p.width) * u64::from(p.height)
        })
        .enumerate()
        .collect();
    areas.sort_by_key(|&(_, area)| std::cmp::Reverse(area));
    areas.into_iter().map(|(i, _)| i).collect()
}

/// The smallest of `decoded` and the whole-picture renditions `made` from it that still holds
/// `CHAIN_MARGIN` source pixels per output pixel of `size`'s region (`decoded` when none does).
pub(crate) fn smallest_source<'a>(
    decoded: &'a Decoded,
    made: &'a [Decoded],
    size: Size,
) -> &'a Decoded {
    let p = plan(decoded.full_width, decoded.full_height, size);
    let (cw, ch) = p.crop.map_or(
        (
            f64::from(decoded.full_width),
            f64::from(decoded.full_height),
        ),
        |c| (c.2, c.3),
    );
    let area = |d: &Decoded| u64::from(d.image.width) * u64::from(d.image.height);
    made.iter()
        .filter(|m| {
            cw * m.scale.0 >= CHAIN_MARGIN * f64::from(p.width)
                && ch * m.scale.1 >= CHAIN_MARGIN * f64::from(p.height)
                && area(m) < area(decoded)
        })
        .min_by_key(|m| area(m))
        .unwrap_or(decoded)
}

/// A rendition of `size` (pixels `rgb`, `width x height`) as a source for smaller ones: only
/// whole-picture renditions (no crop) smaller than `decoded` qualify.
pub(crate) fn as_source(
    decoded: &Decoded,
    size: Size,
    rgb: Cow<'_, [u8]>,
    width: u32,
    height: u32,
) -> Option<Decoded> {
    let whole = plan(decoded.full_width, decoded.full_height, size)
        .crop
        .is_none();
    let smaller = u64::from(width) * u64::from(height)
        < u64::from(decoded.image.width) * u64::from(decoded.image.height);
    let Cow::Owned(pixels) = rgb else {
        return None;
    };
    (whole && smaller).then(|| Decoded {
        image: RgbImage {
            width,
            height,
            pixels,
        },
        full_width: decoded.full_width,
        full_height: decoded.full_height,
        scale: (
            f64::from(width) / f64::from(decoded.full_width),
            f64::from(height) / f64::from(decoded.full_height),
        ),
    })
}
