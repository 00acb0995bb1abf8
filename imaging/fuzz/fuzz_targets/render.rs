//! libFuzzer target over the whole pipeline as the service runs it: sniff, probe (byte and
//! pixel caps from the header) and, for what probes, one render of every kind of rendition (the
//! 600x600 cover, the 200 and 400 high thumbnails, a fit-inside size) with the production
//! limits. "Handled" means `Ok` or an `ImageError`: a panic, an abort, a timeout (`-timeout`)
//! or an allocation beyond `-rss_limit_mb` is a finding.
#![no_main]

use imagegram_imaging::{Limits, RenditionSpec, Size, probe, render, sniff};
use libfuzzer_sys::fuzz_target;

fn specs() -> [RenditionSpec; 4] {
    let spec = |name: &str, size| RenditionSpec {
        name: name.to_owned(),
        size,
    };
    [
        spec(
            "cover600",
            Size::Cover {
                width: 600,
                height: 600,
            },
        ),
        spec("h200", Size::Height(200)),
        spec("h400", Size::Height(400)),
        spec(
            "inside1024",
            Size::Inside {
                width: 1024,
                height: 768,
            },
        ),
    ]
}

fuzz_target!(|bytes: &[u8]| {
    let limits = Limits::default();
    let sniffed = sniff(bytes);
    let Ok((format, _, _)) = probe(bytes, &limits) else {
        return;
    };
    assert_eq!(sniffed, Some(format), "probe accepted what sniff did not");
    if let Ok(rendered) = render(bytes, &limits, &specs()) {
        assert_eq!(rendered.format, format);
        for (r, spec) in rendered.renditions.iter().zip(specs()) {
            let (w, h) = imagegram_imaging::output_size(rendered.width, rendered.height, spec.size);
            assert_eq!((r.width, r.height), (w, h), "{}", r.name);
            assert!(
                r.jpeg.starts_with(b"\xFF\xD8\xFF"),
                "{} is not a JPEG",
                r.name
            );
        }
    }
});
