#ifndef POP3CMD_H
#define POP3CMD_H
/*
 * One POP3 command line (RFC 1939 section 3, RFC 2449 section 4), split into
 * a keyword and its arguments.  Pure parsing: which keywords exist and what
 * their arguments mean is the server's business.
 *
 * A line is: a keyword of 1 to POP3CMD_KEYWORD_MAX printable characters,
 * then arguments separated by spaces, then CRLF (a bare LF is taken too).
 * The keyword is returned upper-cased.  Arguments are printable ASCII or
 * UTF-8 bytes (>= 0x80); a NUL or another control byte (other than the tab,
 * taken as a separator, and the final CR) refuses the line.  rest is
 * everything after the keyword and its one space, untouched, for PASS,
 * whose password may hold spaces (RFC 1939 section 7 leaves that open; we
 * take the rest of the line).
 */
#include <stddef.h>

#define POP3CMD_KEYWORD_MAX 4      /* RFC 2449: keywords are 3 or 4 characters */
#define POP3CMD_ARGS_MAX 4         /* arguments kept; nargs counts all */
#define POP3CMD_LINE_MAX 512       /* longest line parse takes (RFC 2449
                                      allows 255 for commands; we are lenient) */

enum pop3cmd_result {
	POP3CMD_OK = 0,
	POP3CMD_EMPTY = -1,        /* empty or blank line */
	POP3CMD_BADCHAR = -2,      /* NUL or control byte */
	POP3CMD_KEYWORD = -3,      /* keyword too long or not letters */
	POP3CMD_TOOLONG = -4       /* longer than POP3CMD_LINE_MAX */
};

struct pop3cmd {
	char keyword[POP3CMD_KEYWORD_MAX + 1];
	unsigned nargs;            /* how many there were; may exceed the kept */
	const char *arg[POP3CMD_ARGS_MAX];   /* NUL-terminated, in buf */
	const char *rest;          /* into the caller's line; "" if none */
	size_t restlen;
	char buf[POP3CMD_LINE_MAX + POP3CMD_ARGS_MAX];
};

/* Parses line[0..len).  The line ending (CRLF or LF) is cut off by
 * overwriting it with NULs, so line must hold len + 1 bytes (a stralloc from
 * stream_getline has its NUL there); rest points into line, NUL-terminated,
 * and lives as long as it does.  Returns a pop3cmd_result. */
int pop3cmd_parse(struct pop3cmd *c, char *line, size_t len);

/* A message number or line count argument: decimal digits only, no sign,
 * no leading zeros beyond "0", at most 9 digits.  0 or -1. */
int pop3cmd_number(const char *s, unsigned long *out);
#endif
