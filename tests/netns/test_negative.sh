#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What must not work, and must not break anything:
#
#   HA eth0 198.18.0.1 (+198.18.0.3) fd00:18::1 ===== HB eth0 198.18.0.2 fd00:18::2
#
#  - a link whose remote is wrong drops and counts no-tunnel; link set
#    fixes it, and renames it (as ip link set ... name; so does ip(8));
#  - a port restricted to `peer ADDR peer_port P` drops datagrams from any
#    other source port or address (port-filter);
#  - garbage datagrams (random, empty, GUE control, GUE bad flags) only move
#    drop counters: the tunnel still works and the daemon lives;
#  - CLI misuse is refused with a message and leaves `ufou fou show` and
#    `ufou link show` exactly as they were;
#  - ufoud -n checks a config file (FILE:LINE on error), ufoud -c applies one;
#  - a malformed or oversized control request gets an error and the daemon
#    keeps serving; SIGTERM removes the TUN devices.

# shellcheck disable=SC2034
source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping python3; do require_command "$c"; done

total_drops()   # total_drops NS PORT: all drop counters of a port
{
	port_drops_total "$@"
}

if ! { setup_two_hosts && start_ufoud "$HA" && start_ufoud "$HB"; }; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi

# ---------------------------------------------------------------- wrong remote
# HA: w0 to HB. HB: w0 with remote 198.18.0.9 (nobody): HA's packets match
# no tunnel on HB.
for side in 1 2; do
	[ "$side" = 1 ] && ns=$HA || ns=$HB
	run_cmd ufou_in "$ns" fou add port 5555 ipproto 4
	check_err $? "fou add port 5555 ipproto 4 in host $side: $CMD_OUT"
done
run_cmd ufou_in "$HA" link add name w0 type ipip remote 198.18.0.2 local 198.18.0.1 \
	encap fou encap-sport auto encap-dport 5555
check_err $? "link add w0 on HA: $CMD_OUT"
run_cmd ufou_in "$HB" link add name w0 type ipip remote 198.18.0.9 local 198.18.0.2 \
	encap fou encap-sport auto encap-dport 5555
check_err $? "link add w0 on HB: $CMD_OUT"
for ns in "$HA" "$HB"; do
	busywait 3000 ip -n "$ns" link show dev w0 >/dev/null
	ip -n "$ns" link set w0 up
done
ip -n "$HA" addr add 198.19.0.1/24 dev w0
ip -n "$HB" addr add 198.19.0.2/24 dev w0
before=$(port_drop "$HB" 5555 no-tunnel)
ping_fails "$HA" 198.19.0.2
check_err $? "ping through a tunnel with the wrong remote succeeded"
after=$(port_drop "$HB" 5555 no-tunnel)
[ "${after:-0}" -gt "${before:-0}" ] 2>/dev/null
check_err $? "HB port 5555 no-tunnel drops did not grow ($before -> $after): $(ufou_in "$HB" -s -j fou show 2>&1 | head -c 600)"
rx=$(link_counter "$HB" w0 .stats64.rx.packets)
[ "${rx:-0}" = 0 ]
check_err $? "HB w0 counted $rx rx packets from a peer it does not have"
log_test "wrong remote: dropped, counted no-tunnel"

# Fixing the remote with link set makes it work (read-modify-write).
run_cmd ufou_in "$HB" link set w0 remote 198.18.0.1
check_err $? "link set w0 remote 198.18.0.1: $CMD_OUT"
slowwait 5 ping_ok "$HA" 198.19.0.2
check_err $? "ping after fixing the remote with link set failed"
log_test "link set remote fixes the tunnel"

# ---------------------------------------------------------------- rename
# link set NAME name NEW renames the device, like ip link set ... name. A
# refused rename leaves the MTU change given with it undone. Kernels
# before 6.x refuse to rename a device that is up (EBUSY): then ufou must
# say so and change nothing; newer ones rename it live.
m0=$(dev_mtu "$HB" w0)
run_cmd ufou_in "$HB" link set w0 name lo mtu 1400
check_fail $? "renaming w0 to lo succeeded: $CMD_OUT"
grep -q "device lo already exists" <<<"$CMD_OUT"
check_err $? "rename to lo: $CMD_OUT"
[ "$(dev_mtu "$HB" w0)" = "$m0" ]
check_err $? "refused rename left w0 with mtu $(dev_mtu "$HB" w0) (was $m0)"
ufou_in "$HB" link show w0 | grep -qE "mtu $m0( |\$)"
check_err $? "ufou link show w0 after a refused rename: $(ufou_in "$HB" link show w0 2>&1)"
run_cmd ufou_in "$HB" link set w0 name w0r mtu 1400
if [ $? -ne 0 ]; then
	grep -q "it is up" <<<"$CMD_OUT"
	check_err $? "refused rename of an up link does not say it is up: $CMD_OUT"
	[ "$(dev_mtu "$HB" w0)" = "$m0" ] && ! ip -n "$HB" link show dev w0r >/dev/null 2>&1
	check_err $? "refused rename left w0 with mtu $(dev_mtu "$HB" w0) (was $m0), or a w0r"
	ip -n "$HB" link set w0 down
	run_cmd ufou_in "$HB" link set w0 name w0r mtu 1400
	check_err $? "rename of a down link: $CMD_OUT"
	ip -n "$HB" link set w0r up
fi
[ "$(dev_mtu "$HB" w0r)" = 1400 ] && ! ip -n "$HB" link show dev w0 >/dev/null 2>&1
check_err $? "after the rename: w0r mtu $(dev_mtu "$HB" w0r), w0 $(ip -n "$HB" -br link show dev w0 2>&1)"
ufou_in "$HB" link show w0r | grep -qE "^w0r: type ipip .* mtu 1400( |$)"
check_err $? "ufou link show w0r: $(ufou_in "$HB" link show w0r 2>&1)"
slowwait 5 ping_ok "$HA" 198.19.0.2
check_err $? "no ping through the renamed link (its address should stay)"
ip -n "$HB" link set w0r down
run_cmd ufou_in "$HB" link set dev w0r name w0 mtu "$m0"
check_err $? "rename back: $CMD_OUT"
ip -n "$HB" link set w0 up
slowwait 5 ping_ok "$HA" 198.19.0.2
check_err $? "no ping after renaming back"
log_test "link set name: renames the device; a refused rename changes nothing"

# Renamed with ip(8) instead: ufou follows the kernel's name.
ip -n "$HB" link set w0 down
ip -n "$HB" link set dev w0 name w0k
check_err $? "ip link set dev w0 name w0k failed"
ufou_in "$HB" link show | grep -q "^w0k: type ipip remote 198.18.0.1 "
check_err $? "ufou link show after ip link set ... name: $(ufou_in "$HB" link show 2>&1)"
run_cmd ufou_in "$HB" link set w0k mtu 1300
check_err $? "link set w0k mtu 1300: $CMD_OUT"
[ "$(dev_mtu "$HB" w0k)" = 1300 ]
check_err $? "w0k mtu $(dev_mtu "$HB" w0k), want 1300"
run_cmd ufou_in "$HB" link show w0
check_fail $? "ufou link show w0 still finds the renamed link: $CMD_OUT"
ip -n "$HB" link set dev w0k name w0
run_cmd ufou_in "$HB" link set w0 mtu "$m0"
check_err $? "link set w0 mtu $m0 after renaming back: $CMD_OUT"
ip -n "$HB" link set w0 up
slowwait 5 ping_ok "$HA" 198.19.0.2
check_err $? "no ping after ip(8) renamed the link and back"
log_test "a link renamed with ip(8) keeps working under its new name"

# ---------------------------------------------------------------- peer filter
# HB port 5600 on its second address 198.18.0.4 accepts only
# 198.18.0.1:7000. HA sends the same IPIP-in-UDP packet from 7000 (accepted),
# from 7001 and from 198.18.0.3:7000 (both filtered).
ip -n "$HA" addr add 198.18.0.3/24 dev eth0
ip -n "$HB" addr add 198.18.0.4/24 dev eth0
run_cmd ufou_in "$HB" fou add port 5600 ipproto 4 local 198.18.0.4 peer 198.18.0.1 peer_port 7000
check_err $? "fou add port 5600 ... peer 198.18.0.1 peer_port 7000: $CMD_OUT"
run_cmd ufou_in "$HB" link add name pf0 type ipip remote 198.18.0.1 local 198.18.0.4 \
	encap fou encap-sport 5600 encap-dport 7000
check_err $? "link add pf0 on HB: $CMD_OUT"
busywait 3000 ip -n "$HB" link show dev pf0 >/dev/null
ip -n "$HB" link set pf0 up
pkt=$(ipv4_icmp_echo_hex 198.19.9.1 198.19.9.2)
ip -n "$HB" addr add 198.19.9.2/24 dev pf0
rx0=$(link_counter "$HB" pf0 .stats64.rx.packets)
send_udp "$HA" 198.18.0.1 7000 198.18.0.4 5600 "$pkt"
check_err $? "python send from 198.18.0.1:7000 failed"
busywait 2000 _counter_ge $((rx0 + 1)) link_counter "$HB" pf0 .stats64.rx.packets >/dev/null
check_err $? "packet from the configured peer 198.18.0.1:7000 not received on pf0 (rx $rx0 -> $(link_counter "$HB" pf0 .stats64.rx.packets))"
log_test "peer-restricted port accepts its peer"

d0=$(total_drops "$HB" 5600)
f0=$(port_drop "$HB" 5600 port-filter)
rx1=$(link_counter "$HB" pf0 .stats64.rx.packets)
prx0=$(port_counter "$HB" 5600 .stats64.rx.packets)
send_udp "$HA" 198.18.0.1 7001 198.18.0.4 5600 "$pkt"
send_udp "$HA" 198.18.0.3 7000 198.18.0.4 5600 "$pkt"
# Then one from the peer: once it has arrived, the two before it had their
# chance. The daemon connects a peer-restricted socket (as the kernel does),
# so the kernel may filter already: then the port's rx count grows by one
# only. A daemon that filters itself counts port-filter. Either way only one
# packet reaches pf0.
send_udp "$HA" 198.18.0.1 7000 198.18.0.4 5600 "$pkt"
busywait 2000 _counter_ge $((rx1 + 1)) link_counter "$HB" pf0 .stats64.rx.packets >/dev/null
check_err $? "the peer's packet after the filtered ones did not arrive"
f1=$(port_drop "$HB" 5600 port-filter)
rx2=$(link_counter "$HB" pf0 .stats64.rx.packets)
[ "$rx2" = $((rx1 + 1)) ]
check_err $? "filtered datagrams reached pf0 (rx $rx1 -> $rx2, expected +1)"
prx=$(port_counter "$HB" 5600 .stats64.rx.packets)
[ "${f1:-0}" -ge $((f0 + 2)) ] 2>/dev/null || [ "$prx" = $((prx0 + 1)) ]
check_err $? "port 5600 took the datagrams (rx $prx0 -> $prx) without counting port-filter ($f0 -> $f1)"
diag "port 5600: port-filter $f0 -> $f1, port rx $prx0 -> $prx"
log_test "peer-restricted port drops other source port / address (port-filter)"

# ---------------------------------------------------------------- garbage
for side in 1 2; do
	[ "$side" = 1 ] && ns=$HA || ns=$HB
	run_cmd ufou_in "$ns" fou add port 5700 gue
	check_err $? "fou add port 5700 gue: $CMD_OUT"
	run_cmd ufou_in "$ns" link add name g0 type gre remote 198.18.0.$((3 - side)) \
		local 198.18.0.$side encap gue encap-sport auto encap-dport 5700
	check_err $? "link add g0: $CMD_OUT"
	busywait 3000 ip -n "$ns" link show dev g0 >/dev/null
	ip -n "$ns" link set g0 up
	ip -n "$ns" addr add 198.19.7.$side/24 dev g0
done
slowwait 5 ping_ok "$HA" 198.19.7.2
check_err $? "GUE tunnel g0 does not work before the garbage"
log_test "GUE tunnel g0 up"

# garbage NAME PORT HEX REASON: send, expect REASON (or any drop if "")
garbage()
{
	local name=$1 port=$2 hex=$3 reason=$4 d0 r0 r1
	d0=$(total_drops "$HB" "$port")
	[ -n "$reason" ] && r0=$(port_drop "$HB" "$port" "$reason")
	send_udp "$HA" 198.18.0.1 0 198.18.0.2 "$port" "$hex"
	check_err $? "sending $name failed"
	busywait 2000 _counter_ge $((d0 + 1)) total_drops "$HB" "$port" >/dev/null
	check_err $? "$name to port $port: drop counters did not move (total $d0 -> $(total_drops "$HB" "$port"))"
	if [ -n "$reason" ]; then
		r1=$(port_drop "$HB" "$port" "$reason")
		[ "${r1:-0}" -gt "${r0:-0}" ] 2>/dev/null
		check_err $? "$name to port $port: $reason went $r0 -> $r1: $(ufou_in "$HB" -s -j fou show 2>&1 | head -c 800)"
	fi
	ufoud_alive "$HB"
	check_err $? "ufoud in HB died after $name"
	log_test "garbage: $name to port $port dropped${reason:+ ($reason)}"
}

rnd=$(head -c 200 /dev/urandom | od -An -tx1 | tr -d ' \n')
# Random bytes whose first nibble is not a valid GUE/IP version for sure.
garbage "random bytes" 5700 "ff${rnd:2}" ""
garbage "random bytes" 5555 "ff${rnd:2}" ""
garbage "empty datagram" 5700 "" gue-truncated
garbage "empty datagram" 5555 "" ""
garbage "3-byte GUE" 5700 "000400" gue-truncated
# GUE version 0, C bit, hlen 0, ctype 0, flags 0.
garbage "GUE control message" 5700 "20000000$pkt" gue-control
# GUE version 0, proto 4, unknown standard flag 0x8000.
garbage "GUE unknown flag" 5700 "00048000$pkt" gue-bad-flags
# GUE private flags present (P) but hlen 0: flags do not fit.
garbage "GUE P flag without room" 5700 "00040001$pkt" gue-bad-flags
# GUE hlen 31 words on a short packet.
garbage "GUE hlen beyond packet" 5700 "1f040000" gue-bad-hlen
# GUE version 2.
garbage "GUE version 2" 5700 "80040000$pkt" gue-bad-version

slowwait 5 ping_ok "$HA" 198.19.7.2
check_err $? "GUE tunnel g0 broken after the garbage"
slowwait 5 ping_ok "$HA" 198.19.0.2
check_err $? "FOU tunnel w0 broken after the garbage"
ufoud_alive "$HA" && ufoud_alive "$HB"
check_err $? "a daemon died"
log_test "tunnels still work after garbage, daemons alive"

# ---------------------------------------------------------------- CLI misuse
snapshot()
{
	ufou_in "$HA" fou show 2>&1
	echo ---
	ufou_in "$HA" link show 2>&1
}

# misuse NAME PATTERN ARGS...: ufou ARGS must fail, print a message matching
# PATTERN (extended regexp, case-insensitive; "" = any non-empty message)
# and leave the configuration unchanged.
misuse()
{
	local name=$1 pat=$2 before after out rc
	shift 2
	before=$(snapshot)
	out=$(ufou_in "$HA" "$@" 2>&1)
	rc=$?
	after=$(snapshot)
	check_fail $rc "ufou $* succeeded"
	[ -n "$out" ]
	check_err $? "ufou $* failed without a message"
	if [ -n "$pat" ]; then
		grep -qiE -- "$pat" <<<"$out"
		check_err $? "ufou $*: message '$out' does not match /$pat/"
	fi
	[ "$before" = "$after" ]
	check_err $? "ufou $* changed the configuration: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
	[ "$RET" -eq 0 ] && diag "ufou $* -> $out"
	log_test "CLI misuse rejected: $name"
}

LINK=(type ipip remote 198.18.0.2 local 198.18.0.1 encap fou encap-sport auto encap-dport 5555)
misuse "duplicate port" "exist" fou add port 5555 ipproto 4
misuse "delete missing port" "not found|no such" fou del port 5999
misuse "delete missing link" "not found|no such|cannot find|does not exist" link del nosuch0
misuse "ipproto 0" "ipproto|0" fou add port 5801 ipproto 0
misuse "ipproto 256" "ipproto|256" fou add port 5802 ipproto 256
misuse "port 0" "port|0" fou add port 0 ipproto 4
misuse "port 65536" "port|65536" fou add port 65536 ipproto 4
misuse "ipproto and gue" "" fou add port 5803 ipproto 4 gue
misuse "neither ipproto nor gue" "" fou add port 5804
misuse "peer without peer_port" "peer" fou add port 5805 ipproto 4 peer 198.18.0.2
misuse "peer_port without peer" "peer" fou add port 5806 ipproto 4 peer_port 5555
misuse "dev without local" "dev|local" fou add port 5807 ipproto 4 dev eth0
misuse "unknown fou keyword" "bogusword" fou add port 5808 ipproto 4 bogusword
misuse "unknown link keyword" "frobnicate" link add name x0 "${LINK[@]}" frobnicate 1
misuse "missing value" "" fou add port
misuse "missing value (link ttl)" "" link add name x0 "${LINK[@]}" ttl
misuse "ttl with nopmtudisc" "ttl|pmtudisc" link add name x0 "${LINK[@]}" ttl 64 nopmtudisc
misuse "key on ipip" "key" link add name x0 "${LINK[@]}" key 5
misuse "encaplimit on ipip" "encaplimit" link add name x0 "${LINK[@]}" encaplimit 4
misuse "bad remote address" "1\\.2\\.3" link add name x0 type ipip remote 1.2.3 \
	local 198.18.0.1 encap fou encap-sport auto encap-dport 5555
misuse "bad local address" "198\\.18\\.0\\.300" fou add port 5809 ipproto 4 local 198.18.0.300
misuse "IPv6 remote on ipip" "" link add name x0 type ipip remote fd00:18::2 \
	local 198.18.0.1 encap fou encap-sport auto encap-dport 5555
misuse "unknown link type" "vxlan" link add name x0 type vxlan remote 198.18.0.2 \
	local 198.18.0.1 encap fou encap-sport auto encap-dport 5555
misuse "encap-dport 0" "encap-dport" link add name x0 type ipip remote 198.18.0.2 \
	local 198.18.0.1 encap fou encap-sport auto encap-dport 0
misuse "duplicate keyword" "ttl" link add name x0 "${LINK[@]}" ttl 3 ttl 4
misuse "ttl 256" "256" link add name x0 "${LINK[@]}" ttl 256
misuse "name too long" "" link add name abcdefghijklmnopq "${LINK[@]}"
misuse "duplicate link name" "exist" link add name w0 "${LINK[@]}"
misuse "unknown object" "" frob show
misuse "set on missing link" "not found|no such|cannot find|does not exist" link set nosuch0 ttl 3

# ---------------------------------------------------------------- config files
CONF_OK=$TMPD/good.conf
CONF_BAD=$TMPD/bad.conf
cat >"$CONF_OK" <<'EOF'
# a comment, then a blank line

fou add port 5555 ipproto 4
fou add port 5560 gue
link add name c0 type ipip remote 198.18.0.2 local 198.18.0.1 ttl 225 encap fou encap-sport auto encap-dport 5555
EOF
cat >"$CONF_BAD" <<'EOF'
fou add port 5555 ipproto 4
# line 2
fou add port 5556 ipproto 300
EOF

out=$(in_ns "$HA" "$UFOUD" -n -c "$CONF_OK" 2>&1)
check_err $? "ufoud -n -c good.conf failed: $out"
log_test "ufoud -n accepts a good config"

out=$(in_ns "$HA" "$UFOUD" -n -c "$CONF_BAD" 2>&1)
check_fail $? "ufoud -n -c bad.conf succeeded"
grep -q "bad.conf:3" <<<"$out"
check_err $? "ufoud -n -c bad.conf does not report FILE:LINE (bad.conf:3): $out"
diag "ufoud -n -c bad.conf -> $out"
log_test "ufoud -n rejects a bad config with FILE:LINE"

# HC: a third namespace with 198.18.0.1 on a veth whose peer is also in HC.
setup_ns HC
ip link add name eth0 netns "$HC" type veth peer name eth1 netns "$HC"
ip -n "$HC" addr add 198.18.0.1/24 dev eth0
ip -n "$HC" link set eth0 up
ip -n "$HC" link set eth1 up
if start_ufoud "$HC" -c "$CONF_OK"; then
	out=$(ufou_in "$HC" fou show 2>&1)
	grep -qw "port 5555" <<<"$out" && grep -qw "port 5560" <<<"$out"
	check_err $? "ufoud -c did not add the ports: $out"
	out=$(ufou_in "$HC" link show 2>&1)
	grep -qw c0 <<<"$out"
	check_err $? "ufoud -c did not add link c0: $out"
	busywait 3000 ip -n "$HC" link show dev c0 >/dev/null
	check_err $? "device c0 missing after ufoud -c"
else
	check_err 1 "ufoud -c good.conf did not start: $(tail -5 "${UFOUD_LOG[$HC]}")"
fi
log_test "ufoud -c applies ports and links at start"

# ---------------------------------------------------------------- control socket
# The protocol (src/common/ctlproto.h): SOCK_STREAM, one request frame
# "be32 len | u8 version | u8 flags | u8 stats | u8 0 | be16 argc | words\0",
# one reply "be32 len | u8 version | 3 x u8 0 | be32 errno | text", close.
# ctl_raw NS KIND: send one malformed request of KIND; print the decoded
# reply as "errno=N text=..." (or what happened instead).
ctl_raw()
{
	python3 - "${UFOUD_SOCK[$1]}" "$2" <<'PYEOF'
import os, socket, struct, sys
path, kind = sys.argv[1], sys.argv[2]
def frame(body):
    return struct.pack("!I", len(body)) + body
def req(words, version=1, argc=None, flags=0):
    w = b"".join(x + b"\0" for x in words)
    return frame(struct.pack("!BBBBH", version, flags, 0, 0,
                             len(words) if argc is None else argc) + w)
reqs = {
    "garbage": os.urandom(64),
    "nul": b"\0",
    "empty": b"",
    "huge-length": b"\xff\xff\xff\xff" + b"\0" * 16,
    "short-frame": frame(b"\1\0"),
    "oversized": frame(b"\1\0\0\0\0\1" + b"A" * (1 << 20)),
    "bad-version": req([b"fou", b"show"], version=9),
    "argc-too-big": req([b"fou", b"show"], argc=5),
    "argc-zero": req([], argc=0),
    "no-nul": frame(struct.pack("!BBBBH", 1, 0, 0, 0, 2) + b"fou\0show"),
    "bad-flags": req([b"fou", b"show"], flags=0xff),
    "unknown-command": req([b"no", b"such", b"command"]),
}
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(3)
s.connect(path)
out = b""
try:
    s.sendall(reqs[kind])
    s.shutdown(socket.SHUT_WR)
except OSError as e:
    # The daemon may answer and close before reading everything.
    print("<send: %s>" % e.__class__.__name__, end=" ")
try:
    while len(out) < (1 << 20):
        b = s.recv(65536)
        if not b:
            break
        out += b
except OSError as e:
    print("<recv: %s>" % e.__class__.__name__, end=" ")
if len(out) >= 12:
    ln, ver, err = struct.unpack("!IB3xi", out[:12])
    print("len=%d version=%d errno=%d text=%r" % (ln, ver, err, out[12:12 + 200].decode("utf-8", "replace")))
else:
    print("reply of %d bytes: %r" % (len(out), out[:40]))
PYEOF
}

# Every malformed request gets an error reply (errno < 0), except those
# that end before a whole length prefix (empty, nul): they may just be
# closed. Either way the daemon keeps serving.
for kind in garbage huge-length short-frame oversized bad-version argc-too-big \
	argc-zero no-nul bad-flags unknown-command empty nul; do
	out=$(ctl_raw "$HA" "$kind" 2>&1)
	case $kind in
	empty | nul) ;;
	*)
		grep -qE "errno=-[0-9]+" <<<"$out"
		check_err $? "no error reply to a $kind control request: $out"
		;;
	esac
	[ "$RET" -eq 0 ] && diag "control $kind -> $out"
	ufoud_alive "$HA"
	check_err $? "ufoud died after a $kind control request"
	run_cmd ufou_in "$HA" fou show
	check_err $? "ufou fou show fails after a $kind control request: $CMD_OUT"
	grep -qw "port 5555" <<<"$CMD_OUT"
	check_err $? "configuration lost after a $kind control request: $CMD_OUT"
	log_test "malformed control request ($kind): daemon answers and keeps serving"
done

# Silent clients (connect, send nothing) must not lock the CLI out for long.
rm -f "$TMPD/idle.ready"
ip netns exec "$HA" python3 - "${UFOUD_SOCK[$HA]}" 40 15 "$TMPD/idle.ready" <<'PYEOF' &
import socket, sys, time
held = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sys.argv[1])
    except OSError:
        pass
    held.append(s)
open(sys.argv[4], "w").close()
time.sleep(int(sys.argv[3]))
PYEOF
idle_pid=$!
defer kill "$idle_pid"
busywait 3000 test -e "$TMPD/idle.ready"
slowwait 10 ufou_in "$HA" fou show >/dev/null
check_err $? "ufou fou show kept failing for 10 s while 40 idle control connections were open: $(ufou_in "$HA" fou show 2>&1)"
kill "$idle_pid" 2>/dev/null
wait "$idle_pid" 2>/dev/null
ufou_in "$HA" fou show >/dev/null
check_err $? "ufou fou show fails after the idle clients left"
log_test "40 idle control connections do not lock out the CLI"

# ---------------------------------------------------------------- SIGTERM
for dev in w0 pf0 g0; do
	ip -n "$HB" link show dev "$dev" >/dev/null 2>&1
	check_err $? "device $dev missing in HB before SIGTERM"
done
stop_ufoud "$HB"
rc=$?
check_err $rc "ufoud exited with status $rc on SIGTERM"
for dev in w0 pf0 g0; do
	! ip -n "$HB" link show dev "$dev" >/dev/null 2>&1
	check_err $? "device $dev still present after SIGTERM"
done
[ ! -e "${UFOUD_SOCK[$HB]}" ]
check_err $? "control socket ${UFOUD_SOCK[$HB]} left behind"
log_test "SIGTERM removes the TUN devices and exits 0"

exit $EXIT_STATUS
