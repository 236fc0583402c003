#!/usr/bin/env bash
# Fuzzes the VCDIFF decoder with libFuzzer + ASan/UBSan, then (more briefly) our LZMA2
# encoder, whose every output liblzma must decode back exactly.
#   FUZZ_SECONDS=60 FUZZ_ENCODER_SECONDS=20 (defaults) scripts/fuzz.sh [extra libFuzzer flags]
# Builds native/fuzz/fuzz_decoder.c with clang into native/build-fuzz, seeds a corpus in a
# temp dir from the xdelta3 vectors in test/fixtures/xdelta3 (plus small deltas made with
# xdelta3 when it is installed), runs, and exits non-zero when a crash or leak is found (the
# reproducer is left in the temp dir, whose path is printed). FUZZ_KEEP_CORPUS=/some/dir
# copies the final corpus there (outside the repo) for later runs or coverage reports.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/native/build-fuzz"
vectors="${DG_VECTORS_DIR:-$root/test/fixtures/xdelta3}"
seconds="${FUZZ_SECONDS:-60}"
encoder_seconds="${FUZZ_ENCODER_SECONDS:-20}"

cc="${CC:-}"
if [[ -z "$cc" ]]; then
  if command -v clang-14 >/dev/null; then cc=clang-14; else cc=clang; fi
fi
cxx="${cc/clang/clang++}"
cmake -S "$root" -B "$build" -DDG_FUZZ=ON -DDG_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$build" -j2 --target fuzz_decoder fuzz_lzma_fast

work="$(mktemp -d -t dg-fuzz.XXXXXX)"
corpus="$work/corpus"
mkdir -p "$corpus"
echo "fuzz work dir: $work"

# Seed = [ctl][source length, 2 bytes big-endian][source][delta]; see fuzz_decoder.c.
seed() { # name ctl source-file(or empty) delta-file
  local out="$corpus/$1" len=0
  [[ -n "$3" ]] && len=$(stat -c %s "$3")
  ((len <= 65535)) || return 0
  printf "\\x$(printf %02x "$2")\\x$(printf %02x $((len >> 8)))\\x$(printf %02x $((len & 255)))" >"$out"
  [[ -n "$3" ]] && cat "$3" >>"$out"
  cat "$4" >>"$out"
}
for d in "$vectors"/deltas/*.vcdiff; do
  seed "vec-$(basename "$d" .vcdiff)" 0 "" "$d"
done
# Small deltas WITH their sources so that source COPYs are reached too.
if command -v xdelta3 >/dev/null; then
  gen="$work/gen"
  mkdir -p "$gen"
  head -c 6000 "$vectors/data/mixed-src.bin" >"$gen/src"
  { head -c 2000 "$gen/src"; head -c 300 "$vectors/data/text4k.bin"; tail -c 3500 "$gen/src"; \
    head -c 2500 "$gen/src"; } >"$gen/tgt"
  i=0
  for flags in "" "-S none" "-n" "-A" "-0" "-9" "-A -n -S none" "-N"; do
    # shellcheck disable=SC2086
    xdelta3 -e -f $flags -s "$gen/src" "$gen/tgt" "$gen/d$i" 2>/dev/null || continue
    seed "gen-$i" 0 "$gen/src" "$gen/d$i"
    i=$((i + 1))
  done
fi

cd "$work"
# run_fuzzer TARGET CORPUS SECONDS MAX_LEN [libFuzzer flags]: prints the summary lines; on a
# crash or leak exits with its status, leaving the reproducers in $work.
run_fuzzer() {
  local target=$1 dir=$2 secs=$3 max_len=$4 rc
  shift 4
  set +e
  "$build/$target" "$dir" -max_len="$max_len" -max_total_time="$secs" \
    -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 "$@" >"$work/$target.log" 2>&1
  rc=$?
  set -e
  grep -E '^#[0-9]+[[:space:]]+(pulse|DONE)|^stat::|ERROR|SUMMARY|^artifact' "$work/$target.log" |
    tail -n 25
  if ((rc != 0)); then
    echo "$target FAILED (exit $rc); reproducers in $work" >&2
    exit "$rc"
  fi
}

run_fuzzer fuzz_decoder "$corpus" "$seconds" 65536 "$@"
if [[ -n "${FUZZ_KEEP_CORPUS:-}" ]]; then
  mkdir -p "$FUZZ_KEEP_CORPUS" && cp "$corpus"/* "$FUZZ_KEEP_CORPUS"/
fi
echo "fuzz_decoder: no crash in ${seconds}s"

# The encoder: seeds are [ctl][bytes], text and binary from the vectors' data.
enc_corpus="$work/enc-corpus"
mkdir -p "$enc_corpus"
i=0
for f in "$vectors"/data/*; do
  { printf "\\x$(printf %02x $((i % 12)))"; head -c 200000 "$f"; } >"$enc_corpus/seed-$i"
  i=$((i + 1))
done
run_fuzzer fuzz_lzma_fast "$enc_corpus" "$encoder_seconds" 262144
rm -rf "$work"
echo "fuzz_lzma_fast: every output decoded exactly for ${encoder_seconds}s"
