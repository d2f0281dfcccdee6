#ifndef IMAPSTORE_H
#define IMAPSTORE_H
/*
 * One Maildir++ folder as posthorn-imapd sees it: every message of new/ and
 * cur/ with its UID (from the folder's UID list, uidlist.h), its flags and
 * its keywords, kept in step with the disk by store_sync.
 *
 * Flags live in the file name, as every Maildir tool keeps them
 * (":2,<letters>" in ASCII order, mdflags.h): D \Draft, F \Flagged,
 * R \Answered, S \Seen, T \Deleted; other capitals (P "passed") are kept
 * as found.
 * Keywords are the small letters a..z, each naming the keyword on the line
 * with its index (0 = a) in the folder's "posthorn-keywords" file:
 *
 *     0 $Forwarded
 *     1 Work
 *
 * (the scheme of Dovecot's dovecot-keywords).  That file only grows, under
 * the UID list lock, and is replaced atomically; at most 26 keywords.
 *
 * Sync: new/ and cur/ are listed; names the UID list knows get their UID;
 * if any name is unknown, or a message waits in new/, the UID list lock is
 * taken, the list re-read and the folder listed again, each unknown name
 * gets the next UID (in delivery order), messages in new/ move to cur/,
 * and the list is written.  A listing during which cur/ changed is made
 * again, so a rename by another program never makes a message look gone.
 * Deliveries take no lock.
 *
 * "Unchanged" is judged by the mtimes of new/, cur/, the UID list and the
 * keywords file.  A file system stamps a change with the coarse clock (one
 * tick is several milliseconds; on some file systems a second), so two
 * changes in one tick leave one mtime: a sync whose mtimes are that fresh
 * does not trust them, and the next sync lists the folder again.
 *
 * \Recent (RFC 3501 2.3.2): a store opened with claim set (a read-write
 * session) claims the messages no session has seen yet (UIDs from the
 * list's R on, uidlist.h) at each sync, under the lock; those UIDs are
 * \Recent in this store alone.  Without claim (EXAMINE, STATUS), the
 * unclaimed messages are the recent ones and nothing is claimed.
 *
 * Flag changes rename the file without the lock (a rename is atomic; a
 * message renamed by someone else meanwhile is looked up again by its
 * unique name).  New messages (APPEND, COPY, MOVE) enter cur/ directly
 * under the lock: store_add_*.
 *
 * Mod-sequences (RFC 7162, CONDSTORE): the folder's index (folderindex.h)
 * holds each message's flags as last seen and the modseq of their last
 * change.  Each sync that lists the folder compares the flags of the file
 * names with it; a message that is new, or whose flags changed behind our
 * back (another Maildir tool renamed it), gets the next modseq, and one
 * that is gone is recorded expunged, under the UID list lock (a message
 * whose file changed again meanwhile is left to the next sync).  Our own
 * changes (store_setflags, store_remove) are written to the index between
 * store_begin and store_commit, under the lock; without them each call
 * takes the lock itself.  A crash between a rename and the index write
 * leaves a difference that the next sync gives a new modseq: modseqs
 * never go backwards.
 *
 * Paths are relative to the folder dir given to store_open (the server
 * runs inside the Maildir, so "." is INBOX and ".Sent" is Sent).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <stralloc.h>
#include "folderindex.h"
#include "mdflags.h"
#include "uidlist.h"

#define STORE_KEYWORDS_FILE "posthorn-keywords"
#define STORE_KEYWORDS_MAX 26
#define STORE_KEYWORD_LEN 64

/* The system flags are the Maildir letters' bits (mdflags.h). */
enum {
	STORE_SEEN = MDFLAG_SEEN, STORE_ANSWERED = MDFLAG_ANSWERED, STORE_FLAGGED = MDFLAG_FLAGGED,
	STORE_DELETED = MDFLAG_DELETED, STORE_DRAFT = MDFLAG_DRAFT, STORE_SYSTEM = MDFLAG_ALL
};
#define STORE_KW(i) (1u << (5 + (i)))     /* keyword i of the folder */

struct store_kw {
	char name[STORE_KEYWORDS_MAX][STORE_KEYWORD_LEN + 1];
	unsigned n;
};

struct store_msg {
	uint32_t uid;
	uint32_t flags;            /* STORE_* | STORE_KW(i) */
	uint32_t name;             /* offset in names of "cur/NAME" or "new/NAME" */
	uint16_t base;             /* bytes of the unique part of NAME */
	uint8_t recent;            /* \Recent for this store (see claim) */
	uint64_t modseq;           /* RFC 7162 MODSEQ, from the index */
};

struct store_claim { uint32_t lo, hi; };   /* UIDs lo..hi-1 */

struct store {
	char dir[1024];
	struct uidlist ul;
	struct store_msg *m;       /* n messages, ascending UIDs; owned */
	unsigned long n, cap;
	stralloc names;
	struct store_kw kw;
	struct timespec t_new, t_cur, t_list, t_kw, t_ix;   /* as of the last sync */
	struct folderindex ix;     /* the index as last read or written */
	int ixlocked, ixfd;        /* between store_begin and store_commit: the UID list lock's fd */
	int ixdirty;
	int synced;
	int unsure;                /* those mtimes were too fresh to trust */
	unsigned long gen;         /* changes whenever m[] is rebuilt or a flag is learnt */
	int claim;                 /* claims \Recent messages (set after store_open) */
	struct store_claim *claims;   /* the UID ranges this store claimed; owned */
	unsigned long nclaims, capclaims;
};

/* Sets up s for the folder dir (no I/O). */
int store_open(struct store *s, const char *dir);

/* Brings s in step with the disk.  force 0: nothing is read when new/,
 * cur/, the UID list and the keywords file are unchanged.  1 if the
 * message list was rebuilt, 0 if unchanged, -1 with errno. */
int store_sync(struct store *s, int force);

/* The index of uid in s->m, or -1. */
long store_find(const struct store *s, uint32_t uid);

/* "DIR/cur/NAME" of message i into buf.  0, or -1 (ENAMETOOLONG). */
int store_path(const struct store *s, unsigned long i, char *buf, size_t cap);

/* Opens message i (O_RDONLY); if it was renamed meanwhile it is found again.
 * fd, or -1 with errno ENOENT when it is gone. */
int store_open_msg(struct store *s, unsigned long i);

/* Changes the flags (STORE_* | STORE_KW bits) of message i by renaming
 * it: the new flags are (old & ~del) | add, where old are the flags of the
 * file as found (when someone else renamed it meanwhile, of its new name),
 * so a change by another session to other flags is kept.  0 (s->m[i].flags
 * holds the result), 1 when it is gone, -1 with errno. */
int store_setflags(struct store *s, unsigned long i, uint32_t add, uint32_t del);

/* Removes message i (EXPUNGE) and records it expunged in the index.  A
 * message already gone is fine.  0 or -1. */
int store_remove(struct store *s, unsigned long i);

/* Takes the UID list lock and reads the index, so that a run of
 * store_setflags and store_remove writes it once (store_commit); the
 * modseqs of s->m are then current (UNCHANGEDSINCE tests them).  0 or -1. */
int store_begin(struct store *s);
/* Writes the index if changed and releases the lock.  0 or -1. */
int store_commit(struct store *s);
/* HIGHESTMODSEQ as of the last sync or change. */
uint64_t store_highestmodseq(const struct store *s);

/* The keyword index of name (case-insensitive), or -1.  With create, a
 * missing keyword is added to the file (under the lock); -1 with ENOSPC
 * when the folder has 26. */
int store_keyword(struct store *s, const char *name, int create);

/* Bytes of the info letters: the capitals, a keyword letter each, a NUL. */
#define STORE_INFO_MAX (MDFLAGS_CAPITALS_MAX + STORE_KEYWORDS_MAX + 1)
/* The info letters of flags (":2," not included) into out (STORE_INFO_MAX
 * bytes): the capitals of mdflags_letters, then the keyword letters. */
void store_info(uint32_t flags, const char *keep, char *out);

/* Reads the keywords file of dir into kw.  0 or -1. */
int store_kw_read(struct store_kw *kw, const char *dir);

/* Adding messages to a folder (APPEND, COPY, MOVE): begin takes the
 * folder's lock and reads its UID list and keywords; each add makes
 * DIR/cur/UNIQUE:2,FLAGS from src (by rename, or by hard link with a copy
 * as fallback), gives it the next UID and sets its mtime (INTERNALDATE)
 * when mtime is not 0; end writes the keywords and the UID list, fsyncs
 * cur/ and releases the lock.  On error in add, call end anyway. */
struct store_adder {
	char dir[1024];
	int lockfd;
	struct uidlist ul;
	struct store_kw kw;
	int kwdirty, added;
};
enum { STORE_ADD_RENAME = 1, STORE_ADD_LINK = 2 };
int store_add_begin(struct store_adder *a, const char *dir);
/* kw: nkw keyword names for the message (mapped to this folder's letters,
 * created when missing; those over 26 are dropped). */
int store_add(struct store_adder *a, const char *src, int how, uint32_t sysflags, const char *const *kw, unsigned nkw,
	      time_t mtime, uint32_t *uid);
int store_add_end(struct store_adder *a);

/* Writes data (len bytes) into a new file in dir/tmp, turning CRLF
 * into LF, and fsyncs it; path gets its name.  0 or -1. */
int store_write_tmp(const char *dir, const char *data, size_t len, stralloc *path);

void store_free(struct store *s);
#endif
