#ifndef SENDERLIST_H
#define SENDERLIST_H
/*
 * Allow and block lists of senders, per user and per domain, that win over
 * the spam classifier (format and precedence in posthorn-senders(5)).
 * They live in the config dir:
 *
 *     DIR/senders/USERKEY     a user's (USERKEY: users.cdb's address key)
 *     DIR/senders/@DOMAIN     a domain's
 *
 * each name encoded as sendlimit_filename does (bytes other than
 * [a-z0-9.@_-] as %XX), so no name holds '/' or starts with '.'.  One entry
 * a line, '#' starts a comment:
 *
 *     allow alice@example.org     an address (compared ignoring case)
 *     block example.com           that domain only
 *     block .example.com          that domain and every name under it
 *
 * posthorn-user(8) writes the files, posthorn-local(8) reads them (as root,
 * before it drops privileges, so the directory may be root's alone).
 */
#include <stddef.h>
#include <stralloc.h>
#include "addr.h"

#define SENDERLIST_DIR "senders"
#define SENDERLIST_FILE_MAX 65536    /* bytes of one file */
#define SENDERLIST_LINE_MAX 1024     /* bytes of one line */
#define SENDERLIST_ENTRIES_MAX 1000  /* entries of one file */
#define SENDERLIST_FROM_MAX 16       /* From addresses looked up */

enum senderlist_verdict { SENDERLIST_NONE = 0, SENDERLIST_ALLOW, SENDERLIST_BLOCK };

enum senderlist_kind {
	SENDERLIST_ADDRESS = 1,   /* pattern: an address key (addr_key) */
	SENDERLIST_DOMAIN,        /* pattern: a domain, lower-cased */
	SENDERLIST_SUBDOMAINS     /* pattern: a domain, lower-cased, written ".domain" */
};

struct senderlist_entry {
	enum senderlist_verdict action;   /* ALLOW or BLOCK */
	enum senderlist_kind kind;
	char pattern[ADDR_PATH_MAX + 1];  /* without the leading '.' of SUBDOMAINS */
	unsigned line;                    /* in the file, for messages */
};

struct senderlist {
	unsigned n;
	struct senderlist_entry *e;   /* n entries, malloc'ed; free with senderlist_free */
};

/* Reads one pattern (len bytes, no white space) into e->kind and
 * e->pattern, in the form it is stored and compared in: an address as its
 * lookup key, a domain lower-cased.  Returns 0, or -1 with *why a static
 * English reason (which says what to write instead where it can). */
int senderlist_pattern(struct senderlist_entry *e, const char *s, size_t len, const char **why);

/* Parses a file's text (len bytes, any bytes).  Entries keep the file's
 * order.
 * Returns 0, or -1 with *why a static reason and *line the offending line
 * number (0 when the whole file is at fault).  Free with senderlist_free
 * even after a failure. */
int senderlist_parse(struct senderlist *l, const char *text, size_t len, const char **why, unsigned *line);
void senderlist_free(struct senderlist *l);

/* out = the file's text for l: one "allow PATTERN" / "block PATTERN" line
 * an entry, in l's order.  0 on ENOMEM. */
int senderlist_format(stralloc *out, const struct senderlist *l);

/* The entry of l that decides for the address (an addr_key, "" for the
 * null sender, which nothing matches) and how specific it is, if it is more
 * specific than *best_rank (or as specific and a block over an allow):
 * *best and *best_rank are then replaced.  Specificity: an address, then
 * the domain itself, then the nearest parent domain.  Call it for each
 * address looked up, starting with *best = 0, *best_rank = 0. */
void senderlist_match(const struct senderlist *l, const char *key, const struct senderlist_entry **best,
                      size_t *best_rank);

/* out = "DIR/senders/NAME" for name (an address key or "@domain"), encoded
 * as above; NUL-terminated.  0 on ENOMEM. */
int senderlist_path(stralloc *out, const char *name);

/* Reads and parses the list called name (as for senderlist_path).  1 read,
 * 0 no such file (l empty), -1 unreadable or invalid (*why, *line set;
 * errno for I/O errors). */
int senderlist_load(struct senderlist *l, const char *name, const char **why, unsigned *line);

/* The verdict for a message to the user userkey (users.cdb's key) of
 * domain: the user's list, then the domain's, each looked up for the
 * envelope sender (env_sender, "" for <>) and every address of the From
 * field (from_field: its raw value, from_len bytes; null for none).  A list
 * that cannot be read or parsed is logged (log_event) and the answer is
 * SENDERLIST_NONE: a broken file never stops delivery. */
int senderlist_verdict(const char *userkey, const char *domain, const char *env_sender, const char *from_field,
                       size_t from_len);
#endif
