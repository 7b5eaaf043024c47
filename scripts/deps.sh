#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs what the build, tests, demo or benchmarks need and are missing
# on a fresh Debian 12 (root). Usage: scripts/deps.sh {build|demo|test|tools|interop|bench}...
set -u
need=()
have() { command -v "$1" >/dev/null 2>&1; }
want() { # want COMMAND PACKAGE
	have "$1" || need+=("$2")
}
want_file() { # want_file PATH PACKAGE
	[ -e "$1" ] || need+=("$2")
}
for what in "${@:-build}"; do
	case $what in
	build)
		want make make; want gcc gcc; want ar binutils
		[ -e /usr/include/stdio.h ] || need+=(libc6-dev)
		# The eBPF fast path: clang -target bpf, libbpf, bpftool for the skeleton.
		want clang clang; want bpftool bpftool
		[ -e /usr/include/bpf/libbpf.h ] || need+=(libbpf-dev)
		[ -e /usr/include/libelf.h ] || need+=(libelf-dev)
		[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
		[ -e /usr/include/linux/bpf.h ] || need+=(linux-libc-dev) ;;
	demo)
		"$0" build || exit 1
		want ip iproute2; want ping iputils-ping; want socat socat; want jq jq ;;
	test)
		"$0" demo || exit 1
		want clang clang
		ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
			need+=(libclang-rt-dev)
		want jq jq; want tcpdump tcpdump; want python3 python3; want timeout coreutils
		# ethtool: test_fastpath's forwarding case and fuzz_bpf_encap turn
		# offloads off on a veth.
		want ethtool ethtool
		# test_privilege: test users and groups, the CLI run as each of them.
		want useradd passwd; want setpriv util-linux ;;
	tools)
		# Packaging and the tools around the binaries (tests/tools).
		"$0" build || exit 1
		want python3 python3
		# make deb / test_deb.sh: debhelper, lintian, dpkg-buildpackage,
		# fakeroot (builds as non-root), setpriv and unshare (util-linux).
		want dh debhelper; want lintian lintian; want dpkg-buildpackage dpkg-dev
		want fakeroot fakeroot; want setpriv util-linux; want unshare util-linux
		# test_systemd.sh: systemd-analyze verify / security.
		want systemd-analyze systemd
		# Man pages: linted with mandoc and groff, rendered for the drift
		# checks (col); the JSON keys and link names come from a ufoud in
		# a namespace (ip, jq).
		want mandoc mandoc; want groff groff-base; want col bsdextrautils
		want jq jq; want ip iproute2; want ping iputils-ping
		# The completion, loaded as bash-completion loads it.
		want_file /usr/share/bash-completion/bash_completion bash-completion
		# test_prometheus: the exporter's output through a real exposition-format
		# parser (Debian's, for /usr/bin/python3).
		/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
			need+=(python3 python3-prometheus-client)
		# tshark: the Wireshark dissector's test (its debconf question
		# about non-root capture is answered by DEBIAN_FRONTEND below).
		want tshark tshark; want make make ;;
	interop)
		want qemu-system-x86_64 qemu-system-x86; want cpio cpio; want depmod kmod
		[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q static ||
			need+=(busybox-static)
		want file file; want ethtool ethtool; want socat socat; want tcpdump tcpdump
		want ping iputils-ping ;;
	bench)
		want iperf3 iperf3; want openvpn openvpn; want wireguard-go wireguard-go
		want sockperf sockperf; want python3 python3; want wg wireguard-tools
		want gnuplot gnuplot-nox; want fastd fastd; want socat socat ;;
	*) echo "deps.sh: unknown set $what" >&2; exit 2 ;;
	esac
done
[ ${#need[@]} -eq 0 ] && exit 0
# shellcheck disable=SC2207
need=($(printf '%s\n' "${need[@]}" | sort -u))
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages ${need[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q -o DPkg::Lock::Timeout=600 >/tmp/ufou-apt-update.log 2>&1 || true
apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}" \
	>/tmp/ufou-apt-install.log 2>&1 || {
	tail -20 /tmp/ufou-apt-install.log >&2
	echo "deps.sh: apt-get install ${need[*]} failed" >&2
	exit 1
}
