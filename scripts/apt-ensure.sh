#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs, with apt-get, those of the named Debian packages that are missing.
# Components' tests call it for what only they need. Usage: apt-ensure.sh PKG...
set -eu
missing=""
for p in "$@"; do
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
echo "Installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh only when the install fails.
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; }
