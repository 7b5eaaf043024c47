#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Least privilege:
#
#   HA (ufoud -u USER -g ADM -r RO) eth0 198.18.0.1 ===== HB (ufoud as root) eth0 198.18.0.2
#   HC: a ufoud whose worker makes a forbidden system call (fault.so)
#
#  - /proc/PID/status of HA's daemon: every id is USER's; CapEff = CapPrm =
#    CapBnd = CAP_NET_ADMIN + CAP_NET_RAW (+ CAP_BPF with the fast path
#    loaded), nothing inheritable or ambient, no seccomp on the control
#    thread; every worker thread: CAP_NET_RAW only, NoNewPrivs, Seccomp 2.
#    HB's daemon (root, no -u) keeps the same set;
#  - the control socket from root, a member of ADM, a member of RO and an
#    unrelated user: root and ADM add/show/del; RO shows and is refused
#    add/del with a message; the other user is refused everything, with a
#    message; a refused command changes nothing;
#  - traffic flows through a tunnel kept by the daemon running as USER;
#  - a port below 1024 added after set-up is refused, saying why;
#  - a worker that calls socket(AF_PACKET) is stopped by its seccomp
#    filter: one log line naming the call, exit status 159.
#
# Test users and groups get unique names and are deleted on exit.

source "$(dirname "$0")/lib.sh"

require_root
require_binaries
for c in ip jq ping setpriv useradd groupadd userdel groupdel; do require_command "$c"; done

FAULT_SO=$BUILD_DIR/tests/netns/fault.so
CAP_NET_ADMIN=12
CAP_NET_RAW=13
CAP_BPF=39

# ---- users and groups, unique per run
SFX=$$
ADM=ufadm$SFX RO=ufro$SFX
U_DMN=ufdmn$SFX U_ADM=ufa$SFX U_RO=ufr$SFX U_OTHER=ufo$SFX

make_ids()
{
	groupadd "$ADM" && defer groupdel "$ADM" || return 1
	groupadd "$RO" && defer groupdel "$RO" || return 1
	useradd -M -N -g nogroup -s /usr/sbin/nologin "$U_DMN" && defer userdel "$U_DMN" || return 1
	useradd -M -N -g nogroup -G "$ADM" -s /usr/sbin/nologin "$U_ADM" &&
		defer userdel "$U_ADM" || return 1
	useradd -M -N -g nogroup -G "$RO" -s /usr/sbin/nologin "$U_RO" &&
		defer userdel "$U_RO" || return 1
	useradd -M -N -g nogroup -s /usr/sbin/nologin "$U_OTHER" && defer userdel "$U_OTHER"
}

# as USER ufou ARGS...: the CLI against HA's daemon as USER with its groups.
as()
{
	local user=$1
	shift
	ip netns exec "$HA" setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
		"$UFOU" -S "${UFOUD_SOCK[$HA]}" "$@"
}

# status_field PID|PID/task/TID FIELD: a field of /proc/.../status.
status_field()
{
	awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status"
}

# mask BIT...: a capability set as /proc prints it (16 hex digits).
mask()
{
	local m=0 b
	for b in "$@"; do m=$((m | (1 << b))); done
	printf '%016x' "$m"
}

decode()
{
	if command -v capsh >/dev/null; then capsh --decode="$1" | sed 's/^0x[0-9a-f]*=//'; else echo "$1"; fi
}

# check_caps WHERE PATH WANT: CapEff, CapPrm and CapBnd of PATH are WANT,
# CapInh and CapAmb are empty.
check_caps()
{
	local where=$1 p=$2 want=$3 f v
	for f in CapEff CapPrm CapBnd; do
		v=$(status_field "$p" "$f")
		[ "$v" = "$want" ]
		check_err $? "$where $f $v ($(decode "$v")), want $want ($(decode "$want"))"
	done
	for f in CapInh CapAmb; do
		v=$(status_field "$p" "$f")
		[ "$v" = 0000000000000000 ]
		check_err $? "$where $f $v ($(decode "$v")), want none"
	done
}

# control_caps NS: what the control thread of NS's daemon must keep.
control_caps()
{
	if grep -q "data path: eBPF fast path" "${UFOUD_LOG[$1]}"; then
		mask $CAP_NET_ADMIN $CAP_NET_RAW $CAP_BPF
	else
		mask $CAP_NET_ADMIN $CAP_NET_RAW
	fi
}

# check_daemon NS UID: the control thread and every worker of NS's daemon.
check_daemon()
{
	local ns=$1 uid=$2 pid=${UFOUD_PID[$1]} tid n=0 ids
	ids=$(awk '$1 == "Uid:" || $1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$pid/status" | head -1)
	[ "$ids" = "$uid $uid $uid $uid" ]
	check_err $? "Uid line '$ids', want $uid everywhere"
	check_caps "control thread" "$pid" "$(control_caps "$ns")"
	[ "$(status_field "$pid" Seccomp)" = 0 ]
	check_err $? "control thread Seccomp $(status_field "$pid" Seccomp), want 0 (unfiltered)"
	for tid in /proc/"$pid"/task/*; do
		tid=${tid##*/}
		[ "$tid" = "$pid" ] && continue
		n=$((n + 1))
		check_caps "worker $tid" "$pid/task/$tid" "$(mask $CAP_NET_RAW)"
		[ "$(status_field "$pid/task/$tid" Seccomp)" = 2 ]
		check_err $? "worker $tid Seccomp $(status_field "$pid/task/$tid" Seccomp), want 2"
		[ "$(status_field "$pid/task/$tid" NoNewPrivs)" = 1 ]
		check_err $? "worker $tid NoNewPrivs not set"
	done
	[ "$n" -ge 1 ]
	check_err $? "no worker threads in /proc/$pid/task"
}

if ! make_ids; then
	RET=1; retmsg="cannot create test users and groups"; log_test "setup"; exit 1
fi
# Unprivileged users must reach the sockets in the scratch directory.
chmod 0755 "$TMPD"

# ufoud -u needs /dev/net/tun open to its user, as Debian's udev leaves it
# (0666). Where this machine has it 0600, HA's daemon sees a 0666 node of
# the same device bound over it in its own mount namespace (ip netns exec
# makes one, not propagated back); nothing outside changes.
tun_for_user()
{
	local w=$TMPD/ufoud-tun.sh
	mknod -m 0666 "$TMPD/tun" c 10 200 || return 1
	printf '#!/bin/sh\nmount --bind %q /dev/net/tun || exit 1\nexec %q "$@"\n' \
		"$TMPD/tun" "$UFOUD" >"$w" && chmod 0755 "$w" && echo "$w"
}

start_ha()
{
	local real=$UFOUD rc
	if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
		UFOUD=$(tun_for_user) || return 1
	fi
	# Its state file in a directory of its own: the daemon writes it as
	# that user after the drop.
	STATE_DIR=$(mktemp -d /tmp/ufou-dmn-state.XXXXXX) || return 1
	defer rm -rf "$STATE_DIR"
	chown "$U_DMN" "$STATE_DIR" || return 1
	start_ufoud "$HA" -u "$U_DMN" -g "$ADM" -r "$RO" -s "$STATE_DIR/ufoud.state"
	rc=$?
	UFOUD=$real
	return $rc
}

if ! { setup_two_hosts && start_ha && start_ufoud "$HB"; }; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi

# ---------------------------------------------------------------- /proc
check_daemon "$HA" "$(id -u "$U_DMN")"
log_test "ufoud -u: ids, capabilities and seccomp of every thread"
check_daemon "$HB" 0
log_test "ufoud as root: the same capabilities and seccomp"

# ---------------------------------------------------------------- access
# expect_ok WHAT CMD...: CMD succeeds; expect_refused WHAT PATTERN CMD...:
# CMD fails and says PATTERN.
expect_ok()
{
	local what=$1
	shift
	run_cmd "$@"
	check_err $? "$what failed: $CMD_OUT"
}

expect_refused()
{
	local what=$1 pat=$2
	shift 2
	run_cmd "$@"
	check_fail $? "$what was allowed: $CMD_OUT"
	grep -q -- "$pat" <<<"$CMD_OUT"
	check_err $? "$what: message '$CMD_OUT' does not say '$pat'"
}

expect_ok "root fou add" ufou_in "$HA" fou add port 5555 ipproto 4
expect_ok "root link add" ufou_in "$HA" link add name p0 type ipip remote 198.18.0.2 \
	local 198.18.0.1 encap fou encap-sport auto encap-dport 5555
expect_ok "root fou show" ufou_in "$HA" fou show
log_test "control: root adds, shows"

expect_ok "admin fou add" as "$U_ADM" fou add port 5560 ipproto 4
expect_ok "admin fou show" as "$U_ADM" fou show
grep -q "port 5560" <<<"$CMD_OUT"
check_err $? "admin's fou show lacks port 5560: $CMD_OUT"
expect_ok "admin fou del" as "$U_ADM" fou del port 5560
log_test "control: group $ADM adds, shows, deletes"

expect_ok "read-only fou show" as "$U_RO" fou show
grep -q "port 5555" <<<"$CMD_OUT"
check_err $? "read-only fou show lacks port 5555: $CMD_OUT"
expect_ok "read-only link show -s -j" as "$U_RO" -s -j link show
expect_refused "read-only fou add" \
	"permission denied: uid $(id -u "$U_RO") (group $RO) may only show" \
	as "$U_RO" fou add port 5561 ipproto 4
expect_refused "read-only link del" "may only show; \"link del\" needs root or in group $ADM" \
	as "$U_RO" link del p0
log_test "control: group $RO shows, add/del refused with the reason"

expect_refused "other fou show" \
	"permission denied: uid $(id -u "$U_OTHER") is not root or in group $ADM or $RO" \
	as "$U_OTHER" fou show
expect_refused "other fou add" "permission denied" as "$U_OTHER" fou add port 5562 ipproto 4
expect_refused "other link del" "permission denied" as "$U_OTHER" link del p0
run_cmd ufou_in "$HA" fou show
[ "$(grep -c '^port' <<<"$CMD_OUT")" = 1 ] && grep -q "port 5555" <<<"$CMD_OUT"
check_err $? "refused commands changed the ports: $CMD_OUT"
busywait 2000 ip -n "$HA" link show dev p0 >/dev/null
check_err $? "refused link del removed p0"
log_test "control: an unrelated user is refused everything, nothing changes"

# ---------------------------------------------------------------- traffic
expect_ok "HB fou add" ufou_in "$HB" fou add port 5555 ipproto 4
expect_ok "HB link add" ufou_in "$HB" link add name p0 type ipip remote 198.18.0.1 \
	local 198.18.0.2 encap fou encap-sport auto encap-dport 5555
busywait 3000 ip -n "$HB" link show dev p0 >/dev/null
ip -n "$HA" link set p0 up && ip -n "$HA" addr add 198.19.40.1/24 dev p0
ip -n "$HB" link set p0 up && ip -n "$HB" addr add 198.19.40.2/24 dev p0
slowwait 5 ping_ok "$HA" 198.19.40.2
check_err $? "no ping through p0 with HA's ufoud running as $U_DMN"
tcp_transfer "$HA" "$HB" 198.19.40.2 2000000 20
check_err $? "TCP through p0: $XFER_MSG"
check_datapath p0
log_test "traffic through a tunnel of the daemon running as $U_DMN"

# ---------------------------------------------------------------- low ports
expect_refused "fou add port 80 after set-up" "CAP_NET_BIND_SERVICE" \
	ufou_in "$HA" fou add port 80 ipproto 4
run_cmd ufou_in "$HA" fou show
! grep -q "port 80 " <<<"$CMD_OUT"
check_err $? "refused port 80 is listed: $CMD_OUT"
log_test "a port below 1024 after set-up is refused, naming CAP_NET_BIND_SERVICE"

# ---------------------------------------------------------------- state directory
# Run as a user that cannot write the state file's directory (root's, mode
# 0755, reachable as /var/lib is), ufoud stops at start, naming it, instead
# of refusing every change later.
setup_ns HS
mkdir -m 0755 "$TMPD/root-only"
chmod o+x "$TMPD"
out=$(timeout 20 ip netns exec "$HS" "$UFOUD" -u "$U_DMN" -S "$TMPD/hs.sock" \
	-s "$TMPD/root-only/ufoud.state" 2>&1 </dev/null)
rc=$?
[ "$rc" = 1 ] && grep -q "state file \"$TMPD/root-only/ufoud.state\": its directory is not writable by uid $(id -u "$U_DMN")" <<<"$out"
check_err $? "ufoud -u with an unwritable state directory: exit $rc: $out"
log_test "ufoud -u: a state directory the user cannot write stops the start, named"

# ---------------------------------------------------------------- seccomp
# HC's daemon runs with fault.so; its workers make the forbidden call as
# soon as the control thread wakes them (a port add parks them).
setup_ns HC
# fault.so comes before a sanitizer runtime in the library list: allow it.
saved_asan=${ASAN_OPTIONS-}
[ "${SANITIZED:-0}" = 1 ] && export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
LD_PRELOAD="$FAULT_SO" UFOU_FAULT=worker-syscall start_ufoud "$HC"
started=$?
ASAN_OPTIONS=$saved_asan
if [ "$started" = 0 ]; then
	pid=${UFOUD_PID[$HC]}
	run_cmd ufou_in "$HC" fou add port 5555 ipproto 4
	slowwait 5 _pid_gone "$pid"
	check_err $? "ufoud still runs after its worker called socket(AF_PACKET)"
	wait "$pid"
	rc=$?
	unset "UFOUD_PID[$HC]"
	[ "$rc" = 159 ]
	check_err $? "exit status $rc, want 159"
	grep -Eq "^ufoud: worker [0-9]+ made forbidden system call [0-9]+ \(socket\), exiting$" \
		"${UFOUD_LOG[$HC]}"
	check_err $? "no log line naming the forbidden call: $(tail -n 3 "${UFOUD_LOG[$HC]}")"
else
	check_err 1 "ufoud with fault.so did not start"
fi
log_test "a worker's forbidden system call: one log line, exit 159"

exit "$EXIT_STATUS"
