//! Fuzz targets (bolero) over sniff + probe + decode, full-frame and row by row (+ resize and
//! encode for what decodes).
//!
//! `cargo test` runs each on bolero's random inputs for a bounded number of iterations. Under
//! libFuzzer (nightly; `cargo install cargo-bolero`):
//!
//! ```text
//! cargo +nightly bolero test -p imagegram-imaging --lib \
//!     tests::fuzz::mutated_corpus_files_are_handled -T 60s
//! cargo +nightly bolero test -p imagegram-imaging --lib \
//!     tests::fuzz::arbitrary_bytes_are_handled -T 60s
//! ```
//!
//! "Handled" means: an `Ok` or an `ImageError`, never a panic, an abort or a hang. The pixel
//! cap is lowered to 16 MP here so that a mutated header cannot make one iteration allocate
//! hundreds of megabytes (the real cap is covered by the corpus tests).

use std::sync::OnceLock;

use super::super::decode::decode_scaled;
use super::super::resize::Resizer;
use super::super::stream::decode_png_rows;
use super::super::{Format, Limits, RenditionSpec, Size, probe, render, sniff};
use super::{manifest, read};

fn limits() -> Limits {
    Limits {
        max_bytes: 8 * 1024 * 1024,
        max_pixels: 16_000_000,
    }
}

/// Every file of the shared corpus (valid and invalid), loaded once.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| manifest().files.keys().map(|rel| read(rel)).collect())
}

/// sniff + probe + decode at a small scale, then (when that worked) a real render.
fn exercise(bytes: &[u8]) {
    let limits = limits();
    let _ = sniff(bytes);
    let Ok((format, w, h)) = probe(bytes, &limits) else {
        return;
    };
    if format == Format::Png {
        // Outside render's catch_unwind, so that a panic of the row-by-row decode is seen.
        let _ = decode_png_rows(bytes, w, h, 0.1, &mut Resizer::new());
    }
    if decode_scaled(bytes, format, w, h, &limits, &|_, _| 0.1).is_ok() {
        let spec = RenditionSpec {
            name: "r".to_owned(),
            size: Size::Cover {
                width: 64,
                height: 48,
            },
        };
        let _ = render(bytes, &limits, &[spec]);
    }
}

#[test]
fn mutated_corpus_files_are_handled() {
    // Structure-aware: a corpus file, byte edits at offsets (modulo its length), a truncation.
    bolero::check!()
        .with_type::<(u8, Vec<(u32, u8)>, Option<u32>)>()
        .with_iterations(300)
        .for_each(|(seed, edits, cut)| {
            let seeds = seeds();
            let mut bytes = seeds[usize::from(*seed) % seeds.len()].clone();
            if bytes.is_empty() {
                return exercise(&bytes);
            }
            for &(at, value) in edits.iter().take(64) {
                let at = at as usize % bytes.len();
                bytes[at] = value;
            }
            if let Some(cut) = cut {
                bytes.truncate(*cut as usize % (bytes.len() + 1));
            }
            exercise(&bytes);
        });
}

#[test]
fn arbitrary_bytes_are_handled() {
    // Raw bytes behind each accepted signature, so that random input reaches the decoders.
    bolero::check!()
        .with_type::<(u8, Vec<u8>)>()
        .with_iterations(300)
        .for_each(|(kind, tail)| {
            let signature: &[u8] = match kind % 3 {
                0 => b"\xFF\xD8\xFF",
                1 => b"\x89PNG\r\n\x1a\n",
                _ => b"BM",
            };
            let mut bytes = signature.to_vec();
            bytes.extend_from_slice(tail);
            exercise(&bytes);
        });
}
