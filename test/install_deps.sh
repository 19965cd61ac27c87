#!/usr/bin/env bash
# Installs everything the build and the tests need on Debian 12 (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake pkg-config git
  postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  librdkafka-dev libsimdjson-dev libgtest-dev
  libmariadb-dev  # full loads and verify read MySQL/MariaDB directly (libmysqlclient API)
  clang libclang-rt-dev llvm  # test/fuzz: clang++, libFuzzer + sanitizer runtimes, llvm-symbolizer
  # test/stack: the real chain (Kafka, Kafka Connect + Debezium from Maven Central; MariaDB)
  default-jdk-headless maven mariadb-server mariadb-client curl python3
  python3-pymysql  # bench/latency.sh: its load generator (Debian's /usr/bin/python3)
  # test/pgver: PostgreSQL 18 built from Debian's source package (17+ tarballs need bison and flex)
  dpkg-dev bison flex libicu-dev libreadline-dev zlib1g-dev
)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "dependencies: ok"
