/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `ufou decode [--fou PORT:IPPROTO]... [--gue PORT]... [-j] FILE.pcap`:
 * decodes a capture locally (no daemon), one line per layer or a JSON array.
 */
#ifndef UFOU_CLI_DECODE_H
#define UFOU_CLI_DECODE_H

#include <stddef.h>

#include "proto/decap.h"

/* Ports assumed when none are given: the ones the Linux test vectors use. */
extern const struct uf_port_kind decode_default_ports[];
extern const size_t decode_default_nports;

/* argv[0] is "decode". Returns the exit status: 0, 1 (file error), 2 (usage). */
int decode_main(int argc, char **argv);

#endif
