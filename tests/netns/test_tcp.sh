#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Bulk TCP through the tunnel: 20 MB of random bytes from HA to HB (socat),
# sha256 compared at the far end, under a time bound, for a few
# representative link/encap combinations:
#
#   HA tcp0 198.19.1.1 / fd00:1:1::1  ==(ufoud)== eth0 ==(ufoud)== HB tcp0 .2 / ::2
#
# UFOU_TCP_BYTES overrides the size (default 20000000), UFOU_TCP_TIMEOUT the
# bound per transfer in seconds (default 120).

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping socat sha256sum ss; do require_command "$c"; done

BYTES=${UFOU_TCP_BYTES:-20000000}
TMO=${UFOU_TCP_TIMEOUT:-120}

# name | type words | outer family | encap words | port | port args | inner addr family
CASES=(
	"ipip/fou|ipip|4|encap fou|5555|ipproto 4|4"
	"gre/gue|gre|4|encap gue|5556|gue|4"
	"ip6tnl-ip6ip6/fou|ip6tnl mode ip6ip6|6|encap fou|5557|ipproto 41 -6|6"
	"gretap/fou|gretap|4|encap fou|5558|ipproto 47|4"
	"ipip/gue-remcsum|ipip|4|encap gue encap-remcsum encap-csum|5559|gue|4"
)

if ! { setup_two_hosts && start_ufoud "$HA" && start_ufoud "$HB"; }; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi

n=0
for c in "${CASES[@]}"; do
	IFS='|' read -r name typewords fam encw port portargs inner <<<"$c"
	n=$((n + 1))
	read -r -a pa <<<"$portargs"
	tunnel_pair "tcp$n" "$n" "$fam" "$inner" "$port" "$portargs" "$typewords" "$encw"
	if [ "$inner" = 4 ]; then dst=198.19.$n.2; else dst=fd00:1:$n::2; fi
	if [ "$RET" -eq 0 ]; then
		slowwait 5 ping_ok "$HA" "$dst" >/dev/null
		check_err $? "no ping through tcp$n to $dst"
	fi
	if [ "$RET" -eq 0 ]; then
		rx0=$(link_counter "$HB" "tcp$n" .stats64.rx.bytes)
		tcp_transfer "$HA" "$HB" "$dst" "$BYTES" "$TMO"
		check_err $? "$XFER_MSG"
		# The bytes really crossed the daemon: HB's link received them.
		rx1=$(link_counter "$HB" "tcp$n" .stats64.rx.bytes)
		[ $((rx1 - rx0)) -ge "$BYTES" ] 2>/dev/null
		check_err $? "HB tcp$n rx bytes grew by $((rx1 - rx0)), less than $BYTES"
		check_datapath "tcp$n"
		if [ "$RET" -eq 0 ]; then
			diag "$name: $BYTES bytes in ${XFER_SECS}s" \
				"($(awk -v b="$BYTES" -v s="$XFER_SECS" 'BEGIN { if (s > 0) printf "%.1f", b / s / 1e6; else print "?" }') MB/s)"
		fi
	fi
	[ "$RET" -ne 0 ] && retmsg+=$'\n'"HA: $(ufou_in "$HA" -s link show "tcp$n" 2>&1 | tr '\n' ' ')"
	log_test "$name: $BYTES bytes TCP, sha256 verified"
	for ns in "$HA" "$HB"; do
		ufou_in "$ns" link del "tcp$n" >/dev/null 2>&1
		ufou_in "$ns" fou del port "$port" "${pa[@]:2}" >/dev/null 2>&1
	done
done

exit $EXIT_STATUS
