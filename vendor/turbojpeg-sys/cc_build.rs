//! Imagegram's addition to turbojpeg-sys 1.2.0: build the vendored libjpeg-turbo 3.1 with the C
//! compiler alone (the `cc` crate) when cmake, or nasm on x86, is not installed, so that
//! `cargo run --release` works on a machine with nothing but rustup and a C compiler. Such a
//! build has no SIMD (libjpeg-turbo's x86 SIMD is nasm assembly); the build says so in a
//! warning. `TURBOJPEG_BUILD=cmake` forces the cmake build (and fails without the tools: what CI
//! and the Lambda builds use, so they never lose SIMD silently); `TURBOJPEG_BUILD=cc` forces this.

use anyhow::{Result, bail};
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The sources of the 12- and 16-bit sample libraries (CMakeLists.txt: JPEG16_SOURCES and
/// JPEG12_SOURCES); each is compiled once more per precision with `BITS_IN_JSAMPLE`.
const JPEG16: &[&str] = &[
    "jcapistd.c", "jccolor.c", "jcdiffct.c", "jclossls.c", "jcmainct.c", "jcprepct.c",
    "jcsample.c", "jdapistd.c", "jdcolor.c", "jddiffct.c", "jdlossls.c", "jdmainct.c",
    "jdpostct.c", "jdsample.c", "jutils.c",
];
const JPEG12_MORE: &[&str] = &[
    "jccoefct.c", "jcdctmgr.c", "jdcoefct.c", "jddctmgr.c", "jdmerge.c", "jfdctfst.c",
    "jfdctint.c", "jidctflt.c", "jidctfst.c", "jidctint.c", "jidctred.c", "jquant1.c",
    "jquant2.c",
];
/// JPEG_SOURCES beyond JPEG12_SOURCES, the arithmetic coder (on by default in cmake) and
/// the TurboJPEG API's own files (the `turbojpeg-static` target).
const JPEG8_MORE: &[&str] = &[
    "jcapimin.c", "jchuff.c", "jcicc.c", "jcinit.c", "jclhuff.c", "jcmarker.c", "jcmaster.c",
    "jcomapi.c", "jcparam.c", "jcphuff.c", "jctrans.c", "jdapimin.c", "jdatadst.c",
    "jdatasrc.c", "jdhuff.c", "jdicc.c", "jdinput.c", "jdlhuff.c", "jdmarker.c", "jdmaster.c",
    "jdphuff.c", "jdtrans.c", "jerror.c", "jfdctflt.c", "jmemmgr.c", "jmemnobs.c",
    "jpeg_nbits.c", "jaricom.c", "jcarith.c", "jdarith.c", "turbojpeg.c", "transupp.c",
    "jdatadst-tj.c", "jdatasrc-tj.c", "rdbmp.c", "rdppm.c", "wrbmp.c", "wrppm.c",
];

const VERSION: &str = "3.1.0";
const VERSION_NUMBER: &str = "3001000";

/// Whether to take turbojpeg-sys's own cmake build: forced by `TURBOJPEG_BUILD`, else when
/// cmake is installed and, on x86, nasm too.
pub fn use_cmake() -> Result<bool> {
    println!("cargo:rerun-if-env-changed=TURBOJPEG_BUILD");
    match env::var("TURBOJPEG_BUILD").ok().as_deref() {
        Some("cmake") => return Ok(true),
        Some("cc") => return Ok(false),
        Some(other) => bail!("TURBOJPEG_BUILD must be `cmake` or `cc`, not {other:?}"),
        None => {}
    }
    let arch = env::var("CARGO_CFG_TARGET_ARCH")?;
    let needs_nasm = matches!(arch.as_str(), "x86" | "x86_64");
    Ok(runs("cmake", "--version") && (!needs_nasm || runs("nasm", "-v")))
}

fn runs(tool: &str, arg: &str) -> bool {
    Command::new(tool).arg(arg).output().is_ok_and(|out| out.status.success())
}

pub fn build() -> Result<super::Library> {
    let x86 = matches!(env::var("CARGO_CFG_TARGET_ARCH")?.as_str(), "x86" | "x86_64");
    println!(
        "cargo:warning=turbojpeg: cmake{} not found, so libjpeg-turbo is built with the C compiler \
         alone and without SIMD: JPEG decoding and encoding are slower. Install cmake and nasm \
         (e.g. `apt-get install cmake nasm`) and rebuild for full speed.",
        if x86 { " or nasm" } else { "" }
    );
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("libjpeg-turbo");
    let src = root.join("src");
    let include = PathBuf::from(env::var("OUT_DIR")?).join("include");
    fs::create_dir_all(&include)?;
    configure(&src, &include)?;

    let base = || {
        let mut build = cc::Build::new();
        build.include(&include).include(&src).warnings(false).pic(true);
        build.flag_if_supported("-fvisibility=hidden");
        build
    };
    let files = |names: &[&str]| names.iter().map(|name| src.join(name)).collect::<Vec<_>>();

    let mut objects = Vec::new();
    for bits in ["12", "16"] {
        let mut build = base();
        build.define("BITS_IN_JSAMPLE", bits).define("PPM_SUPPORTED", None);
        build.files(files(JPEG16)).files(files(&["rdppm.c", "wrppm.c"]));
        if bits == "12" {
            build.files(files(JPEG12_MORE));
        }
        // Object names are per build (cc hashes the source path into them), and each
        // precision compiles into its own directory so the same file can be built twice.
        build.out_dir(include.with_file_name(format!("obj{bits}")));
        objects.extend(build.compile_intermediates());
    }
    let mut build = base();
    build.define("BMP_SUPPORTED", None).define("PPM_SUPPORTED", None);
    build.files(files(JPEG16)).files(files(JPEG12_MORE)).files(files(JPEG8_MORE));
    build.objects(objects);
    build.compile("turbojpeg");

    Ok(super::Library { include_paths: vec![include], defines: Default::default() })
}

/// jconfig.h, jconfigint.h and jversion.h from their `.in` templates, as cmake would write
/// them for a GCC or Clang target without SIMD, arithmetic coding on, libjpeg v6b API.
fn configure(src: &Path, include: &Path) -> Result<()> {
    let pointer_bytes = env::var("CARGO_CFG_TARGET_POINTER_WIDTH")?.parse::<u32>()? / 8;
    let values = [
        ("JPEG_LIB_VERSION", "62".to_string()),
        ("VERSION", VERSION.to_string()),
        ("LIBJPEG_TURBO_VERSION_NUMBER", VERSION_NUMBER.to_string()),
        ("BUILD", "imagegram-cc".to_string()),
        ("HIDDEN", "__attribute__((visibility(\"hidden\")))".to_string()),
        ("INLINE", "__inline__ __attribute__((always_inline))".to_string()),
        ("THREAD_LOCAL", "__thread".to_string()),
        ("CMAKE_PROJECT_NAME", "libjpeg-turbo".to_string()),
        ("SIZE_T", pointer_bytes.to_string()),
        ("COPYRIGHT_YEAR", "1991-2024".to_string()),
    ];
    let defined = ["C_ARITH_CODING_SUPPORTED", "D_ARITH_CODING_SUPPORTED", "HAVE_BUILTIN_CTZL"];
    for name in ["jconfig.h", "jconfigint.h", "jversion.h"] {
        let template = fs::read_to_string(src.join(format!("{name}.in")))?;
        let mut out = String::with_capacity(template.len());
        for line in template.lines() {
            let line = match line.strip_prefix("#cmakedefine ") {
                Some(rest) => {
                    let symbol = rest.split_whitespace().next().unwrap_or_default();
                    if defined.contains(&symbol) {
                        format!("#define {rest}")
                    } else {
                        format!("/* #undef {symbol} */")
                    }
                }
                None => line.to_string(),
            };
            out.push_str(&substitute(&line, &values)?);
            out.push('\n');
        }
        fs::write(include.join(name), out)?;
    }
    Ok(())
}

fn substitute(line: &str, values: &[(&str, String)]) -> Result<String> {
    let mut line = line.to_string();
    for (key, value) in values {
        line = line.replace(&format!("@{key}@"), value);
    }
    if line.contains('@') && line.matches('@').count() >= 2 && !line.trim_start().starts_with('*') {
        bail!("unconfigured template line: {line}");
    }
    Ok(line)
}
