#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host-side client for the guest agent (guest/agent.sh) on the virtio-serial
port, exposed by qemu as a unix socket.

usage: guestctl.py SOCKET [--timeout S] [--quiet-wait] -- 'shell command'
       guestctl.py SOCKET --wait S        # wait until the agent answers
       guestctl.py SOCKET --push LOCAL GUESTPATH
Exit status = the guest command's exit status (124 on timeout, 125 on
transport errors). Serialised with a lock file next to the socket.
"""
import base64, fcntl, os, socket, sys, time, uuid


def run(sock_path, script, timeout):
    ident = uuid.uuid4().hex[:16]
    lock = open(sock_path + ".lock", "a")
    fcntl.flock(lock, fcntl.LOCK_EX)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    payload = base64.b64encode(script.encode()).decode()
    s.sendall(("%s %s\n" % (ident, payload)).encode())
    buf = b""
    deadline = time.time() + timeout
    begin = ("BEGIN %s\n" % ident).encode()
    endtag = ("END %s " % ident).encode()
    while True:
        if time.time() > deadline:
            raise TimeoutError
        s.settimeout(max(0.05, deadline - time.time()))
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("agent connection closed")
        buf += chunk
        b = buf.find(begin)
        if b < 0:
            continue
        e = buf.find(endtag, b)
        if e < 0:
            continue
        nl = buf.find(b"\n", e)
        if nl < 0:
            continue
        rc = int(buf[e + len(endtag):nl].decode())
        body = b"".join(buf[b + len(begin):e].split())
        s.close()
        return rc, base64.b64decode(body)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    sock = argv[1]
    args = argv[2:]
    timeout = 60.0
    if args[:1] == ["--wait"]:
        limit = float(args[1]) if len(args) > 1 else 60.0
        end = time.time() + limit
        while time.time() < end:
            try:
                if os.path.exists(sock):
                    rc, out = run(sock, "echo ok", 2.0)
                    if out.strip() == b"ok":
                        return 0
            except (OSError, TimeoutError, ConnectionError, ValueError):
                pass
            time.sleep(0.1)
        return 124
    if args[:1] == ["--push"]:
        data = open(args[1], "rb").read()
        b64 = base64.b64encode(data).decode()
        script = "base64 -d > '%s' <<'__FOUEOF__'\n%s\n__FOUEOF__\n" % (args[2], b64)
        rc, out = run(sock, script, timeout)
        sys.stdout.buffer.write(out)
        return rc
    while args and args[0].startswith("--"):
        if args[0] == "--timeout":
            timeout = float(args[1]); args = args[2:]
        elif args[0] == "--":
            args = args[1:]; break
        else:
            print("unknown option " + args[0], file=sys.stderr); return 2
    script = " ".join(args) if args else sys.stdin.read()
    try:
        rc, out = run(sock, script, timeout)
    except TimeoutError:
        print("guestctl: timeout after %ss" % timeout, file=sys.stderr)
        return 124
    except (OSError, ConnectionError) as e:
        print("guestctl: %s" % e, file=sys.stderr)
        return 125
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
