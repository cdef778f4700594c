#!/usr/bin/env bash
# The status page's browser test drives a real headless Chromium (puppeteer-core brings no browser of its own).
# Installs Debian's chromium with apt when it is missing and we may; otherwise says what to do.
# The tests find the browser at $CHROMIUM_PATH, else /usr/bin/chromium.
set -euo pipefail

browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi

if [ -z "${CHROMIUM_PATH:-}" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "Chromium not found: installing Debian's chromium for the status page's browser test" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi

echo "The status page's browser test needs Chromium at ${browser}. Install it (e.g. 'sudo apt-get install chromium')" \
  "or set CHROMIUM_PATH to a Chromium or Chrome binary, and run again." >&2
exit 1
