#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `ufou link show` tells what the kernel has, not what ufou last set:
#
#   HA sh0 (ipip over FOU, port 5555) -- veth -- HB (only the underlay)
#
# 1. a new link: mtu 1472 (text and JSON), up, flags UP;
# 2. `ip link set sh0 mtu 1400`: show says 1400 (text and JSON); `ufou link
#    set sh0 mtu 1472` (the MTU ufou gave it) sets 1472 again;
# 3. `ip link set sh0 down` / `up`: show says down / up, JSON flags follow;
# 4. `ufou link set sh0 down` / `up`: ip(8) sees the device go down / up;
# 5. show's text is words add takes: the link deleted and added again
#    from them comes back with the same show (mtu 1400, down);
# 6. `ip link set sh0 name sh9`: show names sh9 (the link follows its
#    device), and the old name is unknown.

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq; do require_command "$c"; done

# show_text NS NAME: the link's `ufou link show` line.
show_text()
{
	ufou_in "$1" link show "$2" 2>&1
}

# show_json NS NAME JQ: JQ of the link's `ufou -j link show` object.
show_json()
{
	ufou_in "$1" -j link show "$2" 2>/dev/null | jq -r ".[0] | $3"
}

# kernel_up NS DEV: the device has IFF_UP as ip(8) reads it.
kernel_up()
{
	ip -n "$1" -j link show dev "$2" | jq -e '.[0].flags | index("UP") != null' >/dev/null
}

# shows NS NAME TEXT_RE JQ_TEST: text matches TEXT_RE and JQ_TEST holds on JSON.
shows()
{
	show_text "$1" "$2" | grep -qE "$3" &&
		ufou_in "$1" -j link show "$2" | jq -e ".[0] | $4" >/dev/null
}

setup_two_hosts || exit "$ksft_fail"
start_ufoud "$HA" || exit "$ksft_fail"
run_cmd ufou_in "$HA" fou add port 5555 ipproto 4
run_cmd ufou_in "$HA" link add name sh0 type ipip remote "$HB_V4" local "$HA_V4" \
	encap fou encap-sport auto encap-dport 5555
check_err $? "link add sh0: $CMD_OUT"
busywait 3000 ip -n "$HA" link show dev sh0 >/dev/null
check_err $? "device sh0 missing"
shows "$HA" sh0 ' mtu 1472 up( |$)' '.mtu == 1472 and (.flags | index("UP") != null)'
check_err $? "new link: $(show_text "$HA" sh0) | $(show_json "$HA" sh0 '[.mtu, .flags]' | tr -d '\n ')"
log_test "a new link shows mtu 1472 and up"

ip -n "$HA" link set dev sh0 mtu 1400
check_err $? "ip link set sh0 mtu 1400 failed"
[ "$(dev_mtu "$HA" sh0)" = 1400 ]
check_err $? "the kernel has mtu $(dev_mtu "$HA" sh0), not 1400"
shows "$HA" sh0 ' mtu 1400 ' '.mtu == 1400'
check_err $? "after ip link set mtu 1400: $(show_text "$HA" sh0) | json mtu $(show_json "$HA" sh0 .mtu)"
log_test "an MTU set with ip(8) shows (text and JSON)"

# ufou link set ... mtu N reaches the device even when N is what ufou set before.
run_cmd ufou_in "$HA" link set sh0 mtu 1472
check_err $? "ufou link set sh0 mtu 1472: $CMD_OUT"
[ "$(dev_mtu "$HA" sh0)" = 1472 ]
check_err $? "after ufou link set sh0 mtu 1472 the kernel has mtu $(dev_mtu "$HA" sh0)"
shows "$HA" sh0 ' mtu 1472 ' '.mtu == 1472'
check_err $? "after ufou link set mtu 1472: $(show_text "$HA" sh0)"
ip -n "$HA" link set dev sh0 mtu 1400
log_test "ufou link set mtu overrides ip(8)'s"

ip -n "$HA" link set dev sh0 down
shows "$HA" sh0 ' mtu 1400 down( |$)' '(.flags | index("UP")) == null'
check_err $? "after ip link set down: $(show_text "$HA" sh0) | $(show_json "$HA" sh0 .flags | tr -d '\n ')"
ip -n "$HA" link set dev sh0 up
shows "$HA" sh0 ' mtu 1400 up( |$)' '(.flags | index("UP")) != null'
check_err $? "after ip link set up: $(show_text "$HA" sh0) | $(show_json "$HA" sh0 .flags | tr -d '\n ')"
log_test "down and up set with ip(8) show"

run_cmd ufou_in "$HA" link set sh0 down
check_err $? "ufou link set sh0 down: $CMD_OUT"
! kernel_up "$HA" sh0
check_err $? "ip(8) still sees sh0 up after ufou link set sh0 down"
run_cmd ufou_in "$HA" link set sh0 up
check_err $? "ufou link set sh0 up: $CMD_OUT"
kernel_up "$HA" sh0
check_err $? "ip(8) sees sh0 down after ufou link set sh0 up"
log_test "ufou link set up|down reaches the device"

# The show line of a down link with an MTU of ip's, replayed as an add,
# every word of it: "datapath P" (no setting: ufoud -D picks the path) is
# only in -d's line, which is the plain one and that.
ip -n "$HA" link set dev sh0 down
before=$(show_text "$HA" sh0)
detail=$(ufou_in "$HA" -d link show sh0)
want=$(ufou_in "$HA" -j link show sh0 | jq -r '.[0].datapath')
[ "$detail" = "$before datapath $want" ] && [[ $before != *datapath* ]] &&
	[ "$(ufou_in "$HA" -sd link show sh0 | head -n 1)" = "$detail" ]
check_err $? "-d link show: '$detail', plain: '$before', -j datapath: '$want'"
run_cmd ufou_in "$HA" link del sh0
check_err $? "link del sh0: $CMD_OUT"
words=${before#sh0: }
read -r -a words <<<"$words"
run_cmd ufou_in "$HA" link add name sh0 "${words[@]}"
check_err $? "link add name sh0 ${words[*]}: $CMD_OUT"
after=$(show_text "$HA" sh0)
[ "$after" = "$before" ]
check_err $? "show after re-adding from its words: '$after', before: '$before'"
! kernel_up "$HA" sh0 && [ "$(dev_mtu "$HA" sh0)" = 1400 ]
check_err $? "re-added sh0: ip(8) sees mtu $(dev_mtu "$HA" sh0), up: $(kernel_up "$HA" sh0 && echo yes)"
log_test "show's words re-create the link (mtu 1400, down); -d adds datapath"

ip -n "$HA" link set dev sh0 name sh9
check_err $? "ip link set sh0 name sh9 failed"
shows "$HA" sh9 '^sh9: .* mtu 1400 down( |$)' '.ifname == "sh9"'
check_err $? "after the rename: $(show_text "$HA" sh9)"
out=$(ufou_in "$HA" link show sh0 2>&1)
check_fail $? "link show sh0 after the rename to sh9 succeeded: $out"
log_test "a device renamed with ip(8) shows under its new name"

exit "$EXIT_STATUS"
