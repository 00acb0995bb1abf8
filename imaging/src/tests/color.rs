//! Colour management: embedded Display P3 profiles (JPEG APP2, PNG iCCP) are converted to sRGB,
//! checked against the P3 -> sRGB conversion computed here from the primaries (independently
//! of qcms); broken, gray or missing profiles leave the pixels alone.

use super::super::color::{embedded_profile, to_srgb, transform_from};
use super::super::{Format, Limits, RenditionSpec, Size, render};
use super::{check_jpeg, decoded, mean_abs_diff, read};

/// Display P3 (D65) linear RGB to sRGB linear RGB (both D65: no adaptation).
const P3_TO_SRGB: [[f64; 3]; 3] = [
    [1.224_940, -0.224_940, 0.0],
    [-0.042_057, 1.042_057, 0.0],
    [-0.019_638, -0.078_636, 1.098_274],
];

/// The sRGB value of a pixel of the test corpus's P3 profile (P3 primaries, gamma 2.2 curves).
fn expected_srgb(p3: [u8; 3]) -> [u8; 3] {
    let lin = p3.map(|v| (f64::from(v) / 255.0).powf(2.2));
    let mut out = [0u8; 3];
    for (o, row) in out.iter_mut().zip(P3_TO_SRGB) {
        let l = (row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]).clamp(0.0, 1.0);
        let e = if l <= 0.003_130_8 {
            12.92 * l
        } else {
            1.055 * l.powf(1.0 / 2.4) - 0.055
        };
        *o = (e * 255.0).round() as u8;
    }
    out
}

fn expected_of(raw: &[u8]) -> Vec<u8> {
    raw.chunks_exact(3)
        .flat_map(|p| expected_srgb([p[0], p[1], p[2]]))
        .collect()
}

#[test]
fn p3_profiles_are_found_and_convert_like_the_primaries_say() {
    for (rel, format) in [
        ("valid/jpeg_metadata_gps_icc.jpg", Format::Jpeg),
        ("valid/png_metadata_gps_icc.png", Format::Png),
    ] {
        let icc = embedded_profile(&read(rel), format).expect("an RGB profile");
        let transform = to_srgb(&icc).expect("qcms reads the P3 profile");
        let raw = decoded(rel).pixels;
        let mut converted = raw.clone();
        transform.apply(&mut converted);
        let want = expected_of(&raw);
        let worst = converted
            .iter()
            .zip(&want)
            .map(|(&a, &b)| a.abs_diff(b))
            .max()
            .unwrap_or(0);
        assert!(
            worst <= 2,
            "{rel}: qcms differs from the P3 maths by {worst}"
        );
        assert!(
            mean_abs_diff(&raw, &want) > 1.0,
            "{rel}: the picture must have colours that P3 -> sRGB changes"
        );
    }
}

#[test]
fn renditions_of_a_p3_image_are_in_srgb() {
    let rel = "valid/jpeg_metadata_gps_icc.jpg";
    let bytes = read(rel);
    // 640x480 inside 640x480: no resampling, so only the conversion and the JPEG round trip
    // separate the rendition from the converted source pixels.
    let spec = RenditionSpec {
        name: "same".to_owned(),
        size: Size::Inside {
            width: 640,
            height: 480,
        },
    };
    let out = render(&bytes, &Limits::default(), &[spec]).expect("renders");
    let (w, h, pixels) = check_jpeg(&out.renditions[0].jpeg).expect("a clean JPEG");
    assert_eq!((w, h), (640, 480));
    let raw = decoded(rel).pixels;
    let converted = mean_abs_diff(&pixels, &expected_of(&raw));
    let unconverted = mean_abs_diff(&pixels, &raw);
    assert!(
        converted < 2.0 && converted * 2.0 < unconverted,
        "rendition vs sRGB {converted:.2}, vs the P3 values as they are {unconverted:.2}"
    );
}

/// `jpeg` with its APP2 ICC segments' payload replaced by `f(payload)` (same length).
fn edit_icc(jpeg: &[u8], f: impl Fn(&mut [u8])) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let at = out
        .windows(12)
        .position(|w| w == b"ICC_PROFILE\0")
        .expect("an ICC segment");
    f(&mut out[at + 12..]);
    out
}

#[test]
fn broken_or_foreign_profiles_are_ignored() {
    let jpeg = read("valid/jpeg_metadata_gps_icc.jpg");
    assert!(embedded_profile(&jpeg, Format::Jpeg).is_some());
    // Sequence number 2 of 1; count 0; a sequence number 0: not a profile.
    for (seq, count) in [(2, 1), (1, 0), (0, 1)] {
        let edited = edit_icc(&jpeg, |p| {
            p[0] = seq;
            p[1] = count;
        });
        assert_eq!(
            embedded_profile(&edited, Format::Jpeg),
            None,
            "{seq}/{count}"
        );
    }
    // A gray profile (data colour space "GRAY") is not applied to RGB pixels.
    let gray = edit_icc(&jpeg, |p| p[2 + 16..2 + 20].copy_from_slice(b"GRAY"));
    assert_eq!(embedded_profile(&gray, Format::Jpeg), None);
    // Garbage tags: qcms refuses the profile, and the image still renders.
    let garbage = edit_icc(&jpeg, |p| p[2 + 128..2 + 400].fill(0xA5));
    let icc = embedded_profile(&garbage, Format::Jpeg).expect("still RGB by its header");
    assert!(
        to_srgb(&icc).is_none(),
        "a garbage profile builds no transform"
    );
    let out = render(&garbage, &Limits::default(), &super::specs()).expect("renders");
    assert_eq!((out.width, out.height), (640, 480));
    // No profile at all.
    assert_eq!(
        embedded_profile(&read("valid/jpeg_baseline.jpg"), Format::Jpeg),
        None
    );
    assert_eq!(
        embedded_profile(&read("valid/png_rgba.png"), Format::Png),
        None
    );
}

#[test]
fn an_srgb_profile_is_nothing_to_do_and_p3_is_not() {
    assert!(transform_from(&qcms::Profile::new_sRGB()).is_none());
    let icc =
        embedded_profile(&read("valid/png_metadata_gps_icc.png"), Format::Png).expect("profile");
    assert!(to_srgb(&icc).is_some());
    // A real sRGB profile file, when the machine has one (ghostscript's): converting with it
    // changes nothing, so it is skipped too.
    if let Ok(srgb) = std::fs::read("/usr/share/color/icc/ghostscript/srgb.icc") {
        assert!(
            to_srgb(&srgb).is_none(),
            "ghostscript's sRGB is an identity"
        );
    }
}
