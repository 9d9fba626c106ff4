#!/usr/bin/env bash
# A Docker daemon for `command_line_execution_mode: docker` and its tests (nox -s docker), on a
# clean Debian/Ubuntu machine, as root (re-run with `sudo -n` when that works):
#   1. install Debian's docker.io (and debootstrap, which `massgen sandbox build` uses) if missing;
#   2. start `dockerd --bridge=none --iptables=false` in the background if no daemon answers
#      (no bridge network: containers get no network, nothing between them and anything else);
#   3. wait until it answers (at most DOCKERD_WAIT seconds, default 60);
#   4. build the sandbox image with `massgen sandbox build` if it is not there yet (one
#      to three minutes; MASSGEN=... names the massgen to run, default: the one on PATH).
# The daemon's log is $DOCKERD_LOG (default /tmp/dockerd.log).
set -euo pipefail

WAIT="${DOCKERD_WAIT:-60}"
LOG="${DOCKERD_LOG:-/tmp/dockerd.log}"
MASSGEN="${MASSGEN:-massgen}"

say() { echo "ensure_dockerd: $*" >&2; }

if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    say "re-running as root with sudo"
    exec sudo -n -E env "PATH=$PATH" bash "$0" "$@"
fi
if [ "$(id -u)" != 0 ]; then
    if docker version >/dev/null 2>&1; then
        say "not root, but a daemon answers: using it"
    else
        say "no Docker daemon answers and starting one needs root: run this script as root"
        exit 1
    fi
else
    missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing ${missing[*]} from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    if ! docker version >/dev/null 2>&1; then
        say "starting dockerd --bridge=none --iptables=false (log: $LOG)"
        nohup dockerd --bridge=none --iptables=false </dev/null >"$LOG" 2>&1 &
        for ((i = 0; i < WAIT * 2; i++)); do
            docker version >/dev/null 2>&1 && break
            sleep 0.5
        done
        if ! docker version >/dev/null 2>&1; then
            say "dockerd did not answer within ${WAIT}s; the end of $LOG:"
            tail -n 20 "$LOG" >&2 || true
            exit 1
        fi
    fi
fi
say "daemon answers: $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
"$MASSGEN" sandbox build
