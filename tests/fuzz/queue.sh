#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs fuzzing campaigns from a queue file, one after another, niced, and
# commits each one's minimised corpus with its hours.tsv row, so a session
# that ends mid-queue loses at most the chunk that was running. Start one
# queue per core; the file is re-read before each chunk, so lines can be
# added or removed while it runs (write a new file and mv it over).
#
#   tests/fuzz/queue.sh QUEUE_FILE     lines "TARGET SECONDS"; # comments
#
# A chunk that finds something (campaign.sh exits non-zero) stops the
# queue without a commit: the crashing input is named in its output.
set -u
queue=$(realpath "$1") || exit 2
cd "$(dirname "$0")/../.."
lock=$(git rev-parse --git-dir)/ufou-fuzz.lock

next_line()
{
	grep -m1 -vE '^[[:space:]]*(#|$)' "$queue" 2>/dev/null
}

drop_line()
{
	awk -v l="$1" '!done && $0 == l { done = 1; next } 1' "$queue" >"$queue.new" &&
		mv "$queue.new" "$queue"
}

while line=$(next_line) && [ -n "$line" ]; do
	drop_line "$line"
	read -r target secs <<<"$line"
	echo "$(date -u +%T) $target $secs s"
	nice -n 19 tests/fuzz/campaign.sh "$target" "$secs" || {
		echo "$0: $target: campaign exited $?, queue stopped, nothing committed" >&2
		exit 1
	}
	row=$(grep -P "\t$target\t" tests/fuzz/hours.tsv | tail -n1)
	# The row campaign.sh just filed says it all (a failed merge included).
	IFS=$'\t' read -r _ _ _ cpu execs before after found <<<"$row"
	# Under a lock: two queues share the index.
	# (add first: a path commit takes only files git already knows.)
	flock "$lock" sh -c 'git add -A -- "$1" "$2" &&
		git commit -q -m "$3" -- "$1" "$2"' sh "tests/fuzz/corpus/$target" tests/fuzz/hours.tsv \
		"fuzz: $target $cpu s CPU ($execs executions, corpus $before -> $after), findings: $found" ||
		echo "$0: $target: commit failed, the row and corpus are in the tree" >&2
done
