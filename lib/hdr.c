/*
 * hdr: header fields and address lists; the contract is in hdr.h.
 *
 * The address-list reader is deliberately lenient where RFC 5322 section 4
 * (obsolete syntax) or common practice is lenient, because what it reads
 * was written by scripts and old mailers, and a mail that cron cannot send
 * is worse than one with an odd header:
 * - a display name may hold '.' and '@' and 8-bit bytes (obs-phrase and the
 *   unquoted "joe@example.org <joe@example.org>" seen in the wild);
 * - CFWS may sit between the tokens of an addr-spec ("a . b @ c", 4.4),
 *   but two words need a '.' between them: "bad address@x" is an error,
 *   not "badaddress@x";
 * - empty list elements are skipped (obs-addr-list, 4.4);
 * - a group whose ';' is missing at the end of the field is accepted.
 * It is strict where a guess could send mail to the wrong place: an
 * unterminated comment, quoted string, literal or angle address, text after
 * '>' other than a comment, and a group inside a group are errors.
 */
#include <string.h>
#include "hdr.h"

static int is_wsp(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

size_t hdr_name_len(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len && (unsigned char)s[i] > 32 && (unsigned char)s[i] < 127 && s[i] != ':') i++;
	n = i;
	if (!n) return 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
	return i < len && s[i] == ':' ? n : 0;
}

int hdr_is(const char *field, size_t len, const char *name)
{
	size_t n = hdr_name_len(field, len), i;

	if (n != strlen(name)) return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)field[i]) != lower((unsigned char)name[i])) return 0;
	return 1;
}

int hdr_unfold(stralloc *out, const char *field, size_t len)
{
	size_t i, n = hdr_name_len(field, len);

	if (!n) return -1;
	out->len = 0;
	if (!stralloc_ready(out, len)) return 0;
	i = (const char *)memchr(field, ':', len) - field + 1;
	for (; i < len; i++) {
		if (field[i] == '\r' || field[i] == '\n') continue;
		out->s[out->len++] = field[i];
	}
	return 1;
}

/* ---- the address-list lexer: RFC 5322 3.2 tokens, CFWS skipped ---- */

enum tok { T_END, T_ATOM, T_QSTR, T_LIT, T_SPECIAL, T_ERR };

struct lex {
	const char *s;
	size_t len, pos;
	const char *t;    /* the token's text as written */
	size_t tlen;
	int err;          /* hdr_error after T_ERR */
};

/* Atom bytes: anything but controls, white space and the specials of
 * RFC 5322 3.2.3; 8-bit bytes are taken as they are (RFC 6532). */
static int is_atomc(unsigned char c)
{
	return c > 32 && c != 127 && !strchr("()<>[]:;@\\,.\"", c);
}

/* Skips white space and comments (nested, with quoted pairs, 3.2.2). */
static int skip_cfws(struct lex *x)
{
	while (x->pos < x->len) {
		unsigned depth;
		if (is_wsp((unsigned char)x->s[x->pos])) { x->pos++; continue; }
		if (x->s[x->pos] != '(') return 1;
		for (depth = 0; x->pos < x->len; x->pos++) {
			char c = x->s[x->pos];
			if (c == '\\') { x->pos++; continue; }
			if (c == '(') depth++;
			else if (c == ')' && !--depth) break;
		}
		if (x->pos >= x->len) return 0;
		x->pos++;
	}
	return 1;
}

/* Scans a run that ends at the unescaped byte end (quoted string, literal). */
static int scan_until(struct lex *x, char end)
{
	size_t i;

	for (i = x->pos + 1; i < x->len; i++) {
		if (x->s[i] == '\\') { i++; continue; }
		if (x->s[i] == end) {
			x->tlen = i + 1 - x->pos;
			x->pos = i + 1;
			return 1;
		}
	}
	return 0;
}

static enum tok next(struct lex *x)
{
	unsigned char c;

	if (!skip_cfws(x)) { x->err = HDR_ERR_COMMENT; return T_ERR; }
	if (x->pos >= x->len) return T_END;
	x->t = x->s + x->pos;
	c = (unsigned char)x->s[x->pos];
	if (c == '"') {
		if (scan_until(x, '"')) return T_QSTR;
		x->err = HDR_ERR_QUOTE;
		return T_ERR;
	}
	if (c == '[') {
		if (scan_until(x, ']')) return T_LIT;
		x->err = HDR_ERR_LITERAL;
		return T_ERR;
	}
	if (strchr("<>:;@,.", c) && c) {
		x->tlen = 1;
		x->pos++;
		return T_SPECIAL;
	}
	if (!is_atomc(c)) { x->err = HDR_ERR_SYNTAX; return T_ERR; }
	while (x->pos < x->len && is_atomc((unsigned char)x->s[x->pos])) x->pos++;
	x->tlen = x->pos - (size_t)(x->t - x->s);
	return T_ATOM;
}

static int is_sp(const struct lex *x, enum tok t, char c) { return t == T_SPECIAL && x->t[0] == c; }

/* What ends the element starting at x->pos: the first of ',' ';' ':' '<'
 * at top level, or the end (0).  x is left where it was. */
static int element_kind(struct lex *x, int *err)
{
	size_t save = x->pos;
	enum tok t;
	int kind = 0;

	while ((t = next(x)) != T_END) {
		if (t == T_ERR) { *err = x->err; break; }
		if (t == T_SPECIAL && strchr(",;:<", x->t[0])) { kind = x->t[0]; break; }
	}
	x->pos = save;
	return kind;
}

/* Reads addr-spec tokens up to (not including) a token for which stop()
 * holds, appending their text to out and a NUL.  Returns the stopping
 * token, or T_ERR. */
static enum tok addr_spec(struct lex *x, stralloc *out, const char *stops)
{
	enum tok t;
	int word = 0;   /* the last token was a word: another needs a '.' first */

	for (;;) {
		size_t save = x->pos;
		t = next(x);
		if (t == T_ERR) return t;
		if (t == T_END || (t == T_SPECIAL && strchr(stops, x->t[0]))) {
			x->pos = save;
			break;
		}
		if (t == T_SPECIAL && x->t[0] != '.' && x->t[0] != '@') {
			x->err = x->t[0] == '>' ? HDR_ERR_ANGLE : HDR_ERR_SYNTAX;
			return T_ERR;
		}
		if (t != T_SPECIAL && word) { x->err = HDR_ERR_SYNTAX; return T_ERR; }
		word = t != T_SPECIAL;
		if (!stralloc_catb(out, x->t, x->tlen)) { x->err = HDR_ERR_NOMEM; return T_ERR; }
	}
	if (!stralloc_0(out)) { x->err = HDR_ERR_NOMEM; return T_ERR; }
	return t;
}

/* An angle address: x is just after '<'.  Drops an obsolete route. */
static int angle_addr(struct lex *x, stralloc *out)
{
	size_t save = x->pos;
	enum tok t;

	/* An obsolete route starts with '@' or ',' and ends at ':'. */
	t = next(x);
	if (is_sp(x, t, '@') || is_sp(x, t, ',')) {
		while ((t = next(x)) != T_END && t != T_ERR && !is_sp(x, t, '>'))
			if (is_sp(x, t, ':')) { save = x->pos; break; }
	}
	if (t == T_ERR) return 0;
	x->pos = save;
	if (addr_spec(x, out, ">,;:<") == T_ERR) return 0;
	t = next(x);
	if (!is_sp(x, t, '>')) {
		x->err = t == T_ERR ? x->err : HDR_ERR_ANGLE;
		return 0;
	}
	return 1;
}

int hdr_addrlist(const char *s, size_t len, stralloc *out, unsigned long *n, unsigned long max)
{
	struct lex x;
	int ingroup = 0;

	/* the addresses are handed on NUL-terminated: a NUL cannot be in one */
	if (len && memchr(s, 0, len)) return HDR_ERR_SYNTAX;
	memset(&x, 0, sizeof x);
	x.s = s;
	x.len = len;
	for (;;) {
		int err = HDR_OK, kind = element_kind(&x, &err);
		size_t start = out->len;
		enum tok t;

		if (err) return err;
		if (kind == ':') {
			/* A group: its name is dropped, its members follow. */
			if (ingroup) return HDR_ERR_GROUP;
			while ((t = next(&x)) != T_ERR && t != T_END && !is_sp(&x, t, ':')) {}
			if (t != T_SPECIAL) return t == T_ERR ? x.err : HDR_ERR_SYNTAX;
			ingroup = 1;
			continue;
		}
		if (kind == '<') {
			while ((t = next(&x)) != T_ERR && t != T_END && !is_sp(&x, t, '<')) {}
			if (t != T_SPECIAL) return t == T_ERR ? x.err : HDR_ERR_SYNTAX;
			if (!angle_addr(&x, out)) return x.err;
		} else {
			if (addr_spec(&x, out, ",;") == T_ERR) return x.err;
			if (out->len == start + 1) out->len = start;   /* an empty element */
		}
		if (out->len > start && ++*n > max) return HDR_ERR_TOOMANY;
		t = next(&x);
		if (t == T_END) return HDR_OK;
		if (t == T_ERR) return x.err;
		if (is_sp(&x, t, ';')) {
			/* The end of a group; a stray one outside is forgiven. */
			ingroup = 0;
			continue;
		}
		if (!is_sp(&x, t, ',')) return is_sp(&x, t, '>') ? HDR_ERR_ANGLE : HDR_ERR_SYNTAX;
	}
}

const char *hdr_strerror(int err)
{
	switch (err) {
	case HDR_OK: return "no error";
	case HDR_ERR_NOMEM: return "out of memory";
	case HDR_ERR_COMMENT: return "unterminated comment";
	case HDR_ERR_QUOTE: return "unterminated quoted string";
	case HDR_ERR_LITERAL: return "unterminated domain literal";
	case HDR_ERR_ANGLE: return "unbalanced angle brackets";
	case HDR_ERR_GROUP: return "group inside a group";
	case HDR_ERR_SYNTAX: return "invalid address list syntax";
	case HDR_ERR_TOOMANY: return "too many addresses";
	}
	return "unknown error";
}
