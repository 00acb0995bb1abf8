//! Rendition geometry (`Size` -> exact output size and optional centred source crop) and
//! Lanczos3 resampling of upright RGB pixels with fast_image_resize.

use std::borrow::Cow;

use fast_image_resize as fr;

use super::decode::{Decoded, RgbImage};
use super::{ImageError, MAX_RENDITION_SIDE, Size};

/// Source crop box (left, top, width, height), in source pixels (fractional allowed).
pub(crate) type Crop = (f64, f64, f64, f64);

/// Exact output size for a rendition plus the part of the source it is made from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plan {
    pub width: u32,
    pub height: u32,
    pub crop: Option<Crop>,
}

fn clamp_side(v: u32) -> u64 {
    u64::from(v.clamp(1, MAX_RENDITION_SIDE))
}

/// `round(a / b)` for positive integers, never below 1.
fn div_round(a: u64, b: u64) -> u64 {
    ((2 * a + b) / (2 * b)).max(1)
}

fn to_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(MAX_RENDITION_SIDE)
}

/// Centred crop of a `sw x sh` source to the aspect ratio `dw : dh`; `None` when it already has
/// that aspect ratio.
fn centre_crop(sw: u64, sh: u64, dw: u64, dh: u64) -> Option<Crop> {
    let (swf, shf) = (sw as f64, sh as f64);
    if sw * dh > sh * dw {
        // Source is relatively wider: keep the full height, crop the sides.
        let w = shf * dw as f64 / dh as f64;
        Some(((swf - w) / 2.0, 0.0, w, shf))
    } else if sw * dh < sh * dw {
        // Source is relatively taller: keep the full width, crop top and bottom.
        let h = swf * dh as f64 / dw as f64;
        Some((0.0, (shf - h) / 2.0, swf, h))
    } else {
        None
    }
}

/// Computes the output geometry of `size` for an upright `src_w x src_h` source (both >= 1).
pub(crate) fn plan(src_w: u32, src_h: u32, size: Size) -> Plan {
    let (sw, sh) = (u64::from(src_w.max(1)), u64::from(src_h.max(1)));
    match size {
        Size::Cover { width, height } => {
            let (dw, dh) = (clamp_side(width), clamp_side(height));
            Plan {
                width: to_u32(dw),
                height: to_u32(dh),
                crop: centre_crop(sw, sh, dw, dh),
            }
        }
        Size::Inside { width, height } => {
            let (bw, bh) = (clamp_side(width), clamp_side(height));
            let (dw, dh) = if sw <= bw && sh <= bh {
                (sw, sh) // never enlarged
            } else if sw * bh >= sh * bw {
                (bw, div_round(sh * bw, sw).min(bh)) // width-limited
            } else {
                (div_round(sw * bh, sh).min(bw), bh) // height-limited
            };
            Plan {
                width: to_u32(dw),
                height: to_u32(dh),
                crop: None,
            }
        }
        Size::Height(height) => {
            let dh = clamp_side(height);
            let natural = div_round(sw * dh, sh);
            // A very wide source (e.g. 10000x10 at 200 high would be 200,000 px wide, beyond
            // JPEG's 65,535 limit and useless as a thumbnail) is capped at MAX_RENDITION_SIDE
            // wide: the source is centre-cropped to that aspect ratio instead of squashed.
            let cap = u64::from(MAX_RENDITION_SIDE);
            if natural > cap {
                Plan {
                    width: MAX_RENDITION_SIDE,
                    height: to_u32(dh),
                    crop: centre_crop(sw, sh, cap, dh),
                }
            } else {
                Plan {
                    width: to_u32(natural),
                    height: to_u32(dh),
                    crop: None,
                }
            }
        }
    }
}

/// How much larger than a rendition its source region must be after JPEG shrink-on-load (DCT
/// scaling by N/8). DCT scaling is a good low-pass filter (the N/8 inverse DCT keeps the lowest
/// N x N frequencies of every 8x8 block), so a rendition may be made from a region only as large
/// as itself (margin 1): on the bench corpus this costs 0.1-0.4 dB of luma PSNR against a
/// full-resolution Lanczos3 and saves ~25% of the time. libvips' thumbnail keeps a factor 2.
pub(crate) const SHRINK_ON_LOAD_MARGIN: f64 = 1.0;

/// After decoding, an image more than `2 * BOX_SHRINK_MARGIN` times larger than needed (PNG,
/// BMP, or a JPEG that even 1/8 leaves too large) is first box-filtered by an integer factor
/// down to at least `BOX_SHRINK_MARGIN` times the needed size (libvips' `shrink` + `reduce` with
/// its default gap of 2): the box pass costs a fraction of a full-size Lanczos3 pass, and every
/// rendition is then made from the small intermediate.
pub(crate) const BOX_SHRINK_MARGIN: f64 = 2.0;

/// The smallest linear scale of an upright `src_w x src_h` original at which every rendition
/// of `sizes` still has a source region at least as large as itself (at most 1: nothing is
/// ever enlarged before the final resampling).
pub(crate) fn min_source_scale(
    src_w: u32,
    src_h: u32,
    sizes: impl IntoIterator<Item = Size>,
) -> f64 {
    let mut scale: f64 = 0.0;
    for size in sizes {
        let p = plan(src_w, src_h, size);
        let (cw, ch) = p
            .crop
            .map_or((f64::from(src_w), f64::from(src_h)), |c| (c.2, c.3));
        let need = (f64::from(p.width) / cw).max(f64::from(p.height) / ch);
        scale = scale.max(need);
    }
    scale.min(1.0)
}

/// The shrink-on-load scale asked of the JPEG decoder for renditions needing `min_scale`.
pub(crate) fn load_scale(min_scale: f64) -> f64 {
    (min_scale * SHRINK_ON_LOAD_MARGIN).min(1.0)
}

fn internal(err: impl std::fmt::Display) -> ImageError {
    ImageError::CorruptImage(format!("resize failed: {err}"))
}

/// Output rows of the box pre-shrink made per call of the resizer (see `pre_shrink`).
const PRE_SHRINK_BAND_ROWS: u32 = 64;

/// Box-filters `decoded` by the largest integer factor that still leaves it `BOX_SHRINK_MARGIN`
/// times `min_scale` of the original (unchanged when that factor is below 2).
pub(crate) fn pre_shrink(
    decoded: Decoded,
    min_scale: f64,
    resizer: &mut Resizer,
) -> Result<Decoded, ImageError> {
    let have = decoded.scale.0.min(decoded.scale.1);
    let factor = (have / (min_scale.max(f64::MIN_POSITIVE) * BOX_SHRINK_MARGIN)).floor();
    let src = &decoded.image;
    if factor < 2.0 || !factor.is_finite() {
        return Ok(decoded);
    }
    let k = factor.min(f64::from(src.width.min(src.height)));
    // Rounded up to whole pixels: fr's box filter maps the whole source onto w x h, so each box
    // is a little under k pixels wide and the exact ratio is kept in `scale`.
    let w = (f64::from(src.width) / k).ceil().max(1.0) as u32;
    let h = (f64::from(src.height) / k).ceil().max(1.0) as u32;
    if (w, h) == (src.width, src.height) {
        return Ok(decoded);
    }
    let view = fr::images::ImageRef::new(src.width, src.height, &src.pixels, fr::PixelType::U8x3)
        .map_err(internal)?;
    let mut dst = fr::images::Image::new(w, h, fr::PixelType::U8x3);
    let options = fr::ResizeOptions::new()
        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Box))
        .use_alpha(false);
    // In bands of output rows, each from its own (fractional) band of source rows: fr keeps a
    // horizontally shrunk copy of all the source rows it is given, 50 MB for a 66 MP PNG in one
    // call, a few MB per band (SECURITY.md: 256 MB per image, and the source alone is 200 MB).
    let (src_w, src_h, dst_h) = (f64::from(src.width), f64::from(src.height), f64::from(h));
    let mut top = 0;
    while top < h {
        let rows = PRE_SHRINK_BAND_ROWS.min(h - top);
        let y0 = f64::from(top) * src_h / dst_h;
        let y1 = (f64::from(top + rows) * src_h / dst_h).min(src_h);
        let mut band =
            fr::images::CroppedImageMut::new(&mut dst, 0, top, w, rows).map_err(internal)?;
        resizer
            .inner
            .resize(&view, &mut band, &options.crop(0.0, y0, src_w, y1 - y0))
            .map_err(internal)?;
        top += rows;
    }
    let (sx, sy) = (
        f64::from(w) / f64::from(src.width),
        f64::from(h) / f64::from(src.height),
    );
    Ok(Decoded {
        image: RgbImage {
            width: w,
            height: h,
            pixels: dst.into_vec(),
        },
        full_width: decoded.full_width,
        full_height: decoded.full_height,
        scale: (decoded.scale.0 * sx, decoded.scale.1 * sy),
    })
}

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

/// Reusable resampler (its scratch buffers survive across the renditions of one image).
pub(crate) struct Resizer {
    inner: fr::Resizer,
}

impl Resizer {
    pub(crate) fn new() -> Self {
        Self {
            inner: fr::Resizer::new(),
        }
    }

    /// Produces the packed RGB pixels of one rendition (borrowed when no resampling is needed)
    /// and its size. The geometry comes from the upright original size; `src.image` may be a
    /// shrunk version of it, and the source region is mapped to it with `src.scale`.
    pub(crate) fn render<'a>(
        &mut self,
        src: &'a Decoded,
        size: Size,
    ) -> Result<(Cow<'a, [u8]>, u32, u32), ImageError> {
        let plan = plan(src.full_width, src.full_height, size);
        let img = &src.image;
        let (left, top, width, height) = plan.crop.unwrap_or((
            0.0,
            0.0,
            f64::from(src.full_width),
            f64::from(src.full_height),
        ));
        let (sw, sh) = (f64::from(img.width), f64::from(img.height));
        let width = (width * src.scale.0).clamp(f64::MIN_POSITIVE, sw);
        let height = (height * src.scale.1).clamp(f64::MIN_POSITIVE, sh);
        let left = (left * src.scale.0).clamp(0.0, sw - width);
        let top = (top * src.scale.1).clamp(0.0, sh - height);
        let whole = left == 0.0 && top == 0.0 && width == sw && height == sh;
        if whole && (plan.width, plan.height) == (img.width, img.height) {
            return Ok((Cow::Borrowed(&img.pixels), plan.width, plan.height));
        }
        let view =
            fr::images::ImageRef::new(img.width, img.height, &img.pixels, fr::PixelType::U8x3)
                .map_err(internal)?;
        let mut dst = fr::images::Image::new(plan.width, plan.height, fr::PixelType::U8x3);
        let mut options = fr::ResizeOptions::new()
            .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3))
            .use_alpha(false);
        if !whole {
            options = options.crop(left, top, width, height);
        }
        self.inner
            .resize(&view, &mut dst, &options)
            .map_err(internal)?;
        Ok((Cow::Owned(dst.into_vec()), plan.width, plan.height))
    }
}
