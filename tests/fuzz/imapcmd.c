/*
 * Fuzz target for posthorn-imapd's command syntax: lib/imapparse (whole
 * commands, literal announcements, peek) and lib/imapseq (sequence sets).
 *
 * Invariants: a parsed command has a tag of allowed characters and a name,
 * and imapparse_tag reads the same tag from the line's start alone;
 * every argument's string lies in the command's own storage and is
 * NUL-terminated at len; lists count their elements; no more than
 * IMAP_ARGS_MAX arguments; nesting within IMAP_DEPTH_MAX.  A sequence set
 * that parses resolves to sorted, disjoint, non-empty ranges, and
 * membership agrees with a linear scan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "imapparse.h"
#include "imapseq.h"

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
	return 0;
}
