#ifndef RULES_H
#define RULES_H
/*
 * The per-user delivery-instructions file, MAILDIR/posthorn-rules
 * (format in posthorn-rules(5)).  One instruction per line, run in order:
 *
 *     # comment                 (and blank lines) ignored
 *     inbox                     deliver into the INBOX
 *     folder NAME               deliver into Maildir++ folder NAME
 *     forward ADDR [ADDR...]    re-inject to these addresses
 *     |COMMAND                  pipe the message to /bin/sh -c COMMAND
 *
 * When the file exists it replaces the default delivery to the INBOX.
 */
#include <stddef.h>
#include "addr.h"
#include "maildir.h"

#define RULES_FILE "posthorn-rules"
#define RULES_FILE_MAX 65536
#define RULES_LINE_MAX 4096
#define RULES_MAX 64            /* instructions per file */
#define RULES_FORWARD_MAX 32    /* addresses per forward line */

enum rule_kind { RULE_INBOX = 1, RULE_FOLDER, RULE_FORWARD, RULE_PIPE };

struct rule {
	enum rule_kind kind;
	unsigned line;          /* line number in the file, for messages */
	/* folder: the name; pipe: the command; forward: naddrs addresses, each
	 * NUL-terminated, one after the other, each already checked with
	 * addr_parse.  Points into rules.text. */
	const char *arg;
	unsigned naddrs;
};

struct rules {
	unsigned n;
	struct rule r[RULES_MAX];
	char *text;             /* owned copy of the file, args point into it */
};

/* Parses text (len bytes; need not be NUL-terminated).  Returns 0, or -1 with
 * *why a static reason and *line the offending line number.  Free with
 * rules_free even after a failure. */
int rules_parse(struct rules *rs, const char *text, size_t len, const char **why, unsigned *line);
void rules_free(struct rules *rs);

/* Reads and parses MAILDIR/posthorn-rules.  Returns 1 parsed, 0 no file,
 * -1 unreadable or invalid (why/line set; errno for I/O errors). */
int rules_load(struct rules *rs, const char *maildir, const char **why, unsigned *line);
#endif
