#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs every built libFuzzer target (build-fuzz/fuzz/fuzz_*) for SECONDS on
# a scratch copy of its seed corpus (the committed corpus never grows).
# Prints "ok - fuzz T (N execs)" / "not ok - fuzz T" and exits non-zero on
# any crash; crash inputs and logs are kept under $FUZZ_OUT (default /tmp).
# The fast-path targets (bpf, bpf_encap) load BPF programs and bpf_encap
# makes a network namespace of its own: without root they are skipped.
#   tests/fuzz/smoke.sh [SECONDS]      (build first: make fuzz-build)
set -u
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-5}
BIN=${FUZZ_BIN:-build-fuzz/fuzz}
OUT=$(mktemp -d "${FUZZ_OUT:-/tmp}/ufou-fuzz.XXXXXX")
fail=0 n=0

for t in "$BIN"/fuzz_*; do
	[ -x "$t" ] || continue
	name=${t##*/}
	name=${name#fuzz_}
	n=$((n + 1))
	case $name in
	bpf | bpf_encap)
		if [ "$(id -u)" -ne 0 ]; then
			echo "ok - fuzz $name # SKIP needs root (BPF, network namespace)"
			continue
		fi
		;;
	esac
	work=$OUT/$name
	mkdir -p "$work/corpus" "$work/crash"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -r "tests/fuzz/corpus/$name/." "$work/corpus/"
	fi
	"$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$work/crash/" "$work/corpus" \
		>"$work/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
	if [ $rc -eq 0 ] && [ -n "$execs" ]; then
		echo "ok - fuzz $name (${execs} execs)"
	else
		echo "not ok - fuzz $name (exit $rc; log $work/log; inputs $work/crash/)"
		grep -m5 -E 'ERROR|SUMMARY|runtime error|deadly signal' "$work/log" |
			sed 's/^/#   /'
		fail=$((fail + 1))
	fi
done
if [ $n -eq 0 ]; then
	echo "not ok - fuzz: no targets in $BIN (run make fuzz-build)"
	exit 1
fi
if [ $fail -eq 0 ]; then
	rm -rf "$OUT"
fi
echo "$((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
