#ifndef IMAPSEQ_H
#define IMAPSEQ_H
/*
 * IMAP sequence sets (RFC 3501 section 9, sequence-set): "1,3:5,7:*" over
 * message sequence numbers or UIDs.  A set is parsed once, then resolved
 * against the mailbox ('*' becomes the highest number in use, each range
 * is ordered, ranges are sorted and merged), then queried in O(log n).
 *
 * Bounds: numbers are 1 to 4294967295 (nz-number); a set holds at most
 * IMAPSEQ_RANGES_MAX ranges (a command line is bounded anyway).
 */
#include <stdint.h>

#define IMAPSEQ_RANGES_MAX 65536

struct imapseq_range { uint32_t lo, hi; };   /* 0 stands for '*' until resolved */

struct imapseq {
	struct imapseq_range *r;     /* owned */
	unsigned n, cap;
	uint32_t top;                /* the highest number written (not '*'); 0 if none */
	int star;                    /* '*' appears */
};

/* Parses text (NUL-terminated).  0, or -1 for a malformed set (or ENOMEM). */
int imapseq_parse(struct imapseq *s, const char *text);

/* '*' := max; orders, sorts and merges the ranges.  With max == 0 (an
 * empty mailbox) '*' matches nothing. */
void imapseq_resolve(struct imapseq *s, uint32_t max);

/* Is v in the resolved set? */
int imapseq_has(const struct imapseq *s, uint32_t v);

void imapseq_free(struct imapseq *s);
#endif
