//! Decoding of probed PNG / JPEG / BMP bytes into upright 8-bit RGB pixels (alpha flattened on
//! white, EXIF orientation applied). Every decoder error or warning becomes `CorruptImage`.
//!
//! JPEG goes through libjpeg-turbo (TurboJPEG 3 API, `turbojpeg` crate) with shrink-on-load:
//! the DCT is scaled by N/8 while decoding, so a 48 MP photo made into a 600x600 post is never
//! decoded at full size. The caller says which scale is enough (see `resize::min_source_scale`).

use std::io::Cursor;

use image::ImageDecoder;
use image::codecs::bmp::BmpDecoder;
use image::metadata::Orientation;
use turbojpeg::{Colorspace, Decompressor, PixelFormat, ScalingFactor};

use super::{Format, ImageError, Limits, budget, chunks};

/// Progressive JPEG scan cap: libjpeg's default script uses ~10 scans, mozjpeg's a few dozen.
/// A "scan bomb" repeats scans thousands of times to burn CPU; it is refused at this count.
const MAX_JPEG_SCANS: u32 = 100;

/// Every scan of a multi-scan JPEG is a pass over the blocks of its components (~40 ns a block
/// on one core), so large images get fewer scans: at most this many block passes in all, e.g.
/// 42 scans for 48 MP at 4:2:0, 30 at the coefficient budget, 100 up to 20 MP.
/// bench/imaging_budget.py measured 100 scans of 48 MP at 1.8 s on a quiet core and 4.9 s on
/// one shared with builds: too close to the 5 s budget (and Lambda cores are slower).
const MAX_JPEG_SCAN_BLOCKS: u64 = 48_000_000;

/// The scan limit for a JPEG whose multi-scan coefficient buffer takes `coefficient_bytes`
/// (128 bytes a block; 0 for single-scan images, which get `MAX_JPEG_SCANS`).
pub(crate) fn jpeg_scan_limit(coefficient_bytes: u64) -> u32 {
    let blocks = (coefficient_bytes / 128).max(1);
    u32::try_from(MAX_JPEG_SCAN_BLOCKS / blocks).map_or(MAX_JPEG_SCANS, |n| n.min(MAX_JPEG_SCANS))
}

/// Cap on libjpeg's whole-image coefficient buffer (progressive and multi-scan JPEGs only), so
/// that one image stays well under SECURITY.md's 256 MB: 192 MiB is a 64 MP progressive 4:2:0
/// photo, 32 MP at 4:4:4. Larger ones are refused as `too_many_pixels`.
const MAX_JPEG_COEFFICIENT_BYTES: u64 = 192 * 1024 * 1024;

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
        Format::Jpeg => decode_jpeg(bytes, width, height, min_scale)?,
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
struct StoredPixels {
    pixels: Vec<u8>,
    width: u32,
    height: u32,
    scale: f64,
    orientation: Orientation,
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

/// Orientations 5..=8 transpose the image: the upright width is the stored height.
fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// What the JPEG marker segments before the first scan say, beyond the frame size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct JpegHeaders {
    pub orientation: Orientation,
    /// Bytes of the whole-image DCT coefficient buffer libjpeg allocates for a progressive or
    /// multi-scan (non-interleaved) image, whatever the output scale; 0 for single-scan images,
    /// which are decoded one MCU row at a time.
    pub coefficient_bytes: u64,
}

/// Walks the marker segments from SOI to the first SOS with bounds-checked lengths (allocating
/// nothing) and reads:
/// - the EXIF orientation of the first APP1 `Exif` segment; `from_exif_chunk` reads IFD0 only
///   (no IFD chains are followed, so self-referencing IFDs or huge counts cannot hang or
///   allocate); an absent or invalid (0 or > 8) orientation means "as stored", as browsers do;
/// - the frame's components and the first scan's, to size libjpeg's coefficient buffer.
pub(crate) fn jpeg_headers(bytes: &[u8]) -> JpegHeaders {
    let mut orientation = None;
    let mut frame: Option<(u8, &[u8])> = None;
    let mut first_scan_components = None;
    for (marker, segment) in chunks::jpeg_segments(bytes) {
        match marker {
            0xE1 if orientation.is_none() && segment.starts_with(b"Exif\0\0") => {
                orientation = Some(
                    Orientation::from_exif_chunk(&segment[6..])
                        .unwrap_or(Orientation::NoTransforms),
                );
            }
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) && frame.is_none() => {
                frame = Some((marker, segment));
            }
            0xDA => first_scan_components = segment.first().copied(),
            _ => {}
        }
    }
    JpegHeaders {
        orientation: orientation.unwrap_or(Orientation::NoTransforms),
        coefficient_bytes: frame.map_or(0, |(marker, sof)| {
            coefficient_bytes(marker, sof, first_scan_components)
        }),
    }
}

/// libjpeg's full-image coefficient buffer (jdcoefct.c): for every component, its blocks
/// rounded up to whole MCUs, 64 coefficients of 2 bytes each. Only multi-scan DCT images
/// (progressive, or a first scan that does not hold every component) need one.
fn coefficient_bytes(marker: u8, sof: &[u8], first_scan_components: Option<u8>) -> u64 {
    // SOF payload: precision(1) height(2) width(2) components(1), then 3 bytes per component.
    let be16 = |at: usize| {
        sof.get(at..at + 2)
            .map(|b| u64::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let (Some(height), Some(width), Some(&n)) = (be16(1), be16(3), sof.get(5)) else {
        return 0;
    };
    let lossless = matches!(marker, 0xC3 | 0xC7 | 0xCB | 0xCF);
    let progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
    let multi_scan = progressive || first_scan_components.is_some_and(|s| s < n);
    if lossless || !multi_scan {
        return 0;
    }
    let sampling: Vec<(u64, u64)> = sof
        .get(6..)
        .unwrap_or_default()
        .chunks_exact(3)
        .take(usize::from(n))
        .map(|c| (u64::from(c[1] >> 4).max(1), u64::from(c[1] & 15).max(1)))
        .collect();
    let hmax = sampling.iter().map(|s| s.0).max().unwrap_or(1);
    let vmax = sampling.iter().map(|s| s.1).max().unwrap_or(1);
    sampling
        .iter()
        .map(|&(h, v)| {
            let blocks_w = (width * h).div_ceil(8 * hmax).next_multiple_of(h);
            let blocks_h = (height * v).div_ceil(8 * vmax).next_multiple_of(v);
            blocks_w * blocks_h * 128
        })
        .sum()
}

fn tj(err: turbojpeg::Error) -> ImageError {
    corrupt("JPEG", err)
}

/// The smallest N/8 (N = 1..=8) that is at least `min_scale` (1/1 when nothing smaller is).
pub(crate) fn jpeg_scale(min_scale: f64) -> ScalingFactor {
    (1..8)
        .find(|&n| n as f64 / 8.0 >= min_scale)
        .map_or(ScalingFactor::ONE, |n| ScalingFactor::new(n, 8))
}

/// JPEG through libjpeg-turbo, DCT-scaled by the smallest N/8 the caller allows. Strictness:
/// TurboJPEG reports a libjpeg *warning* (truncated data, "bad Huffman code", extraneous bytes)
/// as a failed call once the image is decoded (`tj3Decompress8` returns -1 with
/// `TJERR_WARNING`), and every failure here is `corrupt_image`, so warnings are errors. The
/// number of scans is capped (`TJPARAM_SCANLIMIT`, fewer for larger images: see
/// `jpeg_scan_limit`), which stops progressive scan bombs early,
/// and so is the coefficient buffer of multi-scan images (see `MAX_JPEG_COEFFICIENT_BYTES`).
/// Gray, YCbCr and RGB come out as RGB from libjpeg; CMYK and YCCK come out as CMYK and are
/// converted here as Adobe-inverted CMYK (what Photoshop writes), without a profile.
fn decode_jpeg(
    bytes: &[u8],
    width: u32,
    height: u32,
    min_scale: &dyn Fn(u32, u32) -> f64,
) -> Result<StoredPixels, ImageError> {
    let headers = jpeg_headers(bytes);
    if headers.coefficient_bytes > MAX_JPEG_COEFFICIENT_BYTES {
        // A progressive 100 MP JPEG would need 300-600 MB before a single pixel comes out.
        return Err(ImageError::TooManyPixels {
            width: u64::from(width),
            height: u64::from(height),
        });
    }
    let orientation = headers.orientation;
    let (uw, uh) = if swaps_sides(orientation) {
        (height, width)
    } else {
        (width, height)
    };
    let mut decompressor = Decompressor::new().map_err(tj)?;
    decompressor
        .set_scan_limit(jpeg_scan_limit(headers.coefficient_bytes))
        .map_err(tj)?;
    let header = decompressor.read_header(bytes).map_err(tj)?;
    check_dims(
        "JPEG",
        (header.width as u64, header.height as u64),
        width,
        height,
    )?;
    let scale = if header.is_lossless {
        ScalingFactor::ONE // lossless JPEG cannot be DCT-scaled
    } else {
        jpeg_scale(min_scale(uw, uh))
    };
    decompressor.set_scaling_factor(scale).map_err(tj)?;
    let (sw, sh) = (scale.scale(header.width), scale.scale(header.height));
    let cmyk = matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK);
    let format = if cmyk {
        PixelFormat::CMYK
    } else {
        PixelFormat::RGB
    };
    let pitch = sw * format.size();
    let too_big = || ImageError::CorruptImage("JPEG: image is too big to decode".to_owned());
    let len = pitch.checked_mul(sh).ok_or_else(too_big)?;
    // The coefficients stay allocated while the pixels are written; rotating makes a copy.
    let copies = if orientation == Orientation::NoTransforms {
        1
    } else {
        2
    };
    let pixel_bytes = u64::try_from(len).map_err(|_| too_big())? * copies;
    budget::check_decode_bytes(headers.coefficient_bytes + pixel_bytes, width, height)?;
    let mut pixels = Vec::new();
    pixels.try_reserve_exact(len).map_err(|_| too_big())?;
    pixels.resize(len, 0);
    let output = turbojpeg::Image {
        pixels: &mut pixels[..],
        width: sw,
        pitch,
        height: sh,
        format,
    };
    decompressor.decompress(bytes, output).map_err(tj)?;
    if cmyk {
        cmyk_to_rgb_in_place(&mut pixels);
    }
    // libjpeg maps output pixel i to original pixels [i * D / N, (i + 1) * D / N): the scale
    // is exactly N/D (the last output pixel may extend past the original's edge).
    Ok(StoredPixels {
        pixels,
        width: u32::try_from(sw).map_err(|_| too_big())?,
        height: u32::try_from(sh).map_err(|_| too_big())?,
        scale: scale.num() as f64 / scale.denom() as f64,
        orientation,
    })
}

/// Adobe-inverted CMYK (0 = full ink) to RGB, `r = c * k / 255`, compacting 4 bytes per pixel
/// to 3 in place (the write position never passes the read position).
fn cmyk_to_rgb_in_place(buf: &mut Vec<u8>) {
    let n = buf.len() / 4;
    for i in 0..n {
        let [c, m, y, k] = [buf[4 * i], buf[4 * i + 1], buf[4 * i + 2], buf[4 * i + 3]];
        let k = u32::from(k);
        let ink = |v: u8| ((u32::from(v) * k + 127) / 255) as u8;
        buf[3 * i] = ink(c);
        buf[3 * i + 1] = ink(m);
        buf[3 * i + 2] = ink(y);
    }
    buf.truncate(3 * n);
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
pub(crate) fn over_white(value: u8, alpha: u8) -> u8 {
    let (v, a) = (u32::from(value), u32::from(alpha));
    let blended = (v * a + 255 * (255 - a) + 127) / 255;
    u8::try_from(blended).unwrap_or(u8::MAX)
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
    let convert = |px: &[u8]| -> [u8; 3] {
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
    };
    match channels {
        3 => {}
        4 => {
            // Shrinking: pixel i moves from 4i down to 3i; forwards never overwrites unread data.
            for i in 0..n {
                let rgb = convert(&buf[4 * i..4 * i + 4]);
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
                let rgb = convert(&buf[i * channels..(i + 1) * channels]);
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
