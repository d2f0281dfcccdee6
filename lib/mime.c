/* mime: MIME structure, header fields, addresses and decoders; see mime.h. */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime.h"

#define CHUNK 65536

struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

static const char *keep(struct mime *m, const char *s, size_t len)
{
	struct chunk *c = m->chunks;
	char *r;

	if (len > MIME_VALUE_MAX) len = MIME_VALUE_MAX;
	if (!c || c->cap - c->used < len + 1) {
		c = malloc(sizeof *c + CHUNK);
		if (!c) return "";
		c->next = m->chunks;
		c->used = 0;
		c->cap = CHUNK;
		m->chunks = c;
	}
	r = c->data + c->used;
	memcpy(r, s, len);
	r[len] = 0;
	c->used += len + 1;
	return r;
}

/* ---- header fields ---- */

static size_t line_len(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);
	return nl ? (size_t)(nl - s) + 1 : len;
}

static int is_blank(const char *s, size_t l)
{
	return (l == 1 && s[0] == '\n') || (l == 2 && s[0] == '\r' && s[1] == '\n');
}

static int is_field_start(const char *s, size_t l)
{
	size_t i;
	for (i = 0; i < l; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':') return i > 0;
		if (c <= 0x20 || c >= 0x7f) {
			/* obsolete white space before the colon */
			while (i < l && (s[i] == ' ' || s[i] == '\t')) i++;
			return i < l && s[i] == ':' && i > 0;
		}
	}
	return 0;
}

size_t mime_header_end(const char *data, size_t len)
{
	size_t pos = 0;
	while (pos < len) {
		size_t l = line_len(data + pos, len - pos);
		if (is_blank(data + pos, l)) return pos + l;
		if (!is_field_start(data + pos, l) && !(pos && (data[pos] == ' ' || data[pos] == '\t'))) return pos;
		pos += l;
	}
	return len;
}

int mime_next_field(const char *hdr, size_t hlen, size_t *pos, const char **field, size_t *flen)
{
	size_t p = *pos, start;

	while (p < hlen) {
		size_t l = line_len(hdr + p, hlen - p);
		if (is_blank(hdr + p, l)) return 0;
		if (is_field_start(hdr + p, l)) break;
		p += l;    /* a stray line: skip it */
	}
	if (p >= hlen) return 0;
	start = p;
	p += line_len(hdr + p, hlen - p);
	while (p < hlen && (hdr[p] == ' ' || hdr[p] == '\t')) p += line_len(hdr + p, hlen - p);
	*field = hdr + start;
	*flen = p - start;
	*pos = p;
	return 1;
}

static int name_is(const char *f, size_t flen, const char *name)
{
	size_t n = strlen(name);
	if (flen <= n || strncasecmp(f, name, n)) return 0;
	while (n < flen && (f[n] == ' ' || f[n] == '\t')) n++;
	return n < flen && f[n] == ':';
}

/* The unfolded, trimmed value of a field into out. */
static int unfold(const char *f, size_t flen, stralloc *out)
{
	const char *c = memchr(f, ':', flen);
	size_t i, start;

	out->len = 0;
	if (!c) return stralloc_0(out) ? 0 : -1;
	for (i = (size_t)(c - f) + 1; i < flen; i++) {
		if (f[i] == '\r' || f[i] == '\n') continue;
		if (!stralloc_append(out, &f[i])) return -1;
	}
	/* trim */
	start = 0;
	while (start < out->len && (out->s[start] == ' ' || out->s[start] == '\t')) start++;
	while (out->len > start && (out->s[out->len - 1] == ' ' || out->s[out->len - 1] == '\t')) out->len--;
	if (start) {
		memmove(out->s, out->s + start, out->len - start);
		out->len -= start;
	}
	if (!stralloc_0(out)) return -1;
	out->len--;
	return 0;
}

int mime_field(const char *hdr, size_t hlen, const char *name, stralloc *out)
{
	size_t pos = 0, flen;
	const char *f;
	while (mime_next_field(hdr, hlen, &pos, &f, &flen))
		if (name_is(f, flen, name)) return unfold(f, flen, out) == 0;
	return 0;
}

/* ---- content fields ---- */

static const char *skip_cfws(const char *p, const char *end)
{
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
		if (p < end && *p == '(') {
			int depth = 0;
			for (; p < end; p++) {
				if (*p == '\\' && p + 1 < end) { p++; continue; }
				if (*p == '(') depth++;
				else if (*p == ')' && !--depth) { p++; break; }
			}
			continue;
		}
		return p;
	}
}

static int tspecial(char c)
{
	return (unsigned char)c <= 0x20 || strchr("()<>@,;:\\\"/[]?=", c) != 0;
}

static const char *token(const char *p, const char *end, const char **t, size_t *tl)
{
	*t = p;
	while (p < end && !tspecial(*p)) p++;
	*tl = (size_t)(p - *t);
	return p;
}

/* ";name=value" list into params. */
static void parse_params(struct mime *m, const char *p, const char *end, struct mime_params *pp)
{
	stralloc v = {0};
	pp->n = 0;
	for (;;) {
		const char *nm, *val;
		size_t nl, vl;
		p = skip_cfws(p, end);
		if (p >= end) break;
		if (*p != ';') { p++; continue; }
		p = skip_cfws(p + 1, end);
		p = token(p, end, &nm, &nl);
		p = skip_cfws(p, end);
		if (!nl || p >= end || *p != '=') continue;
		p = skip_cfws(p + 1, end);
		v.len = 0;
		if (p < end && *p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end) p++;
				if (!stralloc_append(&v, p)) break;
			}
			if (p < end) p++;
			val = v.s ? v.s : "";
			vl = v.len;
		} else {
			p = token(p, end, &val, &vl);
		}
		if (pp->n < MIME_PARAMS_MAX) {
			pp->name[pp->n] = keep(m, nm, nl);
			pp->value[pp->n] = keep(m, val, vl);
			pp->n++;
		}
	}
	stralloc_free(&v);
}

const char *mime_param(const struct mime_params *p, const char *name)
{
	unsigned i;
	for (i = 0; i < p->n; i++)
		if (!strcasecmp(p->name[i], name)) return p->value[i];
	return 0;
}

static unsigned long count_lines(const char *s, size_t len)
{
	unsigned long n = 0;
	const char *p = s, *end = s + len;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) { n++; p++; }
	if (len && s[len - 1] != '\n') n++;
	return n;
}

static struct mime_part *parse_part(struct mime *m, size_t off, size_t len, int depth, int digest);

static struct mime_part *new_part(struct mime *m)
{
	struct mime_part *p;
	if (m->nparts >= MIME_PARTS_MAX) return 0;
	p = &m->part[m->nparts++];
	memset(p, 0, sizeof *p);
	return p;
}

static void add_child(struct mime_part *parent, struct mime_part **last, struct mime_part *c)
{
	if (!c) return;
	if (*last) (*last)->next = c;
	else parent->child = c;
	*last = c;
	parent->nchild++;
}

static void split(struct mime *m, struct mime_part *mp)
{
	const char *bnd = mime_param(&mp->params, "boundary");
	const char *d = m->data, *p, *end;
	size_t blen, start = (size_t)-1;
	struct mime_part *last = 0;
	int digest = !strcasecmp(mp->subtype, "digest"), closed = 0;

	if (bnd && (blen = strlen(bnd)) > 0 && blen <= 200) {
		p = d + mp->body;
		end = p + mp->bodylen;
		while (p < end) {
			size_t l = line_len(p, (size_t)(end - p));
			const char *le = p + l;
			if (l >= 2 + blen && p[0] == '-' && p[1] == '-' && !memcmp(p + 2, bnd, blen)) {
				const char *q = p + 2 + blen;
				int close = q + 1 < le && q[0] == '-' && q[1] == '-';
				if (close) q += 2;
				while (q < le && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')) q++;
				if (q == le) {
					if (start != (size_t)-1) {
						size_t e = (size_t)(p - d);
						if (e > start && d[e - 1] == '\n') e--;
						if (e > start && d[e - 1] == '\r') e--;
						add_child(mp, &last, parse_part(m, start, e - start, mp->depth + 1, digest));
					}
					if (close) { closed = 1; start = (size_t)-1; break; }
					start = (size_t)(le - d);
				}
			}
			p = le;
		}
		if (!closed && start != (size_t)-1) {
			/* no close delimiter: the part ends at the end of its parent,
			 * without the last line end (as if a delimiter followed) */
			size_t e = mp->body + mp->bodylen;
			if (e > start && d[e - 1] == '\n') e--;
			if (e > start && d[e - 1] == '\r') e--;
			add_child(mp, &last, parse_part(m, start, e - start, mp->depth + 1, digest));
		}
	}
	if (!mp->nchild) {
		/* no boundary seen: one text/plain part with the whole body */
		struct mime_part *c = new_part(m);
		if (!c) return;
		c->hdr = c->body = mp->body;
		c->bodylen = mp->bodylen;
		c->type = "text";
		c->subtype = "plain";
		c->params.n = 1;
		c->params.name[0] = "charset";
		c->params.value[0] = "us-ascii";
		c->lines = count_lines(d + c->body, c->bodylen);
		c->depth = mp->depth + 1;
		add_child(mp, &last, c);
	}
}

static struct mime_part *parse_part(struct mime *m, size_t off, size_t len, int depth, int digest)
{
	struct mime_part *p = new_part(m);
	const char *d = m->data;
	size_t hend, pos = 0, flen;
	const char *f;
	stralloc v = {0};
	int have_type = 0;

	if (!p) return 0;
	p->depth = depth;
	hend = mime_header_end(d + off, len);
	p->hdr = off;
	p->hdrlen = hend;
	p->body = off + hend;
	p->bodylen = len - hend;
	while (mime_next_field(d + off, hend, &pos, &f, &flen)) {
		if (strncasecmp(f, "content-", 8)) continue;
		if (unfold(f, flen, &v) < 0) break;
		if (name_is(f, flen, "content-type")) {
			const char *q = v.s, *end = v.s + v.len, *t, *st;
			size_t tl, stl;
			if (have_type) continue;
			q = skip_cfws(q, end);
			q = token(q, end, &t, &tl);
			q = skip_cfws(q, end);
			if (!tl || q >= end || *q != '/') continue;
			q = skip_cfws(q + 1, end);
			q = token(q, end, &st, &stl);
			if (!stl) continue;
			p->type = keep(m, t, tl);
			p->subtype = keep(m, st, stl);
			parse_params(m, q, end, &p->params);
			have_type = 1;
		} else if (name_is(f, flen, "content-transfer-encoding")) {
			const char *t, *q = skip_cfws(v.s, v.s + v.len);
			size_t tl;
			token(q, v.s + v.len, &t, &tl);
			if (tl) p->encoding = keep(m, t, tl);
		} else if (name_is(f, flen, "content-id")) {
			p->id = keep(m, v.s, v.len);
		} else if (name_is(f, flen, "content-description")) {
			p->description = keep(m, v.s, v.len);
		} else if (name_is(f, flen, "content-md5")) {
			p->md5 = keep(m, v.s, v.len);
		} else if (name_is(f, flen, "content-language")) {
			p->language = keep(m, v.s, v.len);
		} else if (name_is(f, flen, "content-location")) {
			p->location = keep(m, v.s, v.len);
		} else if (name_is(f, flen, "content-disposition")) {
			const char *t, *q = skip_cfws(v.s, v.s + v.len);
			size_t tl;
			q = token(q, v.s + v.len, &t, &tl);
			if (tl) {
				p->disposition = keep(m, t, tl);
				parse_params(m, q, v.s + v.len, &p->dparams);
			}
		}
	}
	stralloc_free(&v);
	if (!have_type) {
		if (digest) {
			p->type = "message";
			p->subtype = "rfc822";
		} else {
			p->type = "text";
			p->subtype = "plain";
			p->params.n = 1;
			p->params.name[0] = "charset";
			p->params.value[0] = "us-ascii";
		}
	}
	p->multipart = !strcasecmp(p->type, "multipart");
	p->message = !strcasecmp(p->type, "message") && !strcasecmp(p->subtype, "rfc822");
	if ((p->multipart || p->message) && depth >= MIME_DEPTH_MAX) {
		p->type = "application";
		p->subtype = "octet-stream";
		p->multipart = p->message = 0;
	}
	p->lines = count_lines(d + p->body, p->bodylen);
	if (p->multipart) split(m, p);
	else if (p->message) {
		p->msg = parse_part(m, p->body, p->bodylen, depth + 1, 0);
		if (!p->msg) p->message = 0;
	}
	return p;
}

int mime_parse(struct mime *m, const char *data, size_t len)
{
	mime_free(m);
	m->data = data;
	m->len = len;
	m->part = malloc(MIME_PARTS_MAX * sizeof *m->part);
	if (!m->part) return -1;
	parse_part(m, 0, len, 0, 0);
	return 0;
}

void mime_free(struct mime *m)
{
	struct chunk *c = m->chunks;
	while (c) {
		struct chunk *n = c->next;
		free(c);
		c = n;
	}
	free(m->part);
	memset(m, 0, sizeof *m);
}

/* ---- addresses ---- */

static void set(char *dst, size_t cap, const char *s, size_t len)
{
	/* trimmed; runs of white space become one space */
	size_t o = 0, i;
	int sp = 0;
	for (i = 0; i < len && o + 1 < cap; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { sp = o > 0; continue; }
		if (sp && o + 2 < cap) dst[o++] = ' ';
		sp = 0;
		dst[o++] = c;
	}
	dst[o] = 0;
}

/* From the '(' at s[i]: the index of the ')' that closes the comment
 * (nested ones and backslash escapes counted), or len. */
static size_t skip_comment(const char *s, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (s[i] == '\\') { i++; continue; }
		if (s[i] == '(') depth++;
		else if (s[i] == ')' && !--depth) break;
	}
	return i;
}

/* A phrase with quotes and comments removed. */
static void phrase(char *dst, size_t cap, const char *s, size_t len)
{
	char buf[1024];
	size_t o = 0, i;
	for (i = 0; i < len && o < sizeof buf - 1; i++) {
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"' && o < sizeof buf - 1; i++) {
				if (s[i] == '\\' && i + 1 < len) i++;
				buf[o++] = s[i];
			}
			continue;
		}
		if (s[i] == '(') {
			i = skip_comment(s, len, i);
			continue;
		}
		buf[o++] = s[i];
	}
	set(dst, cap, buf, o);
}

/* addr-spec (maybe with a route) into a. */
static void addr_spec(struct mime_addr *a, const char *s, size_t len)
{
	char clean[1024];
	size_t o = 0, i;
	char *at, *colon;

	for (i = 0; i < len && o < sizeof clean - 1; i++) {
		if (s[i] == '(') {
			i = skip_comment(s, len, i);
			continue;
		}
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') continue;
		if (s[i] == '"') {
			/* quoted local part: kept with its quotes */
			clean[o++] = s[i++];
			for (; i < len && s[i] != '"' && o < sizeof clean - 2; i++) clean[o++] = s[i];
			if (i < len) clean[o++] = '"';
			continue;
		}
		clean[o++] = s[i];
	}
	clean[o] = 0;
	colon = clean[0] == '@' ? strchr(clean, ':') : 0;
	if (colon) {
		*colon = 0;
		set(a->adl, sizeof a->adl, clean, strlen(clean));
		memmove(clean, colon + 1, strlen(colon + 1) + 1);
	}
	at = strrchr(clean, '@');
	if (at) {
		set(a->mailbox, sizeof a->mailbox, clean, (size_t)(at - clean));
		set(a->host, sizeof a->host, at + 1, strlen(at + 1));
	} else {
		set(a->mailbox, sizeof a->mailbox, clean, strlen(clean));
	}
}

unsigned mime_addresses(const char *s, size_t len, struct mime_addr *out, unsigned max)
{
	size_t i = 0, start = 0;
	unsigned n = 0;
	int in_group = 0;

	while (i <= len && n < max) {
		/* find the end of one element: ',' ';' ':' outside quotes, comments, angles */
		size_t j = i, angle = (size_t)-1, angle_end = 0;
		int depth = 0;
		char stop = 0;
		for (; j < len; j++) {
			char c = s[j];
			if (c == '\\') { j++; continue; }
			if (c == '"') { for (j++; j < len && s[j] != '"'; j++) if (s[j] == '\\') j++; continue; }
			if (c == '(') { depth++; continue; }
			if (c == ')') { if (depth) depth--; continue; }
			if (depth) continue;
			if (c == '<' && angle == (size_t)-1) { angle = j; continue; }
			if (c == '>' && angle != (size_t)-1) { angle_end = j; continue; }
			if (angle != (size_t)-1 && !angle_end) continue;
			if (c == ',' || c == ';' || (c == ':' && !in_group)) { stop = c; break; }
		}
		if (j > len) j = len;    /* a backslash or quote at the very end */
		start = i;
		if (stop == ':') {
			struct mime_addr *a = &out[n++];
			memset(a, 0, sizeof *a);
			a->group = 1;
			phrase(a->mailbox, sizeof a->mailbox, s + start, j - start);
			in_group = 1;
			i = j + 1;
			continue;
		}
		if (angle != (size_t)-1 || j > start) {
			struct mime_addr a;
			memset(&a, 0, sizeof a);
			if (angle != (size_t)-1) {
				phrase(a.name, sizeof a.name, s + start, angle - start);
				a.has_name = a.name[0] != 0;
				addr_spec(&a, s + angle + 1, (angle_end > angle ? angle_end : j) - angle - 1);
			} else {
				addr_spec(&a, s + start, j - start);
			}
			if (a.mailbox[0] || a.host[0]) out[n++] = a;
		}
		if (stop == ';' && in_group && n < max) {
			memset(&out[n], 0, sizeof out[n]);
			out[n++].group = 2;
			in_group = 0;
		}
		if (j >= len) break;
		i = j + 1;
	}
	if (in_group && n < max) {
		memset(&out[n], 0, sizeof out[n]);
		out[n++].group = 2;
	}
	return n;
}

/* ---- decoders ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

int mime_decode_qp(const char *s, size_t len, stralloc *out)
{
	size_t i;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '=') {
			if (i + 1 < len && s[i + 1] == '\n') { i++; continue; }
			if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') { i += 2; continue; }
			if (i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
				c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
				i += 2;
			}
		}
		if (!stralloc_append(out, &c)) return -1;
	}
	return 0;
}

int mime_decode_b64(const char *s, size_t len, stralloc *out)
{
	unsigned long acc = 0;
	int bits = 0;
	size_t i;
	for (i = 0; i < len; i++) {
		int v;
		char c = s[i];
		if (c >= 'A' && c <= 'Z') v = c - 'A';
		else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
		else if (c >= '0' && c <= '9') v = c - '0' + 52;
		else if (c == '+') v = 62;
		else if (c == '/') v = 63;
		else continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			char b = (char)((acc >> (bits - 8)) & 0xff);
			bits -= 8;
			if (!stralloc_append(out, &b)) return -1;
		}
	}
	return 0;
}

int mime_to_utf8(const char *charset, const char *s, size_t len, stralloc *out)
{
	iconv_t cd;
	char *in = (char *)s;
	size_t inleft = len;

	if (!charset || !*charset || !strcasecmp(charset, "utf-8") || !strcasecmp(charset, "us-ascii") ||
	    (cd = iconv_open("UTF-8", charset)) == (iconv_t)-1)
		return stralloc_catb(out, s, len) ? 0 : -1;
	while (inleft) {
		char buf[4096], *o = buf;
		size_t oleft = sizeof buf;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		if (!stralloc_catb(out, buf, (size_t)(o - buf))) { iconv_close(cd); return -1; }
		if (r == (size_t)-1 && errno != E2BIG) {
			/* a byte the charset does not have: pass it on */
			if (!inleft) break;
			if (!stralloc_catb(out, in, 1)) { iconv_close(cd); return -1; }
			in++;
			inleft--;
		}
	}
	iconv_close(cd);
	return 0;
}

int mime_decode_header(const char *s, size_t len, stralloc *out)
{
	size_t i = 0, pending_ws = 0, ws_start = 0;
	int last_encoded = 0;

	while (i < len) {
		if (s[i] == '=' && i + 1 < len && s[i + 1] == '?') {
			/* =?charset?X?text?= */
			const char *cs = s + i + 2, *q1, *q2, *end;
			q1 = memchr(cs, '?', len - (size_t)(cs - s));
			if (q1 && q1 + 2 < s + len && q1[2] == '?' && strchr("QqBb", q1[1])) {
				q2 = q1 + 3;
				end = q2;
				while (end + 1 < s + len && !(end[0] == '?' && end[1] == '=')) end++;
				if (end + 1 < s + len) {
					char charset[64];
					stralloc raw = {0};
					size_t cl = (size_t)(q1 - cs), k;
					const char *star = memchr(cs, '*', cl);   /* RFC 2231 language */
					if (star) cl = (size_t)(star - cs);
					if (cl >= sizeof charset) cl = sizeof charset - 1;
					memcpy(charset, cs, cl);
					charset[cl] = 0;
					if (q1[1] == 'B' || q1[1] == 'b') mime_decode_b64(q2, (size_t)(end - q2), &raw);
					else
						for (k = 0; q2 + k < end; k++) {
							char c = q2[k];
							if (c == '_') c = ' ';
							else if (c == '=' && q2 + k + 2 < end + 1 && hexval(q2[k + 1]) >= 0 &&
								 hexval(q2[k + 2]) >= 0) {
								c = (char)(hexval(q2[k + 1]) * 16 + hexval(q2[k + 2]));
								k += 2;
							}
							if (!stralloc_append(&raw, &c)) break;
						}
					/* white space between two encoded words is dropped */
					if (pending_ws && !last_encoded && !stralloc_catb(out, s + ws_start, pending_ws)) {}
					pending_ws = 0;
					mime_to_utf8(charset, raw.s ? raw.s : "", raw.len, out);
					stralloc_free(&raw);
					i = (size_t)(end - s) + 2;
					last_encoded = 1;
					continue;
				}
			}
		}
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			if (!pending_ws) ws_start = i;
			pending_ws++;
			i++;
			continue;
		}
		if (pending_ws && !stralloc_catb(out, s + ws_start, pending_ws)) return -1;
		pending_ws = 0;
		last_encoded = 0;
		if (!stralloc_append(out, &s[i])) return -1;
		i++;
	}
	if (pending_ws && !stralloc_catb(out, s + ws_start, pending_ws)) return -1;
	return 0;
}

int mime_part_text(const struct mime *m, const struct mime_part *p, stralloc *out)
{
	stralloc raw = {0};
	const char *b = m->data + p->body, *cs;
	int r;

	out->len = 0;
	if (p->encoding && !strcasecmp(p->encoding, "base64")) r = mime_decode_b64(b, p->bodylen, &raw);
	else if (p->encoding && !strcasecmp(p->encoding, "quoted-printable")) r = mime_decode_qp(b, p->bodylen, &raw);
	else r = stralloc_copyb(&raw, b, p->bodylen) ? 0 : -1;
	if (r == 0) {
		cs = !strcasecmp(p->type, "text") ? mime_param(&p->params, "charset") : 0;
		r = mime_to_utf8(cs, raw.s ? raw.s : "", raw.len, out);
	}
	stralloc_free(&raw);
	return r;
}
