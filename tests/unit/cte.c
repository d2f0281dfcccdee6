/* Unit tests of lib/cte: base64 and quoted-printable decoding, well
 * formed and hostile, whole and a byte at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "cte.h"

/* Decodes in (inlen bytes) whole and byte by byte; both must give want. */
static void dec(enum cte_kind k, const char *in, size_t inlen, const char *want, size_t wantlen, const char *name)
{
	stralloc a = {0}, b = {0};
	struct cte c;
	size_t i;
	int r = cte_decode(k, in, inlen, &a);

	cte_begin(&c, k);
	for (i = 0; i < inlen; i++) cte_feed(&c, in + i, 1, &b);
	cte_end(&c, &b);
	if (!tap_ok(r == 0 && a.len == wantlen && !memcmp(a.s ? a.s : "", want, wantlen) && b.len == a.len &&
	            !memcmp(b.s ? b.s : "", a.s ? a.s : "", a.len), name)) {
		printf("#   got %d [%.*s] (%zu), bytewise [%.*s], want [%.*s] (%zu)\n", r, (int)a.len, a.s ? a.s : "", a.len,
		       (int)b.len, b.s ? b.s : "", (int)wantlen, want, wantlen);
	}
	stralloc_free(&a);
	stralloc_free(&b);
}
#define D(k, in, want, name) dec(k, in, sizeof in - 1, want, sizeof want - 1, name)

int main(void)
{
	is_int(cte_kind(0), CTE_IDENTITY, "no field: identity");
	is_int(cte_kind("7BIT"), CTE_IDENTITY, "7bit");
	is_int(cte_kind("8bit"), CTE_IDENTITY, "8bit");
	is_int(cte_kind("Binary"), CTE_IDENTITY, "binary");
	is_int(cte_kind("BASE64"), CTE_BASE64, "base64, any case");
	is_int(cte_kind("Quoted-Printable"), CTE_QP, "quoted-printable, any case");
	is_int(cte_kind("x-uuencode"), CTE_UNKNOWN, "x-uuencode is unknown");
	is_int(cte_kind(""), CTE_UNKNOWN, "empty name is unknown");

	D(CTE_IDENTITY, "a\0b\r\n", "a\0b\r\n", "identity passes NUL through");
	D(CTE_BASE64, "aGVsbG8gd29ybGQ=\r\n", "hello world", "base64");
	D(CTE_BASE64, "aGVs\r\nbG8g\r\nd29y\r\nbGQ=", "hello world", "base64 across lines");
	D(CTE_BASE64, "AAEC/w==", "\0\1\2\377", "base64 with NUL and 0xff");
	D(CTE_BASE64, "aGVsbG8", "hello", "base64 without padding: whole bytes kept, left-over bits dropped");
	D(CTE_BASE64, "a*G!V\0s b G 8 =", "hello", "base64: bytes outside the alphabet are skipped (NUL too)");
	D(CTE_BASE64, "YQ==YQ==", "aa", "base64: decoding goes on after padding");
	D(CTE_BASE64, "====", "", "base64: padding alone");
	D(CTE_BASE64, "Y", "", "base64: one char");
	D(CTE_BASE64, "", "", "base64: empty");

	D(CTE_QP, "caf=C3=A9\r\n", "caf\303\251\r\n", "qp: hex escapes");
	D(CTE_QP, "caf=c3=a9", "caf\303\251", "qp: lower-case hex");
	D(CTE_QP, "long li=\r\nne\r\n", "long line\r\n", "qp: soft line break");
	D(CTE_QP, "long li=  \t\r\nne", "long line", "qp: soft line break with white space after =");
	D(CTE_QP, "long li=\nne", "long line", "qp: soft line break, bare LF");
	D(CTE_QP, "trail   \r\nx", "trail\r\nx", "qp: trailing white space dropped");
	D(CTE_QP, "trail \t", "trail", "qp: trailing white space at the end dropped");
	D(CTE_QP, "a b\tc", "a b\tc", "qp: inner white space kept");
	D(CTE_QP, "end=", "end", "qp: = at the very end");
	D(CTE_QP, "end=4", "end=4", "qp: = and one hex digit at the end");
	D(CTE_QP, "a=zzb", "a=zzb", "qp: = not followed by hex stands for itself");
	D(CTE_QP, "a=4zb", "a=4zb", "qp: = with one hex digit then junk");
	D(CTE_QP, "a= b", "a= b", "qp: = and white space, no line end");
	D(CTE_QP, "a==41", "a=A", "qp: == then escape");
	D(CTE_QP, "n\0l=00x", "n\0l\0x", "qp: NUL raw and escaped");
	D(CTE_QP, "cr\rx", "cr\rx", "qp: bare CR kept");
	D(CTE_QP, "cr \r", "cr\r", "qp: CR at the end");
	D(CTE_QP, "=\r", "", "qp: = CR at the end");
	{
		/* a run of white space longer than the hold: bounded, the
		 * first part kept, never more output than input */
		char in[1000], *want;
		stralloc out = {0};
		memset(in, ' ', sizeof in);
		in[0] = 'x';
		cte_decode(CTE_QP, in, sizeof in, &out);
		ok(out.len <= sizeof in && out.len >= 1 && out.s[0] == 'x', "qp: a long white space run stays bounded");
		want = malloc(sizeof in);
		memset(want, ' ', sizeof in);
		want[0] = 'x';
		in[sizeof in - 1] = 'y';
		want[sizeof in - 1] = 'y';
		out.len = 0;
		cte_decode(CTE_QP, in, sizeof in, &out);
		ok(out.len == sizeof in && !memcmp(out.s, want, sizeof in), "qp: a long inner white space run is kept whole");
		free(want);
		stralloc_free(&out);
	}
	return tap_done();
}
