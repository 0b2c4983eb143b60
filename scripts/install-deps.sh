#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs, with apt-get, the Debian packages a build or test needs and that
# are missing. Usage: install-deps.sh build|run|test
set -eu

build="gcc make binutils libc6-dev python3 git"
emulate="bochs bochs-term bochsbios vgabios grub-pc-bin grub-common xorriso mtools qemu-system-x86"
tests="libcmocka-dev clang-format"

case "${1:-test}" in
build) want="$build" ;;
run) want="$build $emulate" ;;
test) want="$build $emulate $tests" ;;
*) echo "usage: $0 build|run|test" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "Missing Debian packages:$missing" >&2
	echo "Install them as root: apt-get install$missing" >&2
	exit 1
fi
echo "Installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh only when the install fails.
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; }
