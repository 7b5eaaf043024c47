#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Idle means blocked: after traffic stops, ufoud uses no CPU, both with the
# default event loop and with `ufoud -b USEC` (workers keep polling USEC
# after traffic, then sleep). Traffic still flows with -b, and bad -t/-b
# values are refused with a message naming them.
#
#   HA idle0 198.19.20.1 ==(ufoud)== eth0 ==(ufoud -b)== HB idle0 198.19.20.2
#
# CPU is read from /proc/PID/stat (utime+stime, clock ticks) over an idle
# window; the bound is generous (a few ticks), a spinning worker would burn
# the whole window.

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping getconf; do require_command "$c"; done

HZ=$(getconf CLK_TCK)
IDLE_SECS=2
# 5% of one CPU over the window: a blocked daemon uses ~0, a spinning one 100%.
MAX_TICKS=$((HZ * IDLE_SECS / 20))

# cpu_ticks PID: utime + stime of the process (all its threads).
cpu_ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null
}

# idle_ticks NS: CPU ticks ufoud of NS uses over IDLE_SECS without traffic.
idle_ticks()
{
	local pid=${UFOUD_PID[$1]} t0 t1
	t0=$(cpu_ticks "$pid")
	sleep "$IDLE_SECS"    # the measurement window itself, not a wait for a condition
	t1=$(cpu_ticks "$pid")
	echo $((t1 - t0))
}

# ---- bad option values: refused, the message names the value

for bad in "-t x" "-t 0" "-t 65" "-b -1" "-b 1000001" "-b 5us"; do
	read -r -a args <<<"$bad"
	out=$("$UFOUD" -S "$TMPD/never.sock" "${args[@]}" 2>&1 </dev/null)
	rc=$?
	[ "$rc" -ne 0 ]
	check_err $? "ufoud $bad exited 0"
	[[ $out == *"\"${args[1]}\""* ]]
	check_err $? "ufoud $bad: message does not name \"${args[1]}\": $out"
	[ ! -e "$TMPD/never.sock" ]
	check_err $? "ufoud $bad created its control socket"
done
log_test "ufoud -t/-b: bad values refused, message names the value"

# ---- one link, HA with the default loop, HB polling 500 us after traffic

if ! { setup_two_hosts && start_ufoud "$HA" && start_ufoud "$HB" -b 500; }; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi
for side in 1 2; do
	[ "$side" = 1 ] && ns=$HA || ns=$HB
	run_cmd ufou_in "$ns" fou add port 5555 ipproto 4
	check_err $? "fou add: $CMD_OUT"
	run_cmd ufou_in "$ns" link add name idle0 type ipip remote "198.18.0.$((3 - side))" \
		local "198.18.0.$side" encap fou encap-sport auto encap-dport 5555
	check_err $? "link add: $CMD_OUT"
	busywait 3000 ip -n "$ns" link show dev idle0 >/dev/null
	check_err $? "no idle0 in $ns"
	ip -n "$ns" addr add "198.19.20.$side/24" dev idle0
	ip -n "$ns" link set dev idle0 up
done
slowwait 5 ping_ok "$HA" 198.19.20.2 >/dev/null
check_err $? "no ping through idle0"
# A burst of round trips: HB's workers spin after each one.
run_cmd in_ns "$HA" ping -c 200 -i 0.002 -q -W 1 198.19.20.2
check_err $? "200 pings through idle0 with ufoud -b 500 on HB: $CMD_OUT"
[[ $CMD_OUT == *" 0% packet loss"* ]]
check_err $? "pings lost: $CMD_OUT"
log_test "ufoud -b 500: traffic flows"

ta=$(idle_ticks "$HA")
[ "$ta" -le "$MAX_TICKS" ] 2>/dev/null
check_err $? "default ufoud used $ta ticks in ${IDLE_SECS}s idle (at most $MAX_TICKS allowed, HZ $HZ)"
log_test "default event loop: no CPU when idle ($ta ticks in ${IDLE_SECS}s)"

run_cmd in_ns "$HA" ping -c 50 -i 0.002 -q -W 1 198.19.20.2
tb=$(idle_ticks "$HB")
[ "$tb" -le "$MAX_TICKS" ] 2>/dev/null
check_err $? "ufoud -b 500 used $tb ticks in ${IDLE_SECS}s idle (at most $MAX_TICKS allowed, HZ $HZ)"
log_test "ufoud -b 500: no CPU once idle ($tb ticks in ${IDLE_SECS}s)"

exit "$EXIT_STATUS"
