#!/usr/bin/env bash
# Builds the libFuzzer target decoder_fuzz (clang, ASan + UBSan, into build-fuzz/) and runs it for a
# bounded time. Exits non-zero on any finding (crash, sanitizer report, leak, timeout, OOM) and then
# prints the input that caused it (path, base64) and how to reproduce it.
#
# Usage: test/fuzz/run.sh [seconds]     (default 60; env CDC_FUZZ_SECONDS is used when no argument)
# Env:   CDC_FUZZ_JOBS     parallel fuzzing processes (default 1)
#        CDC_FUZZ_BUILD    build directory (default build-fuzz)
#
# Seeds: the hand-written messages of test/fuzz/seeds.txt and every message of
# ../shared/cdc-samples, turned into the target's input layout in $BUILD/seeds at every run. New
# inputs libFuzzer finds go to $BUILD/corpus, which is kept between local runs. Findings are
# written to $BUILD/artifacts/. Last line: "fuzz: N runs, no findings" or "fuzz: FINDING ...".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SECONDS_TO_RUN=${1:-${CDC_FUZZ_SECONDS:-60}}
JOBS=${CDC_FUZZ_JOBS:-1}
BUILD=${CDC_FUZZ_BUILD:-build-fuzz}
SAMPLES=$ROOT/../shared/cdc-samples
case "$SECONDS_TO_RUN" in '' | *[!0-9]*) echo "fuzz: seconds must be a whole number, got '$SECONDS_TO_RUN'" >&2; exit 2 ;; esac

command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (test/install_deps.sh installs clang)" >&2; exit 1; }
command -v llvm-symbolizer >/dev/null ||
  echo "fuzz: note: llvm-symbolizer not found (package llvm): stack traces will not be symbolized"

# ---- build
log=$BUILD/build.log
mkdir -p "$BUILD"
: >"$log"
cmake -S . -B "$BUILD" -DCDC_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >>"$log" 2>&1 || { tail -50 "$log"; echo "fuzz: build failed"; exit 1; }
cmake --build "$BUILD" --target decoder_fuzz -j"$(nproc)" >>"$log" 2>&1 ||
  { tail -50 "$log"; echo "fuzz: build failed"; exit 1; }
FUZZER=$BUILD/decoder_fuzz

# ---- seeds
# One seed file: 4-byte header (selector, flags, key length LE16), key, value.
format_index() {
  case "$1" in
    debezium) echo 0 ;; flink-debezium) echo 1 ;; dms) echo 2 ;; canal) echo 3 ;;
    maxwell) echo 4 ;; json) echo 5 ;; all) echo 6 ;;
    *) echo "fuzz: unknown format '$1' in seeds" >&2; return 1 ;;
  esac
}
SEED_NO=0
write_seed() {  # write_seed FORMAT KEY|\N VALUE|\N [EXTRA_FLAGS]
  local sel flags=0 key=$2 value=$3 extra=${4:-0} klen
  sel=$(format_index "$1")
  if [ "$key" = '\N' ]; then flags=1; key=''; else flags=4; fi
  if [ "$value" = '\N' ]; then flags=$((flags | 2)); value=''; fi
  flags=$((flags | extra))
  klen=$(printf '%s' "$key" | wc -c)
  SEED_NO=$((SEED_NO + 1))
  {
    printf "\\x$(printf %02x "$sel")\\x$(printf %02x "$flags")\\x$(printf %02x $((klen & 255)))\\x$(printf %02x $((klen >> 8)))"
    printf '%s' "$key"
    printf '%s' "$value"
  } >"$SEEDS/seed-$SEED_NO"
}
SEEDS=$BUILD/seeds
rm -rf "$SEEDS"
if [ -n "$(ls -A "$BUILD/artifacts" 2>/dev/null)" ]; then  # earlier findings: kept, not re-reported
  mkdir -p "$BUILD/artifacts.old"
  mv "$BUILD"/artifacts/* "$BUILD/artifacts.old/"
fi
mkdir -p "$SEEDS" "$BUILD/corpus" "$BUILD/artifacts"
while IFS=$'\t' read -r fmt key value extra; do
  case "$fmt" in '' | '#'*) continue ;; esac
  write_seed "$fmt" "$key" "$value" "${extra:-0}"
done <test/fuzz/seeds.txt
if [ -d "$SAMPLES" ]; then
  for f in "$SAMPLES"/*/*; do
    case "$f" in *.expected.txt | *.sql | *.md) continue ;; esac
    case "$f" in
      *canal*) fmt=canal ;; *maxwell*) fmt=maxwell ;; *debezium*) fmt=debezium ;; *) fmt=all ;;
    esac
    if [ "$(grep -c '^{"' "$f")" -ge 2 ]; then
      # One message per line (comment lines and the like skipped).
      while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in '{"'*) ;; *) continue ;; esac
        write_seed "$fmt" '\N' "$line"
        [ "$fmt" = debezium ] && write_seed flink-debezium '\N' "$line"
      done <"$f"
    elif [ "$(head -c 1 "$f")" = '{' ]; then
      write_seed "$fmt" '\N' "$(cat "$f")"  # one pretty-printed message
    fi
  done
else
  echo "fuzz: note: $SAMPLES not found, seeding from test/fuzz/seeds.txt only"
fi
echo "fuzz: $SEED_NO seeds, running $FUZZER for ${SECONDS_TO_RUN}s ($JOBS job(s))"

# ---- run
out=$BUILD/fuzz.log
set +e
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$FUZZER" \
  -max_total_time="$SECONDS_TO_RUN" \
  -rss_limit_mb=2048 \
  -malloc_limit_mb=2048 \
  -timeout=25 \
  -max_len=16384 \
  -detect_leaks=1 \
  -print_final_stats=1 \
  -dict=test/fuzz/cdc.dict \
  -artifact_prefix="$BUILD/artifacts/" \
  $( [ "$JOBS" -gt 1 ] && echo "-fork=$JOBS -ignore_crashes=0 -ignore_timeouts=0 -ignore_ooms=0" ) \
  "$BUILD/corpus" "$SEEDS" >"$out" 2>&1
rc=$?
set -e

grep -E '^#[0-9]+.*(INITED|DONE)|^Done [0-9]+ runs|^stat::' "$out" | tail -8 || true
if [ $rc -ne 0 ] || grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: ' "$out"; then
  echo "---- fuzzer output (last 80 lines of $out)"
  tail -80 "$out"
  for a in "$BUILD"/artifacts/*; do
    [ -f "$a" ] || continue
    echo "---- finding: $a ($(wc -c <"$a") bytes), base64:"
    base64 -w 100 "$a"
    echo "     reproduce: $FUZZER $a"
  done
  echo "fuzz: FINDING (exit code $rc): see above and $out"
  exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
[ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$out" | tail -1)
cov=$(grep -E '^#[0-9]+' "$out" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[^ ]+' || true)
echo "fuzz: ${runs:-?} runs in ${SECONDS_TO_RUN}s${cov:+ ($cov)}, no findings"
