/*
 * SPF check_host() (RFC 7208); the contract is in spf.h.
 *
 * Phases of one check: validate the domain (4.3), fetch and select the one
 * "v=spf1" record (4.4, 4.5), parse the whole record into terms so that a
 * syntax error anywhere is a permerror before anything is evaluated (4.6),
 * evaluate the mechanisms left to right (4.6.2, 5), then redirect= (6.1);
 * on "fail", exp= (6.2).  include and redirect recurse; the lookup limit
 * (each recursion costs one) bounds the depth.
 */
#include <string.h>
#include <stdio.h>
#include <ip4.h>
#include <ip6.h>
#include <fmt.h>
#include "spf.h"

enum kind { T_ALL, T_INCLUDE, T_A, T_MX, T_PTR, T_IP4, T_IP6, T_EXISTS };

struct term {
	enum kind kind;
	enum spf_result qual;
	const char *arg;       /* domain-spec (unexpanded), or null */
	size_t arglen;
	int c4, c6;            /* CIDR lengths */
	unsigned char net[16]; /* ip4 (mapped) / ip6 */
};

struct rec {
	char text[SPF_RECORD_MAX + 1];
	struct term t[SPF_TERMS_MAX];
	int nt;
	const char *redirect, *exp;
	size_t redirectlen, explen;
};

struct st {
	const struct spf_resolver *r;
	const struct spf_query *q;
	struct spf_outcome *out;
	int v4;
	char sender[SPF_SENDER_MAX + 16], local[SPF_SENDER_MAX + 1], odomain[SPF_SENDER_MAX + 1];
	char helo[SPF_SENDER_MAX + 1];
	char ptrname[SPF_NAME_MAX + 1]; /* %{p}, once found */
	int ptrdone;
	struct spf_answer ans;
};

/* Internal outcomes of a step that are not yet a result. */
#define NOMATCH (-1)

const char *spf_result_name(enum spf_result r)
{
	static const char *const name[] = {
		[SPF_NONE] = "none", [SPF_NEUTRAL] = "neutral", [SPF_PASS] = "pass", [SPF_FAIL] = "fail",
		[SPF_SOFTFAIL] = "softfail", [SPF_TEMPERROR] = "temperror", [SPF_PERMERROR] = "permerror",
	};
	return (unsigned)r < sizeof name / sizeof *name ? name[r] : "permerror";
}

int spf_answer_add(struct spf_answer *a, const void *data, size_t len)
{
	if (len > SPF_RECORD_MAX + 1) len = SPF_RECORD_MAX + 1;
	if (a->n >= SPF_ANSWER_RRS || len > SPF_ANSWER_BYTES - a->used) {
		a->overflow = 1;
		return 0;
	}
	memcpy(a->buf + a->used, data, len);
	a->off[a->n] = (unsigned)a->used;
	a->len[a->n] = (unsigned)len;
	a->used += len;
	a->n++;
	return 1;
}

/* Records a reason for the log (the first one wins: it is the cause); a
 * long one is cut, it is only for reading. */
static int problem(struct st *s, int result, const char *what)
{
	size_t n = strlen(what);
	if (s->out->problem[0]) return result;
	if (n >= sizeof s->out->problem) n = sizeof s->out->problem - 1;
	memcpy(s->out->problem, what, n);
	s->out->problem[n] = 0;
	return result;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int caseeq(const char *a, size_t alen, const char *b)
{
	size_t i;
	if (alen != strlen(b)) return 0;
	for (i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
	return 1;
}

/* A query, with the answer in s->ans.  Void answers count against
 * SPF_VOID_MAX (4.6.4) unless nocount (TXT for records and exp=). */
static enum spf_dns ask(struct st *s, enum spf_rrtype type, const char *name, int nocount, int *err)
{
	enum spf_dns d;
	s->ans.n = 0;
	s->ans.used = 0;
	s->ans.overflow = 0;
	*err = 0;
	d = s->r->lookup(s->r->ctx, type, name, &s->ans);
	if (d == SPF_DNS_OK && s->ans.n == 0) d = SPF_DNS_NODATA;
	if ((d == SPF_DNS_NODATA || d == SPF_DNS_NXDOMAIN) && !nocount)
		if (++s->out->voids > SPF_VOID_MAX) *err = problem(s, SPF_PERMERROR, "too many void DNS lookups");
	return d;
}

/* Counts one term that causes DNS queries (4.6.4). */
static int count(struct st *s)
{
	if (++s->out->lookups > SPF_LOOKUP_MAX) return problem(s, SPF_PERMERROR, "too many DNS lookups");
	return 0;
}

/* A domain name we may query (4.3): labels of 1 to 63 visible characters,
 * at most SPF_NAME_MAX bytes, more than one label.  A trailing dot is
 * removed in place. */
static int domain_ok(char *d)
{
	size_t n = strlen(d), lab = 0, i;
	int dots = 0;
	if (n && d[n - 1] == '.') d[--n] = 0;
	if (!n || n > SPF_NAME_MAX) return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.') {
			if (!lab) return 0;
			lab = 0;
			dots++;
		} else if (c < 0x21 || c > 0x7e || ++lab > 63)
			return 0;
	}
	return lab && dots;
}

/* ---- macros (7) ---- */

struct buf { char *p; size_t n, max; int over; };

static void put(struct buf *b, const char *s, size_t n)
{
	if (n > b->max - b->n) { b->over = 1; n = b->max - b->n; }
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* The value of a macro letter (lower case) into v (SPF_SENDER_MAX + 80). */
static int ptr_validate(struct st *s, const char *target, int *matched);

static int macro_value(struct st *s, int letter, const char *domain, char *v)
{
	const unsigned char *ip = s->q->ip;
	size_t n = 0;
	int i;
	switch (letter) {
	case 's': strcpy(v, s->sender); break;
	case 'l': strcpy(v, s->local); break;
	case 'o': strcpy(v, s->odomain); break;
	case 'd': strcpy(v, domain); break;
	case 'h': strcpy(v, s->helo); break;
	case 'v': strcpy(v, s->v4 ? "in-addr" : "ip6"); break;
	case 'r': snprintf(v, SPF_NAME_MAX + 1, "%s", s->q->receiver && *s->q->receiver ? s->q->receiver : "unknown"); break;
	case 't': snprintf(v, 32, "%lld", s->q->now); break;
	case 'p':
		if (!s->ptrdone) {
			int m;
			if (ptr_validate(s, domain, &m)) return -1;
		}
		strcpy(v, s->ptrname[0] ? s->ptrname : "unknown");
		break;
	case 'i':
		if (s->v4) {
			n = fmt_ip4(v, (const char *)ip + 12);
		} else {
			for (i = 0; i < 16; i++) {
				static const char hex[] = "0123456789abcdef";
				v[n++] = hex[ip[i] >> 4]; v[n++] = '.';
				v[n++] = hex[ip[i] & 15]; v[n++] = '.';
			}
			n--;
		}
		v[n] = 0;
		break;
	case 'c':
		n = s->v4 ? (size_t)fmt_ip4(v, (const char *)ip + 12) : (size_t)fmt_ip6(v, (const char *)ip);
		v[n] = 0;
		break;
	default: return -1;
	}
	return 0;
}

static int is_delim(int c) { return c && strchr(".-+,/_=", c) != 0; }

/* Expands the macro-string m (7.1) into b.  inexp: an explanation string,
 * where c r t and spaces are allowed.  domain is %{d}.  Returns 0, or -1 on
 * a syntax error. */
static int expand(struct st *s, const char *m, size_t mlen, const char *domain, int inexp, struct buf *b)
{
	size_t i = 0;
	while (i < mlen) {
		unsigned char c = (unsigned char)m[i];
		if (c != '%') {
			if ((c < 0x21 || c > 0x7e) && !(inexp && c == ' ')) return -1;
			put(b, (const char *)&c, 1);
			i++;
			continue;
		}
		if (++i >= mlen) return -1;
		c = (unsigned char)m[i++];
		if (c == '%') { put(b, "%", 1); continue; }
		if (c == '_') { put(b, " ", 1); continue; }
		if (c == '-') { put(b, "%20", 3); continue; }
		if (c != '{' || i >= mlen) return -1;
		{
			char v[SPF_SENDER_MAX + 80], delims[8] = "";
			const char *part[SPF_SENDER_MAX + 80];
			size_t plen[SPF_SENDER_MAX + 80], np = 0, k, start, nd = 0;
			int letter = (unsigned char)m[i++], upper = letter >= 'A' && letter <= 'Z';
			unsigned long digits = 0;
			int hasdigits = 0, rev = 0;
			letter = lower(letter);
			if (!strchr("slodiphcrtv", letter) || (!inexp && strchr("crt", letter))) return -1;
			while (i < mlen && m[i] >= '0' && m[i] <= '9') {
				if (digits < 1000) digits = digits * 10 + (unsigned)(m[i] - '0');
				hasdigits = 1;
				i++;
			}
			if (hasdigits && !digits) return -1;
			if (i < mlen && lower((unsigned char)m[i]) == 'r') { rev = 1; i++; }
			while (i < mlen && is_delim((unsigned char)m[i])) {
				if (nd < sizeof delims - 1 && !strchr(delims, m[i])) { delims[nd++] = m[i]; delims[nd] = 0; }
				i++;
			}
			if (i >= mlen || m[i] != '}') return -1;
			i++;
			if (!nd) strcpy(delims, ".");
			if (macro_value(s, letter, domain, v) < 0) return -1;
			/* split into parts at any delimiter (7.3) */
			for (k = 0, start = 0;; k++) {
				if (!v[k] || strchr(delims, v[k])) {
					part[np] = v + start; plen[np] = k - start; np++;
					if (!v[k]) break;
					start = k + 1;
				}
			}
			{
				char o[3 * (SPF_SENDER_MAX + 80)];
				size_t on = 0, first, j;
				if (hasdigits && digits < np) first = np - digits; else first = 0;
				/* with r, the parts are reversed before the right-hand ones are taken */
				for (j = first; j < np; j++) {
					size_t idx = rev ? np - 1 - j : j;
					if (j > first) o[on++] = '.';
					memcpy(o + on, part[idx], plen[idx]);
					on += plen[idx];
				}
				if (upper) { /* URL-escape (7.3): all but the unreserved characters */
					char e[3 * (SPF_SENDER_MAX + 80)];
					size_t en = 0;
					for (j = 0; j < on; j++) {
						unsigned char ch = (unsigned char)o[j];
						if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
						    ch == '-' || ch == '.' || ch == '_' || ch == '~')
							e[en++] = (char)ch;
						else {
							en += (size_t)sprintf(e + en, "%%%02X", ch);
						}
					}
					put(b, e, en);
				} else
					put(b, o, on);
			}
		}
	}
	return 0;
}

/* Expands a domain-spec into out (SPF_NAME_MAX + 1) and validates it; a
 * name longer than SPF_NAME_MAX loses labels on the left (7.3).  Returns 0,
 * or a permerror. */
static int expand_domain(struct st *s, const char *m, size_t mlen, const char *domain, char *out)
{
	char tmp[4096];
	struct buf b = { tmp, 0, sizeof tmp - 1, 0 };
	const char *p;
	if (expand(s, m, mlen, domain, 0, &b) < 0) return problem(s, SPF_PERMERROR, "bad macro in domain-spec");
	if (b.over) return problem(s, SPF_PERMERROR, "domain-spec expands too long");
	tmp[b.n] = 0;
	if (b.n && tmp[b.n - 1] == '.') tmp[--b.n] = 0;
	p = tmp;
	while (strlen(p) > SPF_NAME_MAX) {
		const char *dot = strchr(p, '.');
		if (!dot) break;
		p = dot + 1;
	}
	if (strlen(p) > SPF_NAME_MAX) return problem(s, SPF_PERMERROR, "domain-spec expands too long");
	strcpy(out, p);
	if (!domain_ok(out)) return problem(s, SPF_PERMERROR, "invalid domain in domain-spec");
	return 0;
}

/* ---- parsing (4.6, 5, 6) ---- */

/* A number from d[0..n) of at most 3 digits, no leading zero (the ABNF of
 * ip4-cidr-length, ip6-cidr-length, qnum); -1 if not one. */
static int num(const char *d, size_t n)
{
	int v = 0;
	size_t i;
	if (!n || n > 3 || (n > 1 && d[0] == '0')) return -1;
	for (i = 0; i < n; i++) {
		if (d[i] < '0' || d[i] > '9') return -1;
		v = v * 10 + (d[i] - '0');
	}
	return v;
}

static int parse_ip4(const char *a, size_t n, unsigned char *ip)
{
	size_t i = 0, part;
	for (part = 0; part < 4; part++) {
		size_t j = i;
		int v;
		while (j < n && a[j] != '.') j++;
		v = num(a + i, j - i);
		if (v < 0 || v > 255 || (part < 3 && j >= n)) return -1;
		ip[part] = (unsigned char)v;
		i = j + 1;
	}
	return i == n + 1 ? 0 : -1;
}

/* Strips "/N" (and for dual, "//M" after it) off the end of [*a, *a+*n):
 * the dual-cidr-length of 5.3.  Returns -1 on a bad length. */
static int cidr(const char *a, size_t *n, int dual, int *c4, int *c6)
{
	size_t i = *n;
	while (i && a[i - 1] >= '0' && a[i - 1] <= '9') i--;
	if (dual && i >= 2 && i < *n && a[i - 1] == '/' && a[i - 2] == '/') {
		*c6 = num(a + i, *n - i);
		if (*c6 < 0 || *c6 > 128) return -1;
		*n = i - 2;
		i = *n;
		while (i && a[i - 1] >= '0' && a[i - 1] <= '9') i--;
	}
	if (i >= 1 && i < *n && a[i - 1] == '/' && !(i >= 2 && a[i - 2] == '/')) {
		int v = num(a + i, *n - i);
		if (v < 0 || v > (dual ? 32 : 128)) return -1;
		if (dual) *c4 = v; else *c6 = v;
		*n = i - 1;
	}
	/* a slash left over is a malformed length */
	if (*n && a[*n - 1] == '/') return -1;
	return 0;
}

/* Checks macro syntax of a string without needing its values. */
static int macro_syntax_ok(const char *m, size_t n, int inexp)
{
	size_t i;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)m[i];
		if (c != '%') {
			if ((c < 0x21 || c > 0x7e) && !(inexp && c == ' ')) return 0;
			continue;
		}
		if (++i >= n) return 0;
		c = (unsigned char)m[i];
		if (c == '%' || c == '_' || c == '-') continue;
		if (c != '{' || ++i >= n) return 0;
		c = (unsigned char)lower((unsigned char)m[i]);
		if (!strchr("slodiphcrtv", c) || (!inexp && strchr("crt", c))) return 0;
		i++;
		if (i < n && m[i] == '0') return 0;
		while (i < n && m[i] >= '0' && m[i] <= '9') i++;
		if (i < n && lower((unsigned char)m[i]) == 'r') i++;
		while (i < n && is_delim((unsigned char)m[i])) i++;
		if (i >= n || m[i] != '}') return 0;
	}
	return 1;
}

/* Parses r->text (after "v=spf1").  Returns 0, or a permerror. */
static int parse(struct st *s, struct rec *r)
{
	const char *p = r->text + 6;
	r->nt = 0;
	r->redirect = r->exp = 0;
	for (;;) {
		const char *t, *e, *name, *rest;
		size_t n, nlen, restlen;
		struct term *tm;
		while (*p == ' ') p++;
		if (!*p) break;
		t = p;
		while (*p && *p != ' ') p++;
		e = p;
		n = (size_t)(e - t);
		/* modifier: name "=" macro-string (4.6.1); the name starts with a letter */
		name = t;
		nlen = 0;
		while (nlen < n && (((name[nlen] | 32) >= 'a' && (name[nlen] | 32) <= 'z') ||
		                    (nlen && ((name[nlen] >= '0' && name[nlen] <= '9') || name[nlen] == '-' ||
		                              name[nlen] == '_' || name[nlen] == '.'))))
			nlen++;
		if (nlen && nlen < n && name[nlen] == '=') {
			rest = name + nlen + 1;
			restlen = n - nlen - 1;
			if (!macro_syntax_ok(rest, restlen, 0)) return problem(s, SPF_PERMERROR, "bad macro in modifier");
			if (caseeq(name, nlen, "redirect")) {
				if (r->redirect) return problem(s, SPF_PERMERROR, "two redirect= modifiers");
				if (!restlen) return problem(s, SPF_PERMERROR, "empty redirect=");
				r->redirect = rest; r->redirectlen = restlen;
			} else if (caseeq(name, nlen, "exp")) {
				if (r->exp) return problem(s, SPF_PERMERROR, "two exp= modifiers");
				if (!restlen) return problem(s, SPF_PERMERROR, "empty exp=");
				r->exp = rest; r->explen = restlen;
			}
			continue; /* unknown modifiers are ignored (6) */
		}
		if (r->nt >= SPF_TERMS_MAX) return problem(s, SPF_PERMERROR, "too many terms");
		tm = &r->t[r->nt];
		tm->qual = SPF_PASS;
		tm->arg = 0;
		tm->arglen = 0;
		tm->c4 = 32;
		tm->c6 = 128;
		switch (*t) {
		case '+': tm->qual = SPF_PASS; t++; break;
		case '-': tm->qual = SPF_FAIL; t++; break;
		case '~': tm->qual = SPF_SOFTFAIL; t++; break;
		case '?': tm->qual = SPF_NEUTRAL; t++; break;
		}
		n = (size_t)(e - t);
		for (nlen = 0; nlen < n && t[nlen] != ':' && t[nlen] != '/'; nlen++) ;
		rest = t + nlen;
		restlen = n - nlen;
		if (caseeq(t, nlen, "all")) {
			if (restlen) goto bad;
			tm->kind = T_ALL;
		} else if (caseeq(t, nlen, "include") || caseeq(t, nlen, "exists")) {
			tm->kind = lower((unsigned char)*t) == 'i' ? T_INCLUDE : T_EXISTS;
			if (restlen < 2 || *rest != ':') goto bad;
			tm->arg = rest + 1; tm->arglen = restlen - 1;
		} else if (caseeq(t, nlen, "a") || caseeq(t, nlen, "mx") || caseeq(t, nlen, "ptr")) {
			tm->kind = nlen == 1 ? T_A : nlen == 2 ? T_MX : T_PTR;
			if (tm->kind != T_PTR && cidr(rest, &restlen, 1, &tm->c4, &tm->c6) < 0) goto bad;
			if (restlen) {
				if (*rest != ':' || restlen < 2) goto bad;
				tm->arg = rest + 1; tm->arglen = restlen - 1;
			}
		} else if (caseeq(t, nlen, "ip4")) {
			unsigned char a[4];
			tm->kind = T_IP4;
			if (!restlen || *rest != ':') goto bad;
			rest++; restlen--;
			if (cidr(rest, &restlen, 1, &tm->c4, &tm->c6) < 0 || tm->c6 != 128) goto bad;
			if (parse_ip4(rest, restlen, a) < 0) goto bad;
			memcpy(tm->net, V4mappedprefix, 12);
			memcpy(tm->net + 12, a, 4);
		} else if (caseeq(t, nlen, "ip6")) {
			char a[64];
			tm->kind = T_IP6;
			if (!restlen || *rest != ':') goto bad;
			rest++; restlen--;
			/* an IPv6 address ends in a hex digit, ':' or a dotted quad: the
			 * last '/' starts the length */
			{
				size_t k = restlen;
				while (k && rest[k - 1] != '/') k--;
				if (k) {
					tm->c6 = num(rest + k, restlen - k);
					if (tm->c6 < 0 || tm->c6 > 128) goto bad;
					restlen = k - 1;
				}
			}
			if (!restlen || restlen >= sizeof a || !memchr(rest, ':', restlen)) goto bad;
			memcpy(a, rest, restlen);
			a[restlen] = 0;
			if (scan_ip6(a, (char *)tm->net) != restlen) goto bad;
		} else
			goto bad;
		if (tm->arg && !macro_syntax_ok(tm->arg, tm->arglen, 0)) goto bad;
		r->nt++;
		continue;
	bad:
		{
			char why[80];
			snprintf(why, sizeof why, "bad term '%.*s'", (int)(e - name > 40 ? 40 : e - name), name);
			return problem(s, SPF_PERMERROR, why);
		}
	}
	return 0;
}

/* ---- evaluation ---- */

static int prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int full = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)full)) return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((a[full] & mask) != (b[full] & mask)) return 0;
	}
	return 1;
}

/* Does the client match an address of s->ans (A or AAAA) within the
 * CIDR length? */
static int ans_match(struct st *s, int c4, int c6)
{
	unsigned i;
	for (i = 0; i < s->ans.n; i++) {
		const unsigned char *a = (const unsigned char *)s->ans.buf + s->ans.off[i];
		if (s->v4 && s->ans.len[i] == 4 && prefix_match(a, s->q->ip + 12, c4)) return 1;
		if (!s->v4 && s->ans.len[i] == 16 && prefix_match(a, s->q->ip, c6)) return 1;
	}
	return 0;
}

/* Copies the names of s->ans (MX, PTR) into names[max]; returns how many
 * (names too long for a domain are skipped). */
static unsigned copy_names(struct st *s, char (*names)[SPF_NAME_MAX + 1], unsigned max)
{
	unsigned i, k = 0;
	for (i = 0; i < s->ans.n && k < max; i++) {
		size_t l = s->ans.len[i];
		const char *p = s->ans.buf + s->ans.off[i];
		if (l && p[l - 1] == '.') l--;
		if (!l || l > SPF_NAME_MAX || memchr(p, 0, l)) continue;
		memcpy(names[k], p, l);
		names[k][l] = 0;
		k++;
	}
	return k;
}

static void reverse_name(struct st *s, char *out)
{
	const unsigned char *ip = s->q->ip;
	size_t n = 0;
	int i;
	if (s->v4) {
		for (i = 15; i >= 12; i--) n += fmt_ulong(out + n, ip[i]), out[n++] = '.';
		strcpy(out + n, "in-addr.arpa");
	} else {
		static const char hex[] = "0123456789abcdef";
		for (i = 15; i >= 0; i--) {
			out[n++] = hex[ip[i] & 15]; out[n++] = '.';
			out[n++] = hex[ip[i] >> 4]; out[n++] = '.';
		}
		strcpy(out + n, "ip6.arpa");
	}
}

static int name_under(const char *name, const char *target)
{
	size_t n = strlen(name), t = strlen(target);
	if (n < t) return 0;
	if (!caseeq(name + n - t, t, target)) return 0;
	return n == t || name[n - t - 1] == '.';
}

/* The ptr mechanism and %{p} (5.5, 7.3): the validated names of the client
 * among the first SPF_PTR_MAX PTR names.  *matched says whether one of them
 * is target or under it; the first validated name (one under target if
 * there is one) becomes %{p}.  DNS errors only mean no match (5.5).
 * Returns 0, or a permerror when the void lookup limit is passed. */
static int ptr_validate(struct st *s, const char *target, int *matched)
{
	char rev[80], names[SPF_PTR_MAX][SPF_NAME_MAX + 1];
	unsigned n, i;
	int err;
	*matched = 0;
	s->ptrdone = 1;
	reverse_name(s, rev);
	if (ask(s, SPF_RR_PTR, rev, 0, &err) != SPF_DNS_OK) return err;
	n = copy_names(s, names, SPF_PTR_MAX);
	for (i = 0; i < n; i++) {
		if (ask(s, s->v4 ? SPF_RR_A : SPF_RR_AAAA, names[i], 0, &err) != SPF_DNS_OK) {
			if (err) return err;
			continue;
		}
		if (!ans_match(s, 32, 128)) continue;
		if (name_under(names[i], target)) {
			*matched = 1;
			snprintf(s->ptrname, sizeof s->ptrname, "%s", names[i]);
			break;
		}
		if (!s->ptrname[0]) snprintf(s->ptrname, sizeof s->ptrname, "%s", names[i]);
	}
	return 0;
}

static int check(struct st *s, const char *domain, int want_exp);

/* One mechanism: SPF_* when it matched (its qualifier) or on an error,
 * NOMATCH otherwise. */
static int mechanism(struct st *s, const struct term *t, const char *domain)
{
	char target[SPF_NAME_MAX + 1];
	int err, m;
	enum spf_dns d;

	if (t->kind == T_INCLUDE || t->kind == T_A || t->kind == T_MX || t->kind == T_PTR || t->kind == T_EXISTS) {
		if ((err = count(s))) return err;
		if (t->arg) {
			if ((err = expand_domain(s, t->arg, t->arglen, domain, target))) return err;
		} else
			strcpy(target, domain);
	}
	switch (t->kind) {
	case T_ALL:
		return t->qual;
	case T_IP4:
		return s->v4 && prefix_match(t->net + 12, s->q->ip + 12, t->c4) ? (int)t->qual : NOMATCH;
	case T_IP6:
		return !s->v4 && prefix_match(t->net, s->q->ip, t->c6) ? (int)t->qual : NOMATCH;
	case T_INCLUDE:
		/* 5.2: pass matches; fail, softfail, neutral do not; errors and
		 * none are permerror (none: the included domain has no policy) */
		switch (check(s, target, 0)) {
		case SPF_PASS: return t->qual;
		case SPF_FAIL: case SPF_SOFTFAIL: case SPF_NEUTRAL: return NOMATCH;
		case SPF_TEMPERROR: return SPF_TEMPERROR;
		case SPF_NONE: return problem(s, SPF_PERMERROR, "include of a domain without SPF record");
		default: return SPF_PERMERROR;
		}
	case T_A:
		d = ask(s, s->v4 ? SPF_RR_A : SPF_RR_AAAA, target, 0, &err);
		if (err) return err;
		if (d == SPF_DNS_TEMP) return problem(s, SPF_TEMPERROR, "DNS error looking up a");
		return d == SPF_DNS_OK && ans_match(s, t->c4, t->c6) ? (int)t->qual : NOMATCH;
	case T_MX: {
		char names[SPF_MX_MAX][SPF_NAME_MAX + 1];
		unsigned n, i;
		d = ask(s, SPF_RR_MX, target, 0, &err);
		if (err) return err;
		if (d == SPF_DNS_TEMP) return problem(s, SPF_TEMPERROR, "DNS error looking up mx");
		if (d != SPF_DNS_OK) return NOMATCH;
		if (s->ans.n > SPF_MX_MAX || s->ans.overflow) return problem(s, SPF_PERMERROR, "more than 10 MX names");
		n = copy_names(s, names, SPF_MX_MAX);
		for (i = 0; i < n; i++) {
			d = ask(s, s->v4 ? SPF_RR_A : SPF_RR_AAAA, names[i], 0, &err);
			if (err) return err;
			if (d == SPF_DNS_TEMP) return problem(s, SPF_TEMPERROR, "DNS error looking up an MX name");
			if (d == SPF_DNS_OK && ans_match(s, t->c4, t->c6)) return t->qual;
		}
		return NOMATCH;
	}
	case T_PTR:
		if ((err = ptr_validate(s, target, &m))) return err;
		return m ? (int)t->qual : NOMATCH;
	case T_EXISTS:
		/* 5.7: always an A query, whatever the client's family */
		d = ask(s, SPF_RR_A, target, 0, &err);
		if (err) return err;
		if (d == SPF_DNS_TEMP) return problem(s, SPF_TEMPERROR, "DNS error looking up exists");
		return d == SPF_DNS_OK ? (int)t->qual : NOMATCH;
	}
	return NOMATCH;
}

/* exp= (6.2): errors of any kind only mean no explanation, and leave the
 * problem noted for the log as it was. */
static void explain1(struct st *s, const struct rec *r, const char *domain)
{
	char target[SPF_NAME_MAX + 1], text[SPF_RECORD_MAX + 1];
	int err;
	size_t len;
	struct buf b = { s->out->explanation, 0, SPF_EXP_MAX, 0 };

	if (expand_domain(s, r->exp, r->explen, domain, target)) return;
	if (ask(s, SPF_RR_TXT, target, 1, &err) != SPF_DNS_OK || s->ans.n != 1 || s->ans.overflow) return;
	len = s->ans.len[0];
	if (len > SPF_RECORD_MAX) return;
	memcpy(text, s->ans.buf + s->ans.off[0], len);
	if (expand(s, text, len, domain, 1, &b) < 0) b.n = 0;
	s->out->explanation[b.n] = 0;
}

static void explain(struct st *s, const struct rec *r, const char *domain)
{
	char saved[sizeof s->out->problem];
	memcpy(saved, s->out->problem, sizeof saved);
	explain1(s, r, domain);
	memcpy(s->out->problem, saved, sizeof saved);
}

/* check_host() for one domain.  want_exp: this level's exp= is the
 * explanation of the result (not inside an include). */
static int check(struct st *s, const char *dom, int want_exp)
{
	struct rec r;
	char domain[SPF_NAME_MAX + 2];
	enum spf_dns d;
	unsigned i, found = 0, which = 0;
	int err, res = NOMATCH, k, hasall = 0;

	snprintf(domain, sizeof domain, "%s", dom);
	if (strlen(dom) > SPF_NAME_MAX + 1 || !domain_ok(domain)) return problem(s, SPF_NONE, "invalid domain");
	d = ask(s, SPF_RR_TXT, domain, 1, &err);
	if (d == SPF_DNS_TEMP) return problem(s, SPF_TEMPERROR, "DNS error looking up the SPF record");
	if (d != SPF_DNS_OK) return problem(s, SPF_NONE, "no SPF record");
	if (s->ans.overflow) return problem(s, SPF_PERMERROR, "TXT answer too large");
	/* 4.5: the records that begin "v=spf1" and a space or their end */
	for (i = 0; i < s->ans.n; i++) {
		const char *p = s->ans.buf + s->ans.off[i];
		size_t l = s->ans.len[i];
		if (l >= 6 && caseeq(p, 6, "v=spf1") && (l == 6 || p[6] == ' ')) { found++; which = i; }
	}
	if (!found) return problem(s, SPF_NONE, "no SPF record");
	if (found > 1) return problem(s, SPF_PERMERROR, "more than one SPF record");
	if (s->ans.len[which] > SPF_RECORD_MAX) return problem(s, SPF_PERMERROR, "SPF record too long");
	memcpy(r.text, s->ans.buf + s->ans.off[which], s->ans.len[which]);
	r.text[s->ans.len[which]] = 0;
	if (strlen(r.text) != s->ans.len[which]) return problem(s, SPF_PERMERROR, "NUL in SPF record");
	if ((err = parse(s, &r))) return err;

	for (k = 0; k < r.nt && res == NOMATCH; k++) {
		if (r.t[k].kind == T_ALL) hasall = 1;
		res = mechanism(s, &r.t[k], domain);
		if (res != NOMATCH && res != SPF_TEMPERROR && res != SPF_PERMERROR && !s->out->problem[0]) {
			char what[SPF_NAME_MAX + 40];
			snprintf(what, sizeof what, "matched term %d of %s", k + 1, domain);
			problem(s, 0, what);
		}
	}
	if (res == NOMATCH && r.redirect && !hasall) {
		/* 6.1: the result of the target's check_host, none there is permerror */
		char target[SPF_NAME_MAX + 1];
		if ((err = count(s))) return err;
		if ((err = expand_domain(s, r.redirect, r.redirectlen, domain, target))) return err;
		res = check(s, target, want_exp);
		if (res == SPF_NONE) return problem(s, SPF_PERMERROR, "redirect to a domain without SPF record");
		return res;
	}
	if (res == NOMATCH) res = SPF_NEUTRAL;
	if (res == SPF_FAIL && want_exp && r.exp) explain(s, &r, domain);
	return res;
}

enum spf_result spf_check_host(const struct spf_resolver *r, const struct spf_query *q, struct spf_outcome *out)
{
	static struct st zero;
	struct st s = zero;
	const char *at, *sender = q->sender && *q->sender ? q->sender : 0;
	int res;

	memset(out, 0, sizeof *out);
	s.r = r;
	s.q = q;
	s.out = out;
	s.v4 = !memcmp(q->ip, V4mappedprefix, 12);
	if (q->helo && strlen(q->helo) > SPF_NAME_MAX + 1)
		return out->result = (enum spf_result)problem(&s, SPF_NONE, "HELO name too long");
	snprintf(s.helo, sizeof s.helo, "%s", q->helo ? q->helo : "");
	/* 4.3: no sender: postmaster@helo; no local part: "postmaster" */
	if (sender) {
		if (strlen(sender) > SPF_SENDER_MAX) return out->result = (enum spf_result)problem(&s, SPF_NONE, "sender too long");
		at = strrchr(sender, '@');
		if (at && at != sender)
			snprintf(s.local, sizeof s.local, "%.*s", (int)(at - sender), sender);
		else
			strcpy(s.local, "postmaster");
		snprintf(s.odomain, sizeof s.odomain, "%s", at ? at + 1 : sender);
		{	/* at most SPF_SENDER_MAX + 11 bytes: "postmaster" replaces an empty local part */
			size_t ll = strlen(s.local), dl = strlen(s.odomain);
			if (ll + 1 + dl >= sizeof s.sender) return out->result = (enum spf_result)problem(&s, SPF_NONE, "sender too long");
			memcpy(s.sender, s.local, ll);
			s.sender[ll] = '@';
			memcpy(s.sender + ll + 1, s.odomain, dl + 1);
		}
	} else {
		strcpy(s.local, "postmaster");
		snprintf(s.odomain, sizeof s.odomain, "%s", s.helo);
		snprintf(s.sender, sizeof s.sender, "postmaster@%s", s.helo);
	}
	res = check(&s, q->domain ? q->domain : "", 1);
	out->result = (enum spf_result)res;
	return out->result;
}
