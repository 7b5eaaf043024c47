#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes a pcap of malformed GUE packets, one per receive drop of Linux's
gue_udp_recv(), built from the first packet of a captured GUE vector (IPv4
outer, Ethernet link, zero UDP checksum) with correct outer lengths and IPv4
header checksum, so that only the GUE header is wrong.

  gue_mutants.py IN.pcap OUT.pcap   (prints one expected drop name a line)
"""
import struct
import sys


def ip_csum(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def rebuild(frame, payload):
    """frame: Ethernet + IPv4 (20) + UDP + GUE...; payload: new UDP payload."""
    eth, ip, udp = frame[:14], bytearray(frame[14:34]), bytearray(frame[34:42])
    struct.pack_into("!H", ip, 2, 20 + 8 + len(payload))
    struct.pack_into("!H", ip, 10, 0)
    struct.pack_into("!H", ip, 10, ip_csum(bytes(ip)))
    struct.pack_into("!HH", udp, 4, 8 + len(payload), 0)
    return eth + bytes(ip) + bytes(udp) + payload


def mutants(gue, inner):
    """(expected drop, UDP payload) for a v0 header gue[0:4] with proto 4."""
    ver, proto = gue[0], gue[1]
    p_flag = struct.pack("!H", 0x0001)                # P: private flags follow
    return [
        ("gue-truncated", gue[:2]),
        ("gue-bad-version", bytes([0x80 | ver, proto]) + gue[2:4] + inner),
        ("gue-v1-bad-ip", bytes([0x50]) + inner[1:]),
        ("gue-bad-hlen", bytes([0x1f, proto]) + gue[2:4] + inner),
        ("gue-bad-flags", bytes([0x00, proto, 0x80, 0x00]) + inner),
        ("gue-bad-flags", bytes([0x01, proto, 0x80, 0x01]) + struct.pack("!I", 0) + inner),
        ("gue-bad-flags", bytes([0x00, proto]) + p_flag + inner),
        ("gue-bad-flags", bytes([0x01, proto]) + p_flag + struct.pack("!I", 0x40000000) + inner),
        ("gue-bad-flags", bytes([0x01, proto]) + p_flag + struct.pack("!I", 0x80000000) + inner),
        ("gue-bad-remcsum", bytes([0x02, proto]) + p_flag + struct.pack("!IHH", 0x80000000, 20,
                                                                        len(inner)) + inner),
        ("gue-control", bytes([0x20, 7, 0, 0]) + inner),
        ("gue-bad-proto", bytes([0x00, 0]) + gue[2:4] + inner),
    ]


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    ghdr = data[:24]
    if struct.unpack("<I", ghdr[:4])[0] != 0xa1b2c3d4 or struct.unpack("<I", ghdr[20:24])[0] != 1:
        sys.exit("gue_mutants.py: want a little-endian Ethernet pcap")
    sec, usec, caplen, _ = struct.unpack("<IIII", data[24:40])
    frame = data[40:40 + caplen]
    if frame[12:14] != b"\x08\x00" or frame[14] != 0x45 or frame[23] != 17:
        sys.exit("gue_mutants.py: the first packet is not IPv4 (no options) / UDP")
    gue, inner = frame[42:46], frame[46:]
    out = bytearray(ghdr)
    for i, (drop, payload) in enumerate(mutants(gue, inner)):
        pkt = rebuild(frame, payload)
        out += struct.pack("<IIII", sec + i, usec, len(pkt), len(pkt)) + pkt
        print(drop)
    with open(sys.argv[2], "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
