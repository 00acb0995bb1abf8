#!/usr/bin/env bash
# Coverage-guided fuzzing of the image pipeline with cargo-fuzz (libFuzzer).
#
#   .ci/fuzz.sh [SECONDS]      (default 60)
#
# Builds the `render` target of imaging/fuzz (sniff + probe + one render of every rendition kind
# with the production limits) and runs it for SECONDS on one core, seeded with the shared corpus
# (../shared/testdata/valid and invalid, read in place, never copied), under the per-input budget
# of SECURITY.md: `-timeout=5` (seconds) and `-rss_limit_mb=256`. Any panic, abort, sanitizer
# report, timeout or out-of-memory fails the run; libFuzzer saves the input in
# imaging/fuzz/artifacts/render/ (replay: `cd imaging && cargo +nightly fuzz run render FILE`).
# New coverage is kept in imaging/fuzz/corpus/render/ (git-ignored) for the next run.
#
# Toolchain: `cargo +nightly fuzz` when rustup has a nightly; otherwise stable with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz passes `-Z` flags: `-Zsanitizer=address`, which the stable
# toolchain's ASan runtime supports). FUZZ_TOOLCHAIN=nightly|stable forces one, FUZZ_SANITIZER=none
# builds without AddressSanitizer (faster, and RSS is then the pipeline's own).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
CARGO_FUZZ_VERSION=0.13.1
testdata="${IMAGEGRAM_TESTDATA:-$(cd .. && pwd)/shared/testdata}"
if [ ! -d "$testdata/valid" ] || [ ! -d "$testdata/invalid" ]; then
  echo "fuzz: missing seed corpus at $testdata/{valid,invalid}" >&2
  exit 1
fi

# FUZZ_TOOLS_DIR: where cargo-fuzz is installed (`cargo install --root`), FUZZ_TARGET_DIR: the
# build (.ci/run keeps both in ~/.cache between runs). Default: cargo's own places.
if [ -n "${FUZZ_TOOLS_DIR:-}" ]; then
  export PATH="$FUZZ_TOOLS_DIR/bin:$PATH"
fi
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
  echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" \
    ${FUZZ_TOOLS_DIR:+--root "$FUZZ_TOOLS_DIR"}
fi
target_dir=()
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
  target_dir=(--target-dir "$FUZZ_TARGET_DIR")
fi

toolchain="${FUZZ_TOOLCHAIN:-}"
if [ -z "$toolchain" ]; then
  if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=nightly
  else
    toolchain=stable
  fi
fi
if [ "$toolchain" = nightly ]; then
  fuzz=(cargo +nightly fuzz)
else
  # No nightly here: the stable compiler accepts the -Z flags cargo-fuzz passes once it is told
  # it may (what a clean CI machine without a nightly toolchain gets).
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
sanitizer="${FUZZ_SANITIZER:-address}"

# ASan keeps freed memory in a quarantine (256 MB by default), which libFuzzer would count
# against -rss_limit_mb: keep it small so that the limit measures the pipeline.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16}"

cd imaging
echo "== cargo fuzz build render ($toolchain, sanitizer $sanitizer)"
"${fuzz[@]}" build --sanitizer "$sanitizer" "${target_dir[@]}" render

mkdir -p fuzz/corpus/render
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "== cargo fuzz run render for ${seconds} s (seeds: $testdata/{valid,invalid})"
status=0
"${fuzz[@]}" run --sanitizer "$sanitizer" "${target_dir[@]}" render \
  fuzz/corpus/render "$testdata/valid" "$testdata/invalid" -- \
  -max_total_time="$seconds" -timeout=5 -rss_limit_mb=256 -print_final_stats=1 \
  >"$log" 2>&1 || status=$?

grep -E '^(==[0-9]+==|INFO: seed corpus|SUMMARY|stat::)|ERROR|DONE|Failing input|artifacts/' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (exit $status); the last 60 lines of libFuzzer's output:" >&2
  tail -n 60 "$log" >&2
  exit "$status"
fi
echo "fuzz: ${seconds} s, no crash, timeout or out-of-memory"
