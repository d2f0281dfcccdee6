/*
 * rules: the per-user instructions file MAILDIR/posthorn-rules; contract in
 * rules.h, format in posthorn-rules(5).
 *
 * The parser works on a private copy of the file, which it rewrites in
 * place: each argument is cut out with a NUL, and the addresses of a
 * forward line are packed one after the other, so every rule's arg points
 * into rs->text and nothing else is allocated.
 *
 * Decisions: keywords are matched ignoring ASCII case; leading and trailing
 * white space (and a CR before the newline) is ignored; a file holding only
 * comments and blank lines has no instructions, and the caller then does the
 * default delivery (as qmail does with an empty .qmail), so no mail is ever
 * dropped by an empty file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stralloc.h>
#include "rules.h"
#include "textfile.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Is s[0..n) the keyword kw, ignoring ASCII case? */
static int keyword_is(const char *s, size_t n, const char *kw)
{
	size_t i;
	if (strlen(kw) != n) return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z') c += 32;
		if (c != kw[i]) return 0;
	}
	return 1;
}

static int parse_folder(struct rule *r, char *arg, const char **why)
{
	stralloc p = {0};
	int bad;

	if (!*arg) { *why = "folder needs a name"; return -1; }
	/* The same check as delivery applies, so a name accepted here is a
	 * name that can be delivered to. */
	bad = maildir_folder_path(&p, "", arg) < 0;
	stralloc_free(&p);
	if (bad) { *why = "invalid folder name"; return -1; }
	r->kind = RULE_FOLDER;
	r->arg = arg;
	return 0;
}

static int is_sep(char c) { return c == ' ' || c == '\t' || c == ','; }

/* Packs the addresses of arg (separated by white space or commas) to the
 * start of arg, each NUL-terminated, checking each one. */
static int parse_forward(struct rule *r, char *arg, const char **why)
{
	char *in = arg, *out = arg;
	unsigned n = 0;

	for (;;) {
		struct addr a;
		char *start;
		size_t len;
		while (*in && is_sep(*in)) in++;
		if (!*in) break;
		start = in;
		while (*in && !is_sep(*in)) in++;
		len = (size_t)(in - start);
		if (n == RULES_FORWARD_MAX) { *why = "too many addresses on one forward line"; return -1; }
		if (addr_parse(&a, start, len, ADDR_ALLOW_UTF8) != ADDR_OK) {
			*why = "invalid forward address";
			return -1;
		}
		/* in may point at the NUL ending the line: remember whether it did
		 * before the copy below may overwrite it. */
		{
			int end = !*in;
			memmove(out, start, len);
			out[len] = 0;
			out += len + 1;
			n++;
			if (end) break;
			in++;
		}
	}
	if (!n) { *why = "forward needs at least one address"; return -1; }
	r->kind = RULE_FORWARD;
	r->arg = arg;
	r->naddrs = n;
	return 0;
}

/* Parses one line (NUL-terminated, no newline) into r.  0 parsed, 1 nothing
 * (blank or comment), -1 error. */
static int parse_line(struct rule *r, char *s, const char **why)
{
	size_t n = strlen(s), kw;
	char *arg;

	while (n && is_space(s[n - 1])) s[--n] = 0;
	while (is_space(*s)) s++;
	if (!*s || *s == '#') return 1;
	if (*s == '|') {
		s++;
		while (is_space(*s)) s++;
		if (!*s) { *why = "empty command after |"; return -1; }
		r->kind = RULE_PIPE;
		r->arg = s;
		return 0;
	}
	for (kw = 0; s[kw] && !is_space(s[kw]); kw++)
		;
	arg = s + kw;
	while (is_space(*arg)) arg++;
	if (keyword_is(s, kw, "inbox")) {
		if (*arg) { *why = "inbox takes no argument"; return -1; }
		r->kind = RULE_INBOX;
		r->arg = 0;
		return 0;
	}
	if (keyword_is(s, kw, "folder")) return parse_folder(r, arg, why);
	if (keyword_is(s, kw, "forward")) return parse_forward(r, arg, why);
	*why = "unknown instruction";
	return -1;
}

int rules_parse(struct rules *rs, const char *text, size_t len, const char **why, unsigned *line)
{
	size_t start, i;
	unsigned lineno = 0;

	rs->n = 0;
	rs->text = 0;
	*why = 0;
	*line = 0;
	if (len > RULES_FILE_MAX) { *why = "file too large"; return -1; }
	if (memchr(text, 0, len)) {
		*why = "NUL byte in file";
		for (i = 0; text[i]; i++)
			if (text[i] == '\n') lineno++;
		*line = lineno + 1;
		return -1;
	}
	rs->text = malloc(len + 1);
	if (!rs->text) { *why = "out of memory"; return -1; }
	memcpy(rs->text, text, len);
	rs->text[len] = 0;
	for (start = 0; start < len; start = i + 1) {
		struct rule *r;
		int k;
		for (i = start; i < len && rs->text[i] != '\n'; i++)
			;
		lineno++;
		*line = lineno;
		if (i - start > RULES_LINE_MAX) { *why = "line too long"; return -1; }
		rs->text[i] = 0;
		if (rs->n == RULES_MAX) {
			/* Only a real instruction counts against the limit. */
			struct rule scratch;
			k = parse_line(&scratch, rs->text + start, why);
			if (k < 0) return -1;
			if (k == 0) { *why = "too many instructions"; return -1; }
			continue;
		}
		r = &rs->r[rs->n];
		memset(r, 0, sizeof *r);
		r->line = lineno;
		k = parse_line(r, rs->text + start, why);
		if (k < 0) return -1;
		if (k == 0) rs->n++;
	}
	*line = 0;
	return 0;
}

void rules_free(struct rules *rs)
{
	free(rs->text);
	rs->text = 0;
	rs->n = 0;
}

int rules_load(struct rules *rs, const char *maildir, const char **why, unsigned *line)
{
	stralloc path = {0}, text = {0};
	int r;

	rs->n = 0;
	rs->text = 0;
	*why = 0;
	*line = 0;
	if (!stralloc_copys(&path, maildir) || !stralloc_cats(&path, "/" RULES_FILE) || !stralloc_0(&path)) {
		*why = "out of memory";
		return -1;
	}
	r = textfile_read(path.s, RULES_FILE_MAX, &text, why);
	stralloc_free(&path);
	if (r > 0 && rules_parse(rs, text.s ? text.s : "", text.len, why, line) < 0) r = -1;
	{ int e = errno; stralloc_free(&text); errno = e; }
	return r;
}
