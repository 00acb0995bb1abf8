//! Rendition geometry: unit tests of `resize::plan` and a property test rendering generated
//! solid-colour PNGs of random sizes to random rendition sizes.

use proptest::prelude::*;

use super::super::geometry::{Plan, plan};
use super::super::{Limits, MAX_RENDITION_SIDE, RenditionSpec, Size, render};
use super::{check_jpeg, expected_size};

#[test]
fn plan_matches_the_documented_semantics() {
    let cover = Size::Cover {
        width: 600,
        height: 600,
    };
    assert_eq!(
        plan(1, 1, cover),
        Plan {
            width: 600,
            height: 600,
            crop: None
        }
    );
    assert_eq!(
        plan(400, 300, cover),
        Plan {
            width: 600,
            height: 600,
            crop: Some((50.0, 0.0, 300.0, 300.0))
        }
    );
    let inside = Size::Inside {
        width: 600,
        height: 600,
    };
    assert_eq!(
        plan(300, 200, inside),
        Plan {
            width: 300,
            height: 200,
            crop: None
        }
    );
    assert_eq!(
        plan(10_000, 10, inside),
        Plan {
            width: 600,
            height: 1,
            crop: None
        }
    );
    assert_eq!(
        plan(1200, 900, inside),
        Plan {
            width: 600,
            height: 450,
            crop: None
        }
    );
    assert_eq!(
        plan(10, 10_000, Size::Height(200)),
        Plan {
            width: 1,
            height: 200,
            crop: None
        }
    );
    assert_eq!(
        plan(640, 427, Size::Height(200)),
        Plan {
            width: 300,
            height: 200,
            crop: None
        }
    );
    // 10000x10 at 200 high would be 200,000 wide: capped at 8192 and centre-cropped.
    let wide = plan(10_000, 10, Size::Height(200));
    assert_eq!((wide.width, wide.height), (MAX_RENDITION_SIDE, 200));
    let (left, top, w, h) = wide.crop.expect("wide source is cropped");
    assert!((w - 409.6).abs() < 1e-9 && h == 10.0 && top == 0.0);
    assert!((left - (10_000.0 - 409.6) / 2.0).abs() < 1e-9);
    // Requests beyond the side limit (or zero) are clamped.
    let huge = Size::Cover {
        width: 70_000,
        height: 0,
    };
    assert_eq!(
        (plan(5, 5, huge).width, plan(5, 5, huge).height),
        (MAX_RENDITION_SIDE, 1)
    );
}

fn solid_png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    let data = rgb.repeat(w as usize * h as usize);
    writer.write_image_data(&data).expect("png data");
    writer.finish().expect("png finish");
    out
}

fn size_strategy() -> impl Strategy<Value = Size> {
    prop_oneof![
        (1u32..1200, 1u32..1200).prop_map(|(width, height)| Size::Cover { width, height }),
        (1u32..1200, 1u32..1200).prop_map(|(width, height)| Size::Inside { width, height }),
        (1u32..1200).prop_map(Size::Height),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn renditions_have_exactly_the_specified_geometry(
        w in 1u32..2000, h in 1u32..2000, rgb in any::<[u8; 3]>(), size in size_strategy()
    ) {
        let spec = RenditionSpec { name: "r".to_owned(), size };
        let rendered = render(&solid_png(w, h, rgb), &Limits::default(), &[spec]);
        let rendered = rendered.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!((rendered.width, rendered.height), (w, h));
        let r = &rendered.renditions[0];
        let (dw, dh, px) = check_jpeg(&r.jpeg).map_err(TestCaseError::fail)?;
        prop_assert_eq!((dw, dh), expected_size(w, h, size));
        prop_assert_eq!((r.width, r.height), (dw, dh));
        let centre = ((dh / 2) as usize * dw as usize + (dw / 2) as usize) * 3;
        for (c, want) in px[centre..centre + 3].iter().zip(rgb) {
            prop_assert!(c.abs_diff(want) <= 12, "colour {:?} vs {:?}", &px[centre..centre + 3], rgb);
        }
    }
}
