//! The placeholder of a rendition: its ThumbHash (a ~25-byte sketch a client decodes into a
//! blurred picture, <https://evanw.github.io/thumbhash/>) and its average colour, so a card can
//! be painted before its JPEG arrives. Made from the pixels of the rendition itself, in the same
//! decode that renders it.

use std::borrow::Cow;

use super::decode::{Decoded, RgbImage};
use super::resize::Resizer;
use super::{ImageError, Size};

/// The picture is shrunk to fit this square first. ThumbHash takes up to 100x100, but it keeps
/// only the lowest frequencies (at most 7 DCT coefficients a side), which a 32x32 sketch already
/// holds; its cost grows with the pixels (a cosine sum per pixel and coefficient): 100x100 cost
/// ~1.9 ms an image, 32x32 a tenth of that (`cargo bench -p imagegram-imaging --bench placeholder`).
const SKETCH_SIDE: u32 = 32;

/// A rendition's placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The ThumbHash bytes (clients get them base64-encoded).
    pub thumbhash: Vec<u8>,
    /// The average sRGB colour.
    pub color: [u8; 3],
}

impl Placeholder {
    /// `#rrggbb`.
    pub fn color_hex(&self) -> String {
        let [r, g, b] = self.color;
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// The placeholder of the RGB pixels `rgb` (`width x height`, 3 bytes per pixel).
pub(crate) fn of_rgb(
    resizer: &mut Resizer,
    rgb: &[u8],
    width: u32,
    height: u32,
) -> Result<Placeholder, ImageError> {
    let source = Decoded {
        image: RgbImage {
            width,
            height,
            pixels: rgb.to_vec(),
        },
        full_width: width,
        full_height: height,
        scale: (1.0, 1.0),
    };
    let small: (Cow<'_, [u8]>, u32, u32) = if width <= SKETCH_SIDE && height <= SKETCH_SIDE {
        (Cow::Borrowed(rgb), width, height)
    } else {
        let (pixels, w, h) = resizer.render(
            &source,
            Size::Inside {
                width: SKETCH_SIDE,
                height: SKETCH_SIDE,
            },
        )?;
        (Cow::Owned(pixels.into_owned()), w, h)
    };
    let (pixels, w, h) = small;
    let rgba: Vec<u8> = pixels
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], u8::MAX])
        .collect();
    let thumbhash = thumbhash::rgba_to_thumb_hash(w as usize, h as usize, &rgba);
    Ok(Placeholder {
        thumbhash,
        color: average(&pixels),
    })
}

fn average(rgb: &[u8]) -> [u8; 3] {
    let n = (rgb.len() / 3).max(1) as u64;
    let mut sum = [0u64; 3];
    for p in rgb.chunks_exact(3) {
        for c in 0..3 {
            sum[c] += u64::from(p[c]);
        }
    }
    sum.map(|s| ((s + n / 2) / n) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_picture_has_its_colour_and_a_short_hash() {
        let (w, h) = (600, 600);
        let rgb: Vec<u8> = std::iter::repeat_n([200u8, 30, 90], (w * h) as usize)
            .flatten()
            .collect();
        let p = of_rgb(&mut Resizer::new(), &rgb, w, h).unwrap();
        assert_eq!(p.color_hex(), "#c81e5a");
        assert!(
            (5..=40).contains(&p.thumbhash.len()),
            "{}",
            p.thumbhash.len()
        );
        let (r, g, b, a) = thumbhash::thumb_hash_to_average_rgba(&p.thumbhash).unwrap();
        assert!((r - 200.0 / 255.0).abs() < 0.05, "{r}");
        assert!((g - 30.0 / 255.0).abs() < 0.05, "{g}");
        assert!((b - 90.0 / 255.0).abs() < 0.05, "{b}");
        assert!((a - 1.0).abs() < 0.01);
    }

    #[test]
    fn halves_of_two_colours_average_between_them() {
        let (w, h) = (4u32, 2u32);
        let mut rgb = Vec::new();
        for _ in 0..h {
            for x in 0..w {
                rgb.extend(if x < 2 { [0u8, 0, 0] } else { [255, 255, 255] });
            }
        }
        let p = of_rgb(&mut Resizer::new(), &rgb, w, h).unwrap();
        assert_eq!(p.color, [128, 128, 128]);
    }
}
