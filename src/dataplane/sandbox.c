// SPDX-License-Identifier: GPL-2.0
/*
 * Worker sandbox: see sandbox.h. The filter is classic BPF built by hand
 * for the seccomp() system call (no libseccomp: the list is short and
 * fixed). The calls allowed are what strace -f shows the workers make on
 * both data paths, with and without -G, and on the PMTU paths, plus what
 * glibc does underneath them (if_nametoindex: an AF_UNIX socket and
 * SIOCGIFINDEX; getifaddrs: a netlink socket) and what a thread does to
 * end.
 */
#include <errno.h>
#include <pthread.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dataplane/sandbox.h"

#if defined(__x86_64__)
#define SB_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_ARCH AUDIT_ARCH_AARCH64
#else
#error "no seccomp architecture for this target"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SB_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SB_SANITIZED 1
#endif
#endif

/* The low 32 bits of argument i (the kernel's int for socket()'s domain, ioctl's request). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SB_ARG(i) (offsetof(struct seccomp_data, args[i]))
#else
#define SB_ARG(i) (offsetof(struct seccomp_data, args[i]) + 4)
#endif

static const int sb_allow[] = {
	/* packets: TUN reads and writes, UDP and raw sockets, the eventfd */
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_close,
	SYS_recvmmsg, SYS_recvmsg, SYS_recvfrom, SYS_sendmmsg, SYS_sendmsg, SYS_sendto,
	/* per-flow UDP GSO sockets (socket() itself is checked below) */
	SYS_bind, SYS_connect, SYS_setsockopt, SYS_getsockopt, SYS_getsockname,
	/* the event loop, parking (futex), -b polling, time and random numbers */
#ifdef SYS_epoll_wait
	SYS_epoll_wait,
#endif
	SYS_epoll_pwait, SYS_futex, SYS_sched_yield, SYS_clock_gettime, SYS_gettimeofday,
#ifdef SYS_time
	SYS_time,
#endif
	SYS_getrandom, SYS_restart_syscall,
	/* a thread's end: glibc frees its stack, the signal handler exits;
	 * malloc (getifaddrs) grows the thread's arena (mmap/mprotect: below) */
	SYS_brk, SYS_madvise, SYS_munmap, SYS_exit, SYS_exit_group, SYS_rt_sigreturn, SYS_rt_sigprocmask,
	SYS_gettid, SYS_getpid,
#ifdef SB_SANITIZED
	/*
	 * ASan/UBSan builds only: the runtime maps shadow and fake stacks for
	 * the thread, swaps its alternate signal stack at thread exit and, for
	 * a report, reads /proc and the binary to symbolize. Without these a
	 * sanitizer report from a worker would end in SIGSYS instead.
	 */
	SYS_sigaltstack, SYS_prctl, SYS_openat, SYS_readlinkat,
	SYS_newfstatat, SYS_fstat, SYS_lseek, SYS_pread64, SYS_getdents64, SYS_sched_getaffinity,
	SYS_rt_sigaction, SYS_tgkill, SYS_getppid, SYS_uname,
#ifdef SYS_readlink
	SYS_readlink,
#endif
#ifdef SYS_open
	SYS_open,
#endif
#endif
};

/* Names for the log line: the calls an attacker would want first, and the allowed. */
static const struct {
	int nr;
	const char *name;
} sb_names[] = {
	{ SYS_openat, "openat" }, { SYS_execve, "execve" }, { SYS_execveat, "execveat" },
	{ SYS_socket, "socket" }, { SYS_ioctl, "ioctl" }, { SYS_bpf, "bpf" },
	{ SYS_clone, "clone" }, { SYS_clone3, "clone3" }, { SYS_mmap, "mmap" },
	{ SYS_mprotect, "mprotect" }, { SYS_ptrace, "ptrace" }, { SYS_kill, "kill" },
	{ SYS_tgkill, "tgkill" }, { SYS_setuid, "setuid" }, { SYS_setresuid, "setresuid" },
	{ SYS_unshare, "unshare" }, { SYS_setns, "setns" }, { SYS_mount, "mount" },
	{ SYS_prctl, "prctl" }, { SYS_accept4, "accept4" }, { SYS_listen, "listen" },
	{ SYS_getppid, "getppid" }, { SYS_uname, "uname" }, { SYS_fcntl, "fcntl" },
	{ SYS_rt_sigaction, "rt_sigaction" }, { SYS_capset, "capset" },
	{ SYS_seccomp, "seccomp" }, { SYS_memfd_create, "memfd_create" },
#ifdef SYS_open
	{ SYS_open, "open" },
#endif
#ifdef SYS_fork
	{ SYS_fork, "fork" }, { SYS_vfork, "vfork" },
#endif
};

static __thread unsigned int sb_worker;   /* the message names the worker */

static const char *sb_name(int nr)
{
	for (size_t i = 0; i < sizeof(sb_names) / sizeof(sb_names[0]); i++)
		if (sb_names[i].nr == nr)
			return sb_names[i].name;
	return "?";
}

/* Appends the decimal v at p (async-signal-safe, unlike snprintf). */
static char *put_num(char *p, unsigned long v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(tmp));
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* Writes the line with one write(2) and ends the process: nothing here may trap again. */
static void sb_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[160], *p = line;

	(void)sig;
	(void)uc;
	p = put_str(p, "ufoud: worker ");
	p = put_num(p, sb_worker);
	p = put_str(p, " made forbidden system call ");
	p = put_num(p, (unsigned long)(unsigned int)si->si_syscall);
	p = put_str(p, " (");
	p = put_str(p, sb_name(si->si_syscall));
	p = put_str(p, "), exiting\n");
	if (write(STDERR_FILENO, line, (size_t)(p - line)) < 0)
		p = line;
	_exit(DP_SANDBOX_EXIT);
}

struct sb_prog {
	struct sock_filter insn[160];
	unsigned int n;
};

static void emit(struct sb_prog *p, struct sock_filter f)
{
	if (p->n < sizeof(p->insn) / sizeof(p->insn[0]))
		p->insn[p->n] = f;
	p->n++;
}

#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))

/* nr with its argument arg (low 32 bits) one of vals[0..n): allowed, else trap. */
static void emit_arg_rule(struct sb_prog *p, int nr, unsigned int arg, const uint32_t *vals,
			  unsigned int n)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0,
					     (uint8_t)(2 * n + 2)));
	emit(p, (struct sock_filter)LD((uint32_t)SB_ARG(arg)));
	for (unsigned int i = 0; i < n; i++) {
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, vals[i], 0, 1));
		emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
	}
	emit(p, (struct sock_filter)RET(SECCOMP_RET_TRAP));
}

/* nr allowed only without PROT_EXEC in argument 2: no new code in a worker. */
static void emit_noexec_rule(struct sb_prog *p, int nr)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 4));
	emit(p, (struct sock_filter)LD((uint32_t)SB_ARG(2)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_TRAP));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
}

static void build(struct sb_prog *p)
{
	/*
	 * socket(): IP datagrams (UDP GSO, route look-ups), glibc's AF_UNIX
	 * helper socket (if_nametoindex) and netlink (getifaddrs, when a send
	 * fails with EMSGSIZE and the worker re-reads the underlay's MTU):
	 * without CAP_NET_ADMIN a netlink socket only reads. No packet
	 * sockets, which CAP_NET_RAW would otherwise open. ioctl(): the two
	 * read-only interface queries those paths make.
	 */
	static const uint32_t domains[] = { AF_INET, AF_INET6, AF_UNIX, AF_NETLINK };
	static const uint32_t ioctls[] = { SIOCGIFINDEX, SIOCGIFMTU };
	uint32_t self[1] = { (uint32_t)getpid() };

	p->n = 0;
	emit(p, (struct sock_filter)LD(offsetof(struct seccomp_data, arch)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SB_ARCH, 1, 0));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
	emit(p, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
	for (size_t i = 0; i < sizeof(sb_allow) / sizeof(sb_allow[0]); i++) {
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sb_allow[i],
						     0, 1));
		emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
	}
	/* A rule whose number does not match jumps over its block, nr still loaded. */
	emit_arg_rule(p, SYS_socket, 0, domains, sizeof(domains) / sizeof(domains[0]));
	emit_arg_rule(p, SYS_ioctl, 1, ioctls, sizeof(ioctls) / sizeof(ioctls[0]));
	/* abort() signals its own process only. */
	emit_arg_rule(p, SYS_tgkill, 0, self, 1);
	emit_noexec_rule(p, SYS_mmap);
	emit_noexec_rule(p, SYS_mprotect);
	emit(p, (struct sock_filter)RET(SECCOMP_RET_TRAP));
}

/*
 * Every capability of this thread but CAP_NET_RAW, bounding set included
 * where it may: the IPv6 encapsulation-limit option goes out as an
 * IPV6_DSTOPTS control message on the per-flow GSO sockets, and the kernel
 * takes that only with CAP_NET_RAW (ipv6_datagram_send_ctl).
 */
static int drop_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 }, { 0 } };
	struct __user_cap_data_struct cur[2];
	uint32_t raw = 1u << CAP_NET_RAW;

	if (syscall(SYS_capget, &h, cur) < 0)
		return -errno;
	d[0].effective = cur[0].permitted & raw;
	d[0].permitted = cur[0].permitted & raw;
	for (int c = 0; c <= 63; c++)
		if (c != CAP_NET_RAW && prctl(PR_CAPBSET_READ, (long)c, 0L, 0L, 0L) == 1)
			(void)prctl(PR_CAPBSET_DROP, (long)c, 0L, 0L, 0L);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static int fail(char *err, size_t errlen, int e, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(-e));
	return e;
}

int dp_sandbox_enter(unsigned int idx, char *err, size_t errlen)
{
	struct sigaction sa = { .sa_sigaction = sb_sigsys, .sa_flags = SA_SIGINFO };
	struct sb_prog p;
	struct sock_fprog prog;
	sigset_t sys;
	int e;

	sb_worker = idx;
	build(&p);
	if (p.n > sizeof(p.insn) / sizeof(p.insn[0]))
		return fail(err, errlen, -E2BIG, "seccomp filter");
	prog.len = (unsigned short)p.n;
	prog.filter = p.insn;
	e = drop_caps();
	if (e)
		return fail(err, errlen, e, "capset");
	/* Workers block every signal; SIGSYS must reach the handler. */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	if (sigaction(SIGSYS, &sa, NULL) < 0 || pthread_sigmask(SIG_UNBLOCK, &sys, NULL) != 0)
		return fail(err, errlen, -errno, "SIGSYS handler");
	/* Per thread: the control thread stays unfiltered and keeps its capabilities. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return fail(err, errlen, -errno, "seccomp");
	return 0;
}
