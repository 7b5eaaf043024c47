# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2034  # sourced: the PEER_* variables are read by bench/run.sh
# Sourced by bench/lib.sh, for bench/run.sh and bench/profile.sh: the two
# namespaces joined by a veth, and one set-up function per tunnel under
# test. Each peer_<name> function sets the tunnel up between namespaces
# $NSA and $NSB with inner addresses $SUB.1 (A) and $SUB.2 (B), appends the
# PIDs of its tunnel processes to PEER_PIDS, and returns non-zero with the
# reason in PEER_WHY when it cannot.
#
# Addresses: underlay 198.18.0.1 (A) - 198.18.0.2 (B) (and more pairs for
# the ufou links, fd00:18::1 - fd00:18::2 for IPv6), one 198.18.N.0/24 per
# tunnel; nothing outside 198.18.0.0/15 and fd00::/8, no default routes.

UA=198.18.0.1
UB=198.18.0.2

# Every background process this script starts, to kill (by PID) on exit.
STARTED_PIDS=()

nsa() { ip netns exec "$NSA" "$@"; }
nsb() { ip netns exec "$NSB" "$@"; }

# bg LOG NS CMD...: starts CMD in namespace NS in the background; sets BG_PID.
bg() {
	local log=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
	BG_PID=$!
	STARTED_PIDS+=("$BG_PID")
}

alive() { kill -0 "$1" 2>/dev/null; }

# wait_devs DEV: waits up to ~3 s for a tunnel process to create DEV in both namespaces.
wait_devs() {
	local i
	for i in $(seq 30); do
		ip -n "$NSA" link show "$1" >/dev/null 2>&1 &&
			ip -n "$NSB" link show "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# wait_ping ADDR: waits up to ~8 s for ADDR to answer from namespace A.
wait_ping() {
	local i
	for i in 1 2 3 4 5 6 7 8; do
		nsa ping -c 1 -W 1 -q "$1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

netns_up() {
	ip netns add "$NSA" || return 1
	ip netns add "$NSB" || return 1
	nsa ip link set lo up
	nsb ip link set lo up
	ip -n "$NSA" link add va type veth peer name vb netns "$NSB" || return 1
	ip -n "$NSA" link set va mtu 1500 up
	ip -n "$NSB" link set vb mtu 1500 up
	ip -n "$NSA" addr add "$UA/24" dev va
	ip -n "$NSB" addr add "$UB/24" dev vb
	wait_ping "$UB"
}

netns_down() {
	local p
	for p in "${STARTED_PIDS[@]}"; do
		alive "$p" && kill "$p" 2>/dev/null
	done
	for p in "${STARTED_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	STARTED_PIDS=()
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -f "/var/run/wireguard/$WGA.sock" "/var/run/wireguard/$WGB.sock"
	true
}

# addrs DEV_A DEV_B SUB [MTU]: inner addresses (and MTU) on both ends, up.
addrs() {
	ip -n "$NSA" link set "$1" up ${4:+mtu $4} || return 1
	ip -n "$NSB" link set "$2" up ${4:+mtu $4} || return 1
	ip -n "$NSA" addr add "$3.1/24" dev "$1" || return 1
	ip -n "$NSB" addr add "$3.2/24" dev "$2" || return 1
}

# No tunnel: the veth itself, the physical limit here.
peer_direct() {
	PEER_ADDR=$UB
	return 0
}

# The kernel's own UDP tunnel (this kernel has no fou module).
peer_vxlan() {
	local sub=$1
	ip -n "$NSA" link add vx0 type vxlan id 42 local "$UA" remote "$UB" dstport 4789 dev va \
		2>"$OUT/log/vxlan.err" || { PEER_WHY="no vxlan: $(head -c 80 "$OUT/log/vxlan.err")"; return 1; }
	ip -n "$NSB" link add vx0 type vxlan id 42 local "$UB" remote "$UA" dstport 4789 dev vb
	addrs vx0 vx0 "$sub" || { PEER_WHY="vxlan address set-up failed"; return 1; }
	PEER_ADDR=$sub.2
}

# ufoud_up [TAG [ARGS...]]: a ufoud in each namespace, started once per TAG
# (default "main") with ARGS; the ufou rows of one TAG share its daemons.
# Sets UFOUD_A/UFOUD_B (PIDs) and SOCK_A/SOCK_B (control sockets).
declare -A UFOUD_PAIR=()
ufoud_up() {
	local tag=${1:-main} i
	[ $# -gt 0 ] && shift
	SOCK_A=$TMPD/$tag-a.sock SOCK_B=$TMPD/$tag-b.sock
	if [ -n "${UFOUD_PAIR[$tag]:-}" ]; then
		read -r UFOUD_A UFOUD_B <<<"${UFOUD_PAIR[$tag]}"
		return 0
	fi
	[ -x "$UFOUD" ] && [ -x "$UFOU" ] || { UFOUD_WHY="ufoud/ufou not built ($UFOUD)"; return 1; }
	bg "$OUT/log/ufoud-$tag-a.log" "$NSA" "$UFOUD" -S "$SOCK_A" -s none "$@"
	UFOUD_A=$BG_PID
	bg "$OUT/log/ufoud-$tag-b.log" "$NSB" "$UFOUD" -S "$SOCK_B" -s none "$@"
	UFOUD_B=$BG_PID
	for i in $(seq 50); do
		if [ -S "$SOCK_A" ] && [ -S "$SOCK_B" ]; then
			UFOUD_PAIR[$tag]="$UFOUD_A $UFOUD_B"
			return 0
		fi
		alive "$UFOUD_A" && alive "$UFOUD_B" || break
		sleep 0.1
	done
	UFOUD_WHY="ufoud did not start: $(tail -n 1 "$OUT/log/ufoud-$tag-a.log" 2>/dev/null | head -c 80)"
	return 1
}

# veth6 LOCAL REMOTE: IPv6 on the veth only (every other device in the
# namespaces keeps it off), with nodad addresses LOCAL/64 (A) and REMOTE/64 (B).
# No router solicitations, no DAD: after the set-up nothing is sent unasked.
veth6() {
	local ns dev
	for ns in "$NSA:va" "$NSB:vb"; do
		dev=${ns#*:}
		ip netns exec "${ns%%:*}" sysctl -q -w "net.ipv6.conf.$dev.accept_ra=0" \
			"net.ipv6.conf.$dev.router_solicitations=0" "net.ipv6.conf.$dev.accept_dad=0" \
			"net.ipv6.conf.$dev.disable_ipv6=0" >/dev/null || return 1
	done
	ip -n "$NSA" addr add "$1/64" dev va nodad && ip -n "$NSB" addr add "$2/64" dev vb nodad
}

# peer_ufou NAME SUB DEV LOCAL REMOTE PORT FOU-WORDS... -- LINK-WORDS...: one
# ufou tunnel in the shared daemons: `fou add port PORT FOU-WORDS` and
# `link add name DEV LINK-WORDS ... encap-dport PORT` on both sides.
# Like Linux, ufou allows one ipip link per (local, remote, key): each ufou
# tunnel gets its own pair of underlay addresses on the veth (IPv6 ones turn
# IPv6 on for the veth).
peer_ufou() {
	local name=$1 sub=$2 dev=$3 la=$4 lb=$5 port=$6 fou=() link=()
	shift 6
	while [ $# -gt 0 ] && [ "$1" != -- ]; do fou+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	fou=(fou add port "$port" "${fou[@]}")
	link=(link add name "$dev" "$@" encap-sport auto encap-dport "$port")
	# shellcheck disable=SC2086  # UFOUD_ARGS: words on purpose
	ufoud_up "${UFOUD_TAG:-main}" ${UFOUD_ARGS:-} || { PEER_WHY=$UFOUD_WHY; return 1; }
	case $la in
	"$UA") ;;
	*:*)	veth6 "$la" "$lb" >"$OUT/log/$name.cfg" 2>&1 ||
			{ PEER_WHY="IPv6 on the veth failed: $(head -c 80 "$OUT/log/$name.cfg")"; return 1; }
		wait_ping "$lb" || { PEER_WHY="no IPv6 ping over the veth ($la - $lb)"; return 1; } ;;
	*)	ip -n "$NSA" addr add "$la/24" dev va && ip -n "$NSB" addr add "$lb/24" dev vb ||
			{ PEER_WHY="could not add underlay addresses $la/$lb"; return 1; } ;;
	esac
	{
		nsa "$UFOU" -S "$SOCK_A" "${fou[@]}" &&
		nsb "$UFOU" -S "$SOCK_B" "${fou[@]}" &&
		nsa "$UFOU" -S "$SOCK_A" "${link[@]}" remote "$lb" local "$la" &&
		nsb "$UFOU" -S "$SOCK_B" "${link[@]}" remote "$la" local "$lb"
	} >>"$OUT/log/$name.cfg" 2>&1 ||
		{ PEER_WHY="ufou config failed: $(tail -n 1 "$OUT/log/$name.cfg" | head -c 80)"; return 1; }
	addrs "$dev" "$dev" "$sub" || { PEER_WHY="no $dev device after ufou link add"; return 1; }
	PEER_ADDR=$sub.2
	PEER_PIDS="$UFOUD_A $UFOUD_B"
}
# The TUN-path rows run in daemons of their own (-D tun), started before the
# fast-path ones: a daemon's start removes TC filters it finds in its
# namespace (what a killed one left), so the -D bpf daemons come last.
peer_ufou_fou() {
	UFOUD_TAG=tun UFOUD_ARGS="-D tun" peer_ufou ufou-fou "$1" uffou "$UA" "$UB" 5555 \
		ipproto 4 -- type ipip encap fou
}
peer_ufou_gue() {
	UFOUD_TAG=tun UFOUD_ARGS="-D tun" peer_ufou ufou-gue "$1" ufgue 198.18.0.3 198.18.0.4 \
		5556 gue -- type ipip encap gue
}
# The fou link with a valid outer UDP checksum (as Linux's encap-csum), which
# lets ufoud use UDP GSO/GRO.
peer_ufou_fou_csum() {
	UFOUD_TAG=tun UFOUD_ARGS="-D tun" peer_ufou ufou-fou-csum "$1" uffoucsum 198.18.0.5 198.18.0.6 5557 ipproto 4 -- \
		type ipip encap fou encap-csum
}
# IPv4 inside fou over an IPv6 underlay (ip6tnl mode ipip6; the outer UDP
# checksum is on by default, as with Linux's fou6).
peer_ufou_fou6() {
	UFOUD_TAG=tun UFOUD_ARGS="-D tun" peer_ufou ufou-fou6 "$1" uffou6 fd00:18::1 fd00:18::2 5558 ipproto 4 -6 -- \
		type ip6tnl mode ipip6 encap fou
}

# ufou-fou in daemons of their own that keep polling 50 us after traffic
# (ufoud -b 50): fewer wakeups per round trip, idle still blocked.
peer_ufou_fou_poll() {
	UFOUD_TAG=poll UFOUD_ARGS="-D tun -b 50" peer_ufou ufou-fou-poll "$1" uffoupoll \
		198.18.0.7 198.18.0.8 5559 ipproto 4 -- type ipip encap fou
}

# The eBPF fast path (ufoud -D bpf, daemons of their own): default link
# settings (zero outer checksum) over fou and gue, IPv6 outer with
# noencap-udp6-csum, and fou6 with Linux's default checksum (its transmit
# side takes the TUN path: the helpers cannot checksum GSO packets).
peer_ufou_bpf_fou() {
	UFOUD_TAG=bpf UFOUD_ARGS="-D bpf" peer_ufou ufou-bpf-fou "$1" ubfou 198.18.0.11 \
		198.18.0.12 5561 ipproto 4 -- type ipip encap fou
}
peer_ufou_bpf_gue() {
	UFOUD_TAG=bpf UFOUD_ARGS="-D bpf" peer_ufou ufou-bpf-gue "$1" ubgue 198.18.0.13 \
		198.18.0.14 5562 gue -- type ipip encap gue
}
peer_ufou_bpf_fou6() {
	UFOUD_TAG=bpf UFOUD_ARGS="-D bpf" peer_ufou ufou-bpf-fou6 "$1" ubfou6 fd00:18::11 \
		fd00:18::12 5563 ipproto 4 -6 -- type ip6tnl mode ipip6 encap fou noencap-udp6-csum
}
peer_ufou_bpf_fou6_csum() {
	UFOUD_TAG=bpf UFOUD_ARGS="-D bpf" peer_ufou ufou-bpf-fou6-csum "$1" ubfou6c fd00:18::13 \
		fd00:18::14 5564 ipproto 4 -6 -- type ip6tnl mode ipip6 encap fou
}

# OpenVPN point-to-point, no TLS, no static key: no crypto at all.
peer_openvpn() {
	local sub=$1 pa pb
	have openvpn || { PEER_WHY="openvpn not installed"; return 1; }
	local common=(--dev-type tun --proto udp --cipher none --auth none --disable-dco
		      --verb 3 --ping 0)
	bg "$OUT/log/openvpn-a.log" "$NSA" openvpn --dev ovpn0 --local "$UA" --lport 1194 \
		--remote "$UB" --rport 1194 --ifconfig "$sub.1" "$sub.2" "${common[@]}"
	pa=$BG_PID
	bg "$OUT/log/openvpn-b.log" "$NSB" openvpn --dev ovpn0 --local "$UB" --lport 1194 \
		--remote "$UA" --rport 1194 --ifconfig "$sub.2" "$sub.1" "${common[@]}"
	pb=$BG_PID
	PEER_PIDS="$pa $pb"
	PEER_ADDR=$sub.2
	wait_ping "$PEER_ADDR" && return 0
	PEER_WHY="openvpn: no ping ($(grep -m1 -iE 'error|fatal|options' "$OUT/log/openvpn-a.log" |
		cut -c1-80))"
	return 1
}

# wireguard-go (userspace WireGuard); the kernel module is absent here.
peer_wireguard_go() {
	local sub=$1 ka kb pa pb
	have wireguard-go || { PEER_WHY="wireguard-go not installed"; return 1; }
	have wg || { PEER_WHY="wg (wireguard-tools) not installed"; return 1; }
	ka=$(wg genkey) && kb=$(wg genkey) || { PEER_WHY="wg genkey failed"; return 1; }
	printf '%s\n' "$ka" >"$TMPD/wga.key"
	printf '%s\n' "$kb" >"$TMPD/wgb.key"
	# The UAPI socket (/var/run/wireguard/NAME.sock) is not per namespace:
	# interface names must be unique on the machine.
	bg "$OUT/log/wg-a.log" "$NSA" env WG_PROCESS_FOREGROUND=1 wireguard-go "$WGA"
	pa=$BG_PID
	bg "$OUT/log/wg-b.log" "$NSB" env WG_PROCESS_FOREGROUND=1 wireguard-go "$WGB"
	pb=$BG_PID
	PEER_PIDS="$pa $pb"
	local i
	for i in $(seq 50); do
		[ -S "/var/run/wireguard/$WGA.sock" ] && [ -S "/var/run/wireguard/$WGB.sock" ] && break
		sleep 0.1
	done
	{
		nsa wg set "$WGA" private-key "$TMPD/wga.key" listen-port 51820 \
			peer "$(wg pubkey <<<"$kb")" endpoint "$UB:51820" allowed-ips "$sub.0/24" &&
		nsb wg set "$WGB" private-key "$TMPD/wgb.key" listen-port 51820 \
			peer "$(wg pubkey <<<"$ka")" endpoint "$UA:51820" allowed-ips "$sub.0/24"
	} >"$OUT/log/wg.cfg" 2>&1 || { PEER_WHY="wg set failed: $(head -c 80 "$OUT/log/wg.cfg")"; return 1; }
	addrs "$WGA" "$WGB" "$sub" || { PEER_WHY="wireguard-go device missing"; return 1; }
	PEER_ADDR=$sub.2
	wait_ping "$PEER_ADDR" || { PEER_WHY="wireguard-go: no ping"; return 1; }
}

# fastd with the "null" method (handshake authenticated, data in clear).
peer_fastd() {
	local sub=$1 sa sb pa pb side
	have fastd || { PEER_WHY="fastd not installed"; return 1; }
	local ka kb
	ka=$(fastd --generate-key 2>/dev/null) && kb=$(fastd --generate-key 2>/dev/null) ||
		{ PEER_WHY="fastd --generate-key failed"; return 1; }
	sa=$(sed -n 's/^Secret: //p' <<<"$ka")
	sb=$(sed -n 's/^Secret: //p' <<<"$kb")
	for side in a b; do
		local me=$UA other=$UB sec=$sa opub
		opub=$(sed -n 's/^Public: //p' <<<"$kb")
		if [ $side = b ]; then
			me=$UB other=$UA sec=$sb
			opub=$(sed -n 's/^Public: //p' <<<"$ka")
		fi
		cat >"$TMPD/fastd-$side.conf" <<EOF
log level warn;
mode tun;
interface "fastd0";
method "null";
bind $me:10000;
secret "$sec";
mtu 1452;
peer "other" {
	key "$opub";
	remote $other:10000;
}
EOF
	done
	bg "$OUT/log/fastd-a.log" "$NSA" fastd --config "$TMPD/fastd-a.conf"
	pa=$BG_PID
	bg "$OUT/log/fastd-b.log" "$NSB" fastd --config "$TMPD/fastd-b.conf"
	pb=$BG_PID
	PEER_PIDS="$pa $pb"
	wait_devs fastd0
	addrs fastd0 fastd0 "$sub" || { PEER_WHY="fastd: no device ($(head -c 80 "$OUT/log/fastd-a.log"))"; return 1; }
	PEER_ADDR=$sub.2
	wait_ping "$PEER_ADDR" || { PEER_WHY="fastd: no ping"; return 1; }
}

# socat copying between a TUN device and a UDP socket: the simplest tunnel.
peer_socat() {
	local sub=$1 pa pb
	have socat || { PEER_WHY="socat not installed"; return 1; }
	bg "$OUT/log/socat-a.log" "$NSA" socat -b 65536 \
		"UDP-DATAGRAM:$UB:7000,bind=$UA:7000" \
		"TUN:$sub.1/24,tun-name=sotun0,tun-type=tun,iff-no-pi,iff-up"
	pa=$BG_PID
	bg "$OUT/log/socat-b.log" "$NSB" socat -b 65536 \
		"UDP-DATAGRAM:$UA:7000,bind=$UB:7000" \
		"TUN:$sub.2/24,tun-name=sotun0,tun-type=tun,iff-no-pi,iff-up"
	pb=$BG_PID
	PEER_PIDS="$pa $pb"
	wait_devs sotun0
	ip -n "$NSA" link set sotun0 mtu 1472 2>/dev/null
	ip -n "$NSB" link set sotun0 mtu 1472 2>/dev/null
	PEER_ADDR=$sub.2
	wait_ping "$PEER_ADDR" || { PEER_WHY="socat: no ping ($(head -c 80 "$OUT/log/socat-a.log"))"; return 1; }
}
