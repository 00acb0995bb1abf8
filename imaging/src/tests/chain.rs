//! Renditions made from a larger whole-picture rendition (a 200-high thumbnail from the
//! 400-high one) instead of the decoded intermediate: chosen only when the larger one has about
//! twice the pixels needed, and as good as resampling from the intermediate.

use super::super::chain::{largest_first, smallest_source};
use super::super::decode::{Decoded, RgbImage};
use super::super::{Limits, RenditionSpec, Size, render};
use super::{check_jpeg, mean_abs_diff, read};

fn spec(name: &str, size: Size) -> RenditionSpec {
    RenditionSpec {
        name: name.to_owned(),
        size,
    }
}

fn image(width: u32, height: u32, full: (u32, u32)) -> Decoded {
    Decoded {
        image: RgbImage {
            width,
            height,
            pixels: vec![0; (width * height * 3) as usize],
        },
        full_width: full.0,
        full_height: full.1,
        scale: (
            f64::from(width) / f64::from(full.0),
            f64::from(height) / f64::from(full.1),
        ),
    }
}

#[test]
fn the_smallest_source_with_enough_pixels_is_chosen() {
    let full = (4000, 3000);
    let decoded = image(2000, 1500, full);
    let made = [image(533, 400, full), image(800, 600, full)];
    let pick = |size| {
        let s = smallest_source(&decoded, &made, size);
        (s.image.width, s.image.height)
    };
    assert_eq!(pick(Size::Height(200)), (533, 400));
    assert_eq!(pick(Size::Height(300)), (800, 600));
    assert_eq!(pick(Size::Height(400)), (2000, 1500));
    // The 600x600 cover crops 3000x3000 of the original: 800x600 holds 600x600 of it, too few.
    let cover = Size::Cover {
        width: 600,
        height: 600,
    };
    assert_eq!(pick(cover), (2000, 1500));
    let small_cover = Size::Cover {
        width: 150,
        height: 150,
    };
    assert_eq!(pick(small_cover), (533, 400));
    let order = largest_first(4000, 3000, [Size::Height(200), cover, Size::Height(400)]);
    assert_eq!(order, [1, 2, 0]);
}

#[test]
fn a_chained_thumbnail_matches_one_made_directly() {
    for rel in ["valid/jpeg_progressive.jpg", "valid/png_interlaced.png"] {
        let bytes = read(rel);
        let limits = Limits::default();
        let alone = render(&bytes, &limits, &[spec("h200", Size::Height(200))]).expect("renders");
        let both = render(
            &bytes,
            &limits,
            &[
                spec("h200", Size::Height(200)),
                spec("h400", Size::Height(400)),
            ],
        )
        .expect("renders");
        assert_eq!(both.renditions[0].name, "h200", "{rel}: order kept");
        assert_eq!(both.renditions[1].name, "h400", "{rel}: order kept");
        let (w, h, direct) = check_jpeg(&alone.renditions[0].jpeg).expect("jpeg");
        let (w2, h2, chained) = check_jpeg(&both.renditions[0].jpeg).expect("jpeg");
        assert_eq!((w, h), (w2, h2), "{rel}");
        let diff = mean_abs_diff(&direct, &chained);
        assert!(
            diff < 1.5,
            "{rel}: chained h200 differs by {diff:.2} per sample"
        );
    }
}
