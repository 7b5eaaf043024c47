#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs the test suites and ends with "N passed, N failed".
#   tests/run.sh [unit] [netns] [tools] [interop] [FILE...]   (default: unit netns)
# A FILE (tests/DIR/test_*.sh) runs alone, as its suite would run it: a
# netns file once per data path. `make soak` runs tests/netns/test_soak.sh so.
# tools: what ships around the binaries (man pages, completion, package,
# systemd unit, dissector, exporter), each file run once.
# BUILD selects the build directory (build, build-asan). With SANITIZED=1,
# any sanitizer report in any process (daemon included) fails the run.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
SUITES=${*:-unit netns}
LOGDIR=$BUILD/test-logs
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
export UFOU_TEST_LOGDIR=$PWD/$LOGDIR
if [ "${SANITIZED:-0}" = 1 ]; then
	export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:log_path=$PWD/$LOGDIR/asan:exitcode=66"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$PWD/$LOGDIR/ubsan:exitcode=66"
fi
pass=0 fail=0

count() { # count FILE: add TAP ok / not ok lines of FILE
	local p f
	p=$(grep -c '^ok ' "$1" || true)
	f=$(grep -c '^not ok ' "$1" || true)
	pass=$((pass + p)); fail=$((fail + f))
}

run_unit() {
	local t log rc
	while IFS= read -r t; do
		log=$LOGDIR/$(echo "${t#"$BUILD"/}" | tr / _).log
		timeout 300 "$t" >"$log" 2>&1
		rc=$?
		count "$log"
		if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$log"; then
			echo "not ok - $t exited $rc" >>"$log"; fail=$((fail + 1))
		fi
		grep -E '^(not ok|# )' "$log" | sed "s|^|  ${t##*/}: |" | head -40
		echo "$(grep -c '^ok ' "$log") ok, $(grep -c '^not ok ' "$log") not ok: ${t#"$BUILD"/}"
	done < <(find "$BUILD/tests/unit" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort)
}

# run_scripts DIR [DATAPATH...]: each file once per data path (UFOU_DATAPATH);
# a file that names its own with a "# ufou-datapaths: P..." line runs on those.
run_scripts() {
	local dir=$1 t
	shift
	for t in "$dir"/test_*.sh; do
		[ -f "$t" ] || continue
		run_file "$t" "$@"
	done
}

run_file() { # run_file FILE [DATAPATH...]
	local t=$1 dp only
	shift
	only=$(sed -n 's/^# ufou-datapaths: //p' "$t" | head -n1)
	for dp in "${@:-}"; do
		if [ -n "$dp" ] && [ -n "$only" ] && [[ " $only " != *" $dp "* ]]; then
			continue
		fi
		run_one "$t" "$dp"
	done
}

run_one() { # run_one FILE DATAPATH
	local t=$1 dp=$2 log rc t0=$SECONDS
	log=$LOGDIR/$(basename "$t")${dp:+.$dp}.log
	echo "== $t${dp:+ (-D $dp)}"
	UFOU_DATAPATH=$dp timeout "${UFOU_SCRIPT_TIMEOUT:-1800}" bash "$t" 2>&1 | tee "$log" |
		grep -E '^(ok|not ok|#)' | sed "s/^\(ok\|not ok\) \([0-9]*\) - /\1 \2 - ${dp:+[$dp] }/"
	rc=${PIPESTATUS[0]}
	count "$log"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - $t${dp:+ (-D $dp)} exited $rc"; fail=$((fail + 1))
	fi
	# Where CI's time goes, file by file (the aim is 20 minutes in all).
	echo "# time: $t${dp:+ (-D $dp)}: $((SECONDS - t0)) s"
}

for s in $SUITES; do
	case $s in
	unit) run_unit ;;
	netns) run_scripts tests/netns ${UFOU_DATAPATHS:-tun bpf} ;;
	tools) run_scripts tests/tools ;;
	interop) run_scripts tests/interop ;;
	tests/netns/test_*.sh) run_file "$s" ${UFOU_DATAPATHS:-tun bpf} ;;
	tests/*/test_*.sh) run_file "$s" ;;
	*) echo "unknown suite $s" >&2; exit 2 ;;
	esac
done

if [ "${SANITIZED:-0}" = 1 ]; then
	if ls "$LOGDIR"/asan.* "$LOGDIR"/ubsan.* >/dev/null 2>&1; then
		echo "not ok - sanitizer reports:"; head -50 "$LOGDIR"/asan.* "$LOGDIR"/ubsan.* 2>/dev/null
		fail=$((fail + 1))
	else
		echo "ok - no sanitizer reports"; pass=$((pass + 1))
	fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
