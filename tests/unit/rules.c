/* Unit tests of lib/rules: the posthorn-rules parser, valid and invalid
 * files, line numbers in errors, bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "rules.h"

struct valid_case {
	const char *name, *text;
	unsigned n;
	const char *dump;   /* kinds and args, see dump() */
};

struct invalid_case {
	const char *name, *text;
	unsigned line;
	const char *why;
};

/* "I" inbox, "F:name" folder, "W:a,b" forward, "P:cmd" pipe, each with
 * "@line", separated by ';'. */
static void dump(const struct rules *rs, char *out, size_t cap)
{
	size_t len = 0;
	unsigned i, k;

	out[0] = 0;
	for (i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		const char *a = r->arg;
		switch (r->kind) {
		case RULE_INBOX: len += snprintf(out + len, cap - len, "I"); break;
		case RULE_FOLDER: len += snprintf(out + len, cap - len, "F:%s", a); break;
		case RULE_PIPE: len += snprintf(out + len, cap - len, "P:%s", a); break;
		case RULE_FORWARD:
			len += snprintf(out + len, cap - len, "W:");
			for (k = 0; k < r->naddrs; k++, a += strlen(a) + 1)
				len += snprintf(out + len, cap - len, "%s%s", k ? "," : "", a);
			break;
		}
		len += snprintf(out + len, cap - len, "@%u;", r->line);
		if (len >= cap) return;
	}
}

static const struct valid_case valid[] = {
	{"empty file", "", 0, ""},
	{"only comments and blanks", "# hello\n\n   \n\t# indented comment\n", 0, ""},
	{"inbox", "inbox\n", 1, "I@1;"},
	{"no final newline", "inbox", 1, "I@1;"},
	{"CRLF line ends", "inbox\r\nfolder Lists\r\n", 2, "I@1;F:Lists@2;"},
	{"keywords ignore case", "INBOX\nFolder Sent\nForward a@b.example\n", 3,
	 "I@1;F:Sent@2;W:a@b.example@3;"},
	{"folder with a space and a subfolder", "folder Mailing Lists\nfolder a/b\n", 2,
	 "F:Mailing Lists@1;F:a/b@2;"},
	{"forward several, spaces and commas", "forward  a@x.example, b@y.example\tc@z.example\n", 1,
	 "W:a@x.example,b@y.example,c@z.example@1;"},
	{"forward UTF-8", "forward j\xc3\xb6rg@b\xc3\xbc.example\n", 1, "W:j\xc3\xb6rg@b\xc3\xbc.example@1;"},
	{"pipe", "|/usr/bin/procmail -d x\n", 1, "P:/usr/bin/procmail -d x@1;"},
	{"pipe with space after bar", "| cat > /dev/null\n", 1, "P:cat > /dev/null@1;"},
	{"order and line numbers", "# c\n\ninbox\n# c\n|true\nforward a@b.example\n", 3,
	 "I@3;P:true@5;W:a@b.example@6;"},
	{"leading white space", "   inbox\n\t folder X\n", 2, "I@1;F:X@2;"},
};

static const struct invalid_case invalid[] = {
	{"unknown keyword", "inbox\ndeliver here\n", 2, "unknown instruction"},
	{"inbox with argument", "inbox now\n", 1, "inbox takes no argument"},
	{"folder without name", "\n\nfolder\n", 3, "folder needs a name"},
	{"folder ..", "folder ../x\n", 1, "invalid folder name"},
	{"folder leading dot", "folder .x\n", 1, "invalid folder name"},
	{"folder control byte", "folder a\x01" "b\n", 1, "invalid folder name"},
	{"forward without address", "forward\n", 1, "forward needs at least one address"},
	{"forward only commas", "forward , ,\n", 1, "forward needs at least one address"},
	{"forward bad address", "forward a@b.example nodomain\n", 1, "invalid forward address"},
	{"forward relay chars", "forward a%b@c.example\n", 1, "invalid forward address"},
	{"empty pipe", "inbox\n|   \n", 2, "empty command after |"},
	{"NUL byte", "inbox\ninbox\nin\0box\n", 3, "NUL byte in file"},
	{"comment after instruction", "inbox # now\n", 1, "inbox takes no argument"},
};

static void test_table(void)
{
	struct rules rs;
	const char *why;
	unsigned line, i;
	char got[2048], name[200];

	for (i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		int r = rules_parse(&rs, valid[i].text, strlen(valid[i].text), &why, &line);
		snprintf(name, sizeof name, "valid: %s", valid[i].name);
		if (!ok(r == 0, name)) printf("#   why: %s line %u\n", why, line);
		dump(&rs, got, sizeof got);
		is_int(rs.n, valid[i].n, "  instruction count");
		is_str(got, valid[i].dump, "  instructions");
		rules_free(&rs);
	}
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		/* The NUL case has its length from the array, not strlen. */
		size_t len = strlen(invalid[i].text);
		if (!strcmp(invalid[i].name, "NUL byte")) len = 19;
		snprintf(name, sizeof name, "invalid: %s", invalid[i].name);
		ok(rules_parse(&rs, invalid[i].text, len, &why, &line) == -1, name);
		is_int(line, invalid[i].line, "  line number");
		is_str(why, invalid[i].why, "  reason");
		rules_free(&rs);
	}
}

static void test_bounds(void)
{
	struct rules rs;
	const char *why;
	unsigned line, i;
	static char buf[RULES_FILE_MAX + 64];
	size_t len = 0;

	/* RULES_MAX instructions: fine; one more: error at its line. */
	for (i = 0; i < RULES_MAX; i++) len += (size_t)sprintf(buf + len, "inbox\n# comment\n");
	ok(rules_parse(&rs, buf, len, &why, &line) == 0 && rs.n == RULES_MAX, "RULES_MAX instructions accepted");
	rules_free(&rs);
	len += (size_t)sprintf(buf + len, "# still fine\ninbox\n");
	ok(rules_parse(&rs, buf, len, &why, &line) == -1, "one instruction more is refused");
	is_str(why, "too many instructions", "  reason");
	is_int(line, 2 * RULES_MAX + 2, "  at its line");
	rules_free(&rs);

	/* Line length. */
	memcpy(buf, "|", 1);
	memset(buf + 1, 'x', RULES_LINE_MAX - 1);
	buf[RULES_LINE_MAX] = '\n';
	ok(rules_parse(&rs, buf, RULES_LINE_MAX + 1, &why, &line) == 0, "line of RULES_LINE_MAX accepted");
	rules_free(&rs);
	buf[RULES_LINE_MAX] = 'x';
	buf[RULES_LINE_MAX + 1] = '\n';
	ok(rules_parse(&rs, buf, RULES_LINE_MAX + 2, &why, &line) == -1, "longer line refused");
	is_str(why, "line too long", "  reason");
	rules_free(&rs);

	/* File size. */
	memset(buf, '\n', RULES_FILE_MAX + 1);
	ok(rules_parse(&rs, buf, RULES_FILE_MAX, &why, &line) == 0, "file of RULES_FILE_MAX accepted");
	rules_free(&rs);
	ok(rules_parse(&rs, buf, RULES_FILE_MAX + 1, &why, &line) == -1, "larger file refused");
	is_str(why, "file too large", "  reason");
	rules_free(&rs);

	/* Addresses per forward line. */
	len = (size_t)sprintf(buf, "forward");
	for (i = 0; i < RULES_FORWARD_MAX; i++) len += (size_t)sprintf(buf + len, " u%u@example.org", i);
	ok(rules_parse(&rs, buf, len, &why, &line) == 0 && rs.r[0].naddrs == RULES_FORWARD_MAX,
	   "RULES_FORWARD_MAX addresses accepted");
	rules_free(&rs);
	len += (size_t)sprintf(buf + len, " one@more.example");
	ok(rules_parse(&rs, buf, len, &why, &line) == -1, "one address more refused");
	is_str(why, "too many addresses on one forward line", "  reason");
	rules_free(&rs);
}

static void test_load(void)
{
	char dir[] = "/tmp/posthorn-rules-XXXXXX", path[200];
	struct rules rs;
	const char *why;
	unsigned line;
	FILE *f;

	if (!mkdtemp(dir)) return;
	is_int(rules_load(&rs, dir, &why, &line), 0, "no file: 0");
	rules_free(&rs);
	snprintf(path, sizeof path, "%s/" RULES_FILE, dir);
	f = fopen(path, "w");
	fputs("folder Lists\n|true\n", f);
	fclose(f);
	is_int(rules_load(&rs, dir, &why, &line), 1, "file: 1");
	is_int(rs.n, 2, "  two instructions");
	rules_free(&rs);
	f = fopen(path, "w");
	fputs("inbox\nbogus\n", f);
	fclose(f);
	is_int(rules_load(&rs, dir, &why, &line), -1, "broken file: -1");
	is_int(line, 2, "  with the line");
	rules_free(&rs);
	unlink(path);
	mkdir(path, 0700);
	is_int(rules_load(&rs, dir, &why, &line), -1, "a directory in its place: -1");
	rules_free(&rs);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	test_table();
	test_bounds();
	test_load();
	return tap_done();
}
