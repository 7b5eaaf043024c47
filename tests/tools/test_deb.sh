#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317  # res, inside, run_unit, maint_scripts run in the chroot, by name
#
# The Debian package, built, linted, installed and purged in a throw-away
# root, never the machine's own:
#
#  - `make deb` builds it; lintian finds no error (warnings are printed);
#  - it holds what `make install DESTDIR=... PREFIX=/usr` installs (so man
#    pages, completion and plugins come along once make install has them);
#  - in a private mount namespace, an overlay of / (changes go to a tmpfs)
#    is chrooted into; there dpkg -i installs it, the unit is not enabled,
#    and the unit's ExecStart runs as systemd would run it: in a fresh
#    network namespace, under the unit's CapabilityBoundingSet, with
#    NOTIFY_SOCKET read by the test (READY=1 and STATUS=, then SIGHUP:
#    RELOADING=1 and READY=1 again, SIGTERM: STOPPING=1, exit 0 and the
#    devices kept (-k), started again: they are taken over, SIGUSR1 (what
#    prerm sends on removal): exit 0 and the devices gone), its
#    stderr as the journal's stream (lines with <N> priorities; a broken
#    file on reload logged as an error, nothing changed), and `ufou`
#    reaching it on its default control socket;
#  - the maintainer scripts as where systemd runs (stubs stand in for
#    systemctl and deb-systemd-invoke, a real ufoud runs): installed again
#    (an upgrade) postinst reloads and try-restarts; dpkg --purge's prerm
#    sends SIGUSR1 and the tunnels go, then stops;
#  - after the purge the overlay's changes are compared with / : nothing
#    may be left but dpkg's own records (see EXCLUDED below).
# Everything is gone when the namespaces are: mounts, chroot, devices.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_DIR=$BUILD ;; *) BUILD_DIR=$REPO/$BUILD ;; esac

# What a purge may leave in the overlay, and why:
#  var/lib/dpkg/   dpkg's database (status, its backup, locks, triggers):
#                  it records the install and the purge;
#  var/log/dpkg.log  dpkg's log of the same;
#  var/cache/man/  man-db's index, rebuilt by its dpkg trigger when a
#                  package with man pages comes or goes.
EXCLUDED='^(var/lib/dpkg/|var/log/dpkg\.log$|var/cache/man/)'

# ---------------------------------------------------------------- in the chroot
# res RC NAME [DIAG]: one result for the TAP side to print ("@@ RC NAME",
# DIAG as "@@# " lines on failure); returns RC, and a failure sets rc (the
# caller's, where it keeps one). Passed on with declare -f.
res()
{
	echo "@@ $1 $2"
	if [ "$1" -ne 0 ]; then
		[ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/@@# /'
		rc=1
	fi
	return "$1"
}

# inside DEB: install, run, purge; prints "@@ RC NAME" results and "@@# DIAG".
inside()
{
	local deb=$1 unit=/lib/systemd/system/ufoud.service

	out=$(DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" 2>&1)
	res $? "dpkg -i in the throw-away root" "$out"
	missing=
	while read -r f; do
		[ -e "/$f" ] || [ -e "/$f.gz" ] || missing="$missing /$f"
	done </tmp/expected
	[ -z "$missing" ]
	res $? "every file make install installs is on the system" "missing:$missing"
	[ ! -e /etc/systemd/system/multi-user.target.wants/ufoud.service ] &&
		dpkg-query -W -f='${Conffiles}' ufou | grep -q ' /etc/ufou/ufou.conf '
	res $? "ufoud.service not enabled on install; /etc/ufou/ufou.conf a conffile"

	# The administrator's configuration: one port, one link.
	cat >>/etc/ufou/ufou.conf <<-'CONF'
	fou add port 5555 ipproto 4
	link add name fou0 type ipip remote 198.18.0.2 local 198.18.0.1 encap fou encap-sport auto encap-dport 5555
	CONF
	unshare -n bash -c "$(declare -f res run_unit); run_unit $unit"
	res $? "ExecStart as systemd runs it, in a new netns (results above)"

	unshare -n bash -c "$(declare -f res maint_scripts); maint_scripts $deb"
	res $? "the maintainer scripts where systemd runs, upgrade and purge (results above)"
	[ ! -e /etc/ufou ] && [ ! -e /usr/sbin/ufoud ] && [ ! -e "$unit" ]
	res $? "purge removed /etc/ufou, ufoud and the unit"
}

# maint_scripts DEB: in a fresh network namespace, the maintainer scripts
# as they run on a machine where systemd runs (/run/systemd/system exists),
# with a real ufoud running as the unit runs it and stubs for systemctl and
# deb-systemd-invoke that log their calls and act on that ufoud: an upgrade
# (DEB installed again) reloads systemd and restarts a running ufoud; the
# purge's prerm sends it SIGUSR1, so its tunnels go before the stop.
maint_scripts()
{
	local deb=$1 stubs=/tmp/stubs pid rc=0 out
	mkdir -p /run/systemd/system /run/ufou "$stubs"
	cat >"$stubs/systemctl" <<-'STUB'
	#!/bin/sh
	echo "systemctl $*" >>/tmp/stubs/calls
	pid=$(cat /tmp/stubs/pid)
	case "$*" in
	*is-active*) [ -d "/proc/$pid" ] && ! grep -q '^State:.*zombie' "/proc/$pid/status" ;;
	*kill*--signal=SIGUSR1*) kill -USR1 "$pid" ;;
	esac
	STUB
	printf '#!/bin/sh\necho "deb-systemd-invoke $*" >>/tmp/stubs/calls\n' >"$stubs/deb-systemd-invoke"
	chmod +x "$stubs/systemctl" "$stubs/deb-systemd-invoke"
	ip link set lo up
	ip link add eth0 type veth peer name eth1
	ip addr add 198.18.0.1/24 dev eth0
	ip link set eth0 up; ip link set eth1 up
	# ExecStart's command line (-k), as the unit has it.
	$(sed -n 's/^ExecStart=//p' /lib/systemd/system/ufoud.service) >/tmp/stubs/ufoud.log 2>&1 &
	pid=$!
	echo "$pid" >"$stubs/pid"
	for _ in $(seq 100); do ip link show fou0 >/dev/null 2>&1 && break; sleep 0.1; done

	: >"$stubs/calls"
	out=$(PATH=$stubs:$PATH DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" 2>&1)
	res $? "dpkg -i again (an upgrade)" "$out"
	grep -q '^systemctl --system daemon-reload$' "$stubs/calls" &&
		grep -A9 '^systemctl --system daemon-reload$' "$stubs/calls" |
		grep -q '^deb-systemd-invoke try-restart ufoud.service$'
	res $? "upgrade: postinst reloads systemd, then try-restarts ufoud" "calls: $(cat "$stubs/calls")"

	: >"$stubs/calls"
	out=$(PATH=$stubs:$PATH dpkg --purge ufou 2>&1)
	res $? "dpkg --purge" "$out"
	wait "$pid"
	res $? "prerm remove: the running ufoud exited 0" "$(tail -n 5 "$stubs/ufoud.log")"
	grep -q 'signal 10: shutting down, removing the tunnels' "$stubs/ufoud.log" &&
		! ip link show fou0 >/dev/null 2>&1
	res $? "prerm remove: SIGUSR1 took the tunnel device fou0 down though the unit runs -k" \
		"ufoud: $(tail -n 5 "$stubs/ufoud.log"); calls: $(cat "$stubs/calls")"
	grep -n 'kill --kill-who=main --signal=SIGUSR1 ufoud.service$' "$stubs/calls" | cut -d: -f1 >"$stubs/k"
	grep -n '^deb-systemd-invoke stop ufoud.service$' "$stubs/calls" | cut -d: -f1 >"$stubs/s"
	[ -s "$stubs/k" ] && [ -s "$stubs/s" ] && [ "$(head -n1 "$stubs/k")" -lt "$(head -n1 "$stubs/s")" ]
	res $? "prerm remove: SIGUSR1 (systemctl kill), then the stop" "calls: $(cat "$stubs/calls")"
	rm -rf "$stubs" /run/systemd /run/ufou
	return $rc
}

# run_unit UNIT: in a fresh network namespace, what systemd does for UNIT.
run_unit()
{
	local unit=$1 ns=/run/ufou-test/notify log=/run/ufou-test/notify.log dlog=/run/ufou-test/ufoud.log
	local exec caps pid lpid idx rc=0
	wait_for() { # wait_for PATTERN FILE: up to 10 s
		for _ in $(seq 100); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
		return 1
	}

	ip link set lo up
	ip link add eth0 type veth peer name eth1
	ip addr add 198.18.0.1/24 dev eth0
	ip link set eth0 up; ip link set eth1 up
	mkdir -p /run/ufou-test
	python3 /tmp/deb_notify.py "$ns" "$log" &
	lpid=$!
	wait_for listening "$log"
	# systemd: RuntimeDirectory=, UMask=, CapabilityBoundingSet=, NoNewPrivileges=,
	# and stderr to the journal, whose stream JOURNAL_STREAM names (device:inode).
	: >"$dlog"
	exec=$(sed -n 's/^ExecStart=//p' "$unit")
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
	mkdir -m 0755 "/run/$(sed -n 's/^RuntimeDirectory=//p' "$unit")"
	launch() {
		# shellcheck disable=SC2086
		(umask "$(sed -n 's/^UMask=//p' "$unit")"; cd /
		 exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET="$ns" \
			JOURNAL_STREAM="$(stat -c %d:%i "$dlog")" \
			setpriv --bounding-set=-all,"$caps" --no-new-privs -- $exec) >>"$dlog" 2>&1 &
		pid=$!
	}
	launch

	wait_for '^READY=1|STATUS=1 link, 1 port$' "$log"
	res $? "READY=1 with STATUS=1 link, 1 port once the file is applied" \
		"notify: $(cat "$log"); ufoud: $(cat "$dlog")"
	grep -q "data path: eBPF fast path" "$dlog"
	res $? "the eBPF fast path loads within CapabilityBoundingSet ($caps)" "$(cat "$dlog")"
	out=$(ufou link show 2>&1)
	[[ $out == *"fou0: type ipip remote 198.18.0.2 local 198.18.0.1"* ]] && ip link show fou0 >/dev/null 2>&1
	res $? "ufou reaches it on the default control socket; fou0 exists" "$out"

	echo "link add name fou1 type ipip remote 198.18.0.3 local 198.18.0.1 encap fou encap-dport 5555" \
		>>/etc/ufou/ufou.conf
	kill -HUP "$pid"
	wait_for '^RELOADING=1|MONOTONIC_USEC=[0-9]*$' "$log" &&
		wait_for '^READY=1|STATUS=2 links, 1 port$' "$log"
	res $? "SIGHUP (ExecReload): RELOADING=1 + MONOTONIC_USEC, then READY=1, STATUS=2 links" \
		"notify: $(cat "$log")"

	grep -q '^<6>ufoud: ready: 1 link, 1 port$' "$dlog"
	res $? "log lines carry journald priorities when stderr is the journal (<6> info)" \
		"$(head -n 5 "$dlog")"

	echo "link add name bad0 type ipip frobnicate" >>/etc/ufou/ufou.conf
	kill -HUP "$pid"
	wait_for '^<3>ufoud: /etc/ufou/ufou.conf:[0-9]*: .*"frobnicate"' "$dlog" &&
		[ "$(grep -c '^READY=1|STATUS=2 links, 1 port$' "$log")" -ge 2 ]
	res $? "a broken file on reload: <3> error naming FILE:LINE and the token, READY=1 again" \
		"$(tail -n 4 "$dlog"); notify: $(cat "$log")"
	ip link show fou1 >/dev/null 2>&1
	res $? "the broken reload kept the running tunnels"

	# systemctl stop/restart: the unit's -k leaves the devices to the next ufoud.
	# (/sys shows the first network namespace's devices: ip says this one's.)
	ifindex() { ip -o link show dev "$1" 2>/dev/null | cut -d: -f1; }
	idx=$(ifindex fou0)
	ip addr add 198.18.9.1/32 dev fou0
	kill -TERM "$pid"
	wait "$pid"
	res $? "SIGTERM: exit 0" "$(tail -n 5 "$dlog")"
	grep -q '^STOPPING=1$' "$log" && [ "$(ifindex fou0)" = "$idx" ]
	res $? "STOPPING=1 sent, tunnel device fou0 kept (ExecStart has -k)" "notify: $(cat "$log")"
	: >"$log"
	sed -i '/frobnicate/d' /etc/ufou/ufou.conf # the administrator mends the file
	launch
	wait_for '^READY=1|STATUS=2 links, 1 port$' "$log" &&
		[ "$(ifindex fou0)" = "$idx" ] &&
		ip -o addr show dev fou0 | grep -q 198.18.9.1/32
	res $? "started again (systemctl restart): READY=1, fou0 taken over with its ifindex and address" \
		"notify: $(cat "$log"); ufoud: $(tail -n 5 "$dlog")"

	# The package's prerm on removal: SIGUSR1, the tunnels go.
	kill -USR1 "$pid"
	wait "$pid"
	res $? "SIGUSR1 (prerm remove): exit 0" "$(tail -n 5 "$dlog")"
	grep -q '^STOPPING=1$' "$log" && ! ip link show fou0 >/dev/null 2>&1 &&
		! ip link show fou1 >/dev/null 2>&1
	res $? "STOPPING=1 sent, tunnel devices gone" "notify: $(cat "$log")"
	kill "$lpid"; wait "$lpid" 2>/dev/null
	rm -rf /run/ufou-test /run/ufou
	return $rc
}

# ---------------------------------------------------------------- the mount namespace
# in_mountns T DEB: the overlay root, the chroot, the comparison.
in_mountns()
{
	local t=$1 deb=$2 r=$1/ovl/root

	mkdir -p "$t/ovl" && mount -t tmpfs ufou-test "$t/ovl" &&
		mkdir -p "$t/ovl/upper" "$t/ovl/work" "$r" && mkdir -p "$t/lower" &&
		mount --bind / "$t/lower" &&
		mount -t overlay ufou-test -o "lowerdir=$t/lower,upperdir=$t/ovl/upper,workdir=$t/ovl/work" "$r" &&
		mount -t proc proc "$r/proc" && mount --bind /dev "$r/dev" && mount -t sysfs sysfs "$r/sys" &&
		mount -t tmpfs tmpfs "$r/run" && mount -t tmpfs tmpfs "$r/tmp"
	res $? "throw-away root: overlay of / in a private mount namespace" || return 1
	# A clean Debian has no ufou state or configuration: whatever a ufoud run
	# on this host left there (its default state file) is hidden from the
	# throw-away root (a whiteout in the overlay; the host keeps it).
	rm -rf "$r/var/lib/ufou" "$r/etc/ufou"
	cp "$deb" "$r/tmp/ufou.deb"
	cp "$t/expected" tests/tools/deb_notify.py "$r/tmp/"
	(cd "$t/ovl/upper" && find . -mindepth 1 | sort) >"$t/before"
	chroot "$r" /bin/bash -c "$(declare -f res inside run_unit maint_scripts); inside /tmp/ufou.deb"
	umount "$r/tmp" "$r/run" "$r/sys" "$r/dev" "$r/proc"
	leftovers "$t/ovl/upper" "$t/lower" "$t/before" >"$t/left"
	[ ! -s "$t/left" ]
	res $? "after the purge the system is as before (dpkg's records aside)" "$(head -n 30 "$t/left")"
}

# leftovers UPPER LOWER BEFORE: what the overlay holds that / does not.
# A directory copied up only because something was made in it (and is
# gone) is no leftover; a whiteout (char 0:0) is something removed from /.
leftovers()
{
	local up=$1 low=$2 p
	(cd "$up" && find . -mindepth 1 | sort) | comm -13 "$3" - | sed 's|^\./||' |
	while read -r p; do
		[[ $p =~ $EXCLUDED ]] && continue
		if [ -d "$up/$p" ] && [ ! -L "$up/$p" ]; then
			[ -d "$low/$p" ] && [ "$(stat -c %a:%u:%g "$up/$p")" = "$(stat -c %a:%u:%g "$low/$p")" ] ||
				echo "left: /$p/ (directory)"
		elif [ -c "$up/$p" ] && [ "$(stat -c %t:%T "$up/$p")" = 0:0 ]; then
			echo "removed from the system: /$p"
		elif ! cmp -s "$up/$p" "$low/$p" ||
			[ "$(stat -c %a:%u:%g "$up/$p")" != "$(stat -c %a:%u:%g "$low/$p")" ]; then
			echo "left: /$p"
		fi
	done
}

if [ "${1:-}" = --in-mountns ]; then
	in_mountns "$2" "$3"
	exit 0
fi

# ---------------------------------------------------------------- TAP, outside
# shellcheck source=tests/tools/tap.sh
source tests/tools/tap.sh
if [ "$(id -u)" != 0 ]; then tap 1 "runs as root (chroot, mount and network namespaces)"; finish; fi
for c in dpkg-buildpackage dh lintian unshare setpriv chroot python3 ip; do
	command -v "$c" >/dev/null || { tap 1 "$c is installed (scripts/deps.sh tools)"; finish; }
done

T=$(mktemp -d /tmp/ufou-deb.XXXXXX)
trap 'rm -rf "$T"' EXIT

out=$(make --no-print-directory BUILD="$BUILD" deb 2>&1)
rc=$?
DEB=$(ls "$BUILD_DIR"/deb/ufou_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || rc=1
tap $rc "make deb builds $(basename "${DEB:-ufou_*.deb}") in $BUILD/deb" "$(printf '%s\n' "$out" | tail -n 20)"
[ -n "$DEB" ] || finish

out=$(lintian --fail-on error --pedantic "$BUILD_DIR"/deb/ufou_*.changes 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E '^[WIPX]: ' | grep -v 'very-long-line-length-in-source-file' | sed 's/^/# lintian: /'
tap $rc "lintian: no error" "$(printf '%s\n' "$out" | grep '^E: ')"

# What the package must hold: what make install installs, as debian/rules calls it.
out=$(make --no-print-directory BUILD="$BUILD" install DESTDIR="$T/expect" PREFIX=/usr \
	SYSCONFDIR=/etc SYSTEMDUNITDIR=/lib/systemd/system 2>&1)
tap $? "make install DESTDIR PREFIX=/usr" "$out"
(cd "$T/expect" && find . -type f -o -type l | sed 's|^\./||' | sort) >"$T/expected"
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./||; s| ->.*||' | sort >"$T/packaged"
# Debian's own on top: the docs (copyright, changelog) and lintian's
# override for prerm's systemctl call (debian/ufou.lintian-overrides says why).
extra=$(grep -v -e '^usr/share/doc/ufou/' -e '^usr/share/lintian/overrides/ufou$' "$T/packaged" |
	sed 's/\.gz$//' | sort |
	comm -13 <(sed 's/\.gz$//' "$T/expected" | sort) -)
missing=$(comm -23 <(sed 's/\.gz$//' "$T/expected" | sort) <(sed 's/\.gz$//' "$T/packaged" | sort))
[ -z "$extra$missing" ] && grep -qx etc/ufou/ufou.conf "$T/packaged" &&
	grep -qx lib/systemd/system/ufoud.service "$T/packaged"
tap $? "the package holds what make install installs ($(wc -l <"$T/expected") files), no more" \
	"missing: $missing; extra: $extra"
dpkg-deb -c "$DEB" | grep -q '\.bpf\.o'
tap $((!$?)) "no separate BPF object: it is built into ufoud (libbpf skeleton)"

while IFS= read -r line; do
	case $line in
	"@@# "*) [ "${lastrc:-0}" -eq 0 ] || echo "#   ${line#@@# }" ;;
	"@@ "*) line=${line#@@ }; lastrc=${line%% *}; tap "$lastrc" "${line#* }" ;;
	*) echo "# $line" ;;
	esac
done < <(unshare -m --propagation private -- bash "$0" --in-mountns "$T" "$DEB" 2>&1)
finish
