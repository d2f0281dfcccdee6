/*
 * DKIM verification: tag-lists, signature and key records, the
 * canonicalizations and the check of each signature (lib/dkim.h).
 */
#include <stdlib.h>
#include <string.h>
/* SHA-256 and RSA through libcrypto's direct calls (SHA256_*, RSA_verify),
 * which OpenSSL 3 marks deprecated: its EVP way fetches each algorithm
 * from a provider, and the first fetch in a process builds the provider
 * tables and reads the key through the decoder framework, some 10 million
 * instructions (about 3 ms) for every message posthorn-smtpd checks, each
 * in a new process.  Ed25519 has no direct call and goes through EVP. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include "dkim.h"

/* Seconds a t= may lie ahead of our clock before the signature is refused
 * (RFC 6376 3.5 lets verifiers ignore signatures from the future). */
#define DKIM_CLOCK_SKEW 900

static int is_wsp(int c) { return c == ' ' || c == '\t'; }
static int is_fws(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int ieq(const char *a, size_t alen, const char *b)
{
	size_t i;
	if (alen != strlen(b)) return 0;
	for (i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
	return 1;
}

/* RFC 6376 3.2: tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS].
 * Tag names are case-sensitive; an empty spec (";;" or a trailing ";")
 * is skipped, as deployed key records have them. */
int dkim_taglist(const char *s, size_t len, struct dkim_tag *tag, size_t max, size_t *ntag)
{
	size_t pos = 0, n = 0, j;

	*ntag = 0;
	if (len > DKIM_TAGLIST_MAX) return DKIM_ERR_TOOLONG;
	while (pos < len) {
		struct dkim_tag t;
		while (pos < len && is_fws((unsigned char)s[pos])) pos++;
		if (pos == len) break;
		if (s[pos] == ';') { pos++; continue; }
		if (!is_alpha((unsigned char)s[pos])) return DKIM_ERR_SYNTAX;
		t.nlo = pos;
		while (pos < len && (is_alpha((unsigned char)s[pos]) || is_digit((unsigned char)s[pos]) || s[pos] == '_')) pos++;
		t.nhi = pos;
		while (pos < len && is_fws((unsigned char)s[pos])) pos++;
		if (pos == len || s[pos] != '=') return DKIM_ERR_SYNTAX;
		t.rawlo = ++pos;
		while (pos < len && is_fws((unsigned char)s[pos])) pos++;
		t.vlo = pos;
		for (; pos < len && s[pos] != ';'; pos++) {
			unsigned char c = s[pos];
			/* VALCHAR is %x21-3A / %x3C-7E; 8-bit is let through for
			 * UTF-8 in i= (RFC 8616). Other controls are not. */
			if (!is_fws(c) && (c < 0x21 || c == 0x7f)) return DKIM_ERR_SYNTAX;
		}
		t.rawhi = pos;
		t.vhi = pos;
		while (t.vhi > t.vlo && is_fws((unsigned char)s[t.vhi - 1])) t.vhi--;
		for (j = 0; j < n; j++)
			if (tag[j].nhi - tag[j].nlo == t.nhi - t.nlo &&
			    !memcmp(s + tag[j].nlo, s + t.nlo, t.nhi - t.nlo))
				return DKIM_ERR_DUPTAG;
		if (n == max) return DKIM_ERR_TOOLONG;
		tag[n++] = t;
		if (pos < len) pos++;
	}
	*ntag = n;
	return DKIM_OK;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (is_digit(c)) return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

int dkim_base64(const char *s, size_t n, unsigned char *out, size_t max, size_t *outlen)
{
	unsigned long acc = 0;
	size_t i, o = 0;
	int bits = 0, pad = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i], v;
		if (is_fws(c)) continue;
		if (c == '=') { pad++; continue; }
		if (pad || (v = b64val(c)) < 0) return -1;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == max) return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (pad > 2 || bits >= 6) return -1;
	*outlen = o;
	return 0;
}

static int getnum(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;
	if (n == 0 || n > 19) return -1;   /* 19 digits always fit in 64 bits */
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i])) return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Copies a name of letters, digits, '-', '.', '_' (and 8-bit, for
 * U-labels) into out, NUL-terminated; -1 when empty or too long. */
static int getname(const char *s, size_t n, char *out, size_t size, int lc)
{
	size_t i;
	if (n == 0 || n >= size) return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c >= 0x80)) return -1;
		out[i] = lc ? (char)lower(c) : (char)c;
	}
	out[n] = 0;
	return 0;
}

/* Walks a colon-separated list with whitespace around the items (h=, q=,
 * the key's h=, s=, t=).  Calls back with each trimmed item; stops at -1. */
static int eachitem(const char *s, size_t n, int (*f)(void *, const char *, size_t), void *arg)
{
	size_t i = 0;
	while (i <= n) {
		size_t lo = i, hi;
		while (i < n && s[i] != ':') i++;
		hi = i;
		while (lo < hi && is_fws((unsigned char)s[lo])) lo++;
		while (hi > lo && is_fws((unsigned char)s[hi - 1])) hi--;
		if (f(arg, s + lo, hi - lo) < 0) return -1;
		i++;
	}
	return 0;
}

static int add_hname(void *arg, const char *s, size_t n)
{
	struct dkim_sig *sig = arg;
	size_t i;
	if (n == 0 || sig->nh == DKIM_HNAMES_MAX || n >= sizeof sig->h[0]) return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		/* field-name: printable US-ASCII but ':' (RFC 5322 3.6.8) */
		if (c < 0x21 || c > 0x7e) return -1;
		sig->h[sig->nh][i] = (char)lower(c);
	}
	sig->h[sig->nh++][n] = 0;
	return 0;
}

static int has_item(void *arg, const char *s, size_t n)
{
	const char **want = arg;
	if (ieq(s, n, want[0])) want[1] = "";
	return 0;
}

static int list_has(const char *s, size_t n, const char *item)
{
	const char *want[2] = {item, 0};
	eachitem(s, n, has_item, want);
	return want[1] != 0;
}

#define TAG(t, name) ((t).nhi - (t).nlo == strlen(name) && !memcmp(s + (t).nlo, name, strlen(name)))

/* RFC 6376 3.5, and 6.1.1 for what makes a signature unusable. */
int dkim_sig_parse(struct dkim_sig *sig, const char *s, size_t len)
{
	struct dkim_tag tag[DKIM_TAGS_MAX];
	size_t ntag, k;
	int r, seen_v = 0, seen_a = 0, seen_b = 0, seen_bh = 0, seen_h = 0, seen_d = 0, seen_s = 0;
	const char *ival = 0;
	size_t ilen = 0;

	memset(sig, 0, sizeof *sig);
	if ((r = dkim_taglist(s, len, tag, DKIM_TAGS_MAX, &ntag))) return r;
	for (k = 0; k < ntag; k++) {
		const char *v = s + tag[k].vlo;
		size_t vn = tag[k].vhi - tag[k].vlo;
		if (TAG(tag[k], "v")) {
			if (vn != 1 || *v != '1') return DKIM_ERR_VALUE;
			seen_v = 1;
		} else if (TAG(tag[k], "a")) {
			if (ieq(v, vn, "rsa-sha256")) sig->alg = DKIM_ALG_RSA_SHA256;
			else if (ieq(v, vn, "ed25519-sha256")) sig->alg = DKIM_ALG_ED25519_SHA256;
			else if (ieq(v, vn, "rsa-sha1")) sig->alg = DKIM_ALG_RSA_SHA1;
			else return DKIM_ERR_VALUE;
			seen_a = 1;
		} else if (TAG(tag[k], "b")) {
			if (dkim_base64(v, vn, sig->b, sizeof sig->b, &sig->blen) || !sig->blen) return DKIM_ERR_VALUE;
			sig->b_rawlo = tag[k].rawlo;
			sig->b_rawhi = tag[k].rawhi;
			seen_b = 1;
		} else if (TAG(tag[k], "bh")) {
			if (dkim_base64(v, vn, sig->bh, sizeof sig->bh, &sig->bhlen)) return DKIM_ERR_VALUE;
			seen_bh = 1;
		} else if (TAG(tag[k], "c")) {
			const char *slash = memchr(v, '/', vn);
			size_t hn = slash ? (size_t)(slash - v) : vn;
			if (ieq(v, hn, "relaxed")) sig->hcanon = DKIM_RELAXED;
			else if (!ieq(v, hn, "simple")) return DKIM_ERR_VALUE;
			if (slash) {
				if (ieq(slash + 1, vn - hn - 1, "relaxed")) sig->bcanon = DKIM_RELAXED;
				else if (!ieq(slash + 1, vn - hn - 1, "simple")) return DKIM_ERR_VALUE;
			}
		} else if (TAG(tag[k], "d")) {
			if (getname(v, vn, sig->d, sizeof sig->d, 1)) return DKIM_ERR_VALUE;
			seen_d = 1;
		} else if (TAG(tag[k], "h")) {
			if (eachitem(v, vn, add_hname, sig) < 0) return DKIM_ERR_VALUE;
			seen_h = 1;
		} else if (TAG(tag[k], "i")) {
			ival = v;
			ilen = vn;
		} else if (TAG(tag[k], "l")) {
			if (getnum(v, vn, &sig->l)) return DKIM_ERR_VALUE;
			sig->has_l = 1;
		} else if (TAG(tag[k], "q")) {
			if (!list_has(v, vn, "dns/txt")) return DKIM_ERR_VALUE;
		} else if (TAG(tag[k], "s")) {
			if (getname(v, vn, sig->s, sizeof sig->s, 0)) return DKIM_ERR_VALUE;
			seen_s = 1;
		} else if (TAG(tag[k], "t")) {
			if (getnum(v, vn, &sig->t)) return DKIM_ERR_VALUE;
			sig->has_t = 1;
		} else if (TAG(tag[k], "x")) {
			if (getnum(v, vn, &sig->x)) return DKIM_ERR_VALUE;
			sig->has_x = 1;
		}
		/* z= and unknown tags are ignored (RFC 6376 3.2) */
	}
	if (!(seen_v && seen_a && seen_b && seen_bh && seen_h && seen_d && seen_s)) return DKIM_ERR_MISSING;
	if (sig->bhlen != (sig->alg == DKIM_ALG_RSA_SHA1 ? 20u : 32u)) return DKIM_ERR_VALUE;
	if (sig->has_t && sig->has_x && sig->x < sig->t) return DKIM_ERR_VALUE;
	/* 6.1.1: From must be signed */
	for (k = 0; k < sig->nh && strcmp(sig->h[k], "from"); k++) ;
	if (k == sig->nh) return DKIM_ERR_VALUE;
	/* 3.5 i=: its domain is d= or a subdomain of it */
	if (ival) {
		const char *at = memchr(ival, '@', ilen);
		size_t dn, sn = strlen(sig->d);
		if (!at || ilen - (size_t)(at - ival) - 1 >= sizeof sig->i) return DKIM_ERR_VALUE;
		dn = ilen - (size_t)(at - ival) - 1;
		if (!(dn == sn || (dn > sn && at[dn - sn] == '.')) || !ieq(at + 1 + dn - sn, sn, sig->d))
			return DKIM_ERR_VALUE;
		memcpy(sig->i, at + 1, dn);
		sig->i[dn] = 0;
	} else
		memcpy(sig->i, sig->d, strlen(sig->d) + 1);
	return DKIM_OK;
}

static int key_hash(void *arg, const char *s, size_t n)
{
	struct dkim_key *key = arg;
	if (ieq(s, n, "sha1")) key->sha1 = 1;
	if (ieq(s, n, "sha256")) key->sha256 = 1;
	return 0;
}

static int key_flag(void *arg, const char *s, size_t n)
{
	struct dkim_key *key = arg;
	if (n == 1 && *s == 'y') key->testing = 1;
	if (n == 1 && *s == 's') key->strict = 1;
	return 0;
}

/* RFC 6376 3.6.1; k=ed25519 from RFC 8463 3. */
int dkim_key_parse(struct dkim_key *key, const char *s, size_t len)
{
	struct dkim_tag tag[DKIM_TAGS_MAX];
	size_t ntag, k;
	int r, seen_p = 0, seen_h = 0;

	memset(key, 0, sizeof *key);
	key->type = DKIM_KEY_RSA;
	if ((r = dkim_taglist(s, len, tag, DKIM_TAGS_MAX, &ntag))) return r;
	for (k = 0; k < ntag; k++) {
		const char *v = s + tag[k].vlo;
		size_t vn = tag[k].vhi - tag[k].vlo;
		if (TAG(tag[k], "v")) {
			/* "MUST be the first tag in the record" */
			if (k != 0 || vn != 5 || memcmp(v, "DKIM1", 5)) return DKIM_ERR_VALUE;
		} else if (TAG(tag[k], "h")) {
			eachitem(v, vn, key_hash, key);
			seen_h = 1;
		} else if (TAG(tag[k], "k")) {
			if (ieq(v, vn, "rsa")) key->type = DKIM_KEY_RSA;
			else if (ieq(v, vn, "ed25519")) key->type = DKIM_KEY_ED25519;
			else return DKIM_ERR_VALUE;
		} else if (TAG(tag[k], "p")) {
			if (dkim_base64(v, vn, key->p, sizeof key->p, &key->plen)) return DKIM_ERR_VALUE;
			key->revoked = key->plen == 0;
			seen_p = 1;
		} else if (TAG(tag[k], "s")) {
			if (!list_has(v, vn, "*") && !list_has(v, vn, "email")) return DKIM_ERR_VALUE;
		} else if (TAG(tag[k], "t")) {
			eachitem(v, vn, key_flag, key);
		}
	}
	if (!seen_p) return DKIM_ERR_MISSING;
	if (!seen_h) key->sha1 = key->sha256 = 1;
	return DKIM_OK;
}

/* Length of a field's name without whitespace before the colon, and the
 * colon's offset; 0 when the line has no colon or an empty name. */
static size_t field_name(const char *f, size_t len, size_t *colon)
{
	const char *c = memchr(f, ':', len);
	size_t n;
	*colon = 0;
	if (!c) return 0;
	*colon = n = (size_t)(c - f);
	while (n && is_wsp((unsigned char)f[n - 1])) n--;
	return n;
}

int dkim_canon_header(stralloc *out, int canon, const char *f, size_t len)
{
	size_t i, colon, nlen;
	int wsp = 0, any = 0;

	if (canon == DKIM_SIMPLE) {
		/* as given, bare LF line ends written as CRLF */
		for (i = 0; i < len; i++) {
			if (f[i] == '\n' && (i == 0 || f[i - 1] != '\r') && !stralloc_catb(out, "\r", 1)) return -1;
			if (!stralloc_catb(out, f + i, 1)) return -1;
		}
		return stralloc_catb(out, "\r\n", 2) ? 0 : -1;
	}
	/* RFC 6376 3.4.2: lower-case name, unfold, WSP runs to one SP, none
	 * at the value's ends nor around the colon. */
	nlen = field_name(f, len, &colon);
	if (!nlen) { nlen = len; colon = len; }
	for (i = 0; i < nlen; i++) {
		char c = (char)lower((unsigned char)f[i]);
		if (!stralloc_catb(out, &c, 1)) return -1;
	}
	if (!stralloc_catb(out, ":", 1)) return -1;
	for (i = colon + 1; i < len; i++) {
		unsigned char c = f[i];
		if (c == '\r' || c == '\n') continue;
		if (is_wsp(c)) { wsp = 1; continue; }
		if (wsp && any && !stralloc_catb(out, " ", 1)) return -1;
		if (!stralloc_catb(out, (char *)&c, 1)) return -1;
		wsp = 0;
		any = 1;
	}
	return stralloc_catb(out, "\r\n", 2) ? 0 : -1;
}

static void body_flush(struct dkim_body *b)
{
	if (b->nbuf && b->put) b->put(b->arg, b->buf, b->nbuf);
	b->nbuf = 0;
}

/* Passes canonical bytes on, cut at l= (RFC 6376 3.5). */
static void body_emit(struct dkim_body *b, const char *s, size_t n)
{
	b->total += n;
	if (b->has_limit) {
		unsigned long long room = b->limit > b->emitted ? b->limit - b->emitted : 0;
		if (n > room) n = (size_t)room;
	}
	b->emitted += n;
	while (n) {
		size_t k = sizeof b->buf - b->nbuf;
		if (k > n) k = n;
		memcpy(b->buf + b->nbuf, s, k);
		b->nbuf += k;
		s += k;
		n -= k;
		if (b->nbuf == sizeof b->buf) body_flush(b);
	}
}

void dkim_body_init(struct dkim_body *b, int canon, void (*put)(void *, const char *, size_t), void *arg)
{
	memset(b, 0, sizeof *b);
	b->canon = canon;
	b->put = put;
	b->arg = arg;
}

/* Text on the current line (n > 0 bytes with no line end, and no
 * whitespace in relaxed mode): the empty lines held back were not trailing
 * after all, and in relaxed mode held whitespace becomes one SP. */
static void body_text(struct dkim_body *b, const char *s, size_t n)
{
	if (!b->content) {
		for (; b->empties; b->empties--) body_emit(b, "\r\n", 2);
		b->content = 1;
	}
	if (b->wsp) body_emit(b, " ", 1);
	b->wsp = 0;
	body_emit(b, s, n);
}

static void body_eol(struct dkim_body *b)
{
	/* a relaxed line of only whitespace is empty (WSP at its end goes) */
	if (b->content) body_emit(b, "\r\n", 2);
	else if (b->empties < (unsigned long)-1) b->empties++;
	b->content = b->wsp = 0;
}

/* A byte that needs no thought: not part of a line end, not whitespace
 * that relaxed mode reduces. */
static int plain(const struct dkim_body *b, char c)
{
	return c != '\r' && c != '\n' && !(b->canon == DKIM_RELAXED && is_wsp((unsigned char)c));
}

void dkim_body_feed(struct dkim_body *b, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (b->cr) {
			b->cr = 0;
			if (c == '\n') { body_eol(b); i++; continue; }
			body_text(b, "\r", 1);   /* a CR of its own is text */
		}
		if (plain(b, c)) {
			/* a run of plain bytes goes out in one piece */
			size_t j = i + 1;
			while (j < n && plain(b, s[j])) j++;
			body_text(b, s + i, j - i);
			i = j;
			continue;
		}
		if (c == '\r') b->cr = 1;
		else if (c == '\n') body_eol(b);
		else b->wsp = 1;
		i++;
	}
}

void dkim_body_end(struct dkim_body *b)
{
	if (b->cr) { b->cr = 0; body_text(b, "\r", 1); }
	if (b->content) body_eol(b);   /* a last line without CRLF gets one */
	/* RFC 6376 3.4.3: the simple form of an empty body is one CRLF; the
	 * relaxed form is empty (3.4.4, erratum 1384 settled on that). */
	if (b->canon == DKIM_SIMPLE && b->total == 0) body_emit(b, "\r\n", 2);
	body_flush(b);
}

/* -- the verifier -- */

const char *dkim_result_str(enum dkim_result r)
{
	switch (r) {
	case DKIM_PASS: return "pass";
	case DKIM_FAIL: return "fail";
	case DKIM_NEUTRAL: return "neutral";
	case DKIM_TEMPERROR: return "temperror";
	case DKIM_PERMERROR: return "permerror";
	case DKIM_POLICY: return "policy";
	default: return "none";
	}
}

void dkim_init(struct dkim *v)
{
	/* not the whole struct (some 60 KiB, a page fault per 4 KiB in a
	 * fresh process): a signature's entry is zeroed when it is found */
	v->hdr.s = v->tmp.s = v->txt.s = 0;
	v->hdr.len = v->tmp.len = v->txt.len = 0;
	v->hdr.a = v->tmp.a = v->txt.a = 0;
	v->nfield = v->nsig = 0;
	v->overflow = 0;
	v->off[0] = 0;
}

static void md_put(void *arg, const char *s, size_t n)
{
	SHA256_Update(arg, s, n);
}

static void set(struct dkim_one *o, enum dkim_result r, const char *why)
{
	if (o->result != DKIM_NONE) return;   /* the first verdict stands */
	o->result = r;
	o->reason = why;
}

int dkim_header(struct dkim *v, const char *f, size_t len)
{
	size_t colon, nlen;

	if (len && f[len - 1] == '\n') len--;
	if (len && f[len - 1] == '\r') len--;
	if (v->overflow) return 0;
	if (v->nfield == DKIM_HEADER_FIELDS || len > DKIM_HEADER_BYTES - v->hdr.len) {
		v->overflow = 1;
		return 0;
	}
	if (!stralloc_catb(&v->hdr, f, len)) return -1;
	v->off[v->nfield++] = v->hdr.len - len;
	v->off[v->nfield] = v->hdr.len;
	nlen = field_name(f, len, &colon);
	if (ieq(f, nlen, "dkim-signature") && v->nsig < DKIM_SIGS_MAX) {
		struct dkim_one *o = &v->sig[v->nsig++];
		memset(o, 0, sizeof *o);
		o->field = v->nfield - 1;
		if (dkim_sig_parse(&o->sig, f + colon + 1, len - colon - 1) != DKIM_OK)
			set(o, DKIM_PERMERROR, "signature syntax");
		memcpy(o->d, o->sig.d, sizeof o->d);
		memcpy(o->s, o->sig.s, sizeof o->s);
	}
	return 0;
}

void dkim_headers_end(struct dkim *v)
{
	size_t k;
	for (k = 0; k < v->nsig; k++) {
		struct dkim_one *o = &v->sig[k];
		if (v->overflow) set(o, DKIM_NEUTRAL, "header section over our bound");
		/* rsa-sha1 is not verified at all (RFC 8301 3.1) */
		if (o->sig.alg == DKIM_ALG_RSA_SHA1) set(o, DKIM_POLICY, "rsa-sha1");
		if (o->result != DKIM_NONE) continue;
		if (!(o->md = malloc(sizeof(SHA256_CTX))) || !SHA256_Init(o->md)) {
			set(o, DKIM_TEMPERROR, "out of memory");
			continue;
		}
		dkim_body_init(&o->body, o->sig.bcanon, md_put, o->md);
		o->body.has_limit = o->sig.has_l;
		o->body.limit = o->sig.l;
	}
}

void dkim_body(struct dkim *v, const char *s, size_t n)
{
	size_t k;
	for (k = 0; k < v->nsig; k++)
		if (v->sig[k].md) dkim_body_feed(&v->sig[k].body, s, n);
}

/* RFC 6376 5.4.2: each name of h= takes the last field of that name not
 * taken yet; a name with none left adds nothing.  Then the signature's own
 * field, b= emptied and without its CRLF (3.7). */
static int header_data(struct dkim *v, struct dkim_one *o)
{
	unsigned char used[DKIM_HEADER_FIELDS];
	const char *f = v->hdr.s + v->off[o->field];
	size_t flen = v->off[o->field + 1] - v->off[o->field], k, colon;

	memset(used, 0, sizeof used);
	v->tmp.len = 0;
	for (k = 0; k < o->sig.nh; k++) {
		size_t j = v->nfield;
		while (j--) {
			const char *g = v->hdr.s + v->off[j];
			size_t glen = v->off[j + 1] - v->off[j];
			if (used[j] || !ieq(g, field_name(g, glen, &colon), o->sig.h[k])) continue;
			used[j] = 1;
			if (dkim_canon_header(&v->tmp, o->sig.hcanon, g, glen)) return -1;
			break;
		}
	}
	field_name(f, flen, &colon);
	v->txt.len = 0;
	if (!stralloc_catb(&v->txt, f, colon + 1 + o->sig.b_rawlo) ||
	    !stralloc_catb(&v->txt, f + colon + 1 + o->sig.b_rawhi, flen - colon - 1 - o->sig.b_rawhi) ||
	    dkim_canon_header(&v->tmp, o->sig.hcanon, v->txt.s, v->txt.len))
		return -1;
	v->tmp.len -= 2;
	return 0;
}

/* Fetches and parses the key; sets the result on failure. */
static int get_key(struct dkim *v, struct dkim_one *o, const struct dkim_dns *dns, struct dkim_key *key)
{
	size_t i;
	int r;

	v->txt.len = 0;
	if (strlen(o->sig.s) + strlen(o->sig.d) + 13 > 255) {
		set(o, DKIM_PERMERROR, "key name too long");
		return -1;
	}
	if (!stralloc_copys(&v->txt, o->sig.s) || !stralloc_cats(&v->txt, "._domainkey.") ||
	    !stralloc_cats(&v->txt, o->sig.d) || !stralloc_0(&v->txt)) {
		set(o, DKIM_TEMPERROR, "out of memory");
		return -1;
	}
	v->tmp.len = 0;
	r = dns->txt(dns->ctx, v->txt.s, &v->tmp);
	if (r == DKIM_DNS_TEMP) { set(o, DKIM_TEMPERROR, "key lookup failed"); return -1; }
	if (r != DKIM_DNS_OK || v->tmp.len == 0) { set(o, DKIM_PERMERROR, "no key"); return -1; }
	/* 6.1.2: with several records, use one that parses */
	for (i = 0; i < v->tmp.len; ) {
		const char *e = memchr(v->tmp.s + i, 0, v->tmp.len - i);
		size_t n = e ? (size_t)(e - v->tmp.s) - i : v->tmp.len - i;
		if (dkim_key_parse(key, v->tmp.s + i, n) == DKIM_OK) return 0;
		i += n + 1;
	}
	set(o, DKIM_PERMERROR, "bad key record");
	return -1;
}

/* The RSA key of a key record: a SubjectPublicKeyInfo of rsaEncryption
 * (RFC 6376 3.6.1), or, as some publish, the bare RSAPublicKey.  Read
 * with the ASN.1 templates, not d2i_PUBKEY (see the top of the file). */
static RSA *rsa_key(const unsigned char *der, size_t len)
{
	/* the DER of OID 1.2.840.113549.1.1.1, rsaEncryption */
	static const unsigned char rsa_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
	const unsigned char *p = der, *end = der + len, *algend, *q;
	long n;
	int tag, cls;
	RSA *rsa = 0;

	/* SubjectPublicKeyInfo ::= SEQUENCE { SEQUENCE { OID, params }, BIT STRING }
	 * (RFC 5280 4.1), walked by hand: the OID compared as bytes, since
	 * OBJ_obj2nid would load OpenSSL's configuration file first */
	if (!(ASN1_get_object(&p, &n, &tag, &cls, (long)len) & 0x80) && tag == V_ASN1_SEQUENCE && n == end - p &&
	    !(ASN1_get_object(&p, &n, &tag, &cls, end - p) & 0x80) && tag == V_ASN1_SEQUENCE && n <= end - p) {
		algend = p + n;
		if (!(ASN1_get_object(&p, &n, &tag, &cls, algend - p) & 0x80) && tag == V_ASN1_OBJECT &&
		    n == (long)sizeof rsa_oid && !memcmp(p, rsa_oid, sizeof rsa_oid)) {
			p = algend;
			if (!(ASN1_get_object(&p, &n, &tag, &cls, end - p) & 0x80) && tag == V_ASN1_BIT_STRING &&
			    n == end - p && n > 1 && p[0] == 0) {
				q = p + 1;
				rsa = d2i_RSAPublicKey(0, &q, n - 1);
				if (rsa && q != end) {
					RSA_free(rsa);
					rsa = 0;
				}
				return rsa;
			}
		}
	}
	p = der;
	rsa = d2i_RSAPublicKey(0, &p, (long)len);
	if (rsa && p != end) {
		RSA_free(rsa);
		rsa = 0;
	}
	return rsa;
}

static int ed25519_verify(const struct dkim_key *key, const unsigned char hash[32], const struct dkim_sig *sig)
{
	EVP_PKEY *pk = key->plen == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, 0, key->p, 32) : 0;
	EVP_MD_CTX *mc = pk ? EVP_MD_CTX_new() : 0;
	int ok = -1;

	if (mc) ok = EVP_DigestVerifyInit(mc, 0, 0, 0, pk) == 1 && EVP_DigestVerify(mc, sig->b, sig->blen, hash, 32) == 1;
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(pk);
	return ok;   /* -1: no key */
}

static void check(struct dkim *v, struct dkim_one *o, const struct dkim_dns *dns, unsigned long long now)
{
	struct dkim_key key;
	unsigned char bh[SHA256_DIGEST_LENGTH], hash[SHA256_DIGEST_LENGTH];
	RSA *rsa = 0;
	int ok, ed = o->sig.alg == DKIM_ALG_ED25519_SHA256;

	dkim_body_end(&o->body);
	SHA256_Final(bh, o->md);
	if (o->sig.has_x && now > o->sig.x) { set(o, DKIM_PERMERROR, "signature expired"); return; }
	if (o->sig.has_t && o->sig.t > now + DKIM_CLOCK_SKEW) { set(o, DKIM_PERMERROR, "signature from the future"); return; }
	if (get_key(v, o, dns, &key)) return;
	o->testing = key.testing;
	if (key.revoked) { set(o, DKIM_PERMERROR, "key revoked"); return; }
	if (key.type != (ed ? DKIM_KEY_ED25519 : DKIM_KEY_RSA)) { set(o, DKIM_PERMERROR, "key type does not match a="); return; }
	if (!key.sha256) { set(o, DKIM_PERMERROR, "key does not allow sha256"); return; }
	/* 3.6.1 t=s: i= must be in d= itself, not a subdomain */
	if (key.strict && strcmp(o->sig.i, o->sig.d)) { set(o, DKIM_PERMERROR, "i= is a subdomain, key says t=s"); return; }
	/* 6.1.3: the body first, then the signature */
	if (o->sig.has_l && o->body.total < o->sig.l) { set(o, DKIM_FAIL, "l= longer than the body"); return; }
	if (o->sig.bhlen != sizeof bh || memcmp(bh, o->sig.bh, sizeof bh)) { set(o, DKIM_FAIL, "body hash mismatch"); return; }
	if (!ed) {
		/* RSA_new initialises libcrypto, which would read openssl.cnf
		 * (some 1.7 million instructions): nothing in it is for a
		 * signature check.  A TLS session started later in the same
		 * process (STARTTLS after a message) then runs without it too,
		 * on libtls's own protocol and cipher settings. */
		OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, 0);
		if (!(rsa = rsa_key(key.p, key.plen))) { set(o, DKIM_PERMERROR, "bad key"); return; }
		/* RFC 8301 3.2: no RSA key under 1024 bits; over 4096 costs too much */
		if (RSA_bits(rsa) < 1024 || RSA_bits(rsa) > 4096) {
			set(o, DKIM_POLICY, "RSA key size");
			goto out;
		}
	}
	if (header_data(v, o)) { set(o, DKIM_TEMPERROR, "out of memory"); goto out; }
	/* both sign the SHA-256 hash of the header data (RFC 6376 3.7,
	 * RFC 8463 3) */
	{
		SHA256_CTX c;   /* not SHA256(): that one goes through EVP */
		SHA256_Init(&c);
		SHA256_Update(&c, v->tmp.s, v->tmp.len);
		SHA256_Final(hash, &c);
	}
	if (ed) {
		if ((ok = ed25519_verify(&key, hash, &o->sig)) < 0) { set(o, DKIM_PERMERROR, "bad key"); goto out; }
	} else {
		ok = RSA_verify(NID_sha256, hash, sizeof hash, o->sig.b, (unsigned)o->sig.blen, rsa) == 1;
	}
	set(o, ok ? DKIM_PASS : DKIM_FAIL, ok ? "" : "signature mismatch");
out:
	RSA_free(rsa);
}

void dkim_finish(struct dkim *v, const struct dkim_dns *dns, unsigned long long now)
{
	size_t k;
	for (k = 0; k < v->nsig; k++)
		if (v->sig[k].result == DKIM_NONE && v->sig[k].md) check(v, &v->sig[k], dns, now);
}

void dkim_free(struct dkim *v)
{
	size_t k;
	for (k = 0; k < v->nsig; k++) {
		free(v->sig[k].md);
		v->sig[k].md = 0;
	}
	stralloc_free(&v->hdr);
	stralloc_free(&v->tmp);
	stralloc_free(&v->txt);
}
