#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ufoud -c FILE, then SIGHUP (systemd's ExecReload) after the file changed:
#
#   HA eth0 198.18.0.1 fd00:18::1 ======= HB eth0 198.18.0.2 fd00:18::2
#   HA: ufoud -c FILE               HB: the same tunnels, added with ufou
#
#  - the file's unchanged link keeps its device (same ifindex) and carries a
#    ping across the reload without losing one;
#  - a link whose settings changed (ttl) is changed in place (same ifindex);
#  - a link gone from the file is gone, a new one is there;
#  - a link added at runtime with `ufou link add` stays;
#  - a broken file is refused, with FILE:LINE in the log, and nothing moves;
#  - a port the system refuses (in use) stops the reload there, and the log
#    says what was applied;
#  - kill -9 and a start with the same command line (-c FILE -s STATE): what
#    the reloads made comes back, not the file's first version, what the
#    system refused is applied now, and a SIGHUP after it reloads cleanly.

# shellcheck disable=SC2034
source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping; do require_command "$c"; done

CONF=$TMPD/ufou.conf
STATE=$TMPD/ha.state
PORT_LINE="fou add port 5555 ipproto 4"
KEEP="link add name keep0 type ipip remote 198.18.0.2 local 198.18.0.1 encap fou encap-sport auto encap-dport 5555"
CHG="link add name chg0 type sit remote 198.18.0.2 local 198.18.0.1 encap fou encap-sport auto encap-dport 5556"
GONE="link add name gone0 type ip6tnl remote fd00:18::2 local fd00:18::1 encap fou encap-sport auto encap-dport 5557"
NEW="link add name new0 type ipip remote 198.18.0.9 local 198.18.0.1 encap fou encap-sport auto encap-dport 5555"

ifindex() { ip -n "$HA" -j link show dev "$1" 2>/dev/null | jq -r '.[0].ifindex // empty'; }
reloads() { grep -c "${1:-reloaded:}" "${UFOUD_LOG[$HA]}"; }
_reloads_gt() { [ "$(reloads "$1")" -gt "$2" ]; }
links() { ufou_in "$HA" link show | sort; }

# hup [PATTERN]: SIGHUP to HA's ufoud, then wait for its log line (default: reloaded).
hup()
{
	local pat=${1:-reloaded:} seen
	seen=$(reloads "$pat")
	kill -HUP "${UFOUD_PID[$HA]}"
	slowwait 5 _reloads_gt "$pat" "$seen"
}

printf '%s\n' "# the demo file" "$PORT_LINE" "$KEEP" "$CHG" "$GONE" >"$CONF"
if ! { setup_two_hosts && start_ufoud "$HA" -c "$CONF" -s "$STATE" && start_ufoud "$HB"; }; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi
run_cmd ufou_in "$HB" fou add port 5555 ipproto 4
check_err $? "HB: fou add: $CMD_OUT"
run_cmd ufou_in "$HB" link add name keep0 type ipip remote 198.18.0.1 local 198.18.0.2 \
	encap fou encap-sport auto encap-dport 5555
check_err $? "HB: link add keep0: $CMD_OUT"
for ns in "$HA" "$HB"; do
	busywait 3000 ip -n "$ns" link show dev keep0 >/dev/null
	ip -n "$ns" link set keep0 up
done
ip -n "$HA" addr add 198.19.0.1/24 dev keep0
ip -n "$HB" addr add 198.19.0.2/24 dev keep0
ping_ok "$HA" 198.19.0.2
check_err $? "no ping through keep0 before the reload"
run_cmd ufou_in "$HA" link add name rt0 type ipip remote 198.18.0.8 local 198.18.0.1 \
	encap fou encap-sport auto encap-dport 5555
check_err $? "runtime link add rt0: $CMD_OUT"
log_test "ufoud -c FILE, a tunnel from the file carries traffic, a runtime link added"

keep_idx=$(ifindex keep0)
chg_idx=$(ifindex chg0)
[ -n "$keep_idx" ] && [ -n "$chg_idx" ] && [ -n "$(ifindex gone0)" ]
check_err $? "the file's devices are missing: $(links)"

# The edit: chg0's ttl, gone0 out, new0 in; keep0 and the port as they were.
printf '%s\n' "# the demo file, edited" "$PORT_LINE" "$KEEP" "$CHG ttl 64" "$NEW" >"$CONF"
PINGLOG=$TMPD/ping.log
ip netns exec "$HA" ping -c 40 -i 0.05 -W 1 198.19.0.2 >"$PINGLOG" 2>&1 &
ping_pid=$!
sleep 0.5
hup
check_err $? "no \"reloaded\" line after SIGHUP; log: $(tail -n 5 "${UFOUD_LOG[$HA]}")"
wait "$ping_pid"
grep -q " 0% packet loss" "$PINGLOG"
check_err $? "ping through keep0 across the reload lost packets: $(tail -n 2 "$PINGLOG")"
grep -q "reloaded: 2 unchanged, 1 changed in place, 0 replaced, 1 added, 1 removed" \
	"${UFOUD_LOG[$HA]}"
check_err $? "reload summary: $(grep reloaded: "${UFOUD_LOG[$HA]}" | tail -n 1)"
log_test "SIGHUP: the unchanged link carries a ping across the reload without a loss"

[ "$(ifindex keep0)" = "$keep_idx" ]
check_err $? "keep0's device changed: ifindex $keep_idx -> $(ifindex keep0)"
[ "$(ifindex chg0)" = "$chg_idx" ]
check_err $? "chg0 was not changed in place: ifindex $chg_idx -> $(ifindex chg0)"
ufou_in "$HA" -j link show | jq -e '.[] | select(.ifname == "chg0") | .linkinfo.info_data.ttl == 64' >/dev/null
check_err $? "chg0 has no ttl 64: $(ufou_in "$HA" link show chg0)"
[ -z "$(ifindex gone0)" ] && ! ufou_in "$HA" link show gone0 >/dev/null 2>&1
check_err $? "gone0 is still there"
[ -n "$(ifindex new0)" ] && [ -n "$(ifindex rt0)" ]
check_err $? "new0 or the runtime rt0 missing: $(links)"
log_test "SIGHUP: same ifindex unchanged and in place, removed gone, new added, runtime kept"

before=$(links)
idx_before="$(ifindex keep0) $(ifindex chg0) $(ifindex new0) $(ifindex rt0)"
printf '%s\n' "$PORT_LINE" "$KEEP" "link add name bad0 type ipip frobnicate 1" >"$CONF"
hup "reload refused"
check_err $? "no \"reload refused\" line after a broken file"
grep -q "$CONF:3: unknown keyword \"frobnicate\"" "${UFOUD_LOG[$HA]}"
check_err $? "the log does not name $CONF:3 and the token: $(tail -n 3 "${UFOUD_LOG[$HA]}")"
[ "$(links)" = "$before" ]
check_err $? "links changed after a refused reload: $(links)"
[ "$idx_before" = "$(ifindex keep0) $(ifindex chg0) $(ifindex new0) $(ifindex rt0)" ]
check_err $? "devices changed after a refused reload"
ping_ok "$HA" 198.19.0.2
check_err $? "keep0 does not carry traffic after a refused reload"
ufoud_alive "$HA"
check_err $? "ufoud died"
log_test "SIGHUP with a broken file: refused with FILE:LINE, nothing changes"

# The file is fine, the system says no: UDP 5570 is taken by another program.
ip netns exec "$HA" python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5570)); time.sleep(60)' &
holder=$!
defer kill "$holder"
slowwait 5 eval 'ip netns exec "$HA" ss -Hlun | grep -q ":5570 "'
printf '%s\n' "$PORT_LINE" "fou add port 5570 gue" "$KEEP" "$CHG ttl 64" "$NEW" \
	"link add name late0 type ipip remote 198.18.0.7 local 198.18.0.1 encap fou encap-dport 5570" \
	>"$CONF"
hup "reload stopped at that error"
check_err $? "no \"reload stopped\" line with port 5570 in use: $(tail -n 3 "${UFOUD_LOG[$HA]}")"
grep -q "$CONF:2: port 5570: " "${UFOUD_LOG[$HA]}"
check_err $? "the refusal does not name $CONF:2: $(tail -n 3 "${UFOUD_LOG[$HA]}")"
! ufou_in "$HA" fou show | grep -q "port 5570" && [ -z "$(ifindex late0)" ] &&
	[ "$(ifindex keep0)" = "$keep_idx" ] && [ -n "$(ifindex rt0)" ]
check_err $? "after the stopped reload: $(ufou_in "$HA" fou show) / $(links)"
ping_ok "$HA" 198.19.0.2
check_err $? "keep0 does not carry traffic after a stopped reload"
kill "$holder"; wait "$holder" 2>/dev/null
log_test "SIGHUP with a port in use: stops there, says so, shows what runs"

pid=${UFOUD_PID[$HA]}
kill -KILL "$pid"
slowwait 5 _pid_gone "$pid"
wait "$pid" 2>/dev/null
unset "UFOUD_PID[$HA]"
start_ufoud "$HA" -c "$CONF" -s "$STATE"
check_err $? "no restart after kill -9: $(tail -n 3 "${UFOUD_LOG[$HA]}")"
ufou_in "$HA" -j link show | jq -e '.[] | select(.ifname == "chg0") | .linkinfo.info_data.ttl == 64' >/dev/null
check_err $? "after the restart chg0 lost the reload's ttl 64: $(ufou_in "$HA" link show chg0)"
[ "$(ifindex keep0)" = "$keep_idx" ] && [ -n "$(ifindex rt0)" ] && [ -n "$(ifindex new0)" ] &&
	[ -z "$(ifindex gone0)" ]
check_err $? "after the restart: $(links)"
[ -n "$(ifindex late0)" ] && ufou_in "$HA" fou show | grep -q "port 5570"
check_err $? "the file's late0 / port 5570, refused before, not applied at restart: $(links)"
hup
check_err $? "no clean reload after the restart: $(tail -n 3 "${UFOUD_LOG[$HA]}")"
grep "reloaded:" "${UFOUD_LOG[$HA]}" | tail -n 1 | grep -q "0 added, 0 removed"
check_err $? "the reload after the restart changed things: $(grep reloaded: "${UFOUD_LOG[$HA]}" | tail -n 1)"
ping_ok "$HA" 198.19.0.2
check_err $? "keep0 does not carry traffic after the restart"
log_test "kill -9, same command line: the reloaded settings come back; a SIGHUP then changes nothing"

stop_ufoud "$HA"
check_err $? "ufoud did not exit 0 on SIGTERM"
[ -z "$(ifindex keep0)$(ifindex rt0)" ]
check_err $? "devices left after SIGTERM"
log_test "SIGTERM after reloads: exit 0, every device gone"
