/* Unit tests of lib/mime: structure, fields, addresses, decoders. */
#include <string.h>
#include "tap.h"
#include "mime.h"

int main(void)
{
	static struct mime m;
	static struct mime_addr a[10];
	stralloc out = {0};
	const struct mime_part *p, *c;
	const char *msg =
		"Subject: t\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\npre\r\n--b\r\n"
		"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
		"caf=E9=\r\n!\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner\r\n--b--\r\nepi\r\n";
	unsigned n;

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

	n = mime_addresses("\"Doe, J\" <j@x.org>, g: a@b.c, <@r,@s:q@w.e>; plain@h.i", 54, a, 10);
	is_int(n, 6, "six entries");
	ok(!strcmp(a[0].name, "Doe, J") && !strcmp(a[0].mailbox, "j") && !strcmp(a[0].host, "x.org"), "quoted name with comma");
	ok(a[1].group == 1 && !strcmp(a[1].mailbox, "g"), "group start");
	ok(!strcmp(a[3].adl, "@r,@s") && !strcmp(a[3].mailbox, "q"), "route");
	ok(a[4].group == 2, "group end");
	ok(!strcmp(a[5].mailbox, "plain") && !a[5].has_name, "bare address");

	out.len = 0;
	ok(mime_decode_header("=?UTF-8?B?w6k=?= =?iso-8859-1?Q?=E9_x?= y", 41, &out) == 0 && out.len == 8 &&
	   !memcmp(out.s, "\xc3\xa9\xc3\xa9 x y", 8), "RFC 2047: space between encoded words dropped");
	out.len = 0;
	ok(mime_decode_b64("aGVs\r\nbG8=", 10, &out) == 0 && out.len == 5 && !memcmp(out.s, "hello", 5), "base64");
	mime_free(&m);
	stralloc_free(&out);
	return tap_done();
}
