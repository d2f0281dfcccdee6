#ifndef LOGINSTATE_H
#define LOGINSTATE_H
/*
 * The state a POP3/IMAP login half hands to its session (handoff.h): lines
 * "key value" up to an empty line, then the bytes the client had already
 * pipelined, raw.  The session process reads it as outside input: the
 * login half is exactly the code we do not trust, so the text is bounded,
 * a line without its key is simply absent, and values are copied with a
 * bound.
 *
 *     method plain
 *     tls TLSv1.3 TLS_AES_256_GCM_SHA384
 *     tag a001
 *
 *     a002 SELECT INBOX\r\n ...
 */
#include <stddef.h>
#include <stralloc.h>

#define LOGINSTATE_MAX (1024 + 16384)   /* the lines, and a stream buffer of input */

struct loginstate {
	stralloc text;             /* the whole state, NUL-terminated */
	const char *pipelined;     /* the client's bytes after the empty line */
	size_t pipelinedlen;
};

/* Splits st->text (set by the caller, any bytes, at most LOGINSTATE_MAX)
 * into its lines and the pipelined bytes.  0, or -1 (too long, no empty
 * line, ENOMEM). */
int loginstate_parse(struct loginstate *st);

/* The value of the first "key value" line, copied into out (cut to cap - 1
 * bytes, cap >= 1); null when there is none. */
const char *loginstate_value(const struct loginstate *st, const char *key, char *out, size_t cap);
#endif
