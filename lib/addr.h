#ifndef ADDR_H
#define ADDR_H
/*
 * Mail addresses per RFC 5321 (section 4.1.2 Mailbox, 4.5.3.1 limits),
 * RFC 5322 (dot-atom, quoted-string) and RFC 6531 (UTF-8 for SMTPUTF8).
 *
 * An address is parsed into its local part and domain.  The local part is
 * kept as the sender wrote it, with the quoting removed (so "a b"@x holds
 * `a b`); addr_format puts quotes back where they are needed.  The domain is
 * lower-cased (ASCII letters only; UTF-8 labels are kept as they are).
 * Local parts compare case-insensitively (addr_key lower-cases ASCII).
 *
 * Relay tricks are refused by default, because a later hop could read them
 * as routing: '%' and '!' in a local part, a quoted local part holding '@',
 * and source routes (@a,@b:user@c).  Pass ADDR_ALLOW_RELAYCHARS to accept
 * '%' and '!' as ordinary atext.
 */
#include <stddef.h>
#include <stralloc.h>

#define ADDR_LOCAL_MAX 64    /* octets, RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255  /* octets, RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX 256    /* octets incl. "<>", RFC 5321 4.5.3.1.3 */

/* Flags for addr_parse / addr_parse_path. */
enum {
	ADDR_ALLOW_UTF8 = 1,       /* UTF-8 in local part and domain (SMTPUTF8) */
	ADDR_ALLOW_EMPTY = 2,      /* the null path <> (MAIL FROM only) */
	ADDR_ALLOW_NODOMAIN = 4,   /* a bare local part: "postmaster" */
	ADDR_ALLOW_RELAYCHARS = 8  /* '%' and '!' as ordinary atext */
};

enum addr_error {
	ADDR_OK = 0,
	ADDR_ERR_EMPTY,          /* empty, and ADDR_ALLOW_EMPTY not given */
	ADDR_ERR_TOOLONG,        /* local part > 64, domain > 255 or path > 256 */
	ADDR_ERR_LOCAL,          /* bad local part syntax */
	ADDR_ERR_DOMAIN,         /* bad domain or address literal */
	ADDR_ERR_NODOMAIN,       /* no '@domain' and ADDR_ALLOW_NODOMAIN not given */
	ADDR_ERR_RELAY,          /* '%', '!', or '@' inside a quoted local part */
	ADDR_ERR_ROUTE,          /* a source route */
	ADDR_ERR_UTF8,           /* 8-bit without ADDR_ALLOW_UTF8, or invalid UTF-8 */
	ADDR_ERR_BRACKETS        /* addr_parse_path: missing or stray '<' '>' */
};

struct addr {
	char local[ADDR_LOCAL_MAX + 1];    /* unquoted, NUL-terminated */
	char domain[ADDR_DOMAIN_MAX + 1];  /* lower-cased; "" for <> or bare local */
	unsigned char empty;    /* the null path <> */
	unsigned char literal;  /* domain is an address literal [..] */
	unsigned char utf8;     /* local part or domain holds 8-bit bytes */
};

/* Parses "local@domain" (no angle brackets) of len bytes; NUL bytes are
 * invalid.  Returns ADDR_OK or an addr_error; *a is valid only on ADDR_OK. */
int addr_parse(struct addr *a, const char *s, size_t len, unsigned flags);

/* Parses an SMTP path "<local@domain>" (RFC 5321 4.1.2 Path).  The whole of
 * s must be the path (the caller splits off ESMTP parameters first). */
int addr_parse_path(struct addr *a, const char *s, size_t len, unsigned flags);

/* A short English reason for an addr_error, e.g. "local part too long". */
const char *addr_strerror(int err);

/* out = canonical text "local@domain" with the local part quoted when it is
 * not a dot-atom; "" for the null path.  NUL-terminated, len excludes NUL.
 * Returns 0 on ENOMEM. */
int addr_format(stralloc *out, const struct addr *a);

/* out = lookup key: addr_format with ASCII lower-cased throughout, so that
 * Alice@Example.ORG and alice@example.org are one key.  NUL-terminated. */
int addr_key(stralloc *out, const struct addr *a);

/* Plus-addressing: if the local part holds delim (e.g. '+'), splits it at
 * the first delim: base gets "user@domain" (a parsed address) and ext the
 * text after delim (NUL-terminated, at most ADDR_LOCAL_MAX).  Returns 1 when
 * split, 0 when the local part holds no delim (or starts with it, or delim is
 * 0); base and ext are then untouched. */
int addr_split_ext(const struct addr *a, char delim, struct addr *base, char ext[ADDR_LOCAL_MAX + 1]);

/* Is this domain syntactically valid (LDH labels or, with ADDR_ALLOW_UTF8,
 * UTF-8 labels; no literal)?  Returns ADDR_OK or ADDR_ERR_DOMAIN/TOOLONG/UTF8. */
int addr_check_domain(const char *s, size_t len, unsigned flags);
#endif
