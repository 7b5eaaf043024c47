# SPDX-License-Identifier: GPL-2.0
# Sourced by init, the agent (before every command) and login shells.
# Debian's busybox-static runs its own applets in preference to PATH; route
# the names of the real tools shipped in the initramfs to them.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
for _b in ip ping tcpdump ethtool; do
	for _d in /usr/sbin /usr/bin /sbin /bin; do
		if [ -x "$_d/$_b" ] && [ ! -L "$_d/$_b" ]; then
			eval "$_b() { $_d/$_b \"\$@\"; }"
			break
		fi
	done
done
unset _b _d
