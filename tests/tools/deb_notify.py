#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# systemd's side of sd_notify for test_deb.sh: binds a datagram socket at
# argv[1] and appends each message to argv[2], one line each, its
# newlines written as '|'. Runs until killed.
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    print("listening", file=log)
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        print(msg.replace("\n", "|"), file=log)
