//! Lanczos3 resampling of upright RGB pixels with fast_image_resize, and the scales that the
//! decoders shrink to (the geometry itself is in `geometry.rs`).

use std::borrow::Cow;

use fast_image_resize as fr;

use super::decode::{Decoded, RgbImage};
use super::{ImageError, Size};

pub(crate) use super::geometry::plan;

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

/// Output rows of the box pre-shrink made per call of the resizer (see `BoxShrink`)...
const PRE_SHRINK_BAND_ROWS: u32 = 64;

/// ... unless their source rows take more than this (huge boxes of a wide image): then fewer.
const PRE_SHRINK_BAND_BYTES: u64 = 32 * 1024 * 1024;

/// The size a `width x height` image at `have` of the original's scale is box-filtered to for
/// renditions needing `min_scale`: divided by the largest integer factor that still leaves it
/// `BOX_SHRINK_MARGIN` times `min_scale` of the original, rounded up to whole pixels (so each
/// box is a little under that factor wide; the exact ratio goes into `Decoded::scale`). `None`
/// when that factor is below 2 or would not make the image smaller.
pub(crate) fn box_shrink_size(
    width: u32,
    height: u32,
    have: f64,
    min_scale: f64,
) -> Option<(u32, u32)> {
    let factor = (have / (min_scale.max(f64::MIN_POSITIVE) * BOX_SHRINK_MARGIN)).floor();
    if factor < 2.0 || !factor.is_finite() {
        return None;
    }
    let k = factor.min(f64::from(width.min(height)));
    let w = (f64::from(width) / k).ceil().max(1.0) as u32;
    let h = (f64::from(height) / k).ceil().max(1.0) as u32;
    ((w, h) != (width, height)).then_some((w, h))
}

/// Box-filters `decoded` to `box_shrink_size` (unchanged when that is `None`). Non-interlaced
/// PNGs get the same pixels while they are decoded, without a full-size image (`stream.rs`).
pub(crate) fn pre_shrink(
    decoded: Decoded,
    min_scale: f64,
    resizer: &mut Resizer,
) -> Result<Decoded, ImageError> {
    let have = decoded.scale.0.min(decoded.scale.1);
    let src = &decoded.image;
    let Some((w, h)) = box_shrink_size(src.width, src.height, have, min_scale) else {
        return Ok(decoded);
    };
    let mut shrink = BoxShrink::new(src.width, src.height, w, h);
    let band_rows = shrink.band_rows();
    let mut top = 0;
    while top < h {
        let rows = band_rows.min(h - top);
        shrink.band(resizer, &src.pixels, 0, top, rows)?;
        top += rows;
    }
    let (image, (sx, sy)) = shrink.finish();
    Ok(Decoded {
        image,
        full_width: decoded.full_width,
        full_height: decoded.full_height,
        scale: (decoded.scale.0 * sx, decoded.scale.1 * sy),
    })
}

/// Output rows per band of a box pre-shrink from `src_w x src_h` to `dst_h` rows (see
/// `BoxShrink`): `PRE_SHRINK_BAND_ROWS`, or fewer when their source rows would take more than
/// `PRE_SHRINK_BAND_BYTES`.
pub(crate) fn box_band_rows(src_w: u32, src_h: u32, dst_h: u32) -> u32 {
    let box_rows = u64::from(src_h.div_ceil(dst_h.max(1))) + 1;
    let fit = PRE_SHRINK_BAND_BYTES / (box_rows * u64::from(src_w) * 3).max(1);
    u32::try_from(fit)
        .unwrap_or(u32::MAX)
        .clamp(1, PRE_SHRINK_BAND_ROWS)
}

/// The most bytes of source rows one band of that box pre-shrink reads: its share of the
/// image, plus a row cut by each of its edges.
pub(crate) fn box_band_bytes(src_w: u32, src_h: u32, dst_h: u32) -> u64 {
    let (band, src_h64) = (box_band_rows(src_w, src_h, dst_h), u64::from(src_h));
    let rows = (u64::from(band) * src_h64).div_ceil(u64::from(dst_h.max(1))) + 2;
    rows.min(src_h64) * u64::from(src_w) * 3
}

/// fast_image_resize's Box filter from a `src_w x src_h` RGB image onto a smaller one, made in
/// bands of output rows, each from its own (fractional) band of source rows: fr keeps a copy of
/// all the source rows it is given, shrunk vertically (50 MB for a 66 MP image in one call, a
/// few MB per band), and a band needs only its own source rows, so they can come from a
/// full-size image or straight from a decoder.
pub(crate) struct BoxShrink {
    src_w: u32,
    src_h: u32,
    dst: fr::images::Image<'static>,
}

impl BoxShrink {
    pub(crate) fn new(src_w: u32, src_h: u32, dst_w: u32, dst_h: u32) -> Self {
        Self {
            src_w,
            src_h,
            dst: fr::images::Image::new(dst_w, dst_h, fr::PixelType::U8x3),
        }
    }

    /// Output rows made per band (the last band may have fewer).
    pub(crate) fn band_rows(&self) -> u32 {
        box_band_rows(self.src_w, self.src_h, self.dst.height())
    }

    /// The source rows (fractional) that output rows `top..top + rows` are made from.
    fn span(&self, top: u32, rows: u32) -> (f64, f64) {
        let (src_h, dst_h) = (f64::from(self.src_h), f64::from(self.dst.height()));
        let y0 = f64::from(top) * src_h / dst_h;
        let y1 = (f64::from(top + rows) * src_h / dst_h).min(src_h);
        (y0, y1)
    }

    /// The whole source rows `first..end` that output rows `top..top + rows` read.
    pub(crate) fn source_rows(&self, top: u32, rows: u32) -> (u32, u32) {
        let (y0, y1) = self.span(top, rows);
        (y0.floor() as u32, (y1.ceil() as u32).min(self.src_h))
    }

    /// Makes output rows `top..top + rows` from `src`: packed RGB source rows from row
    /// `src_first` on, at least up to the end of `source_rows(top, rows)`. fr is given the
    /// rows from the first of those on, whatever `src` holds before them, so that a band's
    /// arithmetic (its crop's offset in floating point decides which box gets a pixel whose
    /// centre is exactly on a box edge) is the same from a full-size image and from a decoder.
    pub(crate) fn band(
        &mut self,
        resizer: &mut Resizer,
        src: &[u8],
        src_first: u32,
        top: u32,
        rows: u32,
    ) -> Result<(), ImageError> {
        let (y0, y1) = self.span(top, rows);
        let (first, _) = self.source_rows(top, rows);
        let row_bytes = self.src_w as usize * 3;
        let skip = first.checked_sub(src_first).map(|r| r as usize * row_bytes);
        let rest = skip
            .and_then(|skip| src.get(skip..))
            .ok_or_else(|| internal("band rows missing"))?;
        let held = rest.len() / row_bytes.max(1);
        let view = fr::images::ImageRef::new(
            self.src_w,
            u32::try_from(held).map_err(internal)?,
            &rest[..held * row_bytes],
            fr::PixelType::U8x3,
        )
        .map_err(internal)?;
        let options = fr::ResizeOptions::new()
            .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Box))
            .use_alpha(false)
            .crop(0.0, y0 - f64::from(first), f64::from(self.src_w), y1 - y0);
        let dst_w = self.dst.width();
        let mut band = fr::images::CroppedImageMut::new(&mut self.dst, 0, top, dst_w, rows)
            .map_err(internal)?;
        resizer
            .inner
            .resize(&view, &mut band, &options)
            .map_err(internal)
    }

    /// The output image and its scale (output pixels per source pixel, across and down).
    pub(crate) fn finish(self) -> (RgbImage, (f64, f64)) {
        let (w, h) = (self.dst.width(), self.dst.height());
        let scale = (
            f64::from(w) / f64::from(self.src_w),
            f64::from(h) / f64::from(self.src_h),
        );
        let image = RgbImage {
            width: w,
            height: h,
            pixels: self.dst.into_vec(),
        };
        (image, scale)
    }
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
