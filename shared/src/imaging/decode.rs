//! Decoding of probed PNG / JPEG / BMP bytes into upright 8-bit RGB pixels (alpha flattened on
//! white, EXIF orientation applied). Every decoder error or warning becomes `CorruptImage`.

use std::io::Cursor;

use image::ImageDecoder;
use image::codecs::bmp::BmpDecoder;
use image::metadata::Orientation;
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use super::{Format, ImageError, Limits};

/// Progressive JPEG scan cap: libjpeg's default script uses ~10 scans, mozjpeg's a few dozen.
/// A "scan bomb" repeats scans thousands of times to burn CPU; it is refused at this count.
const MAX_JPEG_SCANS: usize = 100;

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

fn corrupt(what: &str, err: impl std::fmt::Display) -> ImageError {
    ImageError::CorruptImage(format!("{what}: {err}"))
}

/// Decodes `bytes` (already probed as `format` with header size `width x height`) once.
pub(crate) fn decode(
    bytes: &[u8],
    format: Format,
    width: u32,
    height: u32,
    limits: &Limits,
) -> Result<RgbImage, ImageError> {
    let (pixels, orientation) = match format {
        Format::Jpeg => decode_jpeg(bytes, width, height)?,
        Format::Png => (decode_png(bytes, width, height)?, Orientation::NoTransforms),
        Format::Bmp => (
            decode_bmp(bytes, width, height, limits)?,
            Orientation::NoTransforms,
        ),
    };
    let expected = usize::try_from(u64::from(width) * u64::from(height) * 3).ok();
    if Some(pixels.len()) != expected {
        return Err(ImageError::CorruptImage(
            "decoded pixel data does not match the header size".to_owned(),
        ));
    }
    orient(
        RgbImage {
            width,
            height,
            pixels,
        },
        orientation,
    )
}

fn check_dims(what: &str, got: (u64, u64), width: u32, height: u32) -> Result<(), ImageError> {
    if got != (u64::from(width), u64::from(height)) {
        return Err(ImageError::CorruptImage(format!(
            "{what}: decoder size {}x{} differs from the header size {width}x{height}",
            got.0, got.1
        )));
    }
    Ok(())
}

/// JPEG through zune-jpeg in strict mode: truncated or corrupt entropy-coded data is an error
/// (libjpeg would only warn and pad with grey). Gray, YCbCr, CMYK and YCCK all come out as RGB;
/// zune-jpeg treats 4-component data as Adobe-inverted CMYK, which is what Photoshop writes.
fn decode_jpeg(
    bytes: &[u8],
    width: u32,
    height: u32,
) -> Result<(Vec<u8>, Orientation), ImageError> {
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX))
        .jpeg_set_max_scans(MAX_JPEG_SCANS)
        .jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(|e| corrupt("JPEG", e))?;
    let (w, h) = decoder
        .dimensions()
        .ok_or_else(|| ImageError::CorruptImage("JPEG: no frame header".to_owned()))?;
    check_dims("JPEG", (w as u64, h as u64), width, height)?;
    if decoder.output_colorspace() != Some(ColorSpace::RGB) {
        return Err(ImageError::CorruptImage(
            "JPEG: colour space cannot be converted to RGB".to_owned(),
        ));
    }
    // `from_exif_chunk` reads IFD0 only, with bounds-checked reads: no IFD chains are followed,
    // so self-referencing IFDs or huge counts cannot hang or allocate. An absent or invalid
    // (0 or > 8) orientation means "as stored", as browsers do.
    let orientation = decoder
        .exif()
        .and_then(|exif| Orientation::from_exif_chunk(exif))
        .unwrap_or(Orientation::NoTransforms);
    let pixels = decoder.decode().map_err(|e| corrupt("JPEG", e))?;
    Ok((pixels, orientation))
}

/// PNG through the png crate: CRCs of critical chunks are checked (a bad ancillary chunk is
/// skipped), text chunks (tEXt/zTXt/iTXt) and iCCP are never inflated, 16-bit samples are
/// reduced to 8 bits, palettes / low bit depths / tRNS are expanded. PNG `eXIf` orientation is
/// not applied (as stored).
fn decode_png(bytes: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ImageError> {
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
    let mut reader = decoder.read_info().map_err(|e| corrupt("PNG", e))?;
    let (w, h) = reader.info().size();
    check_dims("PNG", (u64::from(w), u64::from(h)), width, height)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| ImageError::CorruptImage("PNG: image is too big to decode".to_owned()))?;
    let mut buf = vec![0; size];
    let out = reader.next_frame(&mut buf).map_err(|e| corrupt("PNG", e))?;
    check_dims(
        "PNG",
        (u64::from(out.width), u64::from(out.height)),
        width,
        height,
    )?;
    if out.bit_depth != png::BitDepth::Eight {
        return Err(ImageError::CorruptImage(
            "PNG: unexpected bit depth after expansion".to_owned(),
        ));
    }
    let channels = match out.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => {
            return Err(ImageError::CorruptImage(
                "PNG: palette was not expanded".to_owned(),
            ));
        }
    };
    to_rgb(buf, out.width, out.height, channels, out.line_size)
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

/// Converts gray / gray+alpha / RGB / RGBA rows (`stride` bytes apart) to packed RGB,
/// flattening alpha on white. Packed RGB input is returned as is (no second copy).
fn to_rgb(
    mut buf: Vec<u8>,
    width: u32,
    height: u32,
    channels: usize,
    stride: usize,
) -> Result<Vec<u8>, ImageError> {
    let (w, h) = (width as usize, height as usize);
    let row_bytes = w * channels;
    if stride < row_bytes || buf.len() < stride * (h.saturating_sub(1)) + row_bytes {
        return Err(ImageError::CorruptImage(
            "decoded buffer is shorter than the image".to_owned(),
        ));
    }
    if channels == 3 && stride == row_bytes {
        buf.truncate(row_bytes * h);
        return Ok(buf);
    }
    let mut out = Vec::with_capacity(w * h * 3);
    for row in buf.chunks(stride).take(h) {
        for px in row[..row_bytes].chunks_exact(channels) {
            match *px {
                [g] => out.extend_from_slice(&[g, g, g]),
                [g, a] => {
                    let g = over_white(g, a);
                    out.extend_from_slice(&[g, g, g]);
                }
                [r, g, b] => out.extend_from_slice(&[r, g, b]),
                [r, g, b, a] => {
                    out.extend_from_slice(&[over_white(r, a), over_white(g, a), over_white(b, a)])
                }
                _ => {}
            }
        }
    }
    Ok(out)
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
