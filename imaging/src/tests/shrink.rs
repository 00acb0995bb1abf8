//! Shrink-on-load (JPEG DCT scaling) and the box pre-shrink: the decoder scale is chosen from
//! the largest rendition, renditions made from the shrunk pixels match a full-size Lanczos3
//! resize, EXIF orientation still applies, and every geometry stays exact.

use proptest::prelude::*;

use super::super::decode::{Decoded, decode};
use super::super::encode::Encoder;
use super::super::jpeg::jpeg_scale;
use super::super::resize::{Resizer, load_scale, min_source_scale};
use super::super::{Limits, RenditionSpec, Size, probe, render};
use super::{check_jpeg, expected_size, specs};

/// A smooth but detailed test picture: gradients, a few sinusoids and a red block top-left.
fn picture(w: u32, h: u32) -> Vec<u8> {
    let mut px = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (f64::from(x), f64::from(y));
            if x < w / 8 && y < h / 8 {
                px.extend_from_slice(&[220, 20, 20]);
                continue;
            }
            let r = 128.0 + 100.0 * (fx / 37.0).sin() * (fy / 53.0).cos();
            let g = 255.0 * fx / f64::from(w.max(1));
            let b = 128.0 + 90.0 * ((fx + fy) / 23.0).sin();
            px.extend_from_slice(&[r as u8, g as u8, b as u8]);
        }
    }
    px
}

fn jpeg(w: u32, h: u32, quality: i32) -> Vec<u8> {
    let pixels = picture(w, h);
    let image = turbojpeg::Image {
        pixels: &pixels[..],
        width: w as usize,
        pitch: w as usize * 3,
        height: h as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    turbojpeg::compress(image, quality, turbojpeg::Subsamp::Sub2x2)
        .expect("encode")
        .to_vec()
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    writer.write_image_data(&picture(w, h)).expect("png data");
    writer.finish().expect("png finish");
    out
}

/// Inserts an APP1 Exif segment with the given orientation right after SOI.
fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0\x01\0".to_vec(); // header, IFD0 at 8, 1 entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // count
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // padding, next IFD = 0
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(
        &u16::try_from(segment.len() + 2)
            .expect("short")
            .to_be_bytes(),
    );
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0 * 255.0 / mse.max(1e-9)).log10()
}

/// Every rendition of `bytes` against the same rendition made from the full-size decode: the
/// PSNR may be at most `max_loss` dB below that of the full-size rendition's own JPEG encoding
/// (which alone costs 30-40 dB on this picture).
fn compare_with_full_size(bytes: &[u8], max_loss: f64) {
    let limits = Limits::default();
    let (format, w, h) = probe(bytes, &limits).expect("probe");
    let full = decode(bytes, format, w, h, &limits).expect("decode");
    let full = Decoded {
        full_width: full.width,
        full_height: full.height,
        image: full,
        scale: (1.0, 1.0),
    };
    let rendered = render(bytes, &limits, &specs()).expect("render");
    let mut resizer = Resizer::new();
    let mut encoder = Encoder::new().expect("encoder");
    for (r, spec) in rendered.renditions.iter().zip(specs()) {
        let (want, ww, wh) = resizer.render(&full, spec.size).expect("resize");
        let (_, _, encoded) =
            check_jpeg(&encoder.encode(&want, ww, wh).expect("encode")).expect("valid JPEG");
        let (dw, dh, got) = check_jpeg(&r.jpeg).expect("valid rendition");
        assert_eq!((dw, dh), (ww, wh), "{}", r.name);
        let (p, base) = (psnr(&got, &want), psnr(&encoded, &want));
        println!(
            "{} {ww}x{wh}: {p:.2} dB (full-size path: {base:.2} dB)",
            r.name
        );
        assert!(
            p >= base - max_loss,
            "{}: PSNR {p:.2} dB, full-size path {base:.2} dB",
            r.name
        );
    }
}

#[test]
fn the_decoder_scale_comes_from_the_largest_rendition() {
    let sizes = specs().into_iter().map(|s| s.size).collect::<Vec<_>>();
    // 6000x4000: the 600x600 cover is made from a 4000x4000 crop (0.15) and is the largest
    // need; h400 is 600x400 (0.1), inside600 600x400 (0.1), h200 (0.05).
    let need = min_source_scale(6000, 4000, sizes.iter().copied());
    assert!((need - 0.15).abs() < 1e-12, "{need}");
    assert_eq!(
        jpeg_scale(load_scale(need)),
        turbojpeg::ScalingFactor::new(2, 8)
    );
    // 16:9, the 400-high thumbnail is 711 wide: it needs more than the cover's 600/1080.
    let need = min_source_scale(1920, 1080, [Size::Height(400)]);
    assert!((need - 400.0 / 1080.0).abs() < 1e-12);
    assert_eq!(
        jpeg_scale(load_scale(need)),
        turbojpeg::ScalingFactor::new(3, 8)
    );
    // Upscaling renditions are decoded at full size.
    assert_eq!(min_source_scale(300, 200, sizes.iter().copied()), 1.0);
    assert_eq!(jpeg_scale(1.0), turbojpeg::ScalingFactor::ONE);
    assert_eq!(jpeg_scale(0.01), turbojpeg::ScalingFactor::new(1, 8));
}

#[test]
fn shrunk_on_load_renditions_match_a_full_size_resize() {
    // 1/4 (cover 600 from 1600 high), 3/8 and 1/2 decoder scales, and a box pre-shrink (PNG).
    compare_with_full_size(&jpeg(2400, 1600, 95), 1.0);
    compare_with_full_size(&jpeg(1700, 1500, 95), 1.0);
    compare_with_full_size(&jpeg(1203, 1333, 95), 1.0);
    compare_with_full_size(&png(2600, 2500), 1.0);
}

#[test]
fn exif_orientation_applies_to_shrunk_images() {
    // Stored 2400x1600 with the red block top-left; orientation 6 (rotate 90 clockwise to
    // display) puts it top-right in the upright 1600x2400 picture.
    let bytes = with_orientation(&jpeg(2400, 1600, 90), 6);
    let rendered = render(&bytes, &Limits::default(), &specs()).expect("render");
    assert_eq!((rendered.width, rendered.height), (1600, 2400));
    let h400 = &rendered.renditions[2];
    let (w, h, px) = check_jpeg(&h400.jpeg).expect("valid");
    assert_eq!((w, h), (267, 400));
    let at = |x: u32, y: u32| {
        let i = (y as usize * w as usize + x as usize) * 3;
        [px[i], px[i + 1], px[i + 2]]
    };
    let [r, g, b] = at(w - 8, 8);
    assert!(r > 180 && g < 70 && b < 70, "top-right {r},{g},{b}");
    let [r, g, b] = at(8, 8);
    assert!(!(r > 180 && g < 70 && b < 70), "top-left is not the block");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn jpeg_renditions_have_exactly_the_specified_geometry(
        w in 1u32..3000, h in 1u32..3000, height in 1u32..900, side in 1u32..900
    ) {
        let specs = [
            RenditionSpec { name: "c".into(), size: Size::Cover { width: side, height: side } },
            RenditionSpec { name: "t".into(), size: Size::Height(height) },
            RenditionSpec { name: "i".into(), size: Size::Inside { width: side, height } },
        ];
        let rendered = render(&jpeg(w, h, 80), &Limits::default(), &specs)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!((rendered.width, rendered.height), (w, h));
        for (r, spec) in rendered.renditions.iter().zip(&specs) {
            let (dw, dh, _) = check_jpeg(&r.jpeg).map_err(TestCaseError::fail)?;
            prop_assert_eq!((dw, dh), expected_size(w, h, spec.size));
            prop_assert_eq!((r.width, r.height), (dw, dh));
        }
    }
}

/// A progressive 4:2:0 JPEG of `w x h` whose frame header then claims `claim_w x claim_h`.
fn progressive_claiming(w: u32, h: u32, claim_w: u16, claim_h: u16) -> Vec<u8> {
    let pixels = picture(w, h);
    let image = turbojpeg::Image {
        pixels: &pixels[..],
        width: w as usize,
        pitch: w as usize * 3,
        height: h as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    let mut compressor = turbojpeg::Compressor::new().expect("compressor");
    compressor.set_progressive(true).expect("progressive");
    compressor
        .set_subsamp(turbojpeg::Subsamp::Sub2x2)
        .expect("4:2:0");
    let mut bytes = compressor.compress_to_vec(image).expect("encode");
    let sof = bytes
        .windows(2)
        .position(|m| m == [0xFF, 0xC2])
        .expect("SOF2");
    bytes[sof + 5..sof + 7].copy_from_slice(&claim_h.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&claim_w.to_be_bytes());
    bytes
}

#[test]
fn progressive_jpegs_beyond_the_coefficient_budget_are_refused_up_front() {
    let small = progressive_claiming(1000, 1000, 1000, 1000);
    // Y: 125 -> 126 x 126 blocks (whole 2x2 MCUs); Cb, Cr: 63 x 63 blocks; 128 bytes each.
    let headers = super::super::jpeg::jpeg_headers(&small);
    assert_eq!(headers.coefficient_bytes, (126 * 126 + 2 * 63 * 63) * 128);
    assert!(render(&small, &Limits::default(), &specs()).is_ok());
    // 12000 x 8000 = 96 MP, under the pixel cap, but its coefficients alone would take 288 MB.
    let bomb = progressive_claiming(64, 64, 12_000, 8_000);
    let start = std::time::Instant::now();
    let err = render(&bomb, &Limits::default(), &specs()).expect_err("refused");
    assert_eq!(err.code(), "too_many_pixels");
    assert!(start.elapsed() < std::time::Duration::from_millis(500));
    // 8000 x 6000 progressive 4:2:0 (144 MB of coefficients) is within the budget: this one
    // fails later, in the decoder, because its data is for a 64 x 64 image.
    let err = render(
        &progressive_claiming(64, 64, 8_000, 6_000),
        &Limits::default(),
        &specs(),
    )
    .expect_err("short data");
    assert_eq!(err.code(), "corrupt_image");
}
