#!/usr/bin/env bash
# Builds every Lambda function as AWS runs it: `cargo lambda build --release --arm64` (cross-compiled
# with zig, which the PyPI package of cargo-lambda brings) into target/lambda/<function>/bootstrap.zip,
# then prints each zip's size. Runs alone (`bash .ci/lambda-build.sh`) or from .ci/run.
#
#   LAMBDA_ARCH=x86-64 bash .ci/lambda-build.sh   # the x86_64 build instead (to run the binaries here)
#
# The dependency graph (aws-sdk-*, libjpeg-turbo, ...) is compiled once for the target and shared
# by the two builds below; libjpeg-turbo's cmake build picks up zig's cross compiler as it is.
# [workspace.metadata.lambda.build] in Cargo.toml strips debug info and symbols. cargo-lambda is
# pinned and lives in .venv-lambda (ignored by git; IMAGEGRAM_LAMBDA_VENV puts it elsewhere, and
# CARGO_TARGET_DIR the build: .ci/run keeps both in ~/.cache between runs).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LAMBDA_VERSION="1.9.2"
VENV="${IMAGEGRAM_LAMBDA_VENV:-.venv-lambda}"
# The functions that never decode (built without the `render` feature), then the two that do.
LEAN=(accounts uploads posts admin)
RENDERING=(images resize)
FUNCTIONS=("${LEAN[@]}" "${RENDERING[@]}")
ARCH="${LAMBDA_ARCH:-arm64}"
case "$ARCH" in
  arm64) TRIPLE=aarch64-unknown-linux-gnu ;;
  x86-64) TRIPLE=x86_64-unknown-linux-gnu ;;
  *) echo "LAMBDA_ARCH must be arm64 or x86-64, not $ARCH" >&2; exit 2 ;;
esac
start=$(date +%s)

if ! { [ -x "$VENV/bin/cargo-lambda" ] &&
  "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('cargo-lambda') != '$CARGO_LAMBDA_VERSION')" 2>/dev/null; }; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi
# cargo-lambda finds zig through the venv's python (the ziglang wheel came with it).
export PATH="$(cd "$VENV" && pwd)/bin:$PATH"
cargo lambda --version

# The standard library for the target must already be installed: fetching it (`rustup target add`)
# is a download from outside the package registries, which build steps here may not do. Without
# it, build the x86_64 functions instead (same code, same zig toolchain) and say so.
if ! rustup target list --installed | grep -qx "$TRIPLE"; then
  echo "note: the Rust standard library for $TRIPLE is not installed here" \
    "(rustup target add $TRIPLE needs a download); building the x86-64 functions instead" >&2
  ARCH=x86-64
  TRIPLE=x86_64-unknown-linux-gnu
fi

LAMBDA_DIR="${CARGO_TARGET_DIR:-target}/lambda"
rm -f "$LAMBDA_DIR"/*/bootstrap.zip
# Two builds, because cargo unifies features over the packages of one build: the functions that
# never decode are built without the `render` feature (so without the image pipeline and its
# codecs, which a router chosen at run time would otherwise link), then the two that decode.
# The dependencies are shared; only the `imagegram` crate is compiled twice.
build() {
  local args=()
  for f in "$@"; do args+=(--package "$f"); done
  cargo lambda build --release "--$ARCH" --output-format zip --locked "${args[@]}"
}
build "${LEAN[@]}"
build "${RENDERING[@]}"

echo "== lambda zips ($ARCH, built in $(( $(date +%s) - start )) s)"
status=0
for f in "${FUNCTIONS[@]}"; do
  zip="$LAMBDA_DIR/$f/bootstrap.zip"
  if [ ! -f "$zip" ]; then
    echo "missing $zip" >&2
    status=1
    continue
  fi
  printf '%-9s %9d bytes (%s)\n' "$f" "$(stat -c %s "$zip")" "$(du -h "$zip" | cut -f1)"
done
exit $status
