#ifndef SMTPREPLY_H
#define SMTPREPLY_H
/*
 * SMTP replies as a client reads them (RFC 5321 4.2): one or more lines
 * "CODE-text" ending with "CODE text" (or a bare "CODE").  Lines are fed one
 * at a time; the reply keeps its code and its lines joined with " / " so
 * that a log line or a bounce holds the server's whole answer.  Bounded:
 * SMTPREPLY_LINES_MAX lines, SMTPREPLY_TEXT_MAX bytes of text kept (the
 * rest is dropped, the reply still parses).
 */
#include <stddef.h>
#include <stralloc.h>

#define SMTPREPLY_LINES_MAX 200
#define SMTPREPLY_TEXT_MAX 4000

struct smtpreply {
	int code;          /* 200..599 once complete */
	unsigned lines;
	stralloc text;     /* "250-first / second", NUL-terminated: the lines as sent,
	                      CR/LF removed, control bytes as '?' */
};

/* Starts a new reply (keeps the allocation). */
void smtpreply_reset(struct smtpreply *r);

/* Feeds one line (without or with its CRLF).  Returns 1 when the reply is
 * complete, 0 when more lines follow, -1 for a malformed line (no 3-digit
 * code, a code that differs from the first line's, bad separator, too many
 * lines). */
int smtpreply_add(struct smtpreply *r, const char *line, size_t len);

/* The code's first digit: 2, 3, 4 or 5. */
int smtpreply_class(const struct smtpreply *r);

/* For EHLO replies: is keyword (e.g. "PIPELINING", "SIZE") one of the
 * extension lines (every line after the first), case-insensitively?  If
 * param is not null it gets a pointer into r->text at the keyword's
 * parameters (up to the next " / "), and *paramlen their length. */
int smtpreply_has(const struct smtpreply *r, const char *keyword, const char **param, size_t *paramlen);
#endif
