#ifndef MSGID_H
#define MSGID_H
/*
 * Message identifiers (RFC 5322 3.6.4) in Message-ID, In-Reply-To and
 * References fields, as THREAD REFERENCES reads them (RFC 5256 section
 * 3): each "<...>" in the field, its white space and comments dropped,
 * the rest kept byte for byte (compared exactly).  Text outside the
 * brackets (phrases of old In-Reply-To fields, comments) is skipped; an
 * identifier that is empty, holds no "@", holds a "<", or is longer than
 * MSGID_MAX bytes is not valid and is skipped.  A "<" that is never
 * closed ends the field.  Work is linear; no allocation.
 */
#include <stddef.h>

#define MSGID_MAX 250

/* The next valid identifier of s (len bytes) from *pos (0 at first):
 * its bytes between the brackets into id (NUL-terminated, at most
 * MSGID_MAX bytes), and its length returned; 0 at the end. */
size_t msgid_next(const char *s, size_t len, size_t *pos, char id[MSGID_MAX + 1]);
#endif
