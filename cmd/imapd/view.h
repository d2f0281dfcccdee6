#ifndef IMAPD_VIEW_H
#define IMAPD_VIEW_H
/* The selected folder as the client knows it (select.c): message numbers,
 * the flags it was told, \Recent; see the top of select.c. */
#include <stdint.h>
#include "imapparse.h"
#include "imapseq.h"

/* Brings the view in step with the folder and sends the untagged updates
 * RFC 3501 allows now (EXPUNGE only with allow_expunge: not during FETCH,
 * STORE and SEARCH, section 7.4.1). */
void view_update(int allow_expunge);
/* Brings the store in step with the disk before a command runs and marks
 * in the view what others changed (gone, dirty), telling the client
 * nothing: the command then acts on the current state, and view_update
 * reports before its tagged response. */
void view_refresh(void);
/* Sends * FLAGS and PERMANENTFLAGS when the folder has keywords the
 * client was not told of; called before any FETCH response. */
void flags_announce(void);
/* Marks message seq (1-based) gone after our own expunge (EXPUNGE, MOVE);
 * its EXPUNGE goes out before the tagged reply, with any others, all in
 * descending order. */
void view_expunged(unsigned long seq);
/* The store index of view message i (0-based), or -1 if gone. */
long view_store(unsigned long i);
/* Resolves a sequence set argument (by UID when S.uid) to a bitmap-free
 * walk: fills seq with the set resolved against the view.  0, or -1 after
 * a BAD reply. */
int view_set(const char *text, struct imapseq *seq, int uid);
/* Does view message i (0-based) match the set? */
int view_in(const struct imapseq *seq, unsigned long i, int uid);
void view_close(void);
/* Parses a flag list (or single flag) into STORE_* bits and keyword
 * names (pointers into the arguments).  0, or -1 for a bad flag. */
int parse_flags(const struct imap_arg *a, uint32_t *sys, const char **kw, unsigned *nkw, int *recent_ok);

#endif
