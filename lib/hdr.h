#ifndef HDR_H
#define HDR_H
/*
 * RFC 5322 header fields: recognising a field, unfolding it, and reading
 * the addresses out of an address-list field (To, Cc, Bcc, Resent-To, ...).
 *
 * Nothing here allocates except into the caller's stralloc; every input is
 * a (pointer, length) pair and may hold any byte.  Used by posthorn-sendmail
 * (-t) and meant for anything else that reads headers (bounces).
 */
#include <stddef.h>
#include <stralloc.h>

#define HDR_LINE_MAX 998   /* octets of one line without CRLF, RFC 5322 2.1.1 */

/* If the line s (len bytes, without its line end) starts a header field
 * (RFC 5322 2.2: a name of printable ASCII other than ':', then ':'; the
 * obsolete white space before the colon of 4.5 is allowed), returns the
 * length of the name (> 0); else 0. */
size_t hdr_name_len(const char *s, size_t len);

/* Is the field (starting with its name) named name?  Case-insensitive. */
int hdr_is(const char *field, size_t len, const char *name);

/* out = the field's body: the text after the colon with every line end
 * that is followed by white space removed (unfolding, RFC 5322 2.2.3), and
 * any other CR or LF dropped too.  Leading and trailing white space is kept.
 * Not NUL-terminated.  Returns 0 on ENOMEM, and -1 if field is not a field. */
int hdr_unfold(stralloc *out, const char *field, size_t len);

enum hdr_error {
	HDR_OK = 0,
	HDR_ERR_NOMEM,
	HDR_ERR_COMMENT,   /* unterminated comment */
	HDR_ERR_QUOTE,     /* unterminated quoted string */
	HDR_ERR_LITERAL,   /* unterminated domain literal [...] */
	HDR_ERR_ANGLE,     /* '<' without '>', or a stray '>' */
	HDR_ERR_GROUP,     /* a group inside a group */
	HDR_ERR_SYNTAX,    /* some other byte where an address must be */
	HDR_ERR_TOOMANY    /* more than max addresses */
};

/* Reads an RFC 5322 3.4 address-list (the unfolded body of a field, or a
 * command-line argument such as "Joe <joe@example.org>, ann") and appends
 * each address to out as the text of its addr-spec, NUL-terminated: comments
 * and folding white space removed, quoted strings and domain literals kept
 * as written, display names and group names dropped, an obsolete route in
 * an angle address (<@a,@b:u@c>) dropped (RFC 5322 4.4).  Members of a
 * group count as addresses; an empty group adds nothing.  Empty list
 * elements (",,") are skipped.  "<>" adds an empty string.  A NUL byte
 * anywhere is HDR_ERR_SYNTAX.
 *
 * The texts are not checked as addresses: give each to addr_parse.  *n is
 * increased by the number added; more than max in total is HDR_ERR_TOOMANY.
 * Returns HDR_OK or an hdr_error; on error out may hold part of the list. */
int hdr_addrlist(const char *s, size_t len, stralloc *out, unsigned long *n, unsigned long max);

/* A short English reason for an hdr_error. */
const char *hdr_strerror(int err);
#endif
