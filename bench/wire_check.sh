#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Outer bytes of the offloaded path against the raw path, on the wire: a
# TCP transfer through ufou ipip/fou (encap-csum: UDP GSO on), captured on
# the underlay. Per inner flow, the raw-path packets (handshake, ACKs) and
# the GSO-path data segments must agree on outer source port, TTL, TOS and
# DF, every outer UDP checksum and inner TCP checksum must verify, and
# segment sizes must fit the link MTU. Then the same with -G on a link
# without encap-csum. Prints TAP.   bench/wire_check.sh   (root; BUILD=...)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
A=ufwcA B=ufwcB
TMP=$(mktemp -d /tmp/ufwc.XXXXXX)
PIDS=()
n=0 fail=0
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

run() { # run NAME UFOUD_OPTS LINK_OPTS IGNORE_CSUM_PRESENCE
	local name=$1 dopts=$2 lopts=$3 out
	ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
	ip netns add $A; ip netns add $B
	ip link add ufwca netns $A type veth peer name ufwcb netns $B
	ip -n $A addr add 198.18.0.1/24 dev ufwca; ip -n $B addr add 198.18.0.2/24 dev ufwcb
	ip -n $A link set ufwca up; ip -n $B link set ufwcb up
	# Software segmentation and checksums before the veth (veth would carry
	# GSO packets and partial checksums through): the capture shows wire packets.
	ip -n $A link set dev ufwca gso_max_segs 1
	ip netns exec $A python3 -c '
import ctypes, fcntl, socket, struct
buf = ctypes.create_string_buffer(struct.pack("II", 0x17, 0), 8)   # ETHTOOL_STXCSUM off
ifr = struct.pack("16sP", b"ufwca", ctypes.addressof(buf)) + bytes(16)
fcntl.ioctl(socket.socket(), 0x8946, ifr)'
	for side in A B; do
		local ns me peer
		if [ $side = A ]; then ns=$A me=1 peer=2; else ns=$B me=2 peer=1; fi
		rm -f "$TMP/$side.sock"
		ip netns exec $ns "$BUILD"/ufoud -S "$TMP/$side.sock" $dopts >"$TMP/$side.log" 2>&1 &
		PIDS+=($!)
		for _ in $(seq 50); do [ -S "$TMP/$side.sock" ] && break; sleep 0.1; done
		ip netns exec $ns "$BUILD"/ufou -S "$TMP/$side.sock" fou add port 5555 ipproto 4
		ip netns exec $ns "$BUILD"/ufou -S "$TMP/$side.sock" link add name uf0 type ipip \
			remote 198.18.0.$peer local 198.18.0.$me encap fou encap-sport auto \
			encap-dport 5555 $lopts
		ip -n $ns addr add 198.18.1.$me/24 dev uf0; ip -n $ns link set uf0 up
	done
	ip netns exec $B iperf3 -s -1 -D -I "$TMP/iperf.pid" >/dev/null; sleep 0.3
	ip netns exec $B tcpdump -i ufwcb -s 0 -w "$TMP/cap.pcap" udp port 5555 2>/dev/null &
	PIDS+=($!)
	sleep 1
	ip netns exec $A iperf3 -c 198.18.1.2 -n 40M -P 2 >/dev/null 2>&1
	sleep 0.5
	kill "${PIDS[-1]}"; sleep 0.5
	out=$(IGNCSUM=$4 python3 - "$TMP/cap.pcap" <<'PY'
import os, struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return s
d = open(sys.argv[1], 'rb').read()
off, flows, bad, n, big, trunc = 24, {}, [], 0, 0, 0
while off + 16 <= len(d):
    cl, ol = struct.unpack('<II', d[off + 8:off + 16])
    p = d[off + 16 + 14:off + 16 + cl]
    off += 16 + cl
    o = p[:20]; ttl, tos, df = o[8], o[1], (o[6] & 0x40) != 0
    udp = p[20:28]; sport, _, ulen, uc = struct.unpack('!HHHH', udp)
    inner = p[28:]
    isrc, idst = inner[12:16], inner[16:20]
    ip_ihl = (inner[0] & 15) * 4
    tcp = inner[ip_ihl:]
    key = (isrc, idst, tcp[:4])
    n += 1
    full = ol - 14 == cl - 14 if False else (ol == cl)
    if ol - 14 > 1500: bad.append('outer %d > 1500' % (ol - 14))
    if full:
        if uc and csum(p[12:20] + struct.pack('!BBH', 0, 17, ulen) + p[20:20 + ulen]) != 0xffff:
            bad.append('udp csum')
        tl = struct.unpack('!H', inner[2:4])[0] - ip_ihl
        if csum(isrc + idst + struct.pack('!BBH', 0, 6, tl) + tcp[:tl]) != 0xffff:
            bad.append('tcp csum')
    else:
        trunc += 1
    if ol - 14 > 1000: big += 1
    v = (sport, ttl, tos, df, uc != 0 and not os.environ.get('IGNCSUM'))
    flows.setdefault(key, set()).add(v)
for k, vs in flows.items():
    if len(vs) != 1: bad.append('flow with outer variants %s' % sorted(vs))
print('packets %d data %d flows %d; %s' % (n, big, len(flows), '; '.join(sorted(set(bad))[:5]) or 'ok'))
PY
)
	n=$((n + 1))
	if [[ $out == *"; ok" ]] && [[ $out != "packets 0 "* ]]; then
		echo "ok $n - $name ($out)"
	else
		echo "not ok $n - $name ($out)"; fail=$((fail + 1))
	fi
	ip netns exec $A "$BUILD"/ufou -S "$TMP/A.sock" -s link show | grep -E '^ +(tx|rx):' | sed 's/^/# /'
	grep -i gso "$TMP/A.log" | sed 's/^/# /'
}

run "encap-csum: GSO and raw path agree" "-v" "encap-csum" ""
run "noencap-csum with -G: GSO and raw path agree but for the checksum" "-v -G" "" 1
run "noencap-csum: raw path only, zero checksums" "-v" "" ""
echo "1..$n"
[ $fail -eq 0 ]
