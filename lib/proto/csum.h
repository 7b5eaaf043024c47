/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internet checksum (RFC 1071) with pseudo-header sums and incremental
 * update (RFC 1624). Sums are carried as 32-bit one's-complement
 * accumulators ("partial" sums, like the kernel's __wsum) and folded to
 * 16 bits at the end. Byte order: the accumulator sums big-endian 16-bit
 * words, so a folded result is stored with put_be16().
 */
#ifndef UFOU_PROTO_CSUM_H
#define UFOU_PROTO_CSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Adds len bytes at buf to the partial sum (an odd length pads with zero).
 * Chaining calls is only valid when every piece but the last is even-length.
 */
uint32_t uf_csum_partial(const void *buf, size_t len, uint32_t sum);
/* One's-complement sum of two partial sums. */
uint32_t uf_csum_add(uint32_t a, uint32_t b);
/* Folds a partial sum to 16 bits, not complemented. */
uint16_t uf_csum_fold16(uint32_t sum);
/* Folds and complements: the value that goes into a header field. */
uint16_t uf_csum_finish(uint32_t sum);
/* uf_csum_finish(uf_csum_partial(buf, len, 0)). */
uint16_t uf_csum(const void *buf, size_t len);
/* Pseudo-header partial sums (addresses, protocol, upper-layer length). */
uint32_t uf_csum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint32_t len);
uint32_t uf_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, uint32_t len);
/* The same, reading the addresses from a raw IPv4 (version 4) or IPv6 header. */
uint32_t uf_csum_pseudo_hdr(uint8_t version, const uint8_t *ip, uint8_t proto, uint32_t len);
/* RFC 1624 eqn. 3: new checksum field after a 16-bit word changed old -> new. */
uint16_t uf_csum_replace16(uint16_t check, uint16_t old_word, uint16_t new_word);
uint16_t uf_csum_replace32(uint16_t check, uint32_t old_word, uint32_t new_word);

#endif
