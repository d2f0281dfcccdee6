/* Unit tests for lib/smtpreply: single and multi-line replies, EHLO
 * keywords and parameters, malformed lines. */
#include <string.h>
#include "smtpreply.h"
#include "tap.h"

static int feed(struct smtpreply *r, const char *text)
{
	int rc = 0;
	smtpreply_reset(r);
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text + 1) : strlen(text);
		rc = smtpreply_add(r, text, n);
		if (rc != 0) return rc;
		text += n;
	}
	return rc;
}

int main(void)
{
	static struct smtpreply r;
	const char *p;
	size_t n;

	is_int(feed(&r, "250 2.0.0 ok\r\n"), 1, "a one-line reply is complete");
	is_int(r.code, 250, "code 250");
	is_str(r.text.s, "250 2.0.0 ok", "text without CRLF");
	is_int(feed(&r, "250-mx.test hi\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250 8BITMIME\r\n"), 1, "multi-line EHLO");
	is_int(r.lines, 4, "four lines");
	ok(smtpreply_has(&r, "pipelining", 0, 0), "PIPELINING found, any case");
	ok(smtpreply_has(&r, "SIZE", &p, &n) && n == 8 && !memcmp(p, "35882577", 8), "SIZE with its parameter");
	ok(!smtpreply_has(&r, "SIZ", 0, 0), "a prefix of a keyword is not the keyword");
	ok(!smtpreply_has(&r, "mx.test", 0, 0), "the greeting line is not an extension");
	ok(smtpreply_has(&r, "8BITMIME", 0, 0), "the last line counts");
	is_int(smtpreply_class(&r), 2, "class 2");
	is_int(feed(&r, "220\r\n"), 1, "a bare code is a reply");
	is_int(feed(&r, "250-a\r\n251 b\r\n"), -1, "a code that changes is malformed");
	is_int(feed(&r, "25 x\r\n"), -1, "two digits are malformed");
	is_int(feed(&r, "250*x\r\n"), -1, "a bad separator is malformed");
	is_int(feed(&r, "199 x\r\n"), -1, "a code below 200 is malformed");
	is_int(feed(&r, "hello\r\n"), -1, "text without a code is malformed");
	is_int(feed(&r, "550 bad\x01\x7f\r\n"), 1, "control bytes are accepted");
	is_str(r.text.s, "550 bad??", "and shown as '?'");
	{
		int i, rc = 0;
		smtpreply_reset(&r);
		for (i = 0; i < SMTPREPLY_LINES_MAX + 5 && rc == 0; i++) rc = smtpreply_add(&r, "250-x\r\n", 7);
		is_int(rc, -1, "a reply of endless lines is cut off");
	}
	return tap_done();
}
