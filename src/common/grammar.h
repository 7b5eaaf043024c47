/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CLI grammar as data: one keyword table per object drives parsing
 * (argv -> model), error messages (the valid words), the usage text with
 * its `Where:` block of value domains, and printing (model -> the same
 * words `add` takes). Pure: no sockets, no state.
 *
 * Errors are one line without the "Error: " prefix, naming the token:
 *	unknown keyword "foo"; valid: port ipproto gue local peer peer_port dev -6
 *	argument "300" is wrong: ipproto must be 1..255
 */
#ifndef UFOU_COMMON_GRAMMAR_H
#define UFOU_COMMON_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/model.h"
#include "common/print.h"

enum gr_obj { GR_OBJ_NONE, GR_OBJ_FOU, GR_OBJ_LINK };
enum gr_act { GR_HELP, GR_ADD, GR_DEL, GR_SHOW, GR_SET };

struct gr_cmd {
	enum gr_obj obj;
	enum gr_act act;
	struct uf_port_conf port;
	/* add: the whole conf; set: only the given fields (has); del/show: name
	 * (HAS_NAME set when show names a link). */
	struct uf_link_conf link;
	/* link set NAME name NEWNAME (rename: true). */
	bool rename;
	char newname[UF_IFNAMSIZ];
	/* The word that set each HAS bit (pointers into argv), for messages. */
	const char *port_word[32];
	const char *link_word[64];
};

/*
 * Parses CLI words without the program name ("fou", "add", "port", ...).
 * Returns 0, or -EINVAL with a message in err (unknown word, missing or bad
 * value, duplicate keyword). Cross-field rules are gr_check_*'s job.
 */
int gr_parse(int argc, char *const *argv, struct gr_cmd *cmd, char *err, size_t errlen);

/* Cross-field rules for fou add (add) or del (!add), as the kernel/iproute2. */
int gr_check_port(const struct gr_cmd *cmd, const struct uf_port_conf *c, bool add,
		  char *err, size_t errlen);
/* Rules for a complete link conf (add; set after the merge). cmd may be NULL;
 * it only lends the user's words to the messages. */
int gr_check_link(const struct gr_cmd *cmd, const struct uf_link_conf *c, char *err,
		  size_t errlen);
/*
 * iproute2 takes ttl / hoplimit / hlim and tos / tclass / tc / dsfield for
 * tunnels of either family; the model has ttl and tos for IPv4 types,
 * hoplimit and tclass for IPv6 ones. Files what upd got under the other
 * family's word in the field of type's family; both given is an error.
 * gr_parse() does it for link add; link set, whose type is the existing
 * link's, calls it.
 */
int gr_link_fold(struct uf_link_conf *upd, enum uf_link_type type, char *err, size_t errlen);
/* link set: copies the fields upd has into dst (read-modify-write). */
void gr_link_merge(struct uf_link_conf *dst, const struct uf_link_conf *upd);

/* Usage from the tables: GR_OBJ_NONE prints every object's. */
void gr_usage(FILE *f, enum gr_obj obj);

/* Prints the words `add` takes (one JSON object's members; caller opens it). */
void gr_print_port(struct pr *p, const struct uf_port_conf *c);
/* "NAME: type ... mtu N up"; d: the device as the kernel has it (mtu always;
 * up/down and flags only when d->known). */
void gr_print_link(struct pr *p, const struct uf_link_conf *c, const struct uf_link_dev *d);

/* Candidates gr_complete() leaves to its caller, which can know them. */
enum {
	GR_WANT_LINK = 1 << 0,   /* an existing link's name (ask the daemon) */
	GR_WANT_IFNAME = 1 << 1, /* a network device's name */
};
/*
 * Completion from the parsing tables: calls fn for each word that may follow
 * argv[0..argc-1] (CLI words without program name or options): objects,
 * verbs, the keywords not yet given that the link's type takes, the values
 * of enumerated kinds (types, encap, modes, inherit, auto, ...). Returns
 * GR_WANT_* bits; nothing after a word the grammar refuses.
 */
unsigned int gr_complete(int argc, char *const *argv, void (*fn)(const char *word, void *arg),
			 void *arg);

/* Text: "link add name NAME type ..." that re-creates the link (the state file). */
void gr_print_link_add(struct pr *p, const struct uf_link_conf *c);

int gr_addr_parse(const char *s, struct uf_addr *a);
/* "any" for family 0. */
const char *gr_addr_str(const struct uf_addr *a, char *buf, size_t len);
const char *gr_mode_name(enum uf_link_mode m);
/* Kernel dev_valid_name: 1..15 bytes, not "." / "..", no '/', ':' or space. */
bool gr_ifname_valid(const char *s);

#endif
