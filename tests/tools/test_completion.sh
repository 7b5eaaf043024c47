#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The bash completion (contrib/bash-completion/ufou), driven as bash drives
# it: COMP_WORDS / COMP_CWORD set, _ufou called, COMPREPLY checked. Link
# names come from a real ufoud in a test namespace.
source "$(dirname "$0")/../netns/lib.sh"

COMPLETION=$REPO_ROOT/contrib/bash-completion/ufou

require_binaries
require_command ip
[ -r /usr/share/bash-completion/bash_completion ] || {
	log_skip "bash-completion" "/usr/share/bash-completion/bash_completion missing (scripts/deps.sh tools)"
	exit 1
}

# complete_line WORD... CUR: COMPREPLY for the command line "ufou WORD... CUR",
# sorted, one line. Runs in a fresh bash that only sources the file, inside
# namespace COMP_NS when set (devices are then that namespace's).
COMP_NS=
complete_line()
{
	${COMP_NS:+ip netns exec "$COMP_NS"} bash --norc --noprofile -c '
		source "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_ufou || exit 1
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"
	' _ "$COMPLETION" "$UFOU" "$@"
}

# expect NAME WANT WORD...: COMPREPLY for WORD... is exactly WANT (sorted).
expect()
{
	local name=$1 want got
	want=$(tr ' ' '\n' <<<"$2" | sort | tr '\n' ' ' | sed 's/ $//')
	shift 2
	got=$(complete_line "$@")
	[ "$got" = "$want" ]
	check_err $? "ufou $*<TAB>: got \"$got\", want \"$want\""
	log_test "$name"
}

# expect_has NAME IN OUT WORD...: COMPREPLY holds every word of IN, none of OUT.
expect_has()
{
	local name=$1 in=$2 out=$3 got w
	shift 3
	got=" $(complete_line "$@") "
	for w in $in; do
		[[ $got == *" $w "* ]]
		check_err $? "ufou $*<TAB>: \"$w\" missing from:$got"
	done
	for w in $out; do
		[[ $got != *" $w "* ]]
		check_err $? "ufou $*<TAB>: \"$w\" offered:$got"
	done
	log_test "$name"
}

test_static()
{
	expect "options" "-4 -6 -S -V -d -h -j -p -s" -
	expect "objects" "decode fou help link" ""
	expect "objects after options" "fou" -s -j f
	expect "fou verbs" "add del help show" fou ""
	expect "link verbs starting with s" "set show" link s
	expect "link types" "ip6gre ip6gretap ip6tnl" link add type ip6
	expect "encap values" "fou gue" link add name t1 encap ""
	expect "inherit" "inherit" link add ttl ""
	expect "encap-sport auto" "auto" link add encap-sport a
	expect "remote any" "any" link add remote ""
	expect "ipproto names" "ip ipip ipv4 ipv6" fou add port 5555 ipproto ip
	expect "modes that fit sit" "any ip6ip ipip" link add type sit mode ""
	expect "keywords after a prefix" "encap encap-csum encap-dport encap-remcsum encap-sport encap-udp6-csum encaplimit" \
		link add name t1 enc
	expect_has "keywords the type takes, not given ones" \
		"local remote encap encap-dport ttl tos pmtudisc nopmtudisc mode" \
		"name type hoplimit encaplimit flowlabel key csum" \
		link add name t1 type ipip ""
	expect_has "IPv6 GRE keywords" "hoplimit tclass flowlabel encaplimit key ikey okey seq" \
		"ttl tos pmtudisc mode" link add type ip6gre ""
	expect_has "fou add: port given, gue chosen (so no ipproto)" "local -6" "port ipproto gue" \
		fou add port 5555 gue ""
	expect "nothing after an unknown word" "" link add bogus ""
	expect "nothing after a bad value" "" link add ttl 300 ""
	expect_has "dev completes devices" "lo" "" link add dev ""
	expect "the socket path completes files" "$REPO_ROOT/Makefile" -S "$REPO_ROOT/Makef"
	expect "decode completes options" "--fou --gue --help --json" decode --
	expect "decode completes files" "$REPO_ROOT/README.md" decode "$REPO_ROOT/READ"
	expect "no link names without a daemon" "dev" -S "$TMPD/none.sock" link del ""
}

test_link_names()
{
	local NS sock
	setup_ns NS || { log_skip "link names" "no namespace"; return; }
	ip -n "$NS" link add eth0 type veth peer name eth1
	ip -n "$NS" addr add 198.18.0.1/24 dev eth0
	ip -n "$NS" link set eth0 up
	ip -n "$NS" link set eth1 up
	start_ufoud "$NS" || { log_skip "link names" "ufoud did not start"; return; }
	sock=${UFOUD_SOCK[$NS]}
	ufou_in "$NS" link add name tun1 type ipip remote 198.18.0.2 local 198.18.0.1 \
		encap fou encap-dport 5555 &&
	ufou_in "$NS" link add name tun2 type gre remote 198.18.0.3 local 198.18.0.1 \
		encap gue encap-dport 5556 &&
	ufou_in "$NS" link add name gre9 type gre remote 198.18.0.4 local 198.18.0.1 \
		encap gue encap-dport 5556
	check_err $? "adding links failed"
	log_test "a daemon with links tun1 tun2 gre9"
	expect "link set: the daemon's links and dev" "dev gre9 tun1 tun2" -S "$sock" link set ""
	expect "link del: names by prefix" "tun1 tun2" -S "$sock" link del t
	expect "link show dev: names" "gre9 tun1 tun2" -S "$sock" link show dev ""
	expect_has "link set NAME: keywords" "name ttl encap mtu dev" "gre9 tun1 tun2" \
		-S "$sock" link set tun1 ""
	COMP_NS=$NS
	expect_has "devices in the namespace" "eth0 eth1 lo tun1" "" \
		-S "$sock" link add name x dev ""
	COMP_NS=
}

# Installed as bash-completion expects (completions/ufou), the file is what
# its on-demand loader finds and loads for the command ufou.
test_loader()
{
	local dir=$TMPD/bash-completion out
	mkdir -p "$dir/completions" && cp "$COMPLETION" "$dir/completions/ufou"
	out=$(BASH_COMPLETION_USER_DIR=$dir PATH=$BUILD_DIR:$PATH bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion || exit 1
		__load_completion ufou || exit 1
		complete -p ufou
		COMP_WORDS=(ufou link add encap "")
		COMP_CWORD=4
		_ufou
		echo "${COMPREPLY[*]}"' 2>&1)
	check_err $? "loading through bash-completion failed: $out"
	[ "$out" = "complete -F _ufou ufou"$'\n'"fou gue" ]
	check_err $? "bash-completion loaded: $out"
	log_test "bash-completion's loader finds and loads completions/ufou"
}

test_static
test_link_names
test_loader
