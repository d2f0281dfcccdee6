#ifndef MDFLAGS_H
#define MDFLAGS_H
/*
 * The flags of a Maildir message: the letters of the info part of its file
 * name, "UNIQUE:2,LETTERS", in ASCII order, as mutt, Courier and Dovecot
 * write them (the Maildir specification, cr.yp.to/proto/maildir.html):
 *
 *     D draft   F flagged   P passed   R replied   S seen   T trashed
 *
 * This is the one table of those letters in posthorn.  posthorn-imapd maps
 * them to \Draft, \Flagged, \Answered, \Seen and \Deleted (imapstore.h);
 * posthorn-pop3d sets S on what a session retrieved.  P names no flag of
 * ours and, like any other capital, is kept as found; small letters are
 * keywords (imapstore.h).
 */
#include <stddef.h>
#include <stdint.h>

enum {
	MDFLAG_SEEN = 1, MDFLAG_ANSWERED = 2, MDFLAG_FLAGGED = 4, MDFLAG_DELETED = 8, MDFLAG_DRAFT = 16,
	MDFLAG_ALL = 31
};
/* Bytes of the capitals of an info part: each of A to Z at most once. */
#define MDFLAGS_CAPITALS_MAX 26

/* The info letters of a file name (what follows its ":2,"), or a null
 * pointer when the name has no info part of version 2. */
const char *mdflags_info(const char *name);

/* The MDFLAG_* bit of one info letter; 0 for a letter that names none. */
uint32_t mdflags_bit(int letter);

/* The MDFLAG_* bits of a file name's info part (0 without one). */
uint32_t mdflags_of(const char *name);

/* The capital info letters in ASCII order into out, NUL-terminated (out
 * holds MDFLAGS_CAPITALS_MAX + 1 bytes): the letters of flags, and any
 * other capital found in keep (the old info letters, or null), which names
 * no flag of ours.  Returns the number of letters. */
size_t mdflags_letters(uint32_t flags, const char *keep, char *out);
#endif
