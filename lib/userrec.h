#ifndef USERREC_H
#define USERREC_H
/*
 * One entry of the user list, as a line of text.  The same line is the value
 * stored in users.cdb and a line of `posthorn-user export`, so there is one
 * parser for both (format in posthorn-users(5)):
 *
 *     user ADDRESS [hash=CRYPT] maildir=/ABS/PATH [quota=BYTES] [sendhour=N] [sendday=N]
 *     alias ADDRESS to=ADDR[,ADDR...]
 *     domain DOMAIN [catchall=ADDR] [sendhour=N] [sendday=N]
 *
 * Fields are separated by one or more spaces or tabs; values hold no white
 * space and no control bytes.  Unknown field names are an error (a typo must
 * not silently drop a setting).  ADDRESS is stored in its lookup form
 * (addr_key: lower-cased).  Lines are bounded by USERREC_LINE_MAX.
 */
#include <stddef.h>
#include <stralloc.h>
#include "addr.h"

#define USERREC_LINE_MAX 8192
#define USERREC_HASH_MAX 255
#define USERREC_PATH_MAX 1023
#define USERREC_TARGETS_MAX 64   /* alias targets */
#define USERREC_SENDLIMIT_MAX 1000000000UL   /* sendhour=, sendday= */

enum userrec_kind { USERREC_USER = 1, USERREC_ALIAS, USERREC_DOMAIN };

struct userrec {
	enum userrec_kind kind;
	char name[ADDR_PATH_MAX + 1];           /* address key, or domain */
	char hash[USERREC_HASH_MAX + 1];        /* user: crypt(3) hash; "" = no login */
	char maildir[USERREC_PATH_MAX + 1];     /* user: absolute Maildir path */
	unsigned long long quota;               /* user: bytes; 0 = unlimited */
	char catchall[ADDR_PATH_MAX + 1];       /* domain: "" = none */
	unsigned long sendhour, sendday;        /* user, domain: send limits
	                                           (posthorn-queue(8)); 0 = the
	                                           domain's, else the setting */
	/* alias: ntargets addresses (lookup form), each NUL-terminated */
	unsigned ntargets;
	char targets[USERREC_TARGETS_MAX][ADDR_PATH_MAX + 1];
};

/* Parses one line (without its newline; a trailing '\r' or '\n' is an error).
 * Returns 0 and fills *r, or -1 and sets *why to a static English reason. */
int userrec_parse(struct userrec *r, const char *line, size_t len, const char **why);

/* out = the line for r (no newline).  0 on ENOMEM. */
int userrec_format(stralloc *out, const struct userrec *r);

/* The users.cdb key of a record: the address key, or "@domain". */
int userrec_key(stralloc *out, const struct userrec *r);
#endif
