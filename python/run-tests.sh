#!/usr/bin/env bash
# The Python package as a user installs it: a fresh venv on Debian's python3 (--system-site-packages, for
# numpy, pytest and Pillow), `pip install --no-build-isolation ./python` into it (reusing BUILD_DIR, so
# nothing is rebuilt), then its pytest suite run from outside the repository, so that `import plateau`
# is the installed package.
# usage: python/run-tests.sh BUILD_DIR [pytest args...]
# PLATEAU_PYTHON_VENV: the venv to make (default BUILD_DIR/python-venv), so that two runs (ctest's
# python_package and python_dask) each have their own.
set -euo pipefail
build="$(cd "${1:?usage: run-tests.sh BUILD_DIR}" && pwd)"
shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python=/usr/bin/python3
venv="${PLATEAU_PYTHON_VENV:-$build/python-venv}"

rm -rf "$venv"
"$python" -m venv --system-site-packages "$venv"
PLATEAU_BUILD_DIR="$build" "$venv/bin/python" -m pip install --quiet --no-build-isolation --no-deps \
  --no-index "$root/python"

export PLATEAU_TEST_BINARY="$build/plateau"
export PLATEAU_EVAL_DIR="${PLATEAU_EVAL_DIR:-$root/../shared/eval}"
export PLATEAU_EVAL_DIR="$(cd "$PLATEAU_EVAL_DIR" && pwd)"
unset PLATEAU_MODEL_DIR
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$venv/bin/python" -m pytest -p no:cacheprovider -q "$root/python/tests" "$@"
