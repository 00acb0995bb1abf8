//! Tests of the image pipeline against the shared corpus (manifest.json), plus unit and
//! property tests of sniffing and rendition geometry.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::decode::{RgbImage, decode};
use super::*;

mod chain;
mod color;
mod corpus;
mod fuzz;
mod geometry;
mod pixels;
mod regressions;
mod shrink;
mod stream;

#[derive(Deserialize)]
pub(super) struct Manifest {
    pub files: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
pub(super) struct Entry {
    pub expect: Expect,
}

#[derive(Deserialize)]
pub(super) struct Expect {
    pub accept: Option<[u32; 2]>,
    pub reject: Option<Vec<String>>,
    pub or_reject: Option<Vec<String>>,
}

pub(super) use test_support::read;

pub(super) fn manifest() -> Manifest {
    serde_json::from_slice(&read("manifest.json")).expect("manifest.json parses")
}

pub(super) fn specs() -> Vec<RenditionSpec> {
    let spec = |name: &str, size| RenditionSpec {
        name: name.to_owned(),
        size,
    };
    vec![
        spec(
            "cover600",
            Size::Cover {
                width: 600,
                height: 600,
            },
        ),
        spec("h200", Size::Height(200)),
        spec("h400", Size::Height(400)),
        spec(
            "inside600",
            Size::Inside {
                width: 600,
                height: 600,
            },
        ),
    ]
}

/// Expected rendition size, computed independently of `resize::plan` (sides of 1..=8192).
pub(super) fn expected_size(w: u32, h: u32, size: Size) -> (u32, u32) {
    let (wf, hf) = (f64::from(w), f64::from(h));
    match size {
        Size::Cover { width, height } => (width, height),
        Size::Inside { width, height } if w <= width && h <= height => (w, h),
        Size::Inside { width, height } => {
            let s = (f64::from(width) / wf).min(f64::from(height) / hf);
            let dw = ((wf * s).round() as u32).clamp(1, width);
            let dh = ((hf * s).round() as u32).clamp(1, height);
            (dw, dh)
        }
        Size::Height(height) => {
            let dw = (wf * f64::from(height) / hf).round() as u32;
            (dw.clamp(1, MAX_RENDITION_SIDE), height)
        }
    }
}

/// Decodes a rendition strictly and checks it is baseline with no metadata segments.
pub(super) fn check_jpeg(jpeg: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let mut pos = 2;
    loop {
        let marker = *jpeg.get(pos + 1).ok_or("no SOS")?;
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        match marker {
            0xDA => break,
            0xC1..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                return Err(format!("not baseline: SOF marker {marker:#x}"));
            }
            0xE1..=0xEF | 0xFE => return Err(format!("metadata segment {marker:#x}")),
            _ => pos += 2 + len,
        }
    }
    let options = zune_core::options::DecoderOptions::default().set_strict_mode(true);
    let cursor = zune_core::bytestream::ZCursor::new(jpeg);
    let mut dec = zune_jpeg::JpegDecoder::new_with_options(cursor, options);
    let pixels = dec
        .decode()
        .map_err(|e| format!("output does not decode: {e}"))?;
    let (w, h) = dec.dimensions().ok_or("no dimensions")?;
    Ok((w as u32, h as u32, pixels))
}

/// Mean absolute difference per sample between two buffers of the same length.
pub(super) fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    sum as f64 / a.len() as f64
}

pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

pub(super) fn decoded(rel: &str) -> RgbImage {
    let bytes = read(rel);
    let (format, w, h) = probe(&bytes, &Limits::default()).expect("probe");
    decode(&bytes, format, w, h, &Limits::default()).expect("decode")
}

pub(super) fn pixel(img: &RgbImage, x: u32, y: u32) -> [u8; 3] {
    let i = (y as usize * img.width as usize + x as usize) * 3;
    [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]]
}

#[test]
fn sniff_uses_magic_bytes_at_offset_zero_only() {
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Format::Png));
    assert_eq!(sniff(b"\xFF\xD8\xFF"), Some(Format::Jpeg));
    assert_eq!(sniff(b"BM"), Some(Format::Bmp));
    assert_eq!(sniff(b""), None);
    assert_eq!(sniff(b"\xFF\xD8"), None);
    assert_eq!(sniff(b"\x89PNG\r\n\x1a"), None);
    assert_eq!(sniff(b" \xFF\xD8\xFF"), None);
    assert_eq!(sniff(b"GIF89a"), None);
    assert_eq!(sniff(b"RIFF\0\0\0\0WEBP"), None);
    assert_eq!(sniff(b"<html>\xFF\xD8\xFF"), None);
    assert_eq!(Format::Jpeg.mime(), "image/jpeg");
    assert_eq!(Format::Png.mime(), "image/png");
    assert_eq!(Format::Bmp.mime(), "image/bmp");
}

fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    v.extend_from_slice(&width.to_be_bytes());
    v.extend_from_slice(&height.to_be_bytes());
    v.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    v
}

#[test]
fn caps_are_checked_at_their_boundaries() {
    let limits = Limits::default();
    assert_eq!(
        probe(&png_header(10_000, 10_000), &limits),
        Ok((Format::Png, 10_000, 10_000))
    );
    let err = probe(&png_header(10_001, 10_000), &limits).expect_err("over the pixel cap");
    assert_eq!(err.code(), "too_many_pixels");
    let mut padded = read("valid/jpeg_baseline.jpg");
    padded.resize(104_857_600, 0);
    assert_eq!(probe(&padded, &limits), Ok((Format::Jpeg, 640, 427)));
    padded.push(0);
    let err = render(&padded, &limits, &specs()).expect_err("over the size cap");
    assert_eq!(err, ImageError::TooLarge { bytes: 104_857_601 });
    assert_eq!(err.code(), "too_large");
    assert!(!err.to_string().is_empty());
}
