#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The systemd unit as `make install` writes it: systemd-analyze verify and
# security (offline, on the file), the directives the daemon's protocol
# and paths rely on, and the example configuration it starts with. Installs
# into a scratch PREFIX under /tmp only; needs no root.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
# The exposure score README.md gives; a change to the unit that raises it fails here.
MAX_EXPOSURE=2.3

# shellcheck source=tests/tools/tap.sh
source tests/tools/tap.sh
for c in systemd-analyze make; do
	command -v "$c" >/dev/null || { tap 1 "$c is installed (scripts/deps.sh tools)"; finish; }
done

T=$(mktemp -d /tmp/ufou-systemd.XXXXXX)
trap 'rm -rf "$T"' EXIT
out=$(make --no-print-directory BUILD="$BUILD" install PREFIX="$T/usr" SYSCONFDIR="$T/etc" 2>&1)
tap $? "make install PREFIX=scratch" "$out"
UNIT=$T/usr/lib/systemd/system/ufoud.service
get() { sed -n "s/^$1=//p" "$UNIT"; }

[ "$(get ExecStart)" = "$T/usr/sbin/ufoud -k -c $T/etc/ufou/ufou.conf" ] && [ -x "$T/usr/sbin/ufoud" ]
tap $? "ExecStart is the installed ufoud -k (restarts keep the tunnels) with the installed ufou.conf" \
	"ExecStart=$(get ExecStart)"

out=$(systemd-analyze verify --man=no "$UNIT" 2>&1)
rc=$?
[ -z "$out" ] || rc=1
tap $rc "systemd-analyze verify: no complaint" "$out"

# Documentation=man:... pages come with make install once docs/man has them.
docs=$(get Documentation)
if [ -d "$T/usr/share/man" ]; then
	missing=
	for d in $docs; do
		page=${d#man:} name=${page%%(*} sec=${page#*(}
		sec=${sec%)}
		ls "$T/usr/share/man/man$sec/$name.$sec"* >/dev/null 2>&1 || missing="$missing $d"
	done
	[ -z "$missing" ]
	tap $? "Documentation= pages are installed" "missing:$missing"
else
	n=$((n + 1)); echo "ok $n - test_systemd: Documentation= pages # SKIP make install has no man pages yet"
fi

out=$(systemd-analyze security --offline=yes "$UNIT" 2>&1)
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for ufoud.service: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security --offline=yes: $score"
thr=$(echo "$MAX_EXPOSURE" | tr -d .)
systemd-analyze security --offline=yes --threshold="$thr" "$UNIT" >/dev/null 2>&1
tap $? "systemd-analyze security: exposure $score <= $MAX_EXPOSURE" \
	"$(printf '%s\n' "$out" | grep '✗')"

[ "$(get Type)" = notify ] && [ "$(get ExecReload)" = '/bin/kill -HUP $MAINPID' ]
tap $? "Type=notify, ExecReload sends SIGHUP (ufoud re-applies its -c file)"

caps=$(get CapabilityBoundingSet | tr ' ' '\n' | sort | tr '\n' ' ')
[ "$caps" = "CAP_BPF CAP_NET_ADMIN CAP_NET_RAW CAP_PERFMON " ]
tap $? "CapabilityBoundingSet: net admin, raw IP, BPF and perfmon only" "got: $caps"

fams=$(get RestrictAddressFamilies)
[ "$fams" = "AF_UNIX AF_INET AF_INET6 AF_NETLINK" ]
tap $? "RestrictAddressFamilies: unix, IPv4, IPv6, netlink" "got: $fams"

# ufoud's default control socket must lie in the RuntimeDirectory systemd makes.
sock=$("$T/usr/sbin/ufoud" -h | sed -n 's/.*control socket (default \(.*\)).*/\1/p')
[ "$(dirname "$sock")" = "/run/$(get RuntimeDirectory)" ] && grep -qx "ProtectSystem=strict" "$UNIT" &&
	grep -qx "DeviceAllow=/dev/net/tun rw" "$UNIT" && grep -qx "NoNewPrivileges=yes" "$UNIT"
tap $? "the control socket $sock is in RuntimeDirectory; /dev/net/tun allowed; ProtectSystem=strict"

out=$("$T/usr/sbin/ufoud" -n -c "$T/etc/ufou/ufou.conf" 2>&1)
tap $? "the example ufou.conf is valid (ufoud -n)" "$out"
sed -n 's/^#\(fou\|link\) /\1 /p' "$T/etc/ufou/ufou.conf" >"$T/example.conf"
out=$("$T/usr/sbin/ufoud" -n -c "$T/example.conf" 2>&1)
rc=$?
[ -s "$T/example.conf" ] || rc=1
tap $rc "its commented-out example, uncommented, is valid too" "$out"

finish
