#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Abusive clients of ufoud's control socket, for test_ctlabuse.sh.

  ctl_abuse.py check SOCK     one client of each kind, with what the daemon
                              must do to it; prints TAP-free "ok/FAIL" lines
  ctl_abuse.py flood SOCK N SECS
                              keeps N connections open for SECS seconds, a
                              mix of silent, half-open (a partial frame),
                              oversized (a 1 MB frame, sent as fast as the
                              socket takes it), random bytes and valid
                              requests whose reply is never read; a
                              connection the daemon closes is replaced.
                              Prints "full" once N are open, and
                              "peak P connects C" at the end.

Bounded: every loop ends by a monotonic deadline.
"""
import errno
import os
import random
import resource
import selectors
import socket
import struct
import sys
import time

MAX_REQ = 65536
BIG = struct.pack("!I", 1 << 20) + bytes(1 << 20)   # one copy, shared by every big client
KINDS = ("silent", "half", "big", "random", "noread")


def frame(words):
    body = bytes([1, 0, 0, 0]) + struct.pack("!H", len(words))
    body += b"".join(w.encode() + b"\0" for w in words)
    return struct.pack("!I", len(body)) + body


def payload(kind, rnd):
    if kind == "silent":
        return b""
    if kind == "half":
        return struct.pack("!I", 100) + b"\1\0\0"     # 7 of 104 bytes
    if kind == "big":
        return BIG
    if kind == "random":
        return rnd.randbytes(rnd.randint(1, 4096))
    return frame(["link", "show"])


def reply(sock, limit):
    """The daemon's reply (errno, text) or None when it closed without one."""
    sock.settimeout(limit)
    buf = b""
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                break
            buf += d
    except (ConnectionResetError, socket.timeout):
        pass
    if len(buf) < 12:
        return None
    err = struct.unpack("!i", buf[8:12])[0]
    return err, buf[12:].decode(errors="replace")


def check(path):
    """One client of each kind; prints 'ok WHAT' or 'FAIL WHAT: why'."""
    def report(ok, what, why=""):
        print(("ok " if ok else "FAIL ") + what + ("" if ok else ": " + why), flush=True)

    # Silent (sends nothing) and half-open (a partial frame): dropped by the
    # daemon at its 2 s deadline (3.5 s allowed), told why.
    for kind, what in (("silent", "silent client dropped after the deadline"),
                       ("half", "half-open request dropped after the deadline")):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        if kind != "silent":
            s.sendall(payload(kind, None))
        t = time.monotonic()
        r = reply(s, 5)
        dt = time.monotonic() - t
        report(r is not None and r[0] == -errno.ETIMEDOUT and 1.5 <= dt <= 3.5,
               what, "after %.2f s, reply %r" % (dt, r))
        s.close()
    # Oversized: the prefix alone is enough to refuse it.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    sent = 0
    big = payload("big", None)
    end = time.monotonic() + 5
    while sent < len(big) and time.monotonic() < end:
        try:
            sent += s.send(big[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            break
    s.setblocking(True)
    r = reply(s, 5)
    report(r is not None and r[0] == -errno.EMSGSIZE and "too large" in r[1],
           "1 MB request refused: request too large", "reply %r after %d bytes" % (r, sent))
    s.close()
    # Random bytes: refused or dropped, never served.
    rnd = random.Random(1)
    for i in range(20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(rnd.randbytes(rnd.randint(4, 512)))
        r = reply(s, 5)
        s.close()
        if r is not None and r[0] == 0:
            report(False, "random bytes refused", "served: %r" % (r,))
            break
    else:
        report(True, "random bytes refused")


def flood(path, n, secs):
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 256, n + 256))
    rnd = random.Random(2)
    sel = selectors.DefaultSelector()
    conns = {}          # sock -> [kind, data, bytes of it sent]
    peak = connects = 0
    end = time.monotonic() + secs

    def open_one(kind):
        nonlocal connects
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except (BlockingIOError, InterruptedError):
            pass                                # backlog full: in progress
        except OSError:
            s.close()
            return False
        connects += 1
        conns[s] = [kind, payload(kind, rnd), 0]
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        return True

    def drop(s):
        if conns[s][0] != "noread" or conns[s][2] < len(conns[s][1]):
            sel.unregister(s)
        del conns[s]
        s.close()

    while time.monotonic() < end:
        i = 0
        while len(conns) < n and i < 200 and time.monotonic() < end:
            if not open_one(KINDS[(connects + i) % len(KINDS)]):
                break
            i += 1
        if len(conns) >= n > peak:
            print("full", flush=True)          # the test measures from here
        peak = max(peak, len(conns))
        for key, ev in sel.select(timeout=0.05):
            s = key.fileobj
            st = conns.get(s)
            if st is None:
                continue
            if ev & selectors.EVENT_READ and st[0] != "noread":
                try:
                    if not s.recv(65536):
                        drop(s)
                        continue
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    drop(s)
                    continue
            if ev & selectors.EVENT_WRITE:
                try:
                    if st[2] < len(st[1]):
                        st[2] += s.send(st[1][st[2]:st[2] + 65536])
                    if st[2] == len(st[1]) and st[0] == "noread":
                        sel.unregister(s)       # never reads: just holds on
                    elif st[2] == len(st[1]):
                        sel.modify(s, selectors.EVENT_READ)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    drop(s)
    print("peak %d connects %d" % (peak, connects), flush=True)
    for s in list(conns):
        drop(s)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "flood":
        flood(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
