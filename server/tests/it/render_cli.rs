//! `imagegram render` end to end: the built binary on files of the shared corpus.

use std::process::Command;

use serde_json::Value;

use test_support::testdata;

/// Runs `imagegram render` and returns (exit code, the one JSON line on stdout).
fn render(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_imagegram"))
        .arg("render")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("imagegram runs");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line, got {stdout:?}");
    let json = serde_json::from_str(lines[0]).expect("stdout is JSON");
    (out.status.code().expect("exit code"), json)
}

#[test]
fn renders_a_valid_file_and_reports_every_rendition() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Stored 400x300 with EXIF orientation 6: upright 300x400.
    let input = testdata().join("valid/jpeg_orient_6.jpg");
    let (code, json) = render(&[
        input.to_str().expect("path"),
        "--out",
        dir.path().to_str().expect("path"),
        "--thumb-heights",
        "200,400",
        "--size",
        "150x150",
    ]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        (json["width"].as_u64(), json["height"].as_u64()),
        (Some(300), Some(400))
    );
    let renditions = json["renditions"].as_array().expect("renditions");
    let got: Vec<(&str, u64, u64)> = renditions
        .iter()
        .map(|r| {
            (
                r["name"].as_str().expect("name"),
                r["width"].as_u64().expect("width"),
                r["height"].as_u64().expect("height"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("600x600", 600, 600),
            ("h200", 150, 200),
            ("h400", 300, 400),
            ("fit_150x150", 113, 150),
        ]
    );
    for r in renditions {
        let path = dir
            .path()
            .join(format!("{}.jpg", r["name"].as_str().expect("name")));
        let bytes = std::fs::read(&path).expect("rendition written");
        assert_eq!(Some(bytes.len() as u64), r["bytes"].as_u64());
        assert!(
            bytes.starts_with(b"\xFF\xD8\xFF"),
            "{} is a JPEG",
            path.display()
        );
    }
}

#[test]
fn the_default_is_the_post_image_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = testdata().join("valid/png_rgba.png");
    let (code, json) = render(&[
        input.to_str().expect("path"),
        "--out",
        dir.path().to_str().expect("path"),
        "--size",
        "600x600",
    ]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        (json["width"].as_u64(), json["height"].as_u64()),
        (Some(320), Some(240))
    );
    assert_eq!(json["renditions"].as_array().map(Vec::len), Some(1));
    assert!(dir.path().join("600x600.jpg").is_file());
}

#[test]
fn a_refused_file_prints_the_api_error_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    for (file, code) in [
        ("invalid/jpeg_trunc_scan.jpg", "corrupt_image"),
        ("invalid/gif_as.jpg", "unsupported_format"),
        ("invalid/png_50000x50000.png", "too_many_pixels"),
    ] {
        let input = testdata().join(file);
        let (status, json) = render(&[
            input.to_str().expect("path"),
            "--out",
            out.to_str().expect("path"),
        ]);
        assert_eq!(status, 2, "{file}: {json}");
        assert_eq!(json["error"]["code"].as_str(), Some(code), "{file}: {json}");
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    assert!(!out.exists(), "nothing is written for a refused image");
}
