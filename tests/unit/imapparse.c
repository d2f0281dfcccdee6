/* Unit tests of lib/imapparse and lib/imapseq: IMAP command syntax,
 * literals, bounds, sequence sets. */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "imapparse.h"
#include "imapseq.h"

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

int main(void)
{
	const struct imap_arg *a;
	unsigned long long n;
	int ns;
	char *big;
	size_t i;
	struct imapseq s = {0};
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
	is_int(parse("a X BODY[TEXT\r\n"), IMAPPARSE_BAD, "unterminated [");

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
	ok(imapparse_literal("a X {}\r\n", 8, &n, &ns) == 0, "empty braces");
	ok(imapparse_literal("a X {99999999999999999999}\r\n", 28, &n, &ns) == -1, "huge number");
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

	ok(imapseq_parse(&s, "1,3:5,9:*") == 0, "sequence set");
	imapseq_resolve(&s, 12);
	ok(imapseq_has(&s, 1) && !imapseq_has(&s, 2) && imapseq_has(&s, 4) && imapseq_has(&s, 12) &&
	   !imapseq_has(&s, 13) && !imapseq_has(&s, 8), "membership");
	ok(imapseq_parse(&s, "7:2") == 0, "reversed range");
	imapseq_resolve(&s, 10);
	ok(imapseq_has(&s, 2) && imapseq_has(&s, 7) && !imapseq_has(&s, 8), "ordered");
	ok(imapseq_parse(&s, "*") == 0 && s.star, "star");
	imapseq_resolve(&s, 0);
	ok(!imapseq_has(&s, 0) && !imapseq_has(&s, 1), "star in an empty mailbox matches nothing");
	ok(imapseq_parse(&s, "4294967295") == 0 && s.top == 4294967295U, "largest number");
	ok(imapseq_parse(&s, "4294967296") < 0, "too big");
	ok(imapseq_parse(&s, "0") < 0 && imapseq_parse(&s, "1:0") < 0, "zero refused");
	ok(imapseq_parse(&s, "") < 0 && imapseq_parse(&s, "1,") < 0 && imapseq_parse(&s, ",1") < 0 &&
	   imapseq_parse(&s, "1::2") < 0 && imapseq_parse(&s, "a") < 0 && imapseq_parse(&s, "1:*:2") < 0,
	   "malformed sets refused");
	imapseq_free(&s);
	imapparse_free(&c);
	return tap_done();
}
