#ifndef DKIMSIGN_H
#define DKIMSIGN_H
/*
 * DKIM signing (RFC 6376, with RFC 8463 ed25519-sha256) of a message that
 * streams through, for posthorn-queue:
 *
 *	dkimsign_init(&s);
 *	dkimsign_feed(&s, buf, len);   ... the whole message, in any pieces
 *	dkimsign_end(&s);
 *	dkimsign_from_domain(&s, domain)   the first From field's domain
 *	for each key:  dkimsign_key_read(&k, pem, len, selector);
 *	               dkimsign_sign(&s, &k, domain, now, &out);
 *	dkimsign_free(&s);
 *
 * The message is in the queue's form (LF line ends; CRLF is read the same).
 * Canonicalization is lib/dkim's (relaxed/relaxed), so the verifier and the
 * signer cannot disagree.  The header section is kept (bounded by
 * DKIMSIGN_HEADER_BYTES; a bigger one is not signed); the body is hashed as
 * it streams (one body hash serves every signature: same canonicalization,
 * no l=).  Each signature is one DKIM-Signature field, in the queue's form
 * (LF line ends, folded to lines under 78 bytes), appended to out.
 */
#include <stddef.h>
#include <stralloc.h>
#include "dkim.h"
#include "hdrsplit.h"

#define DKIMSIGN_HEADER_BYTES (256 * 1024)
#define DKIMSIGN_KEY_BYTES    16384   /* bytes of a PEM key file */
#define DKIMSIGN_KEYS_MAX     4       /* signatures per message */

struct dkimsign_key {
	int type;                 /* DKIM_KEY_RSA or DKIM_KEY_ED25519 */
	char selector[64];
	void *rsa;                /* RSA * */
	unsigned char seed[32];   /* the Ed25519 private key */
};

/* Reads a PEM private key: "PRIVATE KEY" (PKCS#8, RSA or Ed25519) or "RSA
 * PRIVATE KEY" (PKCS#1).  selector: letters, digits, '-', '_' (RFC 6376
 * 3.1), at most 63 bytes.  0, or -1 with *why set to a static reason. */
int dkimsign_key_read(struct dkimsign_key *k, const char *pem, size_t len, const char *selector, const char **why);
void dkimsign_key_free(struct dkimsign_key *k);

struct dkimsign {
	struct hdrsplit split;
	stralloc hdr;             /* the header fields, as fed */
	size_t off[DKIM_HEADER_FIELDS + 1];
	size_t nfield;
	int overflow;             /* the header went over our bounds, or did not
	                             end with an empty line: no signature */
	int noblank;              /* the header ended without an empty line */
	struct dkim_body body;
	void *sha;                /* SHA256_CTX * of the body */
	unsigned char bh[32];
	int done;
	stralloc tmp;
};

/* 0, or -1 when libcrypto cannot be loaded (lib/dkimsign.c opens it on
 * first use) or memory ran out. */
int dkimsign_init(struct dkimsign *s);
void dkimsign_feed(struct dkimsign *s, const char *buf, size_t len);
void dkimsign_end(struct dkimsign *s);
void dkimsign_free(struct dkimsign *s);

/* The domain of the address in the message's From field, lower-cased, into
 * out (NUL-terminated, size bytes).  0; or -1 with *why: no From field,
 * several, several addresses in it, or one that is not a plain address with
 * a domain name. */
int dkimsign_from_domain(struct dkimsign *s, char *out, size_t size, const char **why);

/* Appends one DKIM-Signature field for domain d, selector and key k, t=now.
 * 0; or -1 with *why (the header went over its bounds, no From field, out
 * of memory, the crypto failed). */
int dkimsign_sign(struct dkimsign *s, const struct dkimsign_key *k, const char *d, unsigned long long now,
                  stralloc *out, const char **why);
#endif
