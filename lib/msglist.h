#ifndef MSGLIST_H
#define MSGLIST_H
/*
 * The messages of one Maildir folder (new/ and cur/) as a numbered list, for
 * POP3 (and the IMAP server's first scan).  One scan at open; after that the
 * list does not change: deliveries made meanwhile show up in the next scan.
 *
 * Memory: one struct msglist_msg (24 bytes) and the file name per message,
 * all names in one stralloc; no per-message allocation.  10,000 messages
 * cost well under 1 MiB.
 *
 * Order: by the delivery time that starts a Maildir name (the seconds
 * before the first '.', then the microseconds of ".MUSEC" when both names
 * have them), then by name, so message 1 is the oldest.
 *
 * Unique id (POP3 UIDL): the file name up to the ':' that starts the info
 * part (":2,FLAGS"), which no Maildir tool changes when it moves a message
 * from new/ to cur/ or sets flags: the same id in every session and for
 * every client.  RFC 1939 section 7 wants 1 to 70 bytes in 0x21..0x7e; a
 * name outside that (a long host name) gets "H" and 32 hex digits of a hash
 * of that unique part instead, equally stable.
 *
 * Sizes are wire sizes (wire.h), computed on first use by reading the file,
 * because the ",S=" of a name is the stored size with LF line ends, not the
 * CRLF size a POP3 client counts.
 *
 * A message that another program renamed (an IMAP client moving it from
 * new/ to cur/ or changing flags) is looked up again by its unique part, so
 * it stays readable and removable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stralloc.h>

#define MSGLIST_UID_MAX 70
#define MSGLIST_NAME_MAX 255

struct msglist_msg {
	unsigned long long size;   /* wire size, once sized */
	size_t name;               /* offset of the NUL-terminated name in names */
	unsigned char cur;         /* in cur/ (else new/) */
	unsigned char sized;
};

struct msglist {
	struct msglist_msg *m;     /* n entries, owned */
	unsigned long n, cap;
	stralloc names;
	int newfd, curfd;          /* the folder's new/ and cur/, open */
	unsigned long left_out;    /* messages beyond max, not listed */
};

/* Scans dir/new and dir/cur.  At most max messages are listed (the oldest
 * by name order among those read); left_out counts the others.  0, or -1
 * with errno (the folder cannot be read). */
int msglist_scan(struct msglist *ml, const char *dir, unsigned long max);

/* The current file name of message i (0-based), valid until the next call
 * that may relocate it. */
const char *msglist_name(const struct msglist *ml, unsigned long i);

/* Opens message i for reading (a regular file, close-on-exec).  fd or -1
 * with errno (ENOENT: gone, removed by someone else). */
int msglist_open(struct msglist *ml, unsigned long i);

/* The wire size of message i.  0 or -1 with errno. */
int msglist_size(struct msglist *ml, unsigned long i, unsigned long long *size);

/* Writes the unique id of message i into out (NUL-terminated); returns its
 * length. */
size_t msglist_uid(const struct msglist *ml, unsigned long i, char out[MSGLIST_UID_MAX + 1]);

/* Removes message i.  A message already gone counts as removed.  0 or -1. */
int msglist_remove(struct msglist *ml, unsigned long i);

/* Moves message i from new/ to cur/ with info ":2,LETTERS", the letters
 * of flags (MDFLAG_* bits, mdflags.h); a message already in cur/ is left as
 * it is.  0 or -1. */
int msglist_tocur(struct msglist *ml, unsigned long i, uint32_t flags);

/* fsyncs new/ and cur/ (after removals and moves).  0 or -1. */
int msglist_sync(struct msglist *ml);

void msglist_free(struct msglist *ml);
#endif
