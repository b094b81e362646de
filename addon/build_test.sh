#!/usr/bin/env bash
# Opt-in (not part of .ci/run): build the add-on's image and start it on its own, as a Home
# Assistant Container user would, against a copy of the real 2024.3 config folder mounted
# read-only; pass when /health answers and the folder is unchanged.
#
#   addon/build_test.sh                   # BUILD_FROM=homehabits-base:local, built here first
#   BUILD_FROM=ghcr.io/home-assistant/amd64-base-debian:bookworm addon/build_test.sh
#
# It builds the repository root, as the Supervisor builds the add-on from a clone (the
# Dockerfile installs homehabits from the source tree). Without a registry, the base is made
# from Debian itself: debootstrap (minbase, python3) and `docker import`; the dependencies come
# from PyPI on the host (addon/offline_wheels.sh), so the build needs no network. OFFLINE=0
# builds with PyPI instead, as the Supervisor does.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "build_test: $*" >&2
  exit 1
}

command -v docker >/dev/null || fail "docker is not installed"
docker info >/dev/null 2>&1 || fail "the Docker daemon does not answer (start dockerd)"

rootfs=""
work=$(mktemp -d)
name="homehabits-build-test-$$"
cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
  [[ -z "$rootfs" ]] || rm -rf "$rootfs"
  if [[ "${OFFLINE:-1}" == "1" ]]; then addon/offline_wheels.sh --clean; fi
}
trap cleanup EXIT

base=${BUILD_FROM:-homehabits-base:local}
if [[ "$base" == "homehabits-base:local" ]] && ! docker image inspect "$base" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || fail "no $base image and no debootstrap to make one"
  rootfs=$(mktemp -d)
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/bash"]' - "$base" >/dev/null
fi

if [[ "${OFFLINE:-1}" == "1" ]]; then
  addon/offline_wheels.sh >/dev/null
fi
# the repository root is the build context, as for the Supervisor (see .dockerignore)
docker build -q --build-arg BUILD_FROM="$base" -t homehabits:test . >/dev/null

fixture=${HA_FIXTURE:-/work/shared/fixtures/ha-2024.3-config}
cp -a "$fixture" "$work/config"
before=$(cd "$work/config" && find . -type f -print0 | sort -z | xargs -0 sha256sum)

docker run -d --name "$name" -p 127.0.0.1::8018 \
  -e HOMEHABITS_API_TOKEN=build-test-token-5f1c9e2a7b \
  -e HOMEHABITS_TIME_ZONE=Europe/Berlin \
  -v "$work/config:/config:ro" -v "$work/data:/data" homehabits:test >/dev/null
port=$(docker port "$name" 8018/tcp | head -1 | sed 's/.*://')

for _ in $(seq 1 60); do
  if health=$(curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null); then
    break
  fi
  health=""
  sleep 1
done
[[ -n "$health" ]] || { docker logs "$name" >&2; fail "/health did not answer within 60 s"; }
echo "$health" | grep -q '"database":true' || fail "/health says the database is not well: $health"
[[ -f "$work/data/homehabits.db" ]] || fail "no database in /data"
after=$(cd "$work/config" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
[[ "$before" == "$after" ]] || fail "the config folder changed"
echo "build_test: the image starts on the config folder and /health answers: $health"
