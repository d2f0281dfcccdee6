/*
 * imapurl: IMAP URLs of messages (RFC 5092); the contract is in imapurl.h.
 * One pass, left to right, over at most IMAPURL_MAX bytes; every copy is
 * bounded by its field's size.
 */
#include <string.h>
#include <strings.h>
#include "imapparse.h"
#include "imapurl.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

/* Percent-decodes p..end into out (cap bytes, NUL-terminated).  0, or -1
 * (a bad escape, NUL or another control, or too long). */
static int decode(const char *p, const char *end, char *out, size_t cap)
{
	size_t n = 0;

	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '%') {
			int h, l;
			if (end - p < 3 || (h = hexval(p[1])) < 0 || (l = hexval(p[2])) < 0) return -1;
			c = (unsigned char)(h << 4 | l);
			p += 3;
		} else {
			p++;
		}
		if (c < 0x20 || c == 0x7f) return -1;
		if (n + 1 >= cap) return -1;
		out[n++] = (char)c;
	}
	out[n] = 0;
	return n ? 0 : -1;
}

/* Does p..end start with the keyword k (case-insensitive)? */
static int kw(const char *p, const char *end, const char *k)
{
	size_t n = strlen(k);
	return (size_t)(end - p) >= n && !strncasecmp(p, k, n);
}

/* Digits at *p up to a byte that is not one, as an RFC 3501 number. */
static int number(const char **p, const char *end, uint32_t *v, int nz)
{
	const char *q = *p;
	while (q < end && *q >= '0' && *q <= '9') q++;
	if ((nz ? imap_nz_number(*p, (size_t)(q - *p), v) : imap_number(*p, (size_t)(q - *p), v)) < 0) return -1;
	*p = q;
	return 0;
}

/* "imap://" iserver, up to the "/" that starts the path. */
static int server(const char **pp, const char *end, struct imapurl *u)
{
	const char *p = *pp, *slash, *at, *host, *colon, *semi;
	size_t n;

	slash = memchr(p, '/', (size_t)(end - p));
	if (!slash) return -1;
	at = memchr(p, '@', (size_t)(slash - p));
	host = p;
	if (at) {
		/* iuserinfo: enc-user [iauth] / iauth; the auth type is not ours to check */
		semi = memchr(p, ';', (size_t)(at - p));
		if (semi && !kw(semi, at, ";AUTH=")) return -1;
		if ((semi ? semi : at) > p && decode(p, semi ? semi : at, u->user, sizeof u->user) < 0) return -1;
		host = at + 1;
	}
	colon = memchr(host, ':', (size_t)(slash - host));
	n = (size_t)((colon ? colon : slash) - host);
	if (!n || n > IMAPURL_HOST_MAX) return -1;
	memcpy(u->host, host, n);
	u->host[n] = 0;
	for (size_t i = 0; i < n; i++) {
		char c = u->host[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '[' || c == ']' || c == ':'))
			return -1;
	}
	if (colon) {
		const char *q = colon + 1;
		uint32_t v;
		if (number(&q, slash, &v, 1) < 0 || q != slash || v > 65535) return -1;
		u->port = v;
	}
	*pp = slash;
	u->server = 1;
	return 0;
}

int imapurl_parse(const char *s, size_t len, struct imapurl *u)
{
	const char *p = s, *end = s + len, *q;

	memset(u, 0, sizeof *u);
	if (!len || len > IMAPURL_MAX || memchr(s, 0, len) || memchr(s, '?', len) || memchr(s, '#', len)) return -1;
	if (kw(p, end, "imap://")) {
		p += 7;
		if (server(&p, end, u) < 0) return -1;
		if (p >= end || *p != '/') return -1;
	}
	if (*p == '/') {
		/* enc-mailbox: up to the first ";" (not a bchar), the "/" before
		 * ";UID=" not included */
		p++;
		q = memchr(p, ';', (size_t)(end - p));
		if (!q) return -1;
		if (q[-1] == '/' && q - 1 > p) {
			if (decode(p, q - 1, u->mailbox, sizeof u->mailbox) < 0) return -1;
			p = q - 1;
		} else {
			if (decode(p, q, u->mailbox, sizeof u->mailbox) < 0) return -1;
			p = q;
			if (!kw(p, end, ";UIDVALIDITY=")) return -1;
			p += 13;
			if (number(&p, end, &u->uidvalidity, 1) < 0) return -1;
		}
		u->mailbox_given = 1;
		if (!kw(p, end, "/;UID=")) return -1;
		p += 6;
	} else if (!u->server && kw(p, end, ";UID=")) {
		p += 5;
	} else {
		return -1;
	}
	if (number(&p, end, &u->uid, 1) < 0) return -1;
	if (kw(p, end, "/;SECTION=")) {
		p += 10;
		/* enc-section: bchars, up to the "/;" of a partial */
		for (q = p; q < end && *q != ';'; q++) {}
		if (q < end) {
			if (q[-1] != '/' || q - 1 <= p) return -1;
			q--;
		}
		if (decode(p, q, u->section, sizeof u->section) < 0) return -1;
		p = q;
	}
	if (kw(p, end, "/;PARTIAL=")) {
		p += 10;
		if (number(&p, end, &u->offset, 0) < 0) return -1;
		if (p < end && *p == '.') {
			p++;
			if (number(&p, end, &u->length, 1) < 0) return -1;
		}
		u->partial = 1;
	}
	return p == end ? 0 : -1;
}
