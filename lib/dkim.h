#ifndef DKIM_H
#define DKIM_H
/*
 * DKIM verification (RFC 6376, with RFC 8463 ed25519-sha256 and RFC 8301's
 * algorithm and key-size rules) of a message that streams through:
 *
 *	dkim_init(&v);
 *	for each header field:  dkim_header(&v, field, len);
 *	dkim_headers_end(&v);
 *	for each body chunk:    dkim_body(&v, buf, len);
 *	dkim_finish(&v, &dns, now);
 *	read v.sig[0 .. v.nsig-1]: result, d, s, reason
 *	dkim_free(&v);
 *
 * The header section is kept (bounded by DKIM_HEADER_BYTES and
 * DKIM_HEADER_FIELDS); the body is never kept: each signature's body hash
 * is computed while it is fed.  Lines may end in CRLF or in a bare LF (the
 * queue's form); both are read as CRLF.  Key records are fetched in
 * dkim_finish through the caller's TXT callback, so tests use a table and
 * posthorn-smtpd uses libowfat's resolver.
 */
#include <stddef.h>
#include "stralloc.h"

#define DKIM_SIGS_MAX      8       /* signatures verified per message (RFC 6376 6.1) */
#define DKIM_TAGS_MAX      32      /* tags in one tag-list */
#define DKIM_TAGLIST_MAX   8192    /* bytes of one DKIM-Signature or key record */
#define DKIM_HNAMES_MAX    64      /* names in h= */
#define DKIM_HEADER_BYTES  (256 * 1024)
#define DKIM_HEADER_FIELDS 1000
#define DKIM_SIG_BYTES     512     /* 4096-bit RSA */
#define DKIM_KEY_BYTES     1024    /* DER of a 4096-bit RSA public key, with room */

enum dkim_result {
	DKIM_NONE,         /* not verified (not reached) */
	DKIM_PASS,
	DKIM_FAIL,         /* the body hash or the signature does not match */
	DKIM_NEUTRAL,      /* not checked: the header section went over our bounds */
	DKIM_TEMPERROR,    /* the key could not be fetched now */
	DKIM_PERMERROR,    /* bad signature or key record, no key, revoked, expired */
	DKIM_POLICY        /* valid form, but refused: rsa-sha1, RSA key out of 1024..4096 bits */
};

enum dkim_alg { DKIM_ALG_RSA_SHA256 = 1, DKIM_ALG_ED25519_SHA256, DKIM_ALG_RSA_SHA1 };
enum dkim_canon { DKIM_SIMPLE, DKIM_RELAXED };
enum dkim_keytype { DKIM_KEY_RSA = 1, DKIM_KEY_ED25519 };

/* Parse results: 0 is success. */
enum dkim_err {
	DKIM_OK = 0,
	DKIM_ERR_SYNTAX,      /* not a tag-list (RFC 6376 3.2) */
	DKIM_ERR_DUPTAG,      /* a tag twice: the whole list is invalid (3.2) */
	DKIM_ERR_TOOLONG,     /* over a DKIM_*_MAX bound */
	DKIM_ERR_MISSING,     /* a required tag is absent */
	DKIM_ERR_VALUE        /* a tag's value is malformed or unsupported */
};

/* One tag of a tag-list: offsets into the parsed text.  vlo..vhi is the
 * value without surrounding whitespace; rawlo..rawhi is everything between
 * '=' and ';' (what b= removal deletes, RFC 6376 3.5). */
struct dkim_tag {
	size_t nlo, nhi, vlo, vhi, rawlo, rawhi;
};

/* Splits s[0..len) into tags; a tag name twice is DKIM_ERR_DUPTAG. */
int dkim_taglist(const char *s, size_t len, struct dkim_tag *tag, size_t max, size_t *ntag);

/* A parsed DKIM-Signature.  Strings are NUL-terminated copies. */
struct dkim_sig {
	int alg, hcanon, bcanon;
	char d[256], s[64], i[256];
	char h[DKIM_HNAMES_MAX][64];   /* lower-cased field names of h= */
	size_t nh;
	unsigned char b[DKIM_SIG_BYTES], bh[64];
	size_t blen, bhlen;
	int has_l, has_t, has_x;
	unsigned long long l, t, x;
	size_t b_rawlo, b_rawhi;       /* b='s value in the field's value, for removal */
};

/* Parses the value of a DKIM-Signature field (after the colon). */
int dkim_sig_parse(struct dkim_sig *sig, const char *s, size_t len);

/* A parsed key record (RFC 6376 3.6.1). */
struct dkim_key {
	int type;                      /* DKIM_KEY_* */
	int revoked;                   /* p= empty */
	int testing;                   /* t=y */
	int strict;                    /* t=s: i= must be in d= itself */
	int sha1, sha256;              /* h=: hashes allowed (both when absent) */
	unsigned char p[DKIM_KEY_BYTES];
	size_t plen;
};
int dkim_key_parse(struct dkim_key *key, const char *s, size_t len);

/* base64 with folding white space anywhere in it (RFC 6376 2.4: b=, bh=,
 * p=; PEM keys too), into at most max bytes.  0, or -1 when it is not
 * base64 or does not fit. */
int dkim_base64(const char *s, size_t n, unsigned char *out, size_t max, size_t *outlen);

/* Header canonicalization (RFC 6376 3.4.1, 3.4.2) of one field, appended
 * to out with its CRLF: name and value as given (simple) or reduced
 * (relaxed).  Returns 0, or -1 when out of memory. */
int dkim_canon_header(stralloc *out, int canon, const char *field, size_t len);

/* Streaming body canonicalization (RFC 6376 3.4.3, 3.4.4, l= of 3.5).
 * put receives the canonical bytes, cut at limit when limit is set;
 * total counts every canonical byte, cut or not. */
struct dkim_body {
	int canon;
	int has_limit;
	unsigned long long limit, total, emitted;
	unsigned long empties;         /* empty lines held back (trailing ones are dropped) */
	int cr, wsp, content;          /* a CR seen; whitespace held (relaxed); the line has text */
	void (*put)(void *arg, const char *s, size_t n);
	void *arg;
	char buf[1024];
	size_t nbuf;
};
void dkim_body_init(struct dkim_body *b, int canon, void (*put)(void *, const char *, size_t), void *arg);
void dkim_body_feed(struct dkim_body *b, const char *s, size_t n);
void dkim_body_end(struct dkim_body *b);

/*
 * The caller's resolver.  txt() looks up TXT records of name and appends
 * each record to out, the strings of a record joined (RFC 6376 3.6.2.2),
 * followed by a NUL.  It returns DKIM_DNS_OK (out may hold no record),
 * DKIM_DNS_NONE (NXDOMAIN) or DKIM_DNS_TEMP (try later).
 */
enum { DKIM_DNS_OK, DKIM_DNS_NONE, DKIM_DNS_TEMP };
struct dkim_dns {
	int (*txt)(void *ctx, const char *name, stralloc *out);
	void *ctx;
};

/* One signature's state and its result: d and s give Authentication-Results
 * its header.d= and the selector; reason is a static string. */
struct dkim_one {
	enum dkim_result result;
	const char *reason;
	char d[256], s[64];
	int testing;                   /* the key says t=y (RFC 6376 3.6.1) */
	struct dkim_sig sig;
	size_t field;                  /* index of its DKIM-Signature field */
	struct dkim_body body;
	void *md;                      /* EVP_MD_CTX * of the body hash */
};

struct dkim {
	stralloc hdr;                  /* the header fields, as fed */
	size_t off[DKIM_HEADER_FIELDS + 1];
	size_t nfield;
	int overflow;                  /* the header section went over a bound */
	struct dkim_one sig[DKIM_SIGS_MAX];
	size_t nsig;
	stralloc tmp, txt;
};

void dkim_init(struct dkim *v);
/* One header field, folded lines included, with or without its last line
 * end.  Returns 0, or -1 when out of memory. */
int dkim_header(struct dkim *v, const char *field, size_t len);
void dkim_headers_end(struct dkim *v);
void dkim_body(struct dkim *v, const char *s, size_t n);
/* Fetches the keys and checks each signature; now is the time (seconds
 * since the epoch) for t= and x=. */
void dkim_finish(struct dkim *v, const struct dkim_dns *dns, unsigned long long now);
void dkim_free(struct dkim *v);

/* "pass", "fail", ... as RFC 8601 writes them. */
const char *dkim_result_str(enum dkim_result r);
#endif
