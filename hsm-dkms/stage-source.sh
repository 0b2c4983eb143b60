#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copies the module's sources into DEST as DKMS wants them (/usr/src/acrn-hsm-VERSION):
# the C files, Kbuild, dkms.conf with its version, and a copy of the ABI headers.
# Usage: stage-source.sh DEST VERSION
set -eu
dest=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dest/include/acrn"
cp "$here"/*.c "$here"/*.h "$here/Kbuild" "$dest/"
sed "s/#MODULE_VERSION#/$version/" "$here/dkms.conf" >"$dest/dkms.conf"
printf '%s\n' "$version" >"$dest/VERSION"
# The module needs the shared ABI headers, not the SDK's (ivshmem.h belongs to user space).
for h in abi_types.h hypercall.h ioreq.h hsm_ioctl.h notify_dev.h; do
	cp "$here/../include/acrn/$h" "$dest/include/acrn/"
done
