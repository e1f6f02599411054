#!/usr/bin/env bash
# Installs what the extension's end-to-end tests need on a bare Debian bookworm machine:
# build deps for code-server's native modules, ripgrep, Chromium, and code-server 4.100.3 (the
# newest release that runs on Node 20 and matches engines.vscode ^1.100.0). Idempotent: every step
# is skipped when its result is already there.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
# Where code-server is installed; tests/e2e read the same variable (see tests/e2e/env.mjs).
CODE_SERVER_PREFIX="${CODE_SERVER_PREFIX:-/opt/amldebug-code-server}"
APT_PACKAGES=(libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev ripgrep chromium build-essential python3 git)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup-vscode: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ -x "$CODE_SERVER_PREFIX/node_modules/.bin/code-server" ]] &&
  "$CODE_SERVER_PREFIX/node_modules/.bin/code-server" --version 2>/dev/null | grep -q "^$CODE_SERVER_VERSION"; then
  echo "setup-vscode: code-server $CODE_SERVER_VERSION already installed in $CODE_SERVER_PREFIX"
  exit 0
fi

# code-server's postinstall downloads ripgrep from GitHub, which is unreachable here. The
# @vscode/ripgrep installer looks in its download cache first, so a tarball built from Debian's
# rg binary, under the name it expects, satisfies it.
cache_dir="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
tarball="$cache_dir/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [[ ! -s "$tarball" ]]; then
  mkdir -p "$cache_dir"
  staging="$(mktemp -d)"
  cp /usr/bin/rg "$staging/rg"
  tar -C "$staging" -czf "$tarball" rg
  rm -rf "$staging"
fi

mkdir -p "$CODE_SERVER_PREFIX"
cd "$CODE_SERVER_PREFIX"
[[ -f package.json ]] || echo '{"name": "amldebug-code-server", "private": true}' >package.json
echo "setup-vscode: installing code-server $CODE_SERVER_VERSION into $CODE_SERVER_PREFIX"
npm_config_yes=true npm install --no-audit --no-fund --unsafe-perm "code-server@$CODE_SERVER_VERSION"
"$CODE_SERVER_PREFIX/node_modules/.bin/code-server" --version
