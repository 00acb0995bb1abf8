#!/usr/bin/env bash
# `cargo lambda watch` for all six functions at once, routed by path as in
# [workspace.metadata.lambda.watch.router] (Cargo.toml), on 127.0.0.1:9000.
#
# cargo-lambda starts a function with `cargo run --bin <function>`; in this workspace
# (default-members = ["server"], so that `cargo run` starts the server) cargo only finds the
# functions' binaries when the package is named too. This puts a `cargo` in front of the real one that
# adds `--package <function>` to exactly those runs, and hands it to cargo-lambda through $CARGO.
# Extra arguments go to `cargo lambda watch` (e.g. --release). Start the local AWS stand-in first:
#   bash .ci/moto.sh && .venv-moto/bin/python bench/lambda_local.py
set -euo pipefail
cd "$(dirname "$0")/.."

lambda=".venv-lambda/bin/cargo-lambda"
[ -x "$lambda" ] || { echo "no $lambda: run bash .ci/lambda-build.sh (or pip install cargo-lambda)" >&2; exit 1; }

real_cargo="$(rustup which cargo 2>/dev/null || command -v cargo)"
shim="$(mktemp -d)"
trap 'rm -rf "$shim"' EXIT
cat >"$shim/cargo" <<EOF
#!/usr/bin/env bash
if [ "\${1:-}" = run ]; then
  prev=""
  for arg in "\$@"; do
    case "\$arg" in --package|-p|--package=*) exec "$real_cargo" "\$@" ;; esac
    if [ "\$prev" = --bin ]; then exec "$real_cargo" "\$@" --package "\$arg"; fi
    prev="\$arg"
  done
fi
exec "$real_cargo" "\$@"
EOF
chmod +x "$shim/cargo"

# cargo-lambda is called directly: `cargo lambda ...` would set $CARGO to cargo itself.
CARGO="$shim/cargo" "$lambda" lambda watch --invoke-address 127.0.0.1 --invoke-port 9000 "$@"
