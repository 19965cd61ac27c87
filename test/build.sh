#!/usr/bin/env bash
# Builds the core, unit tests and tools (CMake) and the extension (PGXS), and installs the extension.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
log=$ROOT/build.log
: >"$log"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >>"$log" 2>&1 || { tail -50 "$log"; exit 1; }
cmake --build build -j"$(nproc)" >>"$log" 2>&1 || { tail -50 "$log"; exit 1; }
make -j"$(nproc)" >>"$log" 2>&1 || { tail -50 "$log"; exit 1; }
make install >>"$log" 2>&1 || { tail -50 "$log"; exit 1; }
echo "build: ok"
