//! The shared corpus (manifest.json): every valid file renders with exact geometry and no
//! smuggled bytes, every invalid file is refused quickly with a listed kind, and truncated or
//! byte-flipped valid files never make a decoder panic (and get the same outcome from the
//! row-by-row PNG decode as from the full-frame one).

use std::time::{Duration, Instant};

use super::super::decode::decode;
use super::super::resize::Resizer;
use super::super::stream::decode_png_rows;
use super::super::{Format, Limits, probe, render, sniff};
use super::{check_jpeg, contains, expected_size, manifest, read, specs};

#[test]
fn every_valid_file_renders_with_exact_geometry() {
    let (mut failures, mut checked) = (Vec::new(), 0);
    for (rel, entry) in manifest().files {
        let Some([w, h]) = entry.expect.accept else {
            continue;
        };
        checked += 1;
        let start = Instant::now();
        let rendered = match render(&read(&rel), &Limits::default(), &specs()) {
            Ok(r) => r,
            Err(e)
                if entry
                    .expect
                    .or_reject
                    .iter()
                    .flatten()
                    .any(|k| k == e.code()) =>
            {
                println!("{rel}: tolerated rejection {}", e.code());
                continue;
            }
            Err(e) => {
                failures.push(format!("{rel}: rejected: {e}"));
                continue;
            }
        };
        println!("{rel}: {w}x{h} rendered in {:?}", start.elapsed());
        if (rendered.width, rendered.height) != (w, h) {
            failures.push(format!(
                "{rel}: upright {}x{}",
                rendered.width, rendered.height
            ));
        }
        for (r, spec) in rendered.renditions.iter().zip(specs()) {
            let want = expected_size(w, h, spec.size);
            match check_jpeg(&r.jpeg) {
                Ok((dw, dh, _)) if (dw, dh) == want && (r.width, r.height) == want => {}
                Ok((dw, dh, _)) => {
                    failures.push(format!("{rel} {}: {dw}x{dh} != {want:?}", r.name))
                }
                Err(e) => failures.push(format!("{rel} {}: {e}", r.name)),
            }
            for bad in [&b"IMAGEGRAM-CANARY"[..], b"PK\x03\x04", b"<script"] {
                if contains(&r.jpeg, bad) {
                    failures.push(format!("{rel} {}: contains {:?}", r.name, bad));
                }
            }
        }
    }
    assert_eq!(checked, 53, "valid files in the manifest");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_invalid_file_is_rejected_quickly_with_a_listed_kind() {
    let (mut failures, mut checked) = (Vec::new(), 0);
    for (rel, entry) in manifest().files {
        let Some(kinds) = entry.expect.reject else {
            continue;
        };
        checked += 1;
        let bytes = read(&rel);
        let start = Instant::now();
        let result = render(&bytes, &Limits::default(), &specs());
        let elapsed = start.elapsed();
        match result {
            Ok(_) => failures.push(format!("{rel}: accepted")),
            Err(e) if kinds.first().map(String::as_str) == Some(e.code()) => {
                println!("{rel}: {} in {elapsed:?} ({e})", e.code());
            }
            Err(e) if kinds.iter().any(|k| k == e.code()) => {
                println!(
                    "{rel}: NON-PREFERRED {} (wanted {}) in {elapsed:?}",
                    e.code(),
                    kinds[0]
                );
            }
            Err(e) => failures.push(format!("{rel}: {} not in {kinds:?}: {e}", e.code())),
        }
        if elapsed > Duration::from_secs(2) {
            failures.push(format!("{rel}: took {elapsed:?}"));
        }
    }
    assert_eq!(checked, 47, "invalid files in the manifest");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn truncated_and_mutated_valid_files_never_panic() {
    // Deterministic mini-fuzz over sniff + probe + decode (no catch_unwind here, so a decoder
    // panic fails the test): truncations and byte flips of every valid file.
    let limits = Limits::default();
    for (rel, entry) in manifest().files {
        if entry.expect.accept.is_none() {
            continue;
        }
        let bytes = read(&rel);
        let mut cases: Vec<Vec<u8>> = [1, 2, 3, 5, 8]
            .iter()
            .map(|k| bytes[..bytes.len() * k / 9].to_vec())
            .collect();
        for k in 1..=6usize {
            let mut m = bytes.clone();
            let at = (bytes.len() * k * 7919 / 61) % bytes.len();
            m[at] ^= 0x5A;
            cases.push(m);
        }
        for case in cases {
            if let Ok((format, w, h)) = probe(&case, &limits) {
                let _ = decode(&case, format, w, h, &limits);
            }
        }
    }
}

#[test]
fn truncated_and_mutated_corpus_pngs_get_the_full_frame_outcome() {
    // Given truncations and byte flips of every valid PNG of the corpus
    let limits = Limits::default();
    for (rel, entry) in manifest().files {
        let bytes = read(&rel);
        if entry.expect.accept.is_none() || sniff(&bytes) != Some(Format::Png) {
            continue;
        }
        let mut cases: Vec<Vec<u8>> = [1, 2, 3, 5, 8]
            .iter()
            .map(|k| bytes[..bytes.len() * k / 9].to_vec())
            .collect();
        for k in 1..=12usize {
            let mut m = bytes.clone();
            let at = (bytes.len() * k * 7919 / 113) % bytes.len();
            m[at] ^= 0x5A;
            cases.push(m);
        }
        for case in cases {
            let Ok((format, w, h)) = probe(&case, &limits) else {
                continue;
            };
            // Then the streamed decode (no panic) accepts or refuses each as the full one does
            let full = decode(&case, format, w, h, &limits).map(|_| ());
            let ours = decode_png_rows(&case, w, h, 1.0, &mut Resizer::new());
            let interlaced = matches!(ours, Ok(None));
            if !interlaced {
                assert_eq!(
                    ours.map(|_| ()).map_err(|e| e.code()),
                    full.map_err(|e| e.code()),
                    "{rel}"
                );
            }
        }
    }
}
