#ifndef CTE_H
#define CTE_H
/*
 * Content-Transfer-Encoding decoders (RFC 2045 section 6) for IMAP's
 * BINARY fetch (RFC 3516): base64 and quoted-printable undone, the
 * identity encodings (7bit, 8bit, binary, or no field at all) passed
 * through, and anything else named CTE_UNKNOWN so the caller can answer
 * NO [UNKNOWN-CTE] (RFC 3516 4.3).
 *
 * The decoder streams: bytes go in by cte_feed in pieces of any size
 * (one byte at a time gives the same result as all at once) and the
 * decoded bytes are appended to a stralloc.  The state between pieces is
 * a fixed struct: nothing of the input is kept but at most CTE_HOLD_MAX
 * bytes of quoted-printable held back (an "=" and what follows it, white
 * space that may turn out to be trailing).  So the output of a piece is
 * never more than the piece plus the held bytes, and the whole output
 * never more than the whole input.
 *
 * Decisions where the input is broken (robust, as RFC 2045 6.7 note 1
 * and 6.8 advise; never an error):
 * - base64: bytes outside the alphabet (line ends, NUL, "*") are
 *   skipped; "=" ends a group and drops its left-over bits (a short
 *   group at the end is dropped the same way); decoding goes on after
 *   it, so concatenated base64 runs decode as one.
 * - quoted-printable: "=" followed by two hex digits (either case) is
 *   that byte; "=" then optional white space then a line end is a soft
 *   line break; any other "=" stands for itself, as do the bytes after
 *   it; an "=" at the very end of the data is a soft line break (a body
 *   that ends without a line end).  Trailing spaces and tabs of a line
 *   are dropped (rule 3), but only the last CTE_HOLD_MAX of a longer run.
 *   NUL and 8-bit bytes pass through.
 */
#include <stddef.h>
#include <stralloc.h>

#define CTE_HOLD_MAX 256

enum cte_kind { CTE_IDENTITY, CTE_BASE64, CTE_QP, CTE_UNKNOWN };

/* The kind of an encoding name (case-insensitive, as RFC 2045 6.1 says);
 * a null name (no field) is CTE_IDENTITY. */
enum cte_kind cte_kind(const char *name);

struct cte {
	enum cte_kind kind;
	unsigned long bits;          /* base64: bits not yet a byte */
	unsigned nbits;
	int state;                   /* quoted-printable: where in an "=" sequence */
	size_t nhold;                /* quoted-printable: bytes held back */
	char hold[CTE_HOLD_MAX + 4];
};

void cte_begin(struct cte *c, enum cte_kind kind);
/* Decodes len more bytes of s, appending to out.  0, or -1 (ENOMEM). */
int cte_feed(struct cte *c, const char *s, size_t len, stralloc *out);
/* The end of the data: what was held back is settled.  0 or -1. */
int cte_end(struct cte *c, stralloc *out);

/* All of s at once: cte_begin, cte_feed, cte_end.  0 or -1. */
int cte_decode(enum cte_kind kind, const char *s, size_t len, stralloc *out);
#endif
