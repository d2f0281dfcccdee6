#ifndef MSGDATE_H
#define MSGDATE_H
/*
 * A Date field's value (RFC 5322 3.3, with the obsolete forms of 4.3) as
 * seconds since the epoch in UTC: the sent date that SORT DATE and THREAD
 * compare (RFC 5256 2.2).
 *   [day-of-week ","] day month year hour ":" minute [":" second] [zone]
 * Comments and folding white space may stand between the parts; a
 * two-digit year is 19xx from 50 on, else 20xx, a three-digit one 1900 +
 * year (4.3); the zone is +hhmm or -hhmm, or UT, GMT, EST, EDT, CST, CDT,
 * MST, MDT, PST, PDT; a military or unknown zone letter and a missing zone
 * count as +0000 (4.3: "-0000").  Anything else (a day or month out of
 * range, a letter in a number, text after the zone) fails: the caller
 * then uses the INTERNALDATE, as RFC 5256 says.
 * Bounds: only the first MSGDATE_MAX bytes are read; numbers are bounded
 * digit runs, so nothing can wrap.  No allocation.
 */
#include <stddef.h>
#include <stdint.h>

#define MSGDATE_MAX 256

/* 0 with *t set, or -1. */
int msgdate_parse(const char *s, size_t len, int64_t *t);
#endif
