#!/usr/bin/env bash
# Installs the DynamoDB emulator for the conformance tests: moto's server into .venv-moto at the repo
# root (ignored by git). Idempotent: a venv that already has the pinned version is left alone.
# The tests find it at .venv-moto/bin/moto_server (or $IMAGEGRAM_MOTO_BIN / $IMAGEGRAM_MOTO_URL).
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION="5.2.5"
VENV="${IMAGEGRAM_MOTO_VENV:-.venv-moto}"

if [ -x "$VENV/bin/moto_server" ] &&
  "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')" 2>/dev/null; then
  echo "moto $MOTO_VERSION already in $VENV"
  exit 0
fi

python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
"$VENV/bin/moto_server" --help >/dev/null
echo "moto $MOTO_VERSION installed in $VENV"
