#!/usr/bin/env bash
# Fill addon/wheels/ for a build of the image that cannot reach PyPI: every runtime dependency
# of homehabits at its requirements.lock version, and the build backend (hatchling) that turns
# the source into a package, as wheels for Linux x86_64, Python 3.11, glibc. The Dockerfile
# then installs from this folder alone. A normal build (the Supervisor's) needs none of this.
#
#   addon/offline_wheels.sh          # fill addon/wheels/
#   addon/offline_wheels.sh --clean  # empty it again (a normal build then uses PyPI)
set -euo pipefail
cd "$(dirname "$0")/.."
wheels=addon/wheels
find "$wheels" -name '*.whl' -delete
if [[ "${1:-}" == "--clean" ]]; then
  exit 0
fi
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
# the lock without its hashes: constraints, as the Dockerfile takes them
grep -E '^[A-Za-z0-9_.-]+==' requirements.lock | sed 's/ *\\$//' >"$constraints"
PIP_FIND_LINKS= PIP_CONSTRAINT= python3 -m pip download --quiet --only-binary=:all: \
  --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 --platform linux_x86_64 \
  --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
  --constraint "$constraints" --dest "$wheels" . hatchling
# homehabits itself is installed from the source tree, never from a wheel here
find "$wheels" -name 'homehabits-*.whl' -delete
ls "$wheels"
