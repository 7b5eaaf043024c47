#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""wire_sig.py [-a] PCAP PORT:KIND...: the distinct outer-header shapes of the
captured FOU/GUE datagrams carrying pings (Ethernet frames) to the given UDP ports, one line
each, sorted, without what legitimately varies per packet or per run.

KIND is how that port's payload starts: fou (the inner IP header), fougre
(a GRE header, FOU ipproto 47) or gue (a GUE header). Kept per datagram: outer
IP version, TOS/traffic class, TTL/hop limit, DF, IPv6 destination options,
the UDP port and whether its checksum is zero, the GUE header (version, C,
hlen, protocol, flags and the remote checksum offload option) and the GRE
header (flags, protocol, key), and what is inside (IP version, or the
Ethernet type of a gretap frame). Left out: addresses (fixed by the test),
IPv4 ID and header checksum, UDP source port and checksum value (a hash of
the inner flow, whose ping IDs differ per run), IPv6 flow label (the same
hash), GRE sequence numbers, and lengths (the inner packets vary).
"""
import struct
import sys


def frames(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def outer(f):
    """(shape tuple, UDP bytes) of an Ethernet frame carrying UDP, or None."""
    if len(f) < 14:
        return None
    et = struct.unpack("!H", f[12:14])[0]
    p = f[14:]
    if et == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        if p[9] != 17 or len(p) < ihl + 8:
            return None
        df = struct.unpack("!H", p[6:8])[0] & 0x4000
        return ("v4", p[1], p[8], "DF" if df else "-", ""), p[ihl:]
    if et == 0x86DD and len(p) >= 40:
        tclass = ((p[0] & 15) << 4) | (p[1] >> 4)
        nh, u, ext = p[6], p[40:], ""
        if nh == 60 and len(u) >= 8:
            elen = (u[1] + 1) * 8
            ext, nh, u = u[:elen].hex(), u[0], u[elen:]
        if nh != 17 or len(u) < 8:
            return None
        return ("v6", tclass, p[7], "-", ext), u
    return None


def gre(b):
    """GRE header shape and what follows it."""
    if len(b) < 4:
        return ("gre-short",), b""
    flags, proto = struct.unpack("!HH", b[:4])
    k, key = 4, ""
    if flags & 0x8000:
        k += 4
    if flags & 0x2000:
        key = b[k:k + 4].hex()
        k += 4
    if flags & 0x1000:
        k += 4
    return ("gre", "%04x" % flags, "%04x" % proto, key), b[k:]


def gue(b):
    if len(b) < 4:
        return ("gue-short",), b"", 0
    ver, hlen, proto, flags = b[0] >> 6, b[0] & 31, b[1], struct.unpack("!H", b[2:4])[0]
    cbit = (b[0] >> 5) & 1
    opts = b[4:4 + hlen * 4].hex()
    return ("gue", ver, cbit, hlen, proto, "%04x" % flags, opts), b[4 + hlen * 4:], proto


def is_ping_or_tcp(b):
    """Whether b is a TCP segment or an ICMP or ICMPv6 echo request or reply."""
    if len(b) >= 21 and b[0] >> 4 == 4:
        ihl = (b[0] & 15) * 4
        return b[9] == 6 or (b[9] == 1 and len(b) > ihl and b[ihl] in (0, 8))
    if len(b) >= 41 and b[0] >> 4 == 6:
        return b[6] == 6 or (b[6] == 58 and b[40] in (128, 129))
    return False


ALL = False


def inner(b, teb):
    """What is inside, or None unless it is a ping or TCP (or -a): a test's other
    traffic (MLD reports, ARP, neighbour discovery) comes at times that vary
    per run."""
    if teb:
        if len(b) < 15 or not (ALL or is_ping_or_tcp(b[14:])):
            return None
        return ("eth", b[12:14].hex(), b[14] >> 4)
    if not b or not (ALL or is_ping_or_tcp(b)):
        return None
    return ("ip", b[0] >> 4)


def shape(f, kinds):
    o = outer(f)
    if o is None:
        return None
    ip, u = o
    dport, csum = struct.unpack("!H", u[2:4])[0], struct.unpack("!H", u[6:8])[0]
    kind = kinds.get(dport)
    if kind is None:
        return None
    pay, enc, teb = u[8:], (), False
    if kind == "gue":
        g, pay, proto = gue(pay)
        enc += g
        if proto == 47:
            kind = "fougre"
    if kind == "fougre":
        g, pay = gre(pay)
        enc += g
        teb = g[2:3] == ("6558",)
    inn = inner(pay, teb)
    if inn is None:
        return None
    return ip + (dport, csum == 0) + enc + inn


def main():
    global ALL
    args = sys.argv[1:]
    if args and args[0] == "-a":
        ALL, args = True, args[1:]
    kinds = {}
    for a in args[1:]:
        port, kind = a.split(":")
        kinds[int(port)] = kind
    sigs = set()
    for f in frames(args[0]):
        s = shape(f, kinds)
        if s is not None:
            sigs.add(" ".join(str(x) for x in s))
    print("\n".join(sorted(sigs)))


main()
