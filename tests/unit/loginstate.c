/* Unit tests of lib/loginstate: the hand-over record a session reads from
 * its (untrusted) login half. */
#include <stdlib.h>
#include "tap.h"
#include "loginstate.h"

static int parse(struct loginstate *st, const char *text, size_t len)
{
	st->text.len = 0;
	if (!stralloc_catb(&st->text, text, len)) return -2;
	return loginstate_parse(st);
}

int main(void)
{
	struct loginstate st = {{0}, 0, 0};
	char v[64], tiny[4];
	static const char good[] = "method plain\ntls TLSv1.3 TLS_AES_256_GCM_SHA384\ntag a001\n\na002 NOOP\r\n";
	char *big;

	ok(parse(&st, good, sizeof good - 1) == 0, "a full state parses");
	ok(loginstate_value(&st, "method", v, sizeof v) && !strcmp(v, "plain"), "method");
	ok(loginstate_value(&st, "tls", v, sizeof v) && !strcmp(v, "TLSv1.3 TLS_AES_256_GCM_SHA384"),
	   "a value keeps its spaces");
	ok(loginstate_value(&st, "tag", v, sizeof v) && !strcmp(v, "a001"), "tag");
	ok(st.pipelinedlen == 11 && !memcmp(st.pipelined, "a002 NOOP\r\n", 11), "the pipelined bytes after the empty line");
	ok(!loginstate_value(&st, "ta", v, sizeof v), "a key is matched whole, not as a prefix");
	ok(!loginstate_value(&st, "a002", v, sizeof v), "the pipelined bytes are not lines of the state");
	ok(loginstate_value(&st, "tls", tiny, sizeof tiny) && !strcmp(tiny, "TLS"), "a value is cut to the buffer");

	ok(parse(&st, "\nUSER x\r\n", 9) == 0 && st.pipelinedlen == 8, "no lines at all, then input");
	ok(!loginstate_value(&st, "method", v, sizeof v), "and no method in it");
	ok(parse(&st, "method plain\n\n", 14) == 0 && st.pipelinedlen == 0, "no pipelined input");
	ok(parse(&st, "method plain\n", 13) == -1, "without the empty line: refused");
	ok(parse(&st, "", 0) == -1, "empty: refused");
	ok(parse(&st, "method\nmethod \n\n", 16) == 0 && loginstate_value(&st, "method", v, sizeof v) && !v[0],
	   "a key without a value is absent; with an empty one, empty");
	ok(parse(&st, "tag a\0b\n\n", 9) == 0 && loginstate_value(&st, "tag", v, sizeof v) && !strcmp(v, "a"),
	   "a NUL inside a value ends it");
	big = malloc(LOGINSTATE_MAX + 2);
	memset(big, 'x', LOGINSTATE_MAX + 1);
	memcpy(big, "\n", 1);
	ok(parse(&st, big, LOGINSTATE_MAX) == 0, "LOGINSTATE_MAX bytes are taken");
	ok(parse(&st, big, LOGINSTATE_MAX + 1) == -1, "one more is refused");
	free(big);
	return tap_done();
}
