/*
 * DKIM signing: the header fields kept, the body hashed as it streams, and
 * one DKIM-Signature per key (lib/dkimsign.h).
 */
#include <string.h>
#include <stdlib.h>
/* SHA-256 and RSA through libcrypto's direct calls, for the reason lib/dkim.c
 * gives at its top (EVP fetches build provider tables: ~3 ms a process).
 *
 * Keys are read without the decoder framework too.  PEM_read_bio_PrivateKey
 * (and PEM_read_bio_RSAPrivateKey, which OpenSSL 3 builds on it) loads the
 * config file and the decoders: measured on this machine at 1.2 to 1.7 ms
 * for a key in a fresh process, against 20 us (Ed25519) to 90 us (RSA)
 * for the walk below (tools/bench-sign prints both).  The walk: the PEM
 * armour and base64 by hand, then PKCS#8 (RFC 5208) by its DER bytes -- an RSA key's inner
 * RSAPrivateKey goes to d2i_RSAPrivateKey (ASN.1 templates, no decoders),
 * and an Ed25519 key (RFC 8410 7) is 48 bytes of DER whose last 32 are the
 * seed, given to EVP_PKEY_new_raw_private_key.  Ed25519 has no direct call:
 * its signing goes through EVP_DigestSign.
 *
 * libcrypto is opened on first use (dlopen), not linked: posthorn-queue
 * runs once per message and few messages are signed, while a static
 * libcrypto made every exec of it fault in some 100 more pages, about
 * 0.3 ms measured here (tools/bench-sign).  lib/dmarc.c does the same with
 * libpsl.  Only the functions below are called, through pointers; the
 * program is linked with --gc-sections so that lib/dkim.c's verifier,
 * whose canonicalization we share, brings in no libcrypto reference. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <dlfcn.h>
#include "dkimsign.h"
#include "addr.h"
#include "hdr.h"

#define CRYPTO_FUNCS(X) X(SHA256_Init) X(SHA256_Update) X(SHA256_Final) X(d2i_RSAPrivateKey) \
	X(RSA_bits) X(RSA_size) X(RSA_free) X(RSA_sign) X(EVP_PKEY_new_raw_private_key) X(EVP_MD_CTX_new) \
	X(EVP_DigestSignInit) X(EVP_DigestSign) X(EVP_MD_CTX_free) X(EVP_PKEY_free) X(OPENSSL_init_crypto)
#define DECLARE(f) static __typeof__(f) *p_##f;
CRYPTO_FUNCS(DECLARE)

/* 0 once libcrypto's functions are there, else -1 (every time). */
static int crypto(void)
{
	static int state;   /* 0 not tried, 1 loaded, -1 failed */
	void *lib;

	if (state) return state > 0 ? 0 : -1;
	state = -1;
	if (!(lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL))) return -1;
#define LOAD(f) if (!(*(void **)&p_##f = dlsym(lib, #f))) return -1;
	CRYPTO_FUNCS(LOAD)
	/* as lib/dkim.c: without reading openssl.cnf, which holds nothing
	 * for signing (and which a set-user-ID program should not take
	 * from its environment anyway) */
	p_OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, 0);
	state = 1;
	return 0;
}

#define LINE_MAX_OUT 76   /* bytes of a folded line of ours: under 78 (RFC 5322 2.1.1) */

/* ---- keys ---- */

static const char *memfind(const char *s, size_t n, const char *pat)
{
	size_t m = strlen(pat), i;
	for (i = 0; i + m <= n; i++)
		if (!memcmp(s + i, pat, m)) return s + i;
	return 0;
}

/* One DER TLV at d[*pos..n): its tag must be tag; *pos moves to its
 * contents, *len is their length.  Short and long form lengths (up to 3
 * bytes, more than any key here). */
static int der(const unsigned char *d, size_t n, size_t *pos, int tag, size_t *len)
{
	size_t p = *pos, l;

	if (p + 2 > n || d[p] != tag) return -1;
	l = d[p + 1];
	p += 2;
	if (l & 0x80) {
		size_t k = l & 0x7f, i;
		if (k == 0 || k > 3 || p + k > n) return -1;
		for (l = 0, i = 0; i < k; i++) l = l << 8 | d[p++];
	}
	if (l > n - p) return -1;
	*pos = p;
	*len = l;
	return 0;
}

static const unsigned char OID_RSA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const unsigned char OID_ED25519[] = {0x2b, 0x65, 0x70};

static int rsa_der(struct dkimsign_key *k, const unsigned char *d, size_t n, const char **why)
{
	const unsigned char *p = d;
	RSA *rsa = p_d2i_RSAPrivateKey(0, &p, (long)n);

	if (!rsa) return *why = "bad RSA key", -1;
	/* RFC 8301 3.2: at least 1024 bits (2048 wanted); our verifier takes
	 * up to 4096 */
	if (p_RSA_bits(rsa) < 1024 || p_RSA_bits(rsa) > 4096) {
		p_RSA_free(rsa);
		return *why = "RSA key not of 1024 to 4096 bits", -1;
	}
	k->type = DKIM_KEY_RSA;
	k->rsa = rsa;
	return 0;
}

/* PKCS#8 PrivateKeyInfo: SEQUENCE { INTEGER 0, SEQUENCE { OID, [params] },
 * OCTET STRING key }. */
static int pkcs8(struct dkimsign_key *k, const unsigned char *d, size_t n, const char **why)
{
	size_t pos = 0, len, alg, alglen, oid, oidlen;

	*why = "bad PKCS#8 key";
	if (der(d, n, &pos, 0x30, &len)) return -1;
	n = pos + len;
	if (der(d, n, &pos, 0x02, &len) || len != 1 || d[pos] != 0) return -1;
	pos += len;
	if (der(d, n, &pos, 0x30, &alglen)) return -1;
	alg = pos;
	oid = pos;
	if (der(d, alg + alglen, &oid, 0x06, &oidlen)) return -1;
	pos = alg + alglen;
	if (der(d, n, &pos, 0x04, &len)) return -1;
	if (oidlen == sizeof OID_RSA && !memcmp(d + oid, OID_RSA, oidlen)) return rsa_der(k, d + pos, len, why);
	if (oidlen == sizeof OID_ED25519 && !memcmp(d + oid, OID_ED25519, oidlen)) {
		size_t in = pos, seedlen;
		/* RFC 8410 7: CurvePrivateKey ::= OCTET STRING, the 32-byte seed */
		if (der(d, pos + len, &in, 0x04, &seedlen) || seedlen != 32) return -1;
		memcpy(k->seed, d + in, 32);
		k->type = DKIM_KEY_ED25519;
		return 0;
	}
	return *why = "key neither RSA nor Ed25519", -1;
}

int dkimsign_key_read(struct dkimsign_key *k, const char *pem, size_t len, const char *selector, const char **why)
{
	static const char *const kinds[] = {"PRIVATE KEY", "RSA PRIVATE KEY"};
	unsigned char der_buf[DKIMSIGN_KEY_BYTES];
	size_t i, dlen;
	int r = -1;

	memset(k, 0, sizeof *k);
	*why = "libcrypto cannot be loaded";
	if (crypto()) return -1;
	*why = "bad selector";
	for (i = 0; selector[i]; i++) {
		unsigned char c = selector[i];
		if (i == sizeof k->selector - 1) return -1;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -1;
	}
	if (!i) return -1;
	memcpy(k->selector, selector, i + 1);
	*why = "key file too big";
	if (len > DKIMSIGN_KEY_BYTES) return -1;
	*why = "no PEM private key (PRIVATE KEY or RSA PRIVATE KEY)";
	for (i = 0; i < 2; i++) {
		char begin[64], end[64];
		const char *b, *e;
		strcpy(begin, "-----BEGIN ");
		strcat(begin, kinds[i]);
		strcat(begin, "-----");
		strcpy(end, "-----END ");
		strcat(end, kinds[i]);
		strcat(end, "-----");
		if (!(b = memfind(pem, len, begin))) continue;
		b += strlen(begin);
		if (!(e = memfind(b, len - (size_t)(b - pem), end))) continue;
		if (dkim_base64(b, (size_t)(e - b), der_buf, sizeof der_buf, &dlen)) {
			*why = "bad base64 in the PEM key";
			break;
		}
		r = i == 0 ? pkcs8(k, der_buf, dlen, why) : rsa_der(k, der_buf, dlen, why);
		break;
	}
	explicit_bzero(der_buf, sizeof der_buf);
	return r;
}

void dkimsign_key_free(struct dkimsign_key *k)
{
	if (k->rsa) p_RSA_free(k->rsa);
	k->rsa = 0;
	explicit_bzero(k->seed, sizeof k->seed);
}

/* ---- the message ---- */

static void body_put(void *arg, const char *s, size_t n)
{
	p_SHA256_Update(arg, s, n);
}

static void field_add(struct dkimsign *s, const char *data, size_t len)
{
	if (s->overflow) return;
	if (s->hdr.len + len > DKIMSIGN_HEADER_BYTES || s->nfield == DKIM_HEADER_FIELDS ||
	    !stralloc_catb(&s->hdr, data, len)) {
		s->overflow = 1;
		return;
	}
	s->off[++s->nfield] = s->hdr.len;
}

static void event(void *arg, enum hdrsplit_event ev, const char *data, size_t len)
{
	struct dkimsign *s = arg;

	switch (ev) {
	case HDRSPLIT_FIELD:
		field_add(s, data, len);
		break;
	case HDRSPLIT_FIELD_PART:
		s->overflow = 1;   /* a field over 64 KiB: not signed */
		break;
	case HDRSPLIT_END:
		/* the empty line, or none: then what follows must start
		 * with one in CRLF form (lib/hdrsplit reads lines to LF), or
		 * the header did not end as RFC 5322 2.1 says and a verifier
		 * could split it elsewhere: not signed */
		s->noblank = len == 0;
		break;
	case HDRSPLIT_BODY:
		if (s->noblank) {
			s->noblank = 0;
			if (len < 2 || data[0] != '\r' || data[1] != '\n') {
				s->overflow = 1;
				break;
			}
			data += 2;
			len -= 2;
		}
		if (!s->overflow) dkim_body_feed(&s->body, data, len);
		break;
	}
}

int dkimsign_init(struct dkimsign *s)
{
	memset(s, 0, sizeof *s);
	if (crypto()) return -1;
	if (!(s->sha = malloc(sizeof(SHA256_CTX)))) return -1;
	p_SHA256_Init(s->sha);
	dkim_body_init(&s->body, DKIM_RELAXED, body_put, s->sha);
	hdrsplit_init(&s->split, event, s);
	return 0;
}

void dkimsign_feed(struct dkimsign *s, const char *buf, size_t len)
{
	hdrsplit_feed(&s->split, buf, len);
}

void dkimsign_end(struct dkimsign *s)
{
	hdrsplit_end(&s->split);
	if (s->split.nomem) s->overflow = 1;
	dkim_body_end(&s->body);
	p_SHA256_Final(s->bh, s->sha);
	s->done = 1;
}

void dkimsign_free(struct dkimsign *s)
{
	hdrsplit_free(&s->split);
	stralloc_free(&s->hdr);
	stralloc_free(&s->tmp);
	free(s->sha);
	s->sha = 0;
}

static const char *field(const struct dkimsign *s, size_t i, size_t *len)
{
	*len = s->off[i + 1] - s->off[i];
	return s->hdr.s + s->off[i];
}

int dkimsign_from_domain(struct dkimsign *s, char *out, size_t size, const char **why)
{
	size_t i, len, found = 0;
	const char *f = 0;
	unsigned long n = 0;
	struct addr a;
	int e;

	if (s->overflow) return *why = "header too big to sign", -1;
	for (i = 0; i < s->nfield; i++) {
		size_t l;
		const char *g = field(s, i, &l);
		if (hdr_is(g, l, "from")) {
			f = g;
			len = l;
			found++;
		}
	}
	/* RFC 6376 5.3 / RFC 5322 3.6: exactly one From */
	if (!found) return *why = "no From field", -1;
	if (found > 1) return *why = "several From fields", -1;
	s->tmp.len = 0;
	if (hdr_unfold(&s->tmp, f, len) != 1) return *why = "out of memory", -1;
	{
		stralloc list = {0};
		e = hdr_addrlist(s->tmp.s, s->tmp.len, &list, &n, 2);
		if (e != HDR_OK || n != 1) {
			stralloc_free(&list);
			return *why = e == HDR_ERR_NOMEM ? "out of memory" : n > 1 || e == HDR_ERR_TOOMANY ? "several From addresses" : "bad From address", -1;
		}
		e = addr_parse(&a, list.s, strlen(list.s), ADDR_ALLOW_UTF8);
		stralloc_free(&list);
	}
	if (e != ADDR_OK || !a.domain[0] || a.literal) return *why = "From address without a domain name", -1;
	if (strlen(a.domain) >= size) return *why = "From domain too long", -1;
	strcpy(out, a.domain);
	return 0;
}

/* ---- the signature ---- */

/* The fields signed when present (RFC 6376 5.4.1's list, less the
 * ones a relay may change), and List-* of RFC 2369/2919/8058.  The four
 * first are oversigned: named once more than they occur, so that no one
 * can add another one (RFC 6376 5.4.2, 8.15). */
static const char *const signed_names[] = {
	"from", "to", "subject", "date",
	"reply-to", "cc", "message-id", "in-reply-to", "references", "sender",
	"mime-version", "content-type", "content-transfer-encoding", "content-id", "content-description",
	"resent-date", "resent-from", "resent-sender", "resent-to", "resent-cc", "resent-message-id",
	"list-id", "list-help", "list-unsubscribe", "list-unsubscribe-post", "list-subscribe", "list-post",
	"list-owner", "list-archive", 0
};
#define OVERSIGNED 4

static size_t count(const struct dkimsign *s, const char *name)
{
	size_t i, n = 0, l;
	for (i = 0; i < s->nfield; i++) {
		const char *f = field(s, i, &l);
		if (hdr_is(f, l, name)) n++;
	}
	return n;
}

/* Folding: text goes on the current line, or on a new one ("\n\t") when
 * it would make that line too long.  sep is put before text on the same
 * line. */
struct fold {
	stralloc *out;
	size_t linestart;
	int nomem;
};

static void put(struct fold *f, const char *sep, const char *text, size_t n)
{
	size_t line = f->out->len - f->linestart;
	if (line + strlen(sep) + n > LINE_MAX_OUT && line > 1) {
		if (!stralloc_cats(f->out, "\n\t")) f->nomem = 1;
		f->linestart = f->out->len - 1;
	} else if (!stralloc_cats(f->out, sep)) {
		f->nomem = 1;
	}
	if (!stralloc_catb(f->out, text, n)) f->nomem = 1;
}

static void puts_(struct fold *f, const char *sep, const char *text) { put(f, sep, text, strlen(text)); }

static void base64(const unsigned char *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = a[in[i] >> 2];
		out[o++] = a[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = a[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		out[o++] = a[in[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = a[in[i] >> 2];
		if (i + 1 < n) {
			out[o++] = a[(in[i] & 3) << 4 | in[i + 1] >> 4];
			out[o++] = a[(in[i + 1] & 15) << 2];
		} else {
			out[o++] = a[(in[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = 0;
}

static int ed25519_sign(const unsigned char seed[32], const unsigned char hash[32], unsigned char *sig, size_t *siglen)
{
	EVP_PKEY *pk = p_EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, 0, seed, 32);
	EVP_MD_CTX *mc = pk ? p_EVP_MD_CTX_new() : 0;
	int ok = 0;

	/* RFC 8463 3: PureEdDSA over the SHA-256 hash of the header data */
	if (mc) ok = p_EVP_DigestSignInit(mc, 0, 0, 0, pk) == 1 && p_EVP_DigestSign(mc, sig, siglen, hash, 32) == 1;
	p_EVP_MD_CTX_free(mc);
	p_EVP_PKEY_free(pk);
	return ok ? 0 : -1;
}

int dkimsign_sign(struct dkimsign *s, const struct dkimsign_key *k, const char *d, unsigned long long now,
                  stralloc *out, const char **why)
{
	const char *h[DKIM_HNAMES_MAX];
	size_t nh = 0, i, j, start = out->len, n;
	char used[DKIM_HEADER_FIELDS], num[24], b64[700];
	unsigned char hash[32], sig[DKIM_SIG_BYTES];
	size_t siglen = sizeof sig;
	struct fold f = {out, out->len, 0};
	SHA256_CTX c;

	if (!s->done || s->overflow) return *why = "header too big to sign", -1;
	if (k->type == DKIM_KEY_RSA && (size_t)p_RSA_size(k->rsa) > sizeof sig) return *why = "RSA key too big", -1;
	/* h=: each name as often as it occurs, the oversigned ones once more;
	 * at most DKIM_HNAMES_MAX names (verifiers, ours too, bound h=) */
	for (i = 0; signed_names[i]; i++) {
		size_t c = count(s, signed_names[i]) + (i < OVERSIGNED);
		for (j = 0; j < c && nh < DKIM_HNAMES_MAX; j++) h[nh++] = signed_names[i];
	}
	if (count(s, "from") != 1) return *why = "no single From field", -1;

	/* the field, b= empty: this text is what gets signed (RFC 6376 3.7) */
	if (!stralloc_cats(out, "DKIM-Signature:")) return *why = "out of memory", -1;
	puts_(&f, " ", "v=1;");
	puts_(&f, " ", k->type == DKIM_KEY_RSA ? "a=rsa-sha256;" : "a=ed25519-sha256;");
	puts_(&f, " ", "c=relaxed/relaxed;");
	s->tmp.len = 0;
	if (!stralloc_cats(&s->tmp, "d=") || !stralloc_cats(&s->tmp, d) || !stralloc_cats(&s->tmp, ";")) f.nomem = 1;
	else put(&f, " ", s->tmp.s, s->tmp.len);
	s->tmp.len = 0;
	if (!stralloc_cats(&s->tmp, "s=") || !stralloc_cats(&s->tmp, k->selector) || !stralloc_cats(&s->tmp, ";")) f.nomem = 1;
	else put(&f, " ", s->tmp.s, s->tmp.len);
	n = 0;
	{
		unsigned long long t = now;
		char rev[24];
		do { rev[n++] = (char)('0' + t % 10); t /= 10; } while (t);
		num[0] = 't';
		num[1] = '=';
		for (j = 0; j < n; j++) num[2 + j] = rev[n - 1 - j];
		num[2 + n] = ';';
		num[3 + n] = 0;
	}
	puts_(&f, " ", num);
	for (i = 0; i < nh; i++) {
		char item[40];
		strcpy(item, i ? ":" : "h=");
		strcat(item, h[i]);
		if (i == nh - 1) strcat(item, ";");
		puts_(&f, i ? "" : " ", item);
	}
	strcpy(b64, "bh=");
	base64(s->bh, 32, b64 + 3);
	strcat(b64, ";");
	puts_(&f, " ", b64);
	puts_(&f, " ", "b=");
	if (f.nomem) return out->len = start, *why = "out of memory", -1;

	/* the header hash: each h= name takes the lowest instance not taken
	 * yet (RFC 6376 5.4.2), one that is not there adds nothing; then this
	 * field without its line end */
	memset(used, 0, sizeof used);
	s->tmp.len = 0;
	for (i = 0; i < nh; i++) {
		for (j = s->nfield; j-- > 0;) {
			size_t l;
			const char *fl = field(s, j, &l);
			if (used[j] || !hdr_is(fl, l, h[i])) continue;
			used[j] = 1;
			if (dkim_canon_header(&s->tmp, DKIM_RELAXED, fl, l)) return out->len = start, *why = "out of memory", -1;
			break;
		}
	}
	if (dkim_canon_header(&s->tmp, DKIM_RELAXED, out->s + start, out->len - start))
		return out->len = start, *why = "out of memory", -1;
	s->tmp.len -= 2;
	p_SHA256_Init(&c);
	p_SHA256_Update(&c, s->tmp.s, s->tmp.len);
	p_SHA256_Final(hash, &c);

	if (k->type == DKIM_KEY_RSA) {
		unsigned l = 0;
		if (p_RSA_sign(NID_sha256, hash, sizeof hash, sig, &l, k->rsa) != 1) return out->len = start, *why = "RSA signing failed", -1;
		siglen = l;
	} else if (ed25519_sign(k->seed, hash, sig, &siglen)) {
		return out->len = start, *why = "Ed25519 signing failed", -1;
	}
	base64(sig, siglen, b64);
	/* b= in pieces that fill each line (white space inside b= is
	 * ignored, RFC 6376 3.5) */
	for (i = 0, n = strlen(b64); i < n;) {
		size_t room = LINE_MAX_OUT - (out->len - f.linestart), take;
		if (room < 8) {
			if (!stralloc_cats(out, "\n\t")) return out->len = start, *why = "out of memory", -1;
			f.linestart = out->len - 1;
			continue;
		}
		take = n - i < room ? n - i : room;
		if (!stralloc_catb(out, b64 + i, take)) f.nomem = 1;
		i += take;
	}
	if (f.nomem || !stralloc_cats(out, "\n")) return out->len = start, *why = "out of memory", -1;
	return 0;
}
