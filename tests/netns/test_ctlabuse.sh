#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Control abuse: clients that say nothing, half a request, 1 MB or random
# bytes, or never read their reply, cannot stall ufoud:
#
#   HA a0 198.19.50.1 ==(ufoud, its socket flooded)== eth0 ==(ufoud)== HB a0 198.19.50.2
#
#  - one client of each kind gets what it must: a silent or half-open one is
#    dropped at the 2 s deadline, a 1 MB request is refused as too large
#    from its length prefix, random bytes are never served;
#  - while 1000 such clients (ctl_abuse.py flood) keep the socket busy,
#    `ufou link show` answers within 1 s every time (monotonic clock), a
#    ping through the tunnel keeps being answered and a TCP transfer
#    through it completes;
#  - afterwards the daemon serves as before, holds no client descriptor
#    and no client memory (its resident size is back near where it started).

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping python3 socat; do require_command "$c"; done

ABUSE=$REPO_ROOT/tests/netns/ctl_abuse.py
FLOOD_CLIENTS=1000
FLOOD_SECS=8
SHOW_MAX_MS=1000

if ! { setup_two_hosts && start_ufoud "$HA" && start_ufoud "$HB"; }; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi
tunnel_pair a0 50 4 4 5555 "ipproto 4" "ipip" "encap fou"
slowwait 5 ping_ok "$HA" 198.19.50.2
check_err $? "no ping through a0 before the abuse"
log_test "setup: tunnel a0 carries traffic"

SOCK=${UFOUD_SOCK[$HA]}
PID=${UFOUD_PID[$HA]}

# ---------------------------------------------------------------- each kind
out=$(in_ns "$HA" timeout 60 python3 "$ABUSE" check "$SOCK" 2>&1)
check_err $? "ctl_abuse.py check failed: $out"
while IFS= read -r line; do
	case $line in
	ok\ *) ;;
	*) check_err 1 "$line" ;;
	esac
done <<<"$out"
[ "$(grep -c '^ok ' <<<"$out")" = 4 ]
check_err $? "not every kind was checked: $out"
log_test "silent and half-open dropped at the deadline, 1 MB refused, random bytes never served"

# ---------------------------------------------------------------- the flood
# timed_shows SECS: one line "RC MS MESSAGE" per `ufou link show` on HA,
# back to back for SECS seconds (at most 500), each timed with a monotonic clock.
timed_shows()
{
	in_ns "$HA" python3 - "$UFOU" "$SOCK" "$1" <<'EOF'
import subprocess, sys, time
end = time.monotonic() + float(sys.argv[3])
for _ in range(500):
    if time.monotonic() >= end:
        break
    t = time.monotonic()
    try:
        r = subprocess.run([sys.argv[1], "-S", sys.argv[2], "link", "show"], capture_output=True,
                           timeout=10)
        ok, msg = r.returncode == 0 and b"a0" in r.stdout, r.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        ok, msg = False, "timed out after 10 s"
    print(0 if ok else 1, int((time.monotonic() - t) * 1000), msg.strip().replace("\n", " "),
          flush=True)
EOF
}

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
rss0=$(rss_kb "$PID")
fds0=$(ls "/proc/$PID/fd" | wc -l)

in_ns "$HA" timeout $((FLOOD_SECS + 30)) python3 "$ABUSE" flood "$SOCK" "$FLOOD_CLIENTS" \
	"$FLOOD_SECS" >"$TMPD/flood.out" 2>&1 &
flood_pid=$!
in_ns "$HA" timeout $((FLOOD_SECS + 10)) ping -c $((FLOOD_SECS * 5)) -i 0.2 -W 1 -q 198.19.50.2 \
	>"$TMPD/ping.out" 2>&1 &
ping_pid=$!
# The flood reaches its size before the measuring starts.
busywait 5000 grep -q '^full' "$TMPD/flood.out"
check_err $? "the flood never had $FLOOD_CLIENTS clients open: $(cat "$TMPD/flood.out")"

shows=0 slow=0 worst=0
while read -r rc ms msg; do
	shows=$((shows + 1))
	[ "${ms:-99999}" -gt "$worst" ] && worst=${ms:-99999}
	if [ "$rc" != 0 ] || [ "${ms:-99999}" -gt "$SHOW_MAX_MS" ]; then
		slow=$((slow + 1))
		diag "link show #$shows: rc $rc, $ms ms $msg"
	fi
done < <(timed_shows $((FLOOD_SECS - 2)))
tcp_transfer "$HA" "$HB" 198.19.50.2 2000000 20
tcp_rc=$?
wait "$flood_pid"
check_err $? "ctl_abuse.py flood failed: $(cat "$TMPD/flood.out")"
wait "$ping_pid"
read -r _ peak _ connects < <(grep '^peak' "$TMPD/flood.out")
diag "flood: peak $peak open clients, $connects connects; $shows shows, worst $worst ms"

[ "${peak:-0}" -ge "$FLOOD_CLIENTS" ]
check_err $? "the flood reached only ${peak:-0} concurrent clients: $(cat "$TMPD/flood.out")"
[ "$shows" -ge 10 ] && [ "$slow" = 0 ]
check_err $? "$slow of $shows link show took over $SHOW_MAX_MS ms or failed (worst $worst ms)"
log_test "$FLOOD_CLIENTS abusive clients: every link show within $SHOW_MAX_MS ms"

received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMPD/ping.out")
[ "${received:-0}" -ge $((FLOOD_SECS * 5 * 9 / 10)) ]
check_err $? "ping through a0 during the flood: $(tail -n 2 "$TMPD/ping.out")"
[ "$tcp_rc" = 0 ]
check_err $? "TCP through a0 during the flood: $XFER_MSG"
check_datapath a0
log_test "traffic through a0 during the flood: ping answered, TCP complete"

ufoud_alive "$HA"
check_err $? "ufoud died under the flood"
run_cmd ufou_in "$HA" fou show
check_err $? "fou show after the flood: $CMD_OUT"
grep -q "port 5555" <<<"$CMD_OUT"
check_err $? "port 5555 missing after the flood: $CMD_OUT"
# Every client is gone (closed by the flood's end or the deadline): the
# daemon holds as many descriptors as before, and its memory is back near
# where it was (a buffer per client would not be). Sanitizer builds keep
# freed memory in quarantine, so there only the descriptors are compared.
busywait 4000 bash -c "[ \$(ls /proc/$PID/fd | wc -l) -le $fds0 ]"
check_err $? "$(ls "/proc/$PID/fd" | wc -l) descriptors open after the flood, $fds0 before"
if [ "${SANITIZED:-0}" != 1 ]; then
	busywait 4000 bash -c "[ \$(awk '\$1 == \"VmRSS:\" { print \$2 }' /proc/$PID/status) -le $((rss0 + 8192)) ]"
	check_err $? "VmRSS $(rss_kb "$PID") kB after the flood, $rss0 kB before"
fi
log_test "after the flood: the daemon serves, every client is closed, memory is back"

exit "$EXIT_STATUS"
