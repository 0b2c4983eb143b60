#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Builds the Debian 12 test root for debian/tests/run: minbase plus what a Service VM
# has before it installs this platform (Debian's kernel and its headers, GRUB for BIOS,
# DKMS, libc6-dev to build against libivshmem). GRUB's device probe is replaced by
# tests/grub-probe-stub before grub-common is unpacked, since the root is a directory
# and not a disk. Usage: make-root.sh DIR
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=/etc/apt/sources.list
# Never remove a root that still has something mounted in it (a bound /dev would take
# the host's device nodes with it); --one-file-system is the second guard.
for dir in "$root" "$root.tmp"; do
	if [ -d "$dir" ] && grep -q " $(realpath "$dir")[/ ]" /proc/self/mountinfo; then
		echo "make-root.sh: $dir has file systems mounted in it; not touching it" >&2
		exit 1
	fi
done
rm -rf --one-file-system "$root.tmp"
mmdebstrap --quiet --variant=minbase --mode=root \
	--include=linux-image-amd64,linux-headers-amd64,grub-pc,dkms,initramfs-tools,ca-certificates,libc6-dev \
	--essential-hook="chroot \"\$1\" dpkg-divert --quiet --local --rename --divert /usr/sbin/grub-probe.real --add /usr/sbin/grub-probe" \
	--essential-hook="mkdir -p \"\$1/usr/sbin\" && cp $here/grub-probe-stub \"\$1/usr/sbin/grub-probe\"" \
	--customize-hook="chroot \"\$1\" apt-get clean" \
	bookworm "$root.tmp" "$sources"
rm -rf --one-file-system "$root"
mv "$root.tmp" "$root"
