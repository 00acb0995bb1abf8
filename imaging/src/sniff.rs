//! Format sniffing (magic bytes at offset 0) and header-only probing of dimensions, so that the
//! size and pixel caps are enforced before any decoder allocates a pixel buffer.

use super::{Format, ImageError, Limits};

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
const JPEG_SIGNATURE: &[u8; 3] = b"\xFF\xD8\xFF";
const BMP_SIGNATURE: &[u8; 2] = b"BM";

/// Identifies the format from the magic bytes at offset 0; never searches further into the data.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(PNG_SIGNATURE) {
        Some(Format::Png)
    } else if bytes.starts_with(JPEG_SIGNATURE) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(BMP_SIGNATURE) {
        Some(Format::Bmp)
    } else {
        None
    }
}

/// Size cap, sniff, header dimensions and pixel cap, in that order. No pixel data is touched.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<(Format, u32, u32), ImageError> {
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > limits.max_bytes {
        return Err(ImageError::TooLarge { bytes: len });
    }
    let format = sniff(bytes).ok_or(ImageError::UnsupportedFormat)?;
    let (width, height) = match format {
        Format::Png => png_dimensions(bytes)?,
        Format::Jpeg => jpeg_dimensions(bytes)?,
        Format::Bmp => bmp_dimensions(bytes)?,
    };
    check_pixels(width, height, limits)?;
    Ok((format, width, height))
}

/// Pixel cap: `width * height` (computed in u64, cannot overflow for u32 inputs) must not exceed
/// `limits.max_pixels`.
pub(crate) fn check_pixels(width: u32, height: u32, limits: &Limits) -> Result<(), ImageError> {
    let (w, h) = (u64::from(width), u64::from(height));
    if w * h > limits.max_pixels {
        return Err(ImageError::TooManyPixels {
            width: w,
            height: h,
        });
    }
    Ok(())
}

fn corrupt(msg: &str) -> ImageError {
    ImageError::CorruptImage(msg.to_owned())
}

fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn le_i32(bytes: &[u8], at: usize) -> Option<i32> {
    le_u32(bytes, at).map(|v| i32::from_le_bytes(v.to_le_bytes()))
}

/// PNG: the first chunk must be a 13-byte IHDR with sane fields (PNG spec 11.2.2).
fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    let truncated = || corrupt("PNG header is truncated");
    if be_u32(bytes, 8).ok_or_else(truncated)? != 13 || bytes.get(12..16) != Some(b"IHDR") {
        return Err(corrupt("PNG does not start with a valid IHDR chunk"));
    }
    let width = be_u32(bytes, 16).ok_or_else(truncated)?;
    let height = be_u32(bytes, 20).ok_or_else(truncated)?;
    let fields = bytes.get(24..29).ok_or_else(truncated)?;
    let (depth, colour, compression, filter, interlace) =
        (fields[0], fields[1], fields[2], fields[3], fields[4]);
    const MAX_DIM: u32 = i32::MAX as u32;
    if width == 0 || height == 0 || width > MAX_DIM || height > MAX_DIM {
        return Err(corrupt("PNG width or height is 0 or out of range"));
    }
    let depth_ok = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    if !depth_ok {
        return Err(corrupt(
            "PNG colour type / bit depth combination is invalid",
        ));
    }
    if compression != 0 || filter != 0 || interlace > 1 {
        return Err(corrupt(
            "PNG compression, filter or interlace method is invalid",
        ));
    }
    Ok((width, height))
}

/// JPEG: walk the marker segments after SOI up to the first SOFn and read its dimensions.
/// Every segment length is checked against the data; nothing is allocated.
fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    let mut pos = 2; // after SOI
    loop {
        // A marker is one or more 0xFF fill bytes followed by the marker code.
        if bytes.get(pos) != Some(&0xFF) {
            return Err(if pos >= bytes.len() {
                corrupt("JPEG ends before its frame header")
            } else {
                corrupt("JPEG marker expected but not found")
            });
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes
            .get(pos)
            .ok_or_else(|| corrupt("JPEG ends before its frame header"))?;
        pos += 1;
        match marker {
            // Standalone markers carry no length (TEM, RSTn); tolerate them.
            0x01 | 0xD0..=0xD7 => continue,
            0x00 | 0xD8 | 0xD9 | 0xDA => {
                return Err(corrupt("JPEG has no frame header before its scan data"));
            }
            _ => {}
        }
        let length = usize::from(
            be_u16(bytes, pos).ok_or_else(|| corrupt("JPEG segment length is truncated"))?,
        );
        if length < 2 {
            return Err(corrupt("JPEG segment length is too small"));
        }
        let end = pos + length;
        if end > bytes.len() {
            return Err(corrupt("JPEG segment runs past the end of the data"));
        }
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            // length(2) precision(1) height(2) width(2) components(1) + 3 per component
            let components = usize::from(*bytes.get(pos + 7).unwrap_or(&0));
            if length < 8 || components == 0 || length < 8 + 3 * components {
                return Err(corrupt("JPEG frame header is too short"));
            }
            let height = be_u16(bytes, pos + 3).unwrap_or(0);
            let width = be_u16(bytes, pos + 5).unwrap_or(0);
            if height == 0 {
                return Err(corrupt(
                    "JPEG frame height is 0 (DNL-deferred height is not supported)",
                ));
            }
            if width == 0 {
                return Err(corrupt("JPEG frame width is 0"));
            }
            return Ok((u32::from(width), u32::from(height)));
        }
        pos = end;
    }
}

/// BMP: 14-byte file header, then a DIB header: 12-byte BITMAPCOREHEADER (u16 dims) or a
/// BITMAPINFOHEADER family member (i32 dims; negative height = top-down rows).
fn bmp_dimensions(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    let truncated = || corrupt("BMP header is truncated");
    let dib_size = le_u32(bytes, 14).ok_or_else(truncated)?;
    match dib_size {
        12 => {
            let width = le_u16(bytes, 18).ok_or_else(truncated)?;
            let height = le_u16(bytes, 20).ok_or_else(truncated)?;
            if width == 0 || height == 0 {
                return Err(corrupt("BMP width or height is 0"));
            }
            Ok((u32::from(width), u32::from(height)))
        }
        40 | 52 | 56 | 108 | 124 => {
            let width = le_i32(bytes, 18).ok_or_else(truncated)?;
            let height = le_i32(bytes, 22).ok_or_else(truncated)?;
            if bytes.len() < 14 + 40 {
                return Err(truncated());
            }
            if width <= 0 {
                return Err(corrupt("BMP width is 0 or negative"));
            }
            if height == 0 || height == i32::MIN {
                return Err(corrupt("BMP height is 0 or out of range"));
            }
            // unsigned_abs cannot overflow (i32::MIN was rejected above anyway).
            Ok((width.unsigned_abs(), height.unsigned_abs()))
        }
        _ => Err(corrupt("BMP DIB header size is not a known header type")),
    }
}
