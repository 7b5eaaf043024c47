#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The outer packets of both transmit paths, on the wire. ufoud sends with
# a raw socket (its own bytes, one datagram each) or, on links with an outer
# UDP checksum (IPv4 encap-csum, IPv6 by default) or under ufoud -G, hands a
# flow's segments to a per-flow UDP socket with UDP GSO and the kernel
# builds the outer headers. A receiver must not be able to tell the two
# apart. Two TCP flows, one each way, cross the tunnel while both underlay
# directions are captured; the capture is then parsed:
#
#   HA eth0 ==veth== pa [HR: br0] pb ==veth== eth0 HB
#   (capture HA eth0 in: HB's packets)   (capture HB eth0 in: HA's packets)
#
# The bridge ports pa and pb segment and checksum in software
# (gso_max_segs 1, tx checksum offload off), so what reaches HA and HB is
# what a wire would carry. HA's and HB's own veths keep their offloads: on
# kernels older than the 2024 change "udp: Allow GSO transmit from devices
# with no checksum offload", a UDP GSO send through a device without
# checksum offload fails with EIO and ufoud would fall back to the raw path.
#
# Per case, on the tunnel packets (UDP to the fou/gue port):
#  - the link's tx "gso" counter grew on both ends (GSO cases) or is 0;
#  - the outer IPv4 header checksum, every outer UDP checksum and every
#    inner IPv4 header and TCP checksum verify; the UDP checksum is zero
#    (Linux's IPv4 default) or non-zero, as the case expects (under
#    ufoud -G on every packet, raw path included);
#  - per inner TCP flow, every outer packet has the same outer addresses,
#    ports, TTL / hop limit, TOS / traffic class, DF (IPv4), flow label
#    (IPv6, non-zero) and extension headers: the handshake and ACKs (raw
#    path) and the data segments (GSO path) do not differ;
#  - no outer packet is larger than the 1500-byte underlay MTU, none is
#    an outer fragment, every length field agrees with the bytes;
#  - IPv6: exactly the 8-byte destination options header with the tunnel
#    encapsulation limit option (limit 4) between IPv6 and UDP, or with
#    "encaplimit none" no extension header at all.
#
# The last cases load tests/netns/fault.so into both daemons. First every
# UDP GSO send fails with EIO, as the kernel answers where the way out
# cannot checksum. ufoud must say so once, fall back to sendmmsg batches
# with the same outer bytes, and the transfers must still arrive whole.
# Then TUNSETOFFLOAD refuses USO (as kernels before 6.2 do), and then every
# offload: the probe must settle on what is left and the tunnel still work.
#
# Before the TCP flows, each case sends 320 UDP datagrams HA -> HB in paced
# bursts: 8 sendto()s at a time (runs of single packets, which go by GSO
# on GSO links) and 8-datagram USO super-packets. Every one must arrive
# intact, and on GSO links the gso counter must grow. With GSO refused,
# these bursts carry the first refused run of the queue: a fallback that
# dropped it would lose datagrams here, where TCP would hide it by
# retransmitting. HB's TUN counts what ufoud wrote: fewer packets than
# datagrams (UDP coalesced) only where the TUN took USO, all of them where
# it did not.
#
# UFOU_GSO_BYTES sets the bytes per flow (default 15000000),
# UFOU_GSO_TIMEOUT the bound per transfer in seconds (default 10).

# shellcheck source=SCRIPTDIR/lib.sh
#
# These are the TUN path's two ways out, so the daemons run it (-D tun);
# the fast path's packets on the wire are test_fastpath.sh's.
# ufou-datapaths: tun

source "$(dirname "$0")/lib.sh"
UFOU_DATAPATH=tun

require_root
require_binaries
for c in ip jq ping socat sha256sum ss tcpdump python3; do require_command "$c"; done

BYTES=${UFOU_GSO_BYTES:-15000000}
TMO=${UFOU_GSO_TIMEOUT:-10}
UNDERLAY_MTU=1500

# name | ufoud options (@fault=LIST: preload fault.so) | outer family |
# type words | encap words | port | port args | inner family | gso
# expected (yes/no/any) | outer UDP checksum
# (zero: all zero; set: all set) |
# IPv6 destination options (encaplimit4/none/-)
CASES=(
	"ipip/fou encap-csum||4|ipip|encap fou encap-csum|5555|ipproto 4|4|yes|set|-"
	"ipip/fou default (zero checksum, raw path only)||4|ipip|encap fou|5556|ipproto 4|4|no|zero|-"
	"ip6tnl ipip6/fou6 default (encaplimit 4, udp6 csum)||6|ip6tnl mode ipip6|encap fou|5557|ipproto 4 -6|4|yes|set|encaplimit4"
	"ip6tnl ip6ip6/gue6 encaplimit none||6|ip6tnl mode ip6ip6 encaplimit none|encap gue|5558|gue -6|6|yes|set|none"
	"ipip/fou with ufoud -G, no encap-csum|-G|4|ipip|encap fou|5559|ipproto 4|4|yes|set|-"
	"ipip/fou encap-csum, GSO refused (EIO injected)|@fault=gso-eio|4|ipip|encap fou encap-csum|5560|ipproto 4|4|no|set|-"
	"ipip/fou encap-csum, TUN without USO (kernels before 6.2)|@fault=tun-no-uso|4|ipip|encap fou encap-csum|5561|ipproto 4|4|yes|set|-"
	"ip6tnl ip6ip6/fou6, TUN without any offload|@fault=tun-no-offload|6|ip6tnl mode ip6ip6|encap fou|5562|ipproto 41 -6|6|any|set|-"
)

# ---- the bridged underlay

# soft_wire NS DEV: DEV segments GSO packets and fills in checksums in
# software before they leave (and before the peer's capture sees them).
soft_wire()
{
	local ns=$1 dev=$2

	ip -n "$ns" link set dev "$dev" gso_max_segs 1 || return 1
	# ETHTOOL_STXCSUM off, then ETHTOOL_GTXCSUM must read 0 (no ethtool needed).
	ip netns exec "$ns" python3 - "$dev" <<'EOF'
import ctypes, fcntl, socket, struct, sys
SIOCETHTOOL, ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM = 0x8946, 0x16, 0x17
s = socket.socket()
def ethtool(cmd, val):
    buf = ctypes.create_string_buffer(struct.pack("II", cmd, val), 8)
    ifr = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(buf)) + bytes(16)
    fcntl.ioctl(s, SIOCETHTOOL, ifr)
    return struct.unpack("II", buf.raw)[1]
ethtool(ETHTOOL_STXCSUM, 0)
sys.exit(1 if ethtool(ETHTOOL_GTXCSUM, 0) else 0)
EOF
}

# setup_bridged_hosts: HA and HB as in lib.sh's setup_two_hosts (eth0,
# 198.18.0.1 / .2, fd00:18::1 / ::2, MTU 1500), joined through a bridge in HR
# whose ports do segmentation and checksums in software.
setup_bridged_hosts()
{
	local p

	setup_ns HA HR HB || return 1
	ip netns exec "$HR" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$HR" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip link add name eth0 netns "$HA" mtu $UNDERLAY_MTU type veth \
		peer name pa netns "$HR" mtu $UNDERLAY_MTU || return 1
	ip link add name eth0 netns "$HB" mtu $UNDERLAY_MTU type veth \
		peer name pb netns "$HR" mtu $UNDERLAY_MTU || return 1
	ip -n "$HR" link add name br0 type bridge stp_state 0 mcast_snooping 0 || return 1
	for p in pa pb; do
		ip -n "$HR" link set dev "$p" master br0 || return 1
		soft_wire "$HR" "$p" || return 1
		ip -n "$HR" link set dev "$p" up || return 1
	done
	ip -n "$HR" link set dev br0 up || return 1
	hosts_up
}

# ---- background processes of a case (captures, transfers), ended by PID

BG_PIDS=()

bg_add()
{
	BG_PIDS+=("$1")
}

# bg_run CMD...: CMD in the background (redirections given to bg_run
# apply to it), remembered for bg_stop_all. Sets BG_LAST to its PID.
bg_run()
{
	"$@" &
	BG_LAST=$!
	bg_add "$BG_LAST"
}

# bg_wait PID: wait for it and forget it; returns its exit status.
bg_wait()
{
	local pid=$1 rc i

	wait "$pid"
	rc=$?
	for i in "${!BG_PIDS[@]}"; do
		[ "${BG_PIDS[i]}" = "$pid" ] && unset "BG_PIDS[i]"
	done
	return $rc
}

# bg_stop_all: TERM what still runs (bounded wait, then KILL).
bg_stop_all()
{
	local pid
	for pid in "${BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${BG_PIDS[@]}"; do
		slowwait 3 _pid_gone "$pid" >/dev/null || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	BG_PIDS=()
}
defer bg_stop_all

# ---- captures

# cap_start NS FILE: tcpdump of what eth0 of NS receives; waits until it
# listens. Sets CAP_PID.
cap_start()
{
	local ns=$1 file=$2

	bg_run ip netns exec "$ns" tcpdump -i eth0 -Q in -n -s 0 -B 16384 -w "$file" \
		2>"$file.err"
	CAP_PID=$BG_LAST
	busywait 5000 grep -q "listening on" "$file.err"
}

# cap_stop PID FILE: SIGINT (tcpdump writes out and reports), wait.
cap_stop()
{
	local pid=$1 file=$2

	kill -INT "$pid" 2>/dev/null
	slowwait 5 _pid_gone "$pid" >/dev/null || kill -KILL "$pid" 2>/dev/null
	bg_wait "$pid"
	CAP_DROPS=$(sed -n 's/^\([0-9]*\) packets* dropped by kernel.*/\1/p' "$file.err")
}

# ---- two TCP flows at once, HA -> HB and HB -> HA

DATA=$TMPD/gso.data
head -c "$BYTES" /dev/urandom >"$DATA"
DATA_SUM=$(sha256sum <"$DATA" | cut -d' ' -f1)

# flows_run ADDR_A ADDR_B: BYTES from HA to ADDR_B and from HB to ADDR_A,
# concurrently; sha256 compared. Sets XFER_MSG on failure.
flows_run()
{
	local a=$1 b=$2 listen=TCP4-LISTEN ca=$1 cb=$2
	local d dir ns_rx ns_tx port dst rc rr h name
	local -A rpid spid src
	local -a dirs

	XFER_MSG=
	case $a in *:*) listen=TCP6-LISTEN ca="[$a]" cb="[$b]" ;; esac
	# direction receiver-netns sender-netns port destination
	dirs=("ab $HB $HA 20001 $cb" "ba $HA $HB 20002 $ca")
	for dir in "${dirs[@]}"; do
		read -r d ns_rx ns_tx port dst <<<"$dir"
		rm -f "$TMPD/out.$d"
		bg_run ip netns exec "$ns_rx" timeout "$TMO" socat -u "$listen:$port,reuseaddr" \
			"OPEN:$TMPD/out.$d,creat,trunc" 2>"$TMPD/rx.$d.err"
		rpid[$d]=$BG_LAST
	done
	for dir in "${dirs[@]}"; do
		read -r d ns_rx ns_tx port dst <<<"$dir"
		if ! busywait 5000 _tcp_listening "$ns_rx" "$port" >/dev/null; then
			XFER_MSG="receivers not listening"
			bg_stop_all
			return 1
		fi
	done
	for dir in "${dirs[@]}"; do
		read -r d ns_rx ns_tx port dst <<<"$dir"
		bg_run ip netns exec "$ns_tx" timeout "$TMO" socat -u "OPEN:$DATA" \
			"TCP:$dst:$port,connect-timeout=5" 2>"$TMPD/tx.$d.err"
		spid[$d]=$BG_LAST
	done
	for d in ab ba; do
		bg_wait "${spid[$d]}"
		src[$d]=$?
		# A failed sender leaves its receiver waiting: end it (our PID).
		[ "${src[$d]}" -ne 0 ] && kill "${rpid[$d]}" 2>/dev/null
	done
	for d in ab ba; do
		bg_wait "${rpid[$d]}"
		rr=$?
		h=$( { sha256sum <"$TMPD/out.$d" | cut -d' ' -f1; } 2>/dev/null)
		[ "$d" = ab ] && name="HA -> HB" || name="HB -> HA"
		if [ -z "$XFER_MSG" ] && [ "$h" != "$DATA_SUM" ]; then
			XFER_MSG="$name: got $(stat -c %s "$TMPD/out.$d" 2>/dev/null || echo 0) of $BYTES bytes or wrong sha256 (sender rc ${src[$d]}, receiver rc $rr; $(head -c 200 "$TMPD/tx.$d.err" "$TMPD/rx.$d.err" 2>/dev/null | tr '\n' ' '))"
		fi
	done
	rm -f "$TMPD/out.ab" "$TMPD/out.ba"
	[ -z "$XFER_MSG" ]
}

# ---- UDP bursts: runs of one flow's datagrams (the GSO path for single
# packets) and USO super-packets, paced so nothing on the way may drop them.

BURSTS=20 PER_BURST=8 DGRAM=1000
BURST_N=$((2 * BURSTS * PER_BURST))
BURST_PY=$TMPD/burst.py
cat >"$BURST_PY" <<'EOF2'
import socket, struct, sys, time
# burst.py rx ADDR PORT N TIMEOUT | tx ADDR PORT BURSTS PER_BURST SIZE
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if mode == "rx":
    n, tmo = int(sys.argv[4]), float(sys.argv[5])
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((addr, port))
    print("ready", flush=True)
    seen, bad, end = set(), 0, time.monotonic() + tmo
    while len(seen) < n and time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        seq = struct.unpack("!I", d[:4])[0] if len(d) >= 4 else -1
        if d[4:] != bytes([seq & 0xff]) * (len(d) - 4):
            bad += 1
        seen.add(seq)
    print("got %d of %d, %d damaged" % (len(seen), n, bad))
    sys.exit(0 if len(seen) == n and not bad else 1)
bursts, per, size = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
pay = lambda q: struct.pack("!I", q) + bytes([q & 0xff]) * (size - 4)
q = 0
for b in range(bursts):
    for _ in range(per):          # one sendto each: a run of single packets
        s.sendto(pay(q), (addr, port)); q += 1
    time.sleep(0.003)
s.setsockopt(socket.IPPROTO_UDP, 103, size)   # UDP_SEGMENT: USO super-packets
for b in range(bursts):
    s.sendto(b"".join(pay(q + i) for i in range(per)), (addr, port)); q += per
    time.sleep(0.003)
EOF2

# tun_rx_packets NS DEV: what the kernel counted as written to the TUN.
tun_rx_packets()
{
	ip -n "$1" -s -j link show dev "$2" | jq -r '.[0].stats64.rx.packets'
}

# tun_offloads NS DEV: the TUNSETOFFLOAD flags ufoud's probe ended with
# (its -v log line for the link), as 0x...
tun_offloads()
{
	sed -n "s/.*link $2 type .* offloads \(0x[0-9a-f]*\) .*/\1/p" "${UFOUD_LOG[$1]}" | tail -n 1
}

# bursts_run ADDR_B: BURST_N datagrams from HA to ADDR_B; every one must
# arrive intact. Sets XFER_MSG on failure.
bursts_run()
{
	local b=$1 r rc out

	XFER_MSG=
	bg_run ip netns exec "$HB" python3 "$BURST_PY" rx "$b" 20003 "$BURST_N" 5 \
		>"$TMPD/burst.out" 2>&1
	r=$BG_LAST
	if ! busywait 5000 grep -q ready "$TMPD/burst.out"; then
		XFER_MSG="burst receiver not ready: $(head -c 200 "$TMPD/burst.out")"
		bg_stop_all
		return 1
	fi
	out=$(ip netns exec "$HA" python3 "$BURST_PY" tx "$b" 20003 "$BURSTS" "$PER_BURST" "$DGRAM" 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] && kill "$r" 2>/dev/null
	if bg_wait "$r" && [ "$rc" -eq 0 ]; then
		return 0
	fi
	XFER_MSG="UDP bursts HA -> HB: $(tr '\n' ' ' <"$TMPD/burst.out") (sender rc $rc: $(head -c 200 <<<"$out"))"
	return 1
}

# ---- the pcap checker: prints a summary and "bad: ..." lines, exit 1 on any.

CHECK_PY=$TMPD/gso_check.py
cat >"$CHECK_PY" <<'EOF'
import socket, struct, sys
from array import array

port, encap, want_csum, want_opt, mtu = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
files = sys.argv[6:]
# Tunnel encapsulation limit option (RFC 2473) with limit 4, PadN, before UDP.
ENCAPLIMIT4 = bytes([17, 0, 4, 1, 4, 1, 1, 0])
bad = {}

def fail(msg):
    bad[msg] = bad.get(msg, 0) + 1

def csum_ok(*parts):
    # Ones' complement sum over 16-bit words in host order: the sum of a
    # correct packet is 0xffff in either byte order.
    b = b"".join(parts)
    if len(b) & 1:
        b += b"\0"
    s = sum(array("H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s == 0xffff

def frames(path):
    d = open(path, "rb").read()
    if len(d) < 24:
        fail("%s: no pcap header" % path)
        return
    magic = struct.unpack("<I", d[:4])[0]
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    if struct.unpack(e + "I", d[20:24])[0] != 1:
        fail("%s: not Ethernet" % path)
        return
    off = 24
    while off + 16 <= len(d):
        incl, orig = struct.unpack(e + "II", d[off + 8:off + 16])
        yield d[off + 16:off + 16 + incl], orig
        off += 16 + incl

n = tunnel = other = nontcp = 0
flows = {}        # inner TCP flow -> {outer fields}
kinds = {}        # inner TCP flow -> [control packets, data packets]
# outer source address -> [tunnel packets, inner TCP data segments, UDP checksum set]
sender = {}
csum_zero = csum_set = 0
biggest = 0
for path in files:
    for f, orig in frames(path):
        n += 1
        if len(f) != orig:
            fail("truncated capture")
            continue
        et = struct.unpack("!H", f[12:14])[0]
        ip = f[14:]
        if et == 0x0800 and len(ip) >= 20 and ip[0] >> 4 == 4:
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack("!H", ip[2:4])[0]
            if ip[9] != 17:
                other += 1
                continue
            if tot > len(ip) or tot < ihl + 8:
                fail("outer IPv4 total length %d with %d bytes" % (tot, len(ip)))
                continue
            ip = ip[:tot]
            udp = ip[ihl:]
            if struct.unpack("!H", udp[2:4])[0] != port:
                other += 1
                continue
            if not csum_ok(ip[:ihl]):
                fail("outer IPv4 header checksum")
            fo = struct.unpack("!H", ip[6:8])[0]
            if fo & 0x3fff:
                fail("outer IPv4 fragment")
            src, dst = ip[12:16], ip[16:20]
            pseudo = src + dst + struct.pack("!BBH", 0, 17, len(udp))
            outer = ("v4", src, dst, ip[8], ip[1], bool(fo & 0x4000))
            ext = b""
        elif et == 0x86dd and len(ip) >= 40 and ip[0] >> 4 == 6:
            w, plen, nh, hlim = struct.unpack("!IHBB", ip[:8])
            if 40 + plen > len(ip):
                fail("outer IPv6 payload length %d with %d bytes" % (plen, len(ip)))
                continue
            ip = ip[:40 + plen]
            off = 40
            while nh in (0, 43, 44, 60) and off + 8 <= len(ip):
                if nh == 44:
                    fail("outer IPv6 fragment")
                hl = 8 if nh == 44 else (ip[off + 1] + 1) * 8
                nh = ip[off]
                off += hl
            if nh != 17 or off + 8 > len(ip):
                other += 1
                continue
            udp = ip[off:]
            if struct.unpack("!H", udp[2:4])[0] != port:
                other += 1
                continue
            ext = ip[40:off]
            src, dst = ip[8:24], ip[24:40]
            pseudo = src + dst + struct.pack("!IxxxB", len(udp), 17)
            label = w & 0xfffff
            if not label:
                fail("outer IPv6 flow label 0")
            outer = ("v6", src, dst, hlim, (w >> 20) & 0xff, label, ext)
            if want_opt == "encaplimit4" and ext != ENCAPLIMIT4:
                fail("outer IPv6 extension headers %s, want the encaplimit 4 option %s" % (ext.hex() or "none", ENCAPLIMIT4.hex()))
            if want_opt == "none" and ext:
                fail("outer IPv6 extension headers %s with encaplimit none" % ext.hex())
        else:
            other += 1
            continue
        tunnel += 1
        snd = sender.setdefault(src, [0, 0, 0])
        snd[0] += 1
        biggest = max(biggest, len(ip))
        if len(ip) > mtu:
            fail("outer packet of %d bytes > MTU %d" % (len(ip), mtu))
        sport, dport, ulen, uc = struct.unpack("!HHHH", udp[:8])
        if ulen != len(udp):
            fail("UDP length %d with %d bytes" % (ulen, len(udp)))
            continue
        if uc == 0:
            csum_zero += 1
            if want_csum == "set":
                fail("outer UDP checksum 0, expected one")
        else:
            csum_set += 1
            snd[2] += 1
            if want_csum == "zero":
                fail("outer UDP checksum %#06x, expected 0" % uc)
            if not csum_ok(pseudo, udp):
                fail("outer UDP checksum %#06x does not verify" % uc)
        outer += (sport, dport)
        inner = udp[8:]
        if encap == "gue":
            if len(inner) < 4 or inner[0] >> 6 != 0:
                fail("GUE header")
                continue
            proto = inner[1]
            inner = inner[4 + (inner[0] & 31) * 4:]
            if inner and {4: 4, 41: 6}.get(proto) != inner[0] >> 4:
                fail("GUE protocol %d with an IPv%d packet" % (proto, inner[0] >> 4))
        if len(inner) < 20:
            fail("inner packet of %d bytes" % len(inner))
            continue
        if inner[0] >> 4 == 4:
            ihl = (inner[0] & 15) * 4
            if struct.unpack("!H", inner[2:4])[0] != len(inner):
                fail("inner IPv4 total length")
                continue
            if not csum_ok(inner[:ihl]):
                fail("inner IPv4 header checksum")
            proto, isrc, idst, l4 = inner[9], inner[12:16], inner[16:20], inner[ihl:]
            ipseudo = isrc + idst + struct.pack("!BBH", 0, 6, len(l4))
        elif inner[0] >> 4 == 6 and len(inner) >= 40:
            if struct.unpack("!H", inner[4:6])[0] + 40 != len(inner):
                fail("inner IPv6 payload length")
                continue
            proto, isrc, idst, l4 = inner[6], inner[8:24], inner[24:40], inner[40:]
            ipseudo = isrc + idst + struct.pack("!IxxxB", len(l4), 6)
        else:
            fail("inner packet neither IPv4 nor IPv6")
            continue
        if proto != 6:
            nontcp += 1
            continue
        if len(l4) < 20 or not csum_ok(ipseudo, l4):
            fail("inner TCP checksum")
            continue
        key = (isrc, idst, l4[:4])
        flows.setdefault(key, set()).add(outer)
        k = kinds.setdefault(key, [0, 0])
        if len(l4) > (l4[12] >> 4) * 4:
            k[1] += 1
            snd[1] += 1
        else:
            k[0] += 1

def show(b):
    return socket.inet_ntop(socket.AF_INET if len(b) == 4 else socket.AF_INET6, b)

def fields(o):
    if o[0] == "v4":
        return "src %s dst %s ttl %d tos %#x df %d sport %d dport %d" % (show(o[1]), show(o[2]), o[3], o[4], o[5], o[6], o[7])
    return "hlim %d tclass %#x label %#x ext %s sport %d dport %d" % (o[3], o[4], o[5], o[6].hex() or "-", o[7], o[8])

for key, vs in flows.items():
    if len(vs) != 1:
        fail("inner flow %s:%d > %s:%d with %d outer variants: %s" % (
            show(key[0]), struct.unpack("!H", key[2][:2])[0], show(key[1]),
            struct.unpack("!H", key[2][2:])[0], len(vs), " | ".join(sorted(fields(v) for v in vs))))
# Flows that had both control segments (raw path) and data (GSO path).
mixed = sum(1 for k in kinds.values() if k[0] and k[1])
if tunnel == 0:
    fail("no tunnel packets captured")
if mixed < 2:
    fail("only %d inner TCP flows with both control and data segments" % mixed)
print("packets %d tunnel %d (largest %d bytes, udp csum set %d zero %d) other %d; inner non-TCP %d; TCP flows %d (control+data %d)" % (
    n, tunnel, biggest, csum_set, csum_zero, other, nontcp, len(flows), mixed))
for s, v in sorted(sender.items()):
    print("sender %s tunnel %d data %d csum %d" % (show(s), v[0], v[1], v[2]))
for msg, c in sorted(bad.items(), key=lambda x: -x[1])[:8]:
    print("bad: %s (%d)" % (msg, c))
sys.exit(1 if bad else 0)
EOF

# ---- daemons: restarted only when a case wants other options

DAEMON_OPTS=none
DAEMON_RUN=0

# daemons OPTS: ufoud with OPTS in HA and HB. Daemons with other options
# are stopped first; one that does not exit cleanly fails the current test.
daemons()
{
	local opts=$1 ns rc
	local -a args

	[ "$opts" = "$DAEMON_OPTS" ] && return 0
	if [ "$DAEMON_OPTS" != none ]; then
		for ns in "$HA" "$HB"; do
			stop_ufoud "$ns"
			rc=$?
			check_err $rc "ufoud ${DAEMON_OPTS:-(no options)} in $ns exited $rc on SIGTERM"
			# Keep the log of the previous daemon (start_ufoud truncates it).
			mv "${UFOUD_LOG[$ns]}" "${UFOUD_LOG[$ns]%.log}.$DAEMON_RUN.log" 2>/dev/null
		done
	fi
	DAEMON_OPTS=$opts
	DAEMON_RUN=$((DAEMON_RUN + 1))
	read -r -a args <<<"$opts"
	# @fault=LIST: tests/netns/fault.so in both daemons, UFOU_FAULT=LIST.
	if [ "${args[0]:-}" != "${args[0]#@fault=}" ]; then
		local f=${args[0]#@fault=}
		args=("${args[@]:1}")
		LD_PRELOAD=$BUILD_DIR/tests/netns/fault.so UFOU_FAULT=$f start_ufoud "$HA" "${args[@]}" &&
			LD_PRELOAD=$BUILD_DIR/tests/netns/fault.so UFOU_FAULT=$f start_ufoud "$HB" "${args[@]}"
		return
	fi
	start_ufoud "$HA" "${args[@]}" && start_ufoud "$HB" "${args[@]}"
}

if ! setup_bridged_hosts; then
	RET=1; retmsg="setup failed (HA - bridge in HR with software GSO/checksum ports - HB)"
	log_test "setup"; exit 1
fi

n=0
for c in "${CASES[@]}"; do
	IFS='|' read -r name dopts fam typewords encw port portargs inner want_gso want_csum want_opt <<<"$c"
	n=$((n + 1))
	read -r -a ew <<<"$encw"
	del6=()
	[ "$fam" = 6 ] && del6=(-6)
	if ! daemons "$dopts"; then
		check_err 1 "ufoud $dopts did not start"
		log_test "$name: outer bytes on the wire"
		continue
	fi
	tunnel_pair "gso$n" "$n" "$fam" "$inner" "$port" "$portargs" "$typewords" "$encw"
	if [ "$inner" = 4 ]; then a=198.19.$n.1 b=198.19.$n.2; else a=fd00:1:$n::1 b=fd00:1:$n::2; fi
	if [ "$RET" -eq 0 ]; then
		slowwait 5 ping_ok "$HA" "$b" >/dev/null
		check_err $? "no ping through gso$n to $b"
	fi
	# Before any TCP: with GSO refused, the first run a queue tries by
	# GSO is the refused one, and it must still leave (raw).
	if [ "$RET" -eq 0 ]; then
		ga0=$(link_counter "$HA" "gso$n" .stats64.tx.gso)
		tb0=$(tun_rx_packets "$HB" "gso$n")
		bursts_run "$b"
		check_err $? "$XFER_MSG"
		ga1=$(link_counter "$HA" "gso$n" .stats64.tx.gso)
		tb1=$(tun_rx_packets "$HB" "gso$n")
		offl=$(tun_offloads "$HB" "gso$n")
		case $dopts in
		*tun-no-uso*) [ -n "$offl" ] && (( offl != 0 && (offl & 0x60) == 0 )) ;;
		*tun-no-offload*) [ "$offl" = 0x0 ] ;;
		*) [ -n "$offl" ] && (( offl & 0x1 )) ;;
		esac
		check_err $? "HB's TUN offloads '${offl}' are not what the probe should end with (log: $(grep "link gso$n " "${UFOUD_LOG[$HB]}" | head -c 200))"
		# Written UDP super-packets count once in the TUN's rx packets:
		# only a TUN that took USO may get them.
		if [ -n "$offl" ] && (( (offl & 0x60) == 0 )); then
			[ "$((tb1 - tb0))" -ge "$BURST_N" ]
			check_err $? "HB wrote $((tb1 - tb0)) packets for $BURST_N datagrams: UDP super-packets to a TUN without USO"
		else
			[ "$((tb1 - tb0))" -lt "$BURST_N" ]
			check_err $? "HB wrote $((tb1 - tb0)) packets for $BURST_N datagrams: no UDP coalescing on a TUN with USO"
		fi
		if [ "$want_gso" = yes ]; then
			[ "$((ga1 - ga0))" -ge 2 ]
			check_err $? "UDP bursts did not go by GSO: HA tx gso $ga0 -> $ga1"
		fi
		[ "$dopts" = @fault=gso-eio ] && ! grep -q "gso$n: UDP GSO refused" "${UFOUD_LOG[$HA]}"
		check_fail $? "GSO was not tried (and refused) during the UDP bursts"
		[ "$RET" -eq 0 ] && diag "$name: $BURST_N UDP datagrams in bursts arrived; HA tx gso +$((ga1 - ga0)); HB TUN offloads $offl, $((tb1 - tb0)) packets written"
		log_test "$name: UDP bursts arrive whole"
	fi
	if [ "$RET" -eq 0 ]; then
		ga0=$(link_counter "$HA" "gso$n" .stats64.tx.gso)
		gb0=$(link_counter "$HB" "gso$n" .stats64.tx.gso)
		cap_start "$HB" "$TMPD/b.pcap"
		check_err $? "tcpdump in HB did not start: $(head -c 300 "$TMPD/b.pcap.err")"
		capb=$CAP_PID
		cap_start "$HA" "$TMPD/a.pcap"
		check_err $? "tcpdump in HA did not start: $(head -c 300 "$TMPD/a.pcap.err")"
		capa=$CAP_PID
	fi
	if [ "$RET" -eq 0 ]; then
		t0=$(date +%s%N)
		flows_run "$a" "$b"
		check_err $? "$XFER_MSG"
		t1=$(date +%s%N)
		cap_stop "$capa" "$TMPD/a.pcap"; dropsa=$CAP_DROPS
		cap_stop "$capb" "$TMPD/b.pcap"; dropsb=$CAP_DROPS
		ga1=$(link_counter "$HA" "gso$n" .stats64.tx.gso)
		gb1=$(link_counter "$HB" "gso$n" .stats64.tx.gso)
		if [ "$want_gso" = yes ]; then
			[ "$((ga1 - ga0))" -gt 0 ] && [ "$((gb1 - gb0))" -gt 0 ]
			check_err $? "tx gso counter did not grow: HA $ga0 -> $ga1, HB $gb0 -> $gb1"
		elif [ "$want_gso" = no ]; then
			[ "$ga1" = 0 ] && [ "$gb1" = 0 ]
			check_err $? "tx gso counter is HA $ga1, HB $gb1 on a link without GSO (expected 0)"
		fi
		if [ "$dopts" = @fault=gso-eio ]; then
			# The fallback really ran: the refusal was seen and said, once per queue at most.
			grep -q "gso$n: UDP GSO refused (Input/output error), using batches" "${UFOUD_LOG[$HA]}"
			check_err $? "HA's log does not say GSO was refused: $(tail -n 3 "${UFOUD_LOG[$HA]}" | tr '\n' ' ')"
		fi
		out=$(python3 "$CHECK_PY" "$port" "${ew[1]}" "$want_csum" "$want_opt" \
			"$UNDERLAY_MTU" "$TMPD/b.pcap" "$TMPD/a.pcap" 2>&1)
		check_err $? "$out"
		diag "$name: 2 x $BYTES bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')s;" \
			"tx gso HA +$((ga1 - ga0)) HB +$((gb1 - gb0)); capture drops ${dropsa:-?}/${dropsb:-?}"
		[ "$RET" -eq 0 ] && diag "  $(grep -v '^bad' <<<"$out" | awk 'NR > 1 { printf "; " } { printf "%s", $0 }')"
		rm -f "$TMPD"/[ab].pcap
	fi
	[ "$RET" -ne 0 ] && retmsg+=$'\n'"HA: $(ufou_in "$HA" -s link show "gso$n" 2>&1 | tr '\n' ' ')"
	log_test "$name: outer bytes on the wire"
	bg_stop_all
	for ns in "$HA" "$HB"; do
		ufou_in "$ns" link del "gso$n" >/dev/null 2>&1
		ufou_in "$ns" fou del port "$port" "${del6[@]}" >/dev/null 2>&1
	done
done

exit "$EXIT_STATUS"
