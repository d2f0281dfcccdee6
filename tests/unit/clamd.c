/* Unit tests of lib/clamd's reply parser: clean, infected, size limit,
 * errors, and hostile replies (no name, huge name, control bytes, no NUL). */
#include <string.h>
#include "tap.h"
#include "clamd.h"

static enum clamd_status parse(const char *s, struct clamd_result *r)
{
	clamd_parse_reply(s, strlen(s) + 1, r);   /* with clamd's NUL */
	return r->status;
}

int main(void)
{
	struct clamd_result r;
	char big[4096];

	is_int(parse("stream: OK", &r), CLAMD_CLEAN, "stream: OK is clean");
	is_int(parse("stream: Eicar-Test-Signature FOUND", &r), CLAMD_INFECTED, "FOUND is infected");
	is_str(r.name, "Eicar-Test-Signature", "the signature name");
	is_int(parse("stream: Posthorn.Test.Sig.UNOFFICIAL FOUND\n", &r), CLAMD_INFECTED, "with LF (no z prefix)");
	is_str(r.name, "Posthorn.Test.Sig.UNOFFICIAL", "name without the LF");
	is_int(parse("INSTREAM size limit exceeded. ERROR", &r), CLAMD_TOOBIG, "size limit");
	is_int(parse("stream: Can't allocate memory ERROR", &r), CLAMD_ERROR, "other ERROR");
	is_int(parse("UNKNOWN COMMAND", &r), CLAMD_ERROR, "unknown command");
	ok(r.why && *r.why, "an error says why");
	is_int(parse("", &r), CLAMD_ERROR, "empty reply");
	is_int(parse("stream: FOUND", &r), CLAMD_ERROR, "FOUND without a name");
	is_int(parse("stream:  FOUND", &r), CLAMD_ERROR, "FOUND with a blank name is an error");
	is_int(parse("stream: OKAY", &r), CLAMD_ERROR, "OKAY is not OK");
	is_int(parse("stream: ok", &r), CLAMD_ERROR, "ok in lower case is not OK");
	is_int(parse("OK", &r), CLAMD_ERROR, "OK without stream: is not OK");
	is_int(parse("stream: a\033b FOUND", &r), CLAMD_INFECTED, "control byte in name");
	is_str(r.name, "a?b", "control byte shown as ?");
	memcpy(big, "stream: ", 8);
	memset(big + 8, 'x', 1000);
	memcpy(big + 1008, " FOUND", 7);
	is_int(parse(big, &r), CLAMD_INFECTED, "long name");
	is_int(strlen(r.name), CLAMD_NAME_MAX, "long name cut to CLAMD_NAME_MAX");
	memset(big, 'y', sizeof big);
	clamd_parse_reply(big, sizeof big, &r);
	is_int(r.status, CLAMD_ERROR, "4 KiB without NUL is an error");
	clamd_parse_reply("stream: OK\0stream: X FOUND", 26, &r);
	is_int(r.status, CLAMD_CLEAN, "only the bytes before the NUL count");
	clamd_parse_reply("stream: X FOUND", 15, &r);
	is_int(r.status, CLAMD_INFECTED, "reply without NUL");
	r.status = CLAMD_CLEAN;
	clamd_scan("/nonexistent/clamd.sock", 0, 1, &r);
	ok(r.status == CLAMD_ERROR && r.why, "no clamd: an error, not clean");
	clamd_scan("not-an-address", 0, 1, &r);
	ok(r.status == CLAMD_ERROR && r.why, "bad address: an error");
	return tap_done();
}
