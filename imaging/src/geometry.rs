//! Rendition geometry: a `Size` becomes an exact output size and an optional centred crop of
//! the source. Pure arithmetic, built without the `render` feature too (the API reports the size
//! of a rendition it has not made).

use super::{MAX_RENDITION_SIDE, Size};

/// Source crop box (left, top, width, height), in source pixels (fractional allowed).
pub(crate) type Crop = (f64, f64, f64, f64);

/// Exact output size for a rendition plus the part of the source it is made from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plan {
    pub width: u32,
    pub height: u32,
    pub crop: Option<Crop>,
}

fn clamp_side(v: u32) -> u64 {
    u64::from(v.clamp(1, MAX_RENDITION_SIDE))
}

/// `round(a / b)` for positive integers, never below 1.
fn div_round(a: u64, b: u64) -> u64 {
    ((2 * a + b) / (2 * b)).max(1)
}

fn to_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(MAX_RENDITION_SIDE)
}

/// Centred crop of a `sw x sh` source to the aspect ratio `dw : dh`; `None` when it already has
/// that aspect ratio.
fn centre_crop(sw: u64, sh: u64, dw: u64, dh: u64) -> Option<Crop> {
    let (swf, shf) = (sw as f64, sh as f64);
    if sw * dh > sh * dw {
        // Source is relatively wider: keep the full height, crop the sides.
        let w = shf * dw as f64 / dh as f64;
        Some(((swf - w) / 2.0, 0.0, w, shf))
    } else if sw * dh < sh * dw {
        // Source is relatively taller: keep the full width, crop top and bottom.
        let h = swf * dh as f64 / dw as f64;
        Some((0.0, (shf - h) / 2.0, swf, h))
    } else {
        None
    }
}

/// Computes the output geometry of `size` for an upright `src_w x src_h` source (both >= 1).
pub(crate) fn plan(src_w: u32, src_h: u32, size: Size) -> Plan {
    let (sw, sh) = (u64::from(src_w.max(1)), u64::from(src_h.max(1)));
    match size {
        Size::Cover { width, height } => {
            let (dw, dh) = (clamp_side(width), clamp_side(height));
            Plan {
                width: to_u32(dw),
                height: to_u32(dh),
                crop: centre_crop(sw, sh, dw, dh),
            }
        }
        Size::Inside { width, height } => {
            let (bw, bh) = (clamp_side(width), clamp_side(height));
            let (dw, dh) = if sw <= bw && sh <= bh {
                (sw, sh) // never enlarged
            } else if sw * bh >= sh * bw {
                (bw, div_round(sh * bw, sw).min(bh)) // width-limited
            } else {
                (div_round(sw * bh, sh).min(bw), bh) // height-limited
            };
            Plan {
                width: to_u32(dw),
                height: to_u32(dh),
                crop: None,
            }
        }
        Size::Height(height) => {
            let dh = clamp_side(height);
            let natural = div_round(sw * dh, sh);
            // A very wide source (e.g. 10000x10 at 200 high would be 200,000 px wide, beyond
            // JPEG's 65,535 limit and useless as a thumbnail) is capped at MAX_RENDITION_SIDE
            // wide: the source is centre-cropped to that aspect ratio instead of squashed.
            let cap = u64::from(MAX_RENDITION_SIDE);
            if natural > cap {
                Plan {
                    width: MAX_RENDITION_SIDE,
                    height: to_u32(dh),
                    crop: centre_crop(sw, sh, cap, dh),
                }
            } else {
                Plan {
                    width: to_u32(natural),
                    height: to_u32(dh),
                    crop: None,
                }
            }
        }
    }
}
