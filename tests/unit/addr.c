/* Unit tests for lib/addr: one table of inputs and what must come out. */
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "tap.h"

/* Long strings by concatenation, so each length in the table is visible. */
#define X4 "xxxx"
#define X16 X4 X4 X4 X4
#define X60 X16 X16 X16 X4 X4 X4
#define X61 X60 "x"
#define X62 X60 "xx"
#define X63 X60 "xxx"
#define X64 X60 "xxxx"
#define D189 X63 "." X63 "." X61      /* a 189-octet domain */
#define D190 X63 "." X63 "." X62

enum { P = 0, A = 1 };  /* which parser: addr_parse_path or addr_parse */
enum { U = ADDR_ALLOW_UTF8, E = ADDR_ALLOW_EMPTY, N = ADDR_ALLOW_NODOMAIN, R = ADDR_ALLOW_RELAYCHARS };

struct row {
	int fn;
	const char *in;
	size_t len;          /* 0: strlen(in) */
	unsigned flags;
	int err;
	const char *out;     /* addr_format on success */
};

static const struct row rows[] = {
	/* dot-atoms */
	{A, "user@example.org", 0, 0, ADDR_OK, "user@example.org"},
	{A, "first.last@example.org", 0, 0, ADDR_OK, "first.last@example.org"},
	{A, "a!#$&'*+-/=?^_`{|}~z@x.org", 0, R, ADDR_OK, "a!#$&'*+-/=?^_`{|}~z@x.org"},
	{A, "u@localhost", 0, 0, ADDR_OK, "u@localhost"},
	{A, ".user@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "user.@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "us..er@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "us er@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, " user@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "user@x.org ", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "user @x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "user@ x.org", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "a(b)@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "a,b@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "a@b@x.org", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "user@", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "a\"b\"@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	/* quoted local parts and quoted pairs (RFC 5321 4.1.2) */
	{A, "\"a b\"@x.org", 0, 0, ADDR_OK, "\"a b\"@x.org"},
	{A, "\"abc\"@x.org", 0, 0, ADDR_OK, "abc@x.org"},
	{A, "\"a.b\"@x.org", 0, 0, ADDR_OK, "a.b@x.org"},
	{A, "\".a\"@x.org", 0, 0, ADDR_OK, "\".a\"@x.org"},
	{A, "\"a..b\"@x.org", 0, 0, ADDR_OK, "\"a..b\"@x.org"},
	{A, "\"a\\\"b\"@x.org", 0, 0, ADDR_OK, "\"a\\\"b\"@x.org"},
	{A, "\"a\\\\b\"@x.org", 0, 0, ADDR_OK, "\"a\\\\b\"@x.org"},
	{A, "\"\\a\\b\\c\"@x.org", 0, 0, ADDR_OK, "abc@x.org"},
	{A, "\"a\\ b\"@x.org", 0, 0, ADDR_OK, "\"a b\"@x.org"},
	{A, "\"a(b)<c>,d\"@x.org", 0, 0, ADDR_OK, "\"a(b)<c>,d\"@x.org"},
	{A, "\"\"@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "\"abc@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "\"a\"b@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "\"a\tb\"@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "\"a\\\tb\"@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "\"a\\", 0, 0, ADDR_ERR_LOCAL, 0},
	/* relay tricks and source routes */
	{A, "a%b@x.org", 0, 0, ADDR_ERR_RELAY, 0},
	{A, "a!b@x.org", 0, 0, ADDR_ERR_RELAY, 0},
	{A, "a%b@x.org", 0, R, ADDR_OK, "a%b@x.org"},
	{A, "a!b@x.org", 0, R, ADDR_OK, "a!b@x.org"},
	{A, "\"a@b\"@x.org", 0, 0, ADDR_ERR_RELAY, 0},
	{A, "\"a@b\"@x.org", 0, R, ADDR_ERR_RELAY, 0},
	{A, "\"a%b\"@x.org", 0, 0, ADDR_ERR_RELAY, 0},
	{A, "\"a%b\"@x.org", 0, R, ADDR_OK, "a%b@x.org"},
	{A, "@a:b@x.org", 0, 0, ADDR_ERR_ROUTE, 0},
	{P, "<@a,@b:u@x.org>", 0, 0, ADDR_ERR_ROUTE, 0},
	{P, "<@a:u@x.org>", 0, R, ADDR_ERR_ROUTE, 0},
	/* domains: LDH labels, case, dots */
	{A, "User@Example.ORG", 0, 0, ADDR_OK, "User@example.org"},
	{A, "u@a-b.x-y.org", 0, 0, ADDR_OK, "u@a-b.x-y.org"},
	{A, "u@xn--bcher-kva.example", 0, 0, ADDR_OK, "u@xn--bcher-kva.example"},
	{A, "u@123.example", 0, 0, ADDR_OK, "u@123.example"},
	{A, "u@-ab.org", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@ab-.org", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@ab.org-", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@example.org.", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@.example.org", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@example..org", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@exa_mple.org", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@" X63 ".org", 0, 0, ADDR_OK, "u@" X63 ".org"},
	{A, "u@" X64 ".org", 0, 0, ADDR_ERR_DOMAIN, 0},
	/* address literals (RFC 5321 4.1.3) */
	{A, "u@[192.0.2.1]", 0, 0, ADDR_OK, "u@[192.0.2.1]"},
	{A, "u@[255.255.255.255]", 0, 0, ADDR_OK, "u@[255.255.255.255]"},
	{A, "u@[256.0.0.1]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[1.2.3]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[0.0.0.0]", 0, 0, ADDR_OK, "u@[0.0.0.0]"},
	{A, "u@[010.0.0.1]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[IPv6:::ffff:10.00.0.1]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[1.2.3.4.5]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[1.2.3.4", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[IPv6:2001:DB8::1]", 0, 0, ADDR_OK, "u@[IPv6:2001:db8::1]"},
	{A, "u@[ipv6:::1]", 0, 0, ADDR_OK, "u@[IPv6:::1]"},
	{A, "u@[IPv6:1:2:3:4:5:6:7:8]", 0, 0, ADDR_OK, "u@[IPv6:1:2:3:4:5:6:7:8]"},
	{A, "u@[IPv6:::ffff:192.0.2.1]", 0, 0, ADDR_OK, "u@[IPv6:::ffff:192.0.2.1]"},
	{A, "u@[IPv6:1:2:3:4:5:6:192.0.2.1]", 0, 0, ADDR_OK, "u@[IPv6:1:2:3:4:5:6:192.0.2.1]"},
	{A, "u@[IPv6:1:2:3:4:5:6:7]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[IPv6:1:2:3:4:5:6:7:8:9]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[IPv6:1:2:3:4:5:6:7::]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[IPv6:1::2::3]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[IPv6:12345::1]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[IPv6:2001:db8::g]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[IPv6:]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[::1]", 0, 0, ADDR_ERR_DOMAIN, 0},
	{A, "u@[tag:anything]", 0, 0, ADDR_ERR_DOMAIN, 0},
	/* UTF-8 (RFC 6531) */
	{A, "j\xc3\xb6rg@example.org", 0, U, ADDR_OK, "j\xc3\xb6rg@example.org"},
	{A, "j\xc3\xb6rg@example.org", 0, 0, ADDR_ERR_UTF8, 0},
	{A, "u@b\xc3\xbc" "cher.example", 0, U, ADDR_OK, "u@b\xc3\xbc" "cher.example"},
	{A, "u@b\xc3\xbc" "cher.example", 0, 0, ADDR_ERR_UTF8, 0},
	{A, "u@B\xc3\x9c" "CHER.example", 0, U, ADDR_OK, "u@b\xc3\x9c" "cher.example"},
	{A, "\"\xe2\x82\xac uro\"@x.org", 0, U, ADDR_OK, "\"\xe2\x82\xac uro\"@x.org"},
	{A, "\xf0\x9f\x93\xae@x.org", 0, U, ADDR_OK, "\xf0\x9f\x93\xae@x.org"},
	{A, "a\xc0\xaf@x.org", 0, U, ADDR_ERR_UTF8, 0},           /* overlong '/' */
	{A, "a\xe0\x80\xaf@x.org", 0, U, ADDR_ERR_UTF8, 0},       /* overlong, 3 bytes */
	{A, "a\xed\xa0\x80@x.org", 0, U, ADDR_ERR_UTF8, 0},       /* surrogate D800 */
	{A, "a\xf4\x90\x80\x80@x.org", 0, U, ADDR_ERR_UTF8, 0},   /* U+110000 */
	{A, "a\xc3@x.org", 0, U, ADDR_ERR_UTF8, 0},               /* truncated */
	{A, "a\xbf@x.org", 0, U, ADDR_ERR_UTF8, 0},               /* stray continuation */
	{A, "a\xc2\x85@x.org", 0, U, ADDR_ERR_UTF8, 0},           /* C1 control NEL */
	{A, "u@a\xff.org", 0, U, ADDR_ERR_UTF8, 0},
	/* NUL and control bytes */
	{A, "a\0b@x.org", 9, 0, ADDR_ERR_LOCAL, 0},
	{A, "ab@x\0.org", 9, 0, ADDR_ERR_DOMAIN, 0},
	{A, "\"a\0b\"@x.org", 11, 0, ADDR_ERR_LOCAL, 0},
	{A, "a\rb@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	{A, "a\x7f@x.org", 0, 0, ADDR_ERR_LOCAL, 0},
	/* lengths: local 64 (as written), address 254, path 256 */
	{A, X64 "@x.org", 0, 0, ADDR_OK, X64 "@x.org"},
	{A, X64 "x@x.org", 0, 0, ADDR_ERR_TOOLONG, 0},
	{A, "\"" X62 "\"@x.org", 0, 0, ADDR_OK, X62 "@x.org"},
	{A, "\"" X63 "\"@x.org", 0, 0, ADDR_ERR_TOOLONG, 0},
	{A, X64 "@" D189, 0, 0, ADDR_OK, X64 "@" D189},
	{A, X64 "@" D190, 0, 0, ADDR_ERR_TOOLONG, 0},
	{P, "<" X64 "@" D189 ">", 0, 0, ADDR_OK, X64 "@" D189},
	{P, "<" X64 "@" D190 ">", 0, 0, ADDR_ERR_TOOLONG, 0},
	/* the null path, bare local parts */
	{P, "<>", 0, 0, ADDR_ERR_EMPTY, 0},
	{P, "<>", 0, E, ADDR_OK, ""},
	{A, "", 0, 0, ADDR_ERR_EMPTY, 0},
	{A, "", 0, E, ADDR_OK, ""},
	{P, "<postmaster>", 0, 0, ADDR_ERR_NODOMAIN, 0},
	{P, "<postmaster>", 0, N, ADDR_OK, "postmaster"},
	{P, "<Postmaster>", 0, N, ADDR_OK, "Postmaster"},
	{A, "\"post master\"", 0, N, ADDR_OK, "\"post master\""},
	/* angle brackets */
	{P, "<user@x.org>", 0, 0, ADDR_OK, "user@x.org"},
	{P, "user@x.org", 0, 0, ADDR_ERR_BRACKETS, 0},
	{P, "<user@x.org", 0, 0, ADDR_ERR_BRACKETS, 0},
	{P, "user@x.org>", 0, 0, ADDR_ERR_BRACKETS, 0},
	{P, "<<user@x.org>>", 0, 0, ADDR_ERR_BRACKETS, 0},
	{P, "<user@x.org> ", 0, 0, ADDR_ERR_BRACKETS, 0},
	{P, " <user@x.org>", 0, 0, ADDR_ERR_BRACKETS, 0},
	{P, "", 0, 0, ADDR_ERR_BRACKETS, 0},
	{P, "<", 0, 0, ADDR_ERR_BRACKETS, 0},
	{P, "<\"a>b\"@x.org>", 0, 0, ADDR_OK, "\"a>b\"@x.org"},
	{P, "< user@x.org>", 0, 0, ADDR_ERR_LOCAL, 0},
	{P, "<User@X.ORG>", 0, U, ADDR_OK, "User@x.org"},
};

static void test_row(const struct row *r, stralloc *sa)
{
	struct addr a, b;
	size_t len = r->len ? r->len : strlen(r->in);
	char name[400];
	int err;

	snprintf(name, sizeof name, "%s %.60s%s flags=%u", r->fn == A ? "parse" : "path",
	         r->in, len > 60 ? "..." : "", r->flags);
	err = r->fn == A ? addr_parse(&a, r->in, len, r->flags)
	                 : addr_parse_path(&a, r->in, len, r->flags);
	if (!is_int(err, r->err, name)) {
		printf("#   (%s)\n", addr_strerror(err));
		return;
	}
	if (err) return;
	ok(addr_format(sa, &a), "format");
	is_str(sa->s, r->out, "formatted");
	/* the formatted text parses back to the same address */
	err = addr_parse(&b, sa->s, sa->len, r->flags);
	ok(!err && !memcmp(&a, &b, sizeof a), "round trip");
}

static void test_fields(void)
{
	struct addr a;

	ok(!addr_parse(&a, "\"a b\"@X.org", 11, 0), "fields: parse");
	is_str(a.local, "a b", "fields: local part stored unquoted");
	is_str(a.domain, "x.org", "fields: domain lower-cased");
	ok(!a.literal && !a.utf8 && !a.empty, "fields: flags clear");
	ok(!addr_parse(&a, "u@[192.0.2.1]", 13, 0), "fields: literal");
	ok(a.literal, "fields: literal flagged");
	is_str(a.domain, "[192.0.2.1]", "fields: literal kept with brackets");
	ok(!addr_parse(&a, "\xc3\xa4@x.org", 8, ADDR_ALLOW_UTF8), "fields: utf8");
	ok(a.utf8, "fields: utf8 flagged");
	ok(!addr_parse_path(&a, "<>", 2, ADDR_ALLOW_EMPTY), "fields: null path");
	ok(a.empty && !a.local[0] && !a.domain[0], "fields: null path is empty");
	ok(!addr_parse_path(&a, "<postmaster>", 12, ADDR_ALLOW_NODOMAIN), "fields: bare");
	ok(!a.empty && !a.domain[0], "fields: bare local has no domain");
}

static void test_check_domain(void)
{
	static const char d255[] = X63 "." X63 "." X63 "." X63;
	static const char d256[] = X63 "." X63 "." X63 "." X63 "x";

	is_int(sizeof d255 - 1, 255, "domain of 255 octets built");
	is_int(addr_check_domain(d255, 255, 0), ADDR_OK, "check_domain: 255 octets");
	is_int(addr_check_domain(d256, 256, 0), ADDR_ERR_TOOLONG, "check_domain: 256 octets");
	is_int(addr_check_domain("example.org", 11, 0), ADDR_OK, "check_domain: plain");
	is_int(addr_check_domain("example.org.", 12, 0), ADDR_ERR_DOMAIN, "check_domain: trailing dot");
	is_int(addr_check_domain("", 0, 0), ADDR_ERR_DOMAIN, "check_domain: empty");
	is_int(addr_check_domain("[1.2.3.4]", 9, 0), ADDR_ERR_DOMAIN, "check_domain: no literal");
	is_int(addr_check_domain("b\xc3\xbc.de", 6, 0), ADDR_ERR_UTF8, "check_domain: utf8 refused");
	is_int(addr_check_domain("b\xc3\xbc.de", 6, ADDR_ALLOW_UTF8), ADDR_OK, "check_domain: utf8 allowed");
	is_int(addr_check_domain("a-.de", 5, 0), ADDR_ERR_DOMAIN, "check_domain: trailing hyphen");
}

static void test_key(stralloc *sa)
{
	struct addr a, b;
	stralloc sb = {0};

	addr_parse(&a, "Alice@Example.ORG", 17, 0);
	addr_parse(&b, "alice@example.org", 17, 0);
	ok(addr_key(sa, &a) && addr_key(&sb, &b), "key: made");
	is_str(sa->s, "alice@example.org", "key: lower-cased");
	ok(sa->len == sb.len && !memcmp(sa->s, sb.s, sa->len), "key: case variants are one key");
	is_str(a.local, "Alice", "key: local part kept as written");
	addr_parse(&a, "\"A B\"@X.org", 11, 0);
	ok(addr_key(sa, &a), "key: quoted");
	is_str(sa->s, "\"a b\"@x.org", "key: quoted local lower-cased and re-quoted");
	addr_parse(&a, "\xc3\x84X@x.org", 9, ADDR_ALLOW_UTF8);
	ok(addr_key(sa, &a), "key: utf8");
	is_str(sa->s, "\xc3\x84x@x.org", "key: only ASCII lower-cased");
	addr_parse(&a, "", 0, ADDR_ALLOW_EMPTY);
	ok(addr_key(sa, &a), "key: null path");
	is_str(sa->s, "", "key: null path is empty");
	stralloc_free(&sb);
}

static void test_split(stralloc *sa)
{
	struct addr a, base;
	char ext[ADDR_LOCAL_MAX + 1];

	addr_parse(&a, "user+tag+more@x.org", 19, 0);
	is_int(addr_split_ext(&a, '+', &base, ext), 1, "split: user+tag+more");
	is_str(base.local, "user", "split: base at first delim");
	is_str(ext, "tag+more", "split: ext is the rest");
	addr_format(sa, &base);
	is_str(sa->s, "user@x.org", "split: base formats");
	is_str(a.local, "user+tag+more", "split: original untouched");

	addr_parse(&a, "user-@x.org", 11, 0);
	is_int(addr_split_ext(&a, '-', &base, ext), 1, "split: empty ext");
	is_str(ext, "", "split: ext empty");

	strcpy(ext, "keep");
	base.local[0] = 'Z';
	addr_parse(&a, "user@x.org", 10, 0);
	is_int(addr_split_ext(&a, '+', &base, ext), 0, "split: no delim");
	ok(!strcmp(ext, "keep") && base.local[0] == 'Z', "split: outputs untouched");
	addr_parse(&a, "+user@x.org", 11, 0);
	is_int(addr_split_ext(&a, '+', &base, ext), 0, "split: leading delim");
	addr_parse(&a, "user+x@x.org", 12, 0);
	is_int(addr_split_ext(&a, 0, &base, ext), 0, "split: delim 0");

	addr_parse(&a, "\xc3\xa4+x@x.org", 10, ADDR_ALLOW_UTF8);
	is_int(addr_split_ext(&a, '+', &base, ext), 1, "split: utf8 base");
	ok(base.utf8, "split: base keeps utf8");
	addr_parse(&a, "u+\xc3\xa4@x.org", 10, ADDR_ALLOW_UTF8);
	is_int(addr_split_ext(&a, '+', &base, ext), 1, "split: utf8 ext");
	ok(!base.utf8, "split: base is ascii");
	is_str(ext, "\xc3\xa4", "split: utf8 ext kept");
}

int main(void)
{
	stralloc sa = {0};
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) test_row(&rows[i], &sa);
	test_fields();
	test_check_domain();
	test_key(&sa);
	test_split(&sa);
	for (i = ADDR_OK; i <= ADDR_ERR_BRACKETS; i++)
		ok(strcmp(addr_strerror((int)i), "unknown address error"), addr_strerror((int)i));
	stralloc_free(&sa);
	return tap_done();
}
