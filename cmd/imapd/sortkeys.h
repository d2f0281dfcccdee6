#ifndef IMAPD_SORTKEYS_H
#define IMAPD_SORTKEYS_H
/* The keys SORT and THREAD compare (sortkeys.c), for one message of the
 * view.  One function fills them, so that a cache (the folder index) can
 * serve them later instead of the message file. */
#include <stdint.h>
#include <stralloc.h>

/* Which keys to fill: bits of sortkeys_get's want. */
enum {
	SK_ARRIVAL = 1, SK_DATE = 2, SK_SIZE = 4, SK_SUBJECT = 8, SK_FROM = 16, SK_TO = 32, SK_CC = 64,
	SK_DISPLAYFROM = 128, SK_DISPLAYTO = 256, SK_THREAD = 512
};
#define SK_HEADER (SK_DATE | SK_SUBJECT | SK_FROM | SK_TO | SK_CC | SK_DISPLAYFROM | SK_DISPLAYTO | SK_THREAD)
#define SORTKEY_STR_MAX 256      /* bytes of a string key compared */

/* Strings are offsets into the caller's arena, NUL-terminated, in the
 * comparison form of lib/basesubject (folded UTF-8): strcmp orders them.
 * A missing field gives "". */
struct sortkeys {
	int64_t arrival;           /* INTERNALDATE */
	int64_t date;              /* sent date in UTC (RFC 5256 2.2), else INTERNALDATE */
	uint64_t size;             /* RFC822.SIZE */
	uint32_t subject;          /* base subject (RFC 5256 2.1) */
	uint32_t from, to, cc;     /* addr-mailbox of the first address */
	uint32_t displayfrom, displayto;   /* RFC 5957 3: its display name, else mailbox@host */
	uint8_t refwd;             /* the subject was a reply or forward */
	/* SK_THREAD (RFC 5256 3, step 1): the Message-ID ("" if none valid)
	 * and the parents: the References identifiers in order, or else the
	 * first of In-Reply-To; nrefs strings one after another */
	uint32_t msgid, refs, nrefs;
};

/* Fills the keys of view message i (0-based) named by want; the strings
 * go at the end of arena.  A message that cannot be read gets empty
 * strings and dates of 0.  0, or -1 on ENOMEM. */
int sortkeys_get(unsigned long i, unsigned want, struct sortkeys *k, stralloc *arena);
#endif
