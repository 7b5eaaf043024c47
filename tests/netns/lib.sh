# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
#
# Shared harness for the network-namespace tests, in the style of the kernel's
# tools/testing/selftests/net/lib.sh: setup_ns, a defer stack run on exit,
# busywait/slowwait instead of sleeps, check_err/check_fail + log_test. Output
# is TAP ("ok N - name" / "not ok N - name" / "# diagnostics"), which
# tests/run.sh counts.
#
# Environment: BUILD (build directory relative to the repo root or absolute,
# default "build"), UFOU_TEST_LOGDIR (daemon logs go there when set),
# VERBOSE=1 prints every command run through run_cmd, UFOU_DATAPATH (tun or
# bpf: every ufoud started here gets -D with it, and check_datapath then
# requires the traffic to have taken that path; tests/run.sh runs each
# file once per data path).
#
# Only processes started here are ended, always by PID. Addresses come from
# 198.18.0.0/15 and fd00::/8; no default routes are ever added.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) BUILD_DIR=$BUILD ;;
*) BUILD_DIR=$REPO_ROOT/$BUILD ;;
esac
UFOU=$BUILD_DIR/ufou
UFOUD=$BUILD_DIR/ufoud
# Outer-header shapes of a capture, to compare the two data paths' wire.
WIRE_SIG=$REPO_ROOT/tests/netns/wire_sig.py

ksft_pass=0
ksft_fail=1
ksft_skip=4

RET=0                 # result of the current test (0 ok, 1 failed)
retmsg=               # first failure message of the current test
EXIT_STATUS=0         # 1 once any test failed
TESTS_RUN=0
NS_LIST=()
declare -A UFOUD_PID=()
declare -A UFOUD_SOCK=()
declare -A UFOUD_LOG=()

# Scratch directory for sockets, files and logs of this run.
TMPD=$(mktemp -d "/tmp/ufou-netns.$$.XXXXXX")
LOGD=${UFOU_TEST_LOGDIR:-$TMPD}
SCRIPT_NAME=$(basename "$0" .sh)

echo "TAP version 13"

# ---- defer: a stack of cleanup commands, run in reverse order on exit

DEFER_CMDS=()

# defer CMD [ARGS...]: run CMD on exit (quoted as given).
defer()
{
	local q
	q=$(printf '%q ' "$@")
	DEFER_CMDS+=("$q")
}

defer_run_all()
{
	local i
	for ((i = ${#DEFER_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${DEFER_CMDS[i]}" >/dev/null 2>&1
	done
	DEFER_CMDS=()
}

lib_exit()
{
	local rc=$?

	trap - EXIT
	# Nothing may stop the cleanup half way: a closed stdout, nor a second
	# signal (timeout(1) signals the test and then its whole process group).
	trap '' PIPE INT TERM HUP
	defer_run_all
	rm -rf "$TMPD"
	echo "1..$TESTS_RUN"
	if [ "$rc" -eq 0 ] && [ "$EXIT_STATUS" -ne 0 ]; then
		rc=$ksft_fail
	fi
	exit "$rc"
}
trap lib_exit EXIT
trap 'echo "# interrupted"; EXIT_STATUS=1; exit 1' INT TERM HUP
# Output closed (| head): nothing more can be written, but still clean up.
trap 'trap "" PIPE; EXIT_STATUS=1; exit 1' PIPE

# ---- TAP results

# check_err ERR MSG: the current test fails when ERR is not 0.
check_err()
{
	local err=$1 msg=$2

	if [ "$RET" -eq 0 ] && [ "$err" -ne 0 ]; then
		RET=$err
		retmsg=$msg
	fi
}

# check_fail ERR MSG: the current test fails when ERR is 0.
check_fail()
{
	local err=$1 msg=$2

	if [ "$RET" -eq 0 ] && [ "$err" -eq 0 ]; then
		RET=1
		retmsg=$msg
	fi
}

# log_test NAME: print "ok N - NAME" or "not ok N - NAME" and reset RET.
log_test()
{
	local name=$1

	TESTS_RUN=$((TESTS_RUN + 1))
	if [ "$RET" -eq 0 ]; then
		echo "ok $TESTS_RUN - $SCRIPT_NAME: $name"
	else
		echo "not ok $TESTS_RUN - $SCRIPT_NAME: $name"
		[ -n "$retmsg" ] && printf '%s\n' "$retmsg" | sed 's/^/#   /'
		EXIT_STATUS=1
	fi
	RET=0
	retmsg=
	return 0
}

# log_skip NAME REASON: a test that could not run; counted as failure, since
# the suite installs what it needs (scripts/test.sh).
log_skip()
{
	RET=1
	retmsg="skipped: $2"
	log_test "$1"
}

# diag TEXT...: a TAP diagnostics line.
diag()
{
	printf '# %s\n' "$*"
}

# run_cmd CMD...: run quietly (verbose with VERBOSE=1); output in $CMD_OUT.
run_cmd()
{
	CMD_OUT=$("$@" 2>&1)
	local rc=$?
	if [ "${VERBOSE:-0}" = 1 ]; then
		diag "\$ $* -> $rc"
		[ -n "$CMD_OUT" ] && printf '%s\n' "$CMD_OUT" | sed 's/^/#     /'
	fi
	return $rc
}

# require_command CMD: abort the file (one failed test) if CMD is missing.
require_command()
{
	local cmd=$1

	if ! command -v "$cmd" >/dev/null 2>&1; then
		log_skip "require $cmd" "command $cmd not found (run scripts/test.sh to install deps)"
		exit $ksft_fail
	fi
}

# require_binaries: the daemon and CLI must have been built.
require_binaries()
{
	if [ ! -x "$UFOU" ] || [ ! -x "$UFOUD" ]; then
		log_skip "binaries in $BUILD" "$UFOU or $UFOUD missing: run make BUILD=$BUILD all"
		exit $ksft_fail
	fi
}

require_root()
{
	if [ "$(id -u)" -ne 0 ]; then
		log_skip "run as root" "network namespaces need root"
		exit $ksft_fail
	fi
}

# ---- waiting: poll with short sleeps, bounded in time and count

# loopy_wait SLEEP_S TIMEOUT_MS CMD...: until CMD succeeds or time runs out.
# Prints CMD's last output; returns 0 on success, 1 on timeout.
loopy_wait()
{
	local sleep_s=$1 timeout_ms=$2
	shift 2
	local start now out n=0
	local max_iter=$((timeout_ms / 5 + 100))

	start=$(date +%s%3N)
	while :; do
		if out=$("$@" 2>&1); then
			printf '%s' "$out"
			return 0
		fi
		now=$(date +%s%3N)
		n=$((n + 1))
		if ((now - start > timeout_ms || n > max_iter)); then
			printf '%s' "$out"
			return 1
		fi
		sleep "$sleep_s"
	done
}

# busywait TIMEOUT_MS CMD...: poll every 10 ms.
busywait()
{
	local timeout_ms=$1
	shift
	loopy_wait 0.01 "$timeout_ms" "$@"
}

# slowwait TIMEOUT_S CMD...: poll every 100 ms.
slowwait()
{
	local timeout_s=$1
	shift
	loopy_wait 0.1 "$((timeout_s * 1000))" "$@"
}

# busywait_for_counter TIMEOUT_MS DELTA CMD...: wait until CMD's numeric
# output grew by at least DELTA from its value now.
busywait_for_counter()
{
	local timeout_ms=$1 delta=$2
	shift 2
	local base
	base=$("$@")
	busywait "$timeout_ms" _counter_ge $((base + delta)) "$@"
}

_counter_ge()
{
	local min=$1 v
	shift
	v=$("$@")
	[ -n "$v" ] && [ "$v" -ge "$min" ]
}

# ---- namespaces

# setup_ns VAR...: create one namespace per VAR with a unique name stored in
# VAR, lo up, deleted on exit.
setup_ns()
{
	local var name

	for var in "$@"; do
		name="ufou-${var,,}-$$-$(mktemp -u XXXXXX)"
		if ! ip netns add "$name"; then
			echo "# setup_ns: cannot create namespace $name" >&2
			return 1
		fi
		defer ip netns del "$name"
		NS_LIST+=("$name")
		ip -n "$name" link set lo up
		ip netns exec "$name" sysctl -qw net.ipv4.ping_group_range="0 2147483647" 2>/dev/null
		eval "$var=\$name"
	done
}

# in_ns NS CMD...: run CMD inside NS.
in_ns()
{
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# setup_two_hosts: namespaces HA and HB joined by a veth pair (eth0 on each
# side), MTU 1500, 198.18.0.1/24 + fd00:18::1/64 on HA, .2 / ::2 on HB.
HA_V4=198.18.0.1
HB_V4=198.18.0.2
HA_V6=fd00:18::1
HB_V6=fd00:18::2
setup_two_hosts()
{
	setup_ns HA HB || return 1
	ip link add name eth0 netns "$HA" mtu 1500 type veth \
		peer name eth0 netns "$HB" mtu 1500 || return 1
	hosts_up
}

# hosts_up: the underlay addresses on HA's and HB's eth0, the links up,
# and both families answering across (whatever joins the two eth0s).
hosts_up()
{
	ip -n "$HA" addr add "$HA_V4/24" dev eth0
	ip -n "$HB" addr add "$HB_V4/24" dev eth0
	ip -n "$HA" addr add "$HA_V6/64" dev eth0 nodad
	ip -n "$HB" addr add "$HB_V6/64" dev eth0 nodad
	ip -n "$HA" link set eth0 up
	ip -n "$HB" link set eth0 up
	slowwait 5 in_ns "$HA" ping -c 1 -W 1 "$HB_V4" >/dev/null || return 1
	slowwait 5 in_ns "$HA" ping -6 -c 1 -W 1 "$HB_V6" >/dev/null || return 1
}

# dev_mtu NS DEV: the device's MTU as the kernel has it (empty if no such device).
dev_mtu()
{
	ip -n "$1" -j link show dev "$2" 2>/dev/null | jq -r '.[0].mtu // empty'
}

# set_underlay_mtu MTU: both ends of the veth pair.
set_underlay_mtu()
{
	ip -n "$HA" link set eth0 mtu "$1" && ip -n "$HB" link set eth0 mtu "$1"
}

# ---- the daemon

# start_ufoud NS [ARGS...]: start $UFOUD in NS with its own control socket
# and state file, wait for "ufoud: ready", stop it on exit. Logs in $LOGD.
start_ufoud()
{
	local ns=$1
	shift
	local sock=$TMPD/$ns.sock
	local log=$LOGD/$SCRIPT_NAME-ufoud-$ns.log
	local pid

	local -a dpa=() sta=()
	# The suite's data path, unless the test chose one itself.
	if [ -n "${UFOU_DATAPATH:-}" ] && [[ " $* " != *" -D "* ]]; then
		dpa=(-D "$UFOU_DATAPATH")
	fi
	# Never the host's /var/lib/ufou: a fresh state file per start, unless the
	# test names one (-s FILE) to see what a restart brings back.
	# (mktemp: start_ufoud may run in a subshell, where a counter would not count.)
	if [[ " $* " != *" -s "* ]]; then
		sta=(-s "$(mktemp -u "$TMPD/$ns.state.XXXXXX")")
	fi
	: >"$log"
	ip netns exec "$ns" "$UFOUD" -S "$sock" -v "${dpa[@]}" "${sta[@]}" "$@" 2>>"$log" >>"$log" &
	pid=$!
	UFOUD_PID[$ns]=$pid
	UFOUD_SOCK[$ns]=$sock
	UFOUD_LOG[$ns]=$log
	defer stop_ufoud "$ns"
	# Stop waiting as soon as the daemon is ready or gone.
	slowwait 10 _ufoud_ready_or_dead "$ns" >/dev/null
	if ! _ufoud_ready "$ns"; then
		echo "# ufoud ($UFOUD) in $ns not ready; log:"
		tail -n 20 "$log" | sed 's/^/#   /'
		return 1
	fi
}

_ufoud_ready_or_dead()
{
	_ufoud_ready "$1" || ! kill -0 "${UFOUD_PID[$1]}" 2>/dev/null
}

_ufoud_ready()
{
	local ns=$1
	kill -0 "${UFOUD_PID[$ns]}" 2>/dev/null || return 2
	grep -q "ufoud: ready" "${UFOUD_LOG[$ns]}" && [ -S "${UFOUD_SOCK[$ns]}" ]
}

# ufoud_alive NS: the daemon of NS still runs.
ufoud_alive()
{
	[ -n "${UFOUD_PID[$1]:-}" ] && kill -0 "${UFOUD_PID[$1]}" 2>/dev/null
}

# stop_ufoud NS [SIG]: SIGTERM (or SIG: USR1 removes the tunnels under -k
# too), wait (bounded), then SIGKILL. Returns the exit status of the
# daemon (0 = clean). Only ever signals the PID we started.
stop_ufoud()
{
	local ns=$1 sig=${2:-TERM} pid rc
	pid=${UFOUD_PID[$ns]:-}
	[ -n "$pid" ] || return 0
	unset "UFOUD_PID[$ns]"
	if kill -"$sig" "$pid" 2>/dev/null; then
		if ! slowwait 10 _pid_gone "$pid"; then
			echo "# ufoud in $ns ignored SIG$sig, killing"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	return $rc
}

_pid_gone()
{
	! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null)" = Z ]
}

# ufou_in NS ARGS...: the CLI against the daemon of NS (run inside NS).
ufou_in()
{
	local ns=$1
	shift
	ip netns exec "$ns" "$UFOU" -S "${UFOUD_SOCK[$ns]:-$TMPD/$ns.sock}" "$@"
}

# ---- counters (JSON from `ufou -s -j ... show`, read with jq)

# _counter NS OBJECT SELECT REDUCE EXPR JQ-ARGS...: EXPR (0 when absent) of
# the entries of `ufou -s -j OBJECT show` matching SELECT, reduced by REDUCE.
_counter()
{
	local ns=$1 obj=$2 sel=$3 red=$4 expr=$5
	shift 5
	ufou_in "$ns" -s -j "$obj" show 2>/dev/null |
		jq -r "$@" "[.[] | select($sel) | ($expr // 0)] | $red // 0" 2>/dev/null
}

# link_counter NS IFNAME EXPR: e.g. ".stats64.rx.packets"; prints a number
# (0 when absent).
link_counter()
{
	_counter "$1" link '.ifname == $n' first "$3" --arg n "$2"
}

# link_drop NS IFNAME REASON: a named rx drop counter of a link.
link_drop()
{
	link_counter "$1" "$2" ".stats64.drops[\"$3\"]"
}

# port_counter NS PORT EXPR: e.g. '.stats64.drops["no-tunnel"]'; prints a
# number (summed over the IPv4 and IPv6 ports of that number).
port_counter()
{
	_counter "$1" fou '.port == $p' add "$3" --argjson p "$2"
}

# port_drop NS PORT REASON: a named drop counter of a port.
port_drop()
{
	port_counter "$1" "$2" ".stats64.drops[\"$3\"]"
}

# port_drops_total NS PORT: sum of all drop counters of a port.
port_drops_total()
{
	port_counter "$1" "$2" '((.stats64.drops // {}) | [.[]] | add)'
}

# ---- which data path carried the traffic

# _dp_of NS IFNAME: "PATH BPF_RX BPF_TX" of a link (-s -s counters).
_dp_of()
{
	ufou_in "$1" -s -s -j link show "$2" 2>/dev/null | jq -r '.[0] |
		"\(.datapath // "none") \(.stats64.datapath.rx.bpf.packets // 0) \(.stats64.datapath.tx.bpf.packets // 0)"'
}

# check_datapath IFNAME: after traffic both ways through IFNAME (on HA and
# HB), the packets took the path UFOU_DATAPATH names. tun: no link is on the
# fast path and it counted nothing. bpf: each side whose link transmits on
# the fast path ("bpf", "bpf-tx") sent packets there, and the other side, if
# it receives on the fast path ("bpf", "bpf-rx"), took them there; a
# fast-path test whose packets all went the TUN path fails here.
check_datapath()
{
	local ifn=$1 a b pa rxa txa pb rxb txb
	[ -n "${UFOU_DATAPATH:-}" ] || return 0
	a=$(_dp_of "$HA" "$ifn")
	b=$(_dp_of "$HB" "$ifn")
	read -r pa rxa txa <<<"$a"
	read -r pb rxb txb <<<"$b"
	if [ "$UFOU_DATAPATH" = tun ]; then
		[ "$pa" = tun ] && [ "$pb" = tun ] && [ "$((rxa + txa + rxb + txb))" = 0 ]
		check_err $? "$ifn under -D tun: HA $a, HB $b (path, bpf rx, bpf tx)"
		return
	fi
	_dp_dir_ok "$pa" "$txa" "$pb" "$rxb" && _dp_dir_ok "$pb" "$txb" "$pa" "$rxa"
	check_err $? "$ifn under -D bpf: HA $a, HB $b (path, bpf rx, bpf tx)"
}

# _dp_dir_ok SENDER_PATH SENT RECEIVER_PATH RECEIVED: one direction's rule.
_dp_dir_ok()
{
	case $1 in bpf|bpf-tx) ;; *) return 0 ;; esac
	[ "$2" -gt 0 ] || return 1
	case $3 in bpf|bpf-rx) [ "$4" -gt 0 ] ;; *) return 0 ;; esac
}

# ---- traffic helpers

# ping_ok NS ADDR: up to three echo requests, one at a time, success at the
# first answer (three at once took 0.4 s even when the first came back).
ping_ok()
{
	local ns=$1 addr=$2 fam=-4 i
	case $addr in *:*) fam=-6 ;; esac
	for i in 1 2 3; do
		ip netns exec "$ns" ping "$fam" -c 1 -W 1 -q "$addr" >/dev/null 2>&1 && return 0
	done
	return 1
}

# ping_fails NS ADDR: no reply within a short time.
ping_fails()
{
	local ns=$1 addr=$2 fam=-4
	case $addr in *:*) fam=-6 ;; esac
	! ip netns exec "$ns" ping "$fam" -c 2 -i 0.2 -w 1 -q "$addr" >/dev/null 2>&1
}

# tunnel_pair IFNAME N FAM INNER PORT PORTARGS TYPEWORDS ENCWORDS: the same
# tunnel on HA (side 1) and HB (side 2): `fou add port PORT PORTARGS`, then
# `link add name IFNAME type TYPEWORDS remote R local L ENCWORDS encap-sport
# auto encap-dport PORT` with R/L the eth0 addresses of family FAM, then the
# device up with 198.19.N.SIDE/24 (INNER 4) or fd00:1:N::SIDE/64 (INNER 6).
# Word lists split on spaces; failures are recorded with check_err.
tunnel_pair()
{
	local ifname=$1 n=$2 fam=$3 inner=$4 port=$5 side ns lcl rmt
	local -a pa tw ew
	read -r -a pa <<<"$6"
	read -r -a tw <<<"$7"
	read -r -a ew <<<"$8"
	for side in 1 2; do
		[ "$side" = 1 ] && ns=$HA || ns=$HB
		if [ "$fam" = 4 ]; then
			lcl=198.18.0.$side rmt=198.18.0.$((3 - side))
		else
			lcl=fd00:18::$side rmt=fd00:18::$((3 - side))
		fi
		run_cmd ufou_in "$ns" fou add port "$port" "${pa[@]}"
		check_err $? "fou add port $port $6: $CMD_OUT"
		run_cmd ufou_in "$ns" link add name "$ifname" type "${tw[@]}" remote "$rmt" \
			local "$lcl" "${ew[@]}" encap-sport auto encap-dport "$port"
		check_err $? "link add $ifname type $7 ... $8: $CMD_OUT"
		busywait 3000 ip -n "$ns" link show dev "$ifname" >/dev/null
		check_err $? "device $ifname missing in $ns"
		ip -n "$ns" link set dev "$ifname" up 2>/dev/null
		if [ "$inner" = 4 ]; then
			ip -n "$ns" addr add "198.19.$n.$side/24" dev "$ifname" 2>/dev/null
		else
			ip -n "$ns" addr add "fd00:1:$n::$side/64" dev "$ifname" nodad 2>/dev/null
		fi
	done
}

# tcp_transfer SRC_NS DST_NS DST_ADDR BYTES TIMEOUT_S: send BYTES random
# bytes over TCP with socat and compare sha256 at the far end. Sets
# XFER_SECS (wall time) and XFER_MSG (why it failed).
TCP_PORT_NEXT=20000
tcp_transfer()
{
	local src=$1 dst=$2 addr=$3 bytes=$4 tmo=$5
	local port=$TCP_PORT_NEXT in=$TMPD/xfer.in out=$TMPD/xfer.out
	local rpid t0 t1 h_in h_out connect=$addr listen=TCP4-LISTEN

	TCP_PORT_NEXT=$((TCP_PORT_NEXT + 1))
	XFER_MSG=
	XFER_SECS=
	case $addr in *:*) connect="[$addr]" listen=TCP6-LISTEN ;; esac
	head -c "$bytes" /dev/urandom >"$in"
	rm -f "$out"
	ip netns exec "$dst" timeout "$tmo" \
		socat -u "$listen:$port,reuseaddr" "OPEN:$out,creat,trunc" 2>"$TMPD/xfer.rx.err" &
	rpid=$!
	if ! busywait 5000 _tcp_listening "$dst" "$port"; then
		XFER_MSG="receiver not listening on $port"
		kill "$rpid" 2>/dev/null
		wait "$rpid" 2>/dev/null
		return 1
	fi
	t0=$(date +%s%N)
	ip netns exec "$src" timeout "$tmo" \
		socat -u "OPEN:$in" "TCP:$connect:$port,connect-timeout=5" 2>"$TMPD/xfer.tx.err"
	local txrc=$?
	# A sender that failed leaves the receiver waiting: end it (our PID).
	[ $txrc -ne 0 ] && kill "$rpid" 2>/dev/null
	wait "$rpid"
	local rxrc=$?
	t1=$(date +%s%N)
	XFER_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	h_in=$(sha256sum <"$in" | cut -d' ' -f1)
	h_out=$( { sha256sum <"$out" | cut -d' ' -f1; } 2>/dev/null)
	if [ "$h_in" != "$h_out" ]; then
		XFER_MSG="sha256 mismatch: sent $bytes bytes, got $(stat -c %s "$out" 2>/dev/null || echo 0) (sender rc $txrc, receiver rc $rxrc$([ "$txrc" = 124 ] && echo ": timed out after ${tmo}s"); $(cat "$TMPD/xfer.tx.err" "$TMPD/xfer.rx.err" 2>/dev/null | head -c 300 | tr '\n' ' '))"
		rm -f "$in" "$out"
		return 1
	fi
	rm -f "$in" "$out"
	return 0
}

_tcp_listening()
{
	ip netns exec "$1" ss -Htln "sport = :$2" | grep -q .
}

# ---- raw UDP datagrams (python3): send_udp NS SRC SPORT DST DPORT HEX
# SRC may be "" (kernel chooses) and SPORT 0 (any).
send_udp()
{
	local ns=$1 src=$2 sport=$3 dst=$4 dport=$5 hex=$6
	ip netns exec "$ns" python3 - "$src" "$sport" "$dst" "$dport" "$hex" <<'EOF'
import socket, sys
src, sport, dst, dport, payload = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), bytes.fromhex(sys.argv[5])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((src, sport))
s.sendto(payload, (dst, dport))
s.close()
EOF
}

# ipv4_icmp_echo_hex SRC DST: an IPv4 ICMP echo request (checksums right).
ipv4_icmp_echo_hex()
{
	python3 - "$1" "$2" <<'EOF'
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"ufou-negative-test"
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
                 socket.inet_aton(sys.argv[1]), socket.inet_aton(sys.argv[2]))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
print((ip + icmp).hex())
EOF
}

# capture_start NS PCAP: tcpdump on NS's eth0 into PCAP (the first 200 bytes
# of each frame), returning once it listens; capture_stop ends it. Every
# frame: a filter on the UDP port would not see past IPv6's destination option.
CAPTURE_PID=
CAPTURE_DEFERRED=
capture_start()
{
	local ns=$1 pcap=$2
	rm -f "$pcap" "$pcap.err"
	ip netns exec "$ns" timeout 120 tcpdump -i eth0 -nn -U --immediate-mode -s 200 \
		-w "$pcap" >/dev/null 2>"$pcap.err" &
	CAPTURE_PID=$!
	if [ -z "$CAPTURE_DEFERRED" ]; then
		defer capture_stop
		CAPTURE_DEFERRED=1
	fi
	busywait 5000 grep -q "listening on" "$pcap.err"
}

capture_stop()
{
	[ -n "$CAPTURE_PID" ] || return 0
	kill "$CAPTURE_PID" 2>/dev/null
	wait "$CAPTURE_PID" 2>/dev/null
	CAPTURE_PID=
}
