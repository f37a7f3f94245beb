#!/bin/sh
# deps.sh - installs the Debian packages the workbook needs, if any is
# missing. As root it runs apt-get; with sudo it asks sudo; with neither it
# prints the exact command to run and fails.
#
#   tests/mk/deps.sh base     what `make`, `make check` and `make test` need
#   tests/mk/deps.sh bench    what `make bench` adds (Go, for its channels
#                             and its echo server; gevent, for its echo
#                             server)
#   tests/mk/deps.sh book     what `make book` adds (book/book.mk: pandoc,
#                             graphviz, weasyprint, gnuplot, and chromium
#                             with python3 for `make book-check`)
#   tests/mk/deps.sh grade    what `make grade` adds (tests/grade: libseccomp
#                             for the sandbox, libarchive to unpack
#                             submissions, zip for `make autograder`)
set -eu

base="gcc make pkg-config libcmocka-dev libseccomp-dev libcrypt-dev valgrind time
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
      libcmocka-dev:arm64 clang telnet expect tintin++"
bench="golang-go python3-gevent"
book="pandoc graphviz weasyprint gnuplot-nox chromium fonts-dejavu-core
      python3"
grade="gcc make libcmocka-dev libseccomp-dev libarchive-dev zip"

case ${1:-base} in
base) want=$base ;;
bench) want=$bench ;;
book) want=$book ;;
grade) want=$grade ;;
*) echo "deps.sh: unknown set '$1' (base, bench, book or grade)" >&2; exit 2 ;;
esac

missing=
for p in $want; do
    status=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
    case $status in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

needs_arm64=
case $missing in *:arm64*) needs_arm64=yes ;; esac

if [ "$(id -u)" -eq 0 ]; then
    run=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run=sudo
else
    echo "The workbook needs these Debian packages:$missing" >&2
    echo "Install them as root with:" >&2
    [ -n "$needs_arm64" ] && echo "  dpkg --add-architecture arm64" >&2
    echo "  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi

echo "Installing:$missing"
if [ -n "$needs_arm64" ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $run dpkg --add-architecture arm64
fi
$run apt-get update -qq
$run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
