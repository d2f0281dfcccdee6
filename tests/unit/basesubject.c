/* Unit tests of lib/basesubject: RFC 5256 section 2.1's steps one by one,
 * the reply/forward mark, encoded words, and hostile input. */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "basesubject.h"

struct row { const char *in, *out; int refwd; };

static const struct row rows[] = {
	{"", "", 0},
	{"hello", "HELLO", 0},
	{"Hello World", "HELLO WORLD", 0},
	/* (1) white space */
	{"  lots   of\t space \r\n folded  ", "LOTS OF SPACE FOLDED", 0},
	/* (2) subj-trailer */
	{"test (fwd)", "TEST", 1},
	{"test (FWD) (fwd)  ", "TEST", 1},
	{"(fwd)", "", 1},
	{"test(fwd)", "TEST", 1},
	/* (3) subj-leader */
	{"Re: test", "TEST", 1},
	{"RE:test", "TEST", 1},
	{"re :test", "TEST", 1},
	{"Fw: test", "TEST", 1},
	{"FWD: test", "TEST", 1},
	{"Re: Re: RE:re: test", "TEST", 1},
	{"Re[2]: test", "TEST", 1},
	{"Re [2] : test", "TEST", 1},
	{"[list] Re: test", "TEST", 1},
	{"[a][b] Fwd: test", "TEST", 1},
	{"Reply: test", "REPLY: TEST", 0},
	{"Ref: test", "REF: TEST", 0},
	{"Re: ", "", 1},
	{"Re:", "", 1},
	/* (4) subj-blob only when something is left */
	{"[PATCH] fix it", "FIX IT", 0},
	{"[PATCH]", "[PATCH]", 0},
	{"[a] [b]", "[B]", 0},
	{"Re: [list] Re: [PATCH 2/3] fix", "FIX", 1},
	{"[unclosed blob", "[UNCLOSED BLOB", 0},
	{"[a[b] x", "[A[B] X", 0},
	/* (6) subj-fwd */
	{"[Fwd: test]", "TEST", 1},
	{"[fwd: Re: test]", "TEST", 1},
	{"Re: [fwd: [Fwd: Re: test (fwd)]]", "TEST", 1},
	{"[fwd: test] more", "MORE", 0},   /* a blob, not a wrapper */
	{"[fwd:]", "", 1},
	{"[fwd: ]", "", 1},
	{"[fwd: test", "[FWD: TEST", 0},
	/* (1) encoded words, decoded and folded */
	{"=?utf-8?q?R=C3=A9sum=C3=A9?=", "R\xc3\xa9SUM\xc3\xa9", 0},
	{"=?ISO-8859-1?Q?Re=3A_caf=E9?=", "CAF\xc3\xa9", 1},
	{"Re: =?utf-8?b?w4RSR0VS?= =?utf-8?b?IHRvZGF5?=", "\xc3\xa4RGER TODAY", 1},
	{"\xce\xa3\xce\x9f\xce\xa6\xce\x8a\xce\x91", "\xcf\x83\xce\xbf\xcf\x86\xce\xaf\xce\xb1", 0},
	/* bytes that are not UTF-8 stay as they are */
	{"Re: caf\xe9", "CAF\xe9", 1},
};

static void check(const char *in, size_t len, const char *want, int want_refwd, const char *name)
{
	stralloc out = {0};
	int refwd = -1;
	int r = basesubject(in, len, &out, &refwd);
	if (!ok(r == 0 && out.len == strlen(want) && !strcmp(out.s, want) && refwd == want_refwd, name))
		printf("#   in [%s]: got [%s] refwd %d, want [%s] refwd %d\n", in, out.s ? out.s : "", refwd, want,
		       want_refwd);
	stralloc_free(&out);
}

int main(void)
{
	unsigned i;
	char name[200];
	stralloc out = {0};
	int refwd;
	char *big;
	size_t n, k;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		snprintf(name, sizeof name, "base subject of [%s]", rows[i].in);
		check(rows[i].in, strlen(rows[i].in), rows[i].out, rows[i].refwd, name);
	}

	/* NUL in the raw value and in a decoded word is dropped */
	check("a\0b", 3, "AB", 0, "a NUL is dropped");
	check("=?utf-8?q?a=00b?=", 17, "AB", 0, "a decoded NUL is dropped");

	/* hostile: a million bytes of "Re: " reads only the first
	 * BASESUBJECT_IN_MAX; a huge subject is cut to BASESUBJECT_MAX */
	n = 1000000;
	big = malloc(n + 1);
	for (k = 0; k + 4 <= n; k += 4) memcpy(big + k, "Re: ", 4);
	big[k] = 0;
	ok(basesubject(big, k, &out, &refwd) == 0 && out.len == 0 && refwd, "a million Re: leave nothing");
	memset(big, 'x', n);
	ok(basesubject(big, n, &out, &refwd) == 0 && out.len == BASESUBJECT_MAX && !refwd, "a long subject is cut");
	for (k = 0; k + 6 <= n; k += 6) memcpy(big + k, "[fwd: ", 6);
	ok(basesubject(big, k, &out, &refwd) == 0, "nested [fwd: without end");
	for (k = 0; k + 2 <= n; k += 2) memcpy(big + k, "\xc3\x84", 2);
	ok(basesubject(big, k, &out, &refwd) == 0 && out.len == BASESUBJECT_MAX && (unsigned char)out.s[0] == 0xc3 &&
	   (unsigned char)out.s[1] == 0xa4, "two-byte characters are cut at a character boundary");
	for (k = 0; k + 3 <= 900; k += 3) memcpy(big + k, "[a]", 3);
	ok(basesubject(big, k, &out, &refwd) == 0 && !strcmp(out.s, "[A]"), "300 blobs leave the last");
	free(big);
	stralloc_free(&out);
	return tap_done();
}
