#!/usr/bin/env python3
"""Image pipeline benchmark: `imagegram render` against libvips' `vipsthumbnail`, one core.

Standard library only; libvips' command-line tools (Debian `libvips-tools`), GNU time and
taskset are installed with apt-get when missing (needs root, as on the dev and CI machines).

    python3 bench/imaging.py [--reps 5] [--binary target/release/imagegram] [--corpus DIR]

1. Builds a corpus with vips itself (no downloads), kept in bench/.corpus/ (git-ignored) and
   reused: a rough fractal surface (`vips fractsurf`) and its mirror images as bands, upscaled 2x, sensor-like
   gaussian noise and rendered text, saved as
   - camera20.jpg      20 MP (5472x3648) baseline, Q92, 4:2:0 ("camera-like")
   - base24_q90.jpg    24 MP (6000x4000) baseline, Q90, 4:2:0
   - base48_q90.jpg    48 MP (8000x6000) baseline, Q90, 4:2:0
   - prog13.jpg        13.5 MP (4500x3000) progressive, Q90, 4:2:0
   - q100_18mp.jpg     18 MP (5184x3456) baseline, Q100 (4:4:4, vips' choice at Q >= 90)
   - png12.png         12 MP (4000x3000) RGB PNG, vips' default compression
   - bmp12.bmp         12 MP (4000x3000) 24-bit BMP (written here from vips' raw pixels)
   - camera20_p3.jpg   camera20.jpg's pixels re-saved with the Display P3 ICC profile of the
                       shared test corpus: both converters turn P3 into sRGB (vipsthumbnail
                       with `--export-profile srgb`, without which it keeps the P3 values)
   All sizes are chosen so the 600x600 centre crop starts on a whole pixel at every scale, so
   the three 600x600 images compared below are aligned exactly.
2. Runs, pinned to core 0 (`taskset -c 0`), `--reps` times each:
   - ours: `imagegram render FILE --out DIR` (the 600x600 cover only), whole process;
   - vips: `VIPS_CONCURRENCY=1 vipsthumbnail FILE -s 600x600 --smartcrop centre
     -o DIR/%s.jpg[Q=85,strip]` (same geometry, same quality and 4:2:0), whole process;
   - ours in-process: `render --repeat N` reports the best time of the library call
     (decode + resize + encode, warm), which is what the issue's targets are about;
   - vips in-process: one vipsthumbnail on 5 names of the file (symlinks, so its operation
     cache cannot reuse a load) minus one on 1 name, divided by 4: its warm per-image time
     including reading and writing files; the process start-up floor (the same commands on a
     16x16 JPEG) is printed too;
   - ours with `--thumb-heights 200,400` in-process: the cost of two more thumbnails from the
     same decode (the 600-only and the +thumbnails runs alternate, `--reps` times each).
   Peak RSS is `/usr/bin/time -f %M` of one more run of each.
3. Quality: PSNR (dB, all three bands) of each 600x600 against a reference made from the
   full-resolution decoded pixels by vips' Lanczos3 without any box pre-shrink
   (`vips resize --kernel lanczos3 --gap 0`, then the centre 600x600 crop); for the P3 file the
   reference is converted to sRGB first (`vips icc_transform ... srgb --embedded`).

Times are the best of the repetitions, in milliseconds (the minimum is the least disturbed by
other processes on a shared machine). The table is printed on stdout.
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# name, width, height, save options (vips' jpegsave / pngsave; "bmp" is written here)
CORPUS = [
    ("camera20.jpg", 5472, 3648, "[Q=92,subsample-mode=on,strip]"),
    ("base24_q90.jpg", 6000, 4000, "[Q=90,subsample-mode=on,strip]"),
    ("base48_q90.jpg", 8000, 6000, "[Q=90,subsample-mode=on,strip]"),
    ("prog13.jpg", 4500, 3000, "[Q=90,subsample-mode=on,interlace,strip]"),
    ("q100_18mp.jpg", 5184, 3456, "[Q=100,strip]"),
    ("png12.png", 4000, 3000, "[strip]"),
    ("bmp12.bmp", 4000, 3000, "bmp"),
    ("camera20_p3.jpg", 5472, 3648, "p3"),
]

# Display P3 ICC profile for camera20_p3.jpg: the one of the shared test corpus
P3_SOURCE = REPO.parent / "shared" / "testdata" / "valid" / "jpeg_metadata_gps_icc.jpg"


def jpeg_icc(path):
    """The ICC profile of a JPEG (APP2 ICC_PROFILE segments, in order)."""
    data, pos, parts = path.read_bytes(), 2, []
    while pos + 4 <= len(data) and data[pos] == 0xFF and data[pos + 1] != 0xDA:
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        seg = data[pos + 4 : pos + 2 + length]
        if data[pos + 1] == 0xE2 and seg.startswith(b"ICC_PROFILE\0"):
            parts.append((seg[12], seg[14:]))
        pos += 2 + length
    return b"".join(p for _, p in sorted(parts))


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run(cmd, env=None, check=True, capture=True):
    return subprocess.run(
        cmd,
        env=env,
        check=check,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
        text=True,
    )


def ensure_tools():
    missing = [
        pkg
        for tool, pkg in [
            ("vips", "libvips-tools"),
            ("vipsthumbnail", "libvips-tools"),
            ("taskset", "util-linux"),
        ]
        if shutil.which(tool) is None
    ]
    if not Path("/usr/bin/time").exists():
        missing.append("time")
    if missing:
        log("installing", " ".join(sorted(set(missing))))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", *sorted(set(missing))], env=env)


def vips(*args):
    return run(["vips", *map(str, args)]).stdout.strip()


def header(field, path):
    return int(run(["vipsheader", "-f", field, str(path)]).stdout.strip())


def make_picture(path_v, width, height, tmp):
    """A photo-like RGB uchar image: fractal bands (detail at every scale), noise, text."""
    sw, sh = width // 2, height // 2
    # One fractal surface (fractal dimension 2.75: rough, detail at every scale); the three
    # bands are it and its mirror images, so colours vary across the picture.
    vips("fractsurf", tmp / "fract.v", sw, sh, 2.75)
    vips("flip", tmp / "fract.v", tmp / "fract_h.v", "horizontal")
    vips("flip", tmp / "fract.v", tmp / "fract_v.v", "vertical")
    vips("bandjoin", f"{tmp / 'fract.v'} {tmp / 'fract_h.v'} {tmp / 'fract_v.v'}", tmp / "fract3.v")
    vips("scale", tmp / "fract3.v", tmp / "small.v")  # to 0..255 uchar
    vips("resize", tmp / "small.v", tmp / "big.v", 2, "--kernel", "cubic")
    vips("gaussnoise", tmp / "noise.v", width, height, "--sigma", 3, "--mean", 0)
    vips("add", tmp / "big.v", tmp / "noise.v", tmp / "noisy.v")
    text = tmp / "text.v"
    vips("text", text, "Imagegram bench 0123456789", "--dpi", max(300, width // 6))
    tw = header("width", text)
    th = header("height", text)
    vips("embed", text, tmp / "textbig.v", max(0, (width - tw) // 2), max(0, (height - th) // 2), width, height)
    vips("add", tmp / "noisy.v", tmp / "textbig.v", tmp / "sum.v")
    vips("cast", tmp / "sum.v", tmp / "pic8.v", "uchar")  # clips to 0..255
    vips("copy", tmp / "pic8.v", path_v, "--interpretation", "srgb")


def write_bmp(path, raw, width, height):
    """24-bit bottom-up BMP (BITMAPINFOHEADER) from packed RGB bytes."""
    row = width * 3
    pad = (4 - row % 4) % 4
    size = (row + pad) * height
    with open(path, "wb") as f:
        f.write(b"BM" + struct.pack("<IHHI", 54 + size, 0, 0, 54))
        f.write(struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, size, 2835, 2835, 0, 0))
        for y in range(height - 1, -1, -1):
            line = bytearray(raw[y * row : (y + 1) * row])
            line[0::3], line[2::3] = line[2::3], line[0::3]  # RGB -> BGR
            f.write(line)
            f.write(b"\0" * pad)


def build_corpus(corpus):
    corpus.mkdir(parents=True, exist_ok=True)
    for name, width, height, opts in CORPUS:
        out = corpus / name
        lossless = name.endswith((".png", ".bmp"))
        source = corpus / (name + ".v")  # lossless sources are kept for the PSNR reference
        if out.exists() and (source.exists() or not lossless):
            continue
        log(f"generating {name} ({width}x{height})")
        with tempfile.TemporaryDirectory(dir=corpus) as tmp:
            tmp = Path(tmp)
            make_picture(tmp / "pic.v", width, height, tmp)
            if opts == "p3":  # camera20's settings, tagged Display P3
                (tmp / "p3.icc").write_bytes(jpeg_icc(P3_SOURCE))
                vips("jpegsave", tmp / "pic.v", out, "--Q", 92, "--subsample-mode", "on",
                     "--profile", tmp / "p3.icc")
            elif opts == "bmp":
                vips("rawsave", tmp / "pic.v", tmp / "pic.raw")
                write_bmp(out, (tmp / "pic.raw").read_bytes(), width, height)
            else:
                vips("copy", tmp / "pic.v", f"{out}{opts}")
            if lossless:
                shutil.move(tmp / "pic.v", source)
    # a tiny JPEG for the process start-up floor
    tiny = corpus / "tiny16.jpg"
    if not tiny.exists():
        vips("black", corpus / "tiny16.v", 16, 16, "--bands", 3)
        vips("copy", corpus / "tiny16.v", f"{tiny}[Q=85]")
    return tiny


def timed(cmd, env=None, reps=5):
    """Best (minimum) wall time (ms) of `reps` runs of `cmd`: on a shared machine the minimum
    is the least disturbed by other processes."""
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run(cmd, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def peak_rss_mb(cmd, env=None):
    res = run(["/usr/bin/time", "-f", "%M", *cmd], env=env)
    return int(res.stderr.strip().splitlines()[-1]) / 1024


def psnr(a, b, tmp, luma=False):
    if luma:  # compare the luminance only (vips' sRGB -> B_W conversion)
        vips("colourspace", a, tmp / "ya.v", "b-w")
        vips("colourspace", b, tmp / "yb.v", "b-w")
        a, b = tmp / "ya.v", tmp / "yb.v"
    vips("subtract", a, b, tmp / "d.v")
    vips("multiply", tmp / "d.v", tmp / "d.v", tmp / "sq.v")
    mse = float(vips("avg", tmp / "sq.v"))
    return float("inf") if mse == 0 else 10 * __import__("math").log10(255 * 255 / mse)


def reference(src, width, height, out, tmp):
    """600x600 centre crop of a full-resolution Lanczos3 cover resize (no box pre-shrink)."""
    scale = 600 / min(width, height)
    vips("resize", src, tmp / "ref_full.v", scale, "--kernel", "lanczos3", "--gap", 0)
    rw = header("width", tmp / "ref_full.v")
    rh = header("height", tmp / "ref_full.v")
    vips("crop", tmp / "ref_full.v", out, (rw - 600) // 2, (rh - 600) // 2, 600, 600)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--binary", type=Path, help="imagegram binary [default: build the release one]")
    ap.add_argument("--corpus", type=Path, default=REPO / "bench" / ".corpus")
    ap.add_argument("--only", help="comma-separated corpus file names")
    args = ap.parse_args()

    ensure_tools()
    binary = args.binary
    if binary is None:
        log("building the release binary (cargo build --release -p imagegram-server)")
        run(["cargo", "build", "--release", "-p", "imagegram-server"], capture=False)
        binary = REPO / "target" / "release" / "imagegram"
    binary = str(binary.resolve())
    tiny = build_corpus(args.corpus)
    pin = ["taskset", "-c", "0"]
    venv = dict(os.environ, VIPS_CONCURRENCY="1")
    oenv = dict(os.environ, RUST_LOG="warn")

    with tempfile.TemporaryDirectory() as out:
        out = Path(out)

        def ours(f, *extra):
            return [*pin, binary, "render", str(f), "--out", str(out / "ours"), *extra]

        def managed(f):
            # vipsthumbnail keeps an embedded profile's pixel values unless asked to export to
            # sRGB (with `strip`, the P3 profile would then be dropped and the colours wrong)
            return ["--export-profile", "srgb"] if f.name.endswith("_p3.jpg") else []

        def theirs(f):
            return [*pin, "vipsthumbnail", str(f), "-s", "600x600", "--smartcrop", "centre",
                    *managed(f), "-o", str(out / "vips_%s.jpg[Q=85,strip]")]

        def vips_inproc(f, n=5):
            # vipsthumbnail takes many files: (time of n files - time of 1) / (n - 1) is its warm
            # per-image time without process start-up. The n names are symlinks to one file
            # (distinct names, so vips' operation cache cannot reuse a load).
            links = out / "links"
            shutil.rmtree(links, ignore_errors=True)
            links.mkdir()
            names = []
            for i in range(n):
                (links / f"{i}_{f.name}").symlink_to(f.resolve())
                names.append(str(links / f"{i}_{f.name}"))
            cmd = [*pin, "vipsthumbnail", "-s", "600x600", "--smartcrop", "centre", *managed(f),
                   "-o", str(out / "vl_%s.jpg[Q=85,strip]")]
            one = timed([*cmd, names[0]], venv, args.reps)
            many = timed([*cmd, *names], venv, args.reps)
            return max(many - one, 0.0) / (n - 1)

        def inproc(f, *extra):
            res = run(ours(f, "--repeat", str(max(2 * args.reps, 3)), *extra), env=oenv)
            return json.loads(res.stdout)["timing_ms"]["min"]

        floor_ours = timed(ours(tiny), oenv, args.reps)
        floor_vips = timed(theirs(tiny), venv, args.reps)
        rows = []
        for name, width, height, _ in CORPUS:
            if args.only and name not in args.only.split(","):
                continue
            f = args.corpus / name
            log(f"measuring {name}")
            ms_ours = timed(ours(f), oenv, args.reps)
            ms_vips = timed(theirs(f), venv, args.reps)
            # 600-only and +thumbnails alternate, so both see the same machine state
            in_600, in_all = float("inf"), float("inf")
            for _ in range(args.reps):
                in_600 = min(in_600, inproc(f))
                in_all = min(in_all, inproc(f, "--thumb-heights", "200,400"))
            in_vips = vips_inproc(f)
            rss_ours = peak_rss_mb(ours(f), oenv)
            rss_vips = peak_rss_mb(theirs(f), venv)
            tmp = out / "q"
            tmp.mkdir(exist_ok=True)
            src = args.corpus / (name + ".v") if name.endswith((".png", ".bmp")) else f
            if name.endswith("_p3.jpg"):  # the reference is colour-managed too
                vips("icc_transform", f, tmp / "srgb.v", "srgb", "--embedded", "--intent", "relative")
                src = tmp / "srgb.v"
            reference(src, width, height, tmp / "ref.v", tmp)
            p_ours = psnr(out / "ours" / "600x600.jpg", tmp / "ref.v", tmp)
            p_vips = psnr(out / ("vips_" + Path(name).stem + ".jpg"), tmp / "ref.v", tmp)
            y_ours = psnr(out / "ours" / "600x600.jpg", tmp / "ref.v", tmp, luma=True)
            y_vips = psnr(out / ("vips_" + Path(name).stem + ".jpg"), tmp / "ref.v", tmp, luma=True)
            rows.append((name, f"{width * height / 1e6:.1f}", f.stat().st_size / 1e6, ms_ours,
                         ms_vips, ms_ours / ms_vips, in_600, in_vips, in_600 / in_vips, in_all,
                         in_all / in_600 - 1,
                         rss_ours, rss_vips, p_ours, p_vips, y_ours, y_vips))

    print(f"one core (taskset -c 0), best of {args.reps} processes / {max(2 * args.reps, 3)} in-process"
          f" renders; load average {os.getloadavg()[0]:.2f}; {binary}")
    print(f"process start-up floor (16x16 JPEG): ours {floor_ours:.1f} ms, vipsthumbnail {floor_vips:.1f} ms")
    head = ("file", "MP", "MB", "ours ms", "vips ms", "ratio", "ours in-proc", "vips in-proc",
            "in-proc ratio", "+thumbs in-proc", "thumbs add", "ours RSS MB", "vips RSS MB", "PSNR ours", "PSNR vips", "Y-PSNR ours",
            "Y-PSNR vips")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for (name, mp, mb, mo, mv, ratio, i6, iv, ir, ia, add, ro, rv, po, pv, yo, yv) in rows:
        print(f"| {name} | {mp} | {mb:.1f} | {mo:.0f} | {mv:.0f} | {ratio:.2f} | {i6:.0f} | {iv:.0f} | "
              f"{ir:.2f} | {ia:.0f} | "
              f"{add * 100:+.0f}% | {ro:.0f} | {rv:.0f} | {po:.2f} | {pv:.2f} | {yo:.2f} | {yv:.2f} |")
    print("ours/vips ms: whole processes; ours in-proc: best of `render --repeat` (decode+resize+encode);"
          " vips in-proc: (5 files in one vipsthumbnail - 1 file) / 4;"
          " +thumbs: 600x600 + h200 + h400 from one decode; PSNR vs full-res Lanczos3 (dB)")


if __name__ == "__main__":
    main()
