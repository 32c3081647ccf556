#!/usr/bin/env bash
# Browser tests need Debian's Chromium (Playwright cannot download its own browser here).
set -euo pipefail
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium_path" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "test:e2e: installing Debian's chromium (one time, about a minute)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "test:e2e: Chromium not found at $chromium_path. Install it (sudo apt-get install -y chromium) or set CHROMIUM_PATH." >&2
exit 1
