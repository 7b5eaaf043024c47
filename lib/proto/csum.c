// SPDX-License-Identifier: GPL-2.0
/*
 * Internet checksum (RFC 1071), pseudo-header sums, RFC 1624 updates.
 *
 * The fast path sums the buffer as native-endian 64-bit words. That is
 * valid because the one's-complement sum is independent of word size
 * (2^16 == 1 mod 0xffff, RFC 1071 §2(C)) and of byte order apart from a
 * final byte swap (§2(B)). Loads go through memcpy so any alignment works;
 * the compiler turns them into plain unaligned loads.
 *
 * On x86-64 CPUs with AVX2, long buffers are summed as 32-bit words
 * zero-extended into 64-bit vector lanes: no carries to track (a lane
 * overflows only after 2^32 additions), about twice the scalar speed on
 * the 1.4 KB segments and 64 KB super-packets of the data path. The CPU
 * check is the compiler's (__builtin_cpu_supports), no state of ours.
 */
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define UF_CSUM_AVX2 1
#endif

#include "csum.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define UF_CSUM_BIG_ENDIAN 1
#else
#define UF_CSUM_BIG_ENDIAN 0
#endif

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* a + b with the carry out of bit 63 added back in (end-around carry). */
static inline uint64_t add64c(uint64_t a, uint64_t b)
{
	uint64_t r = a + b;

	return r + (r < b);
}

/* Folds a 64-bit one's-complement accumulator to 16 bits, never 0 unless s == 0. */
static inline uint16_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);   /* <= 2^33 - 2 */
	s = (s & 0xffffffffu) + (s >> 32);   /* <= 2^32 */
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * Native-endian one's-complement sum of p[0..len), as a 64-bit accumulator.
 * Four independent accumulators keep the add chains short; each counts its
 * own carries, which are folded back in at the end.
 */
static uint64_t sum_native(const uint8_t *p, size_t len)
{
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
	uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
	uint64_t w, acc;
	uint8_t tail[8];

	while (len >= 32) {
		w = load64(p);
		a0 += w;
		c0 += a0 < w;
		w = load64(p + 8);
		a1 += w;
		c1 += a1 < w;
		w = load64(p + 16);
		a2 += w;
		c2 += a2 < w;
		w = load64(p + 24);
		a3 += w;
		c3 += a3 < w;
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		w = load64(p);
		a0 += w;
		c0 += a0 < w;
		p += 8;
		len -= 8;
	}
	if (len) {
		/* Zero padding keeps each byte in its word position, odd tail included. */
		memset(tail, 0, sizeof(tail));
		memcpy(tail, p, len);
		w = load64(tail);
		a0 += w;
		c0 += a0 < w;
	}
	acc = add64c(a0, a1);
	acc = add64c(acc, a2);
	acc = add64c(acc, a3);
	/* Each carry counter is far below 2^62, so their sum cannot wrap. */
	acc = add64c(acc, c0 + c1 + c2 + c3);
	return acc;
}

#ifdef UF_CSUM_AVX2
/* Below this the scalar loop wins (vector set-up and the final reduction). */
#define AVX2_MIN_LEN 128

/* sum_native() of p[0..len) for len >= 64, 64 bytes per step. */
__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint8_t *p, size_t len)
{
	const __m256i zero = _mm256_setzero_si256();
	__m256i acc0 = zero, acc1 = zero;
	uint64_t lanes[4], acc;

	while (len >= 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));

		/* Interleaving with zero makes each 32-bit word a 64-bit lane. */
		acc0 = _mm256_add_epi64(acc0, _mm256_unpacklo_epi32(a, zero));
		acc1 = _mm256_add_epi64(acc1, _mm256_unpackhi_epi32(a, zero));
		acc0 = _mm256_add_epi64(acc0, _mm256_unpacklo_epi32(b, zero));
		acc1 = _mm256_add_epi64(acc1, _mm256_unpackhi_epi32(b, zero));
		p += 64;
		len -= 64;
	}
	_mm256_storeu_si256((__m256i *)(void *)lanes, _mm256_add_epi64(acc0, acc1));
	/*
	 * Clean upper halves before any SSE code runs again (the compiler does
	 * not always insert this in a target("avx2") function): a dirty state
	 * slows every later SSE instruction down, memcpy included.
	 */
	_mm256_zeroupper();
	/* len / 4 words of < 2^32 over all lanes: no wrap for len < 2^34. */
	acc = lanes[0] + lanes[1] + lanes[2] + lanes[3];
	return add64c(acc, sum_native(p, len));
}
#endif

/*
 * Short buffers (headers) as native 16-bit words. They were usually just
 * written field by field; an 8-byte load over several smaller stores cannot
 * be forwarded from them and waits for the stores to retire: 16 ns for a
 * 20-byte IPv4 header by sum_native(), 3 ns this way.
 */
#define SHORT_LEN 64

static uint64_t sum_short(const uint8_t *p, size_t len)
{
	uint64_t acc = 0;
	uint16_t w;

	for (; len >= 2; p += 2, len -= 2) {
		memcpy(&w, p, sizeof(w));
		acc += w;
	}
	if (len) {
		/* The odd last byte in the position sum_native() gives it. */
		uint8_t tail[2] = { p[0], 0 };

		memcpy(&w, tail, sizeof(w));
		acc += w;
	}
	return acc;
}

static uint64_t sum_any(const uint8_t *p, size_t len)
{
	if (len < SHORT_LEN)
		return sum_short(p, len);
#ifdef UF_CSUM_AVX2
	if (len >= AVX2_MIN_LEN && __builtin_cpu_supports("avx2"))
		return sum_avx2(p, len);
#endif
	return sum_native(p, len);
}

uint32_t uf_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	uint16_t s = fold64(sum_any(buf, len));

	if (!UF_CSUM_BIG_ENDIAN)
		s = (uint16_t)(s << 8 | s >> 8);
	return uf_csum_add(sum, s);
}

uint32_t uf_csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;

	return r + (r < b);
}

uint16_t uf_csum_fold16(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t uf_csum_finish(uint32_t sum)
{
	return (uint16_t)~uf_csum_fold16(sum);
}

uint16_t uf_csum(const void *buf, size_t len)
{
	return uf_csum_finish(uf_csum_partial(buf, len, 0));
}

/* proto and len as the pseudo-header lays them out: 0|proto and a 32-bit length. */
static uint32_t pseudo_tail(uint8_t proto, uint32_t len)
{
	return (uint32_t)proto + (len >> 16) + (len & 0xffff);
}

uint32_t uf_csum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint32_t len)
{
	uint32_t s = pseudo_tail(proto, len);

	s += (uint32_t)(src[0] << 8 | src[1]) + (uint32_t)(src[2] << 8 | src[3]);
	s += (uint32_t)(dst[0] << 8 | dst[1]) + (uint32_t)(dst[2] << 8 | dst[3]);
	return s; /* at most 7 * 0xffff: no overflow */
}

uint32_t uf_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, uint32_t len)
{
	uint32_t s = pseudo_tail(proto, len);
	int i;

	for (i = 0; i < 16; i += 2)
		s += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
	return s; /* at most 19 * 0xffff: no overflow */
}

uint32_t uf_csum_pseudo_hdr(uint8_t version, const uint8_t *ip, uint8_t proto, uint32_t len)
{
	if (version == 4)
		return uf_csum_pseudo4(ip + 12, ip + 16, proto, len);
	return uf_csum_pseudo6(ip + 8, ip + 24, proto, len);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
uint16_t uf_csum_replace16(uint16_t check, uint16_t old_word, uint16_t new_word)
{
	uint32_t s = (uint32_t)(uint16_t)~check + (uint16_t)~old_word + new_word;

	return uf_csum_finish(s);
}

uint16_t uf_csum_replace32(uint16_t check, uint32_t old_word, uint32_t new_word)
{
	uint32_t s = (uint32_t)(uint16_t)~check;

	s += (uint16_t)~(old_word >> 16) + (uint32_t)(uint16_t)~old_word;
	s += (new_word >> 16) + (new_word & 0xffff);
	return uf_csum_finish(s);
}
