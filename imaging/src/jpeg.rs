//! JPEG through libjpeg-turbo (TurboJPEG 3 API, `turbojpeg` crate) with shrink-on-load: the
//! DCT is scaled by N/8 while decoding, so a 48 MP photo made into a 600x600 post is never
//! decoded at full size. The marker segments before the first scan are read first (EXIF
//! orientation, the size of libjpeg's coefficient buffer) to bound memory and time.

use image::metadata::Orientation;
use turbojpeg::{Colorspace, Decompressor, PixelFormat, ScalingFactor};

use super::decode::{StoredPixels, check_dims, corrupt, swaps_sides};
use super::{ImageError, budget, chunks};

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
pub(crate) fn decode_jpeg(
    bytes: &[u8],
    width: u32,
    height: u32,
    min_scale: &dyn Fn(u32, u32) -> f64,
) -> Result<StoredPixels, ImageError> {
    let headers = jpeg_headers(bytes);
    if headers.coefficient_bytes > MAX_JPEG_COEFFICIENT_BYTES {
        // A progressive 100 MP JPEG would need 300-600 MB before a single pixel comes out.
        return Err(ImageError::OverDecodeBudget {
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
