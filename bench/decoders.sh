#!/usr/bin/env bash
# Decoder speed per format on one core: events/s for a 23-column store_sales row (see
# test/tools/decode_bench.cpp for the messages), decoding alone, with TableBatch::add() (batch
# cleared every 20,000 events) and with the batch's COPY text (groups()) as well. Prints a table
# with each format's ratio to debezium (no schema) and whether that format meets the aim of
# 300,000 events/s. The machine is noisy: compare ratios rather than absolute figures.
#
# Usage: bench/decoders.sh [decode_bench options]   e.g. --events 500000 --repeat 5 --format canal
# Env:   BENCH_BUILD_DIR  the CMake build directory (default build; configured when missing)
#        BENCH_AIM        events/s aimed at for debezium without schema (default 300000)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BENCH_BUILD_DIR:-build}
AIM=${BENCH_AIM:-300000}

# (Re)configure first: a build directory made before decode_bench existed has no rule for it.
if [ -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" >/dev/null
else
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" --target decode_bench -j"$(nproc)" >/dev/null
BIN=$BUILD/decode_bench

# One core: pin to the first CPU we may use, when taskset is there.
PIN=()
if command -v taskset >/dev/null 2>&1; then
  cpu=$(taskset -cp $$ 2>/dev/null | sed 's/.*: //; s/[,-].*//')
  [ -n "$cpu" ] && PIN=(taskset -c "$cpu")
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"${PIN[@]}" "$BIN" --tsv "$@" >"$out"

awk -F'\t' -v aim="$AIM" '
  { fmt[NR] = $1; bytes[NR] = $2; dec[NR] = $3; bat[NR] = $4; cp[NR] = $5; if ($1 == "debezium") base = NR }
  function ratio(v, b) { return (b > 0 && v > 0) ? sprintf("%.2f", v / b) : "-" }
  function rate(v) { return v > 0 ? sprintf("%d", v) : "-" }
  END {
    printf "Decoder throughput, one core, 23-column store_sales row (events/s, median of runs)\n"
    printf "%-16s %6s  %10s %6s  %10s %6s  %10s %6s\n", "format", "bytes", "decode", "ratio", "+batch", "ratio", "+copy", "ratio"
    for (i = 1; i <= NR; i++)
      printf "%-16s %6d  %10s %6s  %10s %6s  %10s %6s\n", fmt[i], bytes[i],
             rate(dec[i]), ratio(dec[i], base ? dec[base] : 0),
             rate(bat[i]), ratio(bat[i], base ? bat[base] : 0),
             rate(cp[i]), ratio(cp[i], base ? cp[base] : 0)
    printf "ratio: events/s relative to debezium (no schema) in the same column\n"
    if (base) {
      # Comparisons in parentheses: inside printf arguments a bare ">" is an output redirection.
      v = (dec[base] > 0) ? dec[base] : bat[base]
      printf "debezium without schema: %d events/s decoding (aim %d): %s\n", v, aim, ((v >= aim) ? "MEETS the aim" : "BELOW the aim")
      if (bat[base] > 0) printf "debezium without schema, decode + batch: %d events/s: %s\n", bat[base], ((bat[base] >= aim) ? "meets the aim" : "below the aim")
    }
  }' "$out"
