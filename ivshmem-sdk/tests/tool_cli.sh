#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The ivshmem tool and the doorbell server from the outside: every command on a real
# /dev/shm region, and each kind of bad input answered with its own clear message.
# Prints TAP lines; run by tests/run with BUILD_DIR set.
set -u
BIN="$BUILD_DIR/bin"
IV="$BIN/ivshmem"
tag="ivtool-$$"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work" /dev/shm/"$tag"* 2>/dev/null
}
trap cleanup EXIT
fails=0
check() { # check NAME COMMAND...: passes when the command succeeds
	local name=$1
	shift
	if "$@" >"$work/out" 2>&1; then
		echo "ok - tool: $name"
	else
		echo "not ok - tool: $name"
		sed 's/^/#   /' "$work/out"
		fails=$((fails + 1))
	fi
}
# expect_error NAME PATTERN COMMAND...: the command must fail, saying PATTERN on stderr.
expect_error() {
	local name=$1 pattern=$2
	shift 2
	if "$@" >"$work/out" 2>&1; then
		echo "not ok - tool: $name (succeeded)"
		fails=$((fails + 1))
	elif grep -q -E "$pattern" "$work/out"; then
		echo "ok - tool: $name"
	else
		echo "not ok - tool: $name (message did not match '$pattern')"
		sed 's/^/#   /' "$work/out"
		fails=$((fails + 1))
	fi
}

check "init creates and lays out /dev/shm/NAME" "$IV" init "$tag" 1M
check "list shows the region by name" bash -c "'$IV' list | grep -q ' $tag '"
check "list says how the region is cached (a /dev/shm file: write-back)" bash -c "'$IV' list | grep -E ' $tag +-?[0-9]+ +[0-9]+ +file +write-back '"
check "list --json is JSON" bash -c "'$IV' --json list | python3 -c 'import json,sys; json.load(sys.stdin)'"
check "send creates a ring and queues two messages" "$IV" --peer 0 send "$tag" chat hello world --to 1
check "info shows peers, the ring and its fill" bash -c "'$IV' info $tag | grep -E 'ring +chat +0 -> 1' | grep -q '32/65536'"
check "recv gets both messages in order" bash -c "[ \"\$('$IV' --peer 1 recv $tag chat --count 2 | tr '\n' ' ')\" = 'hello world ' ]"
check "recv blocks until a sender rings it" bash -c "
	('$IV' --peer 1 recv $tag chat --timeout 5000 > '$work/late') & r=\$!
	sleep 0.3; '$IV' --peer 0 send $tag chat late; wait \$r && grep -qx late '$work/late'"
check "ring wakes a waiter on that vector" bash -c "
	('$IV' --peer 3 wait $tag 2 --timeout 5000 > '$work/rang') & w=\$!
	sleep 0.3; '$IV' ring $tag 3 2; wait \$w && grep -q 'doorbell 2 rang' '$work/rang'"
check "ping round trips with a histogram" bash -c "
	('$IV' --peer 5 ping $tag --to 4 --serve --count 200 >/dev/null) & s=\$!
	'$IV' --peer 4 ping $tag --to 5 --count 200 > '$work/ping'; wait \$s &&
	grep -q 'round trip: p50' '$work/ping' && grep -q ' ns .. ' '$work/ping'"

check "bench --quick prints every figure with its baseline as JSON" bash -c "
	'$IV' --json bench --quick | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert len(rows) >= 10, rows
assert all(r[\"baseline_value\"] > 0 and r[\"value\"] > 0 for r in rows), rows'"

check "bench interrupted by Ctrl-C or kill leaves no region file in /dev/shm and no side running" bash -c "
	for signal in INT TERM; do
		# a background job starts with SIGINT ignored: give it back, as a terminal would
		python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' '$IV' bench >/dev/null 2>&1 & b=\$!
		sleep 1
		[ -e /dev/shm/ivshmem-bench-\$b ] || { echo \"no region file while running\"; exit 1; }
		sides=\$(pgrep -P \$b)
		kill -\$signal \$b; wait \$b
		sleep 0.2
		[ ! -e /dev/shm/ivshmem-bench-\$b ] || { echo \"SIG\$signal left /dev/shm/ivshmem-bench-\$b\"; exit 1; }
		for side in \$sides; do
			state=\$(ps -o stat= -p \$side) # gone, or a zombie nobody reaped yet
			[ -z \"\$state\" ] || [ \"\${state#Z}\" != \"\$state\" ] ||
				{ echo \"SIG\$signal left side \$side running (\$state)\"; kill -9 \$side; exit 1; }
		done
	done"

expect_error "unknown region name" "no region named 'nope_$$'" "$IV" info "nope_$$"
head -c 4096 /dev/zero >/dev/shm/"$tag-small"
expect_error "region too small" "region too small: .*4096 bytes" "$IV" info /dev/shm/"$tag-small"
expect_error "init refuses a size the file does not have" "exists with 4096 bytes" "$IV" init "$tag-small" 1M
head -c 1048576 /dev/zero >/dev/shm/"$tag-zero"
expect_error "region without a layout" "no layout.*ivshmem init" "$IV" info /dev/shm/"$tag-zero"
cp /dev/shm/"$tag" /dev/shm/"$tag-corrupt"
printf 'XXXXXXXX' | dd of=/dev/shm/"$tag-corrupt" conv=notrunc status=none
expect_error "corrupt header" "corrupt shared data: .*magic" "$IV" info /dev/shm/"$tag-corrupt"
cp /dev/shm/"$tag" /dev/shm/"$tag-version"
printf '\x07' | dd of=/dev/shm/"$tag-version" bs=1 seek=8 conv=notrunc status=none
expect_error "wrong layout version" "layout version mismatch: .*version 7, this library speaks 3" "$IV" info /dev/shm/"$tag-version"
chmod 600 /dev/shm/"$tag"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	expect_error "no permission" "permission denied: .*Permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups "$IV" info /dev/shm/"$tag"
else
	expect_error "no permission" "permission denied" "$IV" info /root/.ivshmem-not-readable-$$
fi
expect_error "init refuses to overwrite a layout" "already exists: .*force" "$IV" init "$tag" 1M
expect_error "unknown command" "unknown command" "$IV" frobnicate
expect_error "bad peer id" "bad option" "$IV" --peer 99 list
expect_error "bench on one CPU is refused" "needs two CPUs and this process may run on 1" taskset -c 0 "$IV" bench --quick
expect_error "bench --cpus with one CPU twice" "two different CPU numbers" "$IV" bench --cpus 0,0
expect_error "bench --cpus with one number" "two different CPU numbers.*got .1,." "$IV" bench --cpus 1,
expect_error "bench --cpus with a CPU this process cannot use" "CPU 4095 is not available" "$IV" bench --cpus 0,4095
expect_error "ring to a peer id out of range" "invalid argument: .*peer 40" "$IV" ring "$tag" 40 0

# The doorbell server and two host clients speaking its protocol through libivshmem.
sock="$work/doorbell.sock"
"$BIN/ivshmem-doorbell-server" -S "$sock" -m /dev/shm/"$tag-srv" -l 1M -n 2 -i srvregion &
pids+=($!)
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
check "server: first client gets id 0 and the server's memory" bash -c "'$IV' info server:$sock | grep -q 'region   srvregion'"
check "server: a message and a doorbell cross between two clients" bash -c "
	('$IV' recv server:$sock srv --timeout 5000 > '$work/srv') & r=\$!
	sleep 0.5; '$IV' send server:$sock srv 'via server' --to 0; wait \$r && grep -qx 'via server' '$work/srv'"
expect_error "server: a missing socket is named" "cannot connect to doorbell server" "$IV" info server:"$work/none.sock"

exit $((fails > 0))
