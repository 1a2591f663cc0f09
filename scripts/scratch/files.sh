#!/bin/sh
# The file list of kron's scratch image, written once: the Dockerfile's build stage and the
# chroot test (tests/scratch/) both build their root with it.
#
#   files.sh BINARY ROOT         the image: BINARY as ROOT/kron, the shared libraries it needs
#                                (found by ldd, at their own paths), an empty ROOT/data volume
#                                and ROOT/tmp
#   files.sh --program PATH ROOT one more program at PATH inside ROOT, with its libraries
#                                (the chroot test adds echo for its command job)
set -eu

# Copies $1 to the same path under root $2, resolving symlinks (the loader, libc.so.6 → …).
copy_at() {
  mkdir -p "$2$(dirname "$1")"
  cp -L "$1" "$2$1"
}

# Every library ldd names (by path), and the dynamic loader itself.
copy_libs() {
  for lib in $(ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }'); do
    copy_at "$lib" "$2"
  done
}

if [ "${1:-}" = "--program" ]; then
  [ $# -eq 3 ] || { echo "usage: files.sh --program PATH ROOT" >&2; exit 2; }
  copy_at "$2" "$3"
  copy_libs "$2" "$3"
  exit 0
fi
[ $# -eq 2 ] || { echo "usage: files.sh BINARY ROOT" >&2; exit 2; }
binary=$1
root=$2
mkdir -p "$root"
cp -L "$binary" "$root/kron"
copy_libs "$binary" "$root"
mkdir -p "$root/data" "$root/tmp"
chmod 1777 "$root/tmp"
