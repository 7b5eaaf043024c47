# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP for the tests/tools scripts that check step by step (test_deb.sh,
# test_systemd.sh); sourced, not run (no test_ prefix: tests/run.sh skips it).
#   tap RC NAME [DIAG]  one result: "ok N - FILE: NAME" when RC is 0, else
#                       "not ok N - FILE: NAME" with DIAG's lines as "#   "
#                       comments under it;
#   finish              the plan line "1..N", then exit: 1 if any failed.
# FILE is the sourcing script's name without .sh; n and fails count.
# Sourcing it prints the TAP header.
n=0 fails=0
TAP_FILE=$(basename "$0" .sh)

tap() { # tap RC NAME [DIAG]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $TAP_FILE: $2"
	else
		echo "not ok $n - $TAP_FILE: $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
}

finish() { echo "1..$n"; [ "$fails" -eq 0 ]; exit; }

echo "TAP version 13"
