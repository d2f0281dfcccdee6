/* Unit tests for lib/hdr: field names, unfolding, and one table of address
 * lists with the addresses that must come out (joined by '|'). */
#include <stdio.h>
#include <string.h>
#include "hdr.h"
#include "tap.h"

struct row {
	const char *in;
	int err;
	const char *out;   /* addresses joined by '|', on HDR_OK */
};

static const struct row rows[] = {
	{"alice@example.org", HDR_OK, "alice@example.org"},
	{"  alice@example.org  ", HDR_OK, "alice@example.org"},
	{"a@x.org, b@y.org,c@z.org", HDR_OK, "a@x.org|b@y.org|c@z.org"},
	{"Alice <alice@example.org>", HDR_OK, "alice@example.org"},
	{"\"Smith, Bob\" <bob@example.org>, carol@example.org", HDR_OK, "bob@example.org|carol@example.org"},
	{"bob@example.org (Bob Smith)", HDR_OK, "bob@example.org"},
	{"(a (nested) comment) bob@example.org (x\\) y)", HDR_OK, "bob@example.org"},
	{"root", HDR_OK, "root"},
	{"root, alice", HDR_OK, "root|alice"},
	{"\"john doe\"@example.org", HDR_OK, "\"john doe\"@example.org"},
	{"john . doe @ example.org", HDR_OK, "john.doe@example.org"},
	{"u@[192.0.2.1]", HDR_OK, "u@[192.0.2.1]"},
	{"Team: a@x.org, Bob <b@y.org>;, c@z.org", HDR_OK, "a@x.org|b@y.org|c@z.org"},
	{"undisclosed-recipients:;", HDR_OK, ""},
	{"Team: a@x.org", HDR_OK, "a@x.org"},
	{"a@x.org,, ,b@y.org,", HDR_OK, "a@x.org|b@y.org"},
	{"", HDR_OK, ""},
	{"<@relay.test,@r2.test:u@x.org>", HDR_OK, "u@x.org"},
	{"J. R. \"Bob\" Dobbs <bob@x.org>", HDR_OK, "bob@x.org"},
	{"bob@x.org <bob@x.org>", HDR_OK, "bob@x.org"},
	{"J\xc3\xb6rg <j\xc3\xb6rg@x.org>", HDR_OK, "j\xc3\xb6rg@x.org"},
	{"<>", HDR_OK, ""},
	{"a@x.org\r\n\tb@y.org", HDR_ERR_SYNTAX, 0},   /* a comma missing */
	{"Bob <bob@x.org", HDR_ERR_ANGLE, 0},
	{"bob@x.org>", HDR_ERR_ANGLE, 0},
	{"Bob <bob@x.org> junk", HDR_ERR_SYNTAX, 0},
	{"(unterminated bob@x.org", HDR_ERR_COMMENT, 0},
	{"\"bob@x.org", HDR_ERR_QUOTE, 0},
	{"u@[1.2.3.4", HDR_ERR_LITERAL, 0},
	{"A: B: c@x.org;;", HDR_ERR_GROUP, 0},
	{"a\\b@x.org", HDR_ERR_SYNTAX, 0},
	{"<a@b<c>", HDR_ERR_ANGLE, 0},
	{"a@b c@d", HDR_ERR_SYNTAX, 0},
	{"bad address@x.org", HDR_ERR_SYNTAX, 0},
	{"\"a\".\"b\"@x.org", HDR_OK, "\"a\".\"b\"@x.org"},
};

static void join(const stralloc *sa, char *buf, size_t cap)
{
	size_t i, o = 0;
	for (i = 0; i < sa->len && o + 1 < cap; i++) buf[o++] = sa->s[i] ? sa->s[i] : '|';
	if (o && buf[o - 1] == '|') o--;
	buf[o] = 0;
}

int main(void)
{
	stralloc out = {0};
	char buf[512], name[600];
	unsigned long n;
	size_t i;

	is_int(hdr_name_len("Subject: x", 10), 7, "name of a field");
	is_int(hdr_name_len("Subject : x", 11), 7, "white space before the colon (obsolete syntax)");
	is_int(hdr_name_len(" Subject: x", 11), 0, "a continuation line is no field");
	is_int(hdr_name_len("no colon here", 13), 0, "a line without colon is no field");
	is_int(hdr_name_len(": x", 3), 0, "an empty name is no field");
	is_int(hdr_name_len("Sub ject: x", 11), 0, "a space inside the name is no field");
	ok(hdr_is("bcc: x", 6, "Bcc"), "hdr_is ignores case");
	ok(!hdr_is("Bccx: x", 7, "Bcc"), "hdr_is wants the whole name");
	ok(hdr_unfold(&out, "To: a,\n b,\r\n\tc\n", 15) == 1 && out.len == 8 && !memcmp(out.s, " a, b,\tc", 8),
	   "hdr_unfold removes line ends");
	is_int(hdr_unfold(&out, "junk", 4), -1, "hdr_unfold refuses a non-field");

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int err;
		out.len = 0;
		n = 0;
		err = hdr_addrlist(rows[i].in, strlen(rows[i].in), &out, &n, 100);
		snprintf(name, sizeof name, "%s -> %s", rows[i].in, rows[i].out ? rows[i].out : hdr_strerror(rows[i].err));
		for (char *c = name; *c; c++)
			if ((unsigned char)*c < 32) *c = '~';
		if (!is_int(err, rows[i].err, name)) continue;
		if (err) continue;
		join(&out, buf, sizeof buf);
		is_str(buf, rows[i].out, name);
	}
	out.len = 0;
	n = 0;
	is_int(hdr_addrlist("a@x, b@x, c@x", 13, &out, &n, 2), HDR_ERR_TOOMANY, "more than max addresses");
	n = 0;
	out.len = 0;
	is_int(hdr_addrlist("\"a\0b\"@x", 8, &out, &n, 10), HDR_ERR_SYNTAX, "a NUL inside a quoted string");
	n = 0;
	out.len = 0;
	hdr_addrlist("a@x, b@x", 8, &out, &n, 10);
	is_int(n, 2, "count of addresses");
	ok(!strcmp(hdr_strerror(999), "unknown error"), "hdr_strerror of nonsense");
	return tap_done();
}
