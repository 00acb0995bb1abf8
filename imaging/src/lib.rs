//! Image pipeline public API: sniff, probe (header-only checks) and render (one decode, then
//! every requested JPEG rendition from the same upright RGB pixels).
//!
//! Its own crate so that it builds, tests and fuzzes (`fuzz/`, see `.ci/fuzz.sh`) without the
//! rest of the service; the `imagegram` crate re-exports it as `imagegram::imaging`.
//!
//! Security properties (see ../shared/SECURITY.md, "Image inputs"):
//! - the format comes from the magic bytes at offset 0 only, allowlist PNG / JPEG / BMP;
//! - the byte cap and the pixel cap are checked from the header before any decoder allocates,
//!   and so is the memory budget of the decode (`budget.rs`: 192 MiB of pixel and coefficient
//!   buffers). Non-interlaced PNGs are decoded row by row into the box pre-shrunk image
//!   (`stream.rs`), so every one up to the pixel cap fits (unless a rendition needs ~80% of a
//!   100 MP image's scale); full-size decodes of interlaced PNGs and BMPs are capped at about
//!   67 MP for RGB, 50 MP for RGBA (`OverDecodeBudget`, code `too_many_pixels`). A
//!   PNG or uncompressed BMP too short for the pixels it declares is refused before allocating;
//! - decoder warnings are errors (libjpeg-turbo warnings fail the decode, PNG critical-chunk
//!   CRCs are checked), the number of JPEG scans is capped, PNG text chunks are never inflated
//!   and an ICC profile only up to 1 MiB (`color.rs`);
//! - renditions are re-encoded from pixels only: no EXIF, ICC, XMP, COM or trailer survives.
//!
//! Colour management (`color.rs`): an embedded RGB ICC profile (JPEG APP2, PNG iCCP; at most
//! 1 MiB, inflated under that cap) is converted to sRGB with qcms on the shrunk intermediate, and
//! the renditions carry no profile, so they are sRGB as browsers assume. sRGB profiles are
//! detected (the transform is an identity) and skipped; gray and CMYK profiles, unreadable
//! profiles and BMP colour spaces are ignored (pixels taken as sRGB). Alpha is flattened on
//! white. CMYK/YCCK JPEGs are converted naively (Adobe inverted CMYK), without a profile.
//! Renditions of several sizes are resampled largest first, and a smaller whole-picture one is
//! made from a larger one when that has about twice its pixels (`chain::CHAIN_MARGIN`).

mod geometry;
mod sniff;

// Decoding, resampling and encoding: the `render` feature (on by default).
#[cfg(feature = "render")]
mod budget;
#[cfg(feature = "render")]
mod chain;
#[cfg(feature = "render")]
mod chunks;
#[cfg(feature = "render")]
mod color;
#[cfg(feature = "render")]
mod decode;
#[cfg(feature = "render")]
mod encode;
#[cfg(feature = "render")]
mod jpeg;
#[cfg(feature = "render")]
mod placeholder;
#[cfg(feature = "render")]
mod resize;
#[cfg(feature = "render")]
mod stream;

#[cfg(all(test, feature = "render"))]
mod tests;

#[cfg(feature = "render")]
pub use placeholder::Placeholder;
pub use sniff::sniff;

/// Largest side, in pixels, of any rendition; wider or taller requests are clamped to it, and
/// `Size::Height` renditions whose width would follow the aspect ratio beyond it are cropped.
pub const MAX_RENDITION_SIDE: u32 = 8192;

/// Resource caps applied before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes (`too_large` above it).
    pub max_bytes: u64,
    /// Largest accepted `width * height` declared by the header (`too_many_pixels` above it).
    pub max_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 104_857_600,
            max_pixels: 100_000_000,
        }
    }
}

/// Accepted input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Bmp,
}

impl Format {
    /// The MIME type to serve an original of this format with (always with `nosniff`).
    pub fn mime(&self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Bmp => "image/bmp",
        }
    }
}

/// Why an input was refused. All variants are client errors (4xx).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ImageError {
    #[error("unsupported image format: only PNG, JPEG and BMP are accepted")]
    UnsupportedFormat,
    #[error("corrupt image: {0}")]
    CorruptImage(String),
    #[error("image has too many pixels: {width}x{height} exceeds the pixel limit")]
    TooManyPixels { width: u64, height: u64 },
    /// Within the pixel cap, but its decode would need more memory than one image may take
    /// (an interlaced PNG, a BMP or a progressive JPEG of roughly 50-70 MP and more).
    #[error(
        "image is too large to decode: {width}x{height} in this encoding needs more memory than \
         one image may take; a baseline JPEG or a non-interlaced PNG of this size is accepted"
    )]
    OverDecodeBudget { width: u64, height: u64 },
    #[error("image is too large: {bytes} bytes exceeds the size limit")]
    TooLarge { bytes: u64 },
}

impl ImageError {
    /// Stable machine-readable code used in API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            ImageError::UnsupportedFormat => "unsupported_format",
            ImageError::CorruptImage(_) => "corrupt_image",
            ImageError::TooManyPixels { .. } | ImageError::OverDecodeBudget { .. } => {
                "too_many_pixels"
            }
            ImageError::TooLarge { .. } => "too_large",
        }
    }
}

/// Geometry of one rendition. Every side is clamped to `1..=MAX_RENDITION_SIDE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Scale to cover the box, then centre-crop to exactly `width x height` (may upscale).
    Cover { width: u32, height: u32 },
    /// Fit inside the box keeping the aspect ratio; never enlarged; at least 1 px per side.
    Inside { width: u32, height: u32 },
    /// Exactly this high; the width follows the aspect ratio (rounded, at least 1 px) but is
    /// capped at `MAX_RENDITION_SIDE`: a wider result is centre-cropped to that width.
    Height(u32),
}

/// A named rendition request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenditionSpec {
    pub name: String,
    pub size: Size,
}

/// One encoded rendition: a baseline JPEG without any metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// Result of [`render`]: `width`/`height` are the upright source size (after EXIF orientation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub renditions: Vec<Rendition>,
    /// The placeholder of the first rendition of the specs (the feed crop, for the service).
    #[cfg(feature = "render")]
    pub placeholder: Option<Placeholder>,
}

/// The placeholder of RGB pixels (`width x height`, 3 bytes per pixel): what [`render`] makes
/// of its first rendition.
#[cfg(feature = "render")]
pub fn placeholder_of(rgb: &[u8], width: u32, height: u32) -> Result<Placeholder, ImageError> {
    if rgb.len() != width as usize * height as usize * 3 {
        return Err(ImageError::CorruptImage(
            "pixel buffer does not match its size".into(),
        ));
    }
    placeholder::of_rgb(&mut resize::Resizer::new(), rgb, width, height)
}

/// The size `size` gives for an upright source of `width x height` (what [`render`] would make).
pub fn output_size(width: u32, height: u32, size: Size) -> (u32, u32) {
    let plan = geometry::plan(width, height, size);
    (plan.width, plan.height)
}

/// Sniffs the format and reads the header dimensions (as stored, before EXIF orientation),
/// enforcing the byte and pixel caps. Decodes no pixel data.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<(Format, u32, u32), ImageError> {
    sniff::probe(bytes, limits)
}

/// Decodes `bytes` once (after [`probe`]) and produces every rendition of `specs` from the
/// upright 8-bit RGB pixels (the `render` feature). JPEGs are shrunk on load (DCT scaling) to the smallest N/8 that
/// still gives the largest rendition at least its own size in source pixels; an image still
/// far larger than needed (PNG, BMP) is box-filtered once to about twice the needed size (a
/// non-interlaced PNG while it is decoded, row by row), and every rendition is then resampled
/// with Lanczos3 from that.
#[cfg(feature = "render")]
pub fn render(
    bytes: &[u8],
    limits: &Limits,
    specs: &[RenditionSpec],
) -> Result<Rendered, ImageError> {
    let (format, width, height) = probe(bytes, limits)?;
    let sizes = || specs.iter().map(|s| s.size);
    let needed = |w: u32, h: u32| resize::min_source_scale(w, h, sizes());
    let mut resizer = resize::Resizer::new();
    // Defence in depth: a decoder panic on hostile input becomes `corrupt_image`, not a crash
    // of the worker (this only helps when built with `panic = "unwind"`).
    let mut decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        stream::decode_shrunk(
            bytes,
            format,
            (width, height),
            limits,
            &needed,
            &mut resizer,
        )
    }))
    .map_err(|_| ImageError::CorruptImage("the decoder failed on this image".to_owned()))??;
    if let Some(transform) =
        color::embedded_profile(bytes, format).and_then(|icc| color::to_srgb(&icc))
    {
        transform.apply(&mut decoded.image.pixels);
    }
    let mut encoder = encode::Encoder::new()?;
    let mut renditions: Vec<Option<Rendition>> = vec![None; specs.len()];
    // Largest first, so that a small thumbnail can be resampled from a larger whole-picture
    // rendition already made (a 200-high from the 400-high) instead of the large intermediate.
    let mut made: Vec<decode::Decoded> = Vec::new();
    let mut placeholder = None;
    for i in chain::largest_first(decoded.full_width, decoded.full_height, sizes()) {
        let spec = &specs[i];
        let source = chain::smallest_source(&decoded, &made, spec.size);
        let (rgb, w, h) = resizer.render(source, spec.size)?;
        let jpeg = encoder.encode(&rgb, w, h)?;
        if i == 0 {
            placeholder = Some(placeholder::of_rgb(&mut resizer, &rgb, w, h)?);
        }
        if let Some(whole) = chain::as_source(&decoded, spec.size, rgb, w, h) {
            made.push(whole);
        }
        renditions[i] = Some(Rendition {
            name: spec.name.clone(),
            width: w,
            height: h,
            jpeg,
        });
    }
    let renditions = renditions.into_iter().flatten().collect();
    Ok(Rendered {
        format,
        width: decoded.full_width,
        height: decoded.full_height,
        renditions,
        placeholder,
    })
}
