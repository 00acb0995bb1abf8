//! JPEG encoding of rendition pixels: baseline, quality 85, 4:2:0, and no metadata at all
//! (only the JFIF APP0 header jpeg-encoder always writes; no EXIF, ICC, XMP or COM).

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use super::ImageError;

/// Rendition JPEG quality.
pub(crate) const QUALITY: u8 = 85;

/// Encodes packed 8-bit RGB `width x height` pixels as a baseline JPEG.
pub(crate) fn encode_jpeg(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ImageError> {
    let too_big = || ImageError::CorruptImage("rendition is too large for JPEG".to_owned());
    let w = u16::try_from(width).map_err(|_| too_big())?;
    let h = u16::try_from(height).map_err(|_| too_big())?;
    let mut out = Vec::with_capacity(rgb.len() / 8 + 1024);
    let mut encoder = Encoder::new(&mut out, QUALITY);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.set_progressive(false);
    encoder
        .encode(rgb, w, h, ColorType::Rgb)
        .map_err(|e| ImageError::CorruptImage(format!("JPEG encoding failed: {e}")))?;
    Ok(out)
}
