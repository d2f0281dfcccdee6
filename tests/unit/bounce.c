/* Unit tests for lib/bounce: Status from reasons, the report's structure,
 * the original header cut at a line end, hostile reasons kept on one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bounce.h"
#include "tap.h"

static void status(void)
{
	static const struct { const char *reason; int expired; const char *want; } t[] = {
		{"5.1.1 no such user: bob@x", 0, "5.1.1"},
		{"mx.example.net[192.0.2.1] said: 550 5.7.1 relaying denied", 0, "5.7.1"},
		{"mx.example.net said: 550 no such user", 0, "5.0.0"},
		{"4.4.7 message expired; last: 4.4.1 connection refused", 1, "4.4.7"},
		{"4.2.2 mailbox full", 1, "4.2.2"},
		{"4.2.2 mailbox full", 0, "5.0.0"},
		{"host 10.5.1.1 refused", 0, "5.0.0"},
		{"5.1.10 a three-digit detail", 0, "5.1.10"},
		{"5.1234.1 too long", 0, "5.0.0"},
		{"", 0, "5.0.0"},
		{"", 1, "4.4.7"},
	};
	char out[16], name[200];
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		bounce_status(t[i].reason, t[i].expired, out);
		snprintf(name, sizeof name, "status of '%s'%s", t[i].reason, t[i].expired ? " (expired)" : "");
		is_str(out, t[i].want, name);
	}
}

static void build(void)
{
	char path[] = "/tmp/posthorn-bounce-unit-XXXXXX";
	int fd = mkstemp(path);
	const char *orig = "Subject: hello\r\nX-Long: a\r\n b\r\n\r\nsecret body\r\n";
	struct bounce_rcpt r[2] = {{"bob@x.test", "5.1.1 no such user\nInjected: header", 0},
	                           {"carol@y.test", "y.test said: 552 5.2.2 mailbox full", 0}};
	struct bounce_info b = {"mx.test", "ID.1", "alice@a.test", 0, 0, r, 2};
	stralloc out = {0};

	if (fd < 0 || write(fd, orig, strlen(orig)) < 0) { ok(0, "temp file"); return; }
	ok(bounce_build(&out, &b, fd), "bounce_build");
	stralloc_0(&out);
	ok(strstr(out.s, "To: <alice@a.test>\n") != 0, "addressed to the original sender");
	ok(strstr(out.s, "report-type=delivery-status") != 0, "a delivery-status report");
	ok(strstr(out.s, "Final-Recipient: rfc822; bob@x.test\nAction: failed\nStatus: 5.1.1\n") != 0, "bob's block");
	ok(strstr(out.s, "Status: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full\n") != 0,
	   "carol's block has the remote reply as an smtp diagnostic");
	ok(strstr(out.s, "\nInjected: header") == 0, "a newline in a reason cannot add a header line");
	ok(strstr(out.s, "Subject: hello\nX-Long: a\n b\n\n--") != 0, "the original header, folded lines kept, LF ends");
	ok(strstr(out.s, "secret body") == 0, "the body is not returned");
	ok(strstr(out.s, "\n--=_posthorn_bounce_ID.1--\n") != 0, "the closing boundary");
	close(fd);
	unlink(path);
	stralloc_free(&out);
}

static void big_header(void)
{
	char path[] = "/tmp/posthorn-bounce-unit-XXXXXX";
	int fd = mkstemp(path), i;
	char line[100];
	struct bounce_rcpt r = {"bob@x.test", "5.1.1 no", 0};
	struct bounce_info b = {"mx.test", "ID.2", "", 0, 1, &r, 1};
	stralloc out = {0};
	char *h, *end;

	for (i = 0; i < 3000; i++) {
		snprintf(line, sizeof line, "X-Filler-%04d: %060d\n", i, i);
		if (write(fd, line, strlen(line)) < 0) break;
	}
	ok(bounce_build(&out, &b, fd), "bounce_build with a 200 KB header");
	stralloc_0(&out);
	ok(strstr(out.s, "To: postmaster\n") != 0, "a double bounce goes to the postmaster");
	h = strstr(out.s, "text/rfc822-headers\n\n");
	end = h ? strstr(h, "\n--=_posthorn") : 0;
	ok(h && end && (size_t)(end - h) <= BOUNCE_HEADER_MAX + 100, "the returned header is bounded");
	ok(end && end[-1] == '\n', "and cut at a line end");
	close(fd);
	unlink(path);
	stralloc_free(&out);
}

int main(void)
{
	status();
	build();
	big_header();
	return tap_done();
}
