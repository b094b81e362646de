#!/usr/bin/env bash
# Put homehabits' wheel where the add-on's Dockerfile copies it from (addon/homehabits/wheels/).
# --with-dependencies: every dependency's wheel too (Linux x86_64, Python 3.11, glibc), so the
# image builds where its build cannot reach PyPI itself.
set -euo pipefail
cd "$(dirname "$0")/.."
wheels=addon/homehabits/wheels
rm -rf "$wheels"
uv build --wheel --out-dir "$wheels" >/dev/null
if [[ "${1:-}" == "--with-dependencies" ]]; then
  PIP_FIND_LINKS= python3 -m pip download --quiet --only-binary=:all: --dest "$wheels" "$wheels"/homehabits-*.whl
fi
ls "$wheels"
