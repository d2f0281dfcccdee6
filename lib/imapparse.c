/*
 * imapparse: IMAP command syntax; the contract is in imapparse.h.
 *
 * Decisions:
 * - Lenient where clients differ and nothing is ambiguous: runs of spaces
 *   separate arguments like one space, a bare LF ends a line, 8-bit bytes
 *   may appear in atoms and quoted strings (UTF-8 mailbox names from
 *   clients that ignore modified UTF-7).
 * - Strict where a mistake could hide a second command: no CR, LF or NUL
 *   outside literals, nothing after the line end, a quoted string must end
 *   on its line, "\" in a quoted string escapes only '"' and '\'.
 * - Recursion follows list nesting only, bounded by IMAP_DEPTH_MAX.
 * - Atoms follow the grammar: "[" is an atom byte like "a" (RFC 3501
 *   ATOM-CHAR), and a bracketed section with spaces inside is kept whole
 *   only where fetch-att has one (FETCH, UID FETCH), so a mailbox name
 *   like "a[b" is not mistaken for an unterminated section.
 * - Numbers: every digit string is checked against its bound before the
 *   next multiplication (no wrap, whatever the number of digits); a
 *   literal size is RFC 7888's number64.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "imapparse.h"

struct parser {
	struct imap_cmd *c;
	const char *p, *end;
	int depth;
	int sections;              /* FETCH: fetch-att sections are kept whole */
	int literal8;              /* APPEND: "~{N}" is allowed */
};

int imap_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f) return 0;
	return !strchr("(){%*\"\\]", c);
}

int imap_astring_char(unsigned char c)
{
	return c == ']' || imap_atom_char(c);
}

/* A byte of the parser's atom token (see imapparse.h): lenient, 8-bit
 * bytes included; only what frames other tokens is left out. */
static int atom_byte(unsigned char c)
{
	if (c <= 0x20 || c == 0x7f) return 0;
	return !strchr("(){\"", c);
}

int imap_number(const char *s, size_t len, uint32_t *v)
{
	uint32_t x = 0;
	size_t i;

	if (!len) return -1;
	for (i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9') return -1;
		d = (unsigned)(s[i] - '0');
		if (x > (UINT32_MAX - d) / 10) return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int imap_nz_number(const char *s, size_t len, uint32_t *v)
{
	if (!len || s[0] == '0') return -1;
	return imap_number(s, len, v);
}

/* The inside of a literal announcement, p..end between "{" and "}":
 * number64 ["+"] (RFC 7888 section 3).  0 with *n and *nonsync, or -1. */
static int literal_size(const char *p, const char *end, unsigned long long *n, int *nonsync)
{
	unsigned long long v = 0;

	*nonsync = p < end && end[-1] == '+';
	if (*nonsync) end--;
	if (p == end) return -1;
	for (; p < end; p++) {
		unsigned d;
		if (*p < '0' || *p > '9') return -1;
		d = (unsigned)(*p - '0');
		if (v > (IMAP_NUMBER64_MAX - d) / 10) return -1;
		v = v * 10 + d;
	}
	*n = v;
	return 0;
}

static int bad(struct parser *ps, const char *why)
{
	ps->c->error = why;
	return IMAPPARSE_BAD;
}

static struct imap_arg *new_arg(struct parser *ps, enum imap_arg_type t)
{
	struct imap_cmd *c = ps->c;
	struct imap_arg *a;

	if (c->npool >= IMAP_ARGS_MAX) return 0;
	a = &c->pool[c->npool++];
	memset(a, 0, sizeof *a);
	a->type = t;
	a->off = c->text.len;
	return a;
}

/* The line end at p: CRLF or LF; returns its length or 0. */
static size_t eol(const struct parser *ps, const char *p)
{
	if (p < ps->end && *p == '\n') return 1;
	if (p + 1 < ps->end && p[0] == '\r' && p[1] == '\n') return 2;
	return 0;
}

static int put(struct parser *ps, const char *s, size_t n)
{
	/* text was made big enough for the whole command in advance, so
	 * offsets stay valid and this never reallocates */
	if (ps->c->text.len + n + 1 > ps->c->text.a) return -1;
	memcpy(ps->c->text.s + ps->c->text.len, s, n);
	ps->c->text.len += n;
	return 0;
}

static int end_string(struct parser *ps, struct imap_arg *a)
{
	a->len = ps->c->text.len - a->off;
	return put(ps, "", 1);
}

/* Is start..p (the atom so far) a fetch-att that a section follows
 * (RFC 3501 section 9; BINARY: RFC 3516)? */
static int section_att(const char *start, const char *p)
{
	static const char *const atts[] = {"BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"};
	size_t n = (size_t)(p - start), i, j;

	for (i = 0; i < sizeof atts / sizeof atts[0]; i++) {
		if (strlen(atts[i]) != n) continue;
		for (j = 0; j < n; j++) {
			char x = start[j];
			if (x >= 'a' && x <= 'z') x = (char)(x - 32);
			if (x != atts[i][j]) break;
		}
		if (j == n) return 1;
	}
	return 0;
}

static int parse_atom(struct parser *ps, struct imap_arg *a)
{
	const char *start = ps->p;

	while (ps->p < ps->end) {
		unsigned char ch = (unsigned char)*ps->p;
		if (ch == '[' && ps->sections && section_att(start, ps->p)) {
			/* a section: anything but line ends and NUL up to ']'; a
			 * quoted header name in it may hold ']' (RFC 3501
			 * header-fld-name is an astring).  Quotes are followed as
			 * imapparse_literal follows them, so the server's
			 * framing and this parse agree on every line. */
			const char *q = ps->p + 1;
			int inq = 0;
			while (q < ps->end && *q != '\r' && *q != '\n' && *q && (inq || *q != ']')) {
				if (inq && *q == '\\' && q + 1 < ps->end && q[1] != '\r' && q[1] != '\n' && q[1]) q++;
				else if (*q == '"') inq = !inq;
				q++;
			}
			if (q >= ps->end || *q != ']') return bad(ps, "unterminated [ in atom");
			ps->p = q + 1;
			continue;
		}
		if (!atom_byte(ch)) break;
		ps->p++;
	}
	if (ps->p == start) return bad(ps, "empty atom");
	if (put(ps, start, (size_t)(ps->p - start)) < 0 || end_string(ps, a) < 0) return IMAPPARSE_NOMEM;
	return IMAPPARSE_OK;
}

static int parse_quoted(struct parser *ps, struct imap_arg *a)
{
	ps->p++;   /* the opening quote */
	for (;;) {
		const char *q = ps->p;
		while (q < ps->end && *q != '"' && *q != '\\' && *q != '\r' && *q != '\n' && *q) q++;
		if (put(ps, ps->p, (size_t)(q - ps->p)) < 0) return IMAPPARSE_NOMEM;
		ps->p = q;
		if (q >= ps->end || *q == '\r' || *q == '\n') return bad(ps, "unterminated quoted string");
		if (!*q) return bad(ps, "NUL in quoted string");
		if (*q == '"') { ps->p++; break; }
		/* backslash */
		if (q + 1 >= ps->end || (q[1] != '"' && q[1] != '\\')) return bad(ps, "bad escape in quoted string");
		if (put(ps, q + 1, 1) < 0) return IMAPPARSE_NOMEM;
		ps->p = q + 2;
	}
	if (end_string(ps, a) < 0) return IMAPPARSE_NOMEM;
	return IMAPPARSE_OK;
}

static int parse_literal(struct parser *ps, struct imap_arg *a)
{
	unsigned long long n = 0;
	const char *q = ps->p + 1;
	int nonsync;
	size_t e;

	while (q < ps->end && *q != '}' && *q != '\r' && *q != '\n') q++;
	if (q >= ps->end || *q != '}') return bad(ps, "bad literal");
	if (literal_size(ps->p + 1, q, &n, &nonsync) < 0) return bad(ps, "bad literal size");
	q++;
	e = eol(ps, q);
	if (!e) return bad(ps, "literal announcement not at the end of a line");
	q += e;
	if (n > (unsigned long long)(ps->end - q)) return bad(ps, "literal shorter than announced");
	if (put(ps, q, (size_t)n) < 0) return IMAPPARSE_NOMEM;
	ps->p = q + n;
	if (end_string(ps, a) < 0) return IMAPPARSE_NOMEM;
	return IMAPPARSE_OK;
}

static int parse_list(struct parser *ps, struct imap_arg *list, int closing);

/* One argument at ps->p, linked after *last (or as the first of parent). */
static int parse_arg(struct parser *ps, struct imap_arg **first, struct imap_arg **last, size_t *count)
{
	struct imap_arg *a;
	unsigned char ch = (unsigned char)*ps->p;
	int r;

	int lit8 = ch == '~' && ps->p + 1 < ps->end && ps->p[1] == '{';

	a = new_arg(ps, ch == '(' ? IMAP_LIST : ch == '"' ? IMAP_QUOTED : ch == '{' || lit8 ? IMAP_LITERAL : IMAP_ATOM);
	if (!a) return bad(ps, "too many arguments");
	if (lit8) {
		if (!ps->literal8) return bad(ps, "literal8 outside APPEND");
		a->literal8 = 1;
		ps->p++;
		ch = '{';
	}
	if (ch == '(') {
		if (++ps->depth > IMAP_DEPTH_MAX) return bad(ps, "parentheses nested too deeply");
		ps->p++;
		r = parse_list(ps, a, 1);
		ps->depth--;
		a->off = 0;
	} else if (ch == '"') {
		r = parse_quoted(ps, a);
	} else if (ch == '{') {
		r = parse_literal(ps, a);
	} else if (ch == ')') {
		return bad(ps, "unbalanced )");
	} else if (ch == '\r' || ch == '\n' || !ch || ch < 0x20 || ch == 0x7f) {
		return bad(ps, "control character in command");
	} else {
		r = parse_atom(ps, a);
	}
	if (r) return r;
	if (*last) (*last)->next = a;
	else *first = a;
	*last = a;
	++*count;
	return IMAPPARSE_OK;
}

/* Elements up to ')' (closing) or the line end (top level). */
static int parse_list(struct parser *ps, struct imap_arg *list, int closing)
{
	struct imap_arg *first = 0, *last = 0;
	size_t count = 0;
	int r;

	for (;;) {
		int sp = 0;
		while (ps->p < ps->end && *ps->p == ' ') { ps->p++; sp = 1; }
		if (ps->p >= ps->end) return bad(ps, closing ? "missing )" : "missing line end");
		if (closing && *ps->p == ')') { ps->p++; break; }
		if (!closing && eol(ps, ps->p)) break;
		/* elements are separated by spaces, except next to parentheses */
		if (count && !sp && *ps->p != '(' && *ps->p != ')' && last->type != IMAP_LIST)
			return bad(ps, "missing space between arguments");
		r = parse_arg(ps, &first, &last, &count);
		if (r) return r;
	}
	list->list = first;
	list->len = count;
	return IMAPPARSE_OK;
}

static void fix_pointers(struct imap_cmd *c)
{
	unsigned i;
	for (i = 0; i < c->npool; i++) {
		struct imap_arg *a = &c->pool[i];
		a->s = a->type == IMAP_LIST ? "" : c->text.s + a->off;
	}
}

/* Reads a tag (ASTRING-CHARs but "+", RFC 3501 "tag") or a command
 * name (ATOM-CHARs) at p; returns its length. */
static size_t word(const char *p, const char *end, int tag)
{
	const char *q = p;
	while (q < end && (tag ? imap_astring_char((unsigned char)*q) && *q != '+' : imap_atom_char((unsigned char)*q)))
		q++;
	return (size_t)(q - p);
}

/* Is the word at p (after spaces) w, in any case? */
static int next_word_is(const char *p, const char *end, const char *w)
{
	size_t n, i;

	while (p < end && *p == ' ') p++;
	n = word(p, end, 0);
	if (n != strlen(w)) return 0;
	for (i = 0; i < n; i++) {
		char x = p[i];
		if (x >= 'a' && x <= 'z') x = (char)(x - 32);
		if (x != w[i]) return 0;
	}
	return 1;
}

int imapparse_tag(const char *line, size_t len, char tag[IMAP_TAG_MAX + 1])
{
	size_t n = word(line, line + len, 1);

	tag[0] = 0;
	if (!n || n > IMAP_TAG_MAX || n >= len || line[n] != ' ') return -1;
	memcpy(tag, line, n);
	tag[n] = 0;
	return 0;
}

static int head(const char *buf, size_t len, char *tag, char *name, const char **rest, const char **why)
{
	const char *p = buf, *end = buf + len;
	size_t n, i;

	/* the tag ends at a space; anything else (a bracket, a quote) makes it
	 * no tag at all */
	if (imapparse_tag(buf, len, tag) < 0) { *why = "bad tag"; return -1; }
	p += strlen(tag) + 1;
	n = word(p, end, 0);
	if (!n) { *why = "missing command"; return -2; }
	if (n > IMAP_NAME_MAX) { *why = "unknown command"; return -2; }
	for (i = 0; i < n; i++) {
		char ch = p[i];
		name[i] = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
	}
	name[n] = 0;
	*rest = p + n;
	return 0;
}

int imapparse_peek(const char *line, size_t len, char tag[IMAP_TAG_MAX + 1], char name[IMAP_NAME_MAX + 1])
{
	const char *rest, *why;
	tag[0] = name[0] = 0;
	return head(line, len, tag, name, &rest, &why) < 0 ? -1 : 0;
}

int imapparse_command(struct imap_cmd *c, const char *buf, size_t len)
{
	struct parser ps;
	struct imap_arg top;
	const char *rest;
	int r;

	c->tag[0] = c->name[0] = 0;
	c->args = 0;
	c->nargs = 0;
	c->npool = 0;
	c->text.len = 0;
	c->error = "syntax error";
	if (!c->pool && !(c->pool = malloc(IMAP_ARGS_MAX * sizeof *c->pool))) return IMAPPARSE_NOMEM;
	if (!stralloc_ready(&c->text, len + 2)) return IMAPPARSE_NOMEM;

	ps.c = c;
	ps.p = buf;
	ps.end = buf + len;
	ps.depth = 0;
	ps.sections = 0;
	ps.literal8 = 0;
	if (eol(&ps, buf) == len && len) return IMAPPARSE_EMPTY;
	{
		const char *q = buf;
		while (q < ps.end && (*q == ' ' || *q == '\t')) q++;
		if (q < ps.end && eol(&ps, q) == (size_t)(ps.end - q)) return IMAPPARSE_EMPTY;
	}
	r = head(buf, len, c->tag, c->name, &rest, &c->error);
	if (r == -1) return IMAPPARSE_NOTAG;
	if (r < 0) return IMAPPARSE_BAD;
	ps.p = rest;
	if (ps.p < ps.end && !eol(&ps, ps.p) && *ps.p != ' ') return bad(&ps, "bad command name");
	ps.literal8 = !strcmp(c->name, "APPEND");
	ps.sections = !strcmp(c->name, "FETCH") || (!strcmp(c->name, "UID") && next_word_is(rest, ps.end, "FETCH"));
	memset(&top, 0, sizeof top);
	r = parse_list(&ps, &top, 0);
	if (r) return r;
	ps.p += eol(&ps, ps.p);
	if (ps.p != ps.end) return bad(&ps, "text after the end of the command");
	fix_pointers(c);
	c->args = top.list;
	c->nargs = (unsigned)top.len;
	return IMAPPARSE_OK;
}

void imapparse_free(struct imap_cmd *c)
{
	free(c->pool);
	c->pool = 0;
	stralloc_free(&c->text);
}

int imapparse_literal(const char *line, size_t len, unsigned long long *n, int *nonsync)
{
	const char *end = line + len, *p, *close, *open;
	int inq = 0;

	/* strip the line end */
	if (len && end[-1] == '\n') end--;
	if (end > line && end[-1] == '\r') end--;
	if (end == line || end[-1] != '}') return 0;
	close = end - 1;
	/* where quoting stands when the '{' is reached */
	open = close;
	while (open > line && open[-1] != '{') open--;
	if (open == line) return 0;
	open--;
	for (p = line; p < open; p++) {
		if (inq && *p == '\\' && p + 1 < open) { p++; continue; }
		if (*p == '"') inq = !inq;
	}
	if (inq) return 0;
	return literal_size(open + 1, close, n, nonsync) < 0 ? -1 : 1;
}

int imap_arg_string(const struct imap_arg *a)
{
	return a && a->type != IMAP_LIST;
}

int imap_arg_atom_is(const struct imap_arg *a, const char *w)
{
	size_t i, n = strlen(w);
	if (!a || a->type != IMAP_ATOM || a->len != n) return 0;
	for (i = 0; i < n; i++) {
		char x = a->s[i], y = w[i];
		if (x >= 'a' && x <= 'z') x = (char)(x - 32);
		if (y >= 'a' && y <= 'z') y = (char)(y - 32);
		if (x != y) return 0;
	}
	return 1;
}

int imap_arg_nil(const struct imap_arg *a)
{
	return imap_arg_atom_is(a, "NIL");
}
