#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Command agent on the virtio-serial port named "ufouctl".
# Protocol (line based, both directions):
#   host -> guest:  "<id> <base64 of a shell script>\n"
#   guest -> host:  "BEGIN <id>\n" <base64 of combined stdout+stderr> "END <id> <exit status>\n"
# The port returns EOF while no host client is connected; we then poll.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
port=
while [ -z "$port" ]; do
	for d in /sys/class/virtio-ports/*; do
		[ "$(cat "$d/name" 2>/dev/null)" = ufouctl ] && port=/dev/${d##*/}
	done
	[ -n "$port" ] && [ -c "$port" ] && break
	port=; usleep 100000
done
exec 3<>"$port"
mkdir -p /tmp/agent
while :; do
	if ! IFS= read -r line <&3; then usleep 50000; continue; fi
	id=${line%% *}; b64=${line#* }
	[ -n "$id" ] && [ "$id" != "$line" ] || continue
	case $id in *[!0-9a-zA-Z_-]*) continue ;; esac
	echo "$b64" | base64 -d >"/tmp/agent/$id.sh" 2>/dev/null
	( cd /root && . /etc/ufou-prelude && . "/tmp/agent/$id.sh" ) </dev/null >"/tmp/agent/$id.out" 2>&1 3>&-
	rc=$?
	{ echo "BEGIN $id"; base64 <"/tmp/agent/$id.out"; echo "END $id $rc"; } >&3
	rm -f "/tmp/agent/$id.sh" "/tmp/agent/$id.out"
done
