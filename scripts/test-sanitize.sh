#!/usr/bin/env bash
# The codec suites on the native backend with the addon built under ASan + UBSan; any
# report aborts its test file and fails the run. Rebuilds the normal addon afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
asan="$(gcc -print-file-name=libasan.so)"
if [ ! -e "$asan" ]; then
  # gcc's ASan runtime is a separate Debian package on some images.
  (apt-get update -qq && apt-get install -y -qq libasan8) >/dev/null
  asan="$(gcc -print-file-name=libasan.so)"
fi
trap 'node scripts/build-native.js' EXIT
# build-native.js generates bindings/scan-contract.h from the TS contract before building.
WSCODEC_SANITIZE=1 node scripts/build-native.js
test -f build/Release/wscodec.node || { echo "sanitizer build failed"; exit 1; }
LD_PRELOAD="$asan" \
ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
WSCODEC_BACKEND=native \
  node --test --test-concurrency=1 test/codec/*.test.js test/backend/native.test.js test/backend/contract.test.js
# Adopted sockets (the native transport, bindings/transport.cc) under the same sanitizers:
# its own tests (take-over, backpressure, resets, half-closes, churn, exits; their child
# processes inherit LD_PRELOAD) and the Node suites forced onto it. Not bufferutil.test.js
# (it starts ws with WSCODEC_BACKEND=wasm, which no native transport serves) nor the attack
# suites (their RSS bounds do not hold under ASan's quarantine and shadow memory).
LD_PRELOAD="$asan" \
ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
WSCODEC_BACKEND=native \
WSCODEC_TRANSPORT=native \
  node --test --test-concurrency=1 test/transports/native.test.js $(ls test/node/*.test.js | grep -v '/bufferutil\.test\.js$')
