#!/usr/bin/env python3
"""Per-input budget of the image pipeline: wall time and peak RSS of `imagegram render`, one core.

SECURITY.md and issue 6 promise that no input takes more than 5 s or 256 MB on one core. This
runs the release CLI (`render FILE --out DIR --thumb-heights 200,400 --size 1024x768`, i.e. the
600x600 cover, both thumbnails and a fit-inside size) on every file of the shared corpus
(../shared/testdata/valid and invalid), the speed corpus of bench/imaging.py (bench/.corpus/, if
built) and worst cases generated here into bench/.corpus/budget/ (git-ignored):

- prog_100_scans.jpg: a 48 MP (8000x6000) progressive JPEG of 100 scans (made with jpegtran
  -scans, which stops at 100), each a real pass over the coefficients: refused once past the scan
  limit for its size (42 scans at 48 MP; see `jpeg_scan_limit` in imaging/src/decode.rs);
- png_rgb_66mp_interlaced.png: 9400x7100 RGB, the largest interlaced PNG (decoded whole) within
  the memory budget; png_rgb_66mp.png and png_rgba_48mp.png (8000x6000 RGBA), the same limit for
  non-interlaced PNGs before they were decoded row by row (imaging/src/stream.rs);
- png_rgb_100mp.png, png_rgba_100mp.png: 10000x10000 (the pixel cap) RGB and RGBA gradients,
  decoded row by row into the box pre-shrink; png_rgba_100mp_noise.png: 10000x10000 RGBA noise
  (sigma 3, all four bands alike, so alpha varies around 128) with the Paeth filter, ~86 MB: the
  slowest to inflate and unfilter that still fits the 100 MiB byte cap;
- png_rgb_100mp_interlaced.png (10000x10000): refused too_many_pixels up front (Adam7 needs the
  300 MB full-size image); png_rgb_100mp_panorama.png (50000x2000, whose 600x600 cover needs 0.3
  of it, so no integer box pre-shrink): box-filtered row by row to exactly that scale;
- bmp_rle8_66mp.bmp: 9400x7100 RLE8, 0.5 MB expanding to 200 MB of pixels.

Each file runs pinned to one core (`taskset -c 0`) under GNU time; prints a line per file,
sorted by time, and exits 1 when any input takes more than 5 s or 256 MB.

    python3 bench/imaging_budget.py [--binary target/release/imagegram] [--reps 1]

Needs vips (libvips-tools), jpegtran (libjpeg-turbo-progs), GNU time and taskset; installs the
first two with apt-get when missing (root, as on the dev and CI machines).
"""

import argparse
import json
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTDATA = REPO.parent / "shared" / "testdata"
BUDGET_S, BUDGET_MB = 5.0, 256


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def ensure_tools():
    need = [pkg for tool, pkg in [("vips", "libvips-tools"), ("jpegtran", "libjpeg-turbo-progs")]
            if shutil.which(tool) is None]
    if need:
        subprocess.run(["apt-get", "install", "-y", "-qq", *need], check=True)


def vips(*args):
    subprocess.run(["vips", *map(str, args)], check=True, capture_output=True)


def scan_script(scans):
    """A progressive scan script for 3-component 4:2:0 JPEG: one interleaved DC scan, then one
    AC coefficient per scan (luma first, then chroma), `scans` scans in all."""
    lines = ["0,1,2: 0-0, 0, 0;"]
    for comp in (0, 1, 2):
        for k in range(1, 64):
            if len(lines) == scans - 1:
                lines.append(f"{comp}: {k}-63, 0, 0;")
                return "\n".join(lines) + "\n"
            lines.append(f"{comp}: {k}-{k}, 0, 0;")
    # Fewer scans than single coefficients allow: finish what is left of the last component.
    return "\n".join(lines) + "\n"


def rle8_bmp(path, width, height):
    """An 8-bit RLE BMP: every row is runs of 255 pixels (2 bytes each) and an end-of-line."""
    row = bytearray()
    left = width
    while left:
        n = min(255, left)
        row += bytes([n, (width - left) // 255 % 256])
        left -= n
    row += b"\x00\x00"
    data = bytes(row) * height + b"\x00\x01"
    palette = b"".join(bytes([i, 255 - i, i // 2, 0]) for i in range(256))
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(data), 2835, 2835, 256, 0)
    path.write_bytes(header + info + palette + data)


def build(out):
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        tmp = Path(tmp)
        for scans in (100,):
            f = out / f"prog_{scans}_scans.jpg"
            if f.exists():
                continue
            log(f"generating {f.name}")
            base = tmp / "base48.jpg"
            if not base.exists():
                vips("gaussnoise", tmp / "noise.v", 8000, 6000, "--sigma", 40, "--mean", 128)
                vips("bandjoin", f"{tmp / 'noise.v'} {tmp / 'noise.v'} {tmp / 'noise.v'}", tmp / "rgb.v")
                vips("cast", tmp / "rgb.v", tmp / "rgb8.v", "uchar")
                vips("jpegsave", tmp / "rgb8.v", base, "--Q", 90, "--subsample-mode", "on")
            (tmp / "scans.txt").write_text(scan_script(scans))
            subprocess.run(["jpegtran", "-scans", tmp / "scans.txt", "-outfile", f, base], check=True)
        for name, w, h, bands, interlace in [
            ("png_rgb_66mp.png", 9400, 7100, 3, False),
            ("png_rgb_66mp_interlaced.png", 9400, 7100, 3, True),
            ("png_rgba_48mp.png", 8000, 6000, 4, False),
            ("png_rgb_100mp.png", 10000, 10000, 3, False),
            ("png_rgba_100mp.png", 10000, 10000, 4, False),
            ("png_rgb_100mp_interlaced.png", 10000, 10000, 3, True),
            ("png_rgb_100mp_panorama.png", 50000, 2000, 3, False),
        ]:
            f = out / name
            if f.exists():
                continue
            log(f"generating {name}")
            vips("xyz", tmp / "xy.v", w, h)
            vips("remainder_const", tmp / "xy.v", tmp / "xym.v", 256)  # gradients wrapping at 255
            vips("cast", tmp / "xym.v", tmp / "xy8.v", "uchar")  # (a plain cast clips at 255)
            vips("extract_band", tmp / "xy8.v", tmp / "x.v", 0)
            vips("bandjoin", " ".join([str(tmp / "xy8.v")] + [str(tmp / "x.v")] * (bands - 2)),
                 tmp / "pic.v")
            vips("pngsave", tmp / "pic.v", f, "--compression", 9,
                 *(["--interlace"] if interlace else []))
        f = out / "png_rgba_100mp_noise.png"
        if not f.exists():
            log(f"generating {f.name}")
            vips("gaussnoise", tmp / "n.v", 10000, 10000, "--sigma", 3, "--mean", 128)
            vips("bandjoin", " ".join([str(tmp / "n.v")] * 4), tmp / "n4.v")
            vips("cast", tmp / "n4.v", tmp / "n4u.v", "uchar")
            vips("pngsave", tmp / "n4u.v", f, "--compression", 6, "--filter", "paeth")
        f = out / "bmp_rle8_66mp.bmp"
        if not f.exists():
            log(f"generating {f.name}")
            rle8_bmp(f, 9400, 7100)


def measure(binary, path, out):
    cmd = ["taskset", "-c", "0", "/usr/bin/time", "-f", "%e %M", binary, "render", path,
           "--out", out, "--thumb-heights", "200,400", "--size", "1024x768"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    secs, kb = res.stderr.strip().splitlines()[-1].split()
    try:
        line = json.loads(res.stdout.strip().splitlines()[-1])
        outcome = line["error"]["code"] if "error" in line else f"{line['width']}x{line['height']}"
    except (IndexError, ValueError, KeyError):
        outcome = f"exit {res.returncode}: {res.stderr.strip()[:80]}"
    return float(secs), int(kb) / 1024, outcome


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(REPO / "target" / "release" / "imagegram"))
    ap.add_argument("--reps", type=int, default=1, help="runs per file (the slowest counts)")
    args = ap.parse_args()
    ensure_tools()
    generated = REPO / "bench" / ".corpus" / "budget"
    build(generated)
    files = sorted((TESTDATA / "valid").iterdir()) + sorted((TESTDATA / "invalid").iterdir())
    speed = REPO / "bench" / ".corpus"
    files += sorted(p for p in speed.glob("*") if p.suffix in (".jpg", ".png", ".bmp"))
    files += sorted(generated.iterdir())
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for f in files:
            runs = [measure(args.binary, f, out) for _ in range(args.reps)]
            secs = max(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            rows.append((secs, rss, runs[0][2], f.relative_to(f.parent.parent)))
    rows.sort(key=lambda r: r[0], reverse=True)
    print(f"{'seconds':>8} {'peak MB':>8}  outcome          file")
    for secs, rss, outcome, name in rows:
        flag = "  OVER BUDGET" if secs > BUDGET_S or rss > BUDGET_MB else ""
        print(f"{secs:8.2f} {rss:8.1f}  {outcome:<16} {name}{flag}")
    worst_t = max(rows, key=lambda r: r[0])
    worst_m = max(rows, key=lambda r: r[1])
    print(f"worst time {worst_t[0]:.2f} s ({worst_t[3]}), worst peak RSS {worst_m[1]:.1f} MB "
          f"({worst_m[3]}) over {len(rows)} files; budget {BUDGET_S:.0f} s, {BUDGET_MB} MB")
    sys.exit(1 if worst_t[0] > BUDGET_S or worst_m[1] > BUDGET_MB else 0)


if __name__ == "__main__":
    main()
