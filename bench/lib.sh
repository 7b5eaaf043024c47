# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034  # sourced: the variables are read by its callers
# Sourced first by bench/run.sh and bench/profile.sh: the tree (ROOT) as
# the working directory, the build directory BUILD made absolute (the peers
# start ufoud elsewhere), its ufoud and ufou, the peers (bench/peers.sh),
# and bench_netns, which names their namespaces and cleans up after them.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
UFOUD=$BUILD/ufoud
UFOU=$BUILD/ufou

# have CMD: CMD is on PATH (peers.sh asks it of the tunnels it compares with).
have() { command -v "$1" >/dev/null 2>&1; }

# shellcheck source=bench/peers.sh
. "$ROOT/bench/peers.sh"

# bench_netns NAME TAG: what peers.sh's netns_up needs first: a scratch
# directory TMPD (/tmp/ufou-NAME.*), the namespaces TAG<pid>a and TAG<pid>b,
# the WireGuard device names TAGw<pid>a and TAGw<pid>b (their UAPI sockets
# are not per namespace: the pid keeps two runs apart), and bench_cleanup
# on exit. The caller traps INT and TERM to an exit.
bench_netns()
{
	TMPD=$(mktemp -d "/tmp/ufou-$1.XXXXXX") || exit 1
	NSA=$2$$a NSB=$2$$b WGA=$2w$$a WGB=$2w$$b
	trap bench_cleanup EXIT
}

# shellcheck disable=SC2317  # invoked by the trap
bench_cleanup()
{
	trap - EXIT INT TERM
	netns_down
	rm -rf "$TMPD"
}
