#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ufou against the real thing: Debian's stock kernel (fou, fou6, ipip, sit,
# ip_gre, ip6_tunnel, ip6_gre) booted once in qemu (vm.sh), one virtio NIC on
# a TAP in a network namespace where ufoud runs. Every case configures the
# guest with the iproute2 commands a user would type and ufoud with the same
# words through ufou, then checks, through the tunnel:
#   kernel->ufou  the guest pings the host side and sends BYTES over TCP
#                 (sha256 compared on the host);
#   ufou->kernel  the host side pings the guest and sends BYTES over TCP;
#   wire          the outer headers both sides emitted (captured on the TAP,
#                 decoded by lib/wire.py) agree for the same kind of inner
#                 packet, plus the case's own expectations.
# After the cases, whatever UFOU_INTEROP_CASES says, ufoud itself runs in the
# guest (vm.sh puts $BUILD/ufoud and ufou into its initramfs): its eBPF fast
# path must load on the guest's kernel (ufoud -D bpf), and carry a ping between
# two guest namespaces.
# Output: TAP lines "ok N - CASE: what", diagnostics as "# ", the run time.
#
# Environment: BUILD (build directory, default build), UFOU_INTEROP_CASES
# (extended regex on case names), UFOU_INTEROP_BYTES (TCP transfer size,
# default 1 MiB), UFOU_INTEROP_CACHE (kernel + initramfs cache, default
# /var/tmp/ufou-interop), UFOU_INTEROP_KEEP=1 (keep every capture, not only
# those of failed cases). Needs root.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
HERE=$ROOT/tests/interop
BUILD=${BUILD:-build}
export BUILD # vm.sh puts $BUILD/ufoud and ufou into the guest
UFOU_BIN=$ROOT/$BUILD/ufou
UFOUD_BIN=$ROOT/$BUILD/ufoud
T0=$(date +%s)
CACHE=${UFOU_INTEROP_CACHE:-/var/tmp/ufou-interop}
export UFOU_INTEROP_CACHE=$CACHE
export UFOU_NETNS=ufou-it-$$
export UFOU_INTEROP_RUN=$CACHE/run.$$
RUN=$UFOU_INTEROP_RUN
NS=$UFOU_NETNS
SOCK=$RUN/ufoud.sock
LOGS=${UFOU_TEST_LOGDIR:-$ROOT/$BUILD/test-logs}/interop
BYTES=${UFOU_INTEROP_BYTES:-1048576}
ONLY=${UFOU_INTEROP_CASES:-}
VM=$HERE/vm.sh
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
GUEST4=198.18.0.2 HOST4=198.18.0.1 GUEST6=fd00:18::2 HOST6=fd00:18::1

# ---------------------------------------------------------------- TAP output
TESTN=0 NFAIL=0
ok() { TESTN=$((TESTN + 1)); echo "ok $TESTN - $*"; }
notok() { TESTN=$((TESTN + 1)); NFAIL=$((NFAIL + 1)); echo "not ok $TESTN - $*"; }
diag() { sed 's/^/# /'; }

# ------------------------------------------------------------ set-up / exit
UFOUD_PID='' CAP_PID='' BG_PIDS=()
cleanup() {
	local p
	trap - EXIT INT TERM HUP
	for p in $CAP_PID "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	if [ -n "$UFOUD_PID" ]; then
		kill -TERM "$UFOUD_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$UFOUD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$UFOUD_PID" 2>/dev/null
	fi
	"$VM" stop >/dev/null 2>&1
	[ -d "$RUN" ] && cp "$RUN/console.log" "$LOGS/" 2>/dev/null
	rm -rf "$RUN"
	echo "# interop suite run time: $(($(date +%s) - T0)) s"
	echo "1..$TESTN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

rm -rf "$LOGS"
mkdir -p "$LOGS"

g() { # g SCRIPT: run a shell script in the guest; output on stdout, exit status kept
	"$PY" "$HERE/lib/guestctl.py" "$RUN/ctl.sock" --timeout "${GT:-60}" -- "$1"
}
hx() { ip netns exec "$NS" "$@"; }
uf() { ip netns exec "$NS" "$UFOU_BIN" -S "$SOCK" "$@"; }

fatal() { # fatal MESSAGE: the suite cannot run; one failed line, loudly
	echo "#" >&2
	echo "# *** interop suite cannot run: $1 ***" >&2
	echo "#" >&2
	notok "$1"
	exit 1
}

start_ufoud() {
	local n=0
	: >"$LOGS/ufoud.log"
	ip netns exec "$NS" "$UFOUD_BIN" -S "$SOCK" -s none 2>>"$LOGS/ufoud.log" &
	UFOUD_PID=$!
	while [ $n -lt 100 ]; do
		grep -q "ufoud: ready" "$LOGS/ufoud.log" && [ -S "$SOCK" ] && return 0
		kill -0 "$UFOUD_PID" 2>/dev/null || break
		sleep 0.1; n=$((n + 1))
	done
	return 1
}
restart_ufoud() {
	kill -TERM "$UFOUD_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$UFOUD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$UFOUD_PID" 2>/dev/null
	wait "$UFOUD_PID" 2>/dev/null
	cp "$LOGS/ufoud.log" "$LOGS/ufoud.log.$(date +%s%N)" 2>/dev/null
	start_ufoud
}

setup() {
	local err
	[ "$(id -u)" = 0 ] || fatal "must run as root"
	[ -x "$UFOU_BIN" ] && [ -x "$UFOUD_BIN" ] || fatal "$BUILD/ufou and $BUILD/ufoud are not built"
	"$ROOT/scripts/deps.sh" interop test >"$LOGS/deps.log" 2>&1 ||
		fatal "scripts/deps.sh interop failed: $(tail -3 "$LOGS/deps.log" | tr '\n' ' ')"
	for err in socat tcpdump ss; do
		command -v $err >/dev/null || fatal "$err is missing on the host"
	done
	if ! "$VM" start >"$LOGS/vm-start.log" 2>&1; then
		err=$(grep -v '^ *$' "$LOGS/vm-start.log" | tail -5 | tr '\n' ' ')
		diag <"$LOGS/vm-start.log"
		fatal "qemu guest failed to boot: ${err:-no reason given}"
	fi
	echo "# $(grep -h 'guest booted' "$LOGS/vm-start.log") kernel $(g 'uname -r')"
	# Linux 6.1 drops GRO-merged FOU/GUE datagrams in several configurations
	# (connected ports, GRE payloads: Udp InErrors, docs/interop.md), whoever
	# the sender is; a fast sender such as ufoud makes TCP stall on it.
	if [ "${UFOU_INTEROP_GUEST_GRO:-0}" != 1 ]; then
		g 'ethtool -K eth0 gro off' >"$LOGS/guest-gro.log" 2>&1 ||
			fatal "ethtool -K eth0 gro off failed in the guest"
		echo "# guest NIC: GRO off (UFOU_INTEROP_GUEST_GRO=1 keeps it on)"
	fi
	start_ufoud || fatal "ufoud did not start: $(tail -3 "$LOGS/ufoud.log" | tr '\n' ' ')"
	head -c "$BYTES" /dev/urandom >"$RUN/data"
	DATA_SUM=$(sha256sum <"$RUN/data" | cut -c1-64)
	"$VM" push "$RUN/data" /tmp/data || fatal "cannot copy the test data into the guest"
	[ "$(g 'sha256sum </tmp/data' | cut -c1-64)" = "$DATA_SUM" ] ||
		fatal "test data corrupted on its way into the guest"
}

# ------------------------------------------------------------------ cases
# tcase NAME INNER TRAFFIC 'PORT-CMDS' 'LINK-ARGS' [wire.py checks...]
#   INNER   4, 6 or 46: inner families pinged and carried over TCP
#   TRAFFIC std | sport (plus many TCP flows) | inherit (plus a ping matrix
#           of inner TTL/TOS/DF) | restrict
#   PORT-CMDS  ip/ufou words, ';' between commands, e.g. '-6 fou add port 5558 gue'
#   LINK-ARGS  what follows "link add name DEV"
# Placeholders, resolved per side: @L4 @R4 @L6 @R6 (local/remote underlay
# addresses), @LP @RP (this side's / the other side's FOU port of the case).
C_NAME=() C_INNER=() C_TRAFFIC=() C_PORT=() C_LINK=() C_CHECK=()
tcase() {
	C_NAME+=("$1") C_INNER+=("$2") C_TRAFFIC+=("$3") C_PORT+=("$4") C_LINK+=("$5")
	shift 5
	C_CHECK+=("$*")
}
FOU='encap fou encap-sport auto'
GUE='encap gue encap-sport auto'
V4='remote @R4 local @L4'
V6='remote @R6 local @L6'

# FOU, IPv4 outer
tcase fou-ipip 4 std 'fou add port 5555 ipproto 4' \
	"type ipip $V4 ttl 225 $FOU encap-dport 5555" --expect ku:csum=zero --expect ku:ttl=225
tcase fou-sit 6 std 'fou add port 5541 ipproto 41' \
	"type sit $V4 ttl 225 $FOU encap-dport 5541" --expect ku:csum=zero
tcase fou-gre 46 std 'fou add port 5547 ipproto 47' \
	"type gre $V4 $FOU encap-dport 5547" --expect ku:grekey=False
tcase fou-gre-key-csum-seq 46 std 'fou add port 5547 ipproto 47' \
	"type gre $V4 key 4660 csum seq $FOU encap-dport 5547" \
	--expect ku:grekey=True --expect ku:grekeyval=4660 --expect ku:grecsum_ok=True --expect ku:greseq=True
tcase fou-gretap 46 std 'fou add port 5547 ipproto 47' \
	"type gretap $V4 $FOU encap-dport 5547"
# GUE, IPv4 outer
tcase gue-ipip 4 std 'fou add port 5556 gue' \
	"type ipip $V4 ttl 225 $GUE encap-dport 5556" --expect ku:guehlen=0 --expect ku:csum=zero
tcase gue-sit 6 std 'fou add port 5556 gue' "type sit $V4 $GUE encap-dport 5556"
tcase gue-gre 46 std 'fou add port 5556 gue' "type gre $V4 $GUE encap-dport 5556"
tcase gue-gretap 46 std 'fou add port 5556 gue' "type gretap $V4 $GUE encap-dport 5556"
tcase gue-ipip-csum 4 std 'fou add port 5556 gue' \
	"type ipip $V4 $GUE encap-dport 5556 encap-csum" --expect ku:csum=valid
tcase gue-ipip-remcsum 4 std 'fou add port 5556 gue' \
	"type ipip $V4 $GUE encap-dport 5556 encap-remcsum" --some ku:remcsum!=no
tcase gue-sit-remcsum 6 std 'fou add port 5556 gue' \
	"type sit $V4 $GUE encap-dport 5556 encap-csum encap-remcsum" --expect ku:csum=valid --some ku:remcsum!=no
tcase gue-gre-csum-remcsum 46 std 'fou add port 5556 gue' \
	"type gre $V4 $GUE encap-dport 5556 encap-csum encap-remcsum" --expect ku:csum=valid --some ku:remcsum!=no
# IPv6 outer: ip6tnl ipip6 / ip6ip6, ip6gre, over fou and gue
for enc in fou gue; do
	if [ $enc = fou ]; then p4='-6 fou add port 5557 ipproto 4' p6='-6 fou add port 5561 ipproto 41'
		pg='-6 fou add port 5567 ipproto 47' d4=5557 d6=5561 dg=5567 E=$FOU
	else p4='-6 fou add port 5558 gue' p6=$p4 pg=$p4 d4=5558 d6=5558 dg=5558 E=$GUE; fi
	tcase $enc-ip6tnl-ipip6 4 std "$p4" "type ip6tnl mode ipip6 $V6 $E encap-dport $d4" \
		--expect ku:encaplimit=4 --expect ku:csum=valid --expect ku:ttl=64
	tcase $enc-ip6tnl-ipip6-nolimit-nocsum 4 std "$p4" \
		"type ip6tnl mode ipip6 $V6 encaplimit none $E encap-dport $d4 noencap-udp6-csum" \
		--expect ku:encaplimit=none --expect ku:csum=zero
	tcase $enc-ip6tnl-ip6ip6 6 std "$p6" "type ip6tnl mode ip6ip6 $V6 $E encap-dport $d6" \
		--expect ku:encaplimit=4 --expect ku:csum=valid
	tcase $enc-ip6tnl-ip6ip6-nolimit-nocsum 6 std "$p6" \
		"type ip6tnl mode ip6ip6 $V6 encaplimit none $E encap-dport $d6 noencap-udp6-csum" \
		--expect ku:encaplimit=none --expect ku:csum=zero
	tcase $enc-ip6tnl-ip6ip6-nolimit 6 std "$p6" \
		"type ip6tnl mode ip6ip6 $V6 encaplimit none $E encap-dport $d6 encap-udp6-csum" \
		--expect ku:encaplimit=none --expect ku:csum=valid
	tcase $enc-ip6tnl-ipip6-nocsum 4 std "$p4" \
		"type ip6tnl mode ipip6 $V6 hoplimit 200 $E encap-dport $d4 noencap-udp6-csum" \
		--expect ku:encaplimit=4 --expect ku:csum=zero --expect ku:ttl=200
	tcase $enc-ip6gre 46 std "$pg" "type ip6gre $V6 $E encap-dport $dg" \
		--expect ku:encaplimit=4 --expect ku:csum=valid
done
# encap-sport auto: per-flow source ports, stable, accepted both ways
tcase sport-auto 4 sport 'fou add port 5555 ipproto 4' "type ipip $V4 $FOU encap-dport 5555" \
	--sport-range 32768:60999 --flows ku:12
tcase sport-auto-gue6 6 sport '-6 fou add port 5558 gue' "type ip6tnl mode ip6ip6 $V6 $GUE encap-dport 5558" \
	--sport-range 32768:60999 --flows ku:12
# Connected ports: local, peer, peer_port on both sides; fixed source ports
tcase port-restricted 4 std 'fou add port @LP ipproto 4 local @L4 peer @R4 peer_port @RP' \
	"type ipip $V4 encap fou encap-sport @LP encap-dport @RP" --ignore dport --expect k:dport=6555 --expect u:dport=5555
tcase port-restricted-gue6 6 std '-6 fou add port @LP gue local @L6 peer @R6 peer_port @RP' \
	"type ip6tnl mode ip6ip6 $V6 encap gue encap-sport @LP encap-dport @RP" --ignore dport \
	--expect k:dport=6555 --expect u:dport=5555
# ttl inherit, tos inherit (ECN, RFC 6040), nopmtudisc: same outer for the same inner
tcase inherit-nopmtudisc-fou-ipip 4 inherit 'fou add port 5555 ipproto 4' \
	"type ipip $V4 ttl inherit tos inherit nopmtudisc $FOU encap-dport 5555" --some ku:ttl=77 --some ku:tos=186
tcase inherit-pmtudisc-gue-ipip 4 inherit 'fou add port 5556 gue' \
	"type ipip $V4 ttl inherit tos inherit $GUE encap-dport 5556" --some ku:ttl=77 --some ku:tos=186
tcase inherit-nopmtudisc-gue-sit 6 inherit 'fou add port 5556 gue' \
	"type sit $V4 ttl inherit tos inherit nopmtudisc $GUE encap-dport 5556" --some ku:ttl=77 --some ku:tos=186
tcase inherit-nopmtudisc-fou-gre 46 inherit 'fou add port 5547 ipproto 47' \
	"type gre $V4 ttl inherit tos inherit nopmtudisc $FOU encap-dport 5547" --some ku:ttl=77 --some ku:tos=186

# ---------------------------------------------------------------- helpers
# subst SIDE TEXT: resolve the placeholders for the guest (g) or the host (h)
PORT_G=5555 PORT_H=5555
subst() {
	local t=$2
	if [ "$1" = g ]; then
		t=${t//@L4/$GUEST4}; t=${t//@R4/$HOST4}; t=${t//@L6/$GUEST6}; t=${t//@R6/$HOST6}
		t=${t//@LP/$PORT_G}; t=${t//@RP/$PORT_H}
	else
		t=${t//@L4/$HOST4}; t=${t//@R4/$GUEST4}; t=${t//@L6/$HOST6}; t=${t//@R6/$GUEST6}
		t=${t//@LP/$PORT_H}; t=${t//@RP/$PORT_G}
	fi
	echo "$t"
}
# del_words WORDS: "fou add port P ipproto N ..." -> "fou del port P ..."
del_words() {
	local out=() skip=0 w
	for w in $1; do
		if [ $skip = 1 ]; then skip=0; continue; fi
		case $w in
		add) out+=(del) ;;
		ipproto) skip=1 ;;
		gue) ;;
		*) out+=("$w") ;;
		esac
	done
	echo "${out[*]}"
}
# wire_encaps PORT-CMDS: --encap arguments for lib/wire.py
wire_encaps() {
	local cmd w prev='' port='' kind=''
	IFS=';' read -ra cmds <<<"$1"
	for cmd in "${cmds[@]}"; do
		port='' kind=''
		for w in $cmd; do
			case $prev in port) port=$w ;; ipproto) kind=fou:$w ;; esac
			[ "$w" = gue ] && kind=gue
			prev=$w
		done
		echo "--encap $port:$kind"
	done
}

cap_start() { # cap_start FILE
	local n=0
	: >"$RUN/tcpdump.err"
	ip netns exec "$NS" tcpdump -Z root -i uitap0 -nn -U -B 65536 -s 0 -w "$1" 'not arp' \
		2>"$RUN/tcpdump.err" &
	CAP_PID=$!
	CAP_FILE=$1
	while ! grep -q listening "$RUN/tcpdump.err" && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
}
cap_stop() { # stops once the capture file has not grown for 1.2 s (at most 8 s)
	# libpcap hands packets over in blocks, at the latest after its 1 s buffer
	# timeout; a block not handed over when tcpdump stops is lost.
	local last=-1 cur same=0 n=0
	[ -n "$CAP_PID" ] || return 0
	while [ $same -lt 12 ] && [ $n -lt 80 ]; do
		sleep 0.1
		cur=$(stat -c %s "$CAP_FILE" 2>/dev/null || echo 0)
		if [ "$cur" = "$last" ]; then same=$((same + 1)); else same=0; last=$cur; fi
		n=$((n + 1))
	done
	kill -TERM "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	CAP_PID=
	if grep -q '[1-9][0-9]* packets dropped by kernel' "$RUN/tcpdump.err"; then
		echo "capture incomplete: $(grep 'dropped by kernel' "$RUN/tcpdump.err")" >>"$CLOG"
		return 1
	fi
}

wait_listen() { # wait_listen PORT: until the host side listens on TCP PORT
	local n=0
	while [ $n -lt 50 ]; do
		[ -n "$(hx ss -Hltn "sport = :$1")" ] && return 0
		sleep 0.05; n=$((n + 1))
	done
	return 1
}

guest_udp_errors() { # Udp InErrors + Udp6InErrors of the guest
	g "awk '/^Udp: [0-9]/{n+=\$4} /^Udp6InErrors/{n+=\$2} END{print n+0}' /proc/net/snmp /proc/net/snmp6" 2>/dev/null ||
		echo 0
}

# ping_g ADDR / ping_h ADDR: 3 echo requests, all answered, within 10 s
ping_g() { g "ping -c 3 -i 0.2 -w 10 $1" >>"$CLOG" 2>&1; }
ping_h() { hx ping -c 3 -i 0.2 -w 10 "$1" >>"$CLOG" 2>&1; }

# tcp_g2h ADDR PORT: the guest sends the data, the host receives; 0 = bytes verified
tcp_g2h() {
	local addr=$1 port=$2 lst=TCP-LISTEN bind=$1 sum pid
	case $addr in *:*) lst=TCP6-LISTEN bind="[$addr]" ;; esac
	rm -f "$RUN/rx"
	ip netns exec "$NS" timeout 20 socat -u "$lst:$port,bind=$bind,reuseaddr" \
		"OPEN:$RUN/rx,creat,trunc" 2>>"$CLOG" &
	pid=$!
	BG_PIDS+=("$pid")
	wait_listen "$port" || { echo "host listener on $port did not start" >>"$CLOG"; return 1; }
	g "timeout 20 nc $addr $port </tmp/data" >>"$CLOG" 2>&1
	wait "$pid" 2>/dev/null
	sum=$(sha256sum <"$RUN/rx" 2>/dev/null | cut -c1-64)
	echo "tcp guest->host $addr:$port: $(stat -c %s "$RUN/rx" 2>/dev/null) bytes, sha256 $sum" >>"$CLOG"
	[ "$sum" = "$DATA_SUM" ]
}
# tcp_h2g ADDR PORT: the host sends the data, the guest receives
tcp_h2g() {
	local addr=$1 port=$2 dst out
	dst="TCP:$addr:$port"
	case $addr in *:*) dst="TCP6:[$addr]:$port" ;; esac
	g "rm -f /tmp/rx /tmp/rx.rc; (timeout 20 nc -l -p $port >/tmp/rx; echo \$? >/tmp/rx.rc) </dev/null >/dev/null 2>&1 &" >>"$CLOG" 2>&1
	ip netns exec "$NS" timeout 20 socat -u "OPEN:$RUN/data" "$dst,retry=50,interval=0.1" >>"$CLOG" 2>&1
	out=$(GT=30 g 'n=0; while [ ! -e /tmp/rx.rc ] && [ $n -lt 200 ]; do usleep 100000; n=$((n+1)); done
		echo "rc=$(cat /tmp/rx.rc 2>/dev/null) bytes=$(wc -c </tmp/rx) sum=$(sha256sum </tmp/rx | cut -c1-64)"')
	echo "tcp host->guest $addr:$port: $out" >>"$CLOG"
	case $out in *"sum=$DATA_SUM"*) return 0 ;; esac
	return 1
}

# Short TCP connections, each a new inner flow: echo through busybox nc -e cat
# in the guest, through socat on the host side.
flows_g2h() { # flows_g2h ADDR N
	local addr=$1 n=$2 lst=TCP-LISTEN bind=$1 pid out
	case $addr in *:*) lst=TCP6-LISTEN bind="[$addr]" ;; esac
	ip netns exec "$NS" timeout 60 socat "$lst:7200,bind=$bind,reuseaddr,fork" EXEC:cat 2>>"$CLOG" &
	pid=$!
	BG_PIDS+=("$pid")
	wait_listen 7200 || return 1
	out=$(g "i=0; while [ \$i -lt $n ]; do i=\$((i+1)); echo flow\$i | timeout 10 nc $addr 7200; done")
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	echo "guest->host flows: $(echo "$out" | tr '\n' ' ')" >>"$CLOG"
	[ "$(echo "$out" | grep -c '^flow')" = "$n" ]
}
flows_h2g() { # flows_h2g ADDR N
	local addr=$1 n=$2 dst i got=0
	dst="TCP:$addr:7201"
	case $addr in *:*) dst="TCP6:[$addr]:7201" ;; esac
	g "nc -ll -p 7201 -e cat </dev/null >/dev/null 2>&1 & echo \$! >/tmp/flows.pid" >>"$CLOG" 2>&1
	for i in $(seq "$n"); do
		if [ "$(echo "flow$i" | ip netns exec "$NS" timeout 10 socat - "$dst,retry=20,interval=0.1" 2>>"$CLOG")" = "flow$i" ]; then
			got=$((got + 1))
		fi
	done
	g 'kill $(cat /tmp/flows.pid)' >/dev/null 2>&1
	echo "host->guest flows: $got/$n echoed" >>"$CLOG"
	[ "$got" = "$n" ]
}

# The same inner packets from both sides: a matrix of TOS (ECN included),
# TTL and DF values, one echo request each.
PING_MATRIX='for q in 0x00 0x01 0x02 0x03 0xb8 0xbb; do for m in do dont; do
	ping -c 1 -W 3 -Q $q -t 77 -M $m ADDR >/dev/null || echo "no reply: tos $q df $m"; done; done'
PING6_MATRIX='for q in 0x00 0x01 0x02 0x03 0xb8 0xbb; do
	ping -6 -c 1 -W 3 -Q $q -t 77 ADDR >/dev/null || echo "no reply: tclass $q"; done'
matrix() { # matrix SIDE FAM ADDR: prints the failures
	local m=$PING_MATRIX
	[ "$2" = 6 ] && m=$PING6_MATRIX
	m=${m//ADDR/$3}
	if [ "$1" = g ]; then g "$m"; else hx sh -c "$m"; fi
}

# -------------------------------------------------------------------- run
GUEST_RESET='for d in $(ip -o link show | awk -F": " "{print \$2}" | cut -d@ -f1); do
	case $d in lo|eth0|tunl0|sit0|gre0|gretap0|erspan0|ip6gre0|ip6tnl0|ip6_vti0|ip_vti0) ;;
	*) ip link del "$d" ;; esac
done
ip fou show | while read -r line; do
	set -- $line; fam=-4 args=
	while [ $# -gt 0 ]; do
		case $1 in ipproto) shift ;; gue) ;; -6) fam=-6 ;; *) args="$args $1" ;; esac
		shift
	done
	ip $fam fou del $args
done
[ -z "$(ip fou show)" ]'

run_case() { # run_case INDEX NUMBER
	local i=$1 n=$2 name=${C_NAME[$1]} inner=${C_INNER[$1]} traffic=${C_TRAFFIC[$1]}
	local dev=ufou$n t0 gport hport glink hlink cmd fam a ga ha why1='' why2='' why3='' wireout
	local pcap=$LOGS/$name.pcap
	CLOG=$LOGS/$name.log
	t0=$(date +%s.%N)
	: >"$CLOG"
	PORT_G=5555 PORT_H=5555
	case $name in port-restricted*) PORT_H=6555 ;; esac
	gport=$(subst g "${C_PORT[$i]}") hport=$(subst h "${C_PORT[$i]}")
	glink=$(subst g "${C_LINK[$i]}") hlink=$(subst h "${C_LINK[$i]}")

	if ! kill -0 "$UFOUD_PID" 2>/dev/null; then
		echo "# ufoud had exited before $name (see $LOGS/ufoud.log); restarting it"
		restart_ufoud || { notok "$name: ufoud does not start"; return; }
	fi
	# Guest: the iproute2 commands a user would type
	local gs="set -e; $GUEST_RESET"$'\n'
	IFS=';' read -ra cmds <<<"$gport"
	for cmd in "${cmds[@]}"; do gs+="ip $cmd"$'\n'; done
	gs+="ip link add name $dev $glink"$'\n'
	case $inner in *4*) gs+="ip addr add 198.19.$n.1/30 dev $dev"$'\n' ;; esac
	case $inner in *6*) gs+="ip addr add fd00:1:$n::1/64 dev $dev nodad"$'\n' ;; esac
	gs+="ip link set $dev up"$'\n'
	gs+="ip -d link show dev $dev; ip fou show"
	{ echo "=== guest (iproute2)"; echo "$gs" | grep -v '^\(set -e\|for\|	\|done\|ip fou show |\|\[\|esac\|case\)'; } >>"$CLOG"
	if ! g "$gs" >>"$CLOG" 2>&1; then
		notok "$name: guest configuration failed (see $CLOG)"; tail -5 "$CLOG" | diag
		return
	fi
	# Host: the same words through ufou
	echo "=== host (ufou)" >>"$CLOG"
	local herr=
	IFS=';' read -ra cmds <<<"$hport"
	for cmd in "${cmds[@]}"; do
		echo "ufou $cmd" >>"$CLOG"
		# shellcheck disable=SC2086
		uf $cmd >>"$CLOG" 2>&1 || herr+="ufou $cmd: $(tail -1 "$CLOG"); "
	done
	echo "ufou link add name $dev $hlink" >>"$CLOG"
	# shellcheck disable=SC2086
	uf link add name "$dev" $hlink >>"$CLOG" 2>&1 || herr+="ufou link add name $dev $hlink: $(tail -1 "$CLOG"); "
	if [ -z "$herr" ]; then
		case $inner in *4*) hx ip addr add "198.19.$n.2/30" dev "$dev" >>"$CLOG" 2>&1 || herr+="ip addr add; " ;; esac
		case $inner in *6*) hx ip addr add "fd00:1:$n::2/64" dev "$dev" nodad >>"$CLOG" 2>&1 || herr+="ip -6 addr add; " ;; esac
		hx ip link set "$dev" up >>"$CLOG" 2>&1 || herr+="ip link set up; "
		uf link show dev "$dev" >>"$CLOG" 2>&1
	fi
	if [ -n "$herr" ]; then
		notok "$name: ufou configuration failed: $herr"
		host_teardown "$dev" "$hport"
		return
	fi

	local drops0
	drops0=$(guest_udp_errors)
	cap_start "$pcap"
	# kernel -> ufou: the guest pings and sends
	for fam in 4 6; do
		case $inner in *$fam*) ;; *) continue ;; esac
		if [ $fam = 4 ]; then ha=198.19.$n.2 ga=198.19.$n.1; else ha=fd00:1:$n::2 ga=fd00:1:$n::1; fi
		ping_g "$ha" || why1+="ping $ha failed; "
		tcp_g2h "$ha" 700$fam || why1+="tcp to $ha:700$fam: bytes not verified; "
	done
	[ "$traffic" = sport ] && { flows_g2h "$ha" 6 || why1+="short TCP flows failed; "; }
	# ufou -> kernel: the host side pings and sends
	for fam in 4 6; do
		case $inner in *$fam*) ;; *) continue ;; esac
		if [ $fam = 4 ]; then ga=198.19.$n.1; else ga=fd00:1:$n::1; fi
		ping_h "$ga" || why2+="ping $ga failed; "
		tcp_h2g "$ga" 710$fam || why2+="tcp to $ga:710$fam: bytes not verified; "
	done
	[ "$traffic" = sport ] && { flows_h2g "$ga" 6 || why2+="short TCP flows failed; "; }
	if [ "$traffic" = inherit ]; then
		for fam in 4 6; do
			case $inner in *$fam*) ;; *) continue ;; esac
			if [ $fam = 4 ]; then ha=198.19.$n.2 ga=198.19.$n.1; else ha=fd00:1:$n::2 ga=fd00:1:$n::1; fi
			a=$(matrix g $fam "$ha"); [ -z "$a" ] || why1+="ping matrix: $(echo "$a" | head -2 | tr '\n' ' '); "
			a=$(matrix h $fam "$ga"); [ -z "$a" ] || why2+="ping matrix: $(echo "$a" | head -2 | tr '\n' ' '); "
		done
	fi
	cap_stop || why3="capture incomplete (tcpdump dropped packets); "
	a=$(($(guest_udp_errors) - drops0))
	[ "$a" -gt 0 ] && echo "# $name: the guest kernel dropped $a UDP datagrams (Udp/Udp6 InErrors)"

	# shellcheck disable=SC2046
	wireout=$("$PY" "$HERE/lib/wire.py" "$pcap" $(wire_encaps "$gport;$hport") --same \
		${C_CHECK[$i]} 2>&1) ||
		why3+="outer headers differ"
	echo "=== wire" >>"$CLOG"
	echo "$wireout" >>"$CLOG"
	local dt
	dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
	if [ -z "$why1" ]; then ok "$name: kernel->ufou (ping, TCP $BYTES bytes verified)"; else
		notok "$name: kernel->ufou: $why1"; fi
	if [ -z "$why2" ]; then ok "$name: ufou->kernel (ping, TCP $BYTES bytes verified)"; else
		notok "$name: ufou->kernel: $why2"; fi
	if [ -z "$why3" ]; then ok "$name: wire (ufou's outer headers match the kernel's) ${dt}s"; else
		notok "$name: wire: $why3"; echo "$wireout" | grep -v '^#   ' | sed 's/^# //' | diag; fi
	if [ -n "$why1$why2" ]; then
		grep -iE 'fail|error|unreach|loss|timeout|refused' "$CLOG" | head -8 | diag
		{ echo "=== guest counters"; g "ip -s -s link show dev $dev; grep -E '^(Ip|Udp|Udp6|Ip6InDiscards|Ip6InHdrErrors):' /proc/net/snmp /proc/net/snmp6"
		  echo "=== ufoud counters"; uf -s -s link show dev "$dev"; uf -s fou show; } >>"$CLOG" 2>&1
	fi
	if [ -z "$why1$why2$why3" ] && [ "${UFOU_INTEROP_KEEP:-0}" != 1 ]; then rm -f "$pcap"; fi
	host_teardown "$dev" "$hport"
}

host_teardown() { # host_teardown DEV PORT-CMDS: remove the case's link and ports from ufoud
	local dev=$1 cmd bad=
	uf link del dev "$dev" >>"$CLOG" 2>&1 || bad+="link del; "
	IFS=';' read -ra cmds <<<"$2"
	for cmd in "${cmds[@]}"; do
		# shellcheck disable=SC2046
		uf $(del_words "$cmd") >>"$CLOG" 2>&1 || bad+="$(del_words "$cmd"); "
	done
	if [ -n "$bad" ] || [ -n "$(uf fou show 2>/dev/null)" ] || hx ip link show dev "$dev" >/dev/null 2>&1; then
		echo "# $(basename "$CLOG" .log): ufoud teardown incomplete ($bad); restarting ufoud"
		restart_ufoud || echo "# ufoud does not restart"
	fi
}

# ------------------------------------------- ufoud's eBPF fast path in the guest
# Not a case: runs whatever UFOU_INTEROP_CASES says. ufoud -D bpf fails at
# start when its BPF programs do not load, so "ufoud: ready" and "fast path
# loaded" in its log prove that they load on the guest's kernel. It runs in
# namespaces of its own in the guest (it attaches TC filters to every
# Ethernet device of its namespace), with UFOU_BPF_DEBUG=1 for libbpf's
# messages. Guest helpers:
#   fp_start NETNS NAME   ufoud -D bpf -v -S /tmp/ufou-NAME.sock in NETNS,
#                         log /tmp/ufou-NAME.log, PID in FP_PID
#   fp_wait PID NAME      until "ufoud: ready" and the socket, its exit or 60 s
#   fp_stop PID NAME      SIGTERM, up to 10 s, then SIGKILL; prints FP-STOP
FP_LIB='
fp_alive() { kill -0 "$1" 2>/dev/null && ! grep -q ") Z" "/proc/$1/stat" 2>/dev/null; }
fp_start() {
	rm -f "/tmp/ufou-$2.log" "/tmp/ufou-$2.sock"
	UFOU_BPF_DEBUG=1 sh -c "exec ip netns exec $1 ufoud -D bpf -v -s none -S /tmp/ufou-$2.sock" \
		</dev/null >"/tmp/ufou-$2.log" 2>&1 &
	FP_PID=$!
}
fp_wait() {
	n=0
	while [ $n -lt 600 ]; do
		if grep -q "ufoud: ready" "/tmp/ufou-$2.log" && [ -S "/tmp/ufou-$2.sock" ]; then
			echo "FP-STATE $2 ready $((n / 10)).$((n % 10))"; return 0
		fi
		fp_alive "$1" || { echo "FP-STATE $2 exited $((n / 10)).$((n % 10))"; return 1; }
		usleep 100000; n=$((n + 1))
	done
	echo "FP-STATE $2 timeout 60"; return 1
}
fp_stop() {
	if ! fp_alive "$1"; then wait "$1"; echo "FP-STOP $2 exited-before rc=$?"; return; fi
	kill -TERM "$1"; n=0
	while fp_alive "$1" && [ $n -lt 100 ]; do usleep 100000; n=$((n + 1)); done
	if fp_alive "$1"; then kill -KILL "$1"; wait "$1"; echo "FP-STOP $2 killed"
	else wait "$1"; echo "FP-STOP $2 rc=$? $((n / 10)).$((n % 10))"; fi
}
fp_log() { echo "FP-LOG-BEGIN $1"; cat "/tmp/ufou-$1.log"; echo "FP-LOG-END $1"; }
'
# The load: one ufoud in a fresh namespace with a veth pair (its Ethernet
# devices). If it does not load, bpftool loads the same object, for the whole
# verifier log (ufoud's own lines may cut it).
FP_LOAD='
ip netns del ufou-fp0 2>/dev/null
ip netns add ufou-fp0 || { echo "FP-SETUP ip netns add failed"; exit 1; }
ip -n ufou-fp0 link set lo up
ip -n ufou-fp0 link add fpv0 type veth peer name fpv1 &&
	ip -n ufou-fp0 link set fpv0 up && ip -n ufou-fp0 link set fpv1 up ||
	{ echo "FP-SETUP veth failed"; ip netns del ufou-fp0; exit 1; }
fp_start ufou-fp0 fp0; pid=$FP_PID
ok=0; fp_wait $pid fp0 && ok=1
fp_stop $pid fp0
ip netns del ufou-fp0
fp_log fp0
if [ $ok = 0 ] && command -v bpftool >/dev/null && [ -f /usr/lib/ufou/ufou.bpf.o ]; then
	mkdir -p /sys/fs/bpf; mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	echo "FP-BPFTOOL-BEGIN"
	bpftool prog loadall /usr/lib/ufou/ufou.bpf.o /sys/fs/bpf/ufou-diag 2>&1
	echo "FP-BPFTOOL-END rc=$?"
	rm -rf /sys/fs/bpf/ufou-diag
fi
'
# The traffic: namespaces A and B joined by a veth pair (static neighbours),
# ufoud -D bpf in each, ipip over FOU between them, a ping from A to B.
FP_TRAFFIC='
for s in a b; do
	ip netns del ufou-fp$s 2>/dev/null
	ip netns add ufou-fp$s || { echo "FP-SETUP ip netns add failed"; exit 1; }
	ip -n ufou-fp$s link set lo up
done
ip link add fpa0 netns ufou-fpa address 02:00:00:77:00:01 type veth \
	peer name fpb0 netns ufou-fpb address 02:00:00:77:00:02 || echo "FP-SETUP veth failed"
ip -n ufou-fpa addr add 198.18.77.1/24 dev fpa0; ip -n ufou-fpb addr add 198.18.77.2/24 dev fpb0
ip -n ufou-fpa link set fpa0 up; ip -n ufou-fpb link set fpb0 up
ip -n ufou-fpa neigh replace 198.18.77.2 lladdr 02:00:00:77:00:02 dev fpa0 nud permanent
ip -n ufou-fpb neigh replace 198.18.77.1 lladdr 02:00:00:77:00:01 dev fpb0 nud permanent
fp_start ufou-fpa fpa; pa=$FP_PID
fp_start ufou-fpb fpb; pb=$FP_PID
up=1; fp_wait $pa fpa || up=0; fp_wait $pb fpb || up=0
if [ $up = 1 ]; then
	for s in a b; do
		if [ $s = a ]; then l=198.18.77.1 r=198.18.77.2 i=198.19.77.1; else l=198.18.77.2 r=198.18.77.1 i=198.19.77.2; fi
		u="ip netns exec ufou-fp$s ufou -S /tmp/ufou-fp$s.sock"
		$u fou add port 5555 ipproto 4 &&
		$u link add name t1 type ipip remote $r local $l encap fou encap-sport auto encap-dport 5555 &&
		ip -n ufou-fp$s addr add $i/30 dev t1 && ip -n ufou-fp$s link set t1 up ||
			echo "FP-SETUP tunnel in ufou-fp$s failed"
	done
	ip netns exec ufou-fpa ping -c 3 -i 0.2 -w 10 198.19.77.2
	echo "FP-PING rc=$?"
	for s in a b; do
		echo "FP-JSON-$s $(ip netns exec ufou-fp$s ufou -S /tmp/ufou-fp$s.sock -s -s -j link show | tr -d "\n")"
	done
fi
fp_stop $pa fpa; fp_stop $pb fpb
ip netns del ufou-fpa; ip netns del ufou-fpb
fp_log fpa; fp_log fpb
'
# fp_section FILE NAME: the lines between FP-LOG-BEGIN NAME and FP-LOG-END NAME
fp_section() { sed -n "/^FP-LOG-BEGIN $2\$/,/^FP-LOG-END $2\$/{/^FP-LOG-/d;p}" "$1"; }
# fp_diag FILE NAME: what a developer needs from a failed load, as "# " lines
fp_diag() {
	local f=$1
	{
		grep '^FP-\(SETUP\|STATE\|STOP\)' "$f"
		# ufoud's log without the TC detach noise of a clean start. libbpf's
		# verifier log comes in it cut short (ufoud prints at most 1 KB of a
		# libbpf message); bpftool's run has it whole, and the end is what
		# says why: then only ufoud's and libbpf's own lines from ufoud.
		if grep -q '^FP-BPFTOOL-BEGIN' "$f"; then
			fp_section "$f" "$2" | grep '^\(ufoud\|libbpf\): ' |
				grep -v "Cannot find specified filter chain\|Parent Qdisc doesn't exists" | head -30
			echo "bpftool prog loadall of the same object ($(sed -n 's/^FP-BPFTOOL-END //p' "$f")), last lines:"
			sed -n '/^FP-BPFTOOL-BEGIN/,/^FP-BPFTOOL-END/{/^FP-BPFTOOL-/d;p}' "$f" |
				sed '/^Warning: bpftool is now running in libbpf strict mode/,$d' | tail -40
		else
			fp_section "$f" "$2" | grep -v "Cannot find specified filter chain\|Parent Qdisc doesn't exists" |
				head -60
		fi
	} | diag
}

fastpath_load() { # one TAP line; 0 when the fast path loaded
	local f=$LOGS/fastpath-load.log what="guest $GKVER: ufoud's eBPF fast path loads"
	GT=120 g "$FP_LIB$FP_LOAD" >"$f" 2>&1
	local state log
	state=$(sed -n 's/^FP-STATE fp0 //p' "$f")
	log=$(fp_section "$f" fp0)
	if [[ $state == ready* ]] && grep -q 'ufoud: data path: eBPF fast path' <<<"$log" &&
		grep -q 'ufoud: fast path loaded' <<<"$log"; then
		if grep -q '^FP-STOP fp0 rc=0 ' "$f"; then
			ok "$what (ready in ${state#ready } s)"
		else
			notok "$what, but it did not stop cleanly on SIGTERM: $(grep '^FP-STOP' "$f")"
			fp_diag "$f" fp0
		fi
		if grep -q 'ufoud: fast path loaded (no decapsulation flags' <<<"$log"; then
			echo "# guest $GKVER: no decapsulation flags (BPF_F_ADJ_ROOM_DECAP_*, Linux 6.3+): family-changing links take the TUN path"
		else
			echo "# guest $GKVER: the kernel has the decapsulation flags (BPF_F_ADJ_ROOM_DECAP_*)"
		fi
		return 0
	fi
	notok "$what: ${state:-no answer from the guest}: $(grep -h 'data path:' <<<"$log" | head -1)"
	fp_diag "$f" fp0
	echo "# whole output: $f"
	return 1
}

fastpath_traffic() { # one TAP line: a ping through ipip over FOU between two fast paths
	local f=$LOGS/fastpath-traffic.log what="guest $GKVER: ufoud's eBPF fast path carries a ping"
	local why='' s js counts='' tb rb tt rt FP_C_a='' FP_C_b=''
	GT=150 g "$FP_LIB$FP_TRAFFIC" >"$f" 2>&1
	grep '^FP-SETUP' "$f" >/dev/null && why+="$(grep '^FP-SETUP' "$f" | tr '\n' ' ')"
	for s in a b; do
		grep -q "^FP-STATE fp$s ready" "$f" || why+="ufoud in ufou-fp$s: $(sed -n "s/^FP-STATE fp$s //p" "$f"); "
	done
	grep -q '^FP-PING rc=0$' "$f" || why+="ping $(sed -n 's/^FP-PING //p' "$f"); "
	for s in a b; do
		js=$(sed -n "s/^FP-JSON-$s //p" "$f")
		# tx and rx packets of t1 on the fast path (and on the TUN path)
		counts=$("$PY" -c '
import json, sys
try:
    d = json.loads(sys.argv[1])[0]["stats64"]["datapath"]
    print(d["tx"]["bpf"]["packets"], d["rx"]["bpf"]["packets"], d["tx"]["tun"]["packets"], d["rx"]["tun"]["packets"])
except Exception as e:
    print("error", repr(e)[:80])' "$js")
		if ! [[ $counts =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]]; then
			why+="ufou-fp$s t1: no counters (${counts:-none}); "
			continue
		fi
		read -r tb rb tt rt <<<"$counts"
		[ "$tb" -gt 0 ] && [ "$rb" -gt 0 ] ||
			why+="ufou-fp$s t1: fast-path packets tx/rx $tb/$rb (TUN path $tt/$rt); "
		printf -v "FP_C_$s" 'tx.bpf %s rx.bpf %s, tun %s/%s' "$tb" "$rb" "$tt" "$rt"
	done
	grep -q '^FP-STOP fpa rc=0 ' "$f" && grep -q '^FP-STOP fpb rc=0 ' "$f" ||
		why+="$(grep '^FP-STOP' "$f" | tr '\n' ' '); "
	if [ -z "$why" ]; then
		ok "$what (ipip over FOU; A: $FP_C_a; B: $FP_C_b)"
	else
		notok "$what: $why"
		{ grep -v '^FP-JSON' "$f" | grep -v "Cannot find specified filter chain\|Parent Qdisc doesn't exists" | head -60; } | diag
		echo "# whole output: $f"
	fi
}

fastpath() {
	local t0
	t0=$(date +%s)
	GKVER=$(g 'uname -r' 2>/dev/null | tr -d '\r\n' | cut -d. -f1,2)
	GKVER=${GKVER:-?}
	if fastpath_load; then
		fastpath_traffic
	else
		echo "# guest $GKVER: the fast-path traffic check is not run (the fast path did not load)"
	fi
	echo "# guest fast-path tests: $(($(date +%s) - t0)) s"
}

setup
echo "# kernel peer ready after $(($(date +%s) - T0)) s; ${#C_NAME[@]} cases"
num=0
for i in "${!C_NAME[@]}"; do
	num=$((num + 1))
	if [ -n "$ONLY" ] && ! [[ ${C_NAME[$i]} =~ $ONLY ]]; then continue; fi
	run_case "$i" "$num"
done
fastpath
[ "$NFAIL" -eq 0 ]
