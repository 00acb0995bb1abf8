//! `imagegram render INPUT --out DIR [--size WxH] [--thumb-heights 200,400]`: runs the image
//! pipeline (the same `imagegram::imaging::render` the server and the Lambda call) on one file.
//!
//! Renditions, all from one decode, written as `DIR/<name>.jpg`:
//! - `600x600`: the post image, 600x600 cover (scaled to cover, centre-cropped); always made;
//! - `h<H>` for each of `--thumb-heights`: exactly H high, the width follows the aspect ratio;
//! - `fit_<W>x<H>` for `--size WxH`: fitted inside WxH, never enlarged. `--size 600x600` (the
//!   default post size) adds nothing: the post image already is 600x600.
//!
//! Prints one JSON line on stdout: `{"width":..,"height":..,"renditions":[{"name","width",
//! "height","bytes"}]}` (`width`/`height` are the upright original's, after EXIF orientation).
//! A refused image prints the API error shape `{"error":{"code":"corrupt_image","message":..}}`
//! and exits with status 2; an unreadable input or an unwritable `--out` is an ordinary error
//! (status 1).

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use imagegram::domain::{FEED_HEIGHT, FEED_WIDTH};
use imagegram::imaging::{self, ImageError, Limits, Rendered, RenditionSpec, Size};
use serde_json::json;

/// Size of the post image, always rendered.
const POST_SIZE: (u32, u32) = (FEED_WIDTH, FEED_HEIGHT);

#[derive(Debug, Clone, clap::Args)]
pub struct RenderArgs {
    /// The image to render (PNG, JPEG or BMP; the format is sniffed from the bytes).
    input: PathBuf,
    /// Directory the renditions are written to (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// An extra rendition fitted inside WxH (never enlarged); 600x600 adds nothing.
    #[arg(long, value_parser = parse_size)]
    size: Option<(u32, u32)>,
    /// Thumbnails by height, comma-separated (e.g. 200,400); the width follows the aspect ratio.
    #[arg(long, value_delimiter = ',')]
    thumb_heights: Vec<u32>,
    /// Benchmarking: render this many times in-process and add `"timing_ms"` (min and median
    /// of the whole `render` call: decode, resize and encode, files not included) to the JSON.
    #[arg(long, hide = true, default_value_t = 1)]
    repeat: u32,
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT, got {text:?}"))?;
    let parse = |v: &str| match v.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected a positive number, got {v:?}")),
    };
    Ok((parse(w)?, parse(h)?))
}

/// The renditions requested by `args`, in output order.
fn specs(args: &RenderArgs) -> Vec<RenditionSpec> {
    let (pw, ph) = POST_SIZE;
    let mut specs = vec![RenditionSpec {
        name: format!("{pw}x{ph}"),
        size: Size::Cover {
            width: pw,
            height: ph,
        },
    }];
    for &h in &args.thumb_heights {
        let name = format!("h{h}");
        if h > 0 && !specs.iter().any(|s| s.name == name) {
            specs.push(RenditionSpec {
                name,
                size: Size::Height(h),
            });
        }
    }
    if let Some((w, h)) = args.size.filter(|&s| s != POST_SIZE) {
        specs.push(RenditionSpec {
            name: format!("fit_{w}x{h}"),
            size: Size::Inside {
                width: w,
                height: h,
            },
        });
    }
    specs
}

/// Reads at most `limits.max_bytes + 1` bytes, so an oversized file is refused as `too_large`
/// without being read whole.
fn read_input(args: &RenderArgs, limits: &Limits) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(&args.input)
        .with_context(|| format!("cannot open {}", args.input.display()))?;
    let mut bytes = Vec::new();
    file.take(limits.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    Ok(bytes)
}

fn refused(err: &ImageError) -> ! {
    println!(
        "{}",
        json!({"error": {"code": err.code(), "message": err.to_string()}})
    );
    std::process::exit(2);
}

fn write(rendered: &Rendered, out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for r in &rendered.renditions {
        let path = out.join(format!("{}.jpg", r.name));
        std::fs::write(&path, &r.jpeg)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Runs the subcommand; exits the process with status 2 when the image is refused.
pub fn run(args: RenderArgs) -> anyhow::Result<()> {
    let limits = Limits::default();
    let specs = specs(&args);
    let bytes = read_input(&args, &limits)?;
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..args.repeat.max(1) {
        let start = Instant::now();
        let rendered = imaging::render(&bytes, &limits, &specs);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        match rendered {
            Ok(r) => result = Some(r),
            Err(e) => refused(&e),
        }
    }
    let rendered = result.context("nothing was rendered")?;
    write(&rendered, &args.out)?;
    let renditions: Vec<_> = rendered
        .renditions
        .iter()
        .map(|r| json!({"name": r.name, "width": r.width, "height": r.height, "bytes": r.jpeg.len()}))
        .collect();
    let mut line = json!({
        "width": rendered.width,
        "height": rendered.height,
        "renditions": renditions,
    });
    if args.repeat > 1 {
        times.sort_by(f64::total_cmp);
        line["timing_ms"] = json!({
            "runs": times.len(),
            "min": times[0],
            "median": times[times.len() / 2],
        });
    }
    println!("{line}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("600x600"), Ok((600, 600)));
        assert_eq!(parse_size("1080X720"), Ok((1080, 720)));
        assert!(parse_size("600").is_err());
        assert!(parse_size("0x10").is_err());
        assert!(parse_size("ax10").is_err());
    }
}
