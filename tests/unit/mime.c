/* Unit tests of lib/mime: structure, fields, addresses, decoders. */
#include <stdio.h>
#include <string.h>
#include "tap.h"
#include "mime.h"

/* An address list as one line: mailboxes as (name;adl;mailbox;host),
 * group starts as name:{ and ends as }. */
static const char *show(const char *in, size_t len, unsigned max)
{
	static struct mime_addr a[64];
	static char buf[8192];
	unsigned n, i;
	size_t o = 0;

	n = mime_addresses(in, len, a, max < 64 ? max : 64);
	buf[0] = 0;
	for (i = 0; i < n; i++) {
		const char *sp = i ? " " : "";
		if (a[i].kind == MIME_ADDR_GROUP) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s:{", sp, a[i].name);
		else if (a[i].kind == MIME_ADDR_GROUP_END) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s}", sp);
		else o += (size_t)snprintf(buf + o, sizeof buf - o, "%s(%s;%s;%s;%s)", sp, a[i].name, a[i].adl,
					   a[i].mailbox, a[i].host);
		if (o >= sizeof buf) return "(overflow)";
	}
	return buf;
}

#define SHOW(in) show(in, strlen(in), 64)

static void addresses(void)
{
	static const struct { const char *in, *want, *name; } cases[] = {
		{"user@domain (Real Name)", "(Real Name;;user;domain)", "old-style comment name"},
		{"user@domain ( Real \t Name )", "(Real Name;;user;domain)", "comment name trimmed, white space made one"},
		{"user@domain (Real \\(x\\) Name)", "(Real (x) Name;;user;domain)", "quoted-pairs in a comment name"},
		{"(Leading) user@domain", "(Leading;;user;domain)", "a comment before the address is a name too"},
		{"user@domain (one) (two)", "(two;;user;domain)", "the last comment is the name"},
		{"user@domain ()", "(;;user;domain)", "an empty comment is no name"},
		{"\"Phrase\" <user@domain> (Comment)", "(Phrase;;user;domain)", "a phrase wins over a comment"},
		{"<user (comment)@ (comment) domain.org>", "(;;user;domain.org)", "comments inside <> dropped, no name"},
		{"John (middle) Doe <x@y>", "(John Doe;;x;y)", "a comment in a phrase is dropped"},
		{"  John \t  Doe   <x@y>", "(John Doe;;x;y)", "phrase words joined by one space"},
		{"\"John   Doe\" <x@y>", "(John   Doe;;x;y)", "quoted phrase kept as written"},
		{"\"a \\\"quoted\\\" \\\\ name\" <x@y>", "(a \"quoted\" \\ name;;x;y)", "quoted-pairs in a phrase unquoted"},
		{"J. Smith <j@x>", "(J. Smith;;j;x)", "obs-phrase with a dot"},
		{"=?utf-8?q?J=C3=B6rg?= <j@x>", "(=?utf-8?q?J=C3=B6rg?=;;j;x)", "encoded words stay encoded"},
		{"a@b (=?utf-8?q?x?=)", "(=?utf-8?q?x?=;;a;b)", "encoded word in a comment name stays"},
		{"\"Doe, J\" <j@x.org>", "(Doe, J;;j;x.org)", "comma in a quoted phrase"},
		{"undisclosed-recipients:;", "undisclosed-recipients:{ }", "empty group: start and end"},
		{"undisclosed-recipients: ;", "undisclosed-recipients:{ }", "empty group with space"},
		{"g: (nobody) ;", "g:{ }", "group holding only a comment"},
		{"g: a@b, c@d;, h: e@f;", "g:{ (;;a;b) (;;c;d) } h:{ (;;e;f) }", "two groups"},
		{"\"The Team\": a@b;", "The Team:{ (;;a;b) }", "quoted group name"},
		{"x@y, g: a@b; , z@w", "(;;x;y) g:{ (;;a;b) } (;;z;w)", "group between mailboxes"},
		{"g: a@b", "g:{ (;;a;b) }", "unterminated group ends at the end"},
		{"outer: a@b, inner: c@d;, e@f;", "outer:{ (;;a;b) (;;c;d) } (;;e;f)", "group in a group flattened"},
		{"<@a.example,@b.example:user@c.example>", "(;@a.example,@b.example;user;c.example)", "source route"},
		{"<@a.example @b.example:user@c.example>", "(;@a.example,@b.example;user;c.example)",
		 "route without comma gets one"},
		{"Name <@a.example , @b.example: user@c.example>", "(Name;@a.example,@b.example;user;c.example)",
		 "route with white space"},
		{"a@b, <@r,@s:q@w.e>, c@d", "(;;a;b) (;@r,@s;q;w.e) (;;c;d)", "commas of a route are not list commas"},
		{"undisclosed", "(;;undisclosed;)", "address without a domain"},
		{"<@domain>", "(;;;domain)", "address without a local part"},
		{"<>", "(;;;)", "empty angle-addr is an entry"},
		{"\"john doe\"@example.org", "(;;john doe;example.org)", "quoted local part unquoted"},
		{"first . last @ example . org", "(;;first.last;example.org)", "CFWS in a dot-atom dropped"},
		{"user@[192.0.2.1]", "(;;user;[192.0.2.1])", "domain literal"},
		{"Name <a@b> junk, c@d", "(Name;;a;b) (;;c;d)", "text after the angle-addr dropped"},
		{"Name <a@b, c@d", "(Name;;a;b) (;;c;d)", "unterminated angle-addr ends at the comma"},
		{"a@b (unterminated, c@d", "(unterminated, c@d;;a;b)", "unterminated comment runs to the end"},
		{"\"unterminated <a@b>, c@d", "(;;unterminated <a@b>, c@d;)", "unterminated quote runs to the end"},
		{"a@b, user@[1.2.3.4, c@d", "(;;a;b) (;;user;[1.2.3.4, c@d)", "unterminated domain literal"},
		{"a@b,,, ,c@d", "(;;a;b) (;;c;d)", "empty elements skipped"},
		{"a@b; c@d", "(;;a;b) (;;c;d)", "a semicolon outside a group separates"},
		{"  , ; ) > (just a comment)", "", "nothing but marks: no entries"},
		{"", "", "empty list"},
		{"a@b@c", "(;;a;b@c)", "a second @ stays in the domain"},
		{"x@y\r\n\t(Name\r\n Here)", "(Name Here;;x;y)", "folded input"},
	};
	static char big[200000];
	static struct mime_addr many[10002];
	struct mime_addr_iter it;
	struct mime_addr one;
	unsigned i, n;
	size_t o;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) is_str(SHOW(cases[i].in), cases[i].want, cases[i].name);

	is_str(show("a\0b@c\0d, \"x\0y\" <p@q>", 21, 64), "(;;a b;cd) (xy;;p;q)", "NUL bytes never reach an entry");

	/* deep nesting: a counter, not recursion; the name is cut at its bound */
	o = (size_t)snprintf(big, sizeof big, "a@b ");
	for (i = 0; i < 50000; i++) big[o++] = '(';
	big[o++] = 'x';
	for (i = 0; i < 50000; i++) big[o++] = ')';
	o += (size_t)snprintf(big + o, sizeof big - o, ", c@d");
	n = mime_addresses(big, o, many, 10);
	ok(n == 2 && strlen(many[0].name) == MIME_ADDR_NAME_MAX && !strcmp(many[1].mailbox, "c"),
	   "50,000 nested comments: name cut at its bound, the next address found");
	memset(big, '(', 100000);
	is_int(mime_addresses(big, 100000, many, 10), 0, "100,000 unclosed comments: no entry");
	memset(big, '"', 100001);
	n = mime_addresses(big, 100001, many, 10);
	ok(n <= 1, "100,001 quotes: at most one entry");

	/* long values are cut, a UTF-8 character is never cut in two */
	o = 0;
	for (i = 0; i < 300; i++) { memcpy(big + o, "\xe2\x82\xac", 3); o += 3; }
	o += (size_t)snprintf(big + o, sizeof big - o, " <");
	memset(big + o, 'a', 1000);
	o += 1000;
	o += (size_t)snprintf(big + o, sizeof big - o, "@b>");
	n = mime_addresses(big, o, many, 10);
	ok(n == 1 && strlen(many[0].name) == 510 && strlen(many[0].mailbox) == MIME_ADDR_PART_MAX,
	   "long name cut at a character boundary (510 of 900 bytes), long local part at its bound");

	big[0] = 'a';
	o = 1;
	for (i = 0; i < 200; i++) { memcpy(big + o, "\xf0\x9f\x98\x80", 4); o += 4; }
	o += (size_t)snprintf(big + o, sizeof big - o, " <x@y>");
	n = mime_addresses(big, o, many, 10);
	ok(n == 1 && strlen(many[0].name) == 509, "name of 4-byte characters cut before the one that does not fit");

	/* 10,000 addresses */
	o = 0;
	for (i = 0; i < 10000; i++) o += (size_t)snprintf(big + o, sizeof big - o, "%sa%u@x", i ? ", " : "", i);
	is_int(mime_addresses(big, o, many, 200), 200, "10,000 addresses: the first 200 when 200 are asked for");
	is_int(mime_addresses(big, o, many, 10002), 10000, "10,000 addresses: all of them");
	is_str(many[9999].mailbox, "a9999", "the last one");
	mime_addr_begin(&it, big, o);
	for (n = 0; mime_addr_next(&it, &one); n++) {}
	is_int(n, 10000, "the iterator walks all 10,000");

	/* a cut inside a group still ends the group */
	memcpy(big, "g:", 2);
	o = 2;
	for (i = 0; i < 10000; i++) o += (size_t)snprintf(big + o, sizeof big - o, "%sa%u@x", i ? ", " : " ", i);
	big[o++] = ';';
	n = mime_addresses(big, o, many, 200);
	ok(n == 200 && many[0].kind == MIME_ADDR_GROUP && many[199].kind == MIME_ADDR_GROUP_END &&
	   many[198].kind == MIME_ADDR_MAILBOX && !strcmp(many[198].mailbox, "a197"),
	   "10,000 in a group cut at 200: start, 198 members, end");
	n = mime_addresses(big, o, many, 10002);
	ok(n == 10002 && many[10001].kind == MIME_ADDR_GROUP_END, "10,000 in a group: all, and the end");
	is_int(mime_addresses("g: a@b;", 7, many, 1), 0, "no room for a group's end: no group");
	is_str(show("g: a@b;", 7, 2), "g:{ }", "room for start and end only");
	is_str(show("x@y, g: a@b;", 12, 2), "(;;x;y)", "a group that does not fit is left out");
}

int main(void)
{
	static struct mime m;
	stralloc out = {0};
	const struct mime_part *p, *c;
	const char *msg =
		"Subject: t\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\npre\r\n--b\r\n"
		"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
		"caf=E9=\r\n!\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner\r\n--b--\r\nepi\r\n";

	ok(mime_parse(&m, msg, strlen(msg)) == 0, "parse");
	p = &m.part[0];
	ok(p->multipart && p->nchild == 2, "multipart with two parts");
	is_str(mime_param(&p->params, "BOUNDARY"), "b", "boundary parameter, any case");
	c = p->child;
	is_str(c->type, "text", "first part type");
	is_str(c->encoding, "quoted-printable", "encoding");
	is_int(c->bodylen, 10, "body ends before the CRLF of the delimiter");
	is_int(c->lines, 2, "two lines");
	ok(mime_part_text(&m, c, &out) == 0 && out.len == 6 && !memcmp(out.s, "caf\xc3\xa9!", 6),
	   "QP with soft break, latin-1 to UTF-8");
	c = c->next;
	ok(c->message && c->msg && c->msg->bodylen == 5, "message/rfc822 with its own body");
	is_int(mime_header_end("a: b\r\n\r\nx", 9), 8, "header end after the blank line");
	is_int(mime_header_end("not a header\r\n", 14), 0, "no header");
	ok(mime_field(msg, 60, "subject", &out) && !strcmp(out.s, "t"), "field value");

	addresses();

	out.len = 0;
	ok(mime_decode_header("=?UTF-8?B?w6k=?= =?iso-8859-1?Q?=E9_x?= y", 41, &out) == 0 && out.len == 8 &&
	   !memcmp(out.s, "\xc3\xa9\xc3\xa9 x y", 8), "RFC 2047: space between encoded words dropped");
	out.len = 0;
	ok(mime_decode_b64("aGVs\r\nbG8=", 10, &out) == 0 && out.len == 5 && !memcmp(out.s, "hello", 5), "base64");
	mime_free(&m);
	stralloc_free(&out);
	return tap_done();
}
