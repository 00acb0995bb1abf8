//! What the placeholder (ThumbHash + average colour of the 600x600 feed rendition) adds to the
//! processing of an image: its time per image, beside the time of the whole render of the same
//! files (feed crop + 600x600 fit + 200-high thumbnail, as an upload on Basic gets), on the
//! valid JPEGs and PNGs of the shared corpus.
//!
//!     cargo bench -p imagegram-imaging --bench placeholder
//!
//! Run without `--bench` (as `cargo test --all-targets` does) it only checks that it runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use imagegram_imaging::{Limits, RenditionSpec, Size, placeholder_of, render};

fn specs() -> Vec<RenditionSpec> {
    [
        (
            "feed",
            Size::Cover {
                width: 600,
                height: 600,
            },
        ),
        (
            "fit",
            Size::Inside {
                width: 600,
                height: 600,
            },
        ),
        ("h200", Size::Height(200)),
    ]
    .into_iter()
    .map(|(name, size)| RenditionSpec {
        name: name.into(),
        size,
    })
    .collect()
}

fn per_call(runs: u32, mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    for _ in 0..runs {
        f();
    }
    start.elapsed() / runs
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let runs = if benching { 20 } else { 1 };
    let dir = test_support::testdata().join("valid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name.starts_with("jpeg_") && name.ends_with(".jpg"))
                || (name.starts_with("png_") && name.ends_with(".png"))
        })
        .collect();
    files.sort();
    let limits = Limits::default();
    let (mut total_render, mut total_placeholder, mut n) = (Duration::ZERO, Duration::ZERO, 0u32);
    let mut worst = (Duration::ZERO, String::new());
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Ok(rendered) = render(&bytes, &limits, &specs()) else {
            continue;
        };
        let feed = &rendered.renditions[0];
        let rgb = image::load_from_memory(&feed.jpeg).unwrap().to_rgb8();
        let (w, h) = rgb.dimensions();
        let pixels = rgb.into_raw();
        let render_time = per_call(runs, || {
            render(&bytes, &limits, &specs()).unwrap();
        });
        let placeholder_time = per_call(runs * 5, || {
            placeholder_of(&pixels, w, h).unwrap();
        });
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if benching {
            println!(
                "{name:32} render {:8.2} ms   placeholder {:6.3} ms ({:4.1}%)",
                render_time.as_secs_f64() * 1e3,
                placeholder_time.as_secs_f64() * 1e3,
                100.0 * placeholder_time.as_secs_f64() / render_time.as_secs_f64()
            );
        }
        if placeholder_time > worst.0 {
            worst = (placeholder_time, name);
        }
        total_render += render_time;
        total_placeholder += placeholder_time;
        n += 1;
    }
    assert!(n > 0, "no corpus image rendered");
    if benching {
        println!(
            "{n} images: render mean {:.2} ms, placeholder mean {:.3} ms ({:.1}% of render), worst {:.3} ms ({})",
            total_render.as_secs_f64() * 1e3 / f64::from(n),
            total_placeholder.as_secs_f64() * 1e3 / f64::from(n),
            100.0 * total_placeholder.as_secs_f64() / total_render.as_secs_f64(),
            worst.0.as_secs_f64() * 1e3,
            worst.1
        );
    }
}
