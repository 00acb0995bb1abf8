//! The one decode `render` makes of an image, as small as its renditions allow, and the
//! row-by-row decoding of non-interlaced PNGs behind it.
//!
//! A non-interlaced PNG is decoded one row at a time (png's `Reader::read_row`), each row
//! converted to RGB, and the box pre-shrink (`resize::BoxShrink`) is made band by band from the
//! rows each band of output rows needs (about 64 times the box side): the same calls on the
//! same rows as `resize::pre_shrink` makes on the full-size decode, so the same pixels, and no
//! full-size image is ever held. A 100 MP PNG made into 600x600 renditions takes a few tens of
//! MB instead of 300-400 MB; the memory budget (`budget.rs`) caps what is held. Without an
//! integer box pre-shrink (renditions needing more than a quarter of the original's scale),
//! rows go straight into a full-size RGB image, 3 bytes a pixel for every colour type, when
//! that fits the budget, and through a fractional box to exactly the needed scale when not.
//!
//! Interlaced (Adam7) PNGs are decoded whole (`decode::decode_scaled`): every pass spans the
//! whole image, so no band of rows is complete before the last pass starts, and the passes
//! need the full-size image. Neither do BMPs stream (image's `BmpDecoder` has no row API; a
//! 100 MiB 24-bit BMP holds only ~35 MP, within the budget) nor JPEGs (shrunk on load).

use super::decode::{self, Decoded, RgbImage, corrupt};
use super::resize::{self, Resizer};
use super::{Format, ImageError, Limits, budget};

/// Decodes `bytes` (probed as `format`, `width x height` as stored) once, into an image no
/// larger than the renditions need: `needed(upright_width, upright_height)` is the smallest
/// scale of the upright original every rendition needs (`resize::min_source_scale`). Streams a
/// non-interlaced PNG; otherwise decodes (JPEG shrunk on load) and box-filters the result.
pub(crate) fn decode_shrunk(
    bytes: &[u8],
    format: Format,
    (width, height): (u32, u32),
    limits: &Limits,
    needed: &dyn Fn(u32, u32) -> f64,
    resizer: &mut Resizer,
) -> Result<Decoded, ImageError> {
    if format == Format::Png
        && let Some(decoded) =
            decode_png_rows(bytes, width, height, needed(width, height), resizer)?
    {
        return Ok(decoded);
    }
    let load_scale = |w, h| resize::load_scale(needed(w, h));
    let decoded = decode::decode_scaled(bytes, format, width, height, limits, &load_scale)?;
    let min_scale = needed(decoded.full_width, decoded.full_height);
    resize::pre_shrink(decoded, min_scale, resizer)
}

/// Decodes a non-interlaced PNG row by row, box-filtered to `resize::box_shrink_size` for
/// renditions needing `min_scale` of it (full size when that is `None`). `Ok(None)` for an
/// interlaced PNG. Every check of the full-frame decode applies (`decode::png_reader`), and so
/// does its end: the rest of the image data is read and must end the zlib stream.
pub(crate) fn decode_png_rows(
    bytes: &[u8],
    width: u32,
    height: u32,
    min_scale: f64,
    resizer: &mut Resizer,
) -> Result<Option<Decoded>, ImageError> {
    let mut reader = decode::png_reader(bytes, width, height)?;
    if reader.info().interlaced {
        return Ok(None);
    }
    let channels = decode::png_channels(&reader)?;
    let row_len = usize::try_from(u64::from(width) * channels as u64).map_err(|_| too_big())?;
    let mut row = zeroed(row_len).ok_or_else(too_big)?;
    let mut rows = Rows {
        reader: &mut reader,
        width,
        channels,
        scratch: &mut row,
    };
    let rgb_len = rows.rgb_len();
    let shrink_to = resize::box_shrink_size(width, height, 1.0, min_scale)
        .or_else(|| over_budget_shrink(rgb_len, width, height, min_scale));
    let (image, scale) = match shrink_to {
        Some((w, h)) => box_shrink(&mut rows, (height, w, h), resizer)?,
        None => (full_size(&mut rows, height)?, (1.0, 1.0)),
    };
    // One more row past the last one reads the rest of the image data, as a full-frame decode
    // does: a zlib stream that does not end there, or a bad IDAT CRC after it, is corrupt.
    match reader.read_row(&mut row) {
        Ok(None) => {}
        Ok(Some(_)) => {
            return Err(ImageError::CorruptImage(
                "PNG: more rows than the header declares".to_owned(),
            ));
        }
        Err(e) => return Err(corrupt("PNG", e)),
    }
    Ok(Some(Decoded {
        image,
        full_width: width,
        full_height: height,
        scale,
    }))
}

/// The decoder's rows, converted to packed RGB.
struct Rows<'a, 'b> {
    reader: &'a mut png::Reader<std::io::Cursor<&'b [u8]>>,
    width: u32,
    /// Bytes per pixel of the decoder's rows (1 to 4).
    channels: usize,
    /// One row as decoded (`width * channels` bytes).
    scratch: &'a mut [u8],
}

impl Rows<'_, '_> {
    /// Bytes of one packed RGB row.
    fn rgb_len(&self) -> usize {
        self.scratch.len() / self.channels * 3
    }

    /// Decodes the next row into `out` (packed RGB, the image width long).
    fn next(&mut self, out: &mut [u8]) -> Result<(), ImageError> {
        let into = if self.channels == 3 {
            &mut *out
        } else {
            &mut *self.scratch
        };
        match self.reader.read_row(into) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(ImageError::CorruptImage(
                    "PNG: fewer rows than the header declares".to_owned(),
                ));
            }
            Err(e) => return Err(corrupt("PNG", e)),
        }
        if self.channels != 3 {
            row_to_rgb(self.scratch, self.channels, out);
        }
        Ok(())
    }
}

/// Makes the box pre-shrink of the decoder's rows (`src_h` of them) to `dst_w x dst_h` band by
/// band, holding only the source rows of the band being made (consecutive bands may share a
/// row). Checks the memory budget before allocating.
fn box_shrink(
    rows: &mut Rows<'_, '_>,
    (src_h, dst_w, dst_h): (u32, u32, u32),
    resizer: &mut Resizer,
) -> Result<(RgbImage, (f64, f64)), ImageError> {
    let (src_w, rgb_len) = (rows.width, rows.rgb_len());
    let band_rows = resize::box_band_rows(src_w, src_h, dst_h);
    let band_bytes = resize::box_band_bytes(src_w, src_h, dst_h);
    budget::check_decode_bytes(
        budget::streamed_png_bytes(rgb_len, (dst_w, dst_h), band_bytes, band_rows),
        src_w,
        src_h,
    )?;
    let mut band = Vec::new();
    let held = usize::try_from(band_bytes).map_err(|_| too_big())?;
    band.try_reserve_exact(held).map_err(|_| too_big())?;
    let mut shrink = resize::BoxShrink::new(src_w, src_h, dst_w, dst_h);
    let (mut first, mut next, mut top) = (0u32, 0u32, 0u32);
    while top < dst_h {
        let n = band_rows.min(dst_h - top);
        let (from, end) = shrink.source_rows(top, n);
        if from > first {
            let drop = ((from - first) as usize * rgb_len).min(band.len());
            band.drain(..drop);
            first = from;
        }
        while next < end {
            let at = band.len();
            band.resize(at + rgb_len, 0);
            rows.next(&mut band[at..])?;
            next += 1;
        }
        shrink.band(resizer, &band, first, top, n)?;
        top += n;
    }
    if next < src_h {
        // The last band ends at the last row; should rounding ever leave rows, read them too.
        let mut spare = zeroed(rgb_len).ok_or_else(too_big)?;
        for _ in next..src_h {
            rows.next(&mut spare)?;
        }
    }
    Ok(shrink.finish())
}

/// When no integer box pre-shrink applies (a rendition needs more than half the original's
/// scale, e.g. a 4096-wide fit of a 100 MP image) but the full-size image would be over the
/// memory budget: the size a fractional box filter takes it to instead, exactly the scale the
/// renditions need (the final Lanczos3 pass is then close to 1:1, a little softer than from a
/// full-size image, rather than refused). `None` when the full-size image fits.
fn over_budget_shrink(
    rgb_len: usize,
    width: u32,
    height: u32,
    min_scale: f64,
) -> Option<(u32, u32)> {
    let whole = budget::streamed_png_bytes(rgb_len, (width, height), 0, 0);
    if whole <= budget::MAX_DECODE_BYTES || !(min_scale > 0.0 && min_scale < 1.0) {
        return None;
    }
    let w = (f64::from(width) * min_scale).ceil().max(1.0) as u32;
    let h = (f64::from(height) * min_scale).ceil().max(1.0) as u32;
    ((w, h) != (width, height)).then_some((w, h))
}

/// Decodes every row into a full-size RGB image (no box pre-shrink applies).
fn full_size(rows: &mut Rows<'_, '_>, height: u32) -> Result<RgbImage, ImageError> {
    let (width, rgb_len) = (rows.width, rows.rgb_len());
    budget::check_decode_bytes(
        budget::streamed_png_bytes(rgb_len, (width, height), 0, 0),
        width,
        height,
    )?;
    let len = rgb_len.checked_mul(height as usize).ok_or_else(too_big)?;
    let mut pixels = zeroed(len).ok_or_else(too_big)?;
    for out in pixels.chunks_exact_mut(rgb_len.max(1)) {
        rows.next(out)?;
    }
    Ok(RgbImage {
        width,
        height,
        pixels,
    })
}

fn too_big() -> ImageError {
    ImageError::CorruptImage("PNG: image is too big to decode".to_owned())
}

/// A zero-filled buffer of `len` bytes, or `None` when it cannot be allocated.
fn zeroed(len: usize) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len).ok()?;
    buf.resize(len, 0);
    Some(buf)
}

/// Converts one row of gray / gray+alpha / RGB / RGBA pixels to packed RGB, flattening alpha on
/// white exactly as the full-frame decode does (`decode::pixel_to_rgb`).
pub(crate) fn row_to_rgb(src: &[u8], channels: usize, dst: &mut [u8]) {
    if channels == 3 {
        dst.copy_from_slice(src);
        return;
    }
    for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(channels)) {
        d.copy_from_slice(&decode::pixel_to_rgb(s));
    }
}
