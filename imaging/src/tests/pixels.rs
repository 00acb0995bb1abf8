//! Pixel-level checks: EXIF orientation, alpha flattened on white, BMP row order and XRGB,
//! CMYK colours, and an opt-in dump of sample renditions for visual inspection.

use std::path::PathBuf;

use super::super::decode::RgbImage;
use super::super::{Limits, render};
use super::{check_jpeg, decoded, pixel, read, specs};

#[test]
fn exif_orientation_makes_every_test_picture_upright() {
    for o in 1..=8 {
        let img = decoded(&format!("valid/jpeg_orient_{o}.jpg"));
        assert_eq!((img.width, img.height), (300, 400), "orientation {o}");
        let [r, g, b] = pixel(&img, 20, 20);
        assert!(
            r > 150 && g < 80 && b < 80,
            "orientation {o}: top-left {r},{g},{b}"
        );
        let [r, g, b] = pixel(&img, 280, 380);
        assert!(
            b > 150 && r < 80 && g < 80,
            "orientation {o}: bottom-right {r},{g},{b}"
        );
    }
}

#[test]
fn alpha_is_flattened_on_white_and_xrgb_is_opaque() {
    let rgba = decoded("valid/png_rgba.png");
    for (x, y) in [(45, 45), (90, 120), (135, 195)] {
        assert!(
            pixel(&rgba, x, y).iter().all(|&c| c >= 250),
            "png_rgba box at {x},{y}"
        );
    }
    let v5 = decoded("valid/bmp_32bit_alpha_v5.bmp");
    assert!(pixel(&v5, 35, 30).iter().all(|&c| c >= 250), "bmp v5 box");
    let xrgb = decoded("valid/bmp_32bit_xrgb.bmp");
    let white = xrgb
        .pixels
        .chunks(3)
        .filter(|p| p.iter().all(|&c| c > 240))
        .count();
    assert!(
        white * 4 < xrgb.pixels.len() / 3,
        "bmp_32bit_xrgb is mostly white"
    );
    let bottom_up = decoded("valid/bmp_24bit.bmp");
    assert_eq!(decoded("valid/bmp_topdown.bmp").pixels, bottom_up.pixels);
    assert_eq!(decoded("valid/bmp_32bit_xrgb.bmp").pixels, bottom_up.pixels);
}

#[test]
fn cmyk_colours_match_the_baseline_card() {
    let (cmyk, base) = (
        decoded("valid/jpeg_cmyk.jpg"),
        decoded("valid/jpeg_baseline.jpg"),
    );
    // The card's bottom row holds 8 colour patches (red, green, blue, yellow, cyan, magenta,
    // black, white), each 1/8 of the width and 1/8 of the height.
    for i in 0..8u32 {
        let at = |img: &RgbImage| {
            let x = (2 * i + 1) * img.width / 16;
            pixel(img, x, img.height - img.height / 16)
        };
        let (c, b) = (at(&cmyk), at(&base));
        let close = c.iter().zip(b).all(|(&p, q)| p.abs_diff(q) < 40);
        assert!(close, "patch {i}: cmyk {c:?} vs baseline {b:?}");
    }
}

#[test]
fn writes_sample_renditions_when_asked() {
    // Set IMAGEGRAM_DUMP_DIR to look at a few renditions (decoded back to PNG for viewers).
    let Some(dir) = std::env::var_os("IMAGEGRAM_DUMP_DIR") else {
        return;
    };
    for rel in [
        "valid/jpeg_orient_6.jpg",
        "valid/png_rgba.png",
        "valid/jpeg_cmyk.jpg",
    ] {
        let rendered = render(&read(rel), &Limits::default(), &specs()).expect("render");
        for r in rendered.renditions {
            let (w, h, px) = check_jpeg(&r.jpeg).expect("valid output");
            let stem = rel.trim_start_matches("valid/").replace('.', "_");
            let path = PathBuf::from(&dir).join(format!("{stem}_{}.png", r.name));
            image::save_buffer(&path, &px, w, h, image::ExtendedColorType::Rgb8).expect("save");
            std::fs::write(path.with_extension("jpg"), &r.jpeg).expect("save jpeg");
        }
    }
}
