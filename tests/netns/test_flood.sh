#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A flood of bad datagrams while a TCP stream runs (issue 11):
#
#   HA eth0 198.18.0.1 (+ .3) fd00:18::1 ======== HB eth0 198.18.0.2 fd00:18::2
#   stream: s0 ip6gre key 42 over GUE port 6000 (IPv6), 198.19.1.1 -> .2
#   flood:  tests/netns/flood in HA at HB's IPv4 ports: 6000 gue (link g4:
#           gre key 42 from 198.18.0.1) and 5555 ipproto 4 (link i4: ipip)
#
# The flood, class after class, each as fast as one core sends it
# (sendmmsg): random bytes (drawn again when they would be delivered),
# wrong remote (from 198.18.0.3, which no link has), wrong GRE key, bad GUE
# version/flags/hlen/control/proto/remcsum, bad checksums (outer UDP: the
# kernel drops it; GRE: gre-bad-csum; a GRE checksum the link does not
# take: gre-csum-flag-mismatch, counted by the link), truncated GUE/GRE/inner headers. After each
# class: HB's drop counters (`ufou -s -s -j fou show` and `link show`,
# IPv4 ports and links) plus what HB's kernel dropped before ufoud could
# read (Udp InErrors of /proc/net/snmp: RcvbufErrors, InCsumErrors) equal
# what was sent; every kind counts under its reason only (random bytes
# may land in any reason: only their sum is checked, the spread printed).
# The kernel's drops other than InCsumErrors (RcvbufErrors, mostly) name no
# kind, so each kind's count may fall short of what was sent by no more than
# them; that includes bad UDP checksums, which Linux finds only when it
# reads (or filters) a datagram.
# The stream runs over the IPv6 underlay so that the kernel's IPv4 UDP
# counters hold the flood's drops alone; it shares the daemon, its workers
# and the port number with the flood. At the end: the stream was never
# stopped and arrived whole (sha256 at both ends), HB's ufoud RSS after a
# warm-up and after the flood within 1 MiB, and a "# " line with the
# stream's throughput during the flood over before it (the benchmark
# number; the issue asks for >= 50%, the test only for progress).
#
# Counts: UFOU_FLOOD_RANDOM random and UFOU_FLOOD_WRONG well-formed-but-
# wrong datagrams (split over the five classes). The issue's numbers,
# 1000000 each, are the default; under SANITIZED=1 (ASan daemon) a tenth,
# and RSS is printed but not checked there (ASan's quarantine grows it).

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping python3 ss; do require_command "$c"; done

FLOOD=$BUILD_DIR/tests/netns/flood
if [ ! -x "$FLOOD" ]; then
	log_skip "flood sender" "$FLOOD missing: run make BUILD=$BUILD units"
	exit $ksft_fail
fi
if [ "${SANITIZED:-0}" = 1 ]; then
	N_RANDOM=${UFOU_FLOOD_RANDOM:-100000}
	N_WRONG=${UFOU_FLOOD_WRONG:-100000}
else
	N_RANDOM=${UFOU_FLOOD_RANDOM:-1000000}
	N_WRONG=${UFOU_FLOOD_WRONG:-1000000}
fi
N_WARM=${UFOU_FLOOD_WARMUP:-5000}
KEY=42
GUE_PORT=6000
FOU_PORT=5555
SPORT=20100          # the TCP stream's port
RSS_SLACK_KB=1024

# ---------------------------------------------------------------- helpers

# reasons NS: {"REASON": N, ...} summed over NS's IPv4 ports and links g4, i4.
reasons()
{
	{
		ufou_in "$1" -s -s -j fou show | jq -c '[.[] | select(.family == "inet") | .stats64.drops // {}]'
		ufou_in "$1" -s -s -j link show | jq -c '[.[] | select(.ifname == "g4" or .ifname == "i4") | .stats64.drops // {}]'
	} | jq -sc 'add | reduce (.[] | to_entries[]) as $e ({}; .[$e.key] += $e.value)'
}

# handovers NS: what the fast path handed to the TUN path at NS's IPv4
# ports, {"REASON": N} (empty under -D tun).
handovers()
{
	ufou_in "$1" -s -s -j fou show | jq -c '[.[] | select(.family == "inet") |
		.stats64.datapath.handover.rx // {}] | reduce (.[] | to_entries[]) as $e ({}; .[$e.key] += $e.value)'
}

# delta OLD NEW: NEW - OLD per reason, only the nonzero ones.
delta()
{
	jq -nc --argjson a "$1" --argjson b "$2" \
		'$b | with_entries(.value -= ($a[.key] // 0)) | with_entries(select(.value != 0))'
}

# kernel_udp NS: "InErrors RcvbufErrors InCsumErrors NoPorts" of NS's IPv4 UDP.
kernel_udp()
{
	ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) n[$i] = i; h = 1 }
		else print $n["InErrors"], $n["RcvbufErrors"], $n["InCsumErrors"], $n["NoPorts"] }' /proc/net/snmp
}

# rx_bytes: what HB's end of the stream has received so far (0 before it connected).
rx_bytes()
{
	ip netns exec "$HB" ss -Htin state established "( sport = :$SPORT )" 2>/dev/null |
		grep -o 'bytes_received:[0-9]*' | cut -d: -f2 | head -n1 | grep . || echo 0
}

rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/${UFOUD_PID[$HB]}/status"
}

now_ms()
{
	date +%s%3N
}

# The stream: tx sends a seeded pseudo-random stream until the stop file
# appears (or LIMIT seconds), then closes; both ends write "BYTES SHA256".
STREAM_PY=$TMPD/stream.py
cat >"$STREAM_PY" <<'PYEOF'
import hashlib, os, random, socket, sys, time
mode, addr, port, out, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
h, n = hashlib.sha256(), 0
if mode == "rx":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(limit)
    c, _ = s.accept()
    c.settimeout(limit)
    buf = bytearray(1 << 20)
    mv = memoryview(buf)
    while True:
        k = c.recv_into(buf)
        if not k:
            break
        h.update(mv[:k])
        n += k
else:
    stop = sys.argv[6]
    block = random.Random(11).randbytes((1 << 20) + 13)
    c = socket.create_connection((addr, port), timeout=10)
    c.settimeout(limit)
    end, i = time.monotonic() + limit, 0
    while not os.path.exists(stop) and time.monotonic() < end:
        k = (i * 4099) % len(block)
        chunk = block[k:] + block[:k]
        c.sendall(chunk)
        h.update(chunk)
        n += len(chunk)
        i += 1
    c.shutdown(socket.SHUT_WR)
    c.recv(1)               # the receiver closes once it has it all
with open(out + ".tmp", "w") as f:
    f.write("%d %s\n" % (n, h.hexdigest()))
os.rename(out + ".tmp", out)
PYEOF

# ---------------------------------------------------------------- set-up

if ! { setup_two_hosts && start_ufoud "$HA" && start_ufoud "$HB"; }; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi
ip -n "$HA" addr add 198.18.0.3/24 dev eth0
for side in 1 2; do
	[ "$side" = 1 ] && ns=$HA || ns=$HB
	run_cmd ufou_in "$ns" fou add port $GUE_PORT gue -6
	check_err $? "fou add port $GUE_PORT gue -6: $CMD_OUT"
	run_cmd ufou_in "$ns" link add name s0 type ip6gre remote "fd00:18::$((3 - side))" \
		local "fd00:18::$side" key $KEY encap gue encap-sport auto encap-dport $GUE_PORT
	check_err $? "link add s0: $CMD_OUT"
	busywait 3000 ip -n "$ns" link show dev s0 >/dev/null
	ip -n "$ns" link set dev s0 up
	ip -n "$ns" addr add "198.19.1.$side/24" dev s0
done
run_cmd ufou_in "$HB" fou add port $GUE_PORT gue
check_err $? "fou add port $GUE_PORT gue: $CMD_OUT"
run_cmd ufou_in "$HB" fou add port $FOU_PORT ipproto 4
check_err $? "fou add port $FOU_PORT ipproto 4: $CMD_OUT"
run_cmd ufou_in "$HB" link add name g4 type gre remote 198.18.0.1 local 198.18.0.2 key $KEY \
	encap gue encap-sport auto encap-dport $GUE_PORT
check_err $? "link add g4: $CMD_OUT"
run_cmd ufou_in "$HB" link add name i4 type ipip remote 198.18.0.1 local 198.18.0.2 \
	encap fou encap-sport auto encap-dport $FOU_PORT
check_err $? "link add i4: $CMD_OUT"
for dev in g4 i4; do
	busywait 3000 ip -n "$HB" link show dev $dev >/dev/null
	ip -n "$HB" link set dev $dev up
done
slowwait 5 ping_ok "$HA" 198.19.1.2
check_err $? "no ping through s0"
log_test "set-up: stream link s0 (IPv6), flood ports $GUE_PORT gue and $FOU_PORT ipproto 4 (IPv4)"
[ "$EXIT_STATUS" = 0 ] || exit 1

# ---------------------------------------------------------------- one class

# flood_class CLASS COUNT SRC SEED CHECK: send, wait until counted, check.
# CHECK "exact": each kind under its reason only; else the sum only.
# Sets FLOOD_MS (sending time) and FLOOD_BYTES (stream bytes meanwhile).
FLOOD_MS=0
FLOOD_BYTES=0
flood_class()
{
	local cls=$1 n=$2 src=$3 seed=$4 check=$5
	local r0 r1 d out total b0 b1 t0 t1 ie rb ce np ie0 rb0 ce0 np0 got reason cnt
	local kernel_csum=0 want h0 h1 hs

	r0=$(reasons "$HB")
	h0=$(handovers "$HB")
	read -r ie0 rb0 ce0 np0 <<<"$(kernel_udp "$HB")"
	b0=$(rx_bytes)
	t0=$(now_ms)
	out=$(ip netns exec "$HA" timeout 300 "$FLOOD" "$cls" "$n" "$src" 198.18.0.2 \
		$GUE_PORT $FOU_PORT $KEY "$seed" 2>&1)
	check_err $? "flood $cls failed: $out"
	t1=$(now_ms)
	b1=$(rx_bytes)
	FLOOD_MS=$((FLOOD_MS + t1 - t0))
	FLOOD_BYTES=$((FLOOD_BYTES + b1 - b0))
	total=$(awk '$1 == "total" { print $2 }' <<<"$out")
	[ -n "$total" ] || total=0
	[ "$total" = "$n" ]
	check_err $? "flood $cls sent $total of $n: $out"
	# Until all are counted (by ufoud or the kernel), bounded.
	_all_counted()
	{
		local s
		read -r ie rb ce np <<<"$(kernel_udp "$HB")"
		r1=$(reasons "$HB")
		s=$(delta "$r0" "$r1" | jq '[.[]] | add // 0')
		got=$((s + ie - ie0))
		[ "$got" -ge "$total" ]
	}
	# (slowwait runs it in a subshell: once more here for the values.)
	slowwait 30 _all_counted >/dev/null
	_all_counted
	d=$(delta "$r0" "$r1")
	[ "$got" = "$total" ]
	check_err $? "$cls: sent $total, counted $got (ufoud $d, kernel InErrors +$((ie - ie0)))"
	# The fast path takes none of them: each reached the TUN path's socket.
	if [ "${UFOU_DATAPATH:-}" = bpf ]; then
		h1=$(delta "$h0" "$(handovers "$HB")")
		hs=$(jq '[.[]] | add // 0' <<<"$h1")
		[ "$hs" = "$total" ]
		check_err $? "$cls: sent $total, the fast path handed over $hs ($h1)"
		diag "$cls: fast path handed over $h1"
		# Well-formed but for no link: handed over for want of one.
		if [ "$cls" = remote ] || [ "$cls" = key ]; then
			[ "$h1" = "{\"config\":$total}" ]
			check_err $? "$cls: handed over as $h1, want all as config"
		fi
	fi
	[ "$((np - np0))" = 0 ]
	check_err $? "$cls: the kernel found no socket for $((np - np0)) (NoPorts)"
	diag "$cls: sent $(grep -v '^total' <<<"$out" | tr '\n' ' ')in $((t1 - t0)) ms; ufoud counted $d; kernel InErrors +$((ie - ie0)) (RcvbufErrors +$((rb - rb0)), InCsumErrors +$((ce - ce0)))"
	if [ "$check" = exact ]; then
		# Each kind under its reason: ufoud's, or the kernel's for a bad
		# outer UDP checksum. A kind may fall short of what was sent, by
		# no more than the kernel's drops that name no kind (InErrors
		# less InCsumErrors: a full receive buffer, mostly; the sum over
		# all reasons was checked exactly above). Linux checks a UDP
		# checksum only when it reads (or filters) the datagram, so that
		# kind is no exception.
		local unnamed=$(((ie - ie0) - (ce - ce0)))
		while read -r reason cnt; do
			case $reason in
			total | redrawn) continue ;;
			kernel-udp-csum) kernel_csum=$cnt; want=$((ce - ce0)) ;;
			*) want=$(jq -r --arg r "$reason" '.[$r] // 0' <<<"$d") ;;
			esac
			[ "$want" -le "$cnt" ] && [ "$want" -gt 0 ] &&
				[ "$((cnt - want))" -le "$unnamed" ]
			check_err $? "$cls: $cnt sent as $reason, $want counted so ($unnamed kernel drops name no kind)"
		done <<<"$out"
		# Nothing under a reason no kind of this class has.
		local others
		others=$(jq -c --argjson k "$(awk '{ print $1 }' <<<"$out" | jq -Rsc 'split("\n")')" \
			'with_entries(select(.key as $r | $k | index($r) | not))' <<<"$d")
		[ "$others" = "{}" ]
		check_err $? "$cls: counted under other reasons: $others"
		[ "$kernel_csum" != 0 ] || [ "$((ce - ce0))" = 0 ]
		check_err $? "$cls: none sent with a bad UDP checksum, kernel InCsumErrors +$((ce - ce0))"
	fi
	ufoud_alive "$HB"
	check_err $? "ufoud in HB died during the $cls flood"
}

# ---------------------------------------------------------------- warm-up

for cls in random remote key gue csum trunc; do
	src=198.18.0.1
	[ $cls = remote ] && src=198.18.0.3
	flood_class $cls "$N_WARM" $src 1 sum >/dev/null
done
log_test "warm-up: $N_WARM of each class counted"

# ---------------------------------------------------------------- the stream

STOP=$TMPD/stream.stop
ip netns exec "$HB" timeout 600 python3 "$STREAM_PY" rx 198.19.1.2 $SPORT "$TMPD/stream.rx" 120 \
	2>"$TMPD/stream.rx.err" &
rx_pid=$!
defer kill "$rx_pid"
busywait 5000 _tcp_listening "$HB" $SPORT
ip netns exec "$HA" timeout 600 python3 "$STREAM_PY" tx 198.19.1.2 $SPORT "$TMPD/stream.tx" 300 \
	"$STOP" 2>"$TMPD/stream.tx.err" &
tx_pid=$!
defer kill "$tx_pid"
defer touch "$STOP"
busywait 10000 _counter_ge 1 rx_bytes >/dev/null
check_err $? "the stream did not start: $(cat "$TMPD/stream.tx.err" "$TMPD/stream.rx.err" 2>/dev/null)"
# Unflooded throughput: the time 256 MiB take (bounded), after 64 MiB of ramp.
busywait 30000 _counter_ge $((64 << 20)) rx_bytes >/dev/null
WIN=$((256 << 20))
b0=$(rx_bytes)
t0=$(now_ms)
busywait 60000 _counter_ge $((b0 + WIN)) rx_bytes >/dev/null
check_err $? "the stream did not move $WIN bytes in 60 s before the flood"
t1=$(now_ms)
b1=$(rx_bytes)
rate0=$(( (b1 - b0) * 1000 / (t1 - t0 + 1) ))
rss0=$(rss_kb)
log_test "stream runs before the flood: $((rate0 >> 20)) MiB/s, HB ufoud RSS ${rss0} kB"

# ---------------------------------------------------------------- the flood

per=$((N_WRONG / 5))
FLOOD_MS=0
FLOOD_BYTES=0
flood_class random "$N_RANDOM" 198.18.0.1 2 sum
log_test "random: $N_RANDOM datagrams, all counted (any reason)"
flood_class remote "$per" 198.18.0.3 3 exact
log_test "wrong remote: $per datagrams counted no-tunnel"
flood_class key "$per" 198.18.0.1 4 exact
log_test "wrong GRE key: $per datagrams counted no-tunnel"
flood_class gue "$per" 198.18.0.1 5 exact
log_test "bad GUE version/flags/hlen/control/proto/remcsum: $per datagrams, each kind under its reason"
flood_class csum "$per" 198.18.0.1 6 exact
log_test "bad checksums: $per datagrams (UDP: kernel InCsumErrors; GRE: gre-bad-csum, gre-csum-flag-mismatch)"
flood_class trunc "$per" 198.18.0.1 7 exact
log_test "truncated GUE/GRE/inner: $per datagrams, each kind under its reason"

rss1=$(rss_kb)
diag "HB ufoud RSS: ${rss0} kB after the warm-up, ${rss1} kB after the flood"
# Under ASan every block freed (the control requests above) waits in its
# quarantine, so RSS grows without a leak (flat with quarantine_size_mb=0):
# there the number is printed only, and LSan looks for leaks at exit.
if [ "${SANITIZED:-0}" = 1 ]; then
	diag "RSS not checked under ASan (its quarantine holds freed blocks)"
else
	[ "$rss1" -le $((rss0 + RSS_SLACK_KB)) ] && [ "$rss1" -ge $((rss0 - RSS_SLACK_KB)) ]
	check_err $? "RSS ${rss0} kB -> ${rss1} kB: more than ${RSS_SLACK_KB} kB apart"
	log_test "RSS flat (within 1 MiB) through $((N_RANDOM + N_WRONG)) bad datagrams"
fi

# ---------------------------------------------------------------- the stream's end

[ "$FLOOD_BYTES" -gt 0 ]
check_err $? "the stream stopped during the flood (0 bytes in $FLOOD_MS ms)"
rate1=$((FLOOD_BYTES * 1000 / (FLOOD_MS + 1)))
diag "stream throughput: $((rate0 >> 20)) MiB/s unflooded, $((rate1 >> 20)) MiB/s during ${FLOOD_MS} ms of flood: ratio $(awk -v a="$rate1" -v b="$rate0" 'BEGIN { printf "%.2f", b ? a / b : 0 }') (issue 11 asks >= 0.50)"
# And it still moves after.
b0=$(rx_bytes)
busywait 30000 _counter_ge $((b0 + (8 << 20))) rx_bytes >/dev/null
check_err $? "the stream does not move after the flood"
touch "$STOP"
wait "$tx_pid"
check_err $? "stream sender failed: $(cat "$TMPD/stream.tx.err")"
wait "$rx_pid"
check_err $? "stream receiver failed: $(cat "$TMPD/stream.rx.err")"
tx=$(cat "$TMPD/stream.tx" 2>/dev/null)
rx=$(cat "$TMPD/stream.rx" 2>/dev/null)
[ -n "$tx" ] && [ "$tx" = "$rx" ]
check_err $? "stream: sent '$tx', received '$rx' (bytes sha256)"
check_datapath s0
log_test "TCP stream through the flood: ${tx%% *} bytes, sha256 equal at both ends"

ufoud_alive "$HA" && ufoud_alive "$HB"
check_err $? "a daemon died"
log_test "daemons alive"

exit $EXIT_STATUS
