#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Throughput / latency / CPU of ufou against the direct veth and a kernel
# vxlan between two network namespaces, in interleaved rounds (the machine
# is shared, so compare within a round).
#
#   bench/netns_perf.sh [ROUNDS] [SECONDS]      (root; BUILD=build dir)
#
# Namespaces ufpfA/ufpfB joined by veth ufpfa/ufpfb 198.18.0.1-2/24;
# ufou ipip/fou uf0 198.18.1.1-2/24; vxlan vx0 198.18.2.1-2/24.
# Everything is removed on exit (by the names and PIDs created here).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ROUNDS=${1:-3}
SECS=${2:-5}
A=ufpfA B=ufpfB
TMP=$(mktemp -d /tmp/ufpf.XXXXXX)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

setup() {
	ip netns add $A && ip netns add $B || exit 1
	ip link add ufpfa netns $A type veth peer name ufpfb netns $B
	ip -n $A addr add 198.18.0.1/24 dev ufpfa
	ip -n $B addr add 198.18.0.2/24 dev ufpfb
	for n in $A $B; do ip -n $n link set lo up; done
	ip -n $A link set ufpfa up
	ip -n $B link set ufpfb up
	ip -n $A link add vx0 type vxlan id 42 remote 198.18.0.2 local 198.18.0.1 dstport 4789 dev ufpfa
	ip -n $B link add vx0 type vxlan id 42 remote 198.18.0.1 local 198.18.0.2 dstport 4789 dev ufpfb
	ip -n $A addr add 198.18.2.1/24 dev vx0
	ip -n $B addr add 198.18.2.2/24 dev vx0
	ip -n $A link set vx0 up
	ip -n $B link set vx0 up
	for side in A B; do
		local ns=${!side} me peer
		if [ $side = A ]; then me=1 peer=2; else me=2 peer=1; fi
		ip netns exec "$ns" "$BUILD"/ufoud -S "$TMP/$side.sock" -s none ${UFOUD_OPTS:-} \
			>"$TMP/$side.log" 2>&1 &
		PIDS+=($!)
		for _ in $(seq 50); do [ -S "$TMP/$side.sock" ] && break; sleep 0.1; done
		ip netns exec "$ns" "$BUILD"/ufou -S "$TMP/$side.sock" fou add port 5555 ipproto 4
		ip netns exec "$ns" "$BUILD"/ufou -S "$TMP/$side.sock" link add name uf0 type ipip \
			remote 198.18.0.$peer local 198.18.0.$me encap fou encap-sport auto \
			encap-dport 5555 ${UFOU_LINK_OPTS:-}
		ip -n "$ns" addr add 198.18.1.$me/24 dev uf0
		ip -n "$ns" link set uf0 up
	done
	ip netns exec $B iperf3 -s -D -I "$TMP/iperf.pid" >/dev/null
	sleep 0.5
	PIDS+=("$(cat "$TMP/iperf.pid")")
	ping -c1 -W2 -q 198.18.1.2 >/dev/null 2>&1 || true
	ip netns exec $A ping -c2 -W2 -q 198.18.1.2 >/dev/null || echo "# tunnel ping failed"
	ip netns exec $A ping -c2 -W2 -q 198.18.2.2 >/dev/null || echo "# vxlan ping failed"
}

# tcp DST [extra iperf args]: Gbit/s
tcp() {
	local dst=$1
	shift
	ip netns exec $A iperf3 -c "$dst" -t "$SECS" -J "$@" 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' 2>/dev/null || echo 0
}

# udp DST: received packets per second of 64-byte datagrams
udp() {
	ip netns exec $A iperf3 -c "$1" -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["end"]["sum"]; print("%.0f" % ((s["packets"]-s["lost_packets"])/s["seconds"]))' 2>/dev/null || echo 0
}

# lat DST: p50 round trip in microseconds (ping flood-less, 200 pings)
lat() {
	ip netns exec $A ping -c 200 -i 0.002 -q "$1" 2>/dev/null >/dev/null
	ip netns exec $A ping -c 300 -i 0.002 "$1" 2>/dev/null |
		awk -F'time=' '/time=/{split($2,a," "); print a[1]*1000}' | sort -n |
		awk '{v[NR]=$1} END{print v[int(NR/2)+1]}'
}

setup
MODES=${MODES:-tcp1 tcp1r tcp4 udp lat}
for r in $(seq "$ROUNDS"); do
	for m in $MODES; do
		case $m in
		tcp1) d=$(tcp 198.18.0.2); u=$(tcp 198.18.1.2); v=$(tcp 198.18.2.2); unit=Gbit/s ;;
		tcp1r) d=$(tcp 198.18.0.2 -R); u=$(tcp 198.18.1.2 -R); v=$(tcp 198.18.2.2 -R); unit=Gbit/s ;;
		tcp4) d=$(tcp 198.18.0.2 -P 4); u=$(tcp 198.18.1.2 -P 4); v=$(tcp 198.18.2.2 -P 4); unit=Gbit/s ;;
		udp) d=$(udp 198.18.0.2); u=$(udp 198.18.1.2); v=$(udp 198.18.2.2); unit=pps ;;
		lat) d=$(lat 198.18.0.2); u=$(lat 198.18.1.2); v=$(lat 198.18.2.2); unit=us ;;
		hold) echo "# holding ${SECS}s: pids ${PIDS[*]}, sockets $TMP"; sleep "$SECS"; continue ;;
		esac
		printf 'round %s %-6s direct %8s  ufou %8s  vxlan %8s %-7s ufou/direct %.2f ufou/vxlan %.2f\n' \
			"$r" "$m" "$d" "$u" "$v" "$unit" \
			"$(echo "$u $d" | awk '{print $2 ? $1/$2 : 0}')" \
			"$(echo "$u $v" | awk '{print $2 ? $1/$2 : 0}')"
	done
done
if [ -n "${KEEP:-}" ]; then echo "# kept; press enter"; read -r _; fi
