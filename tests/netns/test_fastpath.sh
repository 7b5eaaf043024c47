#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The eBPF fast path as a user meets it, beyond what the other files run on
# both data paths:
#
#   HA eth0 198.18.0.1 ==veth== HB eth0 198.18.0.2   (+ eth1 198.18.1.x for the route case)
#
#   - fast both ways: links say "datapath bpf", TCP each way, nearly every
#     byte counted by the programs, the outer source port stable per flow;
#   - mixed pairs: a fast-path ufoud against a TUN-path one (each way, TCP,
#     sha256), and against a TUN-path one that batches with UDP GSO (-G):
#     the batches reach the fast side's socket (handover "batch");
#   - a refused load (fault.so: BPF_PROG_LOAD fails): -D auto says why once
#     and runs the TUN path, -D bpf refuses to start;
#   - kill -9: the filters and devices left behind are adopted by a restart
#     with the same state (one set of programs), gone after link del and
#     SIGTERM; -D tun removes the programs too;
#   - the underlay changes: a route moved to another device is followed,
#     and a device deleted and made again gets the decapsulation back;
#   - the wire: for ipip/fou, gre/gue with keys, sit/fou with a fixed ttl
#     and inherited tos, ip6tnl/fou6 without checksum, the outer headers HA
#     sends (all but lengths, IPv4 ID, source port, flow label and the
#     checksums over them) are the same set on both data paths;
#   - forwarding: decapsulated GSO packets routed on to a third host over a
#     device that segments nothing, TCP with sha256.
#
# The daemons' data path is chosen here, so tests/run.sh runs the file once.
# ufou-datapaths: bpf

source "$(dirname "$0")/lib.sh"
UFOU_DATAPATH=       # each daemon here gets its -D from the case

require_root
require_binaries
for c in ethtool ip jq ping socat sha256sum ss tc tcpdump; do require_command "$c"; done

BYTES=${UFOU_FP_BYTES:-10000000}
FAULT_SO=$BUILD_DIR/tests/netns/fault.so

# link_up NS SIDE [N [UNDERLAY]]: port 5555 and ipip/fou link fp0 between
# UNDERLAY.SIDE and UNDERLAY.(3-SIDE) (default 198.18.0), 198.19.N.SIDE/24 on it.
link_up()
{
	local ns=$1 side=$2 n=${3:-1} u=${4:-198.18.0}
	run_cmd ufou_in "$ns" fou add port 5555 ipproto 4
	check_err $? "fou add in $ns: $CMD_OUT"
	run_cmd ufou_in "$ns" link add name fp0 type ipip remote "$u.$((3 - side))" \
		local "$u.$side" encap fou encap-sport auto encap-dport 5555
	check_err $? "link add in $ns: $CMD_OUT"
	busywait 3000 ip -n "$ns" link show dev fp0 >/dev/null
	ip -n "$ns" link set dev fp0 up
	ip -n "$ns" addr add "198.19.$n.$side/24" dev fp0
}

# counter NS JQ: a number from `ufou -s -s -j link show fp0`.
counter()
{
	ufou_in "$1" -s -s -j link show fp0 2>/dev/null | jq -r ".[0] | $2 // 0"
}

# filters NS: our TC filters on eth0's ingress (handle 0xf0f), one line each.
filters()
{
	tc -n "$1" filter show dev eth0 ingress 2>/dev/null | grep -c 'handle 0xf0f'
}

restart_pair() # restart_pair ARGS_A ARGS_B: both daemons anew, link fp0 on each
{
	stop_ufoud "$HA"; stop_ufoud "$HB"
	# shellcheck disable=SC2086
	start_ufoud "$HA" $1 && start_ufoud "$HB" $2 || return 1
	link_up "$HA" 1 && link_up "$HB" 2
	slowwait 5 ping_ok "$HA" 198.19.1.2
}

if ! setup_two_hosts; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi

# ---- 1. fast both ways
if start_ufoud "$HA" -D bpf && start_ufoud "$HB" -D bpf; then
	link_up "$HA" 1; link_up "$HB" 2
	slowwait 5 ping_ok "$HA" 198.19.1.2
	check_err $? "no ping through fp0"
	p=$(counter "$HA" .datapath)
	[ "$p" = bpf ]
	check_err $? "ufou link show says datapath '$p', expected bpf"
	tcp_transfer "$HA" "$HB" 198.19.1.2 "$BYTES" 60
	check_err $? "HA->HB: $XFER_MSG"
	tcp_transfer "$HB" "$HA" 198.19.1.1 "$BYTES" 60
	check_err $? "HB->HA: $XFER_MSG"
	for ns in "$HA" "$HB"; do
		for d in rx tx; do
			b=$(counter "$ns" ".stats64.datapath.$d.bpf.bytes")
			t=$(counter "$ns" ".stats64.datapath.$d.tun.bytes")
			# Nearly all: the TUN path may carry a packet or two (IPv6 router
			# solicitations are not the link's to carry, and are dropped).
			[ "$b" -ge "$BYTES" ] 2>/dev/null && [ "$t" -le $((b / 100)) ] 2>/dev/null
			check_err $? "$ns $d: fast path $b bytes, TUN path $t bytes"
		done
	done
else
	RET=1; retmsg="daemons did not start with -D bpf"
fi
log_test "fast path both ways: datapath bpf, 2 x $BYTES bytes TCP, >99% of bytes in BPF"

# ---- 2. the outer source port: one per flow, the same on both paths
# sports NS CMD...: the outer UDP source ports HA's packets to 5555 had
# while CMD ran (captured on HB's eth0), one per line, sorted, unique.
sports()
{
	local cap=$TMPD/sport.pcap tpid
	rm -f "$cap"
	ip netns exec "$HB" timeout 30 tcpdump -i eth0 -nn -U --immediate-mode -w "$cap" \
		'udp dst port 5555 and src host 198.18.0.1' >/dev/null 2>"$cap.err" &
	tpid=$!
	busywait 5000 grep -q "listening on" "$cap.err"
	"$@" >/dev/null 2>&1
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	tcpdump -nn -r "$cap" 2>/dev/null | awk '{ print $3 }' | sed 's/.*\.//' | sort -u
}
fast=$(sports tcp_transfer "$HA" "$HB" 198.19.1.2 2000000 30)
n=$(wc -l <<<"$fast")
[ -n "$fast" ] && [ "$n" -le 2 ]
check_err $? "one TCP flow (and its handshake) left from $n ports: $(tr '\n' ' ' <<<"$fast")"
# An ICMP flow (ports play no part) on the fast path, then on the TUN path:
# encap-csum moves HA's transmit side there. Same flow, same key: same port.
p_fast=$(sports in_ns "$HA" ping -c 5 -i 0.1 -q 198.19.1.2)
run_cmd ufou_in "$HA" link set fp0 encap-csum
check_err $? "link set fp0 encap-csum: $CMD_OUT"
t0=$(counter "$HA" .stats64.datapath.tx.tun.packets)
p_tun=$(sports in_ns "$HA" ping -c 5 -i 0.1 -q 198.19.1.2)
t1=$(counter "$HA" .stats64.datapath.tx.tun.packets)
[ "$(counter "$HA" .datapath)" = bpf-rx ] && [ $((t1 - t0)) -ge 5 ]
check_err $? "after encap-csum: datapath $(counter "$HA" .datapath), TUN path sent $((t1 - t0))"
[ -n "$p_fast" ] && [ "$p_fast" = "$p_tun" ]
check_err $? "one ping flow left from port(s) [$p_fast] on the fast path, [$p_tun] on the TUN path"
run_cmd ufou_in "$HA" link set fp0 noencap-csum
log_test "encap-sport auto: one outer source port per inner flow, the same on both data paths"

# ---- 3. mixed pairs
if restart_pair "-D bpf" "-D tun"; then
	pb=$(counter "$HB" .datapath)
	[ "$pb" = tun ]
	check_err $? "HB (-D tun) says datapath '$pb'"
	tcp_transfer "$HA" "$HB" 198.19.1.2 "$BYTES" 60
	check_err $? "fast -> TUN path: $XFER_MSG"
	tcp_transfer "$HB" "$HA" 198.19.1.1 "$BYTES" 60
	check_err $? "TUN path -> fast: $XFER_MSG"
	[ "$(counter "$HA" .stats64.datapath.tx.bpf.packets)" -gt 0 ] &&
		[ "$(counter "$HA" .stats64.datapath.rx.bpf.packets)" -gt 0 ]
	check_err $? "HA's fast path carried nothing: $(counter "$HA" .stats64.datapath)"
else
	check_err 1 "restart as -D bpf / -D tun"
fi
log_test "mixed pair: fast path against TUN path, TCP each way, sha256"

if restart_pair "-D bpf" "-D tun -G"; then
	tcp_transfer "$HB" "$HA" 198.19.1.1 "$BYTES" 60
	check_err $? "TUN path -G -> fast: $XFER_MSG"
	tcp_transfer "$HA" "$HB" 198.19.1.2 "$BYTES" 60
	check_err $? "fast -> TUN path -G: $XFER_MSG"
	bt=$(ufou_in "$HA" -s -s -j fou show | jq '[.[].stats64.datapath.handover.rx.batch // 0] | add')
	g=$(ufou_in "$HB" -s -j link show fp0 | jq '.[0].stats64.tx.gso // 0')
	[ "${g:-0}" -gt 0 ] && [ "${bt:-0}" -gt 0 ]
	check_err $? "HB sent $g segments by GSO, HA handed $bt batches to its socket"
else
	check_err 1 "restart as -D bpf / -D tun -G"
fi
log_test "mixed pair: against UDP GSO batches (ufoud -G), TCP each way, sha256"

# ---- 4. a refused load
stop_ufoud "$HA"; stop_ufoud "$HB"
if LD_PRELOAD=$FAULT_SO UFOU_FAULT=bpf-load start_ufoud "$HA"; then
	grep -q "data path: tun for every link: the eBPF fast path did not load (BPF load: " \
		"${UFOUD_LOG[$HA]}"
	check_err $? "no reason logged: $(grep 'data path' "${UFOUD_LOG[$HA]}")"
	c=$(grep -c "data path:" "${UFOUD_LOG[$HA]}")
	[ "$c" = 1 ]
	check_err $? "the data path was reported $c times"
	start_ufoud "$HB" -D tun && link_up "$HA" 1 && link_up "$HB" 2
	slowwait 5 ping_ok "$HA" 198.19.1.2
	check_err $? "no ping on the TUN path after the refused load"
	p=$(counter "$HA" .datapath)
	[ "$p" = tun ] && [ "$(filters "$HA")" = 0 ]
	check_err $? "datapath '$p', $(filters "$HA") filters on eth0"
else
	check_err 1 "ufoud did not start when the load was refused (-D auto)"
fi
stop_ufoud "$HA"
: >"$TMPD/refused.log"
LD_PRELOAD=$FAULT_SO UFOU_FAULT=bpf-load timeout 10 ip netns exec "$HA" "$UFOUD" -D bpf \
	-S "$TMPD/refused.sock" >"$TMPD/refused.log" 2>&1
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
	grep -q "data path: the eBPF fast path did not load (BPF load: Operation not permitted" \
		"$TMPD/refused.log"
check_err $? "ufoud -D bpf with the load refused: exit $rc, $(tr '\n' ' ' <"$TMPD/refused.log")"
log_test "refused BPF load: -D auto falls back with the reason, -D bpf exits"
stop_ufoud "$HB"

# ---- 5. kill -9 leaves filters and devices; a restart with the same state
# adopts them, replacing the programs (one set, no stale one); link del and
# SIGTERM remove them; -D tun removes the programs of a killed -D bpf.
kill9() # kill9 NS: the daemon of NS killed with -9, reaped
{
	local pid=${UFOUD_PID[$1]}
	kill -KILL "$pid"
	slowwait 5 _pid_gone "$pid"
	wait "$pid" 2>/dev/null
	unset "UFOUD_PID[$1]"
}
egress() # egress NS: our filters on fp0's egress
{
	tc -n "$1" filter show dev fp0 egress 2>/dev/null | grep -c 'handle 0xf0f'
}
if start_ufoud "$HA" -D bpf -s "$TMPD/fp5.state"; then
	link_up "$HA" 1
	before=$(tc -n "$HA" filter show dev eth0 ingress | grep -o 'id [0-9]*' | head -n1)
	kill9 "$HA"
	[ "$(filters "$HA")" = 1 ] && [ "$(egress "$HA")" = 1 ]
	check_err $? "after kill -9: $(filters "$HA") filters on eth0, $(egress "$HA") on fp0 (the kernel keeps them)"
	start_ufoud "$HA" -D bpf -s "$TMPD/fp5.state"
	check_err $? "restart after kill -9"
	after=$(tc -n "$HA" filter show dev eth0 ingress | grep -o 'id [0-9]*' | head -n1)
	[ "$(filters "$HA")" = 1 ] && [ "$(egress "$HA")" = 1 ] && [ "$before" != "$after" ]
	check_err $? "after restart: $(filters "$HA") filters, $(egress "$HA") on fp0, program $before -> $after"
	[ "$(_dp_of "$HA" fp0 | cut -d' ' -f1)" = bpf ]
	check_err $? "fp0 not back on the fast path after the restart: $(_dp_of "$HA" fp0)"
	run_cmd ufou_in "$HA" link del fp0
	! ip -n "$HA" link show dev fp0 >/dev/null 2>&1
	check_err $? "link del fp0 after a restart left the device"
	stop_ufoud "$HA"
	check_err $? "ufoud did not exit cleanly on SIGTERM"
	[ "$(filters "$HA")" = 0 ]
	check_err $? "after SIGTERM: $(filters "$HA") filters left on eth0"
	# A kill -9 followed by a TUN-path daemon: it removes them too.
	start_ufoud "$HA" -D bpf -s "$TMPD/fp5b.state" && link_up "$HA" 1
	kill9 "$HA"
	start_ufoud "$HA" -D tun -s "$TMPD/fp5b.state"
	[ "$(filters "$HA")" = 0 ] && [ "$(egress "$HA")" = 0 ]
	check_err $? "-D tun after kill -9 left $(filters "$HA") filters on eth0, $(egress "$HA") on fp0"
	stop_ufoud "$HA"
	! ip -n "$HA" link show dev fp0 >/dev/null 2>&1
	check_err $? "SIGTERM left the device fp0"
else
	check_err 1 "ufoud -D bpf did not start"
fi
log_test "kill -9: programs and devices adopted on restart, removed by link del, SIGTERM and -D tun"

# ---- 6. the underlay changes under a running tunnel
# Tunnel endpoints on lo, reached through eth0, then through eth1.
ip link add name eth1 netns "$HA" type veth peer name eth1 netns "$HB"
for side in 1 2; do
	[ "$side" = 1 ] && ns=$HA || ns=$HB
	ip -n "$ns" addr add "198.18.1.$side/24" dev eth1
	ip -n "$ns" link set eth1 up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "198.18.9.$side/32" dev lo
	ip -n "$ns" route add "198.18.9.$((3 - side))/32" via "198.18.0.$((3 - side))" dev eth0
done
slowwait 5 in_ns "$HA" ping -c 1 -W 1 -I 198.18.9.1 198.18.9.2 >/dev/null
check_err $? "underlay between the endpoints"
start_ufoud "$HA" -D bpf && start_ufoud "$HB" -D bpf
check_err $? "daemons"
link_up "$HA" 1 2 198.18.9
link_up "$HB" 2 2 198.18.9
slowwait 5 ping_ok "$HA" 198.19.2.2
check_err $? "no ping over the endpoints' tunnel"
e0=$(ip -n "$HB" -j -s link show dev eth1 | jq '.[0].stats64.rx.packets')
t0=$(counter "$HA" .stats64.datapath.tx.bpf.packets)
ip -n "$HA" route replace 198.18.9.2/32 via 198.18.1.2 dev eth1
slowwait 5 ping_ok "$HA" 198.19.2.2
check_err $? "no ping after the route moved to eth1"
in_ns "$HA" ping -c 20 -i 0.05 -q 198.19.2.2 >/dev/null
e1=$(ip -n "$HB" -j -s link show dev eth1 | jq '.[0].stats64.rx.packets')
t1=$(counter "$HA" .stats64.datapath.tx.bpf.packets)
[ $((e1 - e0)) -ge 20 ] && [ $((t1 - t0)) -ge 20 ]
check_err $? "after the route change: eth1 took $((e1 - e0)) packets, the fast path sent $((t1 - t0))"
log_test "underlay route moved to another device: followed on the fast path"

# HB's eth1 goes away and comes back: its decapsulation comes back with it.
ip -n "$HA" route replace 198.18.9.2/32 via 198.18.0.2 dev eth0
ip -n "$HB" route replace 198.18.9.1/32 via 198.18.1.1 dev eth1
ip -n "$HA" link del eth1
ip link add name eth1 netns "$HA" type veth peer name eth1 netns "$HB"
for side in 1 2; do
	[ "$side" = 1 ] && ns=$HA || ns=$HB
	ip -n "$ns" addr add "198.18.1.$side/24" dev eth1
	ip -n "$ns" link set eth1 up
done
ip -n "$HA" route replace 198.18.9.2/32 via 198.18.1.2 dev eth1
ip -n "$HB" route replace 198.18.9.1/32 via 198.18.1.1 dev eth1
slowwait 5 ping_ok "$HA" 198.19.2.2
check_err $? "no ping after eth1 was made again"
busywait 5000 test "$(tc -n "$HB" filter show dev eth1 ingress 2>/dev/null | grep -c 'handle 0xf0f')" = 1
check_err $? "no decapsulation on the new eth1 of HB"
r0=$(counter "$HB" .stats64.datapath.rx.bpf.packets)
in_ns "$HA" ping -c 20 -i 0.05 -q 198.19.2.2 >/dev/null
r1=$(counter "$HB" .stats64.datapath.rx.bpf.packets)
[ $((r1 - r0)) -ge 20 ]
check_err $? "HB's fast path received $((r1 - r0)) of 20 pings over the new eth1"
log_test "underlay device deleted and made again: decapsulation follows it"
stop_ufoud "$HA"; stop_ufoud "$HB"

# ---- 7. the same outer headers on both data paths

# wire_sigs MODE PORT PORTARGS LINKWORDS FAM: HA on -D MODE, HB on the fast
# path; a ping and a short TCP transfer HA -> HB; prints the shapes seen.
wire_sigs()
{
	local mode=$1 port=$2 pargs=$3 lw=$4 fam=$5 kind=fou cap=$TMPD/wire.pcap side ns tpid l r
	local -a pa w
	read -r -a pa <<<"$pargs"
	read -r -a w <<<"$lw"
	[ "${pa[0]}" = gue ] && kind=gue
	start_ufoud "$HA" -D "$mode" >/dev/null && start_ufoud "$HB" -D bpf >/dev/null || return 1
	for side in 1 2; do
		[ "$side" = 1 ] && ns=$HA || ns=$HB
		if [ "$fam" = 4 ]; then
			l=198.18.0.$side r=198.18.0.$((3 - side))
		else
			l=fd00:18::$side r=fd00:18::$((3 - side))
		fi
		ufou_in "$ns" fou add port "$port" "${pa[@]}" >/dev/null &&
			ufou_in "$ns" link add name wr0 "${w[@]}" remote "$r" local "$l" \
				encap-sport auto encap-dport "$port" >/dev/null || return 1
		busywait 3000 ip -n "$ns" link show dev wr0 >/dev/null
		ip -n "$ns" link set dev wr0 up
		ip -n "$ns" addr add "198.19.7.$side/24" dev wr0
	done
	rm -f "$cap"
	# Everything: a filter on the UDP port would not see past IPv6's dstopt.
	ip netns exec "$HB" timeout 30 tcpdump -i eth0 -nn -U --immediate-mode -s 200 -w "$cap" \
		>/dev/null 2>"$cap.err" &
	tpid=$!
	busywait 5000 grep -q "listening on" "$cap.err"
	slowwait 5 ping_ok "$HA" 198.19.7.2 >/dev/null
	tcp_transfer "$HA" "$HB" 198.19.7.2 300000 20 >/dev/null || return 1
	slowwait 3 ping_ok "$HA" 198.19.7.2 >/dev/null
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	stop_ufoud "$HA"
	stop_ufoud "$HB"
	python3 "$WIRE_SIG" -a "$cap" "$port:$kind"
}

WIRE=(
	"ipip/fou|5571|ipproto 4|type ipip encap fou|4"
	"gre/gue key 5|5572|gue|type gre ikey 5 okey 5 encap gue|4"
	"sit/fou ttl 33 tos inherit|5573|ipproto 4|type sit mode any ttl 33 tos inherit encap fou|4"
	"ip6tnl/fou6 noencap-udp6-csum|5574|ipproto 4 -6|type ip6tnl mode ipip6 encap fou noencap-udp6-csum|6"
)
for c in "${WIRE[@]}"; do
	IFS='|' read -r name port pargs lw fam <<<"$c"
	st=$(wire_sigs tun "$port" "$pargs" "$lw" "$fam")
	check_err $? "$name on the TUN path: no traffic"
	sb=$(wire_sigs bpf "$port" "$pargs" "$lw" "$fam")
	check_err $? "$name on the fast path: no traffic"
	[ -n "$st" ] && [ "$st" = "$sb" ]
	check_err $? "$name: outer headers differ: TUN path [$(tr '\n' ' ' <<<"$st")] fast path [$(tr '\n' ' ' <<<"$sb")]"
done
log_test "wire: the fast path's outer headers are the TUN path's (4 link kinds)"

# ---- 8. decapsulated GSO packets forwarded on
# HB routes what comes out of fp0 to a third host HC over a veth that can
# segment nothing itself, so the kernel segments HB's decapsulated GSO
# packets in software: whatever UDP-tunnel state they kept from the outer
# headers must not spoil the segments. A TCP transfer HA -> HC, sha256.
fw_case()
{
	local gso0 gso1 rx0 rx1
	setup_ns HC || return 1
	ip link add name fw0 netns "$HB" type veth peer name eth0 netns "$HC" || return 1
	ip -n "$HB" addr add 198.19.60.1/24 dev fw0
	ip -n "$HC" addr add 198.19.60.2/24 dev eth0
	ip -n "$HB" link set dev fw0 up
	ip -n "$HC" link set dev eth0 up
	ip netns exec "$HB" ethtool -K fw0 tso off gso off >/dev/null 2>&1
	ip netns exec "$HB" ethtool -k fw0 | grep -q '^generic-segmentation-offload: off'
	check_err $? "cannot turn GSO off on HB's fw0: $(ip netns exec "$HB" ethtool -k fw0 2>&1 | grep segmentation)"
	ip netns exec "$HB" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$HC" route add 198.19.1.0/24 via 198.19.60.1
	start_ufoud "$HA" -D bpf && start_ufoud "$HB" -D bpf || return 1
	link_up "$HA" 1 && link_up "$HB" 2 || return 1
	ip -n "$HA" route add 198.19.60.0/24 dev fp0
	slowwait 5 ping_ok "$HA" 198.19.60.2
	check_err $? "no ping HA -> HC through fp0 and HB"
	gso0=$(counter "$HA" .stats64.tx.gso)
	rx0=$(counter "$HB" .stats64.datapath.rx.bpf.bytes)
	tcp_transfer "$HA" "$HC" 198.19.60.2 "$BYTES" 60
	check_err $? "HA -> HC through HB: $XFER_MSG"
	gso1=$(counter "$HA" .stats64.tx.gso)
	rx1=$(counter "$HB" .stats64.datapath.rx.bpf.bytes)
	[ $((gso1 - gso0)) -gt 0 ] 2>/dev/null
	check_err $? "HA sent no GSO packets on the fast path ($gso0 -> $gso1)"
	[ $((rx1 - rx0)) -ge "$BYTES" ] 2>/dev/null
	check_err $? "HB's fast path decapsulated $((rx1 - rx0)) bytes of $BYTES"
	stop_ufoud "$HA"; stop_ufoud "$HB"
}
RET=0
if ! fw_case; then
	RET=1; retmsg=${retmsg:-"set-up of the third host failed"}
fi
log_test "decapsulated GSO packets forwarded to a third host, segmented there in software"

exit "$EXIT_STATUS"
