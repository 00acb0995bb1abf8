//! The memory budget of one decode, checked from the headers before any pixel buffer is
//! allocated (SECURITY.md: at most 256 MB per image): the decode's pixel buffers must fit
//! `MAX_DECODE_BYTES`, and a file's pixel data must be large enough to hold the pixels its header
//! declares, so that a small file claiming a large image is refused without allocating its size.

use super::{ImageError, chunks};

/// Largest total of the pixel and coefficient buffers one decode may allocate, leaving room
/// under 256 MB for the decoders' own state and the renditions.
///
/// - Non-interlaced PNGs are decoded row by row into the box pre-shrunk image (`stream.rs`),
///   which is at most a quarter of the original (75 MB at the 100 MP pixel cap). When their
///   renditions need more than a quarter of their scale (no integer box pre-shrink), they are
///   decoded whole if that fits (up to about 67 MP, 3 bytes a pixel whatever the colour type),
///   else box-filtered row by row to exactly the scale the renditions need: e.g. a 4096-wide
///   fit-inside rendition of a 100 MP image (50 MB). Only renditions needing more than ~80% of
///   a 100 MP image's scale (an 8192-wide fit of it) are refused `too_many_pixels`.
/// - Interlaced (Adam7) PNGs and BMPs are decoded at full size: about 67 MP for RGB, 50 MP for
///   RGBA or gray (whose conversion to RGB grows the buffer); larger ones `too_many_pixels`.
///   Adam7's passes each span the whole image, so its rows cannot be streamed; image's
///   BmpDecoder has no row API, and the byte cap keeps 24-bit BMPs to ~35 MP anyway.
/// - JPEGs are shrunk on load and rarely come near it (see `decode.rs` for the coefficients).
pub(crate) const MAX_DECODE_BYTES: u64 = 192 * 1024 * 1024;

/// Bytes per source column of the row buffers of a streamed PNG decode: the png crate's raw
/// and unfiltered rows (a few rows of up to 4 bytes a pixel, plus 128 KB) and our row of
/// decoded pixels (up to 4 bytes a pixel).
const STREAM_ROW_BYTES_PER_PIXEL: u64 = 32;

/// DEFLATE's largest expansion: a 258-byte match in a 2-bit code (1-bit length and distance
/// codes) is 1032 bytes out per byte in.
const MAX_DEFLATE_RATIO: u64 = 1032;

fn over_budget(width: u32, height: u32) -> ImageError {
    ImageError::OverDecodeBudget {
        width: u64::from(width),
        height: u64::from(height),
    }
}

/// Refuses a `width x height` decode whose buffers take more than `MAX_DECODE_BYTES`.
pub(crate) fn check_decode_bytes(bytes: u64, width: u32, height: u32) -> Result<(), ImageError> {
    if bytes > MAX_DECODE_BYTES {
        return Err(over_budget(width, height));
    }
    Ok(())
}

/// Peak bytes of a full-size decode into `channels` bytes per pixel, then converted to packed
/// RGB in place (growing a 1- or 2-channel buffer may copy it once).
pub(crate) fn full_size_bytes(width: u32, height: u32, channels: u64) -> u64 {
    let per_pixel = if channels >= 3 {
        channels
    } else {
        channels + 3
    };
    u64::from(width) * u64::from(height) * per_pixel
}

/// Peak bytes of a PNG decoded row by row (`stream.rs`), `rgb_row` bytes a row as RGB, into an
/// `out` RGB image (the box pre-shrunk size, or the full size): that image, the row buffers,
/// and for the box pre-shrink the `band_bytes` of source rows held and fast_image_resize's copy
/// of them shrunk to `band_rows` rows.
pub(crate) fn streamed_png_bytes(
    rgb_row: usize,
    out: (u32, u32),
    band_bytes: u64,
    band_rows: u32,
) -> u64 {
    let width = u64::try_from(rgb_row / 3).unwrap_or(u64::MAX);
    let row_bytes = STREAM_ROW_BYTES_PER_PIXEL + 3 * u64::from(band_rows);
    let rows = width.saturating_mul(row_bytes) + 128 * 1024;
    u64::from(out.0) * u64::from(out.1) * 3 + band_bytes + rows
}

/// Total length of a PNG's IDAT chunks (a bounds-checked chunk walk that allocates nothing).
fn png_idat_bytes(png: &[u8]) -> u64 {
    chunks::png_chunks(png)
        .filter(|c| &c.kind == b"IDAT")
        .map(|c| u64::from(c.len))
        .sum()
}

/// A PNG whose IDAT data could not inflate to `raw_bytes` (its filtered scanlines, as declared
/// by the header) even at DEFLATE's largest ratio is truncated: refused before its pixel buffer
/// is allocated.
pub(crate) fn check_png_data(png: &[u8], raw_bytes: u64) -> Result<(), ImageError> {
    let idat = png_idat_bytes(png);
    if idat.saturating_mul(MAX_DEFLATE_RATIO) < raw_bytes {
        return Err(ImageError::CorruptImage(format!(
            "PNG: {idat} bytes of image data cannot hold the {raw_bytes} bytes its header declares"
        )));
    }
    Ok(())
}

/// An uncompressed BMP (`BI_RGB`, `BI_BITFIELDS`, `BI_ALPHABITFIELDS`; RLE is left to the
/// decoder and the memory budget) whose file ends before its last row is truncated: refused
/// before its pixel buffer is allocated. Every row is padded to 4 bytes (the decoder reads the
/// last row's padding too).
pub(crate) fn check_bmp_data(bmp: &[u8], width: u32, height: u32) -> Result<(), ImageError> {
    let le16 = |at: usize| {
        bmp.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let le32 = |at: usize| {
        bmp.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(offset), Some(dib)) = (le32(10), le32(14)) else {
        return Ok(()); // the decoder reports the truncated header
    };
    let (bits, compression) = if dib == 12 {
        (le16(24), Some(0))
    } else {
        (le16(28), le32(30))
    };
    let (Some(bits), Some(0 | 3 | 6)) = (bits, compression) else {
        return Ok(());
    };
    if !matches!(bits, 1 | 4 | 8 | 16 | 24 | 32) {
        return Ok(());
    }
    let row = (u64::from(width) * u64::from(bits)).div_ceil(8);
    let needed = u64::from(offset) + row.next_multiple_of(4) * u64::from(height);
    let have = u64::try_from(bmp.len()).unwrap_or(u64::MAX);
    if have < needed {
        return Err(ImageError::CorruptImage(format!(
            "BMP: {have} bytes cannot hold the {needed} its header declares"
        )));
    }
    Ok(())
}
