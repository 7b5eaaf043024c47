// SPDX-License-Identifier: GPL-2.0
/*
 * `ufou decode`: decode_main() run in-process with stdout/stderr sent to
 * temporary files. Output formats, JSON validity (checked by a small
 * parser here), option errors, file errors, link types, and mutated
 * captures (must never crash).
 */
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli/decode.h"
#include "t.h"
#include "vec.h"

static char tmpdir[] = "/tmp/ufou-test-decode-XXXXXX";

struct out {
	int rc;
	char *out, *err;
};

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len)
		printf("# cannot write %s\n", path);
	if (f)
		fclose(f);
}

static void out_free(struct out *o)
{
	free(o->out);
	free(o->err);
}

/* Runs decode_main(argv...) with output captured. argv ends with NULL. */
static struct out run(const char *const *args)
{
	char *argv[32];
	int argc = 0, so, se, fo, fe;
	char po[300], pe[300];
	struct out o;

	argv[argc++] = (char *)"decode";
	while (*args && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	snprintf(po, sizeof(po), "%s/stdout", tmpdir);
	snprintf(pe, sizeof(pe), "%s/stderr", tmpdir);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	fo = open(po, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	fe = open(pe, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	dup2(fo, 1);
	dup2(fe, 2);
	o.rc = decode_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(fo);
	close(fe);
	o.out = vec_load(po, NULL);
	o.err = vec_load(pe, NULL);
	return o;
}

/* ---- a strict little JSON parser: validates, counts top-level elements */

struct jp {
	const char *p;
	bool ok;
};

static void jp_ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
		j->p++;
}

static void jp_value(struct jp *j, int depth);

static void jp_string(struct jp *j)
{
	if (*j->p != '"') {
		j->ok = false;
		return;
	}
	for (j->p++; *j->p != '"'; j->p++) {
		if (!*j->p || (unsigned char)*j->p < 0x20) {
			j->ok = false;
			return;
		}
		if (*j->p == '\\') {
			j->p++;
			if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i])
						j->ok = false;
				j->p += 4;
			} else if (!*j->p || !strchr("\"\\/bfnrt", *j->p)) {
				j->ok = false;
				return;
			}
		}
	}
	j->p++;
}

static void jp_number(struct jp *j)
{
	const char *s = j->p;

	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p == s || (j->p == s + 1 && *s == '-'))
		j->ok = false;
}

/* Returns the number of elements/members. */
static int jp_container(struct jp *j, char close, bool obj, int depth)
{
	int n = 0;

	j->p++;
	jp_ws(j);
	if (*j->p == close) {
		j->p++;
		return 0;
	}
	while (j->ok) {
		jp_ws(j);
		if (obj) {
			jp_string(j);
			jp_ws(j);
			if (*j->p++ != ':')
				j->ok = false;
		}
		jp_value(j, depth + 1);
		n++;
		jp_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == close) {
			j->p++;
			break;
		}
		j->ok = false;
	}
	return n;
}

static void jp_value(struct jp *j, int depth)
{
	jp_ws(j);
	if (depth > 64)
		j->ok = false;
	if (!j->ok)
		return;
	switch (*j->p) {
	case '{': jp_container(j, '}', true, depth); break;
	case '[': jp_container(j, ']', false, depth); break;
	case '"': jp_string(j); break;
	case 't': j->ok = !strncmp(j->p, "true", 4); j->p += j->ok ? 4 : 0; break;
	case 'f': j->ok = !strncmp(j->p, "false", 5); j->p += j->ok ? 5 : 0; break;
	case 'n': j->ok = !strncmp(j->p, "null", 4); j->p += j->ok ? 4 : 0; break;
	default: jp_number(j);
	}
}

/* Valid JSON array? Returns its length, -1 if invalid. */
static int json_array_len(const char *s)
{
	struct jp j = { s, true };
	int n;

	jp_ws(&j);
	if (*j.p != '[')
		return -1;
	n = jp_container(&j, ']', false, 0);
	jp_ws(&j);
	return j.ok && !*j.p ? n : -1;
}

static int count_str(const char *s, const char *needle)
{
	int n = 0;

	for (; s && (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* ---- tests */

static const char *vec(const char *name)
{
	static char path[8][256];
	static int k;

	k = (k + 1) % 8;
	snprintf(path[k], sizeof(path[k]), "%s/%s.pcap", vec_dir(), name);
	return path[k];
}

static void test_human(void)
{
	struct out o;

	TEST("human: fou-ipip");
	o = run((const char *[]){ vec("fou-ipip"), NULL });
	CHECK_EQ(o.rc, 0);
	CHECK_STR(o.err, "");
	CHECK_EQ(count_str(o.out, "packet "), 8);
	CHECK(strstr(o.out, "packet 1: 126 bytes\n"));
	CHECK(strstr(o.out, "  IPv4 198.18.0.2 > 198.18.0.1 ttl 225 tos 0x00 df id 0xa0cc\n"));
	CHECK(strstr(o.out, "  UDP 33650 > 5555 len 92 csum 0x0000 zero\n"));
	CHECK(strstr(o.out, "  FOU proto 4\n"));
	CHECK(strstr(o.out, "  IPv4 198.19.1.1 > 198.19.1.2 proto 1 ttl 64 tos 0x00\n"));
	CHECK(strstr(o.out, "  ICMP type 8 code 0 csum 0x"));
	CHECK(!strstr(o.out, "drop:"));
	out_free(&o);

	TEST("human: IPv6 outer, encap limit, GUE remcsum, GRE, gretap, drops");
	o = run((const char *[]){ vec("fou6-ip4ip6"), NULL });
	CHECK_EQ(o.rc, 0);
	CHECK(strstr(o.out, "  IPv6 fd00:18::2 > fd00:18::1 hlim 64 tclass 0x00 "
			    "flowlabel 0xaee6f encap-limit 4\n"));
	CHECK(strstr(o.out, "  UDP 38702 > 5557 len 92 csum 0x581e valid\n"));
	CHECK(strstr(o.out, "drop: not-udp"));   /* the neighbour solicitation */
	out_free(&o);
	o = run((const char *[]){ vec("gue-ipip-remcsum"), NULL });
	CHECK(strstr(o.out, "  GUE ver 0 C 0 hlen 2 proto 4 flags 0x0001 priv 0x80000000 "
			    "remcsum start 20 offset 26\n"));
	CHECK(strstr(o.out, "  UDP 50797 > 33435 csum 0x157e valid\n"));
	out_free(&o);
	o = run((const char *[]){ vec("fou-gretap"), NULL });
	CHECK(strstr(o.out, "  GRE flags 0x0000 proto 0x6558\n"));
	CHECK(strstr(o.out, "  Ethernet 02:00:00:00:05:01 > 02:00:00:00:05:02 type 0x0800\n"));
	out_free(&o);
	o = run((const char *[]){ vec("rx-gue-badflags"), NULL });
	CHECK_EQ(o.rc, 0);
	CHECK_EQ(count_str(o.out, "  drop: gue-bad-flags\n"), 2);
	out_free(&o);
	o = run((const char *[]){ vec("rx-gue-ctl"), NULL });
	CHECK_EQ(count_str(o.out, "  drop: gue-control\n"), 2);
	out_free(&o);
	o = run((const char *[]){ vec("rx-gue-v1-ipip"), NULL });
	CHECK(strstr(o.out, "  GUE ver 1 (direct IP) proto 4\n"));
	out_free(&o);
}

static void test_json_all_vectors(void)
{
	DIR *d = opendir(vec_dir());
	struct dirent *e;
	int files = 0;

	TEST("json: every vector is a valid array, one object per record");
	CHECK(d != NULL);
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char path[512];
		struct out o, h;
		int n;

		if (l < 6 || strcmp(e->d_name + l - 5, ".pcap"))
			continue;
		files++;
		snprintf(path, sizeof(path), "%s/%s", vec_dir(), e->d_name);
		o = run((const char *[]){ "-j", path, NULL });
		h = run((const char *[]){ path, NULL });
		n = json_array_len(o.out);
		if (n < 0)
			printf("# %s: invalid JSON\n", e->d_name);
		CHECK(n > 0);
		CHECK_EQ(o.rc, 0);
		CHECK_EQ(n, count_str(h.out, "packet "));
		CHECK_EQ(count_str(o.out, "\"index\": "), n);
		CHECK_EQ(count_str(o.out, "\"drop\": "), count_str(h.out, "drop: "));
		if (strncmp(e->d_name, "rx-gue-", 7) == 0 || strncmp(e->d_name, "gue", 3) == 0)
			CHECK(strstr(o.out, "\"encap\": \"gue\""));
		out_free(&o);
		out_free(&h);
	}
	if (d)
		closedir(d);
	CHECK(files >= 30);

	TEST("json: keys and values");
	struct out o = run((const char *[]){ "-j", vec("fou6-ip6ip6"), NULL });
	CHECK(strstr(o.out, "\"index\": 1,"));
	CHECK(strstr(o.out, "\"outer\": {\n      \"family\": 6,\n      \"src\": \"fd00:18::2\""));
	CHECK(strstr(o.out, "\"ttl\": 225,"));
	CHECK(strstr(o.out, "\"encap_limit\": 4\n"));
	CHECK(strstr(o.out, "\"csum\": \"valid\""));
	CHECK(strstr(o.out, "\"encap\": \"fou\""));
	CHECK(strstr(o.out, "\"inner\": {\n      \"family\": 6,"));
	out_free(&o);
	o = run((const char *[]){ "--json", vec("gue-ipip-remcsum"), NULL });
	CHECK(strstr(o.out, "\"remcsum\": {\n        \"start\": 20,\n        \"offset\": 26\n"));
	CHECK(strstr(o.out, "\"df\": true"));
	CHECK(strstr(o.out, "\"encap_limit\": null"));
	out_free(&o);
	o = run((const char *[]){ "-j", vec("rx-gue-ctl"), NULL });
	CHECK_EQ(count_str(o.out, "\"drop\": \"gue-control\""), 2);
	CHECK(strstr(o.out, "\"control\": true"));
	out_free(&o);
	o = run((const char *[]){ "-j", vec("gue-gre"), NULL });
	CHECK(strstr(o.out, "\"gre\": {\n      \"flags\": 0,\n      \"proto\": 2048\n    }"));
	out_free(&o);
	/* Direct IP has no GUE header: only what the IP version says. */
	o = run((const char *[]){ "-j", vec("rx-gue-v1-ipip"), NULL });
	CHECK(strstr(o.out, "\"gue\": {\n      \"version\": 1,\n      \"proto\": 4\n    }"));
	out_free(&o);
}

static void test_ports(void)
{
	struct out o;

	TEST("--fou/--gue replace the default port map");
	o = run((const char *[]){ "--gue", "9999", vec("fou-ipip"), NULL });
	CHECK_EQ(o.rc, 0);
	CHECK_EQ(count_str(o.out, "drop: no-port"), 8);
	out_free(&o);
	o = run((const char *[]){ "--fou", "5555:ipip", vec("fou-ipip"), NULL });
	CHECK_EQ(count_str(o.out, "drop:"), 0);
	CHECK_EQ(count_str(o.out, "FOU proto 4"), 8);
	out_free(&o);
	/* Port 5555 read as GUE: the IPv4 header reads as GUE version 1. */
	o = run((const char *[]){ vec("fou-ipip"), "--gue", "5555", NULL });
	CHECK_EQ(o.rc, 0);
	CHECK_EQ(count_str(o.out, "GUE ver 1"), 8);
	out_free(&o);
	o = run((const char *[]){ "--fou", "5555:47", "--fou=5556:4", vec("fou-ipip"), NULL });
	CHECK_EQ(o.rc, 0);
	CHECK_EQ(count_str(o.out, "FOU proto 47"), 8);
	CHECK_EQ(count_str(o.out, "drop: gre-"), 8);
	out_free(&o);
}

static void test_usage_errors(void)
{
	static const struct {
		const char *args[4];
		const char *needle;
	} rows[] = {
		{ { "--bogus", "x.pcap" }, "'--bogus'" },
		{ { "-x", "x.pcap" }, "'-x'" },
		{ { "--fou", "5555", "x.pcap" }, "'5555'" },
		{ { "--fou", "0:4", "x.pcap" }, "'0:4'" },
		{ { "--fou", "65536:4", "x.pcap" }, "'65536:4'" },
		{ { "--fou", "5555:256", "x.pcap" }, "'5555:256'" },
		{ { "--fou", "5555:", "x.pcap" }, "'5555:'" },
		{ { "--fou", ":4", "x.pcap" }, "':4'" },
		{ { "--fou", "55x5:4", "x.pcap" }, "'55x5:4'" },
		{ { "--fou", "5555:4x", "x.pcap" }, "'5555:4x'" },
		{ { "--gue", "-1", "x.pcap" }, "'-1'" },
		{ { "--gue", "", "x.pcap" }, "''" },
		{ { "--gue" }, "'--gue'" },
		{ { NULL }, "missing FILE" },
		{ { "a.pcap", "b.pcap" }, "'b.pcap'" },
	};

	TEST("usage errors exit 2 and name the token");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct out o = run(rows[i].args);

		CHECK_EQ(o.rc, 2);
		if (!strstr(o.err, rows[i].needle) || !strstr(o.err, "Usage:"))
			printf("# row %zu: stderr \"%s\" lacks %s\n", i, o.err, rows[i].needle);
		CHECK(strstr(o.err, rows[i].needle));
		CHECK(strstr(o.err, "ufou decode: ") == o.err);
		CHECK_STR(o.out, "");
		out_free(&o);
	}
	TEST("--help exits 0");
	struct out o = run((const char *[]){ "--help", NULL });
	CHECK_EQ(o.rc, 0);
	CHECK(strstr(o.out, "Usage: ufou decode"));
	out_free(&o);
}

static void test_file_errors(void)
{
	char path[300];
	struct out o;
	size_t len;
	char *pcap = vec_load(vec("rx-fou-ipip"), &len);

	snprintf(path, sizeof(path), "%s/t.pcap", tmpdir);

	TEST("missing file, directory, empty, bad magic, pcapng");
	o = run((const char *[]){ "/nonexistent/x.pcap", NULL });
	CHECK_EQ(o.rc, 1);
	CHECK_STR(o.err, "ufou decode: /nonexistent/x.pcap: No such file or directory\n");
	out_free(&o);
	o = run((const char *[]){ tmpdir, NULL });
	CHECK_EQ(o.rc, 1);
	CHECK(strstr(o.err, tmpdir));
	out_free(&o);
	write_file(path, "", 0);
	o = run((const char *[]){ path, NULL });
	CHECK_EQ(o.rc, 1);
	CHECK(strstr(o.err, "too short"));
	out_free(&o);
	write_file(path, "GET / HTTP/1.0\r\n\r\nxxxxxxxxxxx", 29);
	o = run((const char *[]){ "-j", path, NULL });
	CHECK_EQ(o.rc, 1);
	CHECK(strstr(o.err, ": not a pcap file (bad magic)\n"));
	CHECK_STR(o.out, "");
	out_free(&o);
	write_file(path, "\x0a\x0d\x0d\x0a\x1c\0\0\0\x4d\x3c\x2b\x1a\1\0\0\0"
		   "\xff\xff\xff\xff\xff\xff\xff\xff", 24);
	o = run((const char *[]){ path, NULL });
	CHECK_EQ(o.rc, 1);
	CHECK(strstr(o.err, "pcapng"));
	out_free(&o);

	TEST("truncated record: earlier packets printed, JSON still valid, exit 1");
	CHECK(pcap != NULL && len > 24 + 2 * (16 + 102));
	write_file(path, pcap, 24 + 2 * (16 + 102) + 20);
	o = run((const char *[]){ "-j", path, NULL });
	CHECK_EQ(o.rc, 1);
	CHECK_EQ(json_array_len(o.out), 2);
	CHECK(strstr(o.err, "truncated or corrupt record after packet 2"));
	CHECK(strstr(o.err, path));
	out_free(&o);
	o = run((const char *[]){ path, NULL });
	CHECK_EQ(o.rc, 1);
	CHECK_EQ(count_str(o.out, "packet "), 2);
	out_free(&o);
	write_file(path, pcap, 24 + 10);   /* cut inside the first record header */
	o = run((const char *[]){ "-j", path, NULL });
	CHECK_EQ(o.rc, 1);
	CHECK_EQ(json_array_len(o.out), 0);
	out_free(&o);

	TEST("header only: empty array");
	write_file(path, pcap, 24);
	o = run((const char *[]){ "-j", path, NULL });
	CHECK_EQ(o.rc, 0);
	CHECK_EQ(json_array_len(o.out), 0);
	out_free(&o);

	TEST("unsupported link type");
	memcpy(pcap + 20, "\x69\0\0\0", 4);   /* 105, 802.11 */
	write_file(path, pcap, len);
	o = run((const char *[]){ path, NULL });
	CHECK_EQ(o.rc, 1);
	CHECK(strstr(o.err, "unsupported link type 105"));
	out_free(&o);
	free(pcap);
}

/* Rewrites a vector's Ethernet records with another link header. */
static void test_link_types(void)
{
	static const struct {
		const char *name;
		uint32_t linktype;
		uint8_t hdr[20];
		size_t hlen;
	} rows[] = {
		{ "raw", 101, { 0 }, 0 },
		{ "ipv4", 228, { 0 }, 0 },
		{ "sll", 113, { 0, 0, 0, 1, 0, 6, [14] = 0x08, [15] = 0x00 }, 16 },
		{ "sll2", 276, { 0x08, 0x00 }, 20 },
		{ "null", 0, { 2, 0, 0, 0 }, 4 },
		{ "vlan", 1, { [12] = 0x81, [13] = 0x00, [14] = 0x00, [15] = 0x05, [16] = 0x08,
			       [17] = 0x00 }, 18 },
	};
	char path[300];

	snprintf(path, sizeof(path), "%s/link.pcap", tmpdir);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vec_pcap src;
		struct vec_rec r;
		uint8_t *dst;
		size_t o2 = 24;
		struct out o;
		int rc;

		TEST(rows[i].name);
		rc = vec_pcap_open(&src, vec("rx-gue-remcsum"));
		CHECK_EQ(rc, 0);
		if (rc) {
			vec_pcap_close(&src);
			continue;
		}
		dst = malloc(src.len + 4 * 64);
		memcpy(dst, src.file, 24);
		memcpy(dst + 20, &rows[i].linktype, 4);   /* file is little-endian */
		/* Each Ethernet frame's 14-byte header replaced by the row's. */
		while (vec_pcap_next(&src, &r) == 1) {
			uint32_t ncl = r.r.caplen - 14 + (uint32_t)rows[i].hlen;
			uint32_t rh[4] = { r.r.ts_sec, r.r.ts_frac, ncl, ncl };

			memcpy(dst + o2, rh, 16);
			memcpy(dst + o2 + 16, rows[i].hdr, rows[i].hlen);
			memcpy(dst + o2 + 16 + rows[i].hlen, r.r.data + 14, r.r.caplen - 14);
			o2 += 16 + ncl;
		}
		vec_pcap_close(&src);
		write_file(path, dst, o2);
		o = run((const char *[]){ path, NULL });
		CHECK_EQ(o.rc, 0);
		CHECK_EQ(count_str(o.out, "packet "), 4);
		CHECK_EQ(count_str(o.out, "GUE ver 0"), 4);
		CHECK_EQ(count_str(o.out, "remcsum start 20 offset 26"), 2);
		CHECK_EQ(count_str(o.out, "drop:"), 0);
		out_free(&o);
		free(dst);
	}
}

/* Byte flips, truncations and garbage over every vector: no crash, sane exit codes. */
static void test_mutations(void)
{
	DIR *d = opendir(vec_dir());
	struct dirent *e;
	char path[300];
	unsigned int seed = 12345, runs = 0;

	snprintf(path, sizeof(path), "%s/m.pcap", tmpdir);
	TEST("mutated captures");
	while (d && (e = readdir(d))) {
		char vp[512];
		size_t len;
		uint8_t *orig, *m;

		if (!strstr(e->d_name, ".pcap"))
			continue;
		snprintf(vp, sizeof(vp), "%s/%s", vec_dir(), e->d_name);
		orig = vec_load(vp, &len);
		m = malloc(len);
		for (int k = 0; k < 12; k++) {
			size_t mlen = len;
			struct out o;
			int json_ok;

			memcpy(m, orig, len);
			for (int f = 0; f < 1 + k % 4; f++) {
				seed = seed * 1103515245u + 12345u;
				size_t at = 24 + (seed >> 8) % (len - 24);

				m[at] = (uint8_t)(seed >> 3);
			}
			if (k % 3 == 2)
				mlen = 24 + (seed >> 5) % (len - 24);
			write_file(path, m, mlen);
			o = run((const char *[]){ k & 1 ? "-j" : path, k & 1 ? path : NULL, NULL });
			CHECK(o.rc == 0 || o.rc == 1);
			if (k & 1) {
				json_ok = json_array_len(o.out) >= 0;
				CHECK(json_ok);
			}
			runs++;
			out_free(&o);
		}
		free(m);
		free(orig);
	}
	if (d)
		closedir(d);
	CHECK(runs > 300);
}

/*
 * Only what was read of a GUE header is shown: an unknown version has no C,
 * hlen or flags, and P without room in hlen has no private flags.
 */
static void test_gue_unread(void)
{
	static const struct { uint8_t hdr[4]; const char *human, *json; } rows[] = {
		{ { 0x80, 0x04, 0x00, 0x00 }, "  GUE ver 2 (unknown)\n",
		  "\"gue\": {\n      \"version\": 2\n    }" },
		{ { 0x00, 0x04, 0x00, 0x01 }, "  GUE ver 0 C 0 hlen 0 proto 4 flags 0x0001\n",
		  "\"flags\": 1\n    }" },
	};
	char path[300];

	snprintf(path, sizeof(path), "%s/unread.pcap", tmpdir);
	TEST("GUE fields that were not read are not shown");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len;
		uint8_t *pcap = vec_load(vec("rx-gue-ipip"), &len);
		struct out o;

		/* First record: pcap header 24, record header 16, Ethernet+IPv4+UDP 42. */
		memcpy(pcap + 24 + 16 + 42, rows[i].hdr, 4);
		write_file(path, pcap, len);
		o = run((const char *[]){ path, NULL });
		CHECK(strstr(o.out, rows[i].human));
		out_free(&o);
		o = run((const char *[]){ "-j", path, NULL });
		CHECK(strstr(o.out, rows[i].json));
		out_free(&o);
		free(pcap);
	}
}

int main(void)
{
	char path[300];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_human();
	test_json_all_vectors();
	test_ports();
	test_usage_errors();
	test_file_errors();
	test_link_types();
	test_gue_unread();
	test_mutations();
	for (const char *const *f = (const char *const[]){ "stdout", "stderr", "t.pcap",
							   "link.pcap", "m.pcap", NULL };
	     *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, *f);
		unlink(path);
	}
	rmdir(tmpdir);
	return t_done();
}
