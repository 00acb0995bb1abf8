//! Lean Lambda functions: `cargo tree -p <function> -e normal` (the dependencies the function's
//! build resolves on its own, features included) holds none of the one-machine adapters' crates,
//! and the functions that never decode hold no image codec.

use std::collections::BTreeSet;
use std::process::Command;

const ONE_MACHINE: [&str; 4] = ["rusqlite", "libsqlite3-sys", "s3s", "s3s-fs"];
const CODECS: [&str; 6] = [
    "turbojpeg",
    "turbojpeg-sys",
    "image",
    "png",
    "fast_image_resize",
    "qcms",
];

/// The crate names in `package`'s normal dependency tree.
fn tree(package: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["-p", package])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn holds<'a>(tree: &BTreeSet<String>, names: &[&'a str]) -> Vec<&'a str> {
    names
        .iter()
        .copied()
        .filter(|n| tree.contains(*n))
        .collect()
}

#[test]
fn functions_link_no_one_machine_adapter_and_only_the_decoders_decode() {
    for f in ["accounts", "uploads", "posts", "images", "admin", "resize"] {
        let deps = tree(f);
        assert!(deps.contains("imagegram"), "{f}: {deps:?}");
        assert_eq!(holds(&deps, &ONE_MACHINE), Vec::<&str>::new(), "{f}");
        let codecs = holds(&deps, &CODECS);
        if matches!(f, "images" | "resize") {
            assert_eq!(codecs, CODECS.to_vec(), "{f} renders images");
        } else {
            assert_eq!(codecs, Vec::<&str>::new(), "{f} never decodes");
        }
    }
    // The server has them all (the same names, so the check above can fail).
    let server = tree("imagegram-server");
    assert_eq!(holds(&server, &ONE_MACHINE), ONE_MACHINE.to_vec());
}
