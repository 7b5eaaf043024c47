#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# contrib/wireshark/ufou.lua against `ufou decode -j`: every capture in
# tests/vectors read by tshark with the dissector and by ufou decode, with the
# same port map (from the vector's .txt), every field both report compared
# packet by packet (tests/tools/wireshark_compare.py); the same for malformed
# GUE headers (tests/tools/gue_mutants.py), with expert info; Wireshark
# without the dissector shows bare UDP; `make install-wireshark` puts it
# where tshark loads it, and a personal plugin folder works too.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
UFOU=$BUILD/ufou
LUA=contrib/wireshark/ufou.lua
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

tmp=$(mktemp -d /tmp/ufou-ws.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# A home of our own: no personal preferences or plugins of whoever runs this.
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config
mkdir -p "$HOME"

if ! command -v tshark >/dev/null || ! command -v python3 >/dev/null; then
	scripts/deps.sh tools >&2
fi
if ! command -v tshark >/dev/null; then
	not_ok "tshark installed (scripts/deps.sh tools)"
	exit 1
fi
if [ ! -x "$UFOU" ]; then
	make -s BUILD="$BUILD" "$UFOU" >&2 || { not_ok "build $UFOU"; exit 1; }
fi

global_lua=$(tshark -G folders 2>/dev/null | sed -n 's/^Global Lua Plugins:[[:space:]]*//p')
personal_lua=$(tshark -G folders 2>/dev/null | sed -n 's/^Personal Lua Plugins:[[:space:]]*//p')
# An installed copy loads by itself (a second one would not load): it must
# be the one under test, and the "without the dissector" runs disable it.
with_lua=(-X "lua_script:$LUA")
without_lua=()
if [ -e "$global_lua/ufou.lua" ]; then
	if ! cmp -s "$global_lua/ufou.lua" "$LUA"; then
		not_ok "$global_lua/ufou.lua is $LUA (an older copy is installed: reinstall or remove it)"
		exit 1
	fi
	echo "# $global_lua/ufou.lua is installed (same as $LUA): testing it"
	with_lua=()
	without_lua=()
	for p in gue fou fou_ipip fou_ipv6 fou_gre; do
		without_lua+=(--disable-protocol "$p")
	done
fi

# ts ERRFILE ARGS...: tshark, whose Lua errors go to stderr with exit 0.
ts() {
	local err=$1
	shift
	tshark -n "$@" 2>"$err"
	local rc=$?
	if grep -q "Lua: Error\|tshark: " "$err"; then
		sed 's/^/# tshark: /' "$err" | grep -v dangerous
		return 1
	fi
	return $rc
}

# ports VECTOR.txt: sets tshark_o / decode_a from "dport=... encap=... proto=..."
# of the vector's description (the port its receiver listened on).
ports() {
	local line dport encap proto
	line=$(grep -m1 -E '^(expect:|rx test:)' "$1")
	dport=$(sed -n 's/.*[ (]dport=\([0-9]*\).*/\1/p' <<<"$line")
	encap=$(sed -n 's/.* encap=\([a-z0-9]*\).*/\1/p' <<<"$line")
	proto=$(sed -n 's/.* proto=\([0-9]*\).*/\1/p' <<<"$line")
	case $encap in
	fou) tshark_o=(-o "fou.ports:$dport:$proto"); decode_a=(--fou "$dport:$proto") ;;
	gue | guev1) tshark_o=(-o "gue.ports:$dport"); decode_a=(--gue "$dport") ;;
	*) return 1 ;;
	esac
	[ -n "$dport" ]
}

# Checksums verified on both sides, as ufou decode does.
csum_o=(-o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE)

compare() { # compare NAME PCAP: both tools, one TAP line; leaves $tmp/uf.json
	local name=$1 pcap=$2
	if ! "$UFOU" decode -j "${decode_a[@]}" "$pcap" >"$tmp/uf.json"; then
		not_ok "$name: ufou decode -j"
		return
	fi
	if ! ts "$tmp/err" "${with_lua[@]}" "${tshark_o[@]}" "${csum_o[@]}" -r "$pcap" -T json \
		>"$tmp/ws.json"; then
		not_ok "$name: tshark with ufou.lua"
		return
	fi
	agree "$name" "$tmp/ws.json" "$tmp/uf.json"
}

agree() { # agree NAME WS.json UF.json [FIRST COUNT]: one TAP line
	local out name=$1
	shift
	if out=$(python3 tests/tools/wireshark_compare.py "$@"); then
		ok "$name: Wireshark and ufou decode agree (${out##*# })"
	else
		echo "$out" | head -30
		not_ok "$name: Wireshark and ufou decode agree"
	fi
}

# Every vector, with tshark run once over all of them (its start-up, Lua
# included, is most of its time: once per vector it took minutes). The
# vectors are concatenated, each one's port map goes into one set of
# preferences (no port means two things across tests/vectors: checked),
# and tshark's packets are cut back into vectors by their counts. ufou
# decode still reads each vector alone, with that vector's map only.
declare -A port_use=()
vectors=0 names=() counts=() pcaps=() fou_all=() gue_all=() clash=
for pcap in tests/vectors/*.pcap; do
	name=$(basename "$pcap" .pcap)
	if ! ports "${pcap%.pcap}.txt"; then
		not_ok "$name: port and encapsulation from ${pcap%.pcap}.txt"
		continue
	fi
	use="${tshark_o[1]}"                  # fou.ports:PORT:PROTO or gue.ports:PORT
	port=${use#*:}
	port=${port%%:*}
	if [ -n "${port_use[$port]:-}" ] && [ "${port_use[$port]}" != "$use" ]; then
		clash="$clash $name($use, not ${port_use[$port]})"
		continue
	fi
	if [ -z "${port_use[$port]:-}" ]; then
		port_use[$port]=$use
		case $use in fou.*) fou_all+=("${use#fou.ports:}") ;; *) gue_all+=("${use#gue.ports:}") ;; esac
	fi
	if ! "$UFOU" decode -j "${decode_a[@]}" "$pcap" >"$tmp/uf.$name.json"; then
		not_ok "$name: ufou decode -j"
		continue
	fi
	vectors=$((vectors + 1))
	names+=("$name") pcaps+=("$pcap")
	counts+=("$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <"$tmp/uf.$name.json")")
done
check "one port map serves every vector${clash:+ (clash:$clash)}" test -z "$clash"
all_o=(-o "fou.ports:$(IFS=,; echo "${fou_all[*]}")" -o "gue.ports:$(IFS=,; echo "${gue_all[*]}")")
mergecap -a -F pcap -w "$tmp/all.pcap" "${pcaps[@]}"
total=0
for c in "${counts[@]}"; do total=$((total + c)); done
if ts "$tmp/err" "${with_lua[@]}" "${all_o[@]}" "${csum_o[@]}" -r "$tmp/all.pcap" -T json \
	>"$tmp/ws.all.json"; then
	got=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <"$tmp/ws.all.json")
	check "tshark over all $vectors vectors read their $total packets (got $got)" test "$got" = "$total"
	at=0
	for i in "${!names[@]}"; do
		agree "${names[$i]}" "$tmp/ws.all.json" "$tmp/uf.${names[$i]}.json" "$at" "${counts[$i]}"
		at=$((at + counts[i]))
	done
else
	not_ok "tshark with ufou.lua over all $vectors vectors"
fi

# Without the dissector, what ufou decode calls FOU/GUE is UDP and data.
bare_bad=()
ts "$tmp/err" "${without_lua[@]}" -r "$tmp/all.pcap" -T fields -e frame.protocols >"$tmp/bare" ||
	bare_bad+=("(tshark)")
at=0
for i in "${!names[@]}"; do
	name=${names[$i]}
	python3 -c 'import json,sys; [print(p["index"]) for p in json.load(sys.stdin) if "encap" in p]' \
		<"$tmp/uf.$name.json" >"$tmp/tunnel"
	while read -r k; do
		case $(sed -n "$((at + k))p" "$tmp/bare") in
		*:udp:data) ;;
		*) bare_bad+=("$name#$k") ;;
		esac
	done <"$tmp/tunnel"
	[ -s "$tmp/tunnel" ] || bare_bad+=("$name(no tunnel packet)")
	at=$((at + counts[i]))
done
check "without ufou.lua, Wireshark shows the FOU/GUE packets of $vectors vectors as UDP data${bare_bad[*]:+ (not: ${bare_bad[*]})}" \
	test "$vectors" -gt 0 -a ${#bare_bad[@]} -eq 0

# Malformed GUE: the same drop (gue.drop) and an expert item per packet.
python3 tests/tools/gue_mutants.py tests/vectors/rx-gue-ipip.pcap "$tmp/mut.pcap" >"$tmp/mut.want"
tshark_o=(-o gue.ports:5556) decode_a=(--gue 5556)
compare "malformed GUE ($(wc -l <"$tmp/mut.want") headers)" "$tmp/mut.pcap"
ts "$tmp/err" "${with_lua[@]}" "${tshark_o[@]}" -r "$tmp/mut.pcap" -T fields \
	-e gue.drop -e _ws.expert.message >"$tmp/mut.got"
check "malformed GUE: each has its drop reason and an expert message" \
	python3 -c '
import sys
want = open(sys.argv[1]).read().split()
got = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[2])]
bad = [(w, g) for w, g in zip(want, got) if g[0] != w or len(g) < 2 or not g[1]]
for b in bad: print("# want", b[0], "got", b[1])
sys.exit(1 if bad or len(want) != len(got) else 0)' "$tmp/mut.want" "$tmp/mut.got"

# "Decode As" (udp.port) instead of the port preferences.
ts "$tmp/err" "${with_lua[@]}" -d udp.port==5541,fou_ipv6 -r tests/vectors/fou-sit.pcap \
	-T fields -e frame.protocols -e fou.proto >"$tmp/da"
ts "$tmp/err" "${with_lua[@]}" -d udp.port==5556,gue -r tests/vectors/gue-sit.pcap \
	-T fields -e frame.protocols -e gue.proto >>"$tmp/da"
check "Decode As: udp.port 5541 as fou_ipv6, 5556 as gue" \
	test "$(grep -cE ':udp:(fou_ipv6|gue):ipv6:icmpv6.*	41$' "$tmp/da")" -eq 9

# The comparison can fail: GUE read as FOU by ufou decode disagrees.
tshark_o=(-o gue.ports:5556) decode_a=(--fou 5556:4)
ts "$tmp/err" "${with_lua[@]}" "${tshark_o[@]}" "${csum_o[@]}" -r tests/vectors/gue-ipip.pcap \
	-T json >"$tmp/ws.json"
"$UFOU" decode -j "${decode_a[@]}" tests/vectors/gue-ipip.pcap >"$tmp/uf.json"
disagree() { ! python3 tests/tools/wireshark_compare.py "$1" "$2" >/dev/null; }
check "the comparison fails when the two disagree (GUE port read as FOU)" \
	disagree "$tmp/ws.json" "$tmp/uf.json"

# Installed: `make install-wireshark` puts it in Wireshark's global Lua
# plugin folder (under DESTDIR), and tshark without -X loads it from a
# personal plugin folder.
make -s install-wireshark DESTDIR="$tmp/root" PREFIX=/usr >/dev/null
check "make install-wireshark PREFIX=/usr: $global_lua/ufou.lua under DESTDIR" \
	cmp -s "$tmp/root$global_lua/ufou.lua" "$LUA"
plugin_dir=$global_lua            # where an installed copy already is
if [ ${#with_lua[@]} -gt 0 ]; then
	plugin_dir=$personal_lua
	mkdir -p "$personal_lua"
	cp "$tmp/root$global_lua/ufou.lua" "$personal_lua/"
fi
ts "$tmp/err" -o gue.ports:5556 -r tests/vectors/gue-ipip.pcap -T fields -e frame.protocols \
	-e gue.proto >"$tmp/plugin"
check "tshark without -X loads ufou.lua from $plugin_dir" \
	grep -q '^eth:ethertype:ip:udp:gue:ip:icmp.*	4$' "$tmp/plugin"

echo "1..$n"
[ "$failed" -eq 0 ]
