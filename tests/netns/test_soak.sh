#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Soak: a long run of link churn under traffic, and nothing left behind.
#
#   HA steady + ch0..ch7 ==(ufoud)== eth0 ==veth== eth0 ==(ufoud)== steady + ch0..ch7 HB
#
# For UFOU_SOAK_SECONDS (after a warm-up), at once:
#   - a steady ipip/fou link carries a rate-limited TCP stream HA -> HB
#     (sha256 and byte count compared at the end) and a ping every 0.2 s
#     (no loss);
#   - on both hosts, in step, a loop adds and deletes links at 10 a second
#     (a link add and a link del every 100 ms, eight slots, each link lives
#     0.8 s): gre and gretap with keys over GUE, ipip and sit over FOU,
#     ip6tnl ip6ip6 / ipip6 over FOU6, ip6gre and ip6gretap with keys over
#     GUE6, with and without the outer checksum and remote checksum offload;
#     every other round the links get addresses and a UDP sprayer on each
#     host sends into them, so their encapsulation and decapsulation run;
#   - `ufou link show`, `ufou -s -j link show`, `ufou fou show` and
#     `ufou --prometheus`, in turn against each daemon, every one answered
#     within 1 s with well-formed text or JSON naming the steady link/port.
# Before and after, with only the steady link and ports configured, each
# daemon's open fds, threads, TUN devices in its namespace, BPF programs and
# maps it holds (ids from /proc/PID/fdinfo; bpftool's pid column is not on
# every kernel and other ufouds may run on the host), TC filters with
# handle 0xf0f in its namespace (and the programs they run), the entries in
# its hash maps, and VmRSS: the same at the end as at the start, RSS within
# 2 MiB (not under SANITIZED=1: ASan's quarantine holds freed memory; its
# leak check at exit does that job there). The state file holds the steady
# link and ports only; SIGTERM ends each daemon cleanly (status 0, no
# sanitizer report in its log) and takes its devices and filters with it.
#
# The churn's rate is asked for, not required: with the CPUs taken (other
# suites, ASan) the ticks come as fast as the commands allow. A host below
# 2 adds a second fails (under SANITIZED=1, below one every 4 s), and there
# a query may take 3 s: a sanitized ufou alone takes 50-150 ms to run.
#
# Duration. UFOU_SOAK_SECONDS, default 120: tests/run.sh runs this file on
# both data paths and `make asan` again, 4 runs of ~2.5 min with set-up,
# about 10 min on top of a ~35 min CI, well under its 90 min budget; two
# minutes is 1200 adds and 1200 deletes per daemon, dozens of full cycles
# of every link type through every slot. `make soak` runs it for 1800 s on
# each data path. UFOU_SOAK_RATE (bytes/s of the steady stream, default
# 200000).

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping python3 ss tc; do require_command "$c"; done

SECS=${UFOU_SOAK_SECONDS:-120}
RATE=${UFOU_SOAK_RATE:-200000}
WARMUP=4                  # seconds of churn before the baseline
SLOTS=8
TICK_US=100000            # one add and one del per tick: 10 of each a second
RSS_SLACK_KB=2048
QUERY_MAX_US=1000000     # each query answered within 1 s
MIN_RATE=2                # link adds a second below which a host fails
LOAD_ASAN_OPTIONS=${ASAN_OPTIONS:-}
if [ "${SANITIZED:-0}" = 1 ]; then
	# A sanitized ufou alone takes 50-150 ms to start and exit, the daemon
	# runs a few times slower: the run is for the sanitizers' reports.
	QUERY_MAX_US=3000000
	MIN_RATE=0
	# The churn's and the queries' ufou processes skip the leak check at
	# exit (half their cost); any other error still ends them, and the
	# daemons keep every check.
	LOAD_ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi
QUERY_US=250000          # a query every 250 ms, the four in turn

# Link types of the churn, picked per tick:
# type words (KEY: the slot's GRE key) | outer family | encap words | dport | inner family
CHURN=(
	"gre key KEY|4|encap gue encap-remcsum|5556|4"
	"ipip|4|encap fou|5555|4"
	"sit|4|encap fou encap-csum|5558|6"
	"ip6tnl mode ip6ip6|6|encap fou|5559|6"
	"ip6gre key KEY|6|encap gue|5557|6"
	"gretap key KEY|4|encap gue|5556|4"
	"ip6tnl mode ipip6|6|encap fou noencap-csum6|5560|4"
	"ip6gretap key KEY|6|encap gue encap-csum|5557|6"
)
# The ports, added once with the steady link: they stay.
PORTS=(
	"5555 ipproto 4"
	"5556 gue"
	"5557 gue -6"
	"5558 ipproto 41"
	"5559 ipproto 41 -6"
	"5560 ipproto 4 -6"
)

# ---- the churn loop (runs inside a namespace: exported, run by bash there)

# churn_addrs SIDE SLOT FAM: sets LCL and RMT, the underlay addresses of a
# slot's link.
churn_addrs()
{
	local side=$1 s=$2 fam=$3
	if [ "$fam" = 4 ]; then
		LCL=198.18.0.$((side * 100 + s)) RMT=198.18.0.$(((3 - side) * 100 + s))
	else
		LCL=fd00:18::$side:$s RMT=fd00:18::$((3 - side)):$s
	fi
}

# clock: NOW, microseconds since the epoch (no fork: the loops run on a
# host whose CPUs other tests share).
clock()
{
	NOW=${EPOCHREALTIME/./}
	NOW=$((10#$NOW))
}

# pace_until US: sleep until the epoch time US (µs), if it is ahead. This
# paces a load generator to its rate; it waits for no condition.
pace_until()
{
	clock
	local d=$(($1 - NOW))
	((d > 0)) && sleep "$((d / 1000000)).$(printf '%06d' $((d % 1000000)))"
	return 0
}

# op WHAT CMD...: run CMD (output to $OPLOG), time it into SLOW (the slowest),
# count a failure into FAILS and keep the first one in FIRST. Returns CMD's status.
op()
{
	local what=$1 a rc
	shift
	clock
	a=$NOW
	"$@" >"$OPLOG" 2>&1
	rc=$?
	clock
	((NOW - a > SLOW)) && SLOW=$((NOW - a))
	if [ $rc -ne 0 ]; then
		FAILS=$((FAILS + 1))
		[ -n "$FIRST" ] || FIRST="$what: rc $rc: $(head -c 300 "$OPLOG")"
	fi
	return $rc
}

# churn_loop UFOU SOCK SIDE T0_US SECS OUT: from T0_US (epoch, µs) for SECS
# seconds, every TICK_US delete the link of slot (tick mod SLOTS) and add a
# new one there (behind time, at once: the ticks then come as fast as the
# commands do); then delete what is left. Writes "adds dels failures
# max_lag_us slowest_command_us" and the first failure to OUT. Both hosts
# run it on the same clock, so a link and its twin on the other host live
# at the same time.
churn_loop()
{
	local ufou=$1 sock=$2 side=$3 t0=$4 secs=$5 out=$6
	local t=0 s k due max_lag=0 adds=0 dels=0
	local end=$((t0 + secs * 1000000)) maxt=$((secs * 1000000 / TICK_US + 1))
	local -a live=() tw ew addr
	local tws fam ews dport inner LCL RMT NOW SLOW=0 FAILS=0 FIRST="" OPLOG=$out.op

	while ((t < maxt)); do
		due=$((t0 + t * TICK_US))
		clock
		((NOW >= end || due >= end)) && break
		if ((due > NOW)); then
			pace_until "$due"
		elif ((NOW - due > max_lag)); then
			max_lag=$((NOW - due))
		fi
		s=$((t % SLOTS))
		if [ -n "${live[s]:-}" ]; then
			op "tick $t: link del ${live[s]}" "$ufou" -S "$sock" link del "${live[s]}" &&
				dels=$((dels + 1))
			live[s]=
		fi
		k=$(((t / SLOTS + s) % ${#CHURN[@]}))
		IFS='|' read -r tws fam ews dport inner <<<"${CHURN[k]}"
		read -r -a tw <<<"${tws//KEY/$((100 + s))}"
		read -r -a ew <<<"$ews"
		churn_addrs "$side" "$s" "$fam"
		if op "tick $t: link add ch$s type ${tw[*]}" "$ufou" -S "$sock" link add name "ch$s" \
			type "${tw[@]}" remote "$RMT" local "$LCL" "${ew[@]}" encap-sport auto \
			encap-dport "$dport"; then
			adds=$((adds + 1))
			live[s]=ch$s
			# Every other round the links get addresses: the sprayers reach them.
			if (((t / SLOTS) % 2 == 0)); then
				if [ "$inner" = 4 ]; then
					addr=("198.19.$((10 + s)).$side/24")
				else
					addr=("fd00:1:$((10 + s))::$side/64" nodad)
				fi
				op "tick $t: ip addr add ${addr[*]} dev ch$s" ip addr add "${addr[@]}" dev "ch$s"
			fi
		fi
		t=$((t + 1))
	done
	for s in "${!live[@]}"; do
		[ -n "${live[s]}" ] || continue
		op "end: link del ${live[s]}" "$ufou" -S "$sock" link del "${live[s]}" &&
			dels=$((dels + 1))
	done
	printf '%s %s %s %s %s\n%s\n' "$adds" "$dels" "$FAILS" "$max_lag" "$SLOW" "$FIRST" >"$out"
}
export -f churn_loop churn_addrs clock pace_until op
export TICK_US SLOTS

# churn NS SIDE T0_US SECS OUT: churn_loop inside NS (one process there,
# so each command is a plain exec).
churn()
{
	local ns=$1
	shift
	CHURN_STR=$(printf '%s\n' "${CHURN[@]}") ASAN_OPTIONS=$LOAD_ASAN_OPTIONS \
		exec ip netns exec "$ns" timeout $(($3 + 60)) bash -c \
		'mapfile -t CHURN <<<"$CHURN_STR"; churn_loop "$@"' _ \
		"$UFOU" "${UFOUD_SOCK[$ns]}" "$@"
}

# churn_both SECS NAME: churn in HA and in HB, in the background, in step
# from 200 ms on, for SECS seconds, into $TMPD/NAME.HA and $TMPD/NAME.HB;
# their pids in CHURN_PIDS (also in BG_PIDS, so stop_bg ends them).
churn_both()
{
	local t0
	clock
	t0=$((NOW + 200000))
	churn "$HA" 1 "$t0" "$1" "$TMPD/$2.HA" &
	CHURN_PIDS=($!)
	churn "$HB" 2 "$t0" "$1" "$TMPD/$2.HB" &
	CHURN_PIDS+=($!)
	BG_PIDS+=("${CHURN_PIDS[@]}")
}

# ---- the steady link's traffic

# stream_rx NS PORT OUT: accept one TCP connection, write "bytes sha256".
stream_rx()
{
	exec ip netns exec "$1" timeout $((SECS + 120)) python3 - "$2" "$3" <<'EOF'
import hashlib, socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", port))
ls.listen(1)
c, _ = ls.accept()
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    h.update(b)
    n += len(b)
c.close()
open(out, "w").write("%d %s\n" % (n, h.hexdigest()))
EOF
}

# stream_tx NS ADDR PORT RATE SECS OUT: random bytes at RATE bytes/s for SECS
# seconds; writes "bytes sha256 longest_send_s". A send blocked for 30 s
# (the tunnel stalled) ends it with an error.
stream_tx()
{
	exec ip netns exec "$1" timeout $((SECS + 120)) python3 - "$2" "$3" "$4" "$5" "$6" <<'EOF'
import hashlib, os, socket, sys, time
addr, port, rate, secs, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
s = socket.create_connection((addr, port), timeout=10)
s.settimeout(30)
h, sent, worst = hashlib.sha256(), 0, 0.0
chunk = max(rate // 20, 1024)
t0 = time.monotonic()
while time.monotonic() - t0 < secs:
    ahead = t0 + sent / rate - time.monotonic()
    if ahead > 0:
        time.sleep(min(ahead, 0.5))
        continue
    b = os.urandom(chunk)
    a = time.monotonic()
    s.sendall(b)
    worst = max(worst, time.monotonic() - a)
    h.update(b)
    sent += len(b)
s.shutdown(socket.SHUT_WR)
s.settimeout(60)
s.recv(1)
s.close()
open(out, "w").write("%d %s %.3f\n" % (sent, h.hexdigest(), worst))
EOF
}

# spray NS SIDE SECS: a UDP datagram to the other host's address on every
# churn slot (both families) every 100 ms; most find no route, the ones whose
# link is up with an address go through it. Errors are the point: ignored.
spray()
{
	exec ip netns exec "$1" timeout $(($3 + 30)) python3 - "$2" "$3" "$SLOTS" <<'EOF' 2>/dev/null
import socket, sys, time
side, secs, slots = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
peer = 3 - side
dst = [("198.19.%d.%d" % (10 + s, peer), socket.AF_INET) for s in range(slots)]
dst += [("fd00:1:%d::%d" % (10 + s, peer), socket.AF_INET6) for s in range(slots)]
socks = {f: socket.socket(f, socket.SOCK_DGRAM) for f in (socket.AF_INET, socket.AF_INET6)}
for s in socks.values():
    s.setblocking(False)
t0 = time.monotonic()
while time.monotonic() - t0 < secs:
    for a, f in dst:
        try:
            socks[f].sendto(b"ufou-soak" * 20, (a, 9))
        except OSError:
            pass
    time.sleep(0.1)
EOF
}

# ---- queries

# lines_match RE TEXT: every line of TEXT matches RE (bash regex), and there is one.
lines_match()
{
	local re=$1 line n=0
	while IFS= read -r line; do
		[[ $line =~ $re ]] || return 1
		n=$((n + 1))
	done <<<"$2"
	((n > 0))
}

PROM_RE='^(# (HELP|TYPE) ufou_[a-z0-9_]+ .+|ufou_[a-z0-9_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+)$'

# rss_kb PID: VmRSS of PID in kB (no fork).
rss_kb()
{
	local k v _
	while read -r k v _; do
		[ "$k" = VmRSS: ] && echo "$v" && return
	done <"/proc/$1/status"
}

# query_loop SECS OUT: a command every QUERY_US, in turn link show, -s -j
# link show, fou show, --prometheus, against HB's and HA's daemon; each
# answer timed (1 s at most) and checked. Writes "count bad slowest_us" and
# the first bad answer to OUT; both daemons' VmRSS ten times on the way to
# OUT.rss.
query_loop()
{
	local secs=$1 out=$2 t0 end i=0 n=0 bad=0 worst=0 first="" ns a dt rc o why q NOW
	local -a cmd
	local every=$((secs * 1000000 / QUERY_US / 10 + 1))
	export ASAN_OPTIONS=$LOAD_ASAN_OPTIONS    # (a background subshell: its own)
	clock
	t0=$NOW
	end=$((t0 + secs * 1000000))
	: >"$out.rss"
	while ((i < secs * 1000000 / QUERY_US + 1)); do
		pace_until $((t0 + i * QUERY_US))
		clock
		((NOW >= end)) && break
		((i % every)) || echo "$(((NOW - t0) / 1000000))s:$(rss_kb "${UFOUD_PID[$HA]}")/$(rss_kb "${UFOUD_PID[$HB]}")" >>"$out.rss"
		((i % 2)) && ns=$HA || ns=$HB
		q=$(((i / 2) % 4))
		case $q in
		0) cmd=(link show) ;;
		1) cmd=(-s -j link show) ;;
		2) cmd=(fou show) ;;
		3) cmd=(--prometheus) ;;
		esac
		clock
		a=$NOW
		timeout 5 "$UFOU" -S "${UFOUD_SOCK[$ns]}" "${cmd[@]}" >"$TMPD/query.o" 2>&1
		rc=$?
		clock
		dt=$((NOW - a))
		o=$(<"$TMPD/query.o")
		why=
		case $q in
		0) [[ $o == "steady: type ipip remote "* || $o == *$'\n'"steady: type ipip remote "* ]] &&
			lines_match '^[A-Za-z0-9_.-]+: type [a-z0-9]+ ' "$o" ;;
		1) jq -e 'type == "array" and any(.[]; .ifname == "steady" and
			(.stats64.rx.packets | type) == "number")' <<<"$o" >/dev/null 2>&1 ;;
		2) [[ $o == *"port 5555 ipproto 4"* ]] && lines_match '^port [0-9]+ (gue|ipproto [0-9]+)( -6)?$' "$o" &&
			[ "$(wc -l <<<"$o")" = "${#PORTS[@]}" ] ;;
		3) [[ $o == *$'\n''ufou_link_info{link="steady",'* ]] && ! grep -qvE "$PROM_RE" <<<"$o" ;;
		esac || why="ufou ${cmd[*]} in $ns: rc $rc: $(head -c 300 <<<"$o")"
		((dt > worst)) && worst=$dt
		if [ -z "$why" ] && ((dt > QUERY_MAX_US)); then
			why="ufou ${cmd[*]} in $ns took ${dt} us"
		fi
		n=$((n + 1))
		if [ -n "$why" ]; then
			bad=$((bad + 1))
			[ -n "$first" ] || first="$why"
		fi
		i=$((i + 1))
	done
	printf '%s %s %s\n%s\n' "$n" "$bad" "$worst" "$first" >"$out"
}

# ---- what the daemon holds

# snapshot NS: one line "key=value ..." of what ufoud in NS holds.
snapshot()
{
	local ns=$1 pid=${UFOUD_PID[$1]} f dev dir progs maps fprogs filters=0 ent=0 id n
	local fds threads rss tuns
	fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
	threads=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l)
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	tuns=$(ip -n "$ns" -d -j link show | jq '[.[] | select(.linkinfo.info_kind == "tun")] | length')
	progs=$(cat "/proc/$pid/fdinfo/"* 2>/dev/null | awk '/^prog_id:/ { print $2 }' | sort -nu | paste -sd, -)
	maps=$(cat "/proc/$pid/fdinfo/"* 2>/dev/null | awk '/^map_id:/ { print $2 }' | sort -nu | paste -sd, -)
	# Filters of ours anywhere in the namespace, and the programs they run.
	fprogs=
	for dev in $(ip -n "$ns" -j link show | jq -r '.[].ifname'); do
		for dir in ingress egress; do
			f=$(tc -n "$ns" filter show dev "$dev" "$dir" 2>/dev/null | grep 'handle 0xf0f')
			[ -n "$f" ] || continue
			filters=$((filters + $(grep -c . <<<"$f")))
			fprogs+="$dev/$dir:$(sed -n 's/.* id \([0-9]*\) .*/\1/p' <<<"$f" | paste -sd, -);"
		done
	done
	# Entries in the hash maps (links, ports, local addresses the programs know).
	for id in ${maps//,/ }; do
		[ "$(bpftool -j map show id "$id" 2>/dev/null | jq -r .type)" = hash ] || continue
		n=$(bpftool -j map dump id "$id" 2>/dev/null | jq length)
		ent="$ent+${n:-0}"
	done
	echo "fds=$fds threads=$threads tuns=$tuns progs=${progs:-none} maps=${maps:-none}" \
		"filters=$filters filter_progs=${fprogs:-none} map_entries=$((ent)) rss_kb=$rss"
}

# field LINE KEY: the value of KEY in a snapshot line.
field()
{
	sed -n "s/.*\(^\| \)$2=\([^ ]*\).*/\2/p" <<<"$1"
}

# state_objects NS: the state file's link and port lines, sorted.
state_objects()
{
	grep -E '^(link|fou) ' "$TMPD/$1.state" | sort
}

# ---- background jobs: all bounded by timeouts; on an early exit ended
# here, each with what it started, by PID (a namespace deleted under a
# process does not end it)

BG_PIDS=()

# kill_tree PID: PID and its descendants (all started by this file).
kill_tree()
{
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		kill_tree "$c"
	done
	kill -TERM "$1" 2>/dev/null
}

# The loaders (churn, stream, spray) always run in the background and exec
# `ip netns exec NS timeout ...`: their pid is timeout's, which leads its own
# process group, so a signal to the test's group (run.sh's timeout, ^C)
# leaves them for stop_bg, which ends each whole group. The rest (ping, the
# query loop) are in the test's group: their trees are ended one by one.
stop_bg()
{
	local p
	for p in "${BG_PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || kill_tree "$p"
	done
}

# ---- set-up: underlay addresses for the churn, daemons, ports, steady link

setup()
{
	local s side ns p
	setup_two_hosts || return 1
	for side in 1 2; do
		[ "$side" = 1 ] && ns=$HA || ns=$HB
		for ((s = 0; s < SLOTS; s++)); do
			ip -n "$ns" addr add "198.18.0.$((side * 100 + s))/24" dev eth0 || return 1
			ip -n "$ns" addr add "fd00:18::$side:$s/64" dev eth0 nodad || return 1
		done
		start_ufoud "$ns" -s "$TMPD/$ns.state" || return 1
		for p in "${PORTS[@]}"; do
			# shellcheck disable=SC2086
			ufou_in "$ns" fou add port $p || return 1
		done
		ufou_in "$ns" link add name steady type ipip remote "198.18.0.$((3 - side))" \
			local "198.18.0.$side" encap fou encap-sport auto encap-dport 5555 || return 1
		ip -n "$ns" addr add "198.19.1.$side/24" dev steady || return 1
	done
	slowwait 10 ping_ok "$HA" 198.19.1.2
}

if ! setup; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi
defer stop_bg
diag "data path ${UFOU_DATAPATH:-default}, ${SECS}s of churn, stream $RATE bytes/s"

# ---- warm-up: the same churn for a few seconds, then the baseline

churn_both "$WARMUP" warm
wait "${CHURN_PIDS[@]}"
for ns in "$HA" "$HB"; do
	n=$(ufou_in "$ns" -j link show | jq length)
	[ "$n" = 1 ]
	check_err $? "after the warm-up $ns has $n links, not only steady"
done
for side in HA HB; do
	read -r adds dels fails _ <"$TMPD/warm.$side" 2>/dev/null
	[ "${adds:-0}" -gt 0 ] && [ "${fails:-1}" = 0 ]
	check_err $? "warm-up in $side: $adds added, $fails failures: $(sed -n 2p "$TMPD/warm.$side" 2>/dev/null)"
done
declare -A SNAP0 STATE0
for ns in "$HA" "$HB"; do
	SNAP0[$ns]=$(snapshot "$ns")
	STATE0[$ns]=$(state_objects "$ns")
done
diag "start HA: ${SNAP0[$HA]}"
diag "start HB: ${SNAP0[$HB]}"
log_test "warm-up: $WARMUP s of churn leaves only the steady link"

# ---- the soak

stream_rx "$HB" 9000 "$TMPD/stream.rx" &
rx=$!
busywait 5000 _tcp_listening "$HB" 9000 >/dev/null
check_err $? "stream receiver not listening"
stream_tx "$HA" 198.19.1.2 9000 "$RATE" "$SECS" "$TMPD/stream.tx" 2>"$TMPD/stream.err" &
tx=$!
# One ping every 0.2 s for the soak's length, every one of them answered.
# A loaded machine stretches the intervals (the 30-minute soak's 9000 took
# 1830 s and more), so ping's deadline is only a bound, never what ends it.
npings=$((SECS * 5))
ip netns exec "$HA" ping -q -i 0.2 -c "$npings" -w $((SECS * 2 + 30)) 198.19.1.2 >"$TMPD/ping.out" 2>&1 &
pp=$!
spray "$HA" 1 "$SECS" &
sa=$!
spray "$HB" 2 "$SECS" &
sb=$!
query_loop "$SECS" "$TMPD/query.out" &
ql=$!
BG_PIDS+=("$rx" "$tx" "$pp" "$sa" "$sb" "$ql")
churn_both "$SECS" churn
# Every child is bounded by its own timeout; wait for them all.
wait "${CHURN_PIDS[@]}" "$ql" "$sa" "$sb"
wait "$tx"
txrc=$?
wait "$rx" "$pp"

for ns in "$HA" "$HB"; do
	ufoud_alive "$ns"
	check_err $? "ufoud in $ns died"
done

# Churn: every add and del succeeded, at the rate asked.
want=$((SECS * 1000000 / TICK_US))
floor=$((SECS * MIN_RATE))
[ "$floor" -gt 0 ] || floor=$((SECS / 4))
for side in HA HB; do
	read -r adds dels fails lag slow <"$TMPD/churn.$side" 2>/dev/null
	first=$(sed -n 2p "$TMPD/churn.$side" 2>/dev/null)
	diag "churn $side: $adds links added, $dels deleted in ${SECS}s ($((${adds:-0} / SECS))/s), $fails failures, slowest command ${slow}us, worst lag ${lag}us"
	[ "${fails:-1}" = 0 ] && [ "${adds:-0}" = "$dels" ]
	check_err $? "churn in $side: $fails failures ($first); $adds added, $dels deleted"
	# The loop asks for $want; what it gets depends on the CPU left to it
	# (other suites, ASan), so only a loop that (nearly) stopped fails.
	[ "${adds:-0}" -ge "$floor" ]
	check_err $? "churn in $side: $adds links added in ${SECS}s, fewer than $floor"
done
log_test "churn: link adds and dels on both hosts (10 of each a second asked), every one accepted"

read -r qn qbad qworst <"$TMPD/query.out"
qfirst=$(sed -n 2p "$TMPD/query.out")
diag "queries: $qn run, $qbad bad, slowest ${qworst}us"
diag "VmRSS kB HA/HB during the soak: $(paste -sd' ' "$TMPD/query.out.rss")"
[ "${qbad:-1}" = 0 ] && [ "${qn:-0}" -ge "$SECS" ]
check_err $? "queries: $qbad of $qn bad or slower than 1 s; first: $qfirst"
log_test "link show, -s -j link show, fou show, --prometheus: well-formed, each within 1 s"

read -r sent hsent worst <"$TMPD/stream.tx" 2>/dev/null
read -r got hgot <"$TMPD/stream.rx" 2>/dev/null
diag "stream: $sent bytes sent, $got received, longest send ${worst}s"
[ "$txrc" = 0 ] && [ -n "${hsent:-}" ] && [ "$hsent" = "${hgot:-}" ] && [ "$sent" = "$got" ] &&
	[ "$sent" -ge $((RATE * SECS * 9 / 10)) ]
check_err $? "stream: sender rc $txrc, sent $sent bytes ($hsent), received $got ($hgot): $(head -c 300 "$TMPD/stream.err")"
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$TMPD/ping.out")
rcvd=$(sed -n 's/.*transmitted, \([0-9]*\) received.*/\1/p' "$TMPD/ping.out")
diag "ping: $(grep transmitted "$TMPD/ping.out")"
[ "$loss" = 0 ] && [ "$rcvd" = "$npings" ]
check_err $? "ping over steady: $(grep transmitted "$TMPD/ping.out")"
check_datapath steady
log_test "steady link under churn: TCP stream intact (sha256), ping loss 0, on ${UFOU_DATAPATH:-the default} path"

# ---- nothing left behind

_no_churn_devs()
{
	! ip -n "$1" -o link show | grep -q ': ch[0-9]'
}
declare -A SNAP1
for ns in "$HA" "$HB"; do
	# The links' devices go with their deletes; give the kernel a moment to
	# unregister the last ones (bounded), then compare.
	slowwait 10 _no_churn_devs "$ns" >/dev/null
	SNAP1[$ns]=$(snapshot "$ns")
done
diag "end HA: ${SNAP1[$HA]}"
diag "end HB: ${SNAP1[$HB]}"
for ns in "$HA" "$HB"; do
	for k in fds threads tuns progs maps filters filter_progs map_entries; do
		a=$(field "${SNAP0[$ns]}" "$k")
		b=$(field "${SNAP1[$ns]}" "$k")
		[ "$a" = "$b" ]
		check_err $? "$ns: $k was $a at the start, $b at the end"
	done
	a=$(field "${SNAP0[$ns]}" rss_kb)
	b=$(field "${SNAP1[$ns]}" rss_kb)
	if [ "${SANITIZED:-0}" != 1 ]; then
		[ $((b - a)) -le $RSS_SLACK_KB ] && [ $((a - b)) -le $RSS_SLACK_KB ]
		check_err $? "$ns: VmRSS $a kB at the start, $b kB at the end (more than 2 MiB apart)"
	fi
	links=$(ufou_in "$ns" -j link show | jq -r '[.[].ifname] | join(",")')
	[ "$links" = steady ]
	check_err $? "$ns: ufou link show lists [$links], not only steady"
	b=$(state_objects "$ns")
	[ "$b" = "${STATE0[$ns]}" ] && [ "$(grep -c '^link add name steady ' <<<"$b")" = 1 ] &&
		[ "$(grep -c '^link ' <<<"$b")" = 1 ] && [ "$(grep -c '^fou add ' <<<"$b")" = "${#PORTS[@]}" ]
	check_err $? "$ns: the state file holds: $(tr '\n' ';' <<<"$b")"
done
if [ "$UFOU_DATAPATH" = bpf ]; then
	for ns in "$HA" "$HB"; do
		[ "$(field "${SNAP1[$ns]}" progs)" != none ] && [ "$(field "${SNAP1[$ns]}" filters)" -ge 2 ]
		check_err $? "$ns under -D bpf holds no programs or filters: ${SNAP1[$ns]}"
	done
fi
log_test "nothing leaked: fds, threads, TUN devices, BPF programs, maps and entries, TC filters, RSS, state"

# ---- a clean exit

for ns in "$HA" "$HB"; do
	log=${UFOUD_LOG[$ns]}
	stop_ufoud "$ns"
	rc=$?
	check_err $rc "ufoud in $ns exited with status $rc on SIGTERM"
	! grep -qE 'Sanitizer|runtime error' "$log"
	check_err $? "$ns: sanitizer report in $log: $(grep -m1 -E 'Sanitizer|runtime error' "$log")"
	n=$(ip -n "$ns" -d -j link show | jq '[.[] | select(.linkinfo.info_kind == "tun")] | length')
	[ "$n" = 0 ]
	check_err $? "$ns: $n TUN devices after SIGTERM"
	n=$(tc -n "$ns" filter show dev eth0 ingress 2>/dev/null | grep -c 'handle 0xf0f')
	[ "$n" = 0 ]
	check_err $? "$ns: $n filters of ours on eth0 after SIGTERM"
done
log_test "SIGTERM after the soak: exit 0, no sanitizer report, devices and filters gone"
