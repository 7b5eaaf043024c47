#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ufou demo: two network namespaces as two hosts on a veth pair, ufoud in
# each, the LWN Foo-over-UDP example (IPIP over FOU port 5555) plus one GUE
# tunnel (port 5556), then ping and a TCP transfer through both, and the
# daemons' counters. Run as root on Debian 12:
#
#     sudo scripts/demo.sh
#
#   host-a (ns)                                       host-b (ns)
#   tun1 198.19.1.1/24  ---- IPIP over FOU 5555 ----  tun1 198.19.1.2/24
#   tun2 198.19.2.1/24  ---- IPIP over GUE 5556 ----  tun2 198.19.2.2/24
#   eth0 198.18.0.1/24  ========= veth =============  eth0 198.18.0.2/24
#        198.18.1.1/24                                     198.18.1.2/24
#
# (tun2 uses the second address pair: two ipip links with the same local
# and remote would be the same tunnel, as in Linux.)
#
# Environment: DEMO_MB (TCP transfer size, default 50), BUILD (build
# directory, default build).
# Everything it creates is removed on exit, also on failure or Ctrl-C.

set -u

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
BUILD=${BUILD:-build}
DEMO_MB=${DEMO_MB:-50}
UFOU=$ROOT/$BUILD/ufou
UFOUD=$ROOT/$BUILD/ufoud

A=ufou-demo-a-$$
B=ufou-demo-b-$$
WORK=$(mktemp -d /tmp/ufou-demo.XXXXXX)
PIDS=()
NSS=()
RXPID=
TXPID=
INTERRUPTED=0

if [ -t 1 ]; then
	BOLD=$'\e[1m' DIM=$'\e[2m' GREEN=$'\e[32m' RED=$'\e[31m' OFF=$'\e[0m'
else
	BOLD='' DIM='' GREEN='' RED='' OFF=''
fi

step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$OFF"; }
info() { printf '    %s\n' "$*"; }
die()  { printf '%sdemo failed: %s%s\n' "$RED" "$*" "$OFF" >&2; exit 1; }

# say HOST TEXT...: print a command as the user would type it on HOST.
say() { local host=$1; shift; printf '    %s[%s]#%s %s\n' "$DIM" "$host" "$OFF" "$*"; }

# on NS CMD...: run inside a namespace.
on() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# ufou_a / ufou_b ARGS...: the CLI on one host, echoed unless QUIET=1.
ufou_a() { [ "${QUIET:-0}" = 1 ] || say host-a ufou "$@"; on "$A" "$UFOU" -S "$WORK/a.sock" "$@"; }
ufou_b() { [ "${QUIET:-0}" = 1 ] || say host-b ufou "$@"; on "$B" "$UFOU" -S "$WORK/b.sock" "$@"; }

cleanup()
{
	local rc=$? pid ns
	trap - EXIT INT TERM HUP
	[ ${#PIDS[@]} -gt 0 ] && step "Tearing down"
	for pid in $TXPID $RXPID; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		# bounded wait: 5 s, then SIGKILL
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${NSS[@]}"; do
		ip netns del "$ns" 2>/dev/null && info "deleted namespace $ns"
	done
	rm -rf "$WORK"
	if [ "$INTERRUPTED" = 1 ]; then
		printf '\n%sDemo interrupted: everything removed.%s\n' "$RED" "$OFF"
		rc=130
	elif [ "$rc" -eq 0 ]; then
		printf '\n%sDemo finished: everything removed.%s\n' "$GREEN" "$OFF"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'INTERRUPTED=1; exit 130' INT TERM HUP

# ---------------------------------------------------------------- 1. deps
[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces and TUN devices need it)"

step "Checking tools"
# deps.sh installs what is missing (apt-get), the build's clang, libbpf and
# bpftool for the eBPF fast path included.
scripts/deps.sh demo || die "could not install what the demo needs"
info "all present (make, cc, clang, libbpf, bpftool, ip, ping, socat, jq)"
[ -e /dev/net/tun ] || { mkdir -p /dev/net && mknod /dev/net/tun c 10 200; } ||
	die "/dev/net/tun is missing"

# ---------------------------------------------------------------- 2. build
step "Building ufou and ufoud"
say host make BUILD="$BUILD" all
make BUILD="$BUILD" all || die "build failed"

# ---------------------------------------------------------------- 3. hosts
step "Creating two hosts (network namespaces) on a veth pair"
for ns in "$A" "$B"; do
	ip netns add "$ns" || die "ip netns add $ns"
	NSS+=("$ns")
	ip -n "$ns" link set lo up
done
info "host-a = namespace $A, host-b = namespace $B"
say host ip link add name eth0 netns host-a type veth peer name eth0 netns host-b
ip link add name eth0 netns "$A" type veth peer name eth0 netns "$B" ||
	die "cannot create the veth pair"
say host-a ip addr add 198.18.0.1/24 dev eth0
ip -n "$A" addr add 198.18.0.1/24 dev eth0
say host-b ip addr add 198.18.0.2/24 dev eth0
ip -n "$B" addr add 198.18.0.2/24 dev eth0
say host-a ip addr add 198.18.1.1/24 dev eth0
ip -n "$A" addr add 198.18.1.1/24 dev eth0
say host-b ip addr add 198.18.1.2/24 dev eth0
ip -n "$B" addr add 198.18.1.2/24 dev eth0
ip -n "$A" link set eth0 up
ip -n "$B" link set eth0 up
for _ in $(seq 1 50); do
	on "$A" ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1 && break
	sleep 0.1
done
on "$A" ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1 || die "the veth pair does not pass traffic"
info "underlay up: 198.18.0.1 <-> 198.18.0.2 and 198.18.1.1 <-> 198.18.1.2 (MTU 1500)"

# ---------------------------------------------------------------- 4. daemons
step "Starting ufoud on both hosts"
start_daemon()
{
	local ns=$1 sock=$2 log=$3 pid
	say "$4" ufoud -S "$sock" "&"
	ip netns exec "$ns" "$UFOUD" -S "$sock" -s none 2>"$log" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1 100); do
		grep -q "ufoud: ready" "$log" 2>/dev/null && [ -S "$sock" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$log" >&2
	die "ufoud did not become ready in ${4}"
}
start_daemon "$A" "$WORK/a.sock" "$WORK/a.log" host-a
start_daemon "$B" "$WORK/b.sock" "$WORK/b.log" host-b
info "both daemons ready"

# ---------------------------------------------------------------- 5. tunnels
step "Configuring the LWN example: IPIP over FOU, UDP port 5555"
ufou_a fou add port 5555 ipproto 4 || die "fou add on host-a"
ufou_b fou add port 5555 ipproto 4 || die "fou add on host-b"
ufou_a link add name tun1 type ipip remote 198.18.0.2 local 198.18.0.1 ttl 225 \
	encap fou encap-sport auto encap-dport 5555 || die "link add tun1 on host-a"
ufou_b link add name tun1 type ipip remote 198.18.0.1 local 198.18.0.2 ttl 225 \
	encap fou encap-sport auto encap-dport 5555 || die "link add tun1 on host-b"

step "Configuring a GUE tunnel: IPIP over GUE, UDP port 5556"
ufou_a fou add port 5556 gue || die "fou add gue on host-a"
ufou_b fou add port 5556 gue || die "fou add gue on host-b"
ufou_a link add name tun2 type ipip remote 198.18.1.2 local 198.18.1.1 \
	encap gue encap-sport auto encap-dport 5556 || die "link add tun2 on host-a"
ufou_b link add name tun2 type ipip remote 198.18.1.1 local 198.18.1.2 \
	encap gue encap-sport auto encap-dport 5556 || die "link add tun2 on host-b"

step "Addressing the tunnel devices (plain ip addr)"
for t in 1 2; do
	for side in a b; do
		[ $side = a ] && ns=$A n=1 || { ns=$B; n=2; }
		for _ in $(seq 1 50); do
			ip -n "$ns" link show dev "tun$t" >/dev/null 2>&1 && break
			sleep 0.1
		done
		say "host-$side" ip addr add "198.19.$t.$n/24" dev "tun$t"
		ip -n "$ns" addr add "198.19.$t.$n/24" dev "tun$t" ||
			die "cannot address tun$t on host-$side"
		say "host-$side" ip link set "tun$t" up
		ip -n "$ns" link set "tun$t" up || die "cannot bring tun$t up on host-$side"
	done
done
echo
say host-a ufou fou show
QUIET=1 ufou_a fou show | sed 's/^/      /'
say host-a ufou link show
QUIET=1 ufou_a link show | sed 's/^/      /'
info "tun1 MTU $(ip -n "$A" -o link show dev tun1 | sed -n 's/.* mtu \([0-9]*\).*/\1/p')," \
	"tun2 MTU $(ip -n "$A" -o link show dev tun2 | sed -n 's/.* mtu \([0-9]*\).*/\1/p')" \
	"(underlay 1500)"

# ---------------------------------------------------------------- 6. traffic
ping_demo()
{
	local t=$1 out
	step "Ping host-a -> host-b through tun$t (198.19.$t.2)"
	say host-a ping -c 10 -i 0.2 "198.19.$t.2"
	out=$(on "$A" ping -c 10 -i 0.2 -w 10 "198.19.$t.2" 2>&1)
	local rc=$?
	printf '%s\n' "$out" | tail -n 3 | sed 's/^/    /'
	[ $rc -eq 0 ] || die "ping through tun$t failed"
	RTT[$t]=$(sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p' <<<"$out")
}

tcp_demo()
{
	local t=$1 port=$((7000 + $1)) bytes=$((DEMO_MB * 1000000)) t0 t1 secs rpid
	step "TCP transfer of $DEMO_MB MB host-a -> host-b through tun$t"
	head -c "$bytes" /dev/urandom >"$WORK/data"
	say host-b socat -u "TCP-LISTEN:$port" OPEN:received,creat "&"
	say host-a socat -u OPEN:data "TCP:198.19.$t.2:$port"
	on "$B" timeout 120 socat -u "TCP-LISTEN:$port,reuseaddr" \
		"OPEN:$WORK/received,creat,trunc" &
	rpid=$!
	RXPID=$rpid
	for _ in $(seq 1 50); do
		on "$B" ss -Htln "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	t0=$(date +%s%N)
	# In the background, so that Ctrl-C is handled at once (wait returns).
	on "$A" timeout 120 socat -u "OPEN:$WORK/data" "TCP:198.19.$t.2:$port" &
	TXPID=$!
	wait "$TXPID" ||
		{ TXPID=; kill "$rpid" 2>/dev/null; wait "$rpid"; RXPID=; die "TCP transfer through tun$t failed"; }
	TXPID=
	wait "$rpid"
	RXPID=
	t1=$(date +%s%N)
	[ "$(sha256sum <"$WORK/data")" = "$(sha256sum <"$WORK/received")" ] ||
		die "received bytes differ from sent bytes"
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	MBS[$t]=$(awk -v n="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", n / s / 1e6 }')
	MBIT[$t]=$(awk -v n="$bytes" -v s="$secs" 'BEGIN { printf "%.0f", n * 8 / s / 1e6 }')
	info "$DEMO_MB MB in ${secs}s = ${MBS[$t]} MB/s = ${MBIT[$t]} Mbit/s (sha256 verified)"
	rm -f "$WORK/data" "$WORK/received"
}

declare -A RTT MBS MBIT PATH_A PATH_B FAST_A FAST_B
ping_demo 1
ping_demo 2
tcp_demo 1
tcp_demo 2

# ---------------------------------------------------------------- 7. report
step "Counters (ufou -s link show)"
for side in a b; do
	say "host-$side" ufou -s link show
	QUIET=1 "ufou_$side" -s link show | sed 's/^/      /'
done
step "Port counters (ufou -s fou show) on host-b"
say host-b ufou -s fou show
QUIET=1 ufou_b -s fou show | sed 's/^/      /'

step "Which data path carried each tunnel (ufou -s -s -j link show)"
# path_of SIDE N: "PATH fast-packets/all-packets" of tunN, both directions.
path_of()
{
	QUIET=1 "ufou_$1" -s -s -j link show "tun$2" | jq -r '.[0] |
		"\(.datapath) \(.stats64.datapath.rx.bpf.packets + .stats64.datapath.tx.bpf.packets)/\(.stats64.rx.packets + .stats64.tx.packets)"'
}
for t in 1 2; do
	read -r PATH_A[$t] FAST_A[$t] <<<"$(path_of a $t)"
	read -r PATH_B[$t] FAST_B[$t] <<<"$(path_of b $t)"
	info "tun$t: host-a ${PATH_A[$t]} (${FAST_A[$t]} packets in eBPF), host-b ${PATH_B[$t]} (${FAST_B[$t]})"
done

step "Summary"
printf '    %-26s %-10s %12s %12s %12s\n' tunnel "data path" "avg RTT ms" "MB/s" "Mbit/s"
printf '    %-26s %-10s %12s %12s %12s\n' "tun1 IPIP over FOU :5555" "${PATH_A[1]}" "${RTT[1]}" "${MBS[1]}" "${MBIT[1]}"
printf '    %-26s %-10s %12s %12s %12s\n' "tun2 IPIP over GUE :5556" "${PATH_A[2]}" "${RTT[2]}" "${MBS[2]}" "${MBIT[2]}"
exit 0
