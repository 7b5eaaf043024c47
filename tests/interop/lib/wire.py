#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks on the outer packets captured on the TAP between the guest kernel and ufoud.

  wire.py PCAP --encap PORT:fou:PROTO|PORT:gue ... [checks...]

Every frame from the guest's MAC is the kernel's ("k"), every other frame is
ufoud's ("u"). Decoding is by hand with the standard library only, so that
the checks do not depend on the project's own decoder. Checks:

  --same                for each kind of inner packet both sides sent (INNER), every
                        outer header (SHAPE) ufoud emitted is one the kernel emitted
  --expect SIDE:KEY=VAL every packet of SIDE (k, u or ku) has KEY=VAL
                        (KEY one of the shape fields, VAL "*" = present, "-" = absent)
  --some SIDE:KEY=VAL   at least one packet of SIDE has KEY=VAL (or KEY!=VAL)
  --flows SIDE:N        SIDE sent at least N inner flows with pairwise distinct
                        outer source ports
  --ignore KEY          leave KEY out of --same (e.g. dport when the sides differ)
  --sport-range LO:HI   every auto source port of both sides is within [LO, HI]
  --min SIDE:N          SIDE sent at least N encapsulated packets
  --show                print every decoded packet

Per inner flow ufoud's outer source port is stable (always checked; the
kernel's is only reported, see the comment in main()).
Prints "# " diagnostics and exits 0 when every check passed, 1 otherwise.
"""
import socket
import struct
import sys

GUESTMAC = "52:54:00:18:00:02"


def csum_add(data, s=0):
    if len(data) % 2:
        data += b"\0"
    for (w,) in struct.iter_unpack("!H", data):
        s += w
    return s


def csum_ok(data, s=0):
    s = csum_add(data, s)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def pseudo(fam, src, dst, proto, length):
    if fam == 4:
        return csum_add(src + dst + struct.pack("!BBH", 0, proto, length))
    return csum_add(src + dst + struct.pack("!IxxxB", length, proto))


def ntop(b):
    return socket.inet_ntop(socket.AF_INET if len(b) == 4 else socket.AF_INET6, b)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("%s: not a pcap file" % path)
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        yield data[off:off + incl]
        off += incl


def inner_ip(p, d):
    """Decodes an inner IP packet into d (prefix i)."""
    if not p:
        return
    v = p[0] >> 4
    if v == 4 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        tos, _, _, ff, ttl, proto = struct.unpack("!BHHHBB", p[1:10])
        d.update(ifam=4, itos=tos, ittl=ttl, idf=int(bool(ff & 0x4000)), iproto=proto,
                 isrc=ntop(p[12:16]), idst=ntop(p[16:20]))
        l4 = p[ihl:]
    elif v == 6 and len(p) >= 40:
        w, _, nh, hl = struct.unpack("!IHBB", p[:8])
        d.update(ifam=6, itos=(w >> 20) & 0xFF, ittl=hl, idf=1, iproto=nh,
                 isrc=ntop(p[8:24]), idst=ntop(p[24:40]))
        l4 = p[40:]
    else:
        d["ifam"] = "?"
        return
    proto = d["iproto"]
    if proto in (6, 17) and len(l4) >= 4:
        sp, dp = struct.unpack("!HH", l4[:4])
        d["iflow"] = (d["isrc"], sp, d["idst"], dp, proto)
        d["iclass"] = {6: "tcp", 17: "udp"}[proto]
    elif proto in (1, 58) and len(l4) >= 8:
        t, _, _, ident = struct.unpack("!BBHH", l4[:6])
        d["iflow"] = (d["isrc"], d["idst"], proto, ident)
        d["iclass"] = "icmp-%d" % t
    else:
        d["iflow"] = (d["isrc"], d["idst"], proto)
        d["iclass"] = "proto-%d" % proto


def payload(proto, p, d):
    """FOU payload of IP protocol proto (4, 41, 47)."""
    if proto == 47:
        if len(p) < 4:
            return
        flags, gp = struct.unpack("!HH", p[:4])
        hl = 4 + 4 * bool(flags & 0x8000) + 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
        d.update(gre="%04x/%04x" % (flags, gp), grecsum=bool(flags & 0x8000),
                 grekey=bool(flags & 0x2000), greseq=bool(flags & 0x1000))
        if flags & 0x8000:
            d["grecsum_ok"] = csum_ok(p)
        o = 4 + 4 * bool(flags & 0x8000)
        if flags & 0x2000:
            d["grekeyval"] = struct.unpack("!I", p[o:o + 4])[0]
            o += 4
        if flags & 0x1000:
            d["greseqval"] = struct.unpack("!I", p[o:o + 4])[0]
        p = p[hl:]
        if gp == 0x6558:
            if len(p) < 14:
                return
            et = struct.unpack("!H", p[12:14])[0]
            d["ieth"] = et
            if et == 0x0806:
                d["iclass"] = "arp"
                d["iflow"] = ("arp",)
                d["ifam"] = "arp"
                return
            p = p[14:]
            if et not in (0x0800, 0x86DD):
                d["iclass"] = "eth-%04x" % et
                d["iflow"] = ("eth", et)
                return
    inner_ip(p, d)


def decode(raw, emap):
    if len(raw) < 14:
        return None
    d = {"side": "k" if raw[6:12].hex(":") == GUESTMAC else "u"}
    et = struct.unpack("!H", raw[12:14])[0]
    p = raw[14:]
    if et == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        tos, tl, _, ff, ttl, proto = struct.unpack("!BHHHBB", p[1:10])
        if proto != 17 or ff & 0x3FFF:
            return None
        src, dst = p[12:16], p[16:20]
        d.update(fam=4, ttl=ttl, tos=tos, df=int(bool(ff & 0x4000)))
        udp = p[ihl:tl]
    elif et == 0x86DD and len(p) >= 40:
        w, plen, nh, hl = struct.unpack("!IHBB", p[:8])
        src, dst = p[8:24], p[24:40]
        d.update(fam=6, ttl=hl, tos=(w >> 20) & 0xFF, fl="auto" if w & 0xFFFFF else "zero",
                 encaplimit="none")
        off = 40
        while nh in (0, 43, 60) and off + 2 <= len(p):
            enh, elen = p[off], (p[off + 1] + 1) * 8
            body = p[off:off + elen]
            i = 2
            while nh == 60 and i < len(body):
                if body[i] == 0:
                    i += 1
                    continue
                if body[i] == 4 and body[i + 1] == 1:
                    d["encaplimit"] = body[i + 2]
                i += 2 + body[i + 1]
            nh, off = enh, off + elen
        if nh != 17:
            return None
        udp = p[off:40 + plen]
    else:
        return None
    if len(udp) < 8:
        return None
    sp, dp, _, ck = struct.unpack("!HHHH", udp[:8])
    kind = emap.get(dp)
    if kind is None:
        return None
    d.update(sport=sp, dport=dp)
    if ck == 0:
        d["csum"] = "zero"
    else:
        ok = csum_ok(udp, pseudo(d["fam"], src, dst, 17, len(udp)))
        d["csum"] = "valid" if ok else "bad"
    pl = udp[8:]
    d["encap"] = kind[0]
    if kind[0] == "fou":
        payload(kind[1], pl, d)
        return d
    if not pl:
        return d
    ver = pl[0] >> 6
    d["guever"] = ver
    if ver == 1:
        inner_ip(pl, d)
        return d
    if ver != 0 or len(pl) < 4:
        return d
    hlen = pl[0] & 31
    proto, flags = pl[1], struct.unpack("!H", pl[2:4])[0]
    d.update(gueproto=proto, guehlen=hlen, gueflags="%04x" % flags, remcsum="no")
    opts = pl[4:4 + 4 * hlen]
    if flags & 1 and len(opts) >= 4:
        priv = struct.unpack("!I", opts[:4])[0]
        if priv & 0x80000000 and len(opts) >= 8:
            d["remcsum"] = "%d/%d" % struct.unpack("!HH", opts[4:8])
    payload(proto, pl[4 + 4 * hlen:], d)
    return d


# What must be equal between the kernel and ufoud for the same inner packet.
SHAPE = ("fam", "ttl", "tos", "df", "fl", "encaplimit", "dport", "csum", "encap", "guever",
         "gueproto", "guehlen", "gueflags", "remcsum", "gre", "grecsum", "grecsum_ok",
         "grekey", "grekeyval", "greseq")
# The inner packet: same values -> same outer header expected.
INNER = ("ifam", "iclass", "ittl", "itos", "idf")


IGNORED = set()


def shape(d):
    return tuple((k, d.get(k, "-")) for k in SHAPE if k not in IGNORED)


def key(d):
    return tuple((k, d.get(k, "-")) for k in INNER)


def fmt(t):
    return " ".join("%s=%s" % kv for kv in t if kv[1] != "-")


def sides(s):
    return [c for c in s if c in "ku"]


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    pcap, args = argv[1], argv[2:]
    emap, checks = {}, []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--encap":
            f = args[i + 1].split(":")
            emap[int(f[0])] = (f[1], int(f[2]) if len(f) > 2 else None)
            i += 2
        elif a == "--ignore":
            IGNORED.add(args[i + 1])
            i += 2
        elif a in ("--same", "--show"):
            checks.append((a, None))
            i += 1
        else:
            checks.append((a, args[i + 1]))
            i += 2
    pkts = [d for d in (decode(r, emap) for r in read_pcap(pcap)) if d]
    fails = []
    names = {"k": "kernel", "u": "ufoud"}
    count = {s: sum(1 for d in pkts if d["side"] == s) for s in "ku"}
    print("# capture: %d encapsulated packets from the kernel, %d from ufoud" % (count["k"], count["u"]))
    for c, v in checks:
        if c == "--show":
            for d in pkts:
                print("#   %s %s | %s sport=%s" % (d["side"], fmt(key(d)), fmt(shape(d)), d["sport"]))
    # ufoud: one outer source port per inner flow. The kernel is only reported:
    # it takes the port from the socket's random sk_txhash, so a TCP flow's
    # final ACK sent from TIME_WAIT (flow-dissector hash) or a segment after
    # a txhash rethink leaves with another port (docs/interop.md).
    for s in "ku":
        per = {}
        for d in pkts:
            if d["side"] == s and "iflow" in d:
                per.setdefault(d["iflow"], set()).add(d["sport"])
        for fl, ports in sorted(per.items(), key=str):
            if len(ports) > 1 and s == "u":
                fails.append("%s: inner flow %s left with several source ports %s" % (
                    names[s], fl, sorted(ports)))
            elif len(ports) > 1:
                print("# note: kernel: inner flow %s left with source ports %s" % (fl, sorted(ports)))
    for c, v in checks:
        if c == "--same":
            # Every outer header ufoud emits for an inner packet must be one the
            # kernel emits for the same kind of inner packet (the kernel may emit
            # several: e.g. remcsum only while the inner checksum is partial).
            ref = {}
            for d in pkts:
                ref.setdefault((d["side"], key(d)), set()).add(shape(d))
            common = 0
            for (s, k), shapes in sorted(ref.items(), key=str):
                if s != "u" or ("k", k) not in ref:
                    continue
                common += 1
                ks = ref[("k", k)]
                if not shapes <= ks:
                    fails.append("same inner packet (%s), different outer headers:\n#     kernel: %s\n#     ufoud:  %s" % (
                        fmt(k), "\n#             ".join(fmt(x) for x in sorted(ks)),
                        "\n#             ".join(fmt(x) for x in sorted(shapes))))
                else:
                    print("# same outer for %s: %s" % (fmt(k), " | ".join(fmt(x) for x in sorted(shapes))))
            if not common:
                fails.append("no inner packet of the same kind from both sides to compare")
        elif c == "--expect":
            who, kv = v.split(":", 1)
            k, want = kv.split("=", 1)
            for s in sides(who):
                got = sorted({str(d.get(k, "-")) for d in pkts if d["side"] == s})
                if not got:
                    fails.append("%s sent nothing to check %s on" % (names[s], k))
                elif want == "*":
                    if "-" in got:
                        fails.append("%s: some packets lack %s" % (names[s], k))
                elif got != [want]:
                    fails.append("%s: %s=%s expected, seen %s" % (names[s], k, want, ",".join(got)))
        elif c == "--some":
            who, kv = v.split(":", 1)
            neg = "!=" in kv
            k, want = kv.split("!=" if neg else "=", 1)
            for s in sides(who):
                got = {str(d.get(k, "-")) for d in pkts if d["side"] == s}
                if not any((g != want) if neg else (g == want) for g in got):
                    fails.append("%s: no packet with %s%s%s (seen %s)" % (
                        names[s], k, "!=" if neg else "=", want, ",".join(sorted(got)) or "nothing"))
        elif c == "--flows":
            who, n = v.split(":")
            for s in sides(who):
                per = {}
                for d in pkts:
                    if d["side"] == s and d.get("iclass") in ("tcp", "udp"):
                        per.setdefault(d["iflow"], set()).add(d["sport"])
                ports = [min(p) for p in per.values()]
                print("# %s: %d inner TCP/UDP flows -> outer source ports %s" % (
                    names[s], len(per), " ".join(str(p) for p in sorted(ports))))
                # A hash collision between two flows can happen (2 in 28232
                # ports); more than one means the port does not follow the flow.
                if len(per) < int(n):
                    fails.append("%s: %d inner flows seen, %s expected" % (names[s], len(per), n))
                elif len(set(ports)) < len(ports) - 1:
                    fails.append("%s: %d inner flows share %d outer source ports" % (
                        names[s], len(ports), len(set(ports))))
        elif c == "--sport-range":
            lo, hi = (int(x) for x in v.split(":"))
            for s in "ku":
                bad = sorted({d["sport"] for d in pkts if d["side"] == s and not lo <= d["sport"] <= hi})
                if bad:
                    fails.append("%s: source ports outside %d-%d: %s" % (names[s], lo, hi, bad[:8]))
        elif c == "--min":
            who, n = v.split(":")
            for s in sides(who):
                if count[s] < int(n):
                    fails.append("%s: %d encapsulated packets seen, at least %s expected" % (
                        names[s], count[s], n))
    for f in fails:
        print("# FAIL " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
