#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite, as CI runs it (as root, on a fresh Debian 12):
#   1. installs what is missing, builds with warnings as errors;
#   2. unit tests + network-namespace tests;
#   3. the same suite built with ASan+UBSan (any sanitizer report fails);
#   4. a short smoke run of every libFuzzer target from its seed corpus;
#   5. the kernel interop suite (qemu guest running Linux's fou/gue), when present.
# Ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
t0=$(date +%s)
total_pass=0 total_fail=0
stage() { # stage NAME CMD...: runs CMD, adds its "N passed, N failed" line
	local name=$1 log line p f rc
	shift
	log=$(mktemp /tmp/ufou-stage.XXXXXX)
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
	rm -f "$log"
	if [ -n "$line" ]; then
		p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
	else
		p=0; f=1; echo "not ok - stage $name produced no summary (exit $rc)"
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - stage $name exited $rc"; fi
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
	echo "=== $name: $p passed, $f failed ($(($(date +%s) - t0)) s elapsed)"
}
build_stage() {
	if make -j"$(nproc)" all units; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
}
scripts/deps.sh test tools || { echo "0 passed, 1 failed"; exit 1; }
stage build build_stage
stage tests env BUILD=build tests/run.sh unit netns tools
stage asan make --no-print-directory asan SUITES="unit netns"
stage fuzz make --no-print-directory fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-5}"
if ls tests/interop/test_*.sh >/dev/null 2>&1 && [ "${UFOU_SKIP_INTEROP:-0}" != 1 ]; then
	stage interop env BUILD=build tests/run.sh interop
fi
echo "total time $(($(date +%s) - t0)) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
