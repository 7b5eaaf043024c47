#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Holds Wireshark (with contrib/wireshark/ufou.lua) and `ufou decode -j` to
the same answers, packet by packet.

  wireshark_compare.py TSHARK.json UFOU.json [FIRST COUNT]

With FIRST and COUNT, TSHARK.json holds more captures than UFOU.json's one:
its packets FIRST (from 0) to FIRST + COUNT - 1 are that one's.

TSHARK.json is `tshark -T json` output, UFOU.json `ufou decode -j` output, of
the same capture. Each packet's `ufou decode` object is brought to the fields
listed in COMPARED; the same fields are read from Wireshark's layers (outer
IP, UDP, FOU/GUE, GRE, Ethernet, inner IP, inner transport) in the same
shape. A field that one side reports and the other does not is a mismatch,
as is a different value, and so is a `ufou decode` field this script does
not know (so that a new one is classified, not silently skipped). Prints one
"# packet N: ..." line per mismatch and a summary; exits 1 on any mismatch.
"""
import json
import sys

# Every `ufou decode -j` field, by the dotted path it has there: compared,
# or not (with the reason).
COMPARED = {
    "len",
    "outer.family", "outer.src", "outer.dst", "outer.proto", "outer.ttl", "outer.tos",
    "outer.df", "outer.id", "outer.mf", "outer.frag_off", "outer.flowlabel",
    "outer.encap_limit",
    "udp.sport", "udp.dport", "udp.len", "udp.csum", "udp.csum_value",
    "encap", "ipproto",
    "gue.version", "gue.control", "gue.hlen", "gue.proto", "gue.flags", "gue.priv",
    "gue.remcsum.start", "gue.remcsum.offset",
    "gre.flags", "gre.proto", "gre.key", "gre.seq", "gre.csum",
    "eth.src", "eth.dst", "eth.type",
    "inner.family", "inner.src", "inner.dst", "inner.proto", "inner.ttl", "inner.tos",
    "inner.df", "inner.id", "inner.flowlabel",
    "l4.proto", "l4.sport", "l4.dport", "l4.type", "l4.code", "l4.csum", "l4.csum_value",
    "drop",
}
NOT_COMPARED = {
    "index": "the packet's position: the comparison pairs packets by it",
    "origlen": "no capture in tests/vectors is truncated",
    "skipped": "link layers ufou decode does not read",
}
# Drop reasons of the outer IP/UDP, GRE and inner layers are ufou's own
# receive checks, not header fields: the dissector reports GUE's (gue.drop).
DISSECTOR_DROPS = "gue-"

L4_PROTO = {"icmp": 1, "icmpv6": 58, "udp": 17, "tcp": 6}
CSUM_STATUS = {"0": "bad", "1": "valid", "2": "unverified", "3": "not-present"}


def pairs_hook(pairs):
    return pairs


def first(pairs, key):
    """First value of key in a layer's pairs, depth first (subtrees too)."""
    for k, v in pairs:
        if k == key:
            return v
        if isinstance(v, list) and v and isinstance(v[0], tuple):
            found = first(v, key)
            if found is not None:
                return found
    return None


def all_keys(pairs, suffix, out):
    for k, v in pairs:
        if k.endswith(suffix):
            out.append(v)
        if isinstance(v, list) and v and isinstance(v[0], tuple):
            all_keys(v, suffix, out)
    return out


def num(v):
    if v is None:
        return None
    return int(v, 16) if v.startswith("0x") else int(v)


def put(d, key, value):
    if value is not None:
        d[key] = value


def csum_state(pairs, field, status_field):
    value = num(first(pairs, field))
    status = first(pairs, status_field)
    if value is None:
        return None, None
    if value == 0 and field.startswith("udp"):
        return "zero", 0        # UDP: 0 means "no checksum"
    return CSUM_STATUS.get(status, status), value


def ip_fields(name, pairs, outer):
    d = {}
    if name == "ip":
        put(d, "family", 4)
        put(d, "src", first(pairs, "ip.src"))
        put(d, "dst", first(pairs, "ip.dst"))
        put(d, "proto", num(first(pairs, "ip.proto")))
        put(d, "ttl", num(first(pairs, "ip.ttl")))
        put(d, "tos", num(first(pairs, "ip.dsfield")))
        put(d, "df", first(pairs, "ip.flags.df") == "1")
        put(d, "id", num(first(pairs, "ip.id")))
        if outer:
            put(d, "mf", first(pairs, "ip.flags.mf") == "1")
            # Wireshark shows the offset in bytes, ufou in 8-byte units.
            put(d, "frag_off", num(first(pairs, "ip.frag_offset")) // 8)
            d["encap_limit"] = None
    else:
        put(d, "family", 6)
        put(d, "src", first(pairs, "ipv6.src"))
        put(d, "dst", first(pairs, "ipv6.dst"))
        # The transport after any extension headers, as ufou reports it.
        nxt = [first(pairs, "ipv6.nxt")] + all_keys(pairs, "opts.nxt", []) + \
            all_keys(pairs, "routing.nxt", []) + all_keys(pairs, "fraghdr.nxt", [])
        put(d, "proto", num(nxt[-1]))
        put(d, "ttl", num(first(pairs, "ipv6.hlim")))
        put(d, "tos", num(first(pairs, "ipv6.tclass")))
        put(d, "flowlabel", num(first(pairs, "ipv6.flow")))
        if outer:
            d["encap_limit"] = num(first(pairs, "ipv6.opt.tel"))
    return d


def gue_fields(pairs, d):
    g = {}
    put(g, "version", num(first(pairs, "gue.version")))
    control = first(pairs, "gue.control")
    if control is not None:
        g["control"] = control == "1"
    put(g, "hlen", num(first(pairs, "gue.hlen")))
    put(g, "proto", num(first(pairs, "gue.proto")))
    put(g, "proto", num(first(pairs, "gue.ctype")))
    put(g, "flags", num(first(pairs, "gue.flags")))
    put(g, "priv", num(first(pairs, "gue.priv")))
    start, offset = first(pairs, "gue.remcsum.start"), first(pairs, "gue.remcsum.offset")
    if start is not None or offset is not None:
        g["remcsum"] = {}
        put(g["remcsum"], "start", num(start))
        put(g["remcsum"], "offset", num(offset))
    d["gue"] = g
    drop = first(pairs, "gue.drop")
    put(d, "drop", drop)
    # What the receiver hands on: nothing when it drops the packet.
    d["ipproto"] = 0 if drop else g.get("proto")


def wireshark_packet(layers):
    d = {}
    put(d, "len", num(first(layers, "frame.cap_len")))
    seq = [(n, p) for n, p in layers if n != "frame" and not n.startswith("_ws")]
    i = 0
    while i < len(seq) and seq[i][0] not in ("ip", "ipv6"):
        i += 1                          # the link layer
    if i == len(seq):
        return d
    d["outer"] = ip_fields(seq[i][0], seq[i][1], True)
    i += 1
    if i >= len(seq) or seq[i][0] != "udp":
        return d
    u = seq[i][1]
    d["udp"] = {}
    put(d["udp"], "sport", num(first(u, "udp.srcport")))
    put(d["udp"], "dport", num(first(u, "udp.dstport")))
    put(d["udp"], "len", num(first(u, "udp.length")))
    state, value = csum_state(u, "udp.checksum", "udp.checksum.status")
    put(d["udp"], "csum", state)
    put(d["udp"], "csum_value", value)
    i += 1
    if i >= len(seq) or seq[i][0] not in ("fou", "gue"):
        return d
    name, p = seq[i]
    d["encap"] = name
    if name == "fou":
        put(d, "ipproto", num(first(p, "fou.proto")))
    else:
        gue_fields(p, d)
    i += 1
    if i < len(seq) and seq[i][0] == "gre":
        p = seq[i][1]
        d["gre"] = {}
        put(d["gre"], "flags", num(first(p, "gre.flags_and_version")))
        put(d["gre"], "proto", num(first(p, "gre.proto")))
        put(d["gre"], "key", num(first(p, "gre.key")))
        put(d["gre"], "seq", num(first(p, "gre.sequence_number")))
        if first(p, "gre.checksum") is not None:
            put(d["gre"], "csum", csum_state(p, "gre.checksum", "gre.checksum.status")[0])
        i += 1
    if i < len(seq) and seq[i][0] == "eth":
        p = seq[i][1]
        d["eth"] = {"src": first(p, "eth.src"), "dst": first(p, "eth.dst"),
                    "type": num(first(p, "eth.type"))}
        i += 1
    if i < len(seq) and seq[i][0] in ("ip", "ipv6"):
        d["inner"] = ip_fields(seq[i][0], seq[i][1], False)
        i += 1
        if i < len(seq) and seq[i][0] in L4_PROTO:
            name, p = seq[i]
            l4 = {"proto": L4_PROTO[name]}
            if name in ("udp", "tcp"):
                put(l4, "sport", num(first(p, name + ".srcport")))
                put(l4, "dport", num(first(p, name + ".dstport")))
            else:
                put(l4, "type", num(first(p, name + ".type")))
                put(l4, "code", num(first(p, name + ".code")))
            state, value = csum_state(p, name + ".checksum", name + ".checksum.status")
            put(l4, "csum", state)
            put(l4, "csum_value", value)
            d["l4"] = l4
    return d


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def ufou_packet(obj, problems):
    flat = flatten(obj)
    kept = {}
    for k, v in flat.items():
        if k == "drop" and not v.startswith(DISSECTOR_DROPS):
            continue
        if k in COMPARED:
            kept[k] = v
        elif k not in NOT_COMPARED:
            problems.append(f"ufou decode field {k} is neither compared nor excused")
    return kept


def main():
    with open(sys.argv[1]) as f:
        ws = json.load(f, object_pairs_hook=pairs_hook)
    if len(sys.argv) == 5:
        first_ws, count = int(sys.argv[3]), int(sys.argv[4])
        ws = ws[first_ws:first_ws + count]
    with open(sys.argv[2]) as f:
        uf = json.load(f)
    mismatches = []
    fields = tunnels = 0
    if len(ws) != len(uf):
        mismatches.append(f"# {len(ws)} packets in Wireshark, {len(uf)} in ufou decode")
    for n, (w, u) in enumerate(zip(ws, uf), 1):
        layers = first(w, "layers")
        problems = []
        a = ufou_packet(u, problems)
        b = flatten(wireshark_packet(layers))
        for p in problems:
            mismatches.append(f"# packet {n}: {p}")
        for k in sorted(set(a) | set(b)):
            if k not in a:
                mismatches.append(f"# packet {n}: {k}: Wireshark {b[k]!r}, not in ufou decode")
            elif k not in b:
                mismatches.append(f"# packet {n}: {k}: ufou decode {a[k]!r}, not in Wireshark")
            elif a[k] != b[k]:
                mismatches.append(f"# packet {n}: {k}: ufou decode {a[k]!r}, Wireshark {b[k]!r}")
            else:
                fields += 1
        if "encap" in a:
            tunnels += 1
    for m in mismatches:
        print(m)
    print(f"# {len(uf)} packets, {tunnels} FOU/GUE, {fields} fields equal, "
          f"{len(mismatches)} mismatches")
    return 1 if mismatches or tunnels == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
