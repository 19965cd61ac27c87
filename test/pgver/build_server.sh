#!/usr/bin/env bash
# Builds a PostgreSQL server of one major version (17, 18) from Debian's source package, with the
# contrib modules and the pgTAP that the tests create, into a cache outside the clone, and prints
# the absolute path of its pg_config on the last line of stdout. Everything else goes to stderr or
# to the build log.
#
#   bash test/pgver/build_server.sh 17|18
#   PG_CONFIG=$(bash test/pgver/build_server.sh 18)
#
# Cache: ${CDC_CACHE:-/var/cache/cdc_sync}/pg/<major>/
#   <debian version>/     the install prefix (e.g. 18/18.6-3); its .cdc_complete is written last,
#                         after a build, a pgTAP install and a smoke test (initdb, start, CREATE
#                         EXTENSION pgtap/dblink, stop, as the postgres user) all passed, and holds
#                         the build recipe below: a prefix without it, or with another recipe, is
#                         built again from scratch.
#   build.log             the log of the last cold build (its path and tail are printed on failure)
#   .work/                scratch (apt lists, sources, objects); removed after a successful build
# A warm call (a complete prefix with this recipe) asks no network and returns in milliseconds.
# CDC_PG_REFRESH=1 asks Debian's archive for its current version first and builds that if it is not
# cached yet. Concurrent calls for one major wait for each other (flock).
#
# Sources, read through an apt setup of its own (lists in .work/, nothing of the system's apt
# configuration or state is changed): postgresql-<major>, the highest version that deb-src trixie,
# trixie-security or sid has (17: trixie, 18: sid), and pgtap from trixie (1.3.3). Only upstream's
# build is used (configure + make), never debian/rules, and Debian's patches are NOT applied
# (dpkg-source --skip-patches): they are written for debian/rules' layout, e.g.
# 50-per-version-dirs.patch sends the server's modules to /usr/lib/postgresql/<major>/lib, outside
# this prefix, and 51-default-sockets-in-var.patch moves the default socket to the system cluster's
# /var/run/postgresql. Where the archive serves a package's upstream tarball but not its .dsc
# (pgtap, here), that tarball is used as is: apt checked it against the signed Sources index.
#
# Installs with apt-get, only those missing: build-essential dpkg-dev bison flex pkg-config
# libicu-dev libreadline-dev zlib1g-dev (bison and flex: PostgreSQL 17+ tarballs no longer ship the
# generated parsers). Needs the postgres system user (test/install_deps.sh's postgresql-15 makes it).
set -euo pipefail
umask 022

# --- the build recipe: any change here rebuilds every cached server -------------------------------
# configure: upstream's defaults, which build no docs and none of SSL, LLVM (JIT), NLS, PL/Perl,
# PL/Python, PL/Tcl, lz4, zstd: none is used by the tests. Kept from the defaults: readline, zlib and
# ICU (PostgreSQL 16+ builds with ICU unless --without-icu): Debian's own servers have ICU, so the
# tests run on what users run (pg_config.h's USE_ICU, ICU collations); it costs 8% more CPU (266 s
# against 246 s of user+sys for make on 18). Added: --enable-debug (-g): PGXS builds cdc_sync with the server's
# CFLAGS, so without it the extension (and the server) has no symbols for gdb on the harness's core
# files, as Debian's servers (built -g) do give; it costs 11% more CPU (296 s) and 56 MB of disk.
CONFIGURE_OPTS=(--enable-debug)
CONTRIB=(dblink auto_explain)  # dblink: test/pgtap/helpers.sql; auto_explain: bench/run.sh
PGTAP_SOURCE=pgtap/trixie
RECIPE="recipe=1 configure=${CONFIGURE_OPTS[*]} contrib=${CONTRIB[*]} pgtap=$PGTAP_SOURCE"
DEPS=(build-essential dpkg-dev bison flex pkg-config libicu-dev libreadline-dev zlib1g-dev)
DEBIAN_MIRROR=${CDC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${CDC_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# ----------------------------------------------------------------------------------------------------

exec 3>&1 1>&2  # stdout carries the pg_config path alone
me=build_server.sh
major=${1:-}
if ! [[ $major =~ ^[0-9]+$ ]] || [ "$major" -lt 17 ]; then
  echo "usage: bash test/pgver/build_server.sh MAJOR   (17 or 18)" >&2
  exit 2
fi
[ "$(id -u)" = 0 ] || { echo "$me: run as root (it installs build dependencies)" >&2; exit 1; }

# Nothing of the caller's environment may steer the build or the smoke test.
unset CC CFLAGS CPPFLAGS CXXFLAGS LDFLAGS LIBS MAKEFLAGS MFLAGS MAKELEVEL PG_CONFIG
for v in $(compgen -e); do [[ $v == PG* ]] && unset "$v"; done
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive

cache=${CDC_CACHE:-/var/cache/cdc_sync}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)
root=$cache/pg/$major
log=$root/build.log
work=$root/.work
mkdir -p "$root"

fail() {  # fail MESSAGE [tail]: the message, and with "tail" the log's path and its last lines
  echo "$me: PostgreSQL $major: $1" >&2
  if [ "${2:-}" = tail ] && [ -s "$log" ]; then
    echo "$me: build log: $log; its last lines:" >&2
    tail -n 40 "$log" | sed 's/^/  | /' >&2
  fi
  exit 1
}

run() {  # run WHAT CMD...: CMD's output to the log; on failure, fail with the log's tail
  local what=$1 t0=$SECONDS; shift
  printf '\n==== %s: %s\n' "$what" "$*" >>"$log"
  "$@" >>"$log" 2>&1 || fail "$what failed" tail
  printf '==== %s: %ss\n' "$what" $((SECONDS - t0)) >>"$log"
}

# A cached prefix is complete when its marker holds this recipe and its programs find their
# shared libraries (a cache restored on a machine without libicu would not).
complete() {
  local p=$1 libs
  [ -f "$p/.cdc_complete" ] && [ "$(head -n 1 "$p/.cdc_complete")" = "$RECIPE" ] &&
    [ -x "$p/bin/pg_config" ] || return 1
  libs=$(ldd "$p/bin/postgres" "$p/bin/psql" "$("$p/bin/pg_config" --pkglibdir)/dblink.so" 2>&1) || return 1
  ! grep -qE 'not found|No such file' <<<"$libs"
}

done_with() {  # done_with PREFIX: the answer
  echo "$1/bin/pg_config" >&3
  exit 0
}

# The newest complete prefix of this major, if any.
warm() {
  local p
  for p in $(find "$root" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' | sort -rV); do
    if complete "$root/$p"; then done_with "$root/$p"; fi
  done
}

# One build at a time per major; a second caller waits and then finds the first one's result.
exec 9>"$root/.lock"
if ! flock -n 9; then
  echo "$me: PostgreSQL $major: waiting for another build of it to finish" >&2
  flock 9
fi

[ "${CDC_PG_REFRESH:-0}" = 1 ] || warm

# ---- cold path -------------------------------------------------------------------------------------
t_start=$SECONDS
: >"$log"
id postgres >/dev/null 2>&1 ||
  fail "there is no postgres system user to run the server (test/install_deps.sh installs postgresql-15, which makes it)"
# The server runs as postgres: it must reach the prefix. Checked now, not after the build.
runuser -u postgres -- test -x "$root" ||
  fail "the postgres user cannot reach $root: every directory above it must be searchable by others (chmod o+x), or set CDC_CACHE elsewhere"

missing=()
for p in "${DEPS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "$me: installing ${missing[*]}" >&2
  printf '==== apt-get install %s\n' "${missing[*]}" >>"$log"
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
    run "apt-get update" apt-get update -q
    run "apt-get install" apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  [ "${CDC_PG_REFRESH:-0}" = 1 ] || warm  # a restored cache may only have lacked those libraries
fi

rm -rf "$work"
mkdir -p "$work/apt/lists/partial" "$work/src"
cat >"$work/apt/sources.list" <<EOF
deb-src $DEBIAN_MIRROR trixie main
deb-src $SECURITY_MIRROR trixie-security main
deb-src $DEBIAN_MIRROR sid main
EOF
APT=(-o "Dir::Etc::sourcelist=$work/apt/sources.list" -o Dir::Etc::sourceparts=/dev/null
  -o "Dir::State::Lists=$work/apt/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
run "apt-get update (deb-src trixie, trixie-security, sid; lists in $work/apt)" \
  apt-get "${APT[@]}" update --error-on=any

# fetch_source PKG[/SUITE] DIR: DIR gets the package's source tree; sets SRC_VERSION.
fetch_source() {
  local spec=$1 dir=$2 pkg=${1%%/*} dl=$work/src/${1%%/*} uris dsc orig
  mkdir -p "$dl"
  uris=$(cd "$dl" && apt-get "${APT[@]}" source --print-uris "$spec" 2>>"$log") ||
    fail "Debian's archive has no source package $spec" tail
  echo "$uris" >>"$log"
  dsc=$(echo "$uris" | awk -v q="'" 'index($0, q) == 1 && $2 ~ /\.dsc$/ {print $2}')
  orig=$(echo "$uris" | awk -v q="'" 'index($0, q) == 1 && $2 ~ /\.orig\.tar\.[a-z0-9]+$/ {print $2}')
  [ -n "$dsc" ] && [ -n "$orig" ] || fail "cannot tell the files of $spec from: $uris"
  SRC_VERSION=${dsc#"${pkg}_"}
  SRC_VERSION=${SRC_VERSION%.dsc}
  printf '\n==== download %s %s\n' "$spec" "$SRC_VERSION" >>"$log"
  if (cd "$dl" && apt-get "${APT[@]}" source --download-only "$spec") >>"$log" 2>&1; then
    run "dpkg-source -x $dsc" dpkg-source --skip-patches -x "$dl/$dsc" "$dir"
  elif [ -s "$dl/$orig" ]; then
    echo "==== $dsc was not served: using the upstream tarball $orig alone" >>"$log"
    mkdir -p "$dir"
    run "extract $orig" tar -xf "$dl/$orig" -C "$dir" --strip-components=1
  else
    fail "Debian's archive did not serve the source of $pkg $SRC_VERSION (build log: $log):
$(grep -E '^E: Failed to fetch' "$log" | sed 's/^/  /')"
  fi
  rm -rf "$dl"
}

fetch_source "postgresql-$major" "$work/postgresql"
version=$SRC_VERSION
prefix=$root/$version
if [ -d "$prefix" ] && complete "$prefix"; then rm -rf "$work"; done_with "$prefix"; fi
echo "$me: PostgreSQL $major: building postgresql-$major $version from source (about 4 minutes on 2 cores; log: $log)" >&2
fetch_source "$PGTAP_SOURCE" "$work/pgtap"
pgtap_version=$SRC_VERSION

rm -rf "$prefix"
src=$work/postgresql
run configure env -C "$src" ./configure --prefix="$prefix" "${CONFIGURE_OPTS[@]}"
run make make -C "$src" -j"$(nproc)"
run "make install" make -C "$src" install
for m in "${CONTRIB[@]}"; do
  run "contrib/$m" make -C "$src/contrib/$m" -j"$(nproc)" install
done
pg_config=$prefix/bin/pg_config
run "pgtap make" make -C "$work/pgtap" PG_CONFIG="$pg_config"
run "pgtap make install" make -C "$work/pgtap" install PG_CONFIG="$pg_config"
chmod -R a+rX "$prefix"

# ---- smoke test, as the server will be used: by the postgres user, on a socket of its own ----------
smoke=$(mktemp -d /tmp/cdc_pg"$major"_smoke.XXXXXX)
chown postgres: "$smoke"
stop_smoke() {  # on any exit: the server stopped, its log into the build log, the directory removed
  local rc=$?
  if [ -f "$smoke/data/postmaster.pid" ]; then
    (cd / && runuser -u postgres -- "$prefix/bin/pg_ctl" -D "$smoke/data" -m immediate -w stop) >>"$log" 2>&1 || true
  fi
  if [ -s "$smoke/server.log" ]; then
    printf '\n==== smoke: server log\n' >>"$log"
    cat "$smoke/server.log" >>"$log"
    if [ "$rc" != 0 ]; then
      echo "$me: the smoke test's server log ends with:" >&2
      tail -n 15 "$smoke/server.log" | sed 's/^/  | /' >&2
    fi
  fi
  rm -rf "$smoke"
}
trap stop_smoke EXIT
as_pg() { (cd / && runuser -u postgres -- "$@"); }
# No TCP listener: the socket in a private directory cannot clash with any other server, so any port
# number does; one far from 5432 (the system cluster) and 55432 (test/harness) all the same.
port=$((40000 + RANDOM % 10000))
run "smoke: initdb" as_pg "$prefix/bin/initdb" -D "$smoke/data" -A trust -U postgres --no-sync
run "smoke: start" as_pg "$prefix/bin/pg_ctl" -D "$smoke/data" -l "$smoke/server.log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories='$smoke' -p $port" start
run "smoke: queries" as_pg "$prefix/bin/psql" -X -h "$smoke" -p "$port" -U postgres -d postgres \
  -v ON_ERROR_STOP=1 -f - <<SQL
create extension pgtap;
create extension dblink;
select version();
do \$\$ begin
  if current_setting('server_version_num')::int / 10000 <> $major then
    raise exception 'the server is %, not $major', version();
  end if;
end \$\$;
select * from dblink('host=$smoke port=$port dbname=postgres user=postgres', 'select 42') as t(x int);
select plan(1);
select has_extension('dblink');
select * from finish(true);
load 'auto_explain';
SQL
run "smoke: stop" as_pg "$prefix/bin/pg_ctl" -D "$smoke/data" -m fast -w stop
trap - EXIT
stop_smoke

{
  echo "postgresql-$major $version (Debian source, upstream build, no Debian patches)"
  echo "pgtap $pgtap_version ($PGTAP_SOURCE)"
  echo "configure: ${CONFIGURE_OPTS[*]}"
  echo "contrib: ${CONTRIB[*]}"
  echo "built: $(date -u +%FT%TZ) in $((SECONDS - t_start))s on $(nproc) cores"
} >"$prefix/BUILD_INFO"
echo "$RECIPE" >"$prefix/.cdc_complete"
rm -rf "$work"
echo "$me: PostgreSQL $major: built $version in $((SECONDS - t_start))s" >&2
done_with "$prefix"
