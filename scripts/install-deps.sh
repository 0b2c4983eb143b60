#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs the Debian packages a profile needs (those missing only).
# Usage: install-deps.sh build|run|test
set -eu

build="gcc make binutils libc6-dev python3 git"
emulate="bochs bochs-term bochsbios vgabios grub-pc-bin grub-common xorriso mtools qemu-system-x86 busybox-static"
tests="libcmocka-dev clang-format cpio busybox-static"

case "${1:-test}" in
build) want="$build" ;;
run) want="$build $emulate" ;;
test) want="$build $emulate $tests" ;;
*) echo "usage: $0 build|run|test" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
exec "$(dirname "$0")/apt-ensure.sh" $want
