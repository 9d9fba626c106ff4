#!/usr/bin/env bash
# Chromium for the web view's browser tests (nox -s tests), from Debian's or Ubuntu's packages:
# Playwright drives this executable (no browser download). Installs `chromium` as root, or with
# `sudo -n` when that works, if no chromium is on PATH; otherwise says how and leaves it to the
# tests (they skip, or fail when CI is set). MASSGEN_CHROMIUM names another executable.
set -euo pipefail

say() { echo "ensure_chromium: $*" >&2; }

if [ -n "${MASSGEN_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n -E env "PATH=$PATH" bash "$0" "$@"
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "no chromium on PATH: the browser tests will not run (sudo apt install chromium, or set MASSGEN_CHROMIUM)"
    exit 0
fi
say "installing chromium from the distribution's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
say "$(chromium --version)"
