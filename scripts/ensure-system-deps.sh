#!/usr/bin/env bash
# System packages the tests need: redis-server for test/scale/; for test/interop/, a real browser (Debian's
# chromium, driven by playwright-core) and a real foreign peer (Debian's python3-websockets,
# run with /usr/bin/python3). Installs only what is missing, so it is quick when all is
# present; without root it only says what is missing and leaves the tests to fail clearly.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)  # test/node/tls.test.js makes a throwaway certificate
command -v redis-server >/dev/null || missing+=(redis-server)  # test/scale/ runs a real Redis on a loopback port
if ! [ -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import websockets' 2>/dev/null; then
  missing+=(python3-websockets)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "ensure-system-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  echo "ensure-system-deps: test/interop will fail until they are installed" >&2
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "ensure-system-deps: no apt-get; install by hand: ${missing[*]}" >&2
  exit 0
fi

echo "ensure-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A failed install (no network, no mirror) must not stop the other suites from running;
# the interop tests then fail with a message pointing back here.
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  echo "ensure-system-deps: apt-get could not install ${missing[*]}; test/interop will fail" >&2
fi
