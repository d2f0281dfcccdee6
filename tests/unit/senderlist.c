/* Unit tests of lib/senderlist: patterns, the file parser (valid, invalid
 * and hostile files), matching and its precedence, and the verdict read
 * from real files in a throw-away config dir. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "conf.h"
#include "senderlist.h"

struct pattern_case {
	const char *in;
	int kind;            /* 0: refused */
	const char *out;     /* stored pattern, or a word of the reason */
};

static const struct pattern_case patterns[] = {
	{"alice@example.org", SENDERLIST_ADDRESS, "alice@example.org"},
	{"Alice@EXAMPLE.Org", SENDERLIST_ADDRESS, "alice@example.org"},
	{"a%b!c@example.org", SENDERLIST_ADDRESS, "a%b!c@example.org"},
	{"\"a b\"@example.org", 0, "white space"},
	{"\"#\"@example.org", 0, "'#'"},
	{"a#@example.org", SENDERLIST_ADDRESS, "a#@example.org"},
	{"j\xc3\xb6rg@b\xc3\xbc.example", SENDERLIST_ADDRESS, "j\xc3\xb6rg@b\xc3\xbc.example"},
	{"example.com", SENDERLIST_DOMAIN, "example.com"},
	{"EXAMPLE.com", SENDERLIST_DOMAIN, "example.com"},
	{"localhost", SENDERLIST_DOMAIN, "localhost"},
	{".Example.com", SENDERLIST_SUBDOMAINS, "example.com"},
	{"*.example.com", 0, "write .example.com"},
	{"*", 0, "wildcards"},
	{"mail.*.example", 0, "wildcards"},
	{"*@example.org", SENDERLIST_ADDRESS, "*@example.org"},
	{"\"*\"@example.org", SENDERLIST_ADDRESS, "*@example.org"},
	{"@example.com", 0, "without the '@'"},
	{".", 0, "missing"},
	{"..example.com", 0, "domain"},
	{"example..com", 0, "domain"},
	{"exa_mple.com", 0, "domain"},
	{"a@[127.0.0.1]", 0, "literal"},
	{"a@", 0, ""},
	{"@", 0, "'@'"},
	{"a@b@c", 0, ""},
	{"a\x01@example.org", 0, ""},
	{"exa\x7fmple.com", 0, "domain"},
	{"\xff\xfe.com", 0, ""},
	{"", 0, "empty"},
};

static void test_patterns(void)
{
	char name[200];
	unsigned i;

	for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		const struct pattern_case *c = &patterns[i];
		struct senderlist_entry e;
		const char *why = 0;
		int r = senderlist_pattern(&e, c->in, strlen(c->in), &why);
		snprintf(name, sizeof name, "pattern %u (%.40s)", i, c->in);
		if (c->kind) {
			if (!is_int(r, 0, name)) { diag(why); continue; }
			is_int(e.kind, c->kind, "  its kind");
			is_str(e.pattern, c->out, "  its stored form");
		} else {
			is_int(r, -1, name);
			ok(r == 0 || (why && *why && strstr(why, c->out)), "  the reason says what is wrong");
			if (r && !strstr(why, c->out)) diag(why);
		}
	}
	{
		/* a NUL inside the pattern's bytes */
		struct senderlist_entry e;
		const char *why = 0;
		is_int(senderlist_pattern(&e, "a@b.c\0d", 7, &why), -1, "a NUL byte in a pattern is refused");
	}
}

struct file_case {
	const char *name, *text;
	int ok;
	const char *dump;   /* ok: "A:pattern@line;" / "B:.pattern@line;"; else the reason's words */
	unsigned line;      /* not ok: the line reported */
};

static const struct file_case files[] = {
	{"empty", "", 1, "", 0},
	{"comments and blanks", "# a list\n\n \t\n   # indented\n", 1, "", 0},
	{"entries", "allow a@x.org\nblock .spam.example\nblock spam.example\n", 1,
	 "A:a@x.org@1;B:.spam.example@2;B:spam.example@3;", 0},
	{"case, tabs, comments after", "ALLOW\tA@X.org   # my friend\n  Block  x.example\t#c\n", 1,
	 "A:a@x.org@1;B:x.example@2;", 0},
	{"CRLF, no final newline", "allow a@x.org\r\nblock b.example", 1, "A:a@x.org@1;B:b.example@2;", 0},
	{"the same pattern twice", "allow a.example\nblock a.example\n", 1, "A:a.example@1;B:a.example@2;", 0},
	{"unknown action", "allow a@x.org\ndeny b@x.org\n", 0, "allow or block", 2},
	{"no pattern", "block\n", 0, "missing", 1},
	{"no pattern before a comment", "block # what\n", 0, "missing", 1},
	{"two patterns", "block a.example b.example\n", 0, "one pattern", 1},
	{"a bad pattern", "\n\nallow *.example.com\n", 0, ".example.com", 3},
	{"a NUL byte", "allow a.example\nblock b\0.example\n", 0, "NUL", 2},
	{"a lone CR inside a line", "block a.example\rblock b.example\n", 0, "domain", 1},
	{"a '#' glued to a domain", "block x.example#c\n", 0, "domain", 1},
	{"a '#' in an address is no comment", "allow a#b@x.example\n", 1, "A:a#b@x.example@1;", 0},
	{"action glued to pattern", "blocka.example\n", 0, "allow or block", 1},
};

static void dump(const struct senderlist *l, char *out, size_t cap)
{
	size_t len = 0;
	unsigned i;

	out[0] = 0;
	for (i = 0; i < l->n && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%c:%s%s@%u;",
		                        l->e[i].action == SENDERLIST_ALLOW ? 'A' : 'B',
		                        l->e[i].kind == SENDERLIST_SUBDOMAINS ? "." : "", l->e[i].pattern, l->e[i].line);
}

static void test_files(void)
{
	char name[200], got[2000];
	unsigned i;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		const struct file_case *c = &files[i];
		struct senderlist l;
		const char *why = 0;
		unsigned line = 99;
		size_t len = strlen(c->text);
		int r;
		if (!strcmp(c->name, "a NUL byte")) len = 33;
		r = senderlist_parse(&l, c->text, len, &why, &line);
		snprintf(name, sizeof name, "file: %s", c->name);
		if (c->ok) {
			if (!is_int(r, 0, name)) diag(why);
			dump(&l, got, sizeof got);
			is_str(got, c->dump, "  its entries");
		} else {
			is_int(r, -1, name);
			ok(why && strstr(why, c->dump), "  the reason");
			if (why && !strstr(why, c->dump)) diag(why);
			is_int(line, c->line, "  the line");
		}
		senderlist_free(&l);
	}
}

/* Bounds: a line, a file, the number of entries. */
static void test_bounds(void)
{
	struct senderlist l;
	const char *why = 0;
	unsigned line, i;
	char *big = malloc(SENDERLIST_FILE_MAX + 2);
	size_t len = 0;

	/* a line one byte too long (a comment, which would be fine shorter) */
	memset(big, '#', SENDERLIST_LINE_MAX + 1);
	big[SENDERLIST_LINE_MAX + 1] = '\n';
	is_int(senderlist_parse(&l, big, SENDERLIST_LINE_MAX + 2, &why, &line), -1, "a line over the limit");
	is_str(why, "line too long", "  says so");
	senderlist_free(&l);
	is_int(senderlist_parse(&l, big, SENDERLIST_LINE_MAX, &why, &line), 0, "a line at the limit");
	senderlist_free(&l);

	memset(big, '\n', SENDERLIST_FILE_MAX + 1);
	is_int(senderlist_parse(&l, big, SENDERLIST_FILE_MAX + 1, &why, &line), -1, "a file over the limit");
	is_str(why, "file too large", "  says so");
	is_int(line, 0, "  about the whole file");
	senderlist_free(&l);

	for (i = 0; i <= SENDERLIST_ENTRIES_MAX; i++)
		len += (size_t)snprintf(big + len, 40, "block d%u.example\n", i);
	is_int(senderlist_parse(&l, big, len, &why, &line), -1, "one entry too many");
	is_str(why, "too many entries", "  says so");
	is_int(line, SENDERLIST_ENTRIES_MAX + 1, "  on the line of the extra one");
	senderlist_free(&l);
	len -= strlen("block d1000.example\n");
	is_int(senderlist_parse(&l, big, len, &why, &line), 0, "the most entries allowed");
	is_int(l.n, SENDERLIST_ENTRIES_MAX, "  all kept");
	senderlist_free(&l);

	/* every byte value as a file: refused or accepted, never a crash */
	for (i = 0; i < 256; i++) {
		char t[] = "allow a?b.example\n";
		t[7] = (char)i;
		if (senderlist_parse(&l, t, sizeof t - 1, &why, &line) == 0 && l.n != 1) break;
		senderlist_free(&l);
	}
	is_int(i, 256, "any byte in a pattern: refused, or one entry");
	free(big);
}

static void test_format(void)
{
	const char *text = "# mine\nAllow A@X.org # friend\nblock .Spam.example\n";
	struct senderlist l, back;
	stralloc out = {0}, again = {0};
	const char *why;
	unsigned line;

	senderlist_parse(&l, text, strlen(text), &why, &line);
	ok(senderlist_format(&out, &l), "format");
	is_int(out.len, strlen("allow a@x.org\nblock .spam.example\n"), "  one canonical line an entry");
	ok(!memcmp(out.s, "allow a@x.org\nblock .spam.example\n", out.len), "  the canonical text");
	is_int(senderlist_parse(&back, out.s, out.len, &why, &line), 0, "  reads back");
	ok(senderlist_format(&again, &back) && again.len == out.len && !memcmp(again.s, out.s, out.len),
	   "  as the same entries");
	stralloc_free(&again);
	senderlist_free(&l);
	senderlist_free(&back);
	stralloc_free(&out);
}

/* The verdict of one list for a set of keys, as senderlist_verdict
 * combines them. */
static int decide(const char *text, const char *const *keys)
{
	struct senderlist l;
	const struct senderlist_entry *best = 0;
	size_t rank = 0;
	const char *why;
	unsigned line;
	int v;

	if (senderlist_parse(&l, text, strlen(text), &why, &line) < 0) return -1;
	for (; *keys; keys++) senderlist_match(&l, *keys, &best, &rank);
	v = best ? (int)best->action : SENDERLIST_NONE;
	senderlist_free(&l);
	return v;
}

#define K(...) ((const char *const[]){__VA_ARGS__, 0})
enum { N = SENDERLIST_NONE, A = SENDERLIST_ALLOW, B = SENDERLIST_BLOCK };

static void test_match(void)
{
	is_int(decide("block spam.example\n", K("x@spam.example")), B, "a domain matches its address");
	is_int(decide("block spam.example\n", K("x@a.spam.example")), N, "a domain does not match a subdomain");
	is_int(decide("block .spam.example\n", K("x@a.b.spam.example")), B, ".domain matches a subdomain");
	is_int(decide("block .spam.example\n", K("x@spam.example")), B, ".domain matches the domain itself");
	is_int(decide("block .spam.example\n", K("x@notspam.example")), N, ".domain is not a mere suffix");
	is_int(decide("block .spam.example\n", K("x@spam.example.org")), N, ".domain is anchored at the end");
	is_int(decide("block a@x.example\n", K("b@x.example")), N, "an address matches only itself");
	is_int(decide("block a@x.example\n", K("a@x.example.org")), N, "  not a longer domain");
	is_int(decide("allow a@x.example\n", K("a@x.example")), A, "an address matches");
	is_int(decide("block x.example\n", K("")), N, "the null sender matches nothing");
	is_int(decide("block x.example\n", K("nodomain")), N, "a key without a domain matches nothing");

	/* precedence within a list */
	is_int(decide("block .x.example\nallow a@x.example\n", K("a@x.example")), A, "an address beats a domain");
	is_int(decide("allow a@x.example\nblock .x.example\n", K("a@x.example")), A, "  whatever the order");
	is_int(decide("allow x.example\nblock .x.example\n", K("a@x.example")), A, "the domain beats .domain");
	is_int(decide("block .example\nallow .x.example\n", K("a@b.x.example")), A,
	       "the nearer parent beats the farther");
	is_int(decide("allow .x.example\nblock .example\n", K("a@b.x.example")), A, "  whatever the order");
	is_int(decide("allow x.example\nblock x.example\n", K("a@x.example")), B, "at equal specificity block wins");
	is_int(decide("block x.example\nallow x.example\n", K("a@x.example")), B, "  whatever the order");
	is_int(decide("allow a@x.example\nblock a@x.example\n", K("a@x.example")), B, "  for addresses too");

	/* the example of posthorn-senders(5) */
	{
		const char *ex = "allow news@lists.example\nallow .partner.example\n"
		                 "block offers.partner.example\nblock pest@partner.example\n";
		is_int(decide(ex, K("pest@partner.example")), B, "man page example: the address");
		is_int(decide(ex, K("a@offers.partner.example")), B, "  the domain before a parent");
		is_int(decide(ex, K("a@mail.offers.partner.example")), A, "  only the parent matches");
		is_int(decide(ex, K("bounce@mailer.example", "news@lists.example")), A, "  the From address");
	}

	/* several addresses (envelope sender and From) */
	is_int(decide("allow friend@x.example\nblock .bulk.example\n", K("bounce@mail.bulk.example", "friend@x.example")),
	       A, "the most specific match over all addresses decides");
	is_int(decide("block friend@x.example\nallow .bulk.example\n", K("bounce@mail.bulk.example", "friend@x.example")),
	       B, "  a blocked From beats an allowed sender domain");
	is_int(decide("allow .bulk.example\nblock x.example\n", K("a@bulk.example", "a@x.example")), A,
	       "  the nearer domain of either address");
	is_int(decide("allow a.example\nblock b.example\n", K("u@a.example", "u@b.example")), B,
	       "  equal specificity over two addresses: block wins");
}

/* The verdict from files in a config dir. */
static char dir[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/senders/%s", dir, name);
	if (!text) { unlink(path); return; }
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void test_verdict(void)
{
	const char *from = "\"Friend\" <Friend@X.Example>,\r\n\tother@y.example";
	stralloc p = {0};

	if (!mkdtemp(strcpy(dir, "/tmp/posthorn-senderlist-XXXXXX"))) { ok(0, "mkdtemp"); return; }
	conf_init(dir);
	ok(senderlist_path(&p, "a+b@x.example") && !strcmp(p.s + strlen(dir), "/senders/a%2bb@x.example"),
	   "the file name of a key is encoded");
	ok(senderlist_path(&p, ".hidden/x") && !strcmp(p.s + strlen(dir), "/senders/%2ehidden%2fx"),
	   "  no leading dot, no slash");

	is_int(senderlist_verdict("u@d.example", "d.example", "s@x.example", from, strlen(from)), N,
	       "no directory: none");
	mkdir(strcat(strcpy((char[128]){0}, dir), "/senders"), 0700);
	is_int(senderlist_verdict("u@d.example", "d.example", "s@x.example", from, strlen(from)), N, "no files: none");

	put("@d.example", "block .x.example\n");
	is_int(senderlist_verdict("u@d.example", "d.example", "s@x.example", 0, 0), B, "the domain's list");
	is_int(senderlist_verdict("v@d.example", "d.example", "", from, strlen(from)), B,
	       "  for every user, by the From address");
	is_int(senderlist_verdict("v@d.example", "d.example", "", "<s@elsewhere.example>", 21), N,
	       "  not for other senders");
	is_int(senderlist_verdict("u@other.example", "other.example", "s@x.example", 0, 0), N,
	       "  not for other domains");

	put("u@d.example", "allow other@y.example\n");
	is_int(senderlist_verdict("u@d.example", "d.example", "s@x.example", from, strlen(from)), A,
	       "the user's list before the domain's (its second From address)");
	is_int(senderlist_verdict("u@d.example", "d.example", "s@x.example", 0, 0), B,
	       "  the domain's when the user's says nothing");
	is_int(senderlist_verdict("U@d.example", "d.example", "other@y.example", 0, 0), N,
	       "  the user key is the file name as given (callers pass users.cdb's key)");

	is_int(senderlist_verdict("u@d.example", "d.example", "", "Friend <friend@x.example", 24), B,
	       "a From that does not parse still gives its addresses before the fault");
	is_int(senderlist_verdict("u@d.example", "d.example", "not an address", "((((", 4), N,
	       "garbage sender and From: none");

	put("u@d.example", "allow other@y.example\nbogus line\n");
	is_int(senderlist_verdict("u@d.example", "d.example", "s@x.example", 0, 0), N,
	       "a broken user list: none (logged), not the domain's block");
	put("u@d.example", 0);
	put("@d.example", "block .x.example\nblock *.x.example\n");
	is_int(senderlist_verdict("u@d.example", "d.example", "s@x.example", 0, 0), N, "a broken domain list: none");
	put("@d.example", 0);
	mkdir(strcat(strcpy((char[128]){0}, dir), "/senders/@d.example"), 0700);
	is_int(senderlist_verdict("u@d.example", "d.example", "s@x.example", 0, 0), N,
	       "an unreadable list (a directory): none");
	rmdir(strcat(strcpy((char[128]){0}, dir), "/senders/@d.example"));
	rmdir(strcat(strcpy((char[128]){0}, dir), "/senders"));
	rmdir(dir);
	stralloc_free(&p);
}

int main(void)
{
	test_patterns();
	test_files();
	test_bounds();
	test_format();
	test_match();
	test_verdict();
	return tap_done();
}
