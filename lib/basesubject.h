#ifndef BASESUBJECT_H
#define BASESUBJECT_H
/*
 * The base subject of RFC 5256 section 2.1, which SORT SUBJECT and both
 * THREAD algorithms compare.  Input: a Subject field's raw value (folded,
 * with RFC 2047 encoded words).  Output: the base subject in UTF-8, folded
 * for comparison, so that two base subjects compare equal (and order) with
 * strcmp:
 *   (1) encoded words decoded (lib/mime), tab, CR, LF and runs of white
 *       space made one space, each character case-folded (lib/casefold:
 *       Unicode simple folding), with ASCII letters then in upper case:
 *       the i;unicode-casemap comparator of RFC 5051 compares titlecase,
 *       so "_" sorts after "A" and "a" as it does there (RFC 5051 also
 *       decomposes (NFKD), which is not done here: beyond ASCII the
 *       order is that of the folded code points);
 *   (2) trailing "(fwd)" and white space removed, again and again;
 *   (3) a leading white space, or "re", "fw" or "fwd" with an optional
 *       [blob] and a ":", each possibly after [blob]s, removed;
 *   (4) a leading [blob] removed when something is left after it;
 *   (5) (3) and (4) repeated while they match;
 *   (6) "[fwd: ... ]" around it all removed, and back to (2).
 * *refwd is set when (2), (3) or (6) removed a "re:", "fwd:", "(fwd)" or
 * "[fwd:" wrapper: the message is a reply or a forward, which THREAD
 * REFERENCES's subject grouping needs (RFC 5256 section 3, step 5).
 *
 * Bounds: only the first BASESUBJECT_IN_MAX bytes of the raw value are
 * read, and the output is at most BASESUBJECT_MAX bytes (cut at a
 * character boundary); a NUL in decoded text is dropped.  Work is linear
 * in the input.
 */
#include <stddef.h>
#include <stralloc.h>

#define BASESUBJECT_IN_MAX 8192
#define BASESUBJECT_MAX 1000

/* The base subject of raw (len bytes) into out (NUL-terminated, out->len
 * without the NUL).  0, or -1 on ENOMEM. */
int basesubject(const char *raw, size_t len, stralloc *out, int *refwd);
/* Step (1) alone on decoded text s (n bytes): white space collapsed and
 * case folded, at most BASESUBJECT_MAX bytes, into out (NUL-terminated):
 * the comparison form SORT uses for its other string keys.  0, or -1. */
int basesubject_fold(const char *s, size_t n, stralloc *out);
#endif
