#!/usr/bin/env bash
# Installs and starts a Docker engine on a bare Debian bookworm machine, and builds the local base
# image the container tests use (no registry is reachable, so it is made with debootstrap).
# Idempotent: every step is skipped when its result is already there. Prints the host CA bundle
# that builds need behind the TLS-intercepting proxy (pass it as --ca-bundle).
set -euo pipefail

BASE_IMAGE="${AMLDEBUG_TEST_BASE_IMAGE:-amldebug-test/python-base:bookworm}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/amldebug-dockerd.log}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
APT_PACKAGES=(docker.io debootstrap docker-registry)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup-docker: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The Debian package starts its own registry service on :5000 where systemd runs; tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl stop docker-registry || true
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup-docker: starting dockerd (log: $DOCKERD_LOG)"
  setsid dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    echo "setup-docker: dockerd did not answer within 30 s; last log lines:" >&2
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    exit 1
  fi
fi
echo "setup-docker: engine $(docker version --format '{{.Server.Version}}') is running"

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  echo "setup-docker: base image $BASE_IMAGE already exists"
else
  echo "setup-docker: building $BASE_IMAGE with debootstrap (about a minute)"
  rootfs="$(mktemp -d /tmp/amldebug-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$rootfs" "$DEBIAN_MIRROR" >/tmp/amldebug-debootstrap.log 2>&1 || {
    echo "setup-docker: debootstrap failed; see /tmp/amldebug-debootstrap.log" >&2
    tail -n 20 /tmp/amldebug-debootstrap.log >&2
    exit 1
  }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  echo "setup-docker: built $BASE_IMAGE"
fi

ca_bundle="$(python3 -c 'import ssl; print(ssl.get_default_verify_paths().cafile or "")')"
echo "setup-docker: host CA bundle for builds: ${ca_bundle:-none found} (amldebug build --ca-bundle ${ca_bundle:-FILE})"
