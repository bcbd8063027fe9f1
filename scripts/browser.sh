#!/usr/bin/env bash
# Chromium for the web app's browser tests (`make browser`, which `make test` runs, and
# .ci/run): Debian's `chromium` package at /usr/bin/chromium, installed when it is missing.
# apt-get needs root: run as root, or with sudo when it is there; otherwise say what to do.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0

fail() { echo "make browser: $*" >&2; exit 1; }

command -v apt-get >/dev/null ||
  fail "$CHROMIUM is missing and there is no apt-get here: install Chromium so that $CHROMIUM runs it."
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  fail "$CHROMIUM is missing; installing it needs root, and sudo is not here. As root, run:
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium"
fi

echo "installing Chromium (Debian's chromium package) for the web app's browser tests"
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
[ -x "$CHROMIUM" ] || fail "apt-get installed chromium, but $CHROMIUM is still missing."
