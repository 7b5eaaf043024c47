#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: ufou against no tunnel, the kernel's vxlan and the userspace
# tunnels people use instead, between two network namespaces joined by a veth
# (MTU 1500). Interleaved rounds, medians. Not part of the test suite.
#
# Environment:
#   BUILD=build           where ufoud, ufou and bench/bench_* were built
#   BENCH_QUICK=1         one round of 2-second tests (about 3 minutes)
#   BENCH_ROUNDS=N        rounds (default 3, quick 1)
#   BENCH_SECONDS=S       seconds per iperf3/sockperf test (default 5, quick 2)
#   BENCH_PEERS="..."     subset of: direct vxlan ufou-fou ufou-fou-csum
#                         ufou-fou-poll ufou-gue ufou-fou6 openvpn wireguard-go
#                         ufou-bpf-fou ufou-bpf-gue ufou-bpf-fou6 ufou-bpf-fou6-csum
#                         fastd socat
#   BENCH_TESTS="..."     subset of: tcp1-fwd tcp1-rev tcp4 udp64 latency
#   BENCH_OUT=DIR         results directory (default $BUILD/bench/results)
#   BENCH_NO_INSTALL=1    do not apt-get missing tools (their rows say n/a)
#
# Output: DIR/table.txt (also printed), DIR/results.json, DIR/chart.png,
# DIR/raw.tsv (every measurement), DIR/log/ (tool logs).
set -u
# The whole script is one block, read before it runs: editing this file
# during a run does not change the run.
{
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-1} SECS=${BENCH_SECONDS:-2}
else
	ROUNDS=${BENCH_ROUNDS:-3} SECS=${BENCH_SECONDS:-5}
fi
ALL_PEERS="direct vxlan ufou-fou ufou-fou-csum ufou-fou-poll ufou-gue ufou-fou6 openvpn wireguard-go
	   fastd socat ufou-bpf-fou ufou-bpf-gue ufou-bpf-fou6 ufou-bpf-fou6-csum"
PEERS=${BENCH_PEERS:-$ALL_PEERS}
TESTS=${BENCH_TESTS:-tcp1-fwd tcp1-rev tcp4 udp64 latency}
OUT=${BENCH_OUT:-$BUILD/bench/results}
UDP_LEN=64        # iperf3 UDP payload bytes: 92-byte inner IP packets
IDLE_SECS=5

say() { printf 'bench: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
	say "needs root (network namespaces); run: sudo make bench"
	exit 1
fi

# ---- tools -----------------------------------------------------------------
install_tools() {
	[ "${BENCH_NO_INSTALL:-0}" = 1 ] && return 0
	say "checking tools (scripts/deps.sh bench)"
	scripts/deps.sh bench || say "scripts/deps.sh bench failed; missing peers will be n/a"
	local extra=() c p
	for c in wg:wireguard-tools gnuplot:gnuplot-nox fastd:fastd socat:socat \
		 sockperf:sockperf iperf3:iperf3 python3:python3; do
		have "${c%%:*}" || extra+=("${c#*:}")
	done
	[ ${#extra[@]} -eq 0 ] && return 0
	say "installing ${extra[*]} with apt-get (benchmark peers and chart)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${extra[@]}" \
		>"$OUT/log/apt.log" 2>&1 || {
		apt-get update -q >>"$OUT/log/apt.log" 2>&1
		for p in "${extra[@]}"; do
			apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "$p" \
				>>"$OUT/log/apt.log" 2>&1 || say "could not install $p (see $OUT/log/apt.log)"
		done
	}
}

mkdir -p "$OUT/log" "$OUT/raw" || exit 1
rm -f "$OUT"/raw/* "$OUT"/log/* "$OUT/raw.tsv" "$OUT/peers.tsv" "$OUT/table.txt" \
	"$OUT/results.json" "$OUT/chart.png" "$OUT"/bench_encap.* "$OUT"/bench_proto.*
install_tools
for t in iperf3 python3 ping; do
	have "$t" || { say "$t is required and missing"; exit 1; }
done

bench_netns bench ufb
trap 'say interrupted; exit 130' INT TERM

CLK_TCK=$(getconf CLK_TCK)
RAW=$OUT/raw.tsv
printf 'round\tpeer\tmetric\tvalue\n' >"$RAW"
printf 'peer\tstatus\treason\n' >"$OUT/peers.tsv"
record() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }

# ---- micro-benchmarks of the library (no namespaces needed) ---------------
micro() {
	local b=$BUILD/bench/bench_encap q=
	[ "$QUICK" = 1 ] && q=-q
	if [ -x "$b" ]; then
		say "micro-benchmark: bench_encap"
		# One run, JSON; report.py prints it as a table.
		timeout 120 "$b" $q -j >"$OUT/bench_encap.json" 2>"$OUT/bench_encap.err" || {
			say "bench_encap failed"
			{ echo "failed:"; cat "$OUT/bench_encap.err"; } >"$OUT/bench_encap.txt"
			rm -f "$OUT/bench_encap.json"
		}
	else
		echo "n/a: $b not built (make benches)" >"$OUT/bench_encap.txt"
	fi
	b=$BUILD/bench/bench_proto
	if [ -x "$b" ]; then
		say "micro-benchmark: bench_proto"
		timeout 120 "$b" >"$OUT/bench_proto.txt" 2>&1 || say "bench_proto failed"
	else
		echo "n/a: $b not built (make benches)" >"$OUT/bench_proto.txt"
	fi
}

# ---- CPU accounting ---------------------------------------------------------
# ticks PID...: utime+stime of the processes (all their threads), in ticks.
ticks() {
	local p line rest sum=0
	for p in "$@"; do
		read -r line 2>/dev/null <"/proc/$p/stat" || continue
		rest=${line##*) }
		# shellcheck disable=SC2086
		set -- $rest
		sum=$((sum + ${12} + ${13}))
	done
	echo "$sum"
}
# Machine-wide kernel time (system + irq + softirq), in ticks.
sys_ticks() { awk '/^cpu /{ print $4 + $7 + $8; exit }' /proc/stat; }
# per_gb TICKS BYTES: seconds of CPU per 10^9 bytes moved.
per_gb() {
	awk -v t="$1" -v b="$2" -v hz="$CLK_TCK" 'BEGIN { if (b > 0) printf "%.4f", t / hz / (b / 1e9); else print "nan" }'
}
rss_kb() {
	local p max=0 v
	for p in "$@"; do
		v=$(awk '/^VmRSS:/{ print $2 }' "/proc/$p/status" 2>/dev/null)
		[ -n "$v" ] && [ "$v" -gt "$max" ] && max=$v
	done
	echo "$max"
}

# ---- servers in namespace B ----------------------------------------------
iperf_srv() {
	[ -n "${IPERF_SRV:-}" ] && alive "$IPERF_SRV" && kill "$IPERF_SRV" 2>/dev/null &&
		wait "$IPERF_SRV" 2>/dev/null
	bg "$OUT/log/iperf3-server.log" "$NSB" iperf3 -s -p 5201
	IPERF_SRV=$BG_PID
	sleep 0.3
}
sockperf_srv() {
	have sockperf || return 0
	bg "$OUT/log/sockperf-server.log" "$NSB" sockperf server -i 0.0.0.0 -p 11111
	sleep 0.3
}

# ---- one test ----------------------------------------------------------------
# run_test ROUND PEER TEST: runs it, records the figures, prints one line.
run_test() {
	local r=$1 peer=$2 test=$3 addr=${PEER_ADDR_OF[$2]} f=$OUT/raw/r$1-$2-$3
	local t0 t1 s0 s1 v line=
	local ipf=(timeout $((SECS + 20)) ip netns exec "$NSA" iperf3 -c "$addr" -p 5201
		   -t "$SECS" -J --connect-timeout 3000)
	case $test in
	tcp1-fwd)
		# shellcheck disable=SC2086
		t0=$(ticks ${PEER_PIDS_OF[$peer]}); s0=$(sys_ticks)
		"${ipf[@]}" >"$f.json" 2>"$f.err"
		# shellcheck disable=SC2086
		t1=$(ticks ${PEER_PIDS_OF[$peer]}); s1=$(sys_ticks)
		if v=$(python3 "$ROOT/bench/report.py" tcp "$f.json"); then
			local gbps bytes sys_gb cpu_gb
			read -r gbps bytes <<<"$v"
			record "$r" "$peer" tcp1_fwd_gbps "$gbps"
			sys_gb=$(per_gb $((s1 - s0)) "$bytes")
			# The tunnel's own processes; the kernel's tunnel (and no tunnel)
			# is charged the machine's whole kernel time instead.
			cpu_gb=$sys_gb
			[ -n "${PEER_PIDS_OF[$peer]}" ] && cpu_gb=$(per_gb $((t1 - t0)) "$bytes")
			# The fast path works in the kernel's softirqs, as vxlan: charged
			# the machine's kernel time plus its daemons' own.
			case $peer in ufou-bpf-*)
				cpu_gb=$(per_gb $((s1 - s0 + t1 - t0)) "$bytes") ;;
			esac
			record "$r" "$peer" sys_s_per_gb "$sys_gb"
			record "$r" "$peer" cpu_s_per_gb "$cpu_gb"
			line="$gbps Gbit/s, CPU $cpu_gb s/GB, machine kernel $sys_gb s/GB"
		fi ;;
	tcp1-rev)
		"${ipf[@]}" -R >"$f.json" 2>"$f.err"
		v=$(python3 "$ROOT/bench/report.py" tcp "$f.json") &&
			{ read -r v _ <<<"$v"; record "$r" "$peer" tcp1_rev_gbps "$v"; line="$v Gbit/s"; } ;;
	tcp4)
		"${ipf[@]}" -P 4 >"$f.json" 2>"$f.err"
		v=$(python3 "$ROOT/bench/report.py" tcp "$f.json") &&
			{ read -r v _ <<<"$v"; record "$r" "$peer" tcp4_gbps "$v"; line="$v Gbit/s"; } ;;
	udp64)
		"${ipf[@]}" -u -b 0 -l "$UDP_LEN" >"$f.json" 2>"$f.err"
		v=$(python3 "$ROOT/bench/report.py" udp "$f.json") && {
			local kpps loss
			read -r kpps loss <<<"$v"
			record "$r" "$peer" udp64_kpps "$kpps"
			record "$r" "$peer" udp64_loss_pct "$loss"
			line="$kpps kpps received, $loss% lost"
		} ;;
	latency)
		if have sockperf; then
			timeout $((SECS + 20)) ip netns exec "$NSA" sockperf ping-pong -i "$addr" \
				-p 11111 -t "$SECS" -m 64 --full-rtt >"$f.txt" 2>&1
			v=$(python3 "$ROOT/bench/report.py" sockperf "$f.txt") && {
				local p50 p99
				read -r p50 p99 <<<"$v"
				record "$r" "$peer" lat_p50_us "$p50"
				record "$r" "$peer" lat_p99_us "$p99"
				line="p50 $p50 us, p99 $p99 us"
			}
		else
			line="(sockperf missing)"
		fi ;;
	esac
	if [ -z "$line" ]; then
		line="FAILED ($(head -c 100 "$f.err" 2>/dev/null | tr '\n' ' '))"
		case $test in latency) ;; *) iperf_srv ;; esac
	fi
	DONE=$((DONE + 1))
	printf '[%3d%%] round %d/%d  %-13s %-9s %s\n' $((DONE * 100 / TOTAL)) "$r" "$ROUNDS" \
		"$peer" "$test" "$line" >&2
}

# ---- main --------------------------------------------------------------------
START=$(date +%s)
micro

say "setting up namespaces $NSA and $NSB (veth, MTU 1500)"
netns_up || { say "could not set up the namespaces"; exit 1; }
for ns in "$NSA" "$NSB"; do
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
done

declare -A PEER_ADDR_OF PEER_PIDS_OF
# Inner subnet 198.18.N.0/24 of each tunnel (0 is the underlay itself).
declare -A SUBNET=([direct]=0 [vxlan]=1 [ufou-fou]=2 [ufou-gue]=3 [openvpn]=4
		   [wireguard-go]=5 [fastd]=6 [socat]=7 [ufou-fou-csum]=8 [ufou-fou6]=9
		   [ufou-fou-poll]=10 [ufou-bpf-fou]=11 [ufou-bpf-gue]=12 [ufou-bpf-fou6]=13
		   [ufou-bpf-fou6-csum]=14)
OK_PEERS=()
for peer in $PEERS; do
	PEER_WHY='' PEER_PIDS='' PEER_ADDR=''
	fn=peer_${peer//-/_}
	if ! declare -F "$fn" >/dev/null; then
		say "unknown peer $peer"
		continue
	fi
	if "$fn" "198.18.${SUBNET[$peer]}" && [ -n "$PEER_ADDR" ] && wait_ping "$PEER_ADDR"; then
		PEER_ADDR_OF[$peer]=$PEER_ADDR
		PEER_PIDS_OF[$peer]=$PEER_PIDS
		OK_PEERS+=("$peer")
		printf '%s\tok\t\n' "$peer" >>"$OUT/peers.tsv"
		say "$peer: up ($PEER_ADDR)"
	else
		[ -z "$PEER_WHY" ] && PEER_WHY="no ping through the tunnel"
		printf '%s\tn/a\t%s\n' "$peer" "$PEER_WHY" >>"$OUT/peers.tsv"
		say "$peer: n/a ($PEER_WHY)"
	fi
done
[ ${#OK_PEERS[@]} -eq 0 ] && { say "no peer could be set up"; exit 1; }

iperf_srv
sockperf_srv

# Idle CPU and memory of the userspace tunnels, all at once (IPv6 is off in
# the namespaces but for the veth of ufou-fou6, which neither solicits routers
# nor runs DAD, so nothing is sent while nobody talks).
sleep 1
declare -A IDLE0
for peer in "${OK_PEERS[@]}"; do
	# shellcheck disable=SC2086
	[ -n "${PEER_PIDS_OF[$peer]}" ] && IDLE0[$peer]=$(ticks ${PEER_PIDS_OF[$peer]})
done
say "measuring idle CPU and memory of the tunnel processes (${IDLE_SECS} s)"
sleep "$IDLE_SECS"
for peer in "${OK_PEERS[@]}"; do
	[ -n "${PEER_PIDS_OF[$peer]}" ] || continue
	# shellcheck disable=SC2086
	set -- ${PEER_PIDS_OF[$peer]}
	t=$(ticks "$@")
	record 0 "$peer" idle_cpu_pct "$(awk -v d=$((t - IDLE0[$peer])) -v hz="$CLK_TCK" \
		-v s="$IDLE_SECS" -v n=$# 'BEGIN { printf "%.3f", d / hz / s / n * 100 }')"
	record 0 "$peer" rss_idle_kb "$(rss_kb "$@")"
done

TOTAL=$((ROUNDS * $(wc -w <<<"$TESTS") * ${#OK_PEERS[@]}))
DONE=0
say "$ROUNDS round(s) x $(wc -w <<<"$TESTS") tests x ${#OK_PEERS[@]} tunnels, ${SECS} s each:" \
	"about $(((TOTAL * (SECS * 10 + 4) + 599) / 600)) min"
for r in $(seq "$ROUNDS"); do
	for test in $TESTS; do
		for peer in "${OK_PEERS[@]}"; do
			run_test "$r" "$peer" "$test"
		done
	done
done

for peer in "${OK_PEERS[@]}"; do
	# shellcheck disable=SC2086
	[ -n "${PEER_PIDS_OF[$peer]}" ] && record 0 "$peer" rss_after_kb "$(rss_kb ${PEER_PIDS_OF[$peer]})"
done
for peer in "${OK_PEERS[@]}"; do
	# shellcheck disable=SC2086
	for p in ${PEER_PIDS_OF[$peer]}; do
		alive "$p" || say "warning: a $peer process ($p) died during the run"
	done
done

python3 "$ROOT/bench/report.py" report "$OUT" --rounds "$ROUNDS" --seconds "$SECS" \
	--quick "$QUICK" --elapsed $(($(date +%s) - START)) || exit 1
say "results: $OUT/table.txt $OUT/results.json $OUT/chart.png"
exit 0
}
