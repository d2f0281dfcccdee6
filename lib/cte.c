/*
 * cte: transfer encodings undone, as a stream; the contract is in cte.h.
 *
 * Every feed first makes room for its whole output (at most the piece
 * plus the held bytes, see cte.h), so the byte loops below write without
 * checks that could fail half way.
 */
#include <string.h>
#include <strings.h>
#include "cte.h"

/* quoted-printable states: what the held bytes are */
enum {
	QS_TEXT,     /* hold: spaces and tabs that may be trailing */
	QS_CR,       /* hold: those, then a CR (a CRLF line end?) */
	QS_EQ,       /* hold: "=" */
	QS_EQHEX,    /* hold: "=" and one hex digit */
	QS_EQWS,     /* hold: "=" and white space (a soft line break?) */
	QS_EQCR      /* hold: "=", white space, CR */
};

enum cte_kind cte_kind(const char *name)
{
	if (!name || !strcasecmp(name, "7bit") || !strcasecmp(name, "8bit") || !strcasecmp(name, "binary"))
		return CTE_IDENTITY;
	if (!strcasecmp(name, "base64")) return CTE_BASE64;
	if (!strcasecmp(name, "quoted-printable")) return CTE_QP;
	return CTE_UNKNOWN;
}

void cte_begin(struct cte *c, enum cte_kind kind)
{
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->state = QS_TEXT;
}

static int hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	return -1;
}

static int b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z') return ch - 'A';
	if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9') return ch - '0' + 52;
	if (ch == '+') return 62;
	if (ch == '/') return 63;
	return -1;
}

static void b64_feed(struct cte *c, const unsigned char *s, size_t len, char *o, size_t *olen)
{
	size_t i, n = *olen;

	for (i = 0; i < len; i++) {
		int v = b64val(s[i]);
		if (s[i] == '=') { c->bits = 0; c->nbits = 0; continue; }
		if (v < 0) continue;   /* RFC 2045 6.8: ignore what is not in the alphabet */
		c->bits = (c->bits << 6 | (unsigned long)v) & 0xffffff;
		c->nbits += 6;
		if (c->nbits >= 8) {
			c->nbits -= 8;
			o[n++] = (char)(c->bits >> c->nbits & 0xff);
		}
	}
	*olen = n;
}

/* The held bytes out as they are (they were not what they might have been). */
#define FLUSH() do { memcpy(o + n, c->hold, c->nhold); n += c->nhold; c->nhold = 0; } while (0)

static void qp_feed(struct cte *c, const unsigned char *s, size_t len, char *o, size_t *olen)
{
	size_t i = 0, n = *olen;

	while (i < len) {
		unsigned char ch = s[i];
		int h;
		switch (c->state) {
		case QS_TEXT:
			if (ch == ' ' || ch == '\t') {
				if (c->nhold >= CTE_HOLD_MAX) FLUSH();   /* too long a run to hold: not all of it is dropped */
				c->hold[c->nhold++] = (char)ch;
			} else if (ch == '\r') {
				c->hold[c->nhold++] = '\r';
				c->state = QS_CR;
			} else if (ch == '\n') {
				c->nhold = 0;              /* trailing white space (rule 3) */
				o[n++] = '\n';
			} else if (ch == '=') {
				FLUSH();
				c->hold[c->nhold++] = '=';
				c->state = QS_EQ;
			} else {
				FLUSH();
				o[n++] = (char)ch;
			}
			i++;
			continue;
		case QS_CR:
			if (ch == '\n') {
				c->nhold = 0;
				o[n++] = '\r';
				o[n++] = '\n';
				i++;
			} else {
				FLUSH();                   /* a bare CR stands for itself */
			}
			c->state = QS_TEXT;
			continue;
		case QS_EQ:
			if (hexval(ch) >= 0) { c->hold[c->nhold++] = (char)ch; c->state = QS_EQHEX; }
			else if (ch == ' ' || ch == '\t') { c->hold[c->nhold++] = (char)ch; c->state = QS_EQWS; }
			else if (ch == '\r') { c->hold[c->nhold++] = '\r'; c->state = QS_EQCR; }
			else if (ch == '\n') { c->nhold = 0; c->state = QS_TEXT; }   /* soft line break */
			else { FLUSH(); c->state = QS_TEXT; continue; }   /* a lone "=": itself */
			i++;
			continue;
		case QS_EQHEX:
			h = hexval(ch);
			if (h >= 0) {
				o[n++] = (char)(hexval((unsigned char)c->hold[1]) << 4 | h);
				c->nhold = 0;
				i++;
			} else {
				FLUSH();
			}
			c->state = QS_TEXT;
			continue;
		case QS_EQWS:
			if ((ch == ' ' || ch == '\t') && c->nhold < CTE_HOLD_MAX) { c->hold[c->nhold++] = (char)ch; i++; continue; }
			if (ch == '\r') { c->hold[c->nhold++] = '\r'; c->state = QS_EQCR; i++; continue; }
			if (ch == '\n') { c->nhold = 0; c->state = QS_TEXT; i++; continue; }
			FLUSH();
			c->state = QS_TEXT;
			continue;
		case QS_EQCR:
			if (ch == '\n') { c->nhold = 0; i++; }   /* soft line break */
			else FLUSH();
			c->state = QS_TEXT;
			continue;
		}
	}
	*olen = n;
}

int cte_feed(struct cte *c, const char *s, size_t len, stralloc *out)
{
	size_t n;

	if (!len) return 0;
	if (!stralloc_readyplus(out, len + c->nhold + 4)) return -1;
	n = out->len;
	if (c->kind == CTE_BASE64) b64_feed(c, (const unsigned char *)s, len, out->s, &n);
	else if (c->kind == CTE_QP) qp_feed(c, (const unsigned char *)s, len, out->s, &n);
	else { memcpy(out->s + n, s, len); n += len; }
	out->len = n;
	return 0;
}

int cte_end(struct cte *c, stralloc *out)
{
	if (c->kind != CTE_QP) { c->bits = 0; c->nbits = 0; return 0; }
	switch (c->state) {
	case QS_TEXT: break;                         /* trailing white space of the last line */
	case QS_CR: if (!stralloc_append(out, "\r")) return -1; break;
	case QS_EQHEX: if (!stralloc_catb(out, c->hold, c->nhold)) return -1; break;
	default: break;                              /* "=" at the end: a soft line break */
	}
	c->nhold = 0;
	c->state = QS_TEXT;
	return 0;
}

int cte_decode(enum cte_kind kind, const char *s, size_t len, stralloc *out)
{
	struct cte c;
	cte_begin(&c, kind);
	if (cte_feed(&c, s, len, out) < 0) return -1;
	return cte_end(&c, out);
}
