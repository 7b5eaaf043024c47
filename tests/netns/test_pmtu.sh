#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Path MTU through the tunnels:
#
#   HA pm4 198.19.4.1/24  (ipip over FOU, port 5555)   HB pm4 198.19.4.2/24
#   HA pm6 fd00:1:6::1/64 (ip6tnl ip6ip6 over FOU, -6 5556) HB pm6 fd00:1:6::2
#   HA eth0 198.18.0.1 fd00:18::1  ===== veth (1500, later 1400) =====  HB eth0
#
# 1. default MTUs as Linux computes them (ipip/fou 1472 on a 1500 underlay);
# 2. an oversized DF ping (-M do -s 1600) is refused with "message too long"
#    / "Frag needed" (IPv4) and "Packet too big" / "message too long" (IPv6);
# 2b. a link configured bigger than the path (mtu 1500): the daemon answers
#    frag-needed by itself;
# 3. the underlay MTU drops to 1400 on both veth ends while the tunnels stay
#    at their MTU: a DF packet that fits the tunnel but not the path makes
#    the daemon answer with ICMP frag-needed / packet-too-big, the route
#    cache learns the smaller MTU, and a 5 MB TCP transfer (sha256 verified)
#    still completes over both tunnels;
# 4. a link created after the change takes its MTU from the new underlay;
# 5. the tunnel deleted and created again: MTU 1372, TCP works.

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping socat sha256sum ss; do require_command "$c"; done

BYTES=${UFOU_PMTU_BYTES:-5000000}
TMO=${UFOU_PMTU_TIMEOUT:-30}

_gone()
{
	! ip -n "$1" link show dev "$2" >/dev/null 2>&1
}

# pm_link_add NS ADDR MSG NAME ARGS...: `link add name NAME ARGS...` in NS
# (checked; MSG on failure), then waits for NAME, brings it up and gives it ADDR.
pm_link_add()
{
	local ns=$1 addr=$2 msg=$3 name=$4
	shift 4
	run_cmd ufou_in "$ns" link add name "$name" "$@"
	check_err $? "$msg: $CMD_OUT"
	busywait 3000 ip -n "$ns" link show dev "$name" >/dev/null
	ip -n "$ns" link set "$name" up
	ip -n "$ns" addr add "$addr" dev "$name"
}

make_tunnels()
{
	local side ns
	for side in 1 2; do
		[ "$side" = 1 ] && ns=$HA || ns=$HB
		ufou_in "$ns" fou add port 5555 ipproto 4 || return 1
		ufou_in "$ns" fou add port 5556 ipproto 41 -6 || return 1
		ufou_in "$ns" link add name pm4 type ipip remote 198.18.0.$((3 - side)) \
			local 198.18.0.$side encap fou encap-sport auto encap-dport 5555 || return 1
		ufou_in "$ns" link add name pm6 type ip6tnl mode ip6ip6 \
			remote fd00:18::$((3 - side)) local fd00:18::$side \
			encap fou encap-sport auto encap-dport 5556 || return 1
		busywait 3000 ip -n "$ns" link show dev pm4 >/dev/null || return 1
		busywait 3000 ip -n "$ns" link show dev pm6 >/dev/null || return 1
		ip -n "$ns" link set pm4 up && ip -n "$ns" link set pm6 up || return 1
		ip -n "$ns" addr add 198.19.4.$side/24 dev pm4 || return 1
		ip -n "$ns" addr add fd00:1:6::$side/64 dev pm6 nodad || return 1
	done
	slowwait 5 ping_ok "$HA" 198.19.4.2 && slowwait 5 ping_ok "$HA" fd00:1:6::2
}

if ! { setup_two_hosts && start_ufoud "$HA" && start_ufoud "$HB" && make_tunnels; }; then
	RET=1; retmsg="setup failed (two hosts, daemons, pm4/pm6 tunnels with ping)"
	log_test "setup"; exit 1
fi

# 1. default MTUs: ipip + IPv4 + UDP = 1500 - 28; ip6ip6 over IPv6 + UDP with
#    the default encapsulation limit option = 1500 - 40 - 8 - 8.
m=$(dev_mtu "$HA" pm4)
[ "$m" = 1472 ]
check_err $? "pm4 (ipip/fou) MTU is '$m', expected 1472"
v=$(ufou_in "$HA" -j link show pm4 2>/dev/null | jq -r '.[0].mtu // empty')
[ "$v" = 1472 ]
check_err $? "ufou -j link show pm4 reports mtu '$v', expected 1472"
log_test "ipip/fou default MTU 1472 on a 1500 underlay"

m=$(dev_mtu "$HA" pm6)
[ "$m" = 1444 ]
check_err $? "pm6 (ip6tnl ip6ip6/fou) MTU is '$m', expected 1444 (1500-40-8-8)"
log_test "ip6tnl ip6ip6/fou default MTU 1444"

# 2. oversized DF ping: refused locally by the tunnel MTU.
out=$(in_ns "$HA" ping -4 -M "do" -s 1600 -c 1 -w 2 198.19.4.2 2>&1)
rc=$?
check_fail $rc "ping -M do -s 1600 through a 1472 tunnel succeeded"
grep -qiE "message too long|frag needed" <<<"$out"
check_err $? "no 'message too long'/'Frag needed' from ping: $out"
grep -qE "mtu ?[=:]? ?1472" <<<"$out"
check_err $? "ping does not report mtu 1472: $out"
log_test "IPv4 DF ping over the tunnel MTU: message too long (mtu 1472)"

out=$(in_ns "$HA" ping -6 -M "do" -s 1600 -c 1 -w 2 fd00:1:6::2 2>&1)
rc=$?
check_fail $rc "ping -6 -M do -s 1600 through a 1444 tunnel succeeded"
grep -qiE "message too long|packet too big" <<<"$out"
check_err $? "no 'message too long'/'Packet too big' from ping -6: $out"
log_test "IPv6 ping over the tunnel MTU: message too long"

# A full-size DF packet still goes through (1472 bytes IPv4, 1444 IPv6).
in_ns "$HA" ping -4 -M "do" -s $((1472 - 28)) -c 2 -i 0.2 -w 3 -q 198.19.4.2 >/dev/null 2>&1
check_err $? "ping -M do -s 1444 (1472 bytes) through pm4 failed"
in_ns "$HA" ping -6 -M "do" -s $((1444 - 48)) -c 2 -i 0.2 -w 3 -q fd00:1:6::2 >/dev/null 2>&1
check_err $? "ping -6 -M do -s 1396 (1444 bytes) through pm6 failed"
log_test "DF pings of exactly the tunnel MTU pass"

# 2b. a gre/fou link configured with mtu 1500 on a 1500 underlay: a full
#     1500-byte DF packet fits the device but not the path, so the daemon
#     itself must answer frag-needed with mtu 1468 (1500-20-8-4);
# 2c. ... and answers every one of a burst, unlimited like Linux's.
for side in 1 2; do
	[ "$side" = 1 ] && ns=$HA || ns=$HB
	run_cmd ufou_in "$ns" fou add port 5558 ipproto 47
	check_err $? "fou add port 5558 ipproto 47: $CMD_OUT"
	pm_link_add "$ns" 198.19.5.$side/24 "link add pmg ... mtu 1500" \
		pmg type gre remote 198.18.0.$((3 - side)) \
		local 198.18.0.$side mtu 1500 encap fou encap-sport auto encap-dport 5558
done
m=$(dev_mtu "$HA" pmg)
[ "$m" = 1500 ]
check_err $? "pmg MTU is '$m', expected the configured 1500"
out=$(in_ns "$HA" ping -4 -M "do" -s 1472 -c 3 -i 0.3 -w 4 198.19.5.2 2>&1)
check_fail $? "1500-byte DF ping crossed a 1500 underlay inside gre/fou"
grep -qiE "frag needed|message too long" <<<"$out"
check_err $? "no frag-needed from the daemon: $out"
r=$(in_ns "$HA" ip route get 198.19.5.2 2>&1)
grep -q "mtu 1468" <<<"$r"
check_err $? "route did not learn mtu 1468: $r / ping: $out"
slowwait 5 ping_ok "$HA" 198.19.5.2
check_err $? "small pings through pmg fail"
log_test "gre/fou with mtu 1500: daemon answers frag-needed (mtu 1468)"

# 2c. Not rate-limited, as Linux's are not (icmp_ratelimit exempts path-MTU
#     errors): 50 UDP datagrams with DF too big for the path, sent 10 ms
#     apart while ignoring the learned MTU (IP_PMTUDISC_PROBE), get 50
#     frag-needed back.
i0=$(link_counter "$HA" pmg '.stats64.tx.icmp_sent')
pout=$(in_ns "$HA" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 3)      # IP_MTU_DISCOVER = IP_PMTUDISC_PROBE
sent = 0
for i in range(50):
    try:
        s.sendto(b"x" * 1472, ("198.19.5.2", 9))
        sent += 1
    except OSError as e:
        print("send:", e)
    time.sleep(0.01)
print("sent", sent)' 2>&1)
busywait 3000 eval '[ $(($(link_counter "$HA" pmg ".stats64.tx.icmp_sent") - i0)) -ge 50 ]'
i1=$(link_counter "$HA" pmg '.stats64.tx.icmp_sent')
[ $((i1 - i0)) -eq 50 ] 2>/dev/null
check_err $? "50 oversized DF datagrams got $((i1 - i0)) frag-needed back ($i0 -> $i1): $(tr '\n' ' ' <<<"$pout")"
log_test "frag-needed is not rate-limited (as Linux): 50 in 0.5 s, 50 answers"
for ns in "$HA" "$HB"; do ufou_in "$ns" link del pmg >/dev/null 2>&1; done

# 2c. nopmtudisc on a link whose MTU is larger than the path allows: an
#     inner packet without DF is sent anyway, its outer IPv4 packet split
#     into fragments (as Linux does); the far end's kernel reassembles them
#     before they reach the daemon's UDP socket.
for ns in "$HA" "$HB"; do
	run_cmd ufou_in "$ns" link set pm4 nopmtudisc mtu 1500
	check_err $? "link set pm4 nopmtudisc mtu 1500: $CMD_OUT"
done
f0=$(link_counter "$HA" pm4 '.stats64.tx.fragmented')
in_ns "$HA" ping -4 -M dont -s 1472 -c 3 -i 0.2 -w 5 -q 198.19.4.2 >/dev/null 2>&1
check_err $? "1500-byte pings without DF through pm4 (nopmtudisc) failed"
f1=$(link_counter "$HA" pm4 '.stats64.tx.fragmented')
[ "${f1:-0}" -ge $((${f0:-0} + 3)) ]
check_err $? "fragmented counter went from '$f0' to '$f1', expected at least +3"
log_test "nopmtudisc: outer IPv4 fragmented, 1500-byte pings without DF pass"
for ns in "$HA" "$HB"; do
	run_cmd ufou_in "$ns" link set pm4 pmtudisc mtu 1472
	check_err $? "link set pm4 pmtudisc mtu 1472: $CMD_OUT"
done
slowwait 5 ping_ok "$HA" 198.19.4.2
check_err $? "pm4 does not carry pings after pmtudisc is restored"
log_test "pmtudisc restored with link set, pm4 still works"

# 3. the path shrinks under the tunnel.
set_underlay_mtu 1400
check_err $? "cannot set veth MTU 1400"
log_test "underlay MTU lowered to 1400"

# IPv4: a 1472-byte DF packet fits pm4 but needs 1500 bytes on the wire.
out=$(in_ns "$HA" ping -4 -M "do" -s $((1472 - 28)) -c 3 -i 0.3 -w 4 198.19.4.2 2>&1)
rc=$?
check_fail $rc "1472-byte DF ping crossed a 1400 path"
grep -qiE "frag needed|message too long" <<<"$out"
check_err $? "no frag-needed after the underlay shrank: $out"
r=$(in_ns "$HA" ip route get 198.19.4.2 2>&1)
grep -qE "mtu 13[0-9]{2}" <<<"$r"
check_err $? "route cache did not learn the path MTU (expected mtu 1372): $r / ping: $out"
[ "$RET" -ne 0 ] && retmsg+=$'\n'"HA: $(ufou_in "$HA" -s link show pm4 2>&1 | tr '\n' ' ')"
log_test "IPv4: daemon answers frag-needed, route learns mtu 1372"

out=$(in_ns "$HA" ping -6 -M "do" -s $((1444 - 48)) -c 3 -i 0.3 -w 4 fd00:1:6::2 2>&1)
rc=$?
check_fail $rc "1444-byte IPv6 ping crossed a 1400 path"
grep -qiE "packet too big|message too long" <<<"$out"
check_err $? "no packet-too-big after the underlay shrank: $out"
r=$(in_ns "$HA" ip -6 route get fd00:1:6::2 2>&1)
grep -qE "mtu 13[0-9]{2}" <<<"$r"
check_err $? "IPv6 route cache did not learn the path MTU (expected mtu 1344): $r / ping: $out"
[ "$RET" -ne 0 ] && retmsg+=$'\n'"HA: $(ufou_in "$HA" -s link show pm6 2>&1 | tr '\n' ' ')"
log_test "IPv6: daemon answers packet-too-big, route learns the smaller mtu"

# Small packets still pass.
ping_ok "$HA" 198.19.4.2 && ping_ok "$HA" fd00:1:6::2
check_err $? "small pings through the tunnels fail after the MTU change"
log_test "small packets still pass after the underlay shrank"

tcp_transfer "$HA" "$HB" 198.19.4.2 "$BYTES" "$TMO"
check_err $? "$XFER_MSG"
log_test "IPv4 inner TCP $BYTES bytes over 1400 underlay (sha256 verified)"

tcp_transfer "$HB" "$HA" 198.19.4.1 "$BYTES" "$TMO"
check_err $? "$XFER_MSG"
log_test "IPv4 inner TCP $BYTES bytes HB -> HA over 1400 underlay"

tcp_transfer "$HA" "$HB" fd00:1:6::2 "$BYTES" "$TMO"
check_err $? "$XFER_MSG"
log_test "IPv6 inner TCP $BYTES bytes over 1400 underlay (sha256 verified)"

# 4. a link created now computes its MTU from the 1400 underlay (sit, since
#    an ipip link with pm4's endpoints would be a duplicate).
run_cmd ufou_in "$HA" link add name pm4b type sit remote 198.18.0.2 local 198.18.0.1 \
	encap gue encap-sport auto encap-dport 5557
check_err $? "link add pm4b: $CMD_OUT"
busywait 3000 ip -n "$HA" link show dev pm4b >/dev/null
m=$(dev_mtu "$HA" pm4b)
[ "$m" = 1368 ]
check_err $? "new sit/gue link on a 1400 underlay has MTU '$m', expected 1368 (1400-20-8-4)"
log_test "new link MTU follows the underlay (sit/gue 1368)"
ufou_in "$HA" link del pm4b >/dev/null 2>&1

# 5. the tunnel recreated on the shrunken underlay: MTU 1372 from the start,
#    and TCP works without any PMTU discovery.
for side in 1 2; do
	[ "$side" = 1 ] && ns=$HA || ns=$HB
	run_cmd ufou_in "$ns" link del pm4
	check_err $? "link del pm4: $CMD_OUT"
	busywait 3000 _gone "$ns" pm4
	pm_link_add "$ns" 198.19.4.$side/24 "link add pm4 again" \
		pm4 type ipip remote 198.18.0.$((3 - side)) \
		local 198.18.0.$side encap fou encap-sport auto encap-dport 5555
done
m=$(dev_mtu "$HA" pm4)
[ "$m" = 1372 ]
check_err $? "recreated pm4 has MTU '$m', expected 1372 (1400-28)"
if [ "$RET" -eq 0 ]; then
	slowwait 5 ping_ok "$HA" 198.19.4.2
	check_err $? "no ping through the recreated pm4"
fi
if [ "$RET" -eq 0 ]; then
	tcp_transfer "$HA" "$HB" 198.19.4.2 "$BYTES" "$TMO"
	check_err $? "$XFER_MSG"
fi
log_test "recreated ipip/fou tunnel on a 1400 underlay: MTU 1372, TCP $BYTES bytes"

exit $EXIT_STATUS
