/*
 * routes: the routes file; format and contract in routes.h.
 * The whole file is checked on every lookup: it is small, read once per
 * posthorn-remote run, and a typo must not hide until some domain needs it.
 */
#include <string.h>
#include <strings.h>
#include "addr.h"
#include "routes.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Splits [p, end) into up to max words; returns the count, or -1 if more. */
static int words(const char *p, const char *end, const char **w, size_t *wl, int max)
{
	int n = 0;

	for (;;) {
		while (p < end && is_space(*p)) p++;
		if (p == end) return n;
		if (n == max) return -1;
		w[n] = p;
		while (p < end && !is_space(*p)) p++;
		wl[n] = (size_t)(p - w[n]);
		n++;
	}
}

static int parse_port(const char *s, size_t n, unsigned *port)
{
	unsigned v = 0;
	size_t i;

	if (!n || n > 5) return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (!v || v > 65535) return -1;
	*port = v;
	return 0;
}

static int parse_host(const char *s, size_t n, struct route *r, const char **why)
{
	const char *colon;
	size_t hl;

	r->port = 25;
	r->literal = 0;
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		struct addr a;
		char probe[ROUTES_HOST_MAX + 8];
		if (!close) return *why = "unclosed '[' in host", -1;
		hl = (size_t)(close - s + 1);
		if (hl + 2 > sizeof probe) return *why = "host too long", -1;
		/* Let the address parser judge the literal: "x@[...]". */
		probe[0] = 'x';
		probe[1] = '@';
		memcpy(probe + 2, s, hl);
		if (addr_parse(&a, probe, hl + 2, 0) != ADDR_OK || !a.literal) return *why = "bad address literal", -1;
		if (hl - 2 > ROUTES_HOST_MAX) return *why = "host too long", -1;
		if (hl > 7 && !strncasecmp(s + 1, "IPv6:", 5)) {
			memcpy(r->host, s + 6, hl - 7);
			r->host[hl - 7] = 0;
		} else {
			memcpy(r->host, s + 1, hl - 2);
			r->host[hl - 2] = 0;
		}
		r->literal = 1;
		if (hl == n) return 0;
		if (s[hl] != ':' || parse_port(s + hl + 1, n - hl - 1, &r->port)) return *why = "bad port", -1;
		return 0;
	}
	colon = memchr(s, ':', n);
	hl = colon ? (size_t)(colon - s) : n;
	if (!hl || hl > ROUTES_HOST_MAX || addr_check_domain(s, hl, 0) != ADDR_OK) return *why = "bad host name", -1;
	memcpy(r->host, s, hl);
	r->host[hl] = 0;
	if (colon && parse_port(colon + 1, n - hl - 1, &r->port)) return *why = "bad port", -1;
	return 0;
}

static int parse_option(const char *s, size_t n, struct route *r, const char **why)
{
	if (n > 4 && !memcmp(s, "tls=", 4)) {
		if (n == 8 && !memcmp(s + 4, "none", 4)) r->tls = ROUTES_TLS_NONE;
		else if (n == 17 && !memcmp(s + 4, "opportunistic", 13)) r->tls = ROUTES_TLS_OPPORTUNISTIC;
		else if (n == 10 && !memcmp(s + 4, "verify", 6)) r->tls = ROUTES_TLS_VERIFY;
		else return *why = "tls= must be none, opportunistic or verify", -1;
		return 0;
	}
	if (n > 5 && !memcmp(s, "auth=", 5)) {
		const char *c = memchr(s + 5, ':', n - 5);
		size_t ul, pl;
		if (!c) return *why = "auth= must be USER:PASSWORD", -1;
		ul = (size_t)(c - s - 5);
		pl = n - 5 - ul - 1;
		if (!ul || !pl || ul > ROUTES_AUTH_MAX || pl > ROUTES_AUTH_MAX) return *why = "bad auth= user or password", -1;
		memcpy(r->user, s + 5, ul);
		r->user[ul] = 0;
		memcpy(r->password, c + 1, pl);
		r->password[pl] = 0;
		return 0;
	}
	return *why = "unknown option", -1;
}

/* How well pattern matches domain: 0 no match, else a rank (higher wins). */
static size_t match(const char *pat, size_t n, const char *domain)
{
	size_t dl = strlen(domain);

	if (n == 1 && pat[0] == '*') return 1;
	if (pat[0] == '.') {
		if (dl > n && !strncasecmp(domain + dl - n, pat, n)) return 1 + n;
		return 0;
	}
	if (dl == n && !strncasecmp(domain, pat, n)) return 100000;
	return 0;
}

int routes_find(const char *text, size_t len, const char *domain, struct route *r,
                const char **why, unsigned *line)
{
	const char *p = text, *end = text + len, *nl;
	size_t best = 0;
	unsigned ln = 0;

	*why = "";
	*line = 0;
	while (p < end) {
		const char *w[4];
		size_t wl[4], m;
		struct route cur;
		int n, i;

		ln++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) nl = end;
		if ((size_t)(nl - p) > ROUTES_LINE_MAX) return *why = "line too long", *line = ln, -1;
		if (memchr(p, 0, (size_t)(nl - p))) return *why = "NUL byte", *line = ln, -1;
		n = words(p, nl, w, wl, 4);
		p = nl + 1;
		if (n == 0 || w[0][0] == '#') continue;
		if (n < 0) return *why = "too many fields", *line = ln, -1;
		if (n < 2) return *why = "a pattern needs a host", *line = ln, -1;
		if (!(wl[0] == 1 && w[0][0] == '*') &&
		    addr_check_domain(w[0] + (w[0][0] == '.'), wl[0] - (w[0][0] == '.'), ADDR_ALLOW_UTF8) != ADDR_OK)
			return *why = "bad pattern", *line = ln, -1;
		memset(&cur, 0, sizeof cur);
		if (parse_host(w[1], wl[1], &cur, why)) return *line = ln, -1;
		for (i = 2; i < n; i++)
			if (parse_option(w[i], wl[i], &cur, why)) return *line = ln, -1;
		m = match(w[0], wl[0], domain);
		if (m > best) {
			best = m;
			*r = cur;
		}
	}
	return best ? 1 : 0;
}
