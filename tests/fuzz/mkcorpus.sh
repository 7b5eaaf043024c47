#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regenerates the seed corpora tests/fuzz/corpus/<target>/ from the Linux
# capture vectors (tests/vectors/*.pcap) plus hand-made edge cases. Files
# are named by content hash, so rerunning is idempotent.
#   tests/fuzz/mkcorpus.sh
set -eu
cd "$(dirname "$0")/../.."
exec python3 - "$@" <<'PY'
import glob, hashlib, ipaddress, os, struct

OUT = "tests/fuzz/corpus"
FOU = {5555: 4, 5541: 41, 5547: 47, 5557: 4, 5561: 41, 5567: 47}  # ufou decode defaults
GUE = {5556, 5558, 6080}
corp = {t: set() for t in ("ip", "udp", "gue", "gre", "decap", "decode_ip", "pcap", "flow", "bpf", "bpf_encap")}
BPF_LOCAL = (bytes([198, 18, 0, 1]), bytes.fromhex("fd000018" + "00" * 11 + "01"))  # fuzz_bpf.c

def records(path):
    b = open(path, "rb").read()
    end = "<" if b[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(end + "I", b[20:24])[0] & 0xffff
    off = 24
    while off + 16 <= len(b):
        cl = struct.unpack(end + "I", b[off + 8:off + 12])[0]
        d = b[off + 16:off + 16 + cl]
        off += 16 + cl
        if link == 1 and d[12:14] in (b"\x08\x00", b"\x86\xdd"):
            yield d[14:]

def ip_payload(p):
    """(proto, payload) of an IPv4/IPv6 packet, walking IPv6 dst/hbh options."""
    if p[0] >> 4 == 4:
        hl = (p[0] & 15) * 4
        return p[9], p[hl:struct.unpack(">H", p[2:4])[0]]
    nh, off = p[6], 40
    while nh in (0, 60):
        nh, off = p[off], off + (p[off + 1] + 1) * 8
    return nh, p[off:40 + struct.unpack(">H", p[4:6])[0]]

def udp_off(p):
    """Offset of the UDP header of an IPv4/IPv6 packet (after IPv6 dst/hbh options)."""
    if p[0] >> 4 == 4:
        return (p[0] & 15) * 4
    nh, off = p[6], 40
    while nh in (0, 60):
        nh, off = p[off], off + (p[off + 1] + 1) * 8
    return off

def bpf_seed(p):
    """A capture to us with its UDP checksum zeroed: test_run cannot mark one verified."""
    dst = p[16:20] if p[0] >> 4 == 4 else p[24:40]
    if dst not in BPF_LOCAL:
        return None
    o = udp_off(p)
    return p[:o + 6] + b"\0\0" + p[o + 8:]

def pcap(linktype, recs):
    out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype)
    for r in recs:
        out += struct.pack("<IIII", 0, 0, len(r), len(r)) + r
    return out

bpf_vec = {}
for f in sorted(glob.glob("tests/vectors/*.pcap")):
    corp["pcap"].add(open(f, "rb").read())
    for p in records(f):
        for t in ("ip", "udp", "decode_ip"):
            corp[t].add(p)
        proto, udp = ip_payload(p)
        if proto != 17:
            continue
        seed = bpf_seed(p)
        if seed and f not in bpf_vec:
            bpf_vec[f] = seed                        # the first of each capture
        dport = struct.unpack(">H", udp[2:4])[0]
        pay = udp[8:]
        if dport in GUE:
            corp["gue"].add(pay)
            corp["decap"].add(bytes([1, 0]) + pay)
            if pay[0] >> 6 == 0:
                hl = 4 + 4 * (pay[0] & 31)
                inner, iproto = pay[hl:], pay[1]
            else:
                inner, iproto = pay, 4 if pay[0] >> 4 == 4 else 41
        elif dport in FOU:
            corp["decap"].add(bytes([0, FOU[dport]]) + pay)
            inner, iproto = pay, FOU[dport]
        else:
            continue
        if iproto == 47:
            corp["gre"].add(inner)
            gl = 4 + 4 * bin(inner[0] & 0xb0).count("1")
            eth = inner[2:4] == b"\x65\x58"
            corp["flow"].add(bytes([int(eth)]) + inner[gl:])
        else:
            corp["flow"].add(b"\x00" + inner)
        corp["pcap"].add(pcap(101, [p]))

# Hand-made edge cases.
v4 = bytes.fromhex("45000020000040004011" "0000" "c6120001c6120002")
v6 = bytes.fromhex("6000000000081140") + bytes(15) + b"\x01" + bytes(15) + b"\x02"
for t in ("ip", "udp", "decode_ip"):
    corp[t] |= {b"", b"\x45", b"\x60", v4[:19], v4, v6[:39], v6,
                bytes.fromhex("4f") + bytes(59),                 # IHL 15, options
                bytes.fromhex("6000000000103c40") + bytes(32)    # dstopt chain, cut
                + bytes.fromhex("3c00000000000000") + bytes.fromhex("3c00")}
corp["gue"] |= {b"", b"\x00", b"\x00\x04\x00", b"\x00\x04\x00\x00",
                bytes.fromhex("1f040001") + b"\xff" * 8,            # hlen 31, priv flags
                bytes.fromhex("02040001800000000014001a"),          # remcsum, no payload
                bytes.fromhex("02040001800000000000fffe") + bytes(20),  # offset past end
                bytes.fromhex("20040000") + bytes(20),              # control
                bytes.fromhex("80000000"), bytes.fromhex("c0000000"),  # version 2, 3
                bytes.fromhex("4500"), bytes.fromhex("60"), bytes.fromhex("70")}  # v1
corp["gre"] |= {b"", b"\x00\x00\x08", bytes.fromhex("b0000800") + bytes(12),
                bytes.fromhex("80000800") + bytes(4), bytes.fromhex("40000800"),
                bytes.fromhex("00010800"), bytes.fromhex("00006558") + bytes(13)}
corp["decap"] |= {b"", b"\x00", b"\x01\x00", b"\x00\x2f" + bytes.fromhex("00006558"),
                  b"\x00\x04", b"\x00\x29" + b"\x60", b"\x00\x00" + v4,
                  b"\x01\x00" + bytes.fromhex("02040001800000000014001a") + v4}
corp["flow"] |= {b"", b"\x00", b"\x01", b"\x01" + bytes(12) + b"\x81\x00\x00\x01\x08\x00",
                 b"\x00" + v4[:20], b"\x00" + v6[:40] + b"\x2c\x00\x00\x01" + bytes(4)}
corp["pcap"] |= {b"", b"\xd4\xc3\xb2\xa1", pcap(1, [])[:23], pcap(1, []),
                 pcap(1, [b""]), pcap(0, [b"\x02\x00\x00\x00" + v4]),
                 pcap(113, [bytes(14) + b"\x08\x00" + v4]),
                 pcap(276, [b"\x86\xdd" + bytes(18) + v6]),
                 pcap(1, [bytes(12) + b"\x88\xa8\x00\x01\x81\x00\x00\x02\x08\x00" + v4]),
                 pcap(101, [v4])[:-1],                               # truncated record
                 struct.pack(">IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 101)
                 + struct.pack(">IIII", 0, 0, len(v6), len(v6)) + v6,
                 struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
                 + struct.pack("<IIII", 0, 0, 0xffffffff, 0)}

# fuzz_bpf: captures to the host side, then the configuration's other corners.
corp["bpf"] |= set(bpf_vec.values())

def csum16(b):
    b += b"\0" * (len(b) & 1)
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip4(src, dst, proto, pay, tos=0, opts=b""):
    h = struct.pack(">BBHHHBBH4s4s", 0x45 + len(opts) // 4, tos, 20 + len(opts) + len(pay), 1,
                    0x4000, 64, proto, 0, bytes(map(int, src.split("."))),
                    bytes(map(int, dst.split(".")))) + opts
    return h[:10] + struct.pack(">H", csum16(h)) + h[12:] + pay

def a6(s):
    return ipaddress.IPv6Address(s).packed

def ip6(src, dst, nh, pay, tc=0, ext=b""):
    first = 60 if ext else nh
    return (struct.pack(">IHBB", 6 << 28 | tc << 20, len(ext) + len(pay), first, 64)
            + a6(src) + a6(dst) + ext + pay)

def udp4242(dport, pay):
    return struct.pack(">HHHH", 4242, dport, 8 + len(pay), 0) + pay

def gre(proto, pay, key=None, csum=False):
    flags = (0x2000 if key is not None else 0) | (0x8000 if csum else 0)
    h = struct.pack(">HH", flags, proto) + (b"\0" * 4 if csum else b"")
    return h + (struct.pack(">I", key) if key is not None else b"") + pay

ping4 = ip4("198.19.1.2", "198.19.1.1", 1, bytes.fromhex("0800f7ff00000000"))
ping4_ect0 = ip4("198.19.1.2", "198.19.1.1", 1, bytes.fromhex("0800f7ff00000000"), tos=2)
ping6 = ip6("fd00:1:2::2", "fd00:1:2::1", 58, bytes.fromhex("8000000000000000"))
H, G = "198.18.0.1", "198.18.0.2"
H6, G6 = "fd00:18::1", "fd00:18::2"
corp["bpf"] |= {
    ip4(G, H, 17, udp4242(5547, gre(0x0800, ping4, key=7))),               # gre key 7
    ip4(G, H, 17, udp4242(5547, gre(0x0800, ping4, key=7, csum=True))),    # csum: not ours
    ip4(G, H, 17, udp4242(5547, gre(0x86dd, ping6))),                      # wildcard gre
    ip4("198.18.0.3", H, 17, udp4242(5547, gre(0x0800, ping4))),           # icsum link
    ip4("198.18.0.4", H, 17, udp4242(5547, gre(0x6558, bytes(14) + ping4))),  # gretap
    ip4("198.18.0.7", H, 17, udp4242(5556, bytes.fromhex("00290000") + ping6)),  # sit, any
    ip4("198.18.0.7", H, 17, udp4242(5541, ping6)),                        # peer filter
    ip4("198.18.0.5", "198.18.0.9", 17, udp4242(5555, ping4)),             # second local
    ip4(G, H, 17, udp4242(5555, ping4_ect0), tos=3),                       # CE on ECT(0)
    ip4(G, H, 17, udp4242(5555, ping4), tos=3),                            # CE on not-ECT
    ip4(G, H, 17, udp4242(5555, ping4), opts=bytes(4)),                    # IPv4 options
    ip4(G, H, 17, udp4242(5555, ping4)[:4] + b"\0\x0c" + udp4242(5555, ping4)[6:]),  # UDP short
    ip4(G, H, 17, udp4242(5556, bytes.fromhex("01040000") + bytes(4) + ping4)),  # GUE option
    ip6(G6, H6, 17, udp4242(5561, ping6),
        ext=bytes.fromhex("1100040104010100")),                            # encap limit
    ip6(G6, H6, 17, udp4242(5567, gre(0x0800, ping4))),                    # ip6gre
    ip6(G6, "fd00:18::9", 17, udp4242(5558, bytes.fromhex("00290000") + ping6)),  # bound port
    # Disagreements fuzz_bpf found (reported; they fail it until resolved):
    ip4(G, H, 17, udp4242(5555, ping4)) + bytes(6),                        # link padding kept
    ip6(G6, H6, 17, udp4242(5561, ping6),
        ext=bytes.fromhex("1100050904010100")),                            # option overruns
    ip4(G, H, 17, udp4242(5555, b"")) + bytes.fromhex("45000000") + bytes(16),  # inner from padding
    ip4(G, H, 17, udp4242(5555, bytes.fromhex("46000014") + ping4[4:20])),     # inner IHL > length
    ip6(G6, H6, 17, udp4242(5561, ip6("fd00:1:2::2", "fd00:1:2::1", 0,
                                      bytes.fromhex("3a05000000000000")))),    # inner hop-by-hop cut
}

# fuzz_bpf_encap: 5 bytes pick the link (see link_from()), then the inner packet.
# h0: kind ipip sit gre ip6tnl ip6gre (0-4), +8 GUE, +16 GRE key, bits 5-7 mode;
# h4 bit 6: the inner length as given (else the harness makes it the packet's).
udp4 = ip4("198.19.1.2", "198.19.1.1", 17, struct.pack(">HHHH", 1000, 2000, 12, 0) + b"abcd")
udp6 = ip6("fd00:1:2::2", "fd00:1:2::1", 17, struct.pack(">HHHH", 1000, 2000, 12, 0) + b"abcd")
tcp4 = ip4("198.19.1.2", "198.19.1.1", 6, struct.pack(">HHIIBBHHH", 80, 4321, 1, 0, 0x50, 2, 512, 0, 0))
enc = corp["bpf_encap"]
for kind, inner in ((0, ping4), (1, ping6), (2, udp4), (2, udp6), (3, udp6), (4, tcp4)):
    for gue in (0, 8):
        enc.add(bytes([kind | gue, 0, 0, 0, 0]) + inner)
enc |= {
    bytes([0x0a, 0x0b, 0xb8, 0x21, 0]) + udp4,        # gre/gue, key, ttl 33, tos inherit, sport
    bytes([0x1c, 0x31, 0x20, 0x05, 0]) + ping6,       # ip6gre/gue key, hoplimit 5, fixed label
    bytes([0xa3, 0x62, 0x10, 0x00, 0]) + ping4,       # ip6tnl any, ipip6, inherit label, no elim
    bytes([0x40, 0x04, 0x00, 0x00, 0]) + udp4[:1] + udp4[1:6] + b"\0\0" + udp4[8:],  # nopmtudisc, no DF
    bytes([0x02, 0x80, 0x00, 0x00, 0x08]) + udp4,     # ocsum: config hand-over
    bytes([0x08, 0x80, 0x00, 0x00, 0x04]) + udp4,     # gue remcsum: config hand-over
    bytes([0x00, 0x00, 0x00, 0x00, 0x02]) + ping4,    # IPv4 sent as IPv6: inner hand-over
    bytes([0x00, 0x00, 0x00, 0x00, 0]) + ping6,       # ipip carries no IPv6
    bytes([0x03, 0x00, 0x00, 0x00, 0]) + ip6("fd00:1:2::2", "fd00:1:2::1", 17, b"",
                                             ext=bytes.fromhex("1100040104010100")),  # ext header
    bytes([0x00, 0x00, 0x00, 0x00, 0]) + ip4("198.19.1.2", "198.19.1.1", 17, bytes(1460)),  # MTU
    bytes([0x00, 0x00, 0x00, 0x00, 0x40]) + ping4 + bytes(4),  # trailing bytes: hand-over
    bytes([0x00, 0x00, 0x00, 0x00, 0x80]) + ping4,    # remote without a neighbour: route
    bytes([0x03, 0x00, 0x00, 0x00, 0x80]) + ping6,    # the same, IPv6
}
# GSO (h4 bit 5): segments of 64 + (h2 h3 % 1600) bytes.
def tcp(pay):
    return struct.pack(">HHIIBBHHH", 80, 4321, 1, 0, 0x50, 0x18, 512, 0, 0) + pay
def udp(pay):
    return struct.pack(">HHHH", 1000, 2000, 8 + len(pay), 0) + pay
big4 = ip4("198.19.1.2", "198.19.1.1", 6, tcp(bytes(range(256)) * 2))
big6 = ip6("fd00:1:2::2", "fd00:1:2::1", 6, tcp(bytes(range(256)) * 2))
enc |= {
    bytes([0x00, 0x00, 0x00, 36, 0x20]) + big4,                       # ipip TSO4, 6 segments
    bytes([0x03, 0x00, 0x00, 36, 0x20]) + big6,                       # ip6tnl TSO6
    bytes([0x1a, 0x00, 0x00, 200, 0x20]) + big6,                      # gre/gue key TSO6
    bytes([0x04, 0x00, 0x00, 136, 0x20]) + ip4("198.19.1.2", "198.19.1.1", 17, udp(bytes(700))),  # USO
    bytes([0x00, 0x00, 0x05, 0x6a, 0x20]) + ip4("198.19.1.2", "198.19.1.1", 6, tcp(bytes(1500))),  # MTU
}

for t, items in corp.items():
    d = os.path.join(OUT, t)
    os.makedirs(d, exist_ok=True)
    for data in items:
        with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as fh:
            fh.write(data)
    print(f"{t}: {len(items)} seeds")
PY
