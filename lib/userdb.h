#ifndef USERDB_H
#define USERDB_H
/*
 * users.cdb, the user list: the only module that touches CDB (tinycdb).
 *
 * Keys: the lower-cased address for users and aliases ("alice@example.org"),
 * "@example.org" for a domain we receive mail for.  Values: a userrec line.
 * Readers: every lookup is open + cdb_init (mmap) + find + close: the file is
 * small and the page cache holds it, and no state survives between calls so a
 * rebuilt file is seen at once.  The writer (posthorn-user) builds a new file
 * beside the old one and renames it over, so a reader sees the old or the new
 * file, never a half one.
 */
#include <stralloc.h>
#include "addr.h"
#include "userrec.h"

enum userdb_result {
	USERDB_FOUND = 1,
	USERDB_NOUSER = 0,     /* the domain is ours but the address is not */
	USERDB_NODOMAIN = -1,  /* not one of our domains */
	USERDB_TEMP = -2,      /* cannot open or read the file (errno): retry later */
	USERDB_CORRUPT = -3    /* not a CDB, or a record that does not parse */
};

/* Exact lookup of one key.  Returns USERDB_FOUND, USERDB_NOUSER (no such
 * key), USERDB_TEMP or USERDB_CORRUPT. */
int userdb_get(const char *cdbpath, const char *key, size_t keylen, struct userrec *out);

/* How userdb_resolve found the address. */
enum userdb_how {
	USERDB_EXACT = 1,    /* the address itself */
	USERDB_BASE,         /* user+ext@dom found as user@dom; ext holds "ext" */
	USERDB_CATCHALL      /* the domain's catch-all; rec is the domain record */
};

struct userdb_hit {
	enum userdb_how how;
	struct userrec rec;             /* user or alias record; domain for CATCHALL */
	char ext[ADDR_LOCAL_MAX + 1];   /* "" unless how == USERDB_BASE */
};

/* The lookup that smtpd (at RCPT) and posthorn-local share: the exact
 * address; else, if the local part holds delim, the base address; else the
 * domain's catch-all.  Returns USERDB_FOUND, USERDB_NOUSER, USERDB_NODOMAIN,
 * USERDB_TEMP or USERDB_CORRUPT. */
int userdb_resolve(const char *cdbpath, const struct addr *a, char delim, struct userdb_hit *hit);

/* All records, for rebuilds, list and export.  A missing file is an empty
 * list.  records gets n struct userrec (malloc'ed; free with userdb_free).
 * Returns 0, USERDB_TEMP or USERDB_CORRUPT. */
int userdb_load(const char *cdbpath, struct userrec **records, unsigned long *n);
void userdb_free(struct userrec *records);

/* Why the last call returned USERDB_CORRUPT, one line of English ("record
 * alice@example.org: unknown field"); valid until the next userdb call. */
const char *userdb_corrupt_reason(void);

/* Writes records as a new users.cdb: temp file, cdb_make, fsync, rename,
 * fsync dir (durable_*).  Duplicate keys are an error (EEXIST). 0 or -1. */
int userdb_write(const char *cdbpath, const struct userrec *records, unsigned long n);

/* Takes the writers' lock (flock on "CDBPATH.lock", created if missing) and
 * returns its fd; blocks until free.  -1 on error. */
int userdb_lock(const char *cdbpath);
#endif
