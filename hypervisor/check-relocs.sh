#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# acrn.bin relocates itself and understands only R_X86_64_RELATIVE entries;
# fail the build if the linker left anything else.
set -e
elf=$1
bad=$(readelf -rW "$elf" | awk '/^[0-9a-f]+ +[0-9a-f]+ +R_X86_64_/ && $3 != "R_X86_64_RELATIVE" {print}')
if [ -n "$bad" ]; then
	echo "$elf: relocations other than R_X86_64_RELATIVE:" >&2
	echo "$bad" >&2
	exit 1
fi
