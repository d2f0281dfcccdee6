#ifndef MUTF7_H
#define MUTF7_H
/*
 * Modified UTF-7: the form of IMAP mailbox names on the wire (RFC 3501
 * section 5.1.3) and of Maildir++ folder names on disk (as Courier and
 * Dovecot keep them, so ".&ZeVnLIqe-" is the folder 日本語).
 *
 * A valid name, the only kind mutf7_check accepts and mutf7_from_utf8
 * makes:
 *   - a byte 0x20-0x7e other than '&' stands for itself;
 *   - "&-" stands for '&';
 *   - '&', then modified BASE64, then '-' stands for a run of characters
 *     from U+0080 up: BASE64 is RFC 4648 base64 with ',' in place of '/'
 *     and no '=' padding, of the run's UTF-16 code units (big-endian, a
 *     character above U+FFFF as one whole surrogate pair); the bits after
 *     the last unit are zero and fewer than 6;
 *   - and it is the one encoding of its text: no shift encodes a character
 *     that can stand for itself (RFC 3501: "MUST NOT"), and no shift
 *     follows another at once (the two would be one run);
 *   - no control character, neither as a byte nor encoded (U+0000-U+001F,
 *     U+007F-U+009F): they have no place in a name a person reads;
 *   - at most MUTF7_MAX bytes.
 * So a name compared byte for byte is compared as text, and every valid
 * name converts to UTF-8 and back to itself.
 *
 * The functions take counted bytes (a NUL is just an invalid byte) and
 * keep no pointer.  Errors are the negative values of enum mutf7_status.
 */
#include <stddef.h>
#include <stralloc.h>

#define MUTF7_MAX 1024    /* bytes of a name in modified UTF-7 (and of UTF-8 input) */

enum mutf7_status {
	MUTF7_OK = 0,
	MUTF7_TOOLONG = -1,      /* over MUTF7_MAX bytes (input or result) */
	MUTF7_BYTE = -2,         /* a byte outside 0x20-0x7e */
	MUTF7_UNTERMINATED = -3, /* a shift without its '-' */
	MUTF7_BASE64 = -4,       /* a character outside the modified BASE64 alphabet in a shift */
	MUTF7_BITS = -5,         /* a shift that ends within a code unit, or with bits set after it */
	MUTF7_SURROGATE = -6,    /* a surrogate without its other half */
	MUTF7_DIRECT = -7,       /* a shift encodes printable US-ASCII (or is empty) */
	MUTF7_ADJACENT = -8,     /* a shift right after another */
	MUTF7_CONTROL = -9,      /* a control character */
	MUTF7_UTF8 = -10,        /* mutf7_from_utf8: input that is not UTF-8 (RFC 3629) */
	MUTF7_NOMEM = -11
};

/* MUTF7_OK if s (len bytes) is a valid name, else why not. */
int mutf7_check(const char *s, size_t len);

/* The UTF-8 text of the valid name s into out (replacing its contents,
 * NUL-terminated, the NUL not counted).  MUTF7_OK or an error (out is
 * then empty). */
int mutf7_to_utf8(const char *s, size_t len, stralloc *out);

/* The modified UTF-7 name of the UTF-8 text s into out (as above).
 * MUTF7_OK, or an error: MUTF7_UTF8, MUTF7_CONTROL, MUTF7_TOOLONG,
 * MUTF7_NOMEM. */
int mutf7_from_utf8(const char *s, size_t len, stralloc *out);

/* A short English text for a status, for logs and replies. */
const char *mutf7_error(int status);
#endif
