#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Where the CPU goes: one TCP stream (or 64-byte UDP) through each tunnel,
# A -> B, while `perf record -a -g` samples both CPUs; prints each peer's
# throughput and the symbols with the most samples (self time), so the fast
# path can be read against the kernel's own vxlan. Not part of the test
# suite; root; needs perf and iperf3.
#
#   bench/profile.sh [PEER...]     (default: vxlan ufou-bpf-fou)
#
# Environment: BUILD (build dir), PROFILE_SECONDS (default 5), PROFILE_TEST
# (tcp1, the default, or udp64), PROFILE_OUT (default $BUILD/bench/profile),
# PROFILE_TOP (symbols listed, default 25), PROFILE_COMMS (the processes
# whose samples count, default iperf3, ksoftirqd/0-1 and ufoud). The peers
# are bench/peers.sh's.
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
SECS=${PROFILE_SECONDS:-5}
TEST=${PROFILE_TEST:-tcp1}
OUT=${PROFILE_OUT:-$BUILD/bench/profile}
TOP=${PROFILE_TOP:-25}
COMMS=${PROFILE_COMMS:-iperf3,ksoftirqd/0,ksoftirqd/1,ufoud}
PEERS=("$@")
[ ${#PEERS[@]} -gt 0 ] || PEERS=(vxlan ufou-bpf-fou)

say() { printf 'profile: %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
for t in perf iperf3; do
	command -v "$t" >/dev/null || { say "$t missing (apt-get install linux-perf iperf3)"; exit 1; }
done
mkdir -p "$OUT/log" || exit 1
bench_netns profile ufp
trap 'exit 130' INT TERM

netns_up || { say "namespaces failed"; exit 1; }
bg "$OUT/log/iperf3-server.log" "$NSB" iperf3 -s -p 5201
n=0
for p in "${PEERS[@]}"; do
	n=$((n + 1))
	fn=peer_${p//-/_}
	PEER_WHY= PEER_ADDR=
	if ! declare -F "$fn" >/dev/null || ! "$fn" "198.18.$((100 + n))"; then
		say "$p: ${PEER_WHY:-no such peer}"
		continue
	fi
	wait_ping "$PEER_ADDR" || { say "$p: no ping to $PEER_ADDR"; continue; }
	args=(-c "$PEER_ADDR" -p 5201 -t "$SECS" -J)
	[ "$TEST" = udp64 ] && args+=(-u -b 0 -l 64)
	data=$OUT/$p.perf.data
	ip netns exec "$NSA" timeout $((SECS + 20)) iperf3 "${args[@]}" >"$OUT/$p.iperf3.json" 2>&1 &
	ipid=$!
	perf record -q -a -g -o "$data" -- sleep "$SECS" >/dev/null 2>&1
	wait "$ipid"
	rate=$(python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))["end"]
s = j.get("sum_received") or j.get("sum")
print("%.2f Gbit/s" % (s["bits_per_second"] / 1e9) if sys.argv[2] == "tcp1" else
      "%.0f kpps received" % (s["packets"] * (1 - s.get("lost_percent", 0) / 100) / s["seconds"] / 1e3))' \
		"$OUT/$p.iperf3.json" "$TEST" 2>/dev/null || echo "n/a")
	echo "== $p ($TEST, $SECS s): $rate"
	# Only the traffic's own contexts: the kernel does a tunnel's work in
	# the sender's and receiver's system calls and in softirqs, so other
	# processes on a shared machine stay out of the breakdown.
	perf report -i "$data" --no-children --comms "$COMMS" --sort sym --percent-limit 0.8 \
		--stdio 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -n "$TOP"
	echo
done
