//! Inputs found by coverage-guided fuzzing (`imaging/fuzz`, `.ci/fuzz.sh`), rebuilt here so that
//! each stays fixed: a decoder panic (which would abort a fuzzing run, and a worker built with
//! `panic = "abort"`), a timeout or an allocation beyond the budget.

use super::super::decode::decode;
use super::super::{ImageError, Limits, RenditionSpec, Size, probe, render};
use super::specs;

/// CRC-32 (ISO-HDLC, as PNG chunks use).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// The chunks (type, data) of a PNG, after its signature.
fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos + 12 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let kind = png[pos + 4..pos + 8].try_into().expect("4 bytes");
        out.push((kind, png[pos + 8..pos + 8 + len].to_vec()));
        pos += 12 + len;
    }
    out
}

/// A PNG of `chunks`, each with a correct CRC (so only the chunk contents are wrong).
fn assemble(chunks: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in chunks {
        out.extend_from_slice(&u32::try_from(data.len()).expect("short").to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

/// A valid 8-bit indexed 16x8 PNG (two palette entries, one tRNS entry) whose PLTE and tRNS
/// chunks are then replaced by `plte` and `trns`.
fn indexed_png(plte: &[u8], trns: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::new();
    let mut encoder = png::Encoder::new(&mut encoded, 16, 8);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(vec![255, 0, 0, 0, 0, 255]);
    encoder.set_trns(vec![128]);
    let mut writer = encoder.write_header().expect("png header");
    let indices: Vec<u8> = (0..16 * 8).map(|i| u8::from(i % 3 == 0)).collect();
    writer.write_image_data(&indices).expect("png data");
    writer.finish().expect("png finish");
    let replaced: Vec<_> = chunks(&encoded)
        .into_iter()
        .map(|(kind, data)| match &kind {
            b"PLTE" => (kind, plte.to_vec()),
            b"tRNS" => (kind, trns.to_vec()),
            _ => (kind, data),
        })
        .collect();
    assemble(&replaced)
}

fn outcome(bytes: &[u8]) -> Result<(u32, u32), &'static str> {
    let limits = Limits::default();
    let (format, w, h) = probe(bytes, &limits).map_err(|e| e.code())?;
    decode(bytes, format, w, h, &limits).map_err(|e| e.code())?;
    let rendered = render(bytes, &limits, &specs()).map_err(|e| e.code())?;
    Ok((rendered.width, rendered.height))
}

#[test]
fn png_palettes_of_partial_entries_or_with_a_longer_trns_are_corrupt() {
    // Given the indexed PNG as encoded, then with a 4-byte PLTE (image-rs/image-png#694: a panic
    // in png 0.18.1's palette expansion), a 769-byte one, and a tRNS longer than the palette
    let red_blue = [255, 0, 0, 0, 0, 255];
    assert_eq!(outcome(&indexed_png(&red_blue, &[128])), Ok((16, 8)));
    assert_eq!(outcome(&indexed_png(&red_blue, &[128, 255])), Ok((16, 8)));
    for plte in [&red_blue[..4], &red_blue[..5], &[7; 769][..]] {
        assert_eq!(
            outcome(&indexed_png(plte, &[128])),
            Err("corrupt_image"),
            "PLTE of {} bytes",
            plte.len()
        );
    }
    assert_eq!(
        outcome(&indexed_png(&red_blue, &[128, 255, 0])),
        Err("corrupt_image"),
        "tRNS of 3 entries for 2 colours"
    );
}

/// A PNG header for `width x height` 8-bit `colour` (2 = RGB, 6 = RGBA) followed by one IDAT of
/// `idat_len` bytes (not a valid zlib stream) and IEND.
fn png_claiming(width: u32, height: u32, colour: u8, idat_len: usize) -> Vec<u8> {
    png_claiming_with(width, height, colour, 0, idat_len)
}

/// `png_claiming`, Adam7-interlaced when `interlace` is 1.
fn png_claiming_with(
    width: u32,
    height: u32,
    colour: u8,
    interlace: u8,
    idat_len: usize,
) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, colour, 0, 0, interlace]);
    assemble(&[
        (*b"IHDR", ihdr),
        (*b"IDAT", vec![0x55; idat_len]),
        (*b"IEND", Vec::new()),
    ])
}

fn render_error(bytes: &[u8]) -> super::super::ImageError {
    render(bytes, &Limits::default(), &specs()).expect_err("refused")
}

#[test]
fn a_png_too_short_for_its_declared_pixels_is_refused_before_decoding() {
    // Given a few hundred bytes declaring 300 x 262,344 (79 MP, under the pixel cap; the
    // fuzzer's OOM was such an indexed PNG, a 315 MB RGBA buffer) or 10,000 x 10,000 RGB, and
    // 150 KB declaring 9,000 x 9,000 RGB (243 MB inflated; 150 KB of DEFLATE data give 155 MB)
    for (w, h, len) in [
        (300, 262_344, 480),
        (10_000, 10_000, 480),
        (9_000, 9_000, 150_000),
    ] {
        let err = render_error(&png_claiming(w, h, 2, len));
        // Then the data check refuses it (not the decoder, after allocating)
        assert_eq!(err.code(), "corrupt_image", "{w}x{h}: {err}");
        assert!(err.to_string().contains("cannot hold"), "{w}x{h}: {err}");
    }
}

#[test]
fn full_size_decodes_beyond_the_memory_budget_are_refused_up_front() {
    // Given 8,000 x 7,000 (56 MP, under the pixel cap) with enough data to be plausible
    let raw_rgba = (1 + 8_000 * 4) * 7_000 / 1032 + 1;
    // Then interlaced RGBA (224 MB of pixels, decoded whole) is over the 192 MiB budget
    let err = render_error(&png_claiming_with(8_000, 7_000, 6, 1, raw_rgba));
    assert_eq!(err.code(), "too_many_pixels", "{err}");
    // saying why (the pixel cap is not what it exceeds) and what would be accepted
    assert_eq!(
        err,
        ImageError::OverDecodeBudget {
            width: 8_000,
            height: 7_000
        }
    );
    assert!(err.to_string().contains("non-interlaced PNG"), "{err}");
    // And interlaced RGB (168 MB) is within it: this one fails in the decoder (not zlib data)
    let err = render_error(&png_claiming_with(8_000, 7_000, 2, 1, raw_rgba));
    assert_eq!(err.code(), "corrupt_image", "{err}");
    assert!(!err.to_string().contains("cannot hold"), "{err}");
    // And non-interlaced RGBA is streamed: into a box pre-shrunk image for the usual
    // renditions, or at full size but 3 bytes a pixel (168 MB) for one that needs it whole;
    // both fail in the decoder
    let whole = [RenditionSpec {
        name: "inside8192".to_owned(),
        size: Size::Inside {
            width: 8192,
            height: 8192,
        },
    }];
    let rgba = png_claiming(8_000, 7_000, 6, raw_rgba);
    for specs in [&specs()[..], &whole] {
        let err = render(&rgba, &Limits::default(), specs).expect_err("not zlib");
        assert_eq!(err.code(), "corrupt_image", "{err}");
        assert!(!err.to_string().contains("cannot hold"), "{err}");
    }
    // But 100 MP RGB needed whole (300 MB) is over the budget, streamed or not
    let raw_rgb = (1 + 10_000 * 3) * 10_000 / 1032 + 1;
    let err = render(
        &png_claiming(10_000, 10_000, 2, raw_rgb),
        &Limits::default(),
        &whole,
    )
    .expect_err("over the budget");
    assert_eq!(err.code(), "too_many_pixels", "{err}");
    // And a BMP: 24-bit 9,000 x 8,000 with its 216 MB of rows present only in its header
    let err = render_error(&bmp_claiming(9_000, 8_000, 24, 0));
    assert_eq!(err.code(), "corrupt_image", "{err}");
    assert!(err.to_string().contains("cannot hold"), "{err}");
}

/// A BITMAPINFOHEADER BMP of `width x height` at `bits` per pixel with `data` bytes of rows.
fn bmp_claiming(width: i32, height: i32, bits: u16, data: usize) -> Vec<u8> {
    let mut v = b"BM".to_vec();
    v.extend_from_slice(&u32::try_from(54 + data).expect("small").to_le_bytes());
    v.extend_from_slice(&[0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0]);
    v.extend_from_slice(&width.to_le_bytes());
    v.extend_from_slice(&height.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&bits.to_le_bytes());
    v.extend_from_slice(&[0; 24]); // BI_RGB, sizes, resolution, palette counts
    v.resize(54 + data, 0x80);
    v
}

#[test]
fn an_uncompressed_bmp_is_checked_against_its_rows() {
    // Given a 24-bit 5 x 3 BMP: rows of 15 bytes padded to 16
    for (data, ok) in [(48, true), (47, false), (0, false)] {
        let result = render(&bmp_claiming(5, 3, 24, data), &Limits::default(), &specs());
        assert_eq!(result.is_ok(), ok, "{data} bytes: {:?}", result.err());
    }
}

#[test]
fn larger_progressive_jpegs_get_fewer_scans() {
    use super::super::jpeg::jpeg_scan_limit;
    // 48 MP at 4:2:0 is 1,125,000 blocks: 100 scans of it took 1.8 to 4.9 s on one core
    // (bench/imaging_budget.py, quiet or shared)
    let blocks = |mp: u64| mp * 1_000_000 / 64 * 3 / 2;
    assert_eq!(jpeg_scan_limit(blocks(48) * 128), 42);
    assert_eq!(
        jpeg_scan_limit(192 * 1024 * 1024),
        30,
        "at the coefficient budget"
    );
    assert_eq!(jpeg_scan_limit(blocks(24) * 128), 85);
    assert_eq!(jpeg_scan_limit(blocks(20) * 128), 100);
    assert_eq!(jpeg_scan_limit(0), 100, "single-scan images");
    // libjpeg's and mozjpeg's progressive scripts (10 to ~20 scans) always fit
    assert!(jpeg_scan_limit(192 * 1024 * 1024) >= 20);
}
