//! Decoding of probed PNG / JPEG / BMP bytes into upright 8-bit RGB pixels (alpha flattened on
//! white, EXIF orientation applied). Every decoder error or warning becomes `CorruptImage`.
//!
//! JPEG is decoded in `jpeg.rs` (libjpeg-turbo, shrunk on load: the caller says which scale is
//! enough, see `resize::min_source_scale`); PNG and BMP here.

use std::io::Cursor;

use image::ImageDecoder;
use image::codecs::bmp::BmpDecoder;
use image::metadata::Orientation;

use super::{Format, ImageError, Limits, budget, jpeg};

/// Budget for the png crate's internal buffers (rows, palette, chunk data); the output pixel
/// buffer is ours and already bounded by the pixel cap.
const PNG_INTERNAL_BYTES: usize = 64 * 1024 * 1024;

/// Upright, opaque, 8-bit RGB pixels, row-major, 3 bytes per pixel, no padding.
#[derive(Debug, Clone)]
pub(crate) struct RgbImage {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// A decoded image: upright pixels, possibly shrunk on load, and the upright size of the
/// original (which every rendition's geometry is computed from).
#[derive(Debug, Clone)]
pub(crate) struct Decoded {
    pub image: RgbImage,
    pub full_width: u32,
    pub full_height: u32,
    /// Pixels of `image` per pixel of the original, horizontally and vertically: a point `x`
    /// of the original is at `x * scale.0` in `image` (1 unless shrunk on load).
    pub scale: (f64, f64),
}

pub(crate) fn corrupt(what: &str, err: impl std::fmt::Display) -> ImageError {
    ImageError::CorruptImage(format!("{what}: {err}"))
}

/// Decodes `bytes` (already probed as `format` with header size `width x height`) once, at
/// full size (tests look at these pixels).
#[cfg(test)]
pub(crate) fn decode(
    bytes: &[u8],
    format: Format,
    width: u32,
    height: u32,
    limits: &Limits,
) -> Result<RgbImage, ImageError> {
    decode_scaled(bytes, format, width, height, limits, &|_, _| 1.0).map(|d| d.image)
}

/// Decodes `bytes` once. `min_scale(upright_width, upright_height)` returns the smallest
/// linear scale (of the upright original) that is still enough for every output; JPEG is then
/// decoded at the smallest N/8 (N = 1..=8) not below it. PNG and BMP are always decoded at full
/// size (`render` streams non-interlaced PNGs instead: `stream.rs`).
pub(crate) fn decode_scaled(
    bytes: &[u8],
    format: Format,
    width: u32,
    height: u32,
    limits: &Limits,
    min_scale: &dyn Fn(u32, u32) -> f64,
) -> Result<Decoded, ImageError> {
    let as_stored = |pixels| StoredPixels {
        pixels,
        width,
        height,
        scale: 1.0,
        orientation: Orientation::NoTransforms,
    };
    let stored = match format {
        Format::Jpeg => jpeg::decode_jpeg(bytes, width, height, min_scale)?,
        Format::Png => as_stored(decode_png(bytes, width, height)?),
        Format::Bmp => as_stored(decode_bmp(bytes, width, height, limits)?),
    };
    let expected = usize::try_from(u64::from(stored.width) * u64::from(stored.height) * 3).ok();
    if Some(stored.pixels.len()) != expected {
        return Err(ImageError::CorruptImage(
            "decoded pixel data does not match the header size".to_owned(),
        ));
    }
    let (full_width, full_height) = if swaps_sides(stored.orientation) {
        (height, width)
    } else {
        (width, height)
    };
    let image = orient(
        RgbImage {
            width: stored.width,
            height: stored.height,
            pixels: stored.pixels,
        },
        stored.orientation,
    )?;
    Ok(Decoded {
        image,
        full_width,
        full_height,
        scale: (stored.scale, stored.scale),
    })
}

/// Packed RGB pixels as stored (before EXIF orientation), possibly DCT-scaled by `scale`.
pub(crate) struct StoredPixels {
    pub pixels: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub scale: f64,
    pub orientation: Orientation,
}

pub(crate) fn check_dims(
    what: &str,
    got: (u64, u64),
    width: u32,
    height: u32,
) -> Result<(), ImageError> {
    if got != (u64::from(width), u64::from(height)) {
        return Err(ImageError::CorruptImage(format!(
            "{what}: decoder size {}x{} differs from the header size {width}x{height}",
            got.0, got.1
        )));
    }
    Ok(())
}

/// Orientations 5..=8 transpose the image: the upright width is the stored height.
pub(crate) fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// PNG through the png crate, the whole frame at once (see `png_reader` for the checks; render
/// streams non-interlaced PNGs row by row instead, `stream.rs`). PNG `eXIf` orientation is not
/// applied (as stored).
fn decode_png(bytes: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ImageError> {
    let mut reader = png_reader(bytes, width, height)?;
    let channels = png_channels(&reader)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| ImageError::CorruptImage("PNG: image is too big to decode".to_owned()))?;
    budget::check_decode_bytes(
        budget::full_size_bytes(width, height, channels as u64),
        width,
        height,
    )?;
    let mut buf = vec![0; size];
    let out = reader.next_frame(&mut buf).map_err(|e| corrupt("PNG", e))?;
    check_dims(
        "PNG",
        (u64::from(out.width), u64::from(out.height)),
        width,
        height,
    )?;
    to_rgb(buf, out.width, out.height, channels, out.line_size)
}

/// A png crate reader positioned at the pixel data of `bytes` (probed as `width x height`),
/// after every check that needs no pixel: CRCs of critical chunks are checked (a bad ancillary
/// chunk is skipped), text chunks (tEXt/zTXt/iTXt) and iCCP are never inflated, the decoder's
/// own buffers are capped (`PNG_INTERNAL_BYTES`), the palette is checked (`check_png_palette`)
/// and so is the length of the image data (`budget::check_png_data`). Rows come out with 16-bit
/// samples reduced to 8 bits and palettes / low bit depths / tRNS expanded.
pub(crate) fn png_reader(
    bytes: &[u8],
    width: u32,
    height: u32,
) -> Result<png::Reader<Cursor<&[u8]>>, ImageError> {
    let mut options = png::DecodeOptions::default();
    options.set_ignore_crc(false);
    options.set_skip_ancillary_crc_failures(true);
    options.set_ignore_text_chunk(true);
    options.set_ignore_iccp_chunk(true);
    let mut decoder = png::Decoder::new_with_options(Cursor::new(bytes), options);
    decoder.set_limits(png::Limits {
        bytes: PNG_INTERNAL_BYTES,
    });
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let reader = decoder.read_info().map_err(|e| corrupt("PNG", e))?;
    let (w, h) = reader.info().size();
    check_dims("PNG", (u64::from(w), u64::from(h)), width, height)?;
    check_png_palette(reader.info())?;
    let raw_row = u64::try_from(reader.info().raw_row_length()).unwrap_or(u64::MAX);
    budget::check_png_data(bytes, raw_row.saturating_mul(u64::from(h)))?;
    Ok(reader)
}

/// Bytes per pixel of the reader's output rows: 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA),
/// 8 bits each.
pub(crate) fn png_channels<R: std::io::BufRead + std::io::Seek>(
    reader: &png::Reader<R>,
) -> Result<usize, ImageError> {
    let (color, depth) = reader.output_color_type();
    if depth != png::BitDepth::Eight {
        return Err(ImageError::CorruptImage(
            "PNG: unexpected bit depth after expansion".to_owned(),
        ));
    }
    match color {
        png::ColorType::Grayscale => Ok(1),
        png::ColorType::GrayscaleAlpha => Ok(2),
        png::ColorType::Rgb => Ok(3),
        png::ColorType::Rgba => Ok(4),
        png::ColorType::Indexed => Err(ImageError::CorruptImage(
            "PNG: palette was not expanded".to_owned(),
        )),
    }
}

/// The palette of an indexed PNG must hold whole RGB entries (at most 256) and its tRNS no more
/// entries than the palette (PNG spec 11.2.3, 11.3.2.1). png 0.18.1 checks neither, and its
/// palette expansion panics on both (image-rs/image-png#694; found by `imaging/fuzz`); libpng
/// ignores such a tRNS with a warning, and warnings are errors here.
fn check_png_palette(info: &png::Info) -> Result<(), ImageError> {
    if info.color_type != png::ColorType::Indexed {
        return Ok(());
    }
    let palette = info.palette.as_deref().map_or(0, <[u8]>::len);
    let trns = info.trns.as_deref().map_or(0, <[u8]>::len);
    if palette == 0 || !palette.is_multiple_of(3) || palette > 3 * 256 {
        return Err(ImageError::CorruptImage(format!(
            "PNG: palette of {palette} bytes is not 1 to 256 RGB entries"
        )));
    }
    if trns > palette / 3 {
        return Err(ImageError::CorruptImage(format!(
            "PNG: tRNS has {trns} entries for a palette of {}",
            palette / 3
        )));
    }
    Ok(())
}

/// BMP through image's BmpDecoder (1/4/8-bit palettes, RLE4/RLE8, 16/24/32-bit, bitfields,
/// OS/2 core headers, top-down rows). 32-bit BI_RGB is read as RGB: its 4th byte is not alpha.
fn decode_bmp(
    bytes: &[u8],
    width: u32,
    height: u32,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    let mut decoder = BmpDecoder::new(Cursor::new(bytes)).map_err(|e| corrupt("BMP", e))?;
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(width);
    decoder_limits.max_image_height = Some(height);
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(4));
    decoder
        .set_limits(decoder_limits)
        .map_err(|e| corrupt("BMP", e))?;
    let (w, h) = decoder.dimensions();
    check_dims("BMP", (u64::from(w), u64::from(h)), width, height)?;
    let channels = match decoder.color_type() {
        image::ColorType::L8 => 1,
        image::ColorType::Rgb8 => 3,
        image::ColorType::Rgba8 => 4,
        other => {
            return Err(ImageError::CorruptImage(format!(
                "BMP: unexpected colour type {other:?}"
            )));
        }
    };
    budget::check_bmp_data(bytes, width, height)?;
    budget::check_decode_bytes(budget::full_size_bytes(w, h, channels as u64), w, h)?;
    let total = usize::try_from(decoder.total_bytes())
        .map_err(|_| ImageError::CorruptImage("BMP: image is too big to decode".to_owned()))?;
    let mut buf = vec![0; total];
    decoder
        .read_image(&mut buf)
        .map_err(|e| corrupt("BMP", e))?;
    let stride = usize::try_from(u64::from(w) * channels as u64)
        .map_err(|_| ImageError::CorruptImage("BMP: row is too long".to_owned()))?;
    to_rgb(buf, w, h, channels, stride)
}

/// Blends `value` over white with `alpha` (0 = transparent = white), rounding to nearest.
fn over_white(value: u8, alpha: u8) -> u8 {
    let (v, a) = (u32::from(value), u32::from(alpha));
    let blended = (v * a + 255 * (255 - a) + 127) / 255;
    u8::try_from(blended).unwrap_or(u8::MAX)
}

/// One gray / gray+alpha / RGB / RGBA pixel as RGB, alpha flattened on white (the one
/// conversion of both the full-frame and the row-by-row decodes).
pub(crate) fn pixel_to_rgb(px: &[u8]) -> [u8; 3] {
    match *px {
        [g] => [g, g, g],
        [g, a] => {
            let g = over_white(g, a);
            [g, g, g]
        }
        [r, g, b] => [r, g, b],
        [r, g, b, a] => [over_white(r, a), over_white(g, a), over_white(b, a)],
        _ => [0, 0, 0],
    }
}

/// Converts gray / gray+alpha / RGB / RGBA rows (`stride` bytes apart) to packed RGB,
/// flattening alpha on white. Packed input is converted in place (RGB is returned as is), so a
/// full-size image is never held twice.
fn to_rgb(
    mut buf: Vec<u8>,
    width: u32,
    height: u32,
    channels: usize,
    stride: usize,
) -> Result<Vec<u8>, ImageError> {
    let (w, h) = (width as usize, height as usize);
    let row_bytes = w * channels;
    if !(1..=4).contains(&channels)
        || stride < row_bytes
        || buf.len() < stride * (h.saturating_sub(1)) + row_bytes
    {
        return Err(ImageError::CorruptImage(
            "decoded buffer is shorter than the image".to_owned(),
        ));
    }
    if stride != row_bytes {
        // Padded rows (not produced by our decoders today): pack them first.
        let mut packed = Vec::with_capacity(row_bytes * h);
        for row in buf.chunks(stride).take(h) {
            packed.extend_from_slice(&row[..row_bytes]);
        }
        buf = packed;
    }
    let n = w * h;
    buf.truncate(n * channels);
    match channels {
        3 => {}
        4 => {
            // Shrinking: pixel i moves from 4i down to 3i; forwards never overwrites unread data.
            for i in 0..n {
                let rgb = pixel_to_rgb(&buf[4 * i..4 * i + 4]);
                buf[3 * i..3 * i + 3].copy_from_slice(&rgb);
            }
            buf.truncate(3 * n);
            buf.shrink_to_fit(); // gives the last quarter back before the box pre-shrink
        }
        _ => {
            // Growing: pixel i moves from i*channels up to 3i; backwards never overwrites
            // unread data.
            buf.resize(3 * n, 0);
            for i in (0..n).rev() {
                let rgb = pixel_to_rgb(&buf[i * channels..(i + 1) * channels]);
                buf[3 * i..3 * i + 3].copy_from_slice(&rgb);
            }
        }
    }
    Ok(buf)
}

/// Applies the EXIF orientation so the pixels are upright.
fn orient(image: RgbImage, orientation: Orientation) -> Result<RgbImage, ImageError> {
    if orientation == Orientation::NoTransforms {
        return Ok(image);
    }
    let buffer = image::RgbImage::from_raw(image.width, image.height, image.pixels)
        .ok_or_else(|| ImageError::CorruptImage("decoded buffer has the wrong size".to_owned()))?;
    let mut dynamic = image::DynamicImage::ImageRgb8(buffer);
    dynamic.apply_orientation(orientation);
    let upright = dynamic.into_rgb8();
    Ok(RgbImage {
        width: upright.width(),
        height: upright.height(),
        pixels: upright.into_raw(),
    })
}
