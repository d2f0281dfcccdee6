/* Unit tests for lib/smtpdata: the strict end of DATA, dot-unstuffing, CRLF
 * to LF, what is flagged, the Received count, and the same result whether
 * the input comes whole or a byte at a time. */
#include <stdio.h>
#include <string.h>
#include "smtpdata.h"
#include "tap.h"

struct result {
	char out[4096];
	size_t outlen;
	size_t used;
	unsigned flags;
	int done;
	unsigned long received;
	unsigned long long size;
};

static void run(enum smtpdata_mode mode, const char *in, size_t len, size_t step, struct result *r)
{
	struct smtpdata d;
	size_t i = 0;

	smtpdata_init(&d, mode);
	r->outlen = r->used = 0;
	while (i < len && !d.done) {
		size_t n = len - i < step ? len - i : step, o = 0;
		size_t u = smtpdata_feed(&d, in + i, n, r->out + r->outlen, &o);
		if (o > n) printf("# output longer than input\n");
		r->outlen += o;
		r->used += u;
		i += u;
		if (u < n) break;
	}
	if (mode == SMTPDATA_CHUNK) smtpdata_finish(&d);
	r->flags = d.flags;
	r->done = d.done;
	r->received = d.received;
	r->size = d.size;
}

#define S(x) x, sizeof x - 1

static const struct {
	const char *name;
	const char *in;
	size_t len;
	int done;
	size_t used;           /* consumed bytes when done */
	const char *out;
	unsigned flags;
} rows[] = {
	{"empty message", S(".\r\n"), 1, 3, "", 0},
	{"one line", S("a\r\n.\r\n"), 1, 6, "a\n", 0},
	{"dot-stuffed lines", S("..a\r\n..\r\n.\r\n"), 1, 12, ".a\n.\n", 0},
	{"pipelined command after the end", S("a\r\n.\r\nQUIT\r\n"), 1, 6, "a\n", 0},
	{"\\n.\\n is text", S("a\n.\nb\r\n.\r\n"), 1, 10, "a\n.\nb\n", SMTPDATA_BARELF},
	{"\\n.\\r\\n is text", S("a\n.\r\nb\r\n.\r\n"), 1, 11, "a\n.\nb\n", SMTPDATA_BARELF},
	{"\\r.\\r is text", S("a\r.\rb\r\n.\r\n"), 1, 10, "a.b\n", SMTPDATA_BARECR},
	{"\\r\\n.\\r is text", S("a\r\n.\rb\r\n.\r\n"), 1, 11, "a\nb\n", SMTPDATA_BARECR},
	{"\\r\\n.\\n is text", S("a\r\n.\nb\r\n.\r\n"), 1, 11, "a\n\nb\n", SMTPDATA_BARELF},
	{"\\n.\\r is text", S("a\n.\rb\r\n.\r\n"), 1, 10, "a\n.b\n", SMTPDATA_BARELF | SMTPDATA_BARECR},
	{"no end yet", S("a\r\n.\r"), 0, 6, "a\n", 0},
	{"NUL flagged", S("a\0b\r\n.\r\n"), 1, 8, "a\0b\n", SMTPDATA_NUL},
};

int main(void)
{
	struct result whole, bytes;
	struct smtpdata d;
	char buf[2100], out[2100], name[160];
	size_t i, o;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		run(SMTPDATA_DOT, rows[i].in, rows[i].len, rows[i].len, &whole);
		run(SMTPDATA_DOT, rows[i].in, rows[i].len, 1, &bytes);
		snprintf(name, sizeof name, "%s: end %s", rows[i].name, rows[i].done ? "found" : "not found");
		is_int(whole.done, rows[i].done, name);
		snprintf(name, sizeof name, "%s: output and flags", rows[i].name);
		ok(whole.outlen == strlen(rows[i].out) + (rows[i].flags & SMTPDATA_NUL ? 3 : 0) &&
		   !memcmp(whole.out, rows[i].out, whole.outlen) && whole.flags == rows[i].flags, name);
		if (rows[i].done) {
			snprintf(name, sizeof name, "%s: consumed up to the end line", rows[i].name);
			is_int(whole.used, rows[i].used, name);
		}
		snprintf(name, sizeof name, "%s: a byte at a time gives the same", rows[i].name);
		ok(whole.outlen == bytes.outlen && !memcmp(whole.out, bytes.out, whole.outlen) &&
		   whole.flags == bytes.flags && whole.done == bytes.done && whole.used == bytes.used, name);
	}

	/* line length */
	memset(buf, 'x', 998);
	memcpy(buf + 998, "\r\n.\r\n", 5);
	run(SMTPDATA_DOT, buf, 1003, 1003, &whole);
	ok(whole.done && !whole.flags, "998-octet line: fine");
	buf[0] = '.';
	memset(buf + 1, 'x', 998);
	memcpy(buf + 999, "\r\n.\r\n", 5);
	run(SMTPDATA_DOT, buf, 1004, 1004, &whole);
	ok(whole.done && !whole.flags, "998 octets after unstuffing a dot: fine");
	memset(buf, 'x', 999);
	memcpy(buf + 999, "\r\n.\r\n", 5);
	run(SMTPDATA_DOT, buf, 1004, 1004, &whole);
	ok(whole.done && whole.flags == SMTPDATA_LONGLINE, "999-octet line: flagged");

	/* Received count: header only, any case */
	{
		static const char m[] = "Received: a\r\nreceived: b\r\nRECEIVED:c\r\nX-Received: d\r\n Received: e\r\n"
		                        "Subject: s\r\n\r\nReceived: body\r\n.\r\n";
		run(SMTPDATA_DOT, m, sizeof m - 1, sizeof m - 1, &whole);
		is_int(whole.received, 3, "three Received fields in the header, none from the body");
	}

	/* size: CRLF counted as two octets, the end line not at all */
	run(SMTPDATA_DOT, S("ab\r\n..c\r\n.\r\n"), 100, &whole);
	is_int(whole.size, 8, "size counts the message as sent, unstuffed");

	/* chunks */
	smtpdata_init(&d, SMTPDATA_CHUNK);
	is_int(smtpdata_feed(&d, S("a\r\n.\r\nb\r"), out, &o), 8, "BDAT: everything is consumed");
	ok(o == 5 && !memcmp(out, "a\n.\nb", 5) && !d.done, "BDAT: no unstuffing, no end marker");
	is_int(smtpdata_feed(&d, S("\nc"), out, &o), 2, "next chunk");
	ok(o == 2 && !memcmp(out, "\nc", 2) && !d.flags, "BDAT: CRLF split across chunks");
	smtpdata_feed(&d, S("\r"), out, &o);
	smtpdata_finish(&d);
	is_int(d.flags, SMTPDATA_BARECR, "BDAT: a CR at the very end is bare");
	smtpdata_init(&d, SMTPDATA_DOT);
	smtpdata_feed(&d, S(".\r\n"), out, &o);
	is_int(smtpdata_feed(&d, S("more"), out, &o), 0, "after the end nothing more is consumed");
	return tap_done();
}
