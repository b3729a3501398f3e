#!/usr/bin/env bash
# Set-up on a fresh Debian/Ubuntu machine: Mesa's EGL/OpenGL (so Dawn's OpenGL backend can run
# the WGSL kernels on the CPU through llvmpipe when there is no GPU), then the npm packages.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(libegl1 libegl-mesa0 libgl1-mesa-dri libegl-dev)
missing=()
if command -v dpkg >/dev/null 2>&1; then
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  # npm ci installs exactly the versions in package-lock.json and never rewrites it. There is no
  # fallback to npm install: that would resolve versions anew, rewrite the lockfile (a dirty
  # clone) and test whatever the registry held that day.
  log=$(mktemp)
  if ! npm ci --no-audit --no-fund 2>&1 | tee "$log"; then
    if grep -q "in sync" "$log"; then
      echo "setup: package-lock.json is out of sync with package.json for npm $(npm --version)." >&2
      echo "setup: on a development machine run 'npm install', check the lockfile's diff and commit package-lock.json." >&2
    else
      echo "setup: 'npm ci' failed (output above)." >&2
    fi
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
fi
