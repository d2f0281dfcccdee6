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

/* ---- addresses (RFC 5322 3.4 and 4.4; see mime.h for what is decided) ---- */

/* Lexical tokens of an address list.  Every consumer below reads the list
 * through lex(), so they all agree on where quoted strings, comments and
 * domain literals begin and end. */
enum tokkind { T_END, T_WORD, T_QUOTED, T_COMMENT, T_LITERAL, T_SPECIAL };

struct tok {
	enum tokkind kind;
	size_t start, end;   /* the token's bytes, delimiters included */
	int closed;          /* T_QUOTED, T_COMMENT, T_LITERAL: its closing delimiter was there */
	int space;           /* white space came right before it */
	char c;              /* T_SPECIAL: which */
};

#define ADDR_NONE ((size_t)-1)

/* Folding white space; NUL too, so that it never reaches an entry. */
static int addr_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0;
}

/* Characters that end an atom.  '.' is not among them (a dot-atom is one
 * word; an obs-phrase "J. Smith" comes out the same), nor a backslash
 * outside quotes, which RFC 5322 has no use for. */
static int addr_special(char c)
{
	switch (c) {
	case '(': case ')': case '<': case '>': case '[': case ']':
	case ':': case ';': case '@': case ',': case '"':
		return 1;
	}
	return addr_ws(c);
}

/* From just after an opening '"' or '[': past the closing delim, with
 * backslash quoted-pairs; *closed says whether it was there. */
static size_t skip_quoted(const char *s, size_t len, size_t i, char delim, int *closed)
{
	for (; i < len; i++) {
		if (s[i] == '\\') { i++; continue; }
		if (s[i] == delim) { *closed = 1; return i + 1; }
	}
	*closed = 0;
	return len;
}

/* From just after an opening '(': past the ')' that closes it, nested
 * comments and quoted-pairs counted (a counter, no recursion: any depth). */
static size_t skip_comment(const char *s, size_t len, size_t i, int *closed)
{
	size_t depth = 1;

	for (; i < len; i++) {
		if (s[i] == '\\') { i++; continue; }
		if (s[i] == '(') depth++;
		else if (s[i] == ')' && !--depth) { *closed = 1; return i + 1; }
	}
	*closed = 0;
	return len;
}

static void lex(const char *s, size_t len, size_t *pos, struct tok *t)
{
	size_t p = *pos;

	t->space = 0;
	t->closed = 1;
	t->c = 0;
	while (p < len && addr_ws(s[p])) { p++; t->space = 1; }
	t->start = p;
	if (p >= len) {
		t->kind = T_END;
	} else if (s[p] == '"') {
		t->kind = T_QUOTED;
		p = skip_quoted(s, len, p + 1, '"', &t->closed);
	} else if (s[p] == '[') {
		t->kind = T_LITERAL;
		p = skip_quoted(s, len, p + 1, ']', &t->closed);
	} else if (s[p] == '(') {
		t->kind = T_COMMENT;
		p = skip_comment(s, len, p + 1, &t->closed);
	} else if (addr_special(s[p])) {
		t->kind = T_SPECIAL;
		t->c = s[p++];
	} else {
		t->kind = T_WORD;
		while (p < len && !addr_special(s[p])) p++;
	}
	t->end = p;
	*pos = p;
}

/* A bounded output field. */
struct field {
	char *d;
	size_t cap, n;       /* cap: bytes that may be kept (the NUL comes on top) */
	int cut;
};

static void put(struct field *f, char c)
{
	if (c == 0 || c == '\r' || c == '\n') return;
	if (f->n < f->cap) f->d[f->n++] = c;
	else f->cut = 1;
}

/* The inside of a quoted string or comment, quoted-pairs undone; with
 * collapse, runs of white space become one space (a comment used as a
 * name), else they stay as written (a quoted string). */
static void put_inner(struct field *f, const char *s, const struct tok *t, int collapse)
{
	size_t i, end = t->closed ? t->end - 1 : t->end;
	int gap = 0;

	for (i = t->start + 1; i < end; i++) {
		if (collapse && addr_ws(s[i])) { gap = f->n > 0; continue; }
		if (gap) put(f, ' ');
		gap = 0;
		if (s[i] == '\\' && i + 1 < end) i++;
		put(f, s[i]);
	}
}

static void put_raw(struct field *f, const char *s, const struct tok *t)
{
	size_t i;
	for (i = t->start; i < t->end; i++) put(f, s[i]);
}

/* Ends f: white space trimmed at the end, a UTF-8 sequence that the bound
 * cut in two dropped, NUL-terminated. */
static void finish(struct field *f)
{
	if (f->cut) {
		size_t k = f->n;   /* just past the lead byte of the last character */
		while (k > 0 && f->n - k < 3 && ((unsigned char)f->d[k - 1] & 0xc0) == 0x80) k--;
		if (k > 0) {
			unsigned char lead = (unsigned char)f->d[k - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
			if (lead >= 0xc0 && f->n - (k - 1) < need) f->n = k - 1;
		}
	}
	while (f->n && (f->d[f->n - 1] == ' ' || f->d[f->n - 1] == '\t')) f->n--;
	f->d[f->n] = 0;
}

#define FIELD(arr) { (arr), sizeof (arr) - 1, 0, 0 }

/* A phrase (display name, group name) from s[a, b): words joined by one
 * space where the input had white space or a comment between them. */
static void phrase(char *dst, size_t cap, const char *s, size_t a, size_t b)
{
	struct field f = {dst, cap - 1, 0, 0};
	size_t pos = a;
	int gap = 0;
	struct tok t;

	for (;;) {
		lex(s, b, &pos, &t);
		if (t.kind == T_END) break;
		if (t.kind == T_COMMENT) { gap = 1; continue; }
		if ((gap || t.space) && f.n) put(&f, ' ');
		gap = 0;
		if (t.kind == T_QUOTED) put_inner(&f, s, &t, 0);
		else put_raw(&f, s, &t);
	}
	finish(&f);
}

/* An addr-spec from s[a, b) into a->mailbox and a->host; *last gets the
 * last comment in it (for the old-style name; kind T_END if none). */
static void addr_spec(struct mime_addr *ad, const char *s, size_t a, size_t b, struct tok *last)
{
	struct field lp = FIELD(ad->mailbox), dom = FIELD(ad->host);
	size_t pos = a;
	int in_domain = 0, gap = 0;
	struct tok t;

	last->kind = T_END;
	for (;;) {
		lex(s, b, &pos, &t);
		if (t.kind == T_END) break;
		if (t.kind == T_COMMENT) {
			*last = t;
			gap = 1;
			continue;
		}
		if (t.kind == T_SPECIAL) {
			/* the first '@' splits; a further one is kept in the domain */
			if (t.c == '@' && !in_domain) in_domain = 1;
			else if (t.c == '@') put(&dom, '@');
			gap = 0;
			continue;
		}
		if (in_domain) {
			/* dot-atom or domain literal; CFWS inside is dropped */
			if (t.kind == T_QUOTED) put_inner(&dom, s, &t, 0);
			else put_raw(&dom, s, &t);
		} else {
			/* words that white space separates stay apart by one space
			 * ("undisclosed recipients"); around a dot (obs-local-part
			 * "first . last") they close up */
			if ((gap || t.space) && lp.n && lp.d[lp.n - 1] != '.' && s[t.start] != '.') put(&lp, ' ');
			if (t.kind == T_QUOTED) put_inner(&lp, s, &t, 0);
			else put_raw(&lp, s, &t);
		}
		gap = 0;
	}
	finish(&lp);
	finish(&dom);
}

/* The inside of an angle-addr, s[a, b): [route ":"] addr-spec. */
static void route_addr(struct mime_addr *ad, const char *s, size_t a, size_t b)
{
	struct field adl = FIELD(ad->adl);
	size_t pos = a;
	struct tok t, last;

	do lex(s, b, &pos, &t); while (t.kind == T_COMMENT);
	if (t.kind == T_SPECIAL && t.c == '@') {
		/* obs-route: "@" domain *(*("," / CFWS) "@" domain) ":" */
		for (;;) {
			if (t.kind == T_END) { adl.n = 0; pos = a; break; }   /* no ':': no route */
			if (t.kind == T_SPECIAL && t.c == ':') break;
			if (t.kind == T_SPECIAL && t.c == '@') {
				if (adl.n) put(&adl, ',');
				put(&adl, '@');
			} else if (t.kind == T_WORD || t.kind == T_LITERAL) {
				put_raw(&adl, s, &t);
			}
			lex(s, b, &pos, &t);
		}
	} else {
		pos = a;
	}
	finish(&adl);
	if (adl.cut) ad->adl[0] = 0;   /* half a route is no route */
	addr_spec(ad, s, pos, b, &last);
}

/* One element of the list: where it lies and what ended it. */
struct elem {
	size_t start, end;   /* [start, end) */
	size_t lt, gt;       /* the angle-addr's inside [lt + 1, gt), lt ADDR_NONE without one */
	int words;           /* tokens other than comments */
	char stop;           /* ',' ';' ':' or 0 at the end of the list */
};

static void scan(const char *s, size_t len, size_t pos, struct elem *e)
{
	struct tok t;
	int in_angle = 0, route = 0, first = 0;

	e->start = pos;
	e->lt = e->gt = ADDR_NONE;
	e->words = 0;
	e->stop = 0;
	for (;;) {
		lex(s, len, &pos, &t);
		if (t.kind == T_END) { e->end = len; break; }
		if (t.kind == T_COMMENT) continue;
		if (in_angle) {
			/* inside <...>: a route's commas and colon belong to it */
			if (first) route = t.kind == T_SPECIAL && t.c == '@';
			first = 0;
			if (t.kind != T_SPECIAL) continue;
			if (t.c == '>') { e->gt = t.start; in_angle = 0; continue; }
			if (route && t.c == ':') { route = 0; continue; }
			if (!route && (t.c == ',' || t.c == ';')) { e->stop = t.c; e->end = t.start; break; }
			continue;
		}
		if (t.kind == T_SPECIAL) {
			if (t.c == '<' && e->lt == ADDR_NONE) {
				e->lt = t.start;
				in_angle = first = 1;
				e->words++;
				continue;
			}
			if (t.c == ',' || t.c == ';' || (t.c == ':' && e->lt == ADDR_NONE)) {
				e->stop = t.c;
				e->end = t.start;
				break;
			}
		}
		e->words++;
	}
	if (e->lt != ADDR_NONE && e->gt == ADDR_NONE) e->gt = e->end;   /* no '>': to the end of the element */
}

void mime_addr_begin(struct mime_addr_iter *it, const char *s, size_t len)
{
	memset(it, 0, sizeof *it);
	it->s = s;
	it->len = len;
}

int mime_addr_next(struct mime_addr_iter *it, struct mime_addr *a)
{
	struct elem e;

	for (;;) {
		memset(a, 0, sizeof *a);
		if (it->end_due || (it->eof && it->in_group)) {
			a->kind = MIME_ADDR_GROUP_END;
			it->end_due = it->in_group = 0;
			return 1;
		}
		if (it->eof) return 0;
		scan(it->s, it->len, it->pos, &e);
		it->pos = e.stop ? e.end + 1 : it->len;
		it->eof = !e.stop;
		if (e.stop == ':') {
			if (it->in_group) continue;   /* a group in a group: flattened */
			a->kind = MIME_ADDR_GROUP;
			phrase(a->name, sizeof a->name, it->s, e.start, e.end);
			it->in_group = 1;
			return 1;
		}
		if (e.stop == ';' && it->in_group) it->end_due = 1;
		if (!e.words) continue;
		a->kind = MIME_ADDR_MAILBOX;
		if (e.lt != ADDR_NONE) {
			phrase(a->name, sizeof a->name, it->s, e.start, e.lt);
			route_addr(a, it->s, e.lt + 1, e.gt);
		} else {
			struct tok c;
			addr_spec(a, it->s, e.start, e.end, &c);
			if (!a->mailbox[0] && !a->host[0]) continue;   /* nothing but stray marks */
			if (c.kind == T_COMMENT) {
				/* the old style "user@domain (Real Name)" */
				struct field f = FIELD(a->name);
				put_inner(&f, it->s, &c, 1);
				finish(&f);
			}
		}
		return 1;
	}
}

unsigned mime_addresses(const char *s, size_t len, struct mime_addr *out, unsigned max)
{
	struct mime_addr_iter it;
	unsigned n = 0;
	int in_group = 0;

	mime_addr_begin(&it, s, len);
	while (n < max && mime_addr_next(&it, &out[n])) {
		/* in a group, one place stays free for its end */
		if (out[n].kind == MIME_ADDR_GROUP_END) in_group = 0;
		else if (n + 1 + (in_group || out[n].kind == MIME_ADDR_GROUP) > max) break;
		else if (out[n].kind == MIME_ADDR_GROUP) in_group = 1;
		n++;
	}
	if (in_group) {
		memset(&out[n], 0, sizeof out[n]);
		out[n++].kind = MIME_ADDR_GROUP_END;
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
