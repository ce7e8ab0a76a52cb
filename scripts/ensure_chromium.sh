#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the report's browser test
# (tests/test_report_browser.py). Installs it only when /usr/bin/chromium is missing; quiet
# unless something goes wrong. Needs root (or sudo) and apt, as on the project's machines.
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
else
    echo "ensure_chromium: /usr/bin/chromium is missing and this user cannot install it" \
        "(run as root: apt-get install -y chromium)" >&2
    exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { "${SUDO[@]}" apt-get update -qq && \
       "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
    echo "ensure_chromium: installing chromium with apt-get failed:" >&2
    tail -n 20 "$log" >&2
    exit 1
fi
if [[ ! -x /usr/bin/chromium ]]; then
    echo "ensure_chromium: apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
