//! Colour management: pixels are converted from an embedded RGB ICC profile (JPEG APP2
//! `ICC_PROFILE`, PNG `iCCP`) to sRGB with qcms (Firefox's colour management library), so a
//! Display P3 photo keeps its colours in renditions that carry no profile. Like libvips'
//! thumbnail, the conversion runs on the shrunk intermediate, not the full-size decode.
//!
//! What is not converted (pixels are taken as sRGB, as browsers do without a profile): images
//! without a profile, profiles qcms cannot read or build a transform for, gray and CMYK
//! profiles (CMYK JPEGs keep the naive Adobe conversion in `decode.rs`), PNG `gAMA`/`cHRM`
//! without `iCCP`, and BMP colour spaces (`BITMAPV5HEADER` profiles are rare).
//!
//! Safety: a profile is at most `MAX_PROFILE_BYTES`; a PNG profile is inflated only up to that
//! bound (SECURITY.md: "ICC chunks inflated only under a small cap"), and a JPEG profile is
//! reassembled from segments that are already in the file. A profile that is malformed in any
//! way is ignored, never an error: the pixels are fine without it.

use std::sync::OnceLock;

use qcms::{DataType, Intent, Profile, Transform};

use super::Format;
use super::chunks::{jpeg_segments, png_chunks};

/// Largest ICC profile honoured. Matrix/TRC RGB profiles are 0.5-4 KB, LUT-based ones up to a
/// few hundred KB; larger ones are ignored.
const MAX_PROFILE_BYTES: usize = 1 << 20;

/// The embedded ICC profile of `bytes`, if it has one that is within bounds and describes RGB
/// data (ICC header field "data colour space" = `RGB `).
pub(crate) fn embedded_profile(bytes: &[u8], format: Format) -> Option<Vec<u8>> {
    let profile = match format {
        Format::Jpeg => jpeg_profile(bytes),
        Format::Png => png_profile(bytes),
        Format::Bmp => None,
    }?;
    (profile.get(16..20) == Some(b"RGB ")).then_some(profile)
}

/// JPEG: the `ICC_PROFILE\0` APP2 segments, each `seq (1-based), count, data`, concatenated in
/// sequence order. Missing, repeated or inconsistent sequence numbers void the profile.
fn jpeg_profile(jpeg: &[u8]) -> Option<Vec<u8>> {
    let mut parts: Vec<(u8, &[u8])> = Vec::new();
    let mut count = None;
    let mut total = 0;
    for (marker, segment) in jpeg_segments(jpeg) {
        let Some(rest) = segment
            .strip_prefix(b"ICC_PROFILE\0")
            .filter(|_| marker == 0xE2)
        else {
            continue;
        };
        let [seq, n, data @ ..] = rest else {
            return None;
        };
        if *count.get_or_insert(*n) != *n || *seq == 0 || seq > n {
            return None;
        }
        total += data.len();
        if total > MAX_PROFILE_BYTES {
            return None;
        }
        parts.push((*seq, data));
    }
    let count = usize::from(count?);
    parts.sort_by_key(|&(seq, _)| seq);
    let complete = parts.len() == count
        && parts
            .iter()
            .enumerate()
            .all(|(i, &(seq, _))| usize::from(seq) == i + 1);
    complete.then(|| parts.iter().flat_map(|&(_, data)| data).copied().collect())
}

/// PNG: the first `iCCP` chunk before IDAT (name, NUL, method 0, zlib data), inflated up to
/// `MAX_PROFILE_BYTES`.
fn png_profile(png: &[u8]) -> Option<Vec<u8>> {
    let chunk = png_chunks(png)
        .take_while(|c| &c.kind != b"IDAT")
        .find(|c| &c.kind == b"iCCP")?;
    let name_end = chunk.data.iter().take(80).position(|&b| b == 0)?;
    let [0, zlib @ ..] = chunk.data.get(name_end + 1..)? else {
        return None;
    };
    fdeflate::decompress_to_vec_bounded(zlib, MAX_PROFILE_BYTES).ok()
}

/// sRGB as the output profile, with its output tables computed once per process.
fn srgb() -> &'static Profile {
    static SRGB: OnceLock<Box<Profile>> = OnceLock::new();
    SRGB.get_or_init(|| {
        let mut profile = Profile::new_sRGB();
        profile.precache_output_transform();
        profile
    })
}

/// A transform of packed 8-bit RGB from the ICC profile `icc` to sRGB; `None` when qcms cannot
/// read the profile or build a transform from it (the pixels are then left as they are).
pub(crate) fn to_srgb(icc: &[u8]) -> Option<Transform> {
    // qcms is Firefox's and fuzzed there; a panic on a hostile profile still only costs the
    // profile, not the image.
    std::panic::catch_unwind(|| transform_from(&*Profile::new_from_slice(icc, false)?))
        .ok()
        .flatten()
}

/// The transform from `input` to sRGB, unless it changes nothing.
pub(crate) fn transform_from(input: &Profile) -> Option<Transform> {
    let transform = Transform::new(input, srgb(), DataType::RGB8, Intent::default())?;
    (!is_identity(&transform)).then_some(transform)
}

/// Whether `transform` leaves every level of the gray, red, green and blue ramps unchanged, as
/// the sRGB profiles most cameras and editors embed do: converting would then only cost time.
fn is_identity(transform: &Transform) -> bool {
    let ramps: Vec<u8> = (0..=255u8)
        .flat_map(|v| [v, v, v, v, 0, 0, 0, v, 0, 0, 0, v])
        .collect();
    let mut out = ramps.clone();
    transform.apply(&mut out);
    out == ramps
}
