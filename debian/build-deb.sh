#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `make deb`: builds every binary package with dpkg-buildpackage from a clean copy of
# the tracked files (never in the source tree), and leaves the .deb, .changes and
# .buildinfo files in OUT. Usage: build-deb.sh OUT
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
version=$(cat "$top/VERSION")
sh "$top/scripts/apt-ensure.sh" dpkg-dev debhelper dh-dkms gcc make binutils libc6-dev
changelog_version=$(dpkg-parsechangelog -l "$here/changelog" -S Version 2>/dev/null || true)
if [ "$changelog_version" != "$version" ]; then
	echo "debian/changelog is at '$changelog_version' but VERSION says '$version':" >&2
	echo "add a changelog entry (dch -v $version) before building packages" >&2
	exit 1
fi

src=$out/source/acrn-hypervisor-$version
rm -rf "$out"
mkdir -p "$src"
# A clean checkout: the files git tracks, as staged (the index), nothing built and no
# work in progress of the work tree.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git checkout-index -a -f --prefix="$src/")
else
	(cd "$top" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C "$src"
fi
echo "dpkg-buildpackage in $src (log: $out/build.log)"
# Debug symbols stay out of build/deb, which users install with apt install ./*.deb.
if ! (cd "$src" && DEB_BUILD_OPTIONS="noautodbgsym ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	exit 1
fi
mv "$out/source"/*.deb "$out/source"/*.changes "$out/source"/*.buildinfo "$out/"
rm -rf "$out/source"
ls -1 "$out"/*.deb
