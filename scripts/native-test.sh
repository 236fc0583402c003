#!/usr/bin/env bash
# Builds the C core with the ctest drivers (native/test/*.c) and runs them.
#   scripts/native-test.sh                 Release build in native/build-test
#   DG_SANITIZE=1 scripts/native-test.sh   ASan/UBSan build in native/build-test-asan
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/native/build-test"
extra=()
if [[ "${DG_SANITIZE:-0}" == "1" ]]; then
  build="$root/native/build-test-asan"
  extra=(-DDG_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi
cmake -S "$root" -B "$build" -DDG_BUILD_TESTS=ON "${extra[@]}" >/dev/null
cmake --build "$build" -j2
cd "$build"
ctest --output-on-failure
