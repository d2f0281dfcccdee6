#ifndef IMAPD_CONDSTORE_H
#define IMAPD_CONDSTORE_H
/* CONDSTORE and QRESYNC (RFC 7162) pieces that FETCH, STORE, SEARCH,
 * SELECT, STATUS and the untagged updates share (condstore.c). */
#include <stdint.h>
#include <stralloc.h>
#include "imapparse.h"
#include "imapseq.h"

/* Has the client used a CONDSTORE enabling command (RFC 7162 3.1)?  From
 * then on FETCH responses carry MODSEQ. */
int condstore_on(void);
void condstore_enable(void);
/* QRESYNC enabled: VANISHED instead of EXPUNGE (RFC 7162 3.2.10). */
int qresync_on(void);
/* mod-sequence-value (1 to 2^63-1), or with zero_ok mod-sequence-valzer,
 * from an atom.  0 or -1. */
int modseq_parse(const struct imap_arg *a, uint64_t *v, int zero_ok);
/* MODSEQ of view message i (0-based), 0 when it is gone. */
uint64_t view_modseq(unsigned long i);

/* A UID or message number set built in ascending order ("1:3,7"). */
struct idset { stralloc sa; uint32_t lo, hi; };
int idset_add(struct idset *u, uint32_t lo, uint32_t hi);
/* The text (NUL-terminated), "" when empty; valid until idset_free. */
const char *idset_text(struct idset *u);
void idset_free(struct idset *u);

/* "* VANISHED (EARLIER) set" (RFC 7162 3.2.5.2, 3.2.6) of the UIDs in
 * known (a resolved UID set; every UID when null) that were expunged
 * after modseq since; nothing when there are none. */
void vanished_earlier(const struct imapseq *known, uint64_t since);

/* FETCH modifiers "(CHANGEDSINCE n [VANISHED])" (RFC 7162 3.1.4, 3.2.6).
 * 0, or -1 after a BAD reply. */
int fetch_modifiers(const struct imap_arg *a, uint64_t *since, int *vanished);
#endif
