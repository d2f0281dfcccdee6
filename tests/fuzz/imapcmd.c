/*
 * Fuzz target for posthorn-imapd's command syntax: lib/imapparse (whole
 * commands, literal announcements, peek, numbers) and lib/imapseq
 * (sequence sets).
 *
 * Invariants: a parsed command has a tag of allowed characters and a name,
 * and imapparse_tag reads the same tag from the line's start alone;
 * every argument's string lies in the command's own storage and is
 * NUL-terminated at len; lists count their elements; no more than
 * IMAP_ARGS_MAX arguments; nesting within IMAP_DEPTH_MAX.  A sequence set
 * that parses resolves to sorted, disjoint, non-empty ranges, and
 * membership agrees with a linear scan.
 *
 * Numbers, against references that work on the digits as text (so they
 * cannot wrap): imap_number and imap_nz_number accept exactly the digit
 * strings of value up to 4294967295 and return that value;
 * imapparse_literal accepts exactly "{" digits ["+"] "}" of value up to
 * 2^63-1 at a line's end (when the line has no quote) and returns it;
 * imapseq_parse accepts exactly the sets whose every number is an
 * nz-number up to 4294967295.
 *
 * Framing: the input is cut into commands the way posthorn-imapd reads
 * them (lines, and after a line that announces a literal its bytes;
 * an unreadable size ends the input, as the server hangs up).  When
 * imapparse_command accepts such a command, it found exactly the
 * literals the framing found: the two never disagree on where data ends
 * and commands begin.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "imapparse.h"
#include "imapseq.h"

/* The digits of s (len bytes) compared with the decimal max (no leading
 * zero): 1 if all digits and at most max, else 0; *v the value when it
 * fits in 64 bits. */
static int ref_digits(const char *s, size_t len, const char *max, uint64_t *v)
{
	size_t i, ml = strlen(max);
	uint64_t x = 0;

	if (!len) return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9') return 0;
	while (len > 1 && *s == '0') { s++; len--; }
	if (len > ml || (len == ml && memcmp(s, max, ml) > 0)) return 0;
	for (i = 0; i < len; i++) x = x * 10 + (uint64_t)(s[i] - '0');
	*v = x;
	return 1;
}

static void check_numbers(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint64_t want;
	uint32_t v = 7;
	int ok = ref_digits(s, size, "4294967295", &want);

	if ((imap_number(s, size, &v) == 0) != ok || (ok && v != want)) abort();
	ok = ok && s[0] != '0';
	if ((imap_nz_number(s, size, &v) == 0) != ok || (ok && v != want)) abort();
}

/* imapparse_literal on a line with no quote: the announcement, if any, is
 * the text between the last "{" and a final "}". */
static void check_literal_ref(const char *line, size_t len)
{
	const char *end = line + len, *open;
	unsigned long long n = 0;
	uint64_t want;
	int ns = 0, r, valid, wns;

	if (memchr(line, '"', len)) return;
	r = imapparse_literal(line, len, &n, &ns);
	if (len && end[-1] == '\n') end--;
	if (end > line && end[-1] == '\r') end--;
	if (end == line || end[-1] != '}') { if (r != 0) abort(); return; }
	for (open = end - 1; open > line && open[-1] != '{'; open--) ;
	if (open == line) { if (r != 0) abort(); return; }
	wns = end - 1 > open && end[-2] == '+';
	valid = ref_digits(open, (size_t)(end - 1 - wns - open), "9223372036854775807", &want);
	if (r != (valid ? 1 : -1) || ns != wns || (valid && n != want)) abort();
}

/* imapseq_parse against a reference reading of the set's grammar. */
static void check_seq_ref(const char *t)
{
	static struct imapseq s;
	const char *p = t;
	unsigned ranges = 0;
	uint32_t top = 0;
	int valid = *t != 0;

	while (valid && *p) {
		int k;
		for (k = 0; k < 2 && valid; k++) {
			size_t l = strcspn(p, ",:");
			uint64_t v;
			if (l == 1 && *p == '*') {
				v = 0;
			} else if (!ref_digits(p, l, "4294967295", &v) || *p == '0') {
				valid = 0;
				break;
			}
			if (v > top) top = (uint32_t)v;
			p += l;
			if (k == 0 && *p == ':') p++;
			else break;
		}
		if (!valid) break;
		ranges++;
		if (*p == ',') {
			p++;
			if (!*p) valid = 0;
		} else if (*p) {
			valid = 0;
		}
	}
	if (ranges > IMAPSEQ_RANGES_MAX) valid = 0;
	if ((imapseq_parse(&s, t) == 0) != valid) abort();
	if (valid && s.top != top) abort();
}

/* Counts the literal arguments of a parsed command. */
static unsigned literals(const struct imap_arg *a)
{
	unsigned n = 0;
	for (; a; a = a->next)
		n += a->type == IMAP_LITERAL ? 1 : a->type == IMAP_LIST ? literals(a->list) : 0;
	return n;
}

/* Cuts data into commands as posthorn-imapd's read_command does and
 * checks that the parser agrees with the framing. */
static void check_framing(const uint8_t *data, size_t size)
{
	static struct imap_cmd c;
	const char *p = (const char *)data, *end = p + size;
	int commands = 0;

	while (p < end && commands++ < 64) {
		const char *start = p;
		unsigned announced = 0;
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			unsigned long long n;
			int ns, k;
			if (!nl) return;                 /* the server would wait for the rest */
			k = imapparse_literal(p, (size_t)(nl + 1 - p), &n, &ns);
			p = nl + 1;
			if (k < 0) return;               /* BAD, BYE: nothing after it is read */
			if (k == 0) break;
			if (n > (unsigned long long)(end - p)) return;
			p += n;
			announced++;
		}
		if (imapparse_command(&c, start, (size_t)(p - start)) == IMAPPARSE_OK && literals(c.args) != announced)
			abort();
	}
}

static unsigned walk(const struct imap_cmd *c, const struct imap_arg *a, int depth)
{
	unsigned n = 0, k;
	if (depth > IMAP_DEPTH_MAX + 1) abort();
	for (; a; a = a->next) {
		n++;
		if (a < c->pool || a >= c->pool + c->npool) abort();
		if (a->type == IMAP_LIST) {
			const struct imap_arg *e;
			for (k = 0, e = a->list; e; e = e->next) k++;
			if (k != a->len) abort();
			n += walk(c, a->list, depth + 1);
		} else {
			if (a->s < c->text.s || a->s + a->len >= c->text.s + c->text.len + 1) abort();
			if (a->s[a->len]) abort();
			if (a->type == IMAP_ATOM && !a->len) abort();
		}
	}
	return n;
}

static void check_cmd(const uint8_t *data, size_t size)
{
	static struct imap_cmd c;
	unsigned long long n;
	int ns, r;
	char tag[IMAP_TAG_MAX + 1], name[IMAP_NAME_MAX + 1];
	char *buf = malloc(size + 1);

	if (!buf) return;
	memcpy(buf, data, size);
	/* the tag of a line's start: what the whole command's parse reads too */
	if (imapparse_tag(buf, size, tag) == 0) {
		char t2[IMAP_TAG_MAX + 1];
		size_t tl = strlen(tag);
		if (!tl || tl > IMAP_TAG_MAX || memcmp(buf, tag, tl) || buf[tl] != ' ') abort();
		if (imapparse_tag(buf, tl + 1, t2) != 0 || strcmp(t2, tag)) abort();
	} else if (tag[0]) {
		abort();
	}
	r = imapparse_command(&c, buf, size);
	if ((r == IMAPPARSE_OK || r == IMAPPARSE_BAD) && c.tag[0] && imapparse_tag(buf, size, tag) == 0 &&
	    strcmp(c.tag, tag))
		abort();
	if (r == IMAPPARSE_OK) {
		const struct imap_arg *a;
		unsigned k = 0;
		if (!c.tag[0] || !c.name[0] || strchr(c.tag, '+')) abort();
		for (k = 0; c.tag[k]; k++)
			if (!imap_astring_char((unsigned char)c.tag[k])) abort();
		for (k = 0; c.name[k]; k++)
			if (!imap_atom_char((unsigned char)c.name[k])) abort();
		k = 0;
		if (walk(&c, c.args, 0) > IMAP_ARGS_MAX) abort();
		for (a = c.args; a; a = a->next) k++;
		if (k != c.nargs) abort();
	} else if (r != IMAPPARSE_EMPTY && r != IMAPPARSE_NOTAG && r != IMAPPARSE_BAD) {
		abort();
	}
	if (imapparse_literal(buf, size, &n, &ns) == 1 && n > 9223372036854775807ULL) abort();
	imapparse_peek(buf, size, tag, name);
	free(buf);
}

static void check_seq(const uint8_t *data, size_t size)
{
	static struct imapseq s;
	char *t = malloc(size + 1);
	unsigned i;
	uint32_t max, v;

	if (!t || size < 1) { free(t); return; }
	memcpy(t, data + 1, size - 1);
	t[size - 1] = 0;
	max = data[0];
	if (imapseq_parse(&s, t) == 0) {
		imapseq_resolve(&s, max);
		for (i = 0; i < s.n; i++) {
			if (!s.r[i].lo || s.r[i].lo > s.r[i].hi) abort();
			if (i && s.r[i].lo <= s.r[i - 1].hi + 1ULL) abort();
		}
		for (v = 0; v < 300; v++) {
			int lin = 0;
			for (i = 0; i < s.n; i++)
				if (v >= s.r[i].lo && v <= s.r[i].hi) lin = 1;
			if (lin != imapseq_has(&s, v)) abort();
		}
	}
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_cmd(data, size);
	check_seq(data, size);
	check_numbers(data, size);
	check_framing(data, size);
	{
		/* each line alone against the literal reference, and the input
		 * as a sequence set */
		const char *p = (const char *)data, *end = p + size;
		char *t;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *e = nl ? nl + 1 : end;
			check_literal_ref(p, (size_t)(e - p));
			p = e;
		}
		if ((t = malloc(size + 1))) {
			memcpy(t, data, size);
			t[size] = 0;
			if (strlen(t) == size) check_seq_ref(t);
			free(t);
		}
	}
	return 0;
}
