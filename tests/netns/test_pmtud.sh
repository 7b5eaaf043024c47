#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Path MTU learned from a router's report, as Linux's fou/gue tunnels learn
# it (the fou/gue error handler finds the tunnel by the quoted outer header
# and lowers the route's MTU for net.ipv4/6.route.mtu_expires):
#
#   HA eth0 198.18.0.1 fd00:18::1 --(1500)-- r0 R r1 --(1400, IPv6 1300)-- eth0 HB
#                                 198.18.0.254 fd00:18::fe     198.18.1.2
#                                 198.18.1.254 fd00:19::fe     fd00:19::2
#
#   pm4: ipip over FOU 5555, pg: gre over GUE 5557, pm6: ip6tnl over FOU 5556 (-6)
#
# HB's own link is 1500 (R's side of it is 1400, for IPv6 1300), so HB's
# tunnels keep MTU 1472 and its TCP advertises an MSS that only fits a
# 1500-byte path: HA's outer packets of full size stop at R, which answers
# "fragmentation needed, mtu 1400" / "packet too big, mtu 1300". Nothing
# else tells HA.
#
# 1. no report learned at first (`ufou -d link show` has no pmtu);
# 2. a full-size DF ping through pm4 draws R's report: pm4 learns 1400
#    (-d: "pmtu 1400 expires N sec", -j, -s pmtu_reports), the device MTU
#    stays 1472 (as Linux's), and the next DF ping gets "frag needed,
#    mtu 1372" from the tunnel;
# 3. the same over pg (the GUE header in the quote) and pm6 (IPv6: 1300
#    leaves 1244 for inner packets, so the tunnel says 1280, IPv6's minimum);
# 4. TCP HA -> HB over pm4 and pm6, sha256 verified: without the report
#    its full-size segments would vanish at R; pm6's 1280-byte segments
#    need 1336 outer bytes, so HA sends them in two outer IPv6 fragments
#    (RFC 2473 7.1, as Linux does), which HB reassembles;
# 5. forged reports are ignored and counted: another port, a bad ICMP
#    checksum, a GUE control header; not a report at all is not even read
#    (a socket filter); a matching one
#    below the floor takes net.ipv4.route.min_pmtu (552), as Linux does;
# 6. a report expires after net.ipv4.route.mtu_expires (set to 3 s in HA),
#    and the next full-size packet learns the path again.

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping socat sha256sum ss python3; do require_command "$c"; done

TMO=${UFOU_PMTUD_TIMEOUT:-30}
BYTES=${UFOU_PMTUD_BYTES:-2000000}

routed_hosts()
{
	setup_ns HA HB R || return 1
	ip link add name eth0 netns "$HA" type veth peer name r0 netns "$R" || return 1
	ip link add name eth0 netns "$HB" type veth peer name r1 netns "$R" mtu 1400 || return 1
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
		return 1
	ip -n "$R" addr add 198.18.0.254/24 dev r0
	ip -n "$R" addr add fd00:18::fe/64 dev r0 nodad
	ip -n "$R" addr add 198.18.1.254/24 dev r1
	ip -n "$R" addr add fd00:19::fe/64 dev r1 nodad
	ip -n "$HA" addr add 198.18.0.1/24 dev eth0
	ip -n "$HA" addr add fd00:18::1/64 dev eth0 nodad
	ip -n "$HB" addr add 198.18.1.2/24 dev eth0
	ip -n "$HB" addr add fd00:19::2/64 dev eth0 nodad
	for ns in "$HA" "$HB"; do ip -n "$ns" link set eth0 up; done
	ip -n "$R" link set r0 up && ip -n "$R" link set r1 up
	# IPv6 narrower than IPv4 on that link (set once it is up, or addrconf
	# takes the device's MTU again).
	ip netns exec "$R" sysctl -qw net.ipv6.conf.r1.mtu=1300 || return 1
	ip -n "$HA" route add 198.18.1.0/24 via 198.18.0.254
	ip -n "$HA" route add fd00:19::/64 via fd00:18::fe
	ip -n "$HB" route add 198.18.0.0/24 via 198.18.1.254
	ip -n "$HB" route add fd00:18::/64 via fd00:19::fe
	slowwait 5 in_ns "$HA" ping -c 1 -W 1 198.18.1.2 >/dev/null &&
		slowwait 5 in_ns "$HA" ping -6 -c 1 -W 1 fd00:19::2 >/dev/null
}

# link_pair NS ADDR NAME ARGS...: `link add name NAME ARGS...`, up, ADDR on it.
link_pair()
{
	local ns=$1 addr=$2 name=$3
	shift 3
	ufou_in "$ns" link add name "$name" "$@" || return 1
	busywait 3000 ip -n "$ns" link show dev "$name" >/dev/null || return 1
	ip -n "$ns" link set "$name" up && ip -n "$ns" addr add "$addr" dev "$name" nodad
}

make_tunnels()
{
	local side ns l4 r4 l6 r6
	for side in 1 2; do
		if [ "$side" = 1 ]; then
			ns=$HA l4=198.18.0.1 r4=198.18.1.2 l6=fd00:18::1 r6=fd00:19::2
		else
			ns=$HB l4=198.18.1.2 r4=198.18.0.1 l6=fd00:19::2 r6=fd00:18::1
		fi
		ufou_in "$ns" fou add port 5555 ipproto 4 || return 1
		ufou_in "$ns" fou add port 5557 gue || return 1
		ufou_in "$ns" fou add port 5556 ipproto 41 -6 || return 1
		link_pair "$ns" "198.19.4.$side/24" pm4 type ipip remote "$r4" local "$l4" \
			encap fou encap-sport auto encap-dport 5555 || return 1
		link_pair "$ns" "198.19.7.$side/24" pg type gre remote "$r4" local "$l4" \
			encap gue encap-sport auto encap-dport 5557 || return 1
		link_pair "$ns" "fd00:1:6::$side/64" pm6 type ip6tnl mode ip6ip6 remote "$r6" \
			local "$l6" encap fou encap-sport auto encap-dport 5556 || return 1
	done
	slowwait 5 ping_ok "$HA" 198.19.4.2 && slowwait 5 ping_ok "$HA" 198.19.7.2 &&
		slowwait 5 ping_ok "$HA" fd00:1:6::2
}

if ! { routed_hosts && start_ufoud "$HA" && start_ufoud "$HB" && make_tunnels; }; then
	RET=1; retmsg="setup failed (HA - R - HB, daemons, pm4/pg/pm6 with ping)"
	log_test "setup"; exit 1
fi

# pmtu NS LINK: the learned path MTU (empty when none).
pmtu()
{
	ufou_in "$1" -j link show "$2" 2>/dev/null | jq -r '.[0].pmtu // empty'
}

# df_ping ADDR SIZE: one DF ping from HA (its output).
df_ping()
{
	local fam=-4
	case $1 in *:*) fam=-6 ;; esac
	in_ns "$HA" ping "$fam" -M do -s "$2" -c 1 -w 1 "$1" 2>&1
}

# learn LINK ADDR SIZE [WANT]: full-size DF pings until LINK has a report
# (bounded); with WANT, checks it is that MTU.
_learned() { df_ping "$2" "$3" >/dev/null; [ -n "$(pmtu "$HA" "$1")" ]; }
learn()
{
	local v
	slowwait 10 _learned "$@"
	[ -n "${4:-}" ] || return 0
	v=$(pmtu "$HA" "$1")
	[ "$v" = "$4" ]
	check_err $? "$1 path MTU '$v' after R's report, expected $4"
}

# 1. nothing learned before any report
out=$(ufou_in "$HA" -d link show pm4 2>&1)
! grep -q "pmtu [0-9]" <<<"$out" && [ -z "$(pmtu "$HA" pm4)" ]
check_err $? "pm4 has a path MTU before any report: $out"
log_test "no path MTU before a router reports one"

# 2. pm4 learns R's 1400
learn pm4 198.19.4.2 1400 1400
out=$(ufou_in "$HA" -d link show pm4 2>&1)
grep -qE "pmtu 1400 expires [0-9]+sec" <<<"$out"
check_err $? "ufou -d link show pm4 does not say 'pmtu 1400 expires Nsec': $out"
e=$(ufou_in "$HA" -j link show pm4 | jq -r '.[0].pmtu_expires')
[ "$e" -gt 0 ] 2>/dev/null && [ "$e" -le 600 ]
check_err $? "pmtu_expires '$e', expected 1..600 (net.ipv4.route.mtu_expires)"
! ufou_in "$HA" link show pm4 | grep -q "pmtu [0-9]"
check_err $? "plain link show prints the learned pmtu (not a setting add accepts)"
n=$(link_counter "$HA" pm4 '.stats64.tx.pmtu_reports')
[ "$n" -ge 1 ] 2>/dev/null
check_err $? "pm4 pmtu_reports counter '$n', expected >= 1"
m=$(dev_mtu "$HA" pm4)
[ "$m" = 1472 ]
check_err $? "pm4 device MTU became '$m'; Linux keeps 1472"
log_test "ipip/fou learns R's frag-needed: pmtu 1400, device MTU kept"

out=$(df_ping 198.19.4.2 1400)
grep -qiE "message too long|frag needed" <<<"$out" && grep -qE "mtu ?[=:]? ?1372" <<<"$out"
check_err $? "DF ping of 1428 bytes after the report: expected frag needed with mtu 1372: $out"
in_ns "$HA" ping -4 -M "do" -s $((1372 - 28)) -c 2 -i 0.2 -w 3 -q 198.19.4.2 >/dev/null 2>&1
check_err $? "DF ping of exactly 1372 bytes through pm4 failed"
log_test "the tunnel answers frag-needed with mtu 1372; 1372 bytes pass"

# 3. gre/gue and ip6tnl/fou6
learn pg 198.19.7.2 1400 1400
out=$(df_ping 198.19.7.2 1400)
grep -qE "mtu ?[=:]? ?1364" <<<"$out"
check_err $? "DF ping through pg after the report: expected mtu 1364 (1400-20-8-4-4): $out"
log_test "gre/gue learns it too (GUE header in the quote): mtu 1364"

learn pm6 fd00:1:6::2 1380 1300  # 1428 bytes: fits pm6 (1444), not the path
out=$(df_ping fd00:1:6::2 1380)
grep -qiE "message too long|packet too big" <<<"$out" && grep -qE "mtu ?[=:]? ?1280" <<<"$out"
check_err $? "ping -6 through pm6 after the report: expected mtu 1280 (1300-40-8-8, at least 1280): $out"
log_test "ip6tnl/fou6 learns R's packet-too-big: 1300, so mtu 1280 for inner packets"

# 4. TCP through the narrow path. HA's stack forgets what the pings taught
#    it, so full-size segments meet the tunnel (and, on the fast path, the
#    map entry's MTU) first.
ip -n "$HA" route flush cache
ip -n "$HA" -6 route flush cache
tcp_transfer "$HA" "$HB" 198.19.4.2 "$BYTES" "$TMO"
check_err $? "TCP over pm4 through R: $XFER_MSG"
tcp_transfer "$HA" "$HB" fd00:1:6::2 "$BYTES" "$TMO"
check_err $? "TCP over pm6 through R: $XFER_MSG"
check_datapath pm4
if [ "${UFOU_DATAPATH:-}" = bpf ]; then
	# The map entry's MTU followed the report: the fast path hands the
	# segments over the learned path MTU to the TUN path, which answers.
	h=$(ufou_in "$HA" -s -s -j link show pm4 | jq -r '.[0].stats64.datapath.handover.tx.mtu // 0')
	[ "$h" -gt 0 ] 2>/dev/null
	check_err $? "pm4's fast path handed nothing over for its MTU ($h) after the report"
fi
f=$(link_counter "$HA" pm6 '.stats64.tx.fragmented')
[ "$f" -gt 0 ] 2>/dev/null
check_err $? "pm6 sent no outer IPv6 fragments ($f): its 1280-byte packets cannot pass whole"
log_test "TCP HA -> HB over pm4 and pm6 (outer IPv6 fragments) through R: sha256 ok"

# 5. forged reports. forge KIND sends one ICMP message from R to HA.
forge()
{
	in_ns "$R" python3 - "$1" <<'EOF'
import socket, struct, sys
def csum(b):
    b += b'\0' * (len(b) % 2)
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def quote(dport, after, sport=40000):
    udp = struct.pack('!HHHH', sport, dport, 1400, 0) + after
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 1428, 1, 0x4000, 64, 17, 0,
                     socket.inet_aton('198.18.0.1'), socket.inet_aton('198.18.1.2'))
    return ip[:10] + struct.pack('!H', csum(ip)) + ip[12:] + udp
def icmp(t, c, mtu, q, bad=False):
    m = struct.pack('!BBHHH', t, c, 0, 0, mtu) + q
    s = csum(m) ^ (1 if bad else 0)
    return m[:2] + struct.pack('!H', s) + m[4:]
inner = bytes([0x45, 0, 5, 0x78])
msgs = {
    'port':   icmp(3, 4, 600, quote(5599, inner)),
    'csum':   icmp(3, 4, 600, quote(5555, inner), bad=True),
    'gue':    icmp(3, 4, 600, quote(5557, bytes([0x20, 47, 0, 0]))),
    'unreach': icmp(3, 3, 0, quote(5555, inner)),
    'tiny':   icmp(3, 4, 200, quote(5555, inner)),
}
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(msgs[sys.argv[1]], ('198.18.0.1', 0))
EOF
}

# ptb_count RESULT: HA's daemon-wide count of reports with that result.
ptb_count()
{
	ufou_in "$HA" --prometheus 2>/dev/null |
		sed -n "s/^ufou_icmp_mtu_reports_total{result=\"$1\"} //p"
}

# ptb_total: every report the daemon read, whatever came of it.
ptb_total()
{
	ufou_in "$HA" --prometheus 2>/dev/null |
		awk '/^ufou_icmp_mtu_reports_total/ { n += $2 } END { print n + 0 }'
}

o0=$(ptb_count not-ours) c0=$(ptb_count bad-csum) t0=$(ptb_total)
# The port unreachable goes first: the kernel-side filter keeps it (and
# every report not about UDP) from the daemon, which reads the three after.
for k in unreach port csum gue; do
	forge "$k"
	check_err $? "sending the forged '$k' report from R failed"
done
busywait 3000 eval '[ "$(ptb_count not-ours)" -ge $((o0 + 2)) ]'
check_err $? "not-ours reports $o0 -> $(ptb_count not-ours), expected +2 (other port, GUE control)"
busywait 3000 eval '[ "$(ptb_count bad-csum)" -ge $((c0 + 1)) ]'
check_err $? "bad-csum reports $c0 -> $(ptb_count bad-csum), expected +1"
t1=$(ptb_total)
[ "$t1" -eq $((t0 + 3)) ]
check_err $? "reports read $t0 -> $t1, expected +3 (the port unreachable filtered in the kernel)"
[ "$(pmtu "$HA" pm4)" = 1400 ] && [ "$(pmtu "$HA" pg)" = 1400 ]
check_err $? "a forged report changed a path MTU: pm4 $(pmtu "$HA" pm4), pg $(pmtu "$HA" pg)"
log_test "forged reports (other port, bad checksum, GUE control) ignored, counted; others never read"

forge tiny
busywait 3000 eval '[ "$(pmtu "$HA" pm4)" = 552 ]'
check_err $? "a matching report of mtu 200: pm4 pmtu '$(pmtu "$HA" pm4)', expected 552 (min_pmtu)"
out=$(df_ping 198.19.4.2 600)
grep -qE "mtu ?[=:]? ?524" <<<"$out"
check_err $? "DF ping of 628 bytes over a 552 path: expected mtu 524: $out"
log_test "a report below the floor takes net.ipv4.route.min_pmtu (552), as Linux"

# 6. expiry: 3 s in HA's namespace (a per-namespace sysctl)
in_ns "$HA" sysctl -qw net.ipv4.route.mtu_expires=3
# The same MTU again refreshes the report, with the new lifetime (as a
# route exception's expiry is renewed).
forge tiny
busywait 3000 eval '[ "$(ufou_in "$HA" -j link show pm4 | jq -r ".[0].pmtu_expires")" -le 3 ]'
check_err $? "a refreshed report did not take mtu_expires 3"
slowwait 10 eval '[ -z "$(pmtu "$HA" pm4)" ]'
check_err $? "pm4's report did not expire after 3 s: pmtu '$(pmtu "$HA" pm4)'"
# HA's stack still holds the 524 the tunnel told it: forget that first.
ip -n "$HA" route flush cache
learn pm4 198.19.4.2 1400 1400  # after expiry, the next full-size packet
tcp_transfer "$HA" "$HB" 198.19.4.2 "$BYTES" "$TMO"
check_err $? "TCP over pm4 after the report expired and was learned again: $XFER_MSG"
log_test "a report expires after net.ipv4.route.mtu_expires; the path is learned again"

exit "$EXIT_STATUS"
