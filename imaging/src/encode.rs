//! JPEG encoding of rendition pixels with libjpeg-turbo: baseline (sequential, Huffman, not
//! progressive), quality 85, 4:2:0, and no metadata at all (only the JFIF APP0 header TurboJPEG
//! always writes; no EXIF, ICC, XMP or COM).

use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

use super::ImageError;

/// Rendition JPEG quality.
pub(crate) const QUALITY: i32 = 85;

/// Reusable encoder (one TurboJPEG instance for all the renditions of an image).
pub(crate) struct Encoder {
    inner: Compressor,
}

fn failed(err: impl std::fmt::Display) -> ImageError {
    ImageError::CorruptImage(format!("JPEG encoding failed: {err}"))
}

impl Encoder {
    pub(crate) fn new() -> Result<Self, ImageError> {
        let mut inner = Compressor::new().map_err(failed)?;
        inner.set_quality(QUALITY).map_err(failed)?;
        inner.set_subsamp(Subsamp::Sub2x2).map_err(failed)?;
        inner.set_progressive(false).map_err(failed)?;
        inner.set_optimize(false).map_err(failed)?;
        Ok(Self { inner })
    }

    /// Encodes packed 8-bit RGB `width x height` pixels as a baseline JPEG.
    pub(crate) fn encode(
        &mut self,
        rgb: &[u8],
        width: u32,
        height: u32,
    ) -> Result<Vec<u8>, ImageError> {
        let too_big = || ImageError::CorruptImage("rendition is too large for JPEG".to_owned());
        let w = usize::from(u16::try_from(width).map_err(|_| too_big())?);
        let h = usize::from(u16::try_from(height).map_err(|_| too_big())?);
        if w == 0 || h == 0 || rgb.len() != w * h * 3 {
            return Err(failed("pixel buffer does not match the rendition size"));
        }
        let image = Image {
            pixels: rgb,
            width: w,
            pitch: w * 3,
            height: h,
            format: PixelFormat::RGB,
        };
        self.inner.compress_to_vec(image).map_err(failed)
    }
}
