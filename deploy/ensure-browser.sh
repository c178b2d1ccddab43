#!/usr/bin/env bash
# Make sure the browser tests can run: Debian's chromium at /usr/bin/chromium, and axe-core's axe.min.js in
# .cache/axe-core/ (from the npm package; gitignored). Playwright's own browser download is never used.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-browser: installing Debian's chromium"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if ! command -v npm >/dev/null; then
  echo "ensure-browser: installing npm (to fetch axe-core)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
fi

AXE_VERSION="${AXE_VERSION:-4.11.1}"
AXE_DIR=.cache/axe-core
if [ ! -f "$AXE_DIR/package/axe.min.js" ]; then
  echo "ensure-browser: fetching axe-core $AXE_VERSION with npm pack"
  mkdir -p "$AXE_DIR"
  (cd "$AXE_DIR" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null && tar -xzf axe-core-*.tgz && rm -f axe-core-*.tgz)
fi
echo "ensure-browser: chromium $( /usr/bin/chromium --version 2>/dev/null | awk '{print $2}' ), axe-core $(node -p "require('./$AXE_DIR/package/package.json').version" 2>/dev/null || echo '?')"
