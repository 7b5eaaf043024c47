#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every link type x encapsulation x outer UDP checksum, between two hosts:
#
#   HA                                         HB
#   tN 198.19.N.1/24 fd00:1:N::1/64            tN 198.19.N.2/24 fd00:1:N::2/64
#    |  (ufoud TUN/TAP)                         |  (ufoud TUN/TAP)
#   eth0 198.18.0.1/24 fd00:18::1/64 ====== eth0 198.18.0.2/24 fd00:18::2/64
#
# Both daemons keep one receive port per (outer family, inner protocol):
#   IPv4 outer: 5504 ipproto 4, 5541 ipproto 41, 5547 ipproto 47, 5560 gue
#   IPv6 outer: 6604 ipproto 4, 6641 ipproto 41, 6647 ipproto 47, 6660 gue (-6)
# Each combination adds link tN on both hosts, pings through it both ways
# (IPv4 and/or IPv6 inside, as the type carries), sends 20 MB (2 MB under
# the sanitizers) over TCP per inner family with the bytes verified by
# sha256 at the far end, checks
# that the link counters moved, and deletes the link. The pings and a short
# TCP transfer are captured
# on HB's eth0 and their outer-header shapes (wire_sig.py) kept per data path
# in the run's log directory: the fast-path run (tests/run.sh runs this file
# on the TUN path first) requires each combination's shapes to be the TUN
# path's. Test names can be given as
# arguments to run only matching combinations (substring match).

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping python3 tcpdump; do require_command "$c"; done

FILTER=("$@")
# One line per combination: "NAME<TAB>shape | shape ...".
WIRE_MINE=$LOGD/wire-test_tunnels.${UFOU_DATAPATH:-default}
WIRE_TUN=$LOGD/wire-test_tunnels.tun
rm -f "$WIRE_MINE"

# type name | ufou type words | outer family | inner families | fou ipproto
TYPES=(
	"ipip|ipip|4|4|4"
	"sit|sit|4|6|41"
	"gre|gre|4|46|47"
	"gre-key|gre key 42|4|46|47"
	"gre-csum|gre csum|4|46|47"
	"gre-seq|gre seq|4|46|47"
	"gre-key-csum-seq|gre key 7 csum seq|4|46|47"
	"gretap|gretap|4|46|47"
	"ip6tnl-ipip6|ip6tnl mode ipip6|6|4|4"
	"ip6tnl-ip6ip6|ip6tnl mode ip6ip6|6|6|41"
	"ip6gre|ip6gre|6|46|47"
	"ip6gretap|ip6gretap|6|46|47"
)
ENCAPS=(fou gue gue-remcsum)

fou_port()   # fou_port FAMILY IPPROTO
{
	local base=5500
	[ "$1" = 6 ] && base=6600
	case $2 in
	4) echo $((base + 4)) ;;
	41) echo $((base + 41)) ;;
	47) echo $((base + 47)) ;;
	gue) echo $((base + 60)) ;;
	esac
}

setup()
{
	local ns fam p
	setup_two_hosts || return 1
	start_ufoud "$HA" || return 1
	start_ufoud "$HB" || return 1
	for ns in "$HA" "$HB"; do
		for fam in 4 6; do
			local six=()
			[ "$fam" = 6 ] && six=(-6)
			for p in 4 41 47; do
				ufou_in "$ns" fou add port "$(fou_port "$fam" "$p")" ipproto "$p" \
					"${six[@]}" || return 1
			done
			ufou_in "$ns" fou add port "$(fou_port "$fam" gue)" gue "${six[@]}" ||
				return 1
		done
	done
}

selected()
{
	local f
	[ ${#FILTER[@]} -eq 0 ] && return 0
	for f in "${FILTER[@]}"; do
		[[ $1 == *"$f"* ]] && return 0
	done
	return 1
}

# add_links N TYPEWORDS FAMILY ENCAP CSUM INNER: link tN on both hosts with
# addresses. Fails with a message in $ERRMSG.
add_links()
{
	local n=$1 typewords=$2 fam=$3 encap=$4 csum=$5 inner=$6 proto=$7
	local name=t$n dport encw=() csw=() side ns lcl rmt out
	read -r -a tw <<<"$typewords"

	case $encap in
	fou) dport=$(fou_port "$fam" "$proto"); encw=(encap fou) ;;
	gue) dport=$(fou_port "$fam" gue); encw=(encap gue) ;;
	gue-remcsum) dport=$(fou_port "$fam" gue); encw=(encap gue encap-remcsum) ;;
	esac
	if [ "$fam" = 4 ]; then
		[ "$csum" = on ] && csw=(encap-csum) || csw=(noencap-csum)
	else
		[ "$csum" = on ] && csw=(encap-udp6-csum) || csw=(noencap-udp6-csum)
	fi
	for side in 1 2; do
		if [ "$side" = 1 ]; then
			ns=$HA
		else
			ns=$HB
		fi
		if [ "$fam" = 4 ]; then
			lcl=198.18.0.$side rmt=198.18.0.$((3 - side))
		else
			lcl=fd00:18::$side rmt=fd00:18::$((3 - side))
		fi
		if ! out=$(ufou_in "$ns" link add name "$name" type "${tw[@]}" \
				remote "$rmt" local "$lcl" "${encw[@]}" encap-sport auto \
				encap-dport "$dport" "${csw[@]}" 2>&1); then
			ERRMSG="ufou link add name $name type $typewords remote $rmt local $lcl ${encw[*]} encap-sport auto encap-dport $dport ${csw[*]}: $out"
			return 1
		fi
		if ! busywait 3000 ip -n "$ns" link show dev "$name" >/dev/null; then
			ERRMSG="device $name did not appear in $ns"
			return 1
		fi
		ip -n "$ns" link set dev "$name" up
		[[ $inner == *4* ]] && ip -n "$ns" addr add "198.19.$n.$side/24" dev "$name"
		[[ $inner == *6* ]] && ip -n "$ns" addr add "fd00:1:$n::$side/64" dev "$name" nodad
	done
	return 0
}

del_links()
{
	ufou_in "$HA" link del "t$1" >/dev/null 2>&1
	ufou_in "$HB" link del "t$1" >/dev/null 2>&1
	busywait 3000 _link_gone "$HA" "t$1"
	busywait 3000 _link_gone "$HB" "t$1"
}

link_dport() # link_dport FAMILY ENCAP IPPROTO
{
	case $2 in
	fou) fou_port "$1" "$3" ;;
	*) fou_port "$1" gue ;;
	esac
}

_link_gone()
{
	! ip -n "$1" link show dev "$2" >/dev/null 2>&1
}

# A verified TCP transfer through tunnel t$1 for each inner family it
# carries; odd combinations send HA -> HB, even ones HB -> HA, so every
# link type is exercised in both directions over the matrix.
# Under the sanitizers (SANITIZED=1) 2 MB: the same code paths (super-packets,
# coalescing) at a tenth of the time, where the time is the sanitizers'.
XFER_BYTES=20000000
[ "${SANITIZED:-0}" = 1 ] && XFER_BYTES=2000000
XFER_BYTES=${UFOU_TUNNEL_BYTES:-$XFER_BYTES}
combo_tcp()
{
	local n=$1 inner=$2 src=$HA dst=$HB d=2 fam addr

	if [ $((n % 2)) -eq 0 ]; then
		src=$HB dst=$HA d=1
	fi
	for fam in 4 6; do
		[[ $inner == *$fam* ]] || continue
		[ "$fam" = 4 ] && addr=198.19.$n.$d || addr=fd00:1:$n::$d
		tcp_transfer "$src" "$dst" "$addr" "$XFER_BYTES" 60
		check_err $? "TCP $XFER_BYTES bytes to $addr through t$n: $XFER_MSG"
	done
}

# wire_check NAME SHAPES: file this combination's shapes; on the fast path,
# they must be those the TUN path's run filed for it.
wire_check()
{
	local name=$1 shapes=$2 tun
	[ -n "$shapes" ]
	check_err $? "no FOU/GUE datagrams with pings captured on HB's eth0"
	printf '%s\t%s\n' "$name" "$shapes" >>"$WIRE_MINE"
	[ "${UFOU_DATAPATH:-}" = bpf ] || return 0
	if [ ! -f "$WIRE_TUN" ]; then
		# tests/run.sh always runs the TUN path first: there it is a failure.
		if [ -n "${UFOU_TEST_LOGDIR:-}" ]; then
			check_err 1 "no TUN-path shapes in $WIRE_TUN to compare the wire with"
		else
			echo "# $name: run alone, no TUN-path run to compare the wire with"
		fi
		return 0
	fi
	tun=$(awk -F '\t' -v n="$name" '$1 == n { print $2 }' "$WIRE_TUN")
	[ -n "$tun" ] && [ "$tun" = "$shapes" ]
	check_err $? "outer headers differ from the TUN path's: TUN [${tun:-none filed}] fast [$shapes]"
}

run_combo()
{
	local n=$1 tname=$2 typewords=$3 fam=$4 inner=$5 proto=$6 encap=$7 csum=$8
	local name="$tname/$encap/csum-$csum" v ifam kind=fou cap=$TMPD/combo.pcap

	[ "$proto" = 47 ] && kind=fougre
	[ "$encap" = fou ] || kind=gue
	add_links "$n" "$typewords" "$fam" "$encap" "$csum" "$inner" "$proto"
	check_err $? "$ERRMSG"
	if [ "$RET" -eq 0 ]; then
		capture_start "$HB" "$cap"
		check_err $? "tcpdump did not start in HB"
		if [[ $inner == *4* ]]; then
			ping_ok "$HA" "198.19.$n.2"
			check_err $? "IPv4 ping HA -> HB (198.19.$n.2) through t$n failed"
			ping_ok "$HB" "198.19.$n.1"
			check_err $? "IPv4 ping HB -> HA (198.19.$n.1) through t$n failed"
		fi
		if [[ $inner == *6* ]]; then
			ping_ok "$HA" "fd00:1:$n::2"
			check_err $? "IPv6 ping HA -> HB (fd00:1:$n::2) through t$n failed"
			ping_ok "$HB" "fd00:1:$n::1"
			check_err $? "IPv6 ping HB -> HA (fd00:1:$n::1) through t$n failed"
		fi
		# TCP too: only its checksums are partial, which remcsum needs.
		for ifam in 4 6; do
			[[ $inner == *$ifam* ]] || continue
			[ "$ifam" = 4 ] && v=198.19.$n.2 || v=fd00:1:$n::2
			tcp_transfer "$HA" "$HB" "$v" 200000 20 >/dev/null
			check_err $? "TCP 200000 bytes to $v through t$n (captured): $XFER_MSG"
		done
		capture_stop
		wire_check "$name" "$(python3 "$WIRE_SIG" "$cap" "$(link_dport "$fam" "$encap" "$proto"):$kind" |
			paste -sd '|' | sed 's/|/ | /g')"
		[ "$RET" -eq 0 ] || cp "$cap" "$LOGD/wire-test_tunnels.${UFOU_DATAPATH:-default}.t$n.pcap"
		combo_tcp "$n" "$inner"
		for ns in "$HA" "$HB"; do
			for dir in rx tx; do
				v=$(link_counter "$ns" "t$n" ".stats64.$dir.packets")
				[ "${v:-0}" -gt 0 ] 2>/dev/null
				check_err $? "$dir packets of t$n in $ns is '${v}' (ufou -s -j link show)"
			done
		done
		check_datapath "t$n"
	fi
	if [ "$RET" -ne 0 ]; then
		retmsg+=$'\n'"HA: $(ufou_in "$HA" -s link show "t$n" 2>&1 | tr '\n' ' ')"
		retmsg+=$'\n'"HB: $(ufou_in "$HB" -s link show "t$n" 2>&1 | tr '\n' ' ')"
	fi
	del_links "$n"
	check_err $? "link t$n still present after ufou link del"
	log_test "$name"
}

if ! setup; then
	RET=1
	retmsg="setup failed (two hosts, ufoud, fou ports)"
	log_test "setup"
	exit 1
fi

# The ports are all there.
RET=0
out=$(ufou_in "$HA" fou show 2>&1)
for p in 5504 5541 5547 5560 6604 6641 6647 6660; do
	grep -qw "port $p" <<<"$out"
	check_err $? "port $p missing from ufou fou show: $out"
done
log_test "fou show lists 8 ports"

n=0
for t in "${TYPES[@]}"; do
	IFS='|' read -r tname typewords fam inner proto <<<"$t"
	for encap in "${ENCAPS[@]}"; do
		for csum in off on; do
			n=$((n + 1))
			selected "$tname/$encap/csum-$csum" || continue
			run_combo "$n" "$tname" "$typewords" "$fam" "$inner" "$proto" "$encap" "$csum"
		done
	done
done

# Both daemons survived the whole matrix and have no links left.
ufoud_alive "$HA" && ufoud_alive "$HB"
check_err $? "a daemon died"
out=$(ufou_in "$HA" link show 2>&1)
[ -z "$(grep -E '^[0-9]*:? *t[0-9]+' <<<"$out")" ]
check_err $? "links left behind: $out"
log_test "daemons alive, no links left"

exit $EXIT_STATUS
