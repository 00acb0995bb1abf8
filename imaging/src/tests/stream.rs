//! Row-by-row PNG decoding (`stream.rs`): a PNG beyond the full-size memory budget renders, the
//! streamed box pre-shrink matches the full-frame decode + `pre_shrink` for every colour type,
//! and truncated or corrupt image data is refused as it is by the full-frame decode.

use std::io::Write;

use super::super::decode::{Decoded, decode};
use super::super::resize::{BoxShrink, Resizer, box_shrink_size, min_source_scale, pre_shrink};
use super::super::stream::decode_png_rows;
use super::super::{Format, ImageError, Limits, RenditionSpec, Size, probe, render};
use super::{check_jpeg, expected_size, manifest, read, specs};

/// A PNG of `width x height` pixels of colour type `color`, its rows made by `row(y, buf)` and
/// written one at a time (a 100 MP image is never held whole).
fn png_rows(
    width: u32,
    height: u32,
    color: png::ColorType,
    setup: impl FnOnce(&mut png::Encoder<&mut Vec<u8>>),
    mut row: impl FnMut(u32, &mut [u8]),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::Filter::Sub);
    setup(&mut encoder);
    let mut writer = encoder.write_header().expect("png header");
    let bytes_per_pixel = match color {
        png::ColorType::Grayscale | png::ColorType::Indexed => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
    };
    let mut buf = vec![0; width as usize * bytes_per_pixel];
    {
        let mut stream = writer.stream_writer().expect("stream writer");
        for y in 0..height {
            row(y, &mut buf);
            stream.write_all(&buf).expect("png row");
        }
        stream.finish().expect("png stream");
    }
    writer.finish().expect("png finish");
    out
}

const RED: [u8; 3] = [220, 20, 20];
const BLUE: [u8; 3] = [20, 20, 220];

/// A red block in the top-left eighth, a blue one in the bottom-right eighth, elsewhere red
/// rising with x (1 level per 40 px), green with y and 500 px wide blue stripes.
fn test_card(w: u32, h: u32) -> impl FnMut(u32, &mut [u8]) {
    move |y, buf| {
        for (x, px) in (0..w).zip(buf.chunks_exact_mut(3)) {
            let rgb = if x < w / 8 && y < h / 8 {
                RED
            } else if x >= w - w / 8 && y >= h - h / 8 {
                BLUE
            } else {
                let stripe = if (x / 500) % 2 == 0 { 100 } else { 150 };
                [(x / 40) as u8, (y / 40) as u8, stripe]
            };
            px.copy_from_slice(&rgb);
        }
    }
}

fn near(got: [u8; 3], want: [u8; 3], tolerance: u8) -> bool {
    got.iter()
        .zip(want)
        .all(|(&g, w)| g.abs_diff(w) <= tolerance)
}

#[test]
fn a_100_megapixel_png_beyond_the_full_size_budget_renders() {
    // Given a 10,000 x 10,000 RGB PNG (300 MB of pixels at full size)
    let (w, h) = (10_000, 10_000);
    let bytes = png_rows(w, h, png::ColorType::Rgb, |_| {}, test_card(w, h));
    let limits = Limits::default();
    // Then the full-size decode would be over the memory budget
    let (format, pw, ph) = probe(&bytes, &limits).expect("probe");
    let err = decode(&bytes, format, pw, ph, &limits).expect_err("over the budget");
    assert_eq!(err.code(), "too_many_pixels");
    // When it is rendered
    let rendered = render(&bytes, &limits, &specs()).expect("streamed render");
    // Then every rendition has its exact geometry
    assert_eq!((rendered.width, rendered.height), (w, h));
    for (r, spec) in rendered.renditions.iter().zip(specs()) {
        let (dw, dh, _) = check_jpeg(&r.jpeg).expect("valid rendition");
        assert_eq!((dw, dh), expected_size(w, h, spec.size), "{}", r.name);
    }
    // And the 600x600 shows the card where it is: red top-left, blue bottom-right, the
    // gradients in the middle (source 5000,5000: red 125, green 125)
    let (cw, _, px) = check_jpeg(&rendered.renditions[0].jpeg).expect("cover600");
    let at = |x: u32, y: u32| rgb_at(&px, cw, x, y);
    assert_corners(&px, cw, 30, 570);
    let [r, g, _] = at(300, 300);
    assert!(
        r.abs_diff(125) <= 6 && g.abs_diff(125) <= 6,
        "middle {r},{g}"
    );
    // And a rendition needing more than half its scale (no integer box applies) still renders
    // from a fractional box pre-shrink, with the card where it is
    let fit = [RenditionSpec {
        name: "fit4096".to_owned(),
        size: Size::Inside {
            width: 4096,
            height: 4096,
        },
    }];
    let rendered = render(&bytes, &limits, &fit).expect("fractional pre-shrink");
    let (fw, fh, px) = check_jpeg(&rendered.renditions[0].jpeg).expect("fit4096");
    assert_eq!((fw, fh), (4096, 4096));
    assert_corners(&px, fw, 200, 3900);
}

/// Pixel `x, y` of packed RGB `px`, `width` pixels a row.
fn rgb_at(px: &[u8], width: u32, x: u32, y: u32) -> [u8; 3] {
    let i = (y as usize * width as usize + x as usize) * 3;
    [px[i], px[i + 1], px[i + 2]]
}

/// The test card's red corner at `near, near` and blue corner at `far, far`.
fn assert_corners(px: &[u8], width: u32, near_at: u32, far_at: u32) {
    let top_left = rgb_at(px, width, near_at, near_at);
    assert!(near(top_left, RED, 12), "top-left {top_left:?}");
    let bottom_right = rgb_at(px, width, far_at, far_at);
    assert!(
        near(bottom_right, BLUE, 12),
        "bottom-right {bottom_right:?}"
    );
}

/// The full-frame path: the whole image decoded, then `pre_shrink` (as `render` did before).
fn full_then_pre_shrink(bytes: &[u8], min_scale: f64) -> Decoded {
    let limits = Limits::default();
    let (format, w, h) = probe(bytes, &limits).expect("probe");
    let image = decode(bytes, format, w, h, &limits).expect("full decode");
    let full = Decoded {
        full_width: w,
        full_height: h,
        image,
        scale: (1.0, 1.0),
    };
    pre_shrink(full, min_scale, &mut Resizer::new()).expect("pre_shrink")
}

fn streamed(bytes: &[u8], min_scale: f64) -> Decoded {
    let (_, w, h) = probe(bytes, &Limits::default()).expect("probe");
    decode_png_rows(bytes, w, h, min_scale, &mut Resizer::new())
        .expect("streamed decode")
        .expect("not interlaced")
}

/// Renditions a third of the usual size, so that a 1300 x 1250 picture is box-filtered by 3.
fn small_specs() -> Vec<RenditionSpec> {
    specs()
        .into_iter()
        .map(|s| RenditionSpec {
            size: match s.size {
                Size::Cover { width, height } => Size::Cover {
                    width: width / 3,
                    height: height / 3,
                },
                Size::Inside { width, height } => Size::Inside {
                    width: width / 3,
                    height: height / 3,
                },
                Size::Height(h) => Size::Height(h / 3),
            },
            name: format!("{}/3", s.name),
        })
        .collect()
}

/// The streamed and full-frame paths give the same intermediate image, geometry and scale,
/// and so the same renditions: both make every band of the box pre-shrink with the same calls
/// of fast_image_resize on the same rows.
fn assert_paths_agree(name: &str, bytes: &[u8]) {
    assert_paths_agree_for(name, bytes, &small_specs());
}

fn assert_paths_agree_for(name: &str, bytes: &[u8], specs: &[RenditionSpec]) {
    let (_, w, h) = probe(bytes, &Limits::default()).expect("probe");
    let need = min_source_scale(w, h, specs.iter().map(|s| s.size));
    let (full, ours) = (full_then_pre_shrink(bytes, need), streamed(bytes, need));
    assert_eq!(
        (ours.image.width, ours.image.height, ours.scale),
        (full.image.width, full.image.height, full.scale),
        "{name}: intermediate geometry"
    );
    assert!(ours.image.width < w, "{name}: box pre-shrink applies");
    assert!(
        ours.image.pixels == full.image.pixels,
        "{name}: intermediate pixels differ"
    );
    let mut resizer = Resizer::new();
    for spec in specs {
        let (a, aw, ah) = resizer.render(&ours, spec.size).expect("render");
        let a = a.into_owned();
        let (b, bw, bh) = resizer.render(&full, spec.size).expect("render");
        assert_eq!((aw, ah), (bw, bh), "{name} {}", spec.name);
        assert!(a == *b, "{name} {}: rendition pixels differ", spec.name);
    }
}

/// A detailed picture for the path comparisons (cheap to make in a debug build): patterns of
/// 1 to 8 px, whose box means differ wherever the boxes do, and varying alpha.
fn detail(x: u32, y: u32) -> [u8; 4] {
    let r = (x * 37 + y * 91) % 256;
    let g = x * 255 / 1303;
    let b = ((x ^ y) * 5) % 256;
    let a = ((x / 3 + y / 5) * 11) % 256;
    [r as u8, g as u8, b as u8, a as u8]
}

#[test]
fn streamed_and_full_frame_decodes_agree_for_every_colour_type() {
    // Boxes of 2 and 3 pixels both occur (1303 / 435, 1253 / 418), and some pixel centres fall
    // exactly on a box edge (row 626: 209 * 1253 / 418 = 626.5), where floating point decides
    // which box gets the row: on this picture a row in the wrong box changes a mean by up to
    // 40 levels.
    let (w, h) = (1303, 1253);
    let pixel_rows = |channels: usize| {
        move |y: u32, buf: &mut [u8]| {
            for (x, px) in (0..w).zip(buf.chunks_exact_mut(channels)) {
                let [r, g, b, a] = detail(x, y);
                match channels {
                    1 => px[0] = r,
                    2 => px.copy_from_slice(&[r, a]),
                    3 => px.copy_from_slice(&[r, g, b]),
                    _ => px.copy_from_slice(&[r, g, b, a]),
                }
            }
        }
    };
    use png::ColorType::*;
    for (name, color, channels) in [
        ("rgb", Rgb, 3),
        ("rgba", Rgba, 4),
        ("gray", Grayscale, 1),
        ("gray_alpha", GrayscaleAlpha, 2),
    ] {
        let bytes = png_rows(w, h, color, |_| {}, pixel_rows(channels));
        assert_paths_agree(name, &bytes);
    }
    // A palette of 16 colours with transparency (expanded to RGBA, then flattened on white)
    let palette: Vec<u8> = (0..16u8)
        .flat_map(|i| [i * 16, 255 - i * 16, i * 7])
        .collect();
    let trns: Vec<u8> = (0..16u8).map(|i| i * 17).collect();
    let bytes = png_rows(
        w,
        h,
        Indexed,
        |e| {
            e.set_palette(palette);
            e.set_trns(trns);
        },
        |y, buf| {
            for (x, px) in (0..w).zip(buf.iter_mut()) {
                *px = detail(x, y)[0] / 16;
            }
        },
    );
    assert_paths_agree("palette", &bytes);
}

#[test]
fn huge_boxes_are_made_in_smaller_bands_with_the_same_pixels() {
    // Given a 3000 x 3000 picture made into 16 px thumbnails: boxes of 93 rows, so that a band
    // of 64 output rows would hold 54 MB of source rows, over the 32 MiB a band may
    let (w, h) = (3000, 3000);
    let bytes = png_rows(
        w,
        h,
        png::ColorType::Rgb,
        |_| {},
        |y, buf| {
            for (x, px) in (0..w).zip(buf.chunks_exact_mut(3)) {
                px.copy_from_slice(&detail(x, y)[..3]);
            }
        },
    );
    let tiny = [RenditionSpec {
        name: "inside16".to_owned(),
        size: Size::Inside {
            width: 16,
            height: 16,
        },
    }];
    // Then both paths still agree, band for band
    assert_paths_agree_for("huge boxes", &bytes, &tiny);
    let need = min_source_scale(w, h, tiny.iter().map(|s| s.size));
    let (sw, sh) = box_shrink_size(w, h, 1.0, need).expect("box pre-shrink");
    let rows = BoxShrink::new(w, h, sw, sh).band_rows();
    assert!(rows > 1 && rows < 64, "{rows} rows a band");
}

#[test]
fn without_a_box_pre_shrink_rows_are_decoded_exactly_at_full_size() {
    // Given small PNGs of every colour type in the shared corpus (renditions need them whole)
    let mut checked = 0;
    for (rel, entry) in manifest().files {
        let bytes = read(&rel);
        let limits = Limits::default();
        let Ok((format @ Format::Png, w, h)) = probe(&bytes, &limits) else {
            continue;
        };
        if entry.expect.accept.is_none() {
            continue;
        }
        let Some(ours) = decode_png_rows(&bytes, w, h, 1.0, &mut Resizer::new()).expect("streamed")
        else {
            continue; // interlaced
        };
        // Then the rows are the full-frame decode's pixels, exactly
        let full = decode(&bytes, format, w, h, &limits).expect("full decode");
        assert_eq!((ours.image.width, ours.image.height), (w, h), "{rel}");
        assert_eq!(ours.scale, (1.0, 1.0), "{rel}");
        assert!(ours.image.pixels == full.pixels, "{rel}: pixels differ");
        checked += 1;
    }
    assert!(
        checked >= 5,
        "only {checked} non-interlaced PNGs in the corpus"
    );
}

/// Offset and length of the first IDAT chunk's data.
fn first_idat(png: &[u8]) -> (usize, usize) {
    let mut pos = 8;
    loop {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        if &png[pos + 4..pos + 8] == b"IDAT" {
            return (pos + 8, len);
        }
        pos += 12 + len;
    }
}

fn streamed_outcome(bytes: &[u8], min_scale: f64) -> Result<(), &'static str> {
    let (_, w, h) = probe(bytes, &Limits::default()).map_err(|e| e.code())?;
    decode_png_rows(bytes, w, h, min_scale, &mut Resizer::new())
        .map(|_| ())
        .map_err(|e| e.code())
}

#[test]
fn truncated_or_corrupt_image_data_is_refused_by_the_streamed_decode() {
    // Given a 2400 x 1800 RGB card, made into 600x600 renditions (box pre-shrink by 2)
    let bytes = png_rows(
        2400,
        1800,
        png::ColorType::Rgb,
        |_| {},
        test_card(2400, 1800),
    );
    let (idat, len) = first_idat(&bytes);
    assert!(render(&bytes, &Limits::default(), &specs()).is_ok());
    let cut = |at: usize| bytes[..at].to_vec();
    let flipped = |at: usize| {
        let mut m = bytes.clone();
        m[at] ^= 0x5A;
        m
    };
    for (what, case) in [
        ("cut mid-IDAT", cut(idat + len / 2)),
        ("cut after the first IDAT's data", cut(idat + len)),
        ("cut before IEND", cut(bytes.len() - 12)),
        ("byte flipped mid-IDAT", flipped(idat + len / 2)),
        ("IDAT CRC flipped", flipped(idat + len + 1)),
    ] {
        // Then render refuses it as corrupt, and so does the streamed decode on its own, at
        // full size and shrunk (no panic: this calls it outside render's catch_unwind)
        let err: ImageError = match render(&case, &Limits::default(), &specs()) {
            Ok(r) => panic!("{what}: rendered {}x{}", r.width, r.height),
            Err(e) => e,
        };
        assert_eq!(err.code(), "corrupt_image", "{what}: {err}");
        for scale in [0.1, 1.0] {
            assert_eq!(
                streamed_outcome(&case, scale),
                Err("corrupt_image"),
                "{what}"
            );
        }
    }
}
