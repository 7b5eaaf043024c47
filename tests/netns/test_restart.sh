#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A restart of ufoud drops no connection:
#
#   HA tun1..3 ==(ufoud -k -s STATE)== eth0 ==veth== eth0 ==(ufoud -k -s STATE)== HB
#
#   - TCP transfers through ipip/fou, gre/gue and ip6tnl/fou6 (rate-limited,
#     provably still running) while both daemons are killed with -9 and
#     started again with the same command line: every transfer completes
#     with the right sha256; the links (all added after start), the ports,
#     the addresses and routes set with ip(8) are back as they were; on the
#     fast path the traffic kept flowing while the daemons were down;
#   - the same with SIGTERM and a start (-k keeps the devices);
#   - link del, and deleting a link of the -c file, then a restart: they
#     stay gone; without -k SIGTERM removes the devices (with -k, SIGUSR1
#     does, fast-path filters included) and a start makes the links again
#     from the state;
#   - a state file that cannot be written (read-only directory) refuses
#     `link add` and `fou add` with the path in the message, and leaves
#     neither a link nor a device.
#
# UFOU_RESTART_BYTES: bytes per transfer (default 4000000), sent at
# UFOU_RESTART_RATE bytes/s (default 1000000).

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq socat sha256sum ss python3 mount; do require_command "$c"; done

BYTES=${UFOU_RESTART_BYTES:-4000000}
RATE=${UFOU_RESTART_RATE:-1000000}
XFER_TMO=90

# name | type words | outer family | encap words | port | port args | inner family
CASES=(
	"ipip/fou|ipip|4|encap fou|5555|ipproto 4|4"
	"gre/gue|gre|4|encap gue|5556|gue|4"
	"ip6tnl/fou6|ip6tnl mode ip6ip6|6|encap fou|5557|ipproto 41 -6|6"
)
# The links that ride the fast path under -D bpf (ip6tnl has fou6's UDP checksum).
FAST_LINKS="1 2"

CONF=$TMPD/ufoud.conf
cat >"$CONF" <<'EOF'
# the operator's declarative file; cfg0 goes at runtime and must stay gone
fou add port 5560 ipproto 4
link add name cfg0 type ipip remote 198.18.0.3 local 198.18.0.1 encap fou encap-sport auto encap-dport 5560
EOF

# start_a, start_b, start_both: the daemons, with the command line every
# restart repeats.
start_a()
{
	start_ufoud "$HA" -k -s "$TMPD/HA.state" -c "$CONF"
}
start_b()
{
	start_ufoud "$HB" -k -s "$TMPD/HB.state"
}
start_both()
{
	start_a && start_b
}

# kill9 NS: the daemon of NS killed with -9, reaped.
kill9()
{
	local pid=${UFOUD_PID[$1]}
	kill -KILL "$pid"
	slowwait 5 _pid_gone "$pid"
	wait "$pid" 2>/dev/null
	unset "UFOUD_PID[$1]"
}

# inner_dst N: HB's address on tunN.
inner_dst()
{
	if [ "${CASES[$(($1 - 1))]##*|}" = 4 ]; then echo "198.19.$1.2"; else echo "fd00:1:$1::2"; fi
}

# snapshot NS: what a user checks after a restart: ufou's links and ports,
# the addresses and routes of the tunnel devices (ip(8)), their ifindex.
snapshot()
{
	local ns=$1 n
	ufou_in "$ns" link show
	ufou_in "$ns" fou show
	for n in 1 2 3; do
		ip -n "$ns" -o addr show dev "tun$n" | sed 's/valid_lft.*//'
		ip -n "$ns" route show dev "tun$n"
		ip -n "$ns" -6 route show dev "tun$n" | grep -v '^fe80\|^multicast'
	done
}

# ---- rate-limited transfers, one per link, all at once

# xfer_start TAG: a receiver on HB and a sender on HA per link; the sender
# sends BYTES at RATE and waits for the receiver to close.
XPORT=21000
xfer_start()
{
	local tag=$1 n dst
	for n in 1 2 3; do
		dst=$(inner_dst "$n")
		head -c "$BYTES" /dev/urandom >"$TMPD/$tag.$n.in"
		XPORT=$((XPORT + 1))
		local listen=TCP4-LISTEN
		[[ $dst == *:* ]] && listen=TCP6-LISTEN
		ip netns exec "$HB" timeout "$XFER_TMO" socat -u "$listen:$XPORT,reuseaddr" \
			"OPEN:$TMPD/$tag.$n.out,creat,trunc" 2>"$TMPD/$tag.$n.rx.err" &
		eval "RX_$n=\$!"
		busywait 5000 _tcp_listening "$HB" "$XPORT" ||
			{ check_err 1 "receiver $n not listening"; continue; }
		ip netns exec "$HA" timeout "$XFER_TMO" python3 - "$dst" "$XPORT" \
			"$TMPD/$tag.$n.in" "$RATE" 2>"$TMPD/$tag.$n.tx.err" <<'EOF' &
import socket, sys, time
addr, port, path, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
data = open(path, "rb").read()
s = socket.create_connection((addr, port), timeout=5)
s.settimeout(60)
chunk, t0 = max(rate // 20, 1), time.monotonic()
for off in range(0, len(data), chunk):
    s.sendall(data[off:off + chunk])
    ahead = (off + chunk) / rate - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
s.shutdown(socket.SHUT_WR)
s.recv(1)            # the receiver closes once it has everything
s.close()
EOF
		eval "TX_$n=\$!"
	done
}

received() # received TAG N: bytes HB has of transfer N
{
	stat -c %s "$TMPD/$1.$2.out" 2>/dev/null || echo 0
}

_all_received_ge() # TAG MIN: every transfer has at least MIN bytes at HB
{
	local n
	for n in 1 2 3; do [ "$(received "$1" "$n")" -ge "$2" ] || return 1; done
}

# running TAG: every transfer is under way and unfinished (sender alive,
# receiver short of BYTES); says which is not.
running()
{
	local tag=$1 n tx r ok=0
	for n in 1 2 3; do
		eval "tx=\$TX_$n"
		r=$(received "$tag" "$n")
		if ! kill -0 "$tx" 2>/dev/null || [ "$r" -ge "$BYTES" ]; then
			echo "transfer $n not running (sender $(kill -0 "$tx" 2>/dev/null && echo alive || echo gone), $r of $BYTES bytes)"
			ok=1
		fi
	done
	return $ok
}

# _grew TAG N FROM BY: transfer N has BY bytes more than FROM.
_grew()
{
	[ "$(received "$1" "$2")" -ge $(($3 + $4)) ]
}

# xfer_finish TAG: waits for every transfer, compares sha256.
xfer_finish()
{
	local tag=$1 n tx rx rc
	for n in 1 2 3; do
		eval "tx=\$TX_$n rx=\$RX_$n"
		wait "$tx"
		rc=$?
		[ "$rc" -ne 0 ] && kill "$rx" 2>/dev/null
		wait "$rx"
		[ "$(sha256sum <"$TMPD/$tag.$n.in" | cut -d' ' -f1)" = \
		  "$(sha256sum <"$TMPD/$tag.$n.out" | cut -d' ' -f1)" ]
		check_err $? "${CASES[$((n - 1))]%%|*}: sha256 differs after the restart: sender rc $rc, $(received "$tag" "$n") of $BYTES bytes; $(head -c 300 "$TMPD/$tag.$n.tx.err" "$TMPD/$tag.$n.rx.err" 2>/dev/null | tr '\n' ' ')"
		rm -f "$TMPD/$tag.$n.in" "$TMPD/$tag.$n.out"
	done
}

# ---- set-up: both daemons, then the links (all added after start)

if ! { setup_two_hosts && start_both; }; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi
n=0
for c in "${CASES[@]}"; do
	IFS='|' read -r name typewords fam encw port portargs inner <<<"$c"
	n=$((n + 1))
	tunnel_pair "tun$n" "$n" "$fam" "$inner" "$port" "$portargs" "$typewords" "$encw"
	# A route of the user's own through the tunnel, which must survive too.
	if [ "$inner" = 4 ]; then
		ip -n "$HA" route add "198.19.$((100 + n)).0/24" via "198.19.$n.2" dev "tun$n"
	else
		ip -n "$HA" -6 route add "fd00:2:$n::/64" via "fd00:1:$n::2" dev "tun$n"
	fi
	slowwait 5 ping_ok "$HA" "$(inner_dst "$n")"
	check_err $? "no ping through tun$n"
done
log_test "set-up: three tunnel pairs added after start, with addresses and routes"
[ "$RET" -eq 0 ] || exit "$EXIT_STATUS"
snapshot "$HA" >"$TMPD/$HA.snap"
snapshot "$HB" >"$TMPD/$HB.snap"

# same_as_before NS: the snapshot matches the one taken at set-up.
same_as_before()
{
	snapshot "$1" >"$TMPD/$1.now"
	diff "$TMPD/$1.snap" "$TMPD/$1.now" >"$TMPD/$1.diff"
	check_err $? "$1 after the restart differs: $(head -c 600 "$TMPD/$1.diff" | tr '\n' ' ')"
}

# ---- 1. kill -9 in the middle of the transfers, started again

xfer_start k9
busywait 10000 _all_received_ge k9 262144
check_err $? "transfers did not start: $(for n in 1 2 3; do printf '%s ' "$(received k9 "$n")"; done)"
why=$(running k9)
check_err $? "before kill -9: $why"
kill9 "$HA"
kill9 "$HB"
why=$(running k9)
check_err $? "at kill -9: $why"
if [ "${UFOU_DATAPATH:-}" = bpf ]; then
	# Nobody runs ufoud now: the fast path alone carries the fast links.
	for n in $FAST_LINKS; do
		r=$(received k9 "$n")
		busywait 5000 _grew k9 "$n" "$r" 131072
		check_err $? "tun$n: no traffic while ufoud was down ($r -> $(received k9 "$n") bytes)"
	done
	ufoud_alive "$HA" || ufoud_alive "$HB"
	check_fail $? "a daemon ran while the fast path was being checked"
fi
start_both
check_err $? "restart after kill -9 with the same command line"
xfer_finish k9
same_as_before "$HA"
same_as_before "$HB"
log_test "kill -9 during TCP transfers, restart: transfers complete, links, addresses, routes back"

# ---- 2. SIGTERM with -k, started again

xfer_start term
busywait 10000 _all_received_ge term 262144
check_err $? "transfers did not start"
why=$(running term)
check_err $? "before SIGTERM: $why"
stop_ufoud "$HA"
check_err $? "ufoud -k on HA did not exit cleanly on SIGTERM"
stop_ufoud "$HB"
check_err $? "ufoud -k on HB did not exit cleanly on SIGTERM"
ip -n "$HA" link show dev tun1 >/dev/null 2>&1
check_err $? "SIGTERM with -k removed tun1"
why=$(running term)
check_err $? "at the restart: $why"
start_both
check_err $? "start after SIGTERM"
xfer_finish term
same_as_before "$HA"
same_as_before "$HB"
log_test "SIGTERM with -k during TCP transfers, start: transfers complete, links, addresses, routes back"

# ---- 3. what was deleted stays deleted; SIGTERM without -k

run_cmd ufou_in "$HA" link del tun3
check_err $? "link del tun3: $CMD_OUT"
run_cmd ufou_in "$HA" link del cfg0
check_err $? "link del cfg0 (from -c): $CMD_OUT"
stop_ufoud "$HA"
start_a
check_err $? "restart after link del"
links=$(ufou_in "$HA" -j link show | jq -r '[.[].ifname] | join(" ")')
[ "$links" = "tun1 tun2" ]
check_err $? "after link del and a restart: links \"$links\", want \"tun1 tun2\""
! ip -n "$HA" link show dev tun3 >/dev/null 2>&1
check_err $? "device tun3 is back after link del and a restart"
# Without -k, SIGTERM takes the devices; the state brings the links back.
stop_ufoud "$HA"
start_ufoud "$HA" -s "$TMPD/HA.state.nok" -c "$CONF"
check_err $? "start without -k"
run_cmd ufou_in "$HA" link add name tun9 type ipip remote 198.18.0.2 local 198.18.0.1 \
	ttl 33 encap fou encap-sport 4444 encap-dport 5555
check_err $? "link add tun9: $CMD_OUT"
before=$(ufou_in "$HA" link show tun9)
stop_ufoud "$HA"
check_err $? "ufoud did not exit cleanly on SIGTERM"
! ip -n "$HA" link show dev tun9 >/dev/null 2>&1
check_err $? "SIGTERM without -k left the device tun9"
start_ufoud "$HA" -s "$TMPD/HA.state.nok" -c "$CONF"
check_err $? "start after SIGTERM without -k"
after=$(ufou_in "$HA" link show tun9)
[ -n "$after" ] && [ "$before" = "$after" ] && ip -n "$HA" link show dev tun9 >/dev/null 2>&1
check_err $? "tun9 not restored with its settings: \"$before\" -> \"$after\""
stop_ufoud "$HA"
log_test "link del and -c links deleted stay gone; SIGTERM without -k removes devices, state restores links"

# ---- 3b. SIGUSR1 removes the devices under -k too (package removal, the
# unit runs -k); the state stays, so the next start brings the links back.

start_ufoud "$HA" -k -s "$TMPD/HA.state.nok" -c "$CONF"
check_err $? "start with -k"
ip -n "$HA" link show dev tun9 >/dev/null 2>&1
check_err $? "tun9 not there after a start with -k"
mine=$(ufou_in "$HA" -j link show | jq -r '.[].ifname')
stop_ufoud "$HA" USR1
check_err $? "ufoud -k did not exit cleanly on SIGUSR1"
grep -q "removing the tunnels" "${UFOUD_LOG[$HA]}"
check_err $? "SIGUSR1 not logged as removing the tunnels: $(tail -n 3 "${UFOUD_LOG[$HA]}")"
left=
for l in $mine; do ip -n "$HA" link show dev "$l" >/dev/null 2>&1 && left="$left $l"; done
[ -n "$mine" ] && [ -z "$left" ]
check_err $? "SIGUSR1 under -k left its devices:$left (of $(echo $mine))"
nf=$(tc -n "$HA" filter show dev eth0 ingress 2>/dev/null | grep -c 'handle 0xf0f')
[ "$nf" = 0 ]
check_err $? "SIGUSR1 under -k left $nf fast-path filters on eth0"
start_ufoud "$HA" -s "$TMPD/HA.state.nok" -c "$CONF"
check_err $? "start after SIGUSR1"
after=$(ufou_in "$HA" link show tun9)
[ "$before" = "$after" ]
check_err $? "tun9 not restored after SIGUSR1: \"$before\" -> \"$after\""
stop_ufoud "$HA"
log_test "SIGUSR1 under -k removes devices and fast-path filters, exit 0; the state restores the links"

# ---- 4. a state file that cannot be written refuses the change

setup_ns HC
mkdir -p "$TMPD/ro"
if mount --bind "$TMPD/ro" "$TMPD/ro" && defer umount "$TMPD/ro" &&
   mount -o remount,bind,ro "$TMPD/ro" && start_ufoud "$HC" -s "$TMPD/ro/state"; then
	run_cmd ufou_in "$HC" link add name ro0 type ipip remote 198.18.0.2 local 198.18.0.1 \
		encap fou encap-sport auto encap-dport 5555
	rc=$?
	[ "$rc" -ne 0 ] && [[ $CMD_OUT == *"$TMPD/ro/state"* ]]
	check_err $? "link add with a read-only state directory: rc $rc, \"$CMD_OUT\""
	[ "$(ufou_in "$HC" -j link show | jq length)" = 0 ]
	check_err $? "a refused link add left a link: $(ufou_in "$HC" link show)"
	! ip -n "$HC" link show dev ro0 >/dev/null 2>&1
	check_err $? "a refused link add left the device ro0"
	run_cmd ufou_in "$HC" fou add port 5555 ipproto 4
	rc=$?
	[ "$rc" -ne 0 ] && [[ $CMD_OUT == *"$TMPD/ro/state"* ]] &&
		[ "$(ufou_in "$HC" -j fou show | jq length)" = 0 ]
	check_err $? "fou add with a read-only state directory: rc $rc, \"$CMD_OUT\""
	stop_ufoud "$HC"
else
	check_err 1 "read-only state directory: set-up failed"
fi
log_test "state file not writable: link add and fou add refused, naming the file, nothing made"

exit $EXIT_STATUS
