#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A fuzzing campaign's unit of work: runs one libFuzzer target for SECONDS
# from the committed corpus (plus any older scratch corpora named after
# it), then minimises everything it has into tests/fuzz/corpus/<target>/
# (libFuzzer -merge=1: the smallest set with the same coverage) and files
# one row in tests/fuzz/hours.tsv. Unlike smoke.sh it grows the tree's
# corpus: that is its job. CI's smoke run then starts from what it found.
#
# The hours that count are CPU seconds (user+sys of the fuzzer), not wall
# time: campaigns share the machine with other work and run niced.
#
#   tests/fuzz/campaign.sh TARGET SECONDS [OLD_CORPUS_DIR...]
#   tests/fuzz/campaign.sh --report      cumulative hours per target
#
# A crash stops the run: its input is kept in $FUZZ_OUT/<target>/crash/,
# the row says "crash", and the corpus is still merged (a crashing input
# is never added to a corpus).
set -u
cd "$(dirname "$0")/../.."
LEDGER=tests/fuzz/hours.tsv
BIN=${FUZZ_BIN:-build-fuzz/fuzz}

report() {
	# Sums by target; rows without a CPU figure (older notes) count wall,
	# and how much of a total they make is printed so it is never hidden.
	awk -F'\t' '
	/^#/ || NF < 8 { next }
	{
		s = ($4 == "-") ? $3 : $4
		cpu[$2] += s; ex[$2] += $5; n[$2]++
		if ($4 == "-") wo[$2] += $3
	}
	END {
		for (t in cpu)
			printf "%-10s %6.2f h  %12.0f execs  %d runs%s%s\n", t,
				cpu[t] / 3600, ex[t], n[t],
				(wo[t] ? sprintf("  (%.2f h of it wall-only rows)", wo[t] / 3600) : ""),
				(cpu[t] >= 3600 ? "" : "  (short of 1 h)")
	}' "$LEDGER" | sort
	for t in "$BIN"/fuzz_*; do
		t=${t##*/fuzz_}
		grep -q "	$t	" "$LEDGER" || echo "$t  0 h  (never run)"
	done
}

if [ "${1:-}" = --report ]; then
	report
	exit 0
fi
if [ $# -lt 2 ]; then
	echo "usage: $0 TARGET SECONDS [OLD_CORPUS_DIR...] | --report" >&2
	exit 2
fi
name=$1 secs=$2
shift 2
bin=$BIN/fuzz_$name
tree=tests/fuzz/corpus/$name
if [ ! -x "$bin" ]; then
	echo "$0: no target $bin (make fuzz-build)" >&2
	exit 2
fi
work=$(mktemp -d "${FUZZ_OUT:-/tmp}/ufou-campaign-$name.XXXXXX")
mkdir -p "$work/grow" "$work/crash" "$work/merged" "$tree"
cp -r "$tree/." "$work/grow/"
before=$(find "$tree" -type f | wc -l)

TIMEFORMAT='%R %U %S'
{ time "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix="$work/crash/" \
	"$work/grow" "$@" >"$work/log" 2>&1; } 2>"$work/time"
rc=$?
read -r wall user sys <"$work/time"
cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", u + s }')
wall=${wall%.*}
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
found=none
if [ $rc -ne 0 ]; then
	found="crash(exit $rc, $work/crash)"
	grep -m5 -E 'ERROR|SUMMARY|runtime error|deadly signal' "$work/log" >&2
fi

# Minimise the old corpus, what this run grew and any older scratch
# corpora into one set; only a merge that succeeded replaces the tree's.
if "$bin" -merge=1 -timeout=10 -rss_limit_mb=2048 "$work/merged" \
	"$tree" "$work/grow" "$@" >"$work/merge.log" 2>&1 &&
	[ -n "$(ls -A "$work/merged")" ]; then
	find "$tree" -type f -delete
	cp "$work/merged/"* "$tree/"
else
	echo "$0: merge failed, corpus left as it was ($work/merge.log)" >&2
	found="$found; merge failed"
fi
after=$(find "$tree" -type f | wc -l)
[ -s "$LEDGER" ] || printf '#date\ttarget\twall_s\tcpu_s\texecs\tcorpus_before\tcorpus_after\tfindings\n' >"$LEDGER"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$name" "$wall" "$cpu" \
	"${execs:-0}" "$before" "$after" "$found" >>"$LEDGER"
echo "fuzz $name: ${wall}s wall, ${cpu}s cpu, ${execs:-0} execs, corpus $before -> $after, findings: $found"
[ $rc -eq 0 ] && rm -rf "$work"
exit $rc
