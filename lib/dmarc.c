/*
 * DMARC (RFC 7489, RFC 9091): record parser, policy discovery, alignment,
 * result.  See dmarc.h.
 */
#include <dlfcn.h>
#include <string.h>
#include <libpsl.h>
#include <stralloc.h>
#include "dmarc.h"

static int is_wsp(char c) { return c == ' ' || c == '\t'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static int eq_ci(const char *s, size_t n, const char *lit)
{
	size_t i;
	if (strlen(lit) != n) return 0;
	for (i = 0; i < n; i++)
		if (lower(s[i]) != lit[i]) return 0;
	return 1;
}

static enum dmarc_policy policy(const char *v, size_t n)
{
	if (eq_ci(v, n, "none")) return DMARC_P_NONE;
	if (eq_ci(v, n, "quarantine")) return DMARC_P_QUARANTINE;
	if (eq_ci(v, n, "reject")) return DMARC_P_REJECT;
	return DMARC_P_UNSET;
}

/* RFC 7489 6.4 dmarc-uri: a URI (RFC 3986: scheme ":" ...) with an optional
 * "!" size.  Valid enough when the scheme is ALPHA *(ALPHA/DIGIT/+-.)
 * followed by ':' and something, with no white space or control byte. */
static int uri_ok(const char *s, size_t n)
{
	size_t i = 0;

	while (n && is_wsp(s[n - 1])) n--;
	while (i < n && is_wsp(s[i])) i++;
	if (i == n || !is_alpha(s[i])) return 0;
	for (i++; i < n && s[i] != ':'; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.') return 0;
	if (i + 1 >= n) return 0;
	for (i++; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) return 0;
	return 1;
}

/* A comma-separated list with at least one valid URI. */
static int uris_ok(const char *s, size_t n)
{
	size_t i = 0;

	while (i <= n) {
		size_t j = i;
		while (j < n && s[j] != ',') j++;
		if (uri_ok(s + i, j - i)) return 1;
		i = j + 1;
	}
	return 0;
}

/* fo: "0" / "1" / "d" / "s" separated by ':' (6.3). */
static int fo_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || n > DMARC_FO_MAX) return 0;
	for (i = 0; i < n; i++) {
		if (i % 2 == 0 && !strchr("01ds", lower(s[i]))) return 0;
		if (i % 2 == 1 && s[i] != ':') return 0;
	}
	return n % 2 == 1;
}

static int number(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!n || n > 10) return 0;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i])) return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max) return 0;
	*out = v;
	return 1;
}

/* Is text a DMARC record at all: "v" *WSP "=" *WSP "DMARC1" then *WSP and
 * ';' or the end (6.4; the version is case-sensitive %x literals)?  Returns
 * the offset after it, or 0. */
static size_t version(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_wsp(s[i])) i++;
	if (i == n || s[i] != 'v') return 0;
	for (i++; i < n && is_wsp(s[i]); i++) ;
	if (i == n || s[i] != '=') return 0;
	for (i++; i < n && is_wsp(s[i]); i++) ;
	if (n - i < 6 || memcmp(s + i, "DMARC1", 6)) return 0;
	for (i += 6; i < n && is_wsp(s[i]); i++) ;
	if (i < n && s[i] != ';') return 0;
	return i;
}

/* The tags of 6.3 this parser knows; others are ignored. */
enum tag { T_V, T_P, T_SP, T_NP, T_ADKIM, T_ASPF, T_PCT, T_RI, T_FO, T_RUA, T_RUF, T_OTHER };
static const char *const tag_names[T_OTHER] = {
	"v", "p", "sp", "np", "adkim", "aspf", "pct", "ri", "fo", "rua", "ruf"
};

int dmarc_parse(struct dmarc_record *r, const char *s, size_t n, const char **why)
{
	size_t i, k;
	unsigned seen = 1u << T_V;
	int sp_bad = 0;
	unsigned long num;

	memset(r, 0, sizeof *r);
	r->adkim = r->aspf = 'r';
	r->pct = 100;
	r->ri = 86400;
	r->fo[0] = '0';
	*why = 0;
	if (!(i = version(s, n))) return 0;
	if (n > DMARC_RECORD_MAX) { *why = "record too long"; return -1; }
	/* Records are ASCII (6.4); no control byte may reach a log or header. */
	for (k = 0; k < n; k++)
		if (((unsigned char)s[k] < ' ' && s[k] != '\t') || (unsigned char)s[k] >= 0x7f) {
			*why = "invalid byte in record";
			return -1;
		}
	/* tag-list (RFC 6376 3.2, which 7489 6.4 uses): tag *WSP "=" *WSP value,
	 * separated by ';', a final ';' allowed. */
	while (i < n) {
		size_t t, tl, v, vl;
		enum tag tag;
		i++;                                    /* the ';' */
		while (i < n && is_wsp(s[i])) i++;
		if (i == n) break;
		t = i;
		if (!is_alpha(s[i])) { *why = "invalid tag name"; return -1; }
		while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_')) i++;
		tl = i - t;
		while (i < n && is_wsp(s[i])) i++;
		if (i == n || s[i] != '=') { *why = "tag without value"; return -1; }
		for (i++; i < n && is_wsp(s[i]); i++) ;
		v = i;
		while (i < n && s[i] != ';') i++;
		for (vl = i - v; vl && is_wsp(s[v + vl - 1]); vl--) ;
		for (tag = T_V; tag < T_OTHER && !eq_ci(s + t, tl, tag_names[tag]); tag++) ;
		if (tag == T_OTHER) continue;           /* unknown: ignored (6.3) */
		/* A tag twice makes the tag-list invalid (RFC 6376 3.2). */
		if (seen & (1u << tag)) { *why = "tag given twice"; return -1; }
		seen |= 1u << tag;
		switch (tag) {
		case T_P: r->p = policy(s + v, vl); break;
		case T_SP: if (!(r->sp = policy(s + v, vl))) sp_bad = 1; break;
		case T_NP: r->np = policy(s + v, vl); break;    /* invalid: as if absent */
		case T_ADKIM:
		case T_ASPF:
			if (vl == 1 && (lower(s[v]) == 'r' || lower(s[v]) == 's'))
				*(tag == T_ADKIM ? &r->adkim : &r->aspf) = lower(s[v]);
			break;
		case T_PCT: if (number(s + v, vl, 100, &num)) r->pct = (unsigned)num; break;
		case T_RI: if (number(s + v, vl, 0xffffffffUL, &num)) r->ri = num; break;
		case T_FO: if (fo_ok(s + v, vl)) { memcpy(r->fo, s + v, vl); r->fo[vl] = 0; } break;
		case T_RUA:
		case T_RUF: {
			/* Kept as published (no reports are sent yet), bounded. */
			char *o = tag == T_RUA ? r->rua : r->ruf;
			if (vl > DMARC_URIS_MAX) vl = DMARC_URIS_MAX;
			memcpy(o, s + v, vl);
			o[vl] = 0;
			break;
		}
		default: break;
		}
	}
	/* 6.6.3 step 6: no valid p=, or an invalid sp=: act as p=none when rua=
	 * holds a valid URI, else no DMARC processing. */
	if (!r->p || sp_bad) {
		if (!uris_ok(r->rua, strlen(r->rua))) {
			*why = r->p ? "invalid sp=" : "no valid p=";
			return -1;
		}
		r->p = DMARC_P_NONE;
		r->sp = DMARC_P_UNSET;
		r->p_assumed = 1;
	}
	return 1;
}

/* Lower-cases a domain name into out, a final dot dropped.  Labels of
 * LDH, '_' (not in host names, but harmless here) and UTF-8 bytes. */
static int domain_copy(char out[DMARC_DOMAIN_MAX + 1], const char *d)
{
	size_t n = strlen(d), i, label = 0;

	if (n && d[n - 1] == '.') n--;
	if (!n || n > DMARC_DOMAIN_MAX) return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.') {
			if (!label) return -1;
			label = 0;
		} else if (is_alpha((char)c) || is_digit((char)c) || c == '-' || c == '_' || c >= 0x80) {
			if (++label > 63) return -1;
		} else {
			return -1;
		}
		out[i] = lower((char)c);
	}
	if (!label) return -1;
	out[n] = 0;
	return 0;
}

/*
 * libpsl is opened on first use, not linked: it and what it pulls in
 * (libidn2, libunistring) cost every exec of a program that links them
 * about half a millisecond of mapping and relocation, measured here, and
 * posthorn-smtpd starts for every connection while most messages never
 * need the list (the domains compared are the same).  The list is loaded
 * once and kept for the life of the process; without libpsl, every domain
 * is its own organizational domain (dmarc.h).
 */
static const char *(*registrable)(const psl_ctx_t *, const char *);

static const psl_ctx_t *psl(void)
{
	static const psl_ctx_t *ctx;
	static int tried;
	void *lib;
	const psl_ctx_t *(*latest)(const char *), *(*builtin)(void);

	if (tried) return ctx;
	tried = 1;
	if (!(lib = dlopen("libpsl.so.5", RTLD_NOW | RTLD_LOCAL))) return 0;
	*(void **)&latest = dlsym(lib, "psl_latest");
	*(void **)&builtin = dlsym(lib, "psl_builtin");
	*(void **)&registrable = dlsym(lib, "psl_registrable_domain");
	if (!registrable) return 0;
	if (latest) ctx = latest(0);
	if (!ctx && builtin) ctx = builtin();
	return ctx;
}

int dmarc_org_domain(char out[DMARC_DOMAIN_MAX + 1], const char *domain)
{
	const char *reg;
	const psl_ctx_t *p;

	if (domain_copy(out, domain) < 0) return -1;
	p = psl();
	if (p && (reg = registrable(p, out)) && reg != out)
		memmove(out, reg, strlen(reg) + 1);
	return 0;
}

int dmarc_aligned(const char *a, const char *from, char mode)
{
	char x[DMARC_DOMAIN_MAX + 1], y[DMARC_DOMAIN_MAX + 1];

	if (domain_copy(x, a) < 0 || domain_copy(y, from) < 0) return 0;
	/* the same domain is aligned in either mode, without the list */
	if (mode == 's' || !strcmp(x, y)) return !strcmp(x, y);
	if (dmarc_org_domain(x, a) < 0 || dmarc_org_domain(y, from) < 0) return 0;
	return !strcmp(x, y);
}

/* The TXT records at _dmarc.DOMAIN: FOUND (exactly one usable DMARC
 * record, in *r), NOTFOUND (none), DNSFAIL, or INVALID (several, or an
 * unusable one). */
static enum dmarc_found lookup(const char *domain, const struct dmarc_dns *dns,
			       struct dmarc_record *r, const char **why)
{
	stralloc out = {0}, name = {0};
	struct dmarc_record tmp;
	size_t i = 0;
	unsigned nrec = 0, ndmarc = 0;
	int parsed = 0;
	const char *w = 0;

	if (!stralloc_copys(&name, "_dmarc.") || !stralloc_cats(&name, domain) || !stralloc_0(&name)) {
		*why = "out of memory";
		return DMARC_DNSFAIL;
	}
	if (name.len - 1 > 253) { stralloc_free(&name); return DMARC_NOTFOUND; }
	if (dns->txt(dns->ctx, &out, name.s) < 0) {
		stralloc_free(&name);
		stralloc_free(&out);
		*why = "DNS lookup of the DMARC record failed";
		return DMARC_DNSFAIL;
	}
	while (i < out.len && nrec < DMARC_TXT_MAX) {
		const char *e = memchr(out.s + i, 0, out.len - i);
		size_t n = e ? (size_t)(e - (out.s + i)) : out.len - i;
		int k = dmarc_parse(&tmp, out.s + i, n, &w);
		nrec++;
		if (k != 0) {
			ndmarc++;
			parsed = k;
			*r = tmp;
			if (k < 0) *why = w;
		}
		i += n + 1;
	}
	stralloc_free(&name);
	stralloc_free(&out);
	/* 6.6.3 step 5: several records, policy discovery ends. */
	if (ndmarc > 1) { *why = "several DMARC records"; return DMARC_INVALID; }
	if (!ndmarc) return DMARC_NOTFOUND;
	return parsed > 0 ? DMARC_FOUND : DMARC_INVALID;
}

enum dmarc_found dmarc_discover(const char *from, const struct dmarc_dns *dns,
				struct dmarc_record *r, char domain[DMARC_DOMAIN_MAX + 1],
				const char **why)
{
	char org[DMARC_DOMAIN_MAX + 1];
	enum dmarc_found f;

	*why = 0;
	if (domain_copy(domain, from) < 0) { *why = "invalid From domain"; return DMARC_INVALID; }
	f = lookup(domain, dns, r, why);
	if (f != DMARC_NOTFOUND) return f;
	if (dmarc_org_domain(org, domain) < 0 || !strcmp(org, domain)) {
		*why = "no DMARC record";
		return DMARC_NOTFOUND;
	}
	f = lookup(org, dns, r, why);
	if (f == DMARC_NOTFOUND) *why = "no DMARC record";
	if (f == DMARC_FOUND) memcpy(domain, org, strlen(org) + 1);
	return f;
}

void dmarc_check(const char *from, const struct dmarc_auth *auth, const struct dmarc_dns *dns,
		 unsigned rnd, struct dmarc_result *res)
{
	enum dmarc_found f;
	unsigned i;

	memset(res, 0, sizeof *res);
	if (domain_copy(res->from, from) < 0) {
		res->status = DMARC_PERMERROR;
		res->why = "invalid From domain";
		return;
	}
	f = dmarc_discover(res->from, dns, &res->rec, res->policy_domain, &res->why);
	if (f == DMARC_NOTFOUND) { res->status = DMARC_NONE; return; }
	if (f == DMARC_DNSFAIL) { res->status = DMARC_TEMPERROR; return; }
	if (f == DMARC_INVALID) { res->status = DMARC_PERMERROR; return; }

	/* 6.6.2: pass when SPF or DKIM passed for an aligned identifier. */
	if (auth->spf_domain && *auth->spf_domain)
		res->spf_aligned = dmarc_aligned(auth->spf_domain, res->from, res->rec.aspf);
	for (i = 0; i < auth->ndkim && !res->dkim_aligned; i++)
		if (auth->dkim_domains[i])
			res->dkim_aligned = dmarc_aligned(auth->dkim_domains[i], res->from, res->rec.adkim);

	/* Which policy: the From domain's own record says p=; a record of the
	 * organizational domain says sp= for its subdomains (6.3), or np= for
	 * one that does not exist (RFC 9091 4.2), each falling back to p=. */
	res->policy = res->rec.p;
	if (strcmp(res->policy_domain, res->from)) {
		int nx = 0;
		if (res->rec.np && dns->exists) nx = dns->exists(dns->ctx, res->from) == 0;
		if (nx) res->policy = res->rec.np;
		else if (res->rec.sp) res->policy = res->rec.sp;
	}
	if (res->spf_aligned || res->dkim_aligned) {
		res->status = DMARC_PASS;
		res->apply = DMARC_P_NONE;
		return;
	}
	res->status = DMARC_FAIL;
	res->apply = res->policy;
	/* 6.6.4: a message outside pct= gets the next less strict policy. */
	if (rnd >= res->rec.pct) {
		res->sampled_out = 1;
		if (res->apply == DMARC_P_REJECT) res->apply = DMARC_P_QUARANTINE;
		else if (res->apply == DMARC_P_QUARANTINE) res->apply = DMARC_P_NONE;
	}
}

const char *dmarc_status_name(enum dmarc_status s)
{
	switch (s) {
	case DMARC_PASS: return "pass";
	case DMARC_FAIL: return "fail";
	case DMARC_TEMPERROR: return "temperror";
	case DMARC_PERMERROR: return "permerror";
	default: return "none";
	}
}

const char *dmarc_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_P_QUARANTINE: return "quarantine";
	case DMARC_P_REJECT: return "reject";
	case DMARC_P_NONE: return "none";
	default: return "";
	}
}
