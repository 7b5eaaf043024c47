#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel peer of the interop suite: Debian's stock kernel (linux-image-amd64,
# which ships fou, fou6, ipip, sit, ip_gre, ip6_tunnel and ip6_gre as modules)
# booted in qemu with a tiny initramfs (busybox, dash, iproute2, iputils ping,
# the modules, and $BUILD/ufoud and $BUILD/ufou as /usr/bin/ufoud and
# /usr/bin/ufou for the eBPF fast-path test), one virtio NIC on a TAP device in
# a host network namespace, and a command agent on a virtio-serial port.
#
#   vm.sh deps        install host packages (scripts/deps.sh interop), fetch and
#                     unpack the kernel package into the cache (not installed)
#   vm.sh build       build the initramfs (only when its inputs changed)
#   vm.sh start       netns + TAP, boot the guest, wait for the agent
#   vm.sh stop        power the guest off (by PID), delete the netns
#   vm.sh g CMD...    run a shell command in the guest (stdin: a script); exit status kept
#   vm.sh push FILE GUESTPATH   copy a file into the guest
#   vm.sh hostns CMD  run a command in the host namespace
#   vm.sh log | status | env
#
# Cache: $UFOU_INTEROP_CACHE (default /var/tmp/ufou-interop): kernel .deb and its
# unpacked tree, initramfs; run/ holds sockets, the console log and the qemu PID.
# Everything runs as root. Addresses: 198.18.0.1/24 fd00:18::1/64 on the host TAP,
# .2 / ::2 in the guest; no default routes.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${UFOU_INTEROP_CACHE:-/var/tmp/ufou-interop}
RUN=${UFOU_INTEROP_RUN:-$CACHE/run}
NETNS=${UFOU_NETNS:-ufou-interop}
TAP=${UFOU_TAP:-uitap0}
HOST4=198.18.0.1
GUEST4=198.18.0.2
HOST6=fd00:18::1
GUEST6=fd00:18::2
HOSTMAC=52:54:00:18:00:01
GUESTMAC=52:54:00:18:00:02
VM_MEM=${UFOU_VM_MEM:-512}
VM_CPUS=${UFOU_VM_CPUS:-1}
BOOT_TIMEOUT=${UFOU_BOOT_TIMEOUT:-120}
# kvm | tcg | auto: KVM only where a hardware KVM module (kvm_intel/kvm_amd) is
# loaded; a /dev/kvm backed by anything else (e.g. a nested PVM module) cannot
# run a stock kernel, so auto falls back to TCG software emulation.
ACCEL=${UFOU_ACCEL:-auto}
# ufoud and ufou for the guest (the fast-path test): the suite's BUILD
# directory, relative to the source tree unless absolute.
UBUILD=${BUILD:-build}
case $UBUILD in /*) ;; *) UBUILD=$ROOT/$UBUILD ;; esac

GUEST_MODULES=(virtio_pci virtio_net virtio_console
	fou fou6 ipip sit ip_gre ip6_gre ip6_tunnel
	tun veth sch_ingress cls_bpf)
# tun: /dev/net/tun for ufoud; veth: the fast-path test's namespaces;
# sch_ingress (clsact) and cls_bpf: the TC hooks of ufoud's eBPF fast path.
# iproute2 for fou/gue, iputils ping for -Q/-M/-t, ethtool for the GRO workaround
GUEST_BINS=(ip ping ethtool)
# bpftool: loads ufoud's BPF object on its own when ufoud's does not load,
# for the whole verifier log
GUEST_OPT_BINS=(tcpdump bpftool)
# ufoud and ufou from $UBUILD, installed as /usr/bin/NAME (optional: a guest
# without them only fails the fast-path test), and the BPF object ufoud embeds
# as /usr/lib/ufou/ufou.bpf.o
GUEST_UFOU_BINS=(ufoud ufou)
GUEST_UFOU_BPF=bpf/ufou.bpf.o

log() { echo "vm.sh: $*" >&2; }
die() { log "$*"; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

pick_python() {
	local p
	for p in "${UFOU_PYTHON:-}" /usr/bin/python3 python3; do
		[ -n "$p" ] && command -v "$p" >/dev/null 2>&1 && { echo "$p"; return; }
	done
	die "no python3"
}
ctl() { "$(pick_python)" "$HERE/lib/guestctl.py" "$RUN/ctl.sock" "$@"; }

kernel_pkg() {
	# linux-image-amd64 is a meta package; its Depends names the real image.
	if [ -n "${UFOU_KERNEL_PKG:-}" ]; then echo "$UFOU_KERNEL_PKG"; return; fi
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/{print $2; exit}'
}

kver() { cat "$CACHE/kernel/KVER" 2>/dev/null || die "kernel not unpacked: run vm.sh deps"; }

cmd_deps() {
	need_root
	mkdir -p "$CACHE"
	"$ROOT/scripts/deps.sh" interop >&2 || die "scripts/deps.sh interop failed"
	command -v ip >/dev/null && command -v tcpdump >/dev/null || die "ip and tcpdump are needed"
	if ! command -v ethtool >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ethtool \
			>"$CACHE/apt-install.log" 2>&1 || die "apt-get install ethtool failed"
	fi
	local pkg deb k
	pkg=$(kernel_pkg)
	if [ -z "$pkg" ]; then
		log "apt-get update (to resolve linux-image-amd64)"
		apt-get update -q -o DPkg::Lock::Timeout=600 >"$CACHE/apt-update.log" 2>&1 || true
		pkg=$(kernel_pkg)
	fi
	if [ -z "$pkg" ]; then
		# Offline: a kernel unpacked by an earlier run still serves.
		[ -f "$CACHE/kernel/KVER" ] && { log "using cached kernel $(kver)"; return 0; }
		die "cannot resolve linux-image-amd64 (no apt lists, no cached kernel)"
	fi
	k=${pkg#linux-image-}
	if [ -f "$CACHE/kernel/KVER" ] && [ "$(cat "$CACHE/kernel/KVER")" = "$k" ] &&
		[ -f "$CACHE/kernel/boot/vmlinuz-$k" ]; then
		return 0
	fi
	mkdir -p "$CACHE/debs"
	log "fetching $pkg"
	if ! (cd "$CACHE/debs" && apt-get download -q "$pkg" >"$CACHE/apt-download.log" 2>&1); then
		apt-get update -q -o DPkg::Lock::Timeout=600 >"$CACHE/apt-update.log" 2>&1 || true
		(cd "$CACHE/debs" && apt-get download -q "$pkg" >"$CACHE/apt-download.log" 2>&1) ||
			{ tail -5 "$CACHE/apt-download.log" >&2; die "apt-get download $pkg failed"; }
	fi
	deb=$(ls -t "$CACHE/debs/${pkg}"_*.deb | head -n1)
	rm -rf "$CACHE/kernel.new"
	mkdir -p "$CACHE/kernel.new"
	dpkg-deb -x "$deb" "$CACHE/kernel.new"
	depmod -b "$CACHE/kernel.new" "$k"
	echo "$k" >"$CACHE/kernel.new/KVER"
	rm -rf "$CACHE/kernel"
	mv "$CACHE/kernel.new" "$CACHE/kernel"
	# Older kernel packages are of no further use.
	find "$CACHE/debs" -name 'linux-image-*.deb' ! -name "$(basename "$deb")" -delete
	log "kernel $k unpacked into $CACHE/kernel"
}

copy_with_libs() { # copy_with_libs ROOT BINARY [DEST]: the binary (at DEST, default
	# its own path) and its ELF dependencies
	local root=$1 bin=$2 dest=${3:-$2} lib
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$bin" "$root$dest"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done
}

initramfs_key() {
	# Everything the initramfs is made of: rebuilt when any of it changes.
	local b
	{
		kver
		cat "$HERE/vm.sh" "$HERE"/guest/*
		for b in /bin/busybox "${GUEST_BINS[@]}" "${GUEST_OPT_BINS[@]}" dash; do
			b=$(command -v "$b" 2>/dev/null) || continue
			stat -L -c '%n %s %Y' "$b"
		done
		# ufoud and ufou by content (a rebuild that changes nothing keeps the
		# initramfs), and the libraries they load (libbpf above all)
		for b in "${GUEST_UFOU_BINS[@]}"; do
			[ -x "$UBUILD/$b" ] || { echo "no $b"; continue; }
			sha256sum <"$UBUILD/$b"
			{ ldd "$UBUILD/$b" 2>/dev/null | grep -o '/[^ ]*' | xargs -r stat -L -c '%n %s %Y'; } || true
		done
		if [ -f "$UBUILD/$GUEST_UFOU_BPF" ]; then sha256sum <"$UBUILD/$GUEST_UFOU_BPF"; fi
	} | sha256sum | cut -c1-16
}

cmd_build() {
	need_root
	local k kroot out root m bin key rel
	k=$(kver)
	kroot=$CACHE/kernel
	key=$(initramfs_key)
	out=$CACHE/initramfs-$key.cpio.gz
	[ -f "$out" ] && { echo "$out" >"$CACHE/initramfs.current"; return 0; }
	log "building initramfs for $k"
	root=$CACHE/build/root
	rm -rf "$CACHE/build"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,lib/modules/$k}
	cp /bin/busybox "$root/bin/busybox"
	for m in $(/bin/busybox --list); do
		[ -e "$root/bin/$m" ] || ln -s busybox "$root/bin/$m"
	done
	# /bin/sh = dash: Debian's busybox-static ash prefers its own applets (a
	# minimal "ip", "ping") to PATH; dash runs the real iproute2 and iputils.
	copy_with_libs "$root" "$(command -v dash)"
	ln -sf "$(command -v dash)" "$root/bin/sh"
	for bin in "${GUEST_BINS[@]}"; do
		command -v "$bin" >/dev/null 2>&1 || die "$bin not found on the host"
		copy_with_libs "$root" "$(command -v "$bin")"
	done
	for bin in "${GUEST_OPT_BINS[@]}"; do
		if command -v "$bin" >/dev/null 2>&1; then copy_with_libs "$root" "$(command -v "$bin")"; fi
	done
	for bin in "${GUEST_UFOU_BINS[@]}"; do
		if [ -x "$UBUILD/$bin" ]; then copy_with_libs "$root" "$UBUILD/$bin" "/usr/bin/$bin"
		else log "$UBUILD/$bin not built: the guest has no $bin"; fi
	done
	if [ -f "$UBUILD/$GUEST_UFOU_BPF" ]; then
		mkdir -p "$root/usr/lib/ufou"
		cp "$UBUILD/$GUEST_UFOU_BPF" "$root/usr/lib/ufou/"
	fi
	# Modules in dependency order, paths relative to /lib/modules/$k
	: >"$root/etc/ufou-modules"
	for m in "${GUEST_MODULES[@]}"; do
		modprobe -d "$kroot" -S "$k" --show-depends "$m" | while read -r kind path _; do
			[ "$kind" = insmod ] || continue
			rel=${path#"$kroot/lib/modules/$k/"}
			grep -qxF "$rel" "$root/etc/ufou-modules" && continue
			mkdir -p "$root/lib/modules/$k/$(dirname "$rel")"
			cp "$path" "$root/lib/modules/$k/$rel"
			echo "$rel" >>"$root/etc/ufou-modules"
		done
	done
	install -m 0755 "$HERE/guest/init" "$root/init"
	install -m 0755 "$HERE/guest/agent.sh" "$root/bin/ufou-agent"
	install -m 0644 "$HERE/guest/prelude.sh" "$root/etc/ufou-prelude"
	echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
	printf '. /etc/ufou-prelude\nexport PS1="guest# "\n' >"$root/etc/profile"
	(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet | gzip -1) >"$out.tmp"
	mv "$out.tmp" "$out"
	find "$CACHE" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "$(basename "$out")" -delete
	echo "$out" >"$CACHE/initramfs.current"
	rm -rf "$CACHE/build"
	log "initramfs: $out ($(du -h "$out" | cut -f1))"
}

netns_up() {
	ip netns list | grep -qw "^$NETNS" && ip netns delete "$NETNS"
	ip netns add "$NETNS"
	local nx=(ip netns exec "$NETNS")
	"${nx[@]}" ip link set lo up
	"${nx[@]}" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0 \
		net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 >/dev/null
	"${nx[@]}" ip tuntap add dev "$TAP" mode tap
	"${nx[@]}" ip link set "$TAP" address "$HOSTMAC"
	"${nx[@]}" ip addr add "$HOST4/24" dev "$TAP"
	"${nx[@]}" ip -6 addr add "$HOST6/64" dev "$TAP" nodad
	"${nx[@]}" ip link set "$TAP" up
	# Static neighbours both ways (the guest sets its own): no ARP/ND on the underlay
	"${nx[@]}" ip neigh replace "$GUEST4" lladdr "$GUESTMAC" dev "$TAP" nud permanent
	"${nx[@]}" ip -6 neigh replace "$GUEST6" lladdr "$GUESTMAC" dev "$TAP" nud permanent
}

pick_accel() {
	case $ACCEL in
	kvm | tcg) echo "$ACCEL" ;;
	auto)
		if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
			echo kvm
		else
			echo tcg
		fi ;;
	*) die "UFOU_ACCEL must be kvm, tcg or auto" ;;
	esac
}

qemu_pid() {
	local p
	p=$(cat "$RUN/qemu.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

cmd_start() {
	need_root
	if qemu_pid >/dev/null; then log "guest already running (pid $(qemu_pid))"; return 0; fi
	case $ACCEL in kvm | tcg | auto) ;; *) die "UFOU_ACCEL must be kvm, tcg or auto" ;; esac
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed"
	cmd_deps
	cmd_build
	local k initrd bios=() accel=() t0 t1 qd
	k=$(kver)
	initrd=$(cat "$CACHE/initramfs.current")
	rm -rf "$RUN"
	mkdir -p "$RUN"
	netns_up
	# qboot boots a -kernel much faster than SeaBIOS
	qd=$(dirname "$(readlink -f "$(command -v qemu-system-x86_64)")")/../share/qemu
	[ -f "$qd/qboot.rom" ] && bios=(-bios "$qd/qboot.rom")
	case $(pick_accel) in
	kvm) accel=(-enable-kvm -cpu host) ;;
	tcg) accel=(-accel "tcg,thread=multi" -cpu max) ;;
	esac
	echo "${accel[*]}" >"$RUN/accel"
	local append="console=ttyS0,115200 panic=-1 rdinit=/init net.ifnames=0 quiet \
ufouvm.addr4=$GUEST4/24 ufouvm.addr6=$GUEST6/64 ufouvm.host4=$HOST4 ufouvm.host6=$HOST6 \
ufouvm.hostmac=$HOSTMAC"
	t0=$(date +%s.%N)
	ip netns exec "$NETNS" qemu-system-x86_64 \
		-name ufou-interop "${accel[@]}" -smp "$VM_CPUS" -m "$VM_MEM" \
		-M pc "${bios[@]}" -nodefaults -no-user-config -display none -no-reboot \
		-kernel "$CACHE/kernel/boot/vmlinuz-$k" -initrd "$initrd" -append "$append" \
		-chardev "socket,id=ser0,path=$RUN/console.sock,server=on,wait=off,logfile=$RUN/console.log" \
		-serial chardev:ser0 \
		-device virtio-serial-pci,id=vser0 \
		-chardev "socket,id=ctl,path=$RUN/ctl.sock,server=on,wait=off" \
		-device virtserialport,bus=vser0.0,chardev=ctl,name=ufouctl \
		-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off,vnet_hdr=off" \
		-device "virtio-net-pci,netdev=n0,mac=$GUESTMAC,romfile=,csum=off,guest_csum=off,gso=off" \
		-pidfile "$RUN/qemu.pid" -daemonize 2>"$RUN/qemu.err" ||
		die "qemu failed to start: $(tr '\n' ' ' <"$RUN/qemu.err")"
	if ! ctl --wait "$BOOT_TIMEOUT"; then
		tail -30 "$RUN/console.log" >&2 || true
		die "guest agent did not answer within ${BOOT_TIMEOUT}s"
	fi
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v acc="$(cat "$RUN/accel")" \
		'BEGIN{printf "guest booted in %.1f s (%s)\n", b-a, acc}' | tee "$RUN/boot-time" >&2
	if grep -a 'insmod.*failed' "$RUN/console.log" >&2; then die "module load failed"; fi
}

cmd_stop() {
	need_root
	local p n=0
	if p=$(qemu_pid); then
		timeout 3 "$(pick_python)" "$HERE/lib/guestctl.py" "$RUN/ctl.sock" --timeout 2 -- \
			'(sleep 0.2; poweroff -f) >/dev/null 2>&1 &' >/dev/null 2>&1 || true
		while kill -0 "$p" 2>/dev/null && [ $n -lt 30 ]; do sleep 0.1; n=$((n + 1)); done
		if kill -0 "$p" 2>/dev/null; then kill "$p" 2>/dev/null || true; sleep 0.5; fi
		kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
	fi
	if ip netns list | grep -qw "^$NETNS"; then ip netns delete "$NETNS"; fi
}

case ${1:-help} in
deps) shift; cmd_deps ;;
build) shift; cmd_deps; cmd_build ;;
start) shift; cmd_start ;;
stop) shift; cmd_stop ;;
g)
	shift
	if [ $# -eq 0 ]; then ctl --timeout "${UFOU_G_TIMEOUT:-60}"; else
		ctl --timeout "${UFOU_G_TIMEOUT:-60}" -- "$*"; fi ;;
push) shift; ctl --push "$1" "$2" >/dev/null ;;
hostns) shift; exec ip netns exec "$NETNS" "$@" ;;
log) cat "$RUN/console.log" ;;
running) qemu_pid >/dev/null ;;
status) if qemu_pid >/dev/null; then echo "running pid $(qemu_pid)"; else echo stopped; fi ;;
env)
	cat <<EOF
VM_RUN=$RUN
VM_NETNS=$NETNS
VM_TAP=$TAP
VM_HOST4=$HOST4
VM_GUEST4=$GUEST4
VM_HOST6=$HOST6
VM_GUEST6=$GUEST6
VM_HOSTMAC=$HOSTMAC
VM_GUESTMAC=$GUESTMAC
VM_PY=$(pick_python)
EOF
	;;
help | -h | --help) sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown command $1 (try vm.sh help)" ;;
esac
