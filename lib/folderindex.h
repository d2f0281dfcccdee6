#ifndef FOLDERINDEX_H
#define FOLDERINDEX_H
/*
 * The per-folder index of posthorn-imapd: the file "posthorn-index" in each
 * Maildir++ folder, beside the UID list (uidlist.h) and the keywords file
 * (imapstore.h).  It holds what CONDSTORE and QRESYNC (RFC 7162) need and
 * the Maildir cannot tell: the mod-sequence (MODSEQ) of each message's
 * last flag change, the folder's HIGHESTMODSEQ, and which UIDs were
 * expunged at which mod-sequence (for VANISHED (EARLIER), 3.2.5.2).  The
 * format is in posthorn-index(5).
 *
 * Writers hold the UID list lock (uidlist_lock), re-read the file, change
 * it and replace it by rename (durable_commit): readers take no lock and
 * see the old or the new file whole.  A file that is missing, does not
 * check (bad magic, size or checksum, UIDs out of order) or belongs to
 * another UIDVALIDITY is rebuilt by the caller from the Maildir with
 * folderindex_rebuild, whose HIGHESTMODSEQ starts above any value a
 * client can have seen: above the floor kept in "posthorn-modseq" (the
 * last HIGHESTMODSEQ written, a decimal number) and above the time in
 * seconds shifted left by FOLDERINDEX_TIME_SHIFT (a floor that needs no
 * file: a folder would need 2^20 changes a second, for all of its past,
 * to pass it).
 *
 * Memory: 32 bytes a message in one array, plus 16 a range of expunged
 * UIDs (at most FOLDERINDEX_VANISHED_MAX ranges).
 */
#include <stddef.h>
#include <stdint.h>

#define FOLDERINDEX_FILE "posthorn-index"
#define FOLDERINDEX_FLOOR_FILE "posthorn-modseq"
#define FOLDERINDEX_MAGIC "PHINDEX1"
#define FOLDERINDEX_HEAD 48        /* bytes of the header */
#define FOLDERINDEX_REC 32         /* bytes of a message record */
#define FOLDERINDEX_VREC 16        /* bytes of an expunged range */
#define FOLDERINDEX_MSGS_MAX 10000000UL
#define FOLDERINDEX_VANISHED_MAX 4096
#define FOLDERINDEX_TIME_SHIFT 20
/* RFC 7162 3.1.1: mod-sequences are below 2^63 */
#define FOLDERINDEX_MODSEQ_MAX 0x7fffffffffffffffULL

struct folderindex_rec {
	uint32_t uid;
	uint32_t flags;            /* STORE_* bits with keywords (imapstore.h) */
	uint64_t modseq;           /* of the last change of flags (or arrival) */
	uint64_t size;             /* wire size, 0 when not known */
	int64_t date;              /* internal date (seconds), 0 when not known */
};

/* UIDs lo..hi (inclusive) were expunged, the last of them at modseq. */
struct folderindex_gone {
	uint32_t lo, hi;
	uint64_t modseq;
};

struct folderindex {
	uint32_t validity;         /* the UIDVALIDITY it belongs to; 0: none */
	uint64_t highest;          /* HIGHESTMODSEQ */
	uint64_t gone_floor;       /* expunges at modseqs up to this one may be missing from gone */
	struct folderindex_rec *r; /* n records, ascending UIDs; owned */
	unsigned long n, cap;
	unsigned long dead;        /* records expunged (modseq 0) not yet compacted */
	struct folderindex_gone *g;   /* ng ranges, ascending, apart; owned */
	unsigned long ng, capg;
};

/* Parses the bytes of an index file.  0, or -1 with errno EINVAL (does not
 * check), ENOMEM or EFBIG. */
int folderindex_parse(struct folderindex *x, const char *data, size_t len);
/* Reads dir's index.  1 read, 0 missing (x empty, validity 0), -1 with
 * errno (EINVAL: corrupt). */
int folderindex_read(struct folderindex *x, const char *dir);
/* The bytes of x's file into *out (malloc'ed; *len bytes).  0 or -1. */
int folderindex_format(const struct folderindex *x, char **out, size_t *len);
/* Replaces dir's index with x (temp file and rename) and records the floor.
 * Caller holds the UID list lock.  0 or -1. */
int folderindex_write(const struct folderindex *x, const char *dir);

/* Empties x for UIDVALIDITY validity with a HIGHESTMODSEQ above every
 * value dir's index could have given (old: the highest known from a file
 * that no longer checks, or 0).  Every expunge before is unknown. */
void folderindex_rebuild(struct folderindex *x, const char *dir, uint32_t validity, uint64_t old);

/* The index of uid's record, or -1 (none, or expunged). */
long folderindex_find(const struct folderindex *x, uint32_t uid);
/* The next mod-sequence (HIGHESTMODSEQ + 1, now the highest); 0 with
 * ERANGE when they are used up. */
uint64_t folderindex_next(struct folderindex *x);
/* Sets uid's flags: a new record, or one whose flags differ, gets the
 * next modseq.  1 changed, 0 same, -1 (ENOMEM, ERANGE). */
int folderindex_set(struct folderindex *x, uint32_t uid, uint32_t flags);
/* Gives record i the next modseq.  0 or -1 (ERANGE). */
int folderindex_touch(struct folderindex *x, long i);
/* Removes uid's record and notes it expunged at the next modseq.  0 or -1.
 * The record stays as a tombstone (modseq 0, not found, not written)
 * until folderindex_compact, so that expunging many is linear. */
int folderindex_expunge(struct folderindex *x, uint32_t uid);
void folderindex_compact(struct folderindex *x);
/* Notes uid expunged at modseq (no record needed); bounded: the ranges
 * with the oldest modseqs are dropped first, raising gone_floor. */
int folderindex_gone(struct folderindex *x, uint32_t uid, uint64_t modseq);
/* Is the record of expunges complete after modseq since (RFC 7162
 * 3.2.5.2)?  When not, a caller reports every UID it cannot find. */
int folderindex_gone_complete(const struct folderindex *x, uint64_t since);

void folderindex_free(struct folderindex *x);
#endif
