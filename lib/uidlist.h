#ifndef UIDLIST_H
#define UIDLIST_H
/*
 * The per-folder UID list of posthorn-imapd: the file "posthorn-uidlist" in
 * each Maildir++ folder (and in the Maildir itself for INBOX), mapping each
 * message's unique name to its IMAP UID.  Format (one record a line, LF):
 *
 *     1 V<uidvalidity> N<next uid> R<first unclaimed recent uid>
 *     <uid> <unique name>
 *     ...
 *
 * The unique name is a Maildir file name up to its ":2," info part, which
 * no Maildir tool changes when it moves a message from new/ to cur/ or sets
 * flags; so UIDs survive those renames by any program.  Records are in
 * ascending UID order.
 *
 * R is how \Recent (RFC 3501 2.3.2) is shared between sessions: messages
 * with UIDs from R on have not yet been seen by any read-write session; the
 * first one that sees them claims them (their UIDs become \Recent for it
 * alone) by moving R to N under the lock.  A list without R (written by an
 * older posthorn) reads as R = N.
 *
 * Writers hold the lock (flock on "posthorn-uidlist.lock" in the folder),
 * re-read the file, change it, and replace it with a temp file that is
 * fsync'ed and renamed over it, then fsync the folder: a reader without the
 * lock sees the old or the new list, never a half one, and a crash at any
 * point leaves a list whose next UID is at least every UID ever given to a
 * client, so no UID is used twice.  Deliveries never take the lock.
 */
#include <stddef.h>
#include <stdint.h>
#include <stralloc.h>

#define UIDLIST_FILE "posthorn-uidlist"
#define UIDLIST_LOCK "posthorn-uidlist.lock"
#define UIDLIST_NAME_MAX 255       /* bytes of a unique name */
#define UIDLIST_LOCK_WAIT 30       /* seconds to wait for the lock */

struct uidlist_rec {
	uint32_t uid;
	uint32_t name;             /* offset of the NUL-terminated name in names */
};

struct uidlist {
	uint32_t validity;         /* 0: no list yet */
	uint32_t next;
	uint32_t recent;           /* R: the lowest UID no session has claimed as \Recent */
	struct uidlist_rec *r;     /* n records, ascending UIDs; owned */
	unsigned long n, cap;
	stralloc names;
	uint32_t *idx;             /* hash index over names: record number + 1, 0 = free */
	unsigned long idxcap;      /* a power of two, at least 2n */
};

/* Reads dir/posthorn-uidlist.  0 (a missing file gives validity 0 and no
 * records), or -1 with errno (EINVAL: the file is malformed). */
int uidlist_read(struct uidlist *l, const char *dir);

/* Parses the text of a list (for tests and the fuzz target). 0 or -1. */
int uidlist_parse(struct uidlist *l, const char *text, size_t len);

/* The UID of a unique name (len bytes), 0 if not listed. */
uint32_t uidlist_find(const struct uidlist *l, const char *name, size_t len);

/* Adds a record with UID l->next and increments next.  The UID or 0 (ENOMEM,
 * or UIDs exhausted: ERANGE). */
uint32_t uidlist_add(struct uidlist *l, const char *name, size_t len);

/* Replaces dir/posthorn-uidlist durably with l; only the records for which
 * keep(arg, record) says 1 (all if keep is null).  Caller holds the lock.
 * 0 or -1. */
int uidlist_write(const struct uidlist *l, const char *dir, int (*keep)(void *, const struct uidlist_rec *),
		  void *arg);

/* Takes the lock of dir (waiting up to UIDLIST_LOCK_WAIT seconds); returns
 * the fd that holds it (close it to release), or -1. */
int uidlist_lock(const char *dir);

/* A new UIDVALIDITY: the time, or old + 1 when that is not larger than
 * old (wraps to 1 only after 0xffffffff). */
uint32_t uidlist_new_validity(uint32_t old);

/*
 * UIDVALIDITY (RFC 3501 2.3.1.1): a name must never show an old
 * UIDVALIDITY with other messages, whether its folder was deleted and made
 * again, renamed, or its list lost or removed by hand.  So every new one
 * is larger than every one given out before in the whole Maildir: the
 * last is kept in UIDLIST_VALIDITY_FILE in the Maildir's top directory
 * (ten digits and LF, rewritten in place under a flock of that file and
 * fsync'ed before the value is used), and also, as before, in the
 * folder's own lock file.
 */
#define UIDLIST_VALIDITY_FILE "posthorn-uidvalidity"

/* The UIDVALIDITY for folder dir (a Maildir, or a Maildir++ folder in one:
 * a last path component that starts with '.' but is not "." or ".."),
 * whose lock lockfd the caller holds: max(the time, the last one given in
 * the Maildir + 1, the last one given in the folder + 1), recorded
 * durably in both before it is returned.  Waits up to UIDLIST_LOCK_WAIT
 * seconds for the Maildir's record; the lock order is always the folder's
 * lock, then the record's.  A record that does not hold a number is
 * rewritten (only a hand edit makes one).  0 with errno when the record
 * cannot be taken, read or written (the caller must not make a list), or
 * ERANGE when UIDVALIDITYs are used up. */
uint32_t uidlist_fresh_validity(const char *dir, int lockfd);

void uidlist_free(struct uidlist *l);
#endif
