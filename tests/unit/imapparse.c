/* Unit tests of lib/imapparse: IMAP command syntax, literals and their
 * sizes, numbers, atoms as RFC 3501 section 9 has them, bounds.  (Sequence
 * sets: tests/unit/imapseq.c.) */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "imapparse.h"

static struct imap_cmd c;

static int parse(const char *text)
{
	return imapparse_command(&c, text, strlen(text));
}

static const struct imap_arg *nth(const struct imap_arg *a, unsigned n)
{
	while (a && n--) a = a->next;
	return a;
}

static int lit(const char *line, unsigned long long *n, int *ns)
{
	return imapparse_literal(line, strlen(line), n, ns);
}

static int num(const char *s, uint32_t *v)
{
	return imap_number(s, strlen(s), v);
}

static int nz(const char *s, uint32_t *v)
{
	return imap_nz_number(s, strlen(s), v);
}

int main(void)
{
	const struct imap_arg *a;
	unsigned long long n;
	int ns;
	char *big;
	size_t i;
	uint32_t v;
	char tag[IMAP_TAG_MAX + 1], name[IMAP_NAME_MAX + 1];

	is_int(parse("a1 noop\r\n"), IMAPPARSE_OK, "NOOP parses");
	is_str(c.tag, "a1", "tag");
	is_str(c.name, "NOOP", "name upper-cased");
	is_int(c.nargs, 0, "no arguments");
	is_int(parse("A2 LOGIN alice \"pass \\\"word\\\\\"\r\n"), IMAPPARSE_OK, "LOGIN with quoted string");
	is_int(c.nargs, 2, "two arguments");
	is_str(nth(c.args, 0)->s, "alice", "atom");
	is_str(nth(c.args, 1)->s, "pass \"word\\", "quoted string unescaped");
	is_int(nth(c.args, 1)->type, IMAP_QUOTED, "type quoted");
	{
		static const char lit[] = "t LOGIN {5}\r\nal\0ce {3+}\r\npw!\r\n";
		is_int(imapparse_command(&c, lit, sizeof lit - 1), IMAPPARSE_OK, "literals, sync and non-sync");
		a = nth(c.args, 0);
		ok(a->type == IMAP_LITERAL && a->len == 5 && !memcmp(a->s, "al\0ce", 5), "literal with NUL kept");
		is_str(nth(c.args, 1)->s, "pw!", "LITERAL+ literal");
	}
	{
		/* literal8 (RFC 3516 4.4): APPEND only, sync and non-sync, NUL kept */
		static const char l8[] = "t APPEND INBOX (\\Seen) ~{5}\r\na\0b\0c ~{2+}\r\nxy\r\n";
		is_int(imapparse_command(&c, l8, sizeof l8 - 1), IMAPPARSE_OK, "APPEND with literal8s");
		a = nth(c.args, 2);
		ok(a->type == IMAP_LITERAL && a->literal8 && a->len == 5 && !memcmp(a->s, "a\0b\0c", 5), "literal8 with NUL");
		a = nth(c.args, 3);
		ok(a->type == IMAP_LITERAL && a->literal8 && a->len == 2, "non-sync literal8");
		ok(!nth(c.args, 1)->literal8, "a list is no literal8");
		is_int(parse("t APPEND INBOX {2}\r\nxy\r\n"), IMAPPARSE_OK, "plain literal in APPEND");
		ok(!nth(c.args, 1)->literal8, "plain literal is no literal8");
		is_int(parse("t LOGIN ~{1}\r\nx y\r\n"), IMAPPARSE_BAD, "literal8 outside APPEND is BAD");
		is_int(parse("t APPEND INBOX ~{9}\r\nxy\r\n"), IMAPPARSE_BAD, "literal8 shorter than announced");
		is_int(parse("t APPEND INBOX ~{x}\r\nxy\r\n"), IMAPPARSE_BAD, "literal8 size not a number");
		is_int(parse("t APPEND INBOX ~\r\n"), IMAPPARSE_OK, "a lone ~ is an atom");
		ok(imapparse_literal("a APPEND x ~{12}\r\n", 18, &n, &ns) == 1 && n == 12 && !ns, "literal8 announcement found");
		ok(imapparse_literal("a APPEND x ~{12+}\r\n", 19, &n, &ns) == 1 && n == 12 && ns, "non-sync literal8 announcement");
	}
	is_int(parse("f FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100> UID)\r\n"), IMAPPARSE_OK,
	       "FETCH with a bracketed section");
	a = nth(c.args, 1);
	ok(a->type == IMAP_LIST && a->len == 3, "list of 3");
	is_str(nth(a->list, 1)->s, "BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>", "section is one atom");
	is_int(parse("s SEARCH OR (FROM a TO b) NOT ((SEEN))\r\n"), IMAPPARSE_OK, "nested lists");
	a = nth(c.args, 1);
	ok(a->type == IMAP_LIST && a->len == 4 && nth(a->list, 3)->type == IMAP_ATOM, "first list");
	a = nth(c.args, 3);
	ok(a->type == IMAP_LIST && a->len == 1 && a->list->type == IMAP_LIST && a->list->len == 1, "inner list");
	is_int(parse("x STORE 1 +FLAGS (\\Seen \\Deleted)\n"), IMAPPARSE_OK, "flags, bare LF");
	is_str(nth(c.args, 2)->list->s, "\\Seen", "flag atom");
	is_int(parse("x LIST \"\" *\r\n"), IMAPPARSE_OK, "LIST with empty string and *");
	ok(nth(c.args, 0)->len == 0 && !strcmp(nth(c.args, 1)->s, "*"), "values");
	is_int(parse("x SELECT ()\r\n"), IMAPPARSE_OK, "empty list");
	ok(c.args->type == IMAP_LIST && c.args->len == 0 && !c.args->list, "no elements");
	is_int(parse("x A (b)(c) d\r\n"), IMAPPARSE_OK, "lists side by side");
	is_int(c.nargs, 3, "three");

	is_int(parse("\r\n"), IMAPPARSE_EMPTY, "empty line");
	is_int(parse("  \r\n"), IMAPPARSE_EMPTY, "blank line");
	is_int(parse("+x NOOP\r\n"), IMAPPARSE_NOTAG, "tag with +");
	is_int(parse("NOOP\r\n"), IMAPPARSE_NOTAG, "no tag");
	is_int(parse("a\r\n"), IMAPPARSE_NOTAG, "tag alone");
	is_int(parse("a \r\n"), IMAPPARSE_BAD, "no command");
	is_int(parse("a LOGIN \"abc\r\n"), IMAPPARSE_BAD, "unterminated quote");
	is_str(c.tag, "a", "tag known for BAD");
	is_int(parse("a LOGIN \"a\\bc\"\r\n"), IMAPPARSE_BAD, "bad escape");
	is_int(parse("a X (a (b)\r\n"), IMAPPARSE_BAD, "missing )");
	is_int(parse("a X a)\r\n"), IMAPPARSE_BAD, "stray )");
	is_int(parse("a X a\"b\"\r\n"), IMAPPARSE_BAD, "no space before quoted");
	is_int(parse("a X a\r\nb"), IMAPPARSE_BAD, "text after the line end");
	is_int(parse("a X a\rb\r\n"), IMAPPARSE_BAD, "CR inside");
	is_int(parse("a X a"), IMAPPARSE_BAD, "no line end");
	is_int(parse("a X {10}\r\nabc\r\n"), IMAPPARSE_BAD, "literal shorter than announced");
	is_int(parse("a X {99999999999999999999}\r\n"), IMAPPARSE_BAD, "literal number too big");
	is_int(parse("a FETCH 1 BODY[TEXT\r\n"), IMAPPARSE_BAD, "FETCH: unterminated section");
	is_int(parse("a X {abc}\r\n"), IMAPPARSE_BAD, "literal size not a number");
	is_int(parse("a X {18446744073709551617+}\r\nn NOOP\r\n"), IMAPPARSE_BAD, "literal size over 2^64");
	is_int(parse("a X {9223372036854775808}\r\nabc\r\n"), IMAPPARSE_BAD, "literal size 2^63");
	is_int(parse("a X {4294967297}\r\nx\r\n"), IMAPPARSE_BAD, "literal size 2^32+1 is not 1");
	is_int(parse("a X {-1}\r\n\r\n"), IMAPPARSE_BAD, "negative literal size");
	is_int(parse("a X {0}\r\n\r\n"), IMAPPARSE_OK, "empty literal");
	ok(c.args->type == IMAP_LITERAL && c.args->len == 0 && !c.args->s[0], "of 0 bytes");
	is_int(parse("a X {00000000000000000000001}\r\nz\r\n"), IMAPPARSE_OK, "literal size with leading zeros");
	ok(c.args->len == 1 && !strcmp(c.args->s, "z"), "of 1 byte");
	is_int(parse("a X {1}x\r\n"), IMAPPARSE_BAD, "text after a literal announcement");

	/* RFC 3501 section 9: "[" is an ATOM-CHAR, "]" an ASTRING-CHAR */
	is_int(parse("a SELECT !#$&'+,-.0123456789:;<=>?@^_`|[}\r\n"), IMAPPARSE_OK, "every ATOM-CHAR in a mailbox name");
	is_int(c.nargs, 1, "one argument");
	is_str(c.args->s, "!#$&'+,-.0123456789:;<=>?@^_`|[}", "kept as written");
	is_int(parse("a SELECT a[b c]\r\n"), IMAPPARSE_OK, "brackets outside FETCH do not join words");
	ok(c.nargs == 2 && !strcmp(c.args->s, "a[b") && !strcmp(nth(c.args, 1)->s, "c]"), "two atoms");
	is_int(parse("a SELECT ]x]\r\n"), IMAPPARSE_OK, "] in an astring");
	is_str(c.args->s, "]x]", "kept");
	is_int(parse("a LIST \"\" \"!#$&'+,-.0123456789:;<=>?@^_`|[}%*\"\r\n"), IMAPPARSE_OK, "LIST pattern with [");
	is_int(parse("a LIST \"\" [%\r\n"), IMAPPARSE_OK, "unquoted LIST pattern with [");
	is_str(nth(c.args, 1)->s, "[%", "kept");
	is_int(parse("a FETCH 1 BODY[HEADER.FIELDS (A B)]\r\n"), IMAPPARSE_OK, "FETCH section with spaces");
	ok(c.nargs == 2 && !strcmp(nth(c.args, 1)->s, "BODY[HEADER.FIELDS (A B)]"), "one atom");
	is_int(parse("a uid fetch 1 (body.peek[1.MIME] binary[2] BINARY.SIZE[3] BINARY.PEEK[HEADER.FIELDS (X)])\r\n"),
	       IMAPPARSE_OK, "UID FETCH sections, any case");
	ok(nth(c.args, 2)->len == 4 && !strcmp(nth(nth(c.args, 2)->list, 3)->s, "BINARY.PEEK[HEADER.FIELDS (X)]"),
	   "four atoms");
	is_int(parse("a FETCH 1 BODY[HEADER.FIELDS (\"X]\\\"\" Y)]<0.5>\r\n"), IMAPPARSE_OK, "quoted ] in a section");
	is_str(nth(c.args, 1)->s, "BODY[HEADER.FIELDS (\"X]\\\"\" Y)]<0.5>", "one atom");
	is_int(parse("a FETCH 1 BODY[\"]\r\n"), IMAPPARSE_BAD, "open quote in a section");
	is_int(parse("a FETCH 1 (FLAGS X[A B])\r\n"), IMAPPARSE_OK, "FETCH: a bracket after another name is a byte");
	is_int(nth(c.args, 1)->len, 3, "three atoms");
	is_int(parse("a UID SEARCH BODY[A B]\r\n"), IMAPPARSE_OK, "not FETCH: no section");
	is_int(c.nargs, 3, "three atoms");
	is_int(parse("a[1 NOOP\r\n"), IMAPPARSE_OK, "[ in a tag");
	is_str(c.tag, "a[1", "tag");
	is_int(parse("a]1 NOOP\r\n"), IMAPPARSE_OK, "] in a tag");
	is_int(parse("* NOOP\r\n"), IMAPPARSE_NOTAG, "* is no tag");
	is_int(parse("a%b NOOP\r\n"), IMAPPARSE_NOTAG, "% in a tag");
	is_int(parse("a\\b NOOP\r\n"), IMAPPARSE_NOTAG, "\\ in a tag");
	is_int(parse("a NO]OP\r\n"), IMAPPARSE_BAD, "] in a command name");
	ok(imap_atom_char('[') && imap_atom_char('}') && imap_atom_char('!') && !imap_atom_char(']') &&
	   !imap_atom_char('%') && !imap_atom_char('*') && !imap_atom_char('"') && !imap_atom_char('\\') &&
	   !imap_atom_char('{') && !imap_atom_char(' ') && !imap_atom_char(0x7f) && !imap_atom_char(0x80) &&
	   !imap_atom_char(1), "ATOM-CHAR");
	ok(imap_astring_char(']') && imap_astring_char('[') && !imap_astring_char('%'), "ASTRING-CHAR");

	/* numbers */
	ok(num("0", &v) == 0 && v == 0, "number 0");
	ok(num("4294967295", &v) == 0 && v == 4294967295U, "number 2^32-1");
	ok(num("0004294967295", &v) == 0 && v == 4294967295U, "number with leading zeros");
	ok(num("4294967296", &v) < 0, "number 2^32: refused, not 0");
	ok(num("4294967297", &v) < 0, "number 2^32+1: refused, not 1");
	ok(num("42949672950", &v) < 0, "number 10 * (2^32-1)");
	ok(num("18446744073709551617", &v) < 0, "number 2^64+1");
	ok(num("99999999999999999999999999999999999999", &v) < 0, "number of 38 digits");
	ok(num("", &v) < 0 && num("-1", &v) < 0 && num("+1", &v) < 0 && num(" 1", &v) < 0 && num("1 ", &v) < 0 &&
	   num("1a", &v) < 0 && num("0x10", &v) < 0, "not digits");
	ok(imap_number("12", 1, &v) == 0 && v == 1, "only len bytes");
	ok(nz("1", &v) == 0 && v == 1 && nz("4294967295", &v) == 0, "nz-number");
	ok(nz("0", &v) < 0 && nz("01", &v) < 0 && nz("4294967296", &v) < 0 && nz("", &v) < 0, "nz-number refused");

	big = malloc(IMAP_DEPTH_MAX * 2 + 100);
	strcpy(big, "a X ");
	for (i = 0; i < IMAP_DEPTH_MAX; i++) strcat(big, "(");
	for (i = 0; i < IMAP_DEPTH_MAX; i++) strcat(big, ")");
	strcat(big, "\r\n");
	is_int(parse(big), IMAPPARSE_OK, "nesting at the bound");
	memmove(big + 5, big + 4, strlen(big + 4) + 1);
	big[4] = '(';
	strcpy(strrchr(big, ')') + 1, ")\r\n");
	is_int(parse(big), IMAPPARSE_BAD, "nesting over the bound");
	is_str(c.error, "parentheses nested too deeply", "reason");
	free(big);
	big = malloc(IMAP_ARGS_MAX * 2 + 100);
	strcpy(big, "a X");
	for (i = 0; i < IMAP_ARGS_MAX; i++) memcpy(big + 3 + 2 * i, " 1", 3);
	strcat(big, "\r\n");
	is_int(parse(big), IMAPPARSE_OK, "arguments at the bound");
	is_int(c.nargs, IMAP_ARGS_MAX, "all counted");
	strcpy(big + strlen(big) - 2, " 1\r\n");
	is_int(parse(big), IMAPPARSE_BAD, "one argument too many");
	is_str(c.error, "too many arguments", "reason");
	free(big);

	ok(imapparse_literal("a APPEND x {123}\r\n", 18, &n, &ns) == 1 && n == 123 && !ns, "literal found");
	ok(imapparse_literal("a APPEND x {7+}\n", 16, &n, &ns) == 1 && n == 7 && ns, "non-sync literal");
	ok(imapparse_literal("a LOGIN \"x {5}\"\r\n", 17, &n, &ns) == 0, "inside quotes: not a literal");
	ok(imapparse_literal("a LOGIN \"x {5}\r\n", 16, &n, &ns) == 0, "after an open quote: not a literal");
	ok(imapparse_literal("a LOGIN \"x\\\"\" {5}\r\n", 19, &n, &ns) == 1, "after an escaped quote");
	ok(imapparse_literal("a NOOP\r\n", 8, &n, &ns) == 0, "no literal");
	ok(lit("a X {}\r\n", &n, &ns) == -1, "empty braces: unreadable size");
	ok(lit("a X {99999999999999999999}\r\n", &n, &ns) == -1 && !ns, "huge number: unreadable");
	ok(lit("a LOGIN {18446744073709551617+}\r\n", &n, &ns) == -1 && ns, "2^64+1, non-sync: unreadable, non-sync");
	ok(lit("a LOGIN {18446744073709551616}\r\n", &n, &ns) == -1, "2^64");
	ok(lit("a LOGIN {9223372036854775808+}\r\n", &n, &ns) == -1 && ns, "2^63");
	ok(lit("a LOGIN {9223372036854775807+}\r\n", &n, &ns) == 1 && n == 9223372036854775807ULL && ns,
	   "2^63-1: the largest");
	ok(lit("a LOGIN {4294967297}\r\n", &n, &ns) == 1 && n == 4294967297ULL, "2^32+1 is not 1");
	ok(lit("a LOGIN {0}\r\n", &n, &ns) == 1 && n == 0 && !ns, "{0}");
	ok(lit("a LOGIN {0+}\r\n", &n, &ns) == 1 && n == 0 && ns, "{0+}");
	ok(lit("a LOGIN {00000000000000000000001}\r\n", &n, &ns) == 1 && n == 1, "leading zeros");
	ok(lit("a LOGIN {000000000000000000000000000000000009223372036854775807}\n", &n, &ns) == 1 &&
	   n == 9223372036854775807ULL, "leading zeros before the largest");
	ok(lit("a LOGIN {-1}\r\n", &n, &ns) == -1 && lit("a LOGIN {+}\r\n", &n, &ns) == -1 &&
	   lit("a LOGIN {1+2}\r\n", &n, &ns) == -1 && lit("a LOGIN {1-}\r\n", &n, &ns) == -1 &&
	   lit("a LOGIN {x}\r\n", &n, &ns) == -1 && lit("a LOGIN { 1}\r\n", &n, &ns) == -1 &&
	   lit("a LOGIN {1++}\r\n", &n, &ns) == -1, "malformed sizes: unreadable");
	ok(lit("a SELECT !#$&'+,-.0123456789:;<=>?@^_`|[}\r\n", &n, &ns) == 0, "} without {: not a literal");
	ok(lit("a LOGIN \"{\" x}\r\n", &n, &ns) == 0, "{ inside quotes: not a literal");
	ok(lit("a FETCH 1 BODY[\"] {5+}\r\n", &n, &ns) == 0, "after an open quote in a section: not a literal");
	ok(lit("a FETCH 1 (BODY[HEADER.FIELDS (\"]\")] {5}\r\n", &n, &ns) == 1, "after a quoted ] in a section");
	ok(imapparse_peek("a1 append INBOX {5}\r\n", 21, tag, name) == 0 && !strcmp(name, "APPEND") &&
	   !strcmp(tag, "a1"), "peek");
	ok(imapparse_tag("a1 ", 3, tag) == 0 && !strcmp(tag, "a1"), "tag of a line's start");
	ok(imapparse_tag("A.7 SEARCH 1 1 1", 16, tag) == 0 && !strcmp(tag, "A.7"), "tag of a longer start");
	{
		char t64[80];
		memset(t64, 'x', 64);
		t64[64] = ' ';
		ok(imapparse_tag(t64, 65, tag) == 0 && strlen(tag) == 64, "a 64-byte tag");
		t64[64] = 'x';
		t64[65] = ' ';
		ok(imapparse_tag(t64, 66, tag) == -1 && !tag[0], "a 65-byte tag: none");
	}
	ok(imapparse_tag("a1", 2, tag) == -1, "no space after it yet: none");
	ok(imapparse_tag(" a1 ", 4, tag) == -1 && imapparse_tag("a+1 ", 4, tag) == -1 &&
	   imapparse_tag("a\"1 ", 4, tag) == -1 && imapparse_tag("a{1 ", 4, tag) == -1 &&
	   imapparse_tag("a1\r\n", 4, tag) == -1, "no tag: space, +, quote, brace, CRLF");

	imapparse_free(&c);
	return tap_done();
}
