/* Unit tests for lib/status: every row of the table is a well-formed
 * RFC 3463 code with a text, its class gives the exit code, and the code
 * recogniser takes exactly "class.subject.detail". */
#include <stdio.h>
#include <string.h>
#include "exitcode.h"
#include "status.h"
#include "tap.h"

static void table(void)
{
	unsigned id, bad = 0, mismatch = 0;
	stralloc line = {0};

	for (id = 0; id < ST_COUNT; id++) {
		const char *esc = status_esc((enum status_id)id);
		unsigned n = status_code_len(esc);
		int want = esc[0] == '2' ? EXIT_DONE : esc[0] == '5' ? EXIT_PERM : EXIT_TEMP;
		if (!n || n != strlen(esc) || n > ESC_MAX || !status_text((enum status_id)id)) {
			printf("# row %u: bad code '%s'\n", id, esc);
			bad++;
		}
		if (status_exit((enum status_id)id) != want) mismatch++;
	}
	is_int(bad, 0, "every row has a well-formed code and a text");
	is_int(mismatch, 0, "the exit code follows the class");
	is_int(status_exit(ST_QUEUED), EXIT_DONE, "2.x.x: done");
	is_int(status_exit(ST_ENV_NO_RCPT), EXIT_PERM, "5.x.x: permanent");
	is_int(status_exit(ST_NOMEM), EXIT_TEMP, "4.x.x: temporary");
	is_str(status_esc((enum status_id)ST_COUNT), "4.3.0", "an id outside the table reads as a temporary failure");
	is_str(status_esc((enum status_id)-1), "4.3.0", "a negative one too");
	ok(status_cat(&line, ST_TOO_BIG) && stralloc_0(&line), "status_cat");
	is_str(line.s, "5.3.4 message too big: more than ", "code, space, fixed text");
	line.len = 0;
	ok(status_cat(&line, ST_HOST_FAILED) && stralloc_0(&line), "an empty text");
	is_str(line.s, "4.4.1 ", "is the code and its space");
	stralloc_free(&line);
}

static void codes(void)
{
	is_int(status_code_len("2.0.0 queued"), 5, "2.0.0 with text");
	is_int(status_code_len("5.1.10 null MX"), 6, "a two-digit detail");
	is_int(status_code_len("4.999.999 x"), 9, "three digits each");
	is_int(status_code_len("4.3.0"), 5, "a code alone");
	is_int(status_code_len("4.1000.0 x"), 0, "four digits: no code");
	is_int(status_code_len("3.0.0 x"), 0, "class 3 does not exist");
	is_int(status_code_len("4..0 x"), 0, "an empty subject");
	is_int(status_code_len("4.3. x"), 0, "an empty detail");
	is_int(status_code_len("4.3.0; x"), 5, "followed by anything else that is no digit or dot");
	is_int(status_code_len("4.3.0.1 x"), 0, "a third dot: no code");
	is_int(status_code_len("4.3"), 0, "two parts");
	is_int(status_code_len(""), 0, "empty");
	is_int(status_code_len("queued as 5"), 0, "text");
}

/* status_reason: "ESC TEXT", whole for every row (its buffer fits the
 * longest text of the table) */
static void reasons(void)
{
	int id, whole = 1;
	char want[512];

	for (id = 0; id < ST_COUNT; id++) {
		snprintf(want, sizeof want, "%s %s", status_esc((enum status_id)id), status_text((enum status_id)id));
		if (strcmp(status_reason((enum status_id)id), want)) { whole = 0; diag(want); }
	}
	ok(whole, "status_reason gives every row whole");
	is_str(status_reason(ST_LOCAL_START), "4.3.0 unable to start posthorn-local", "runq's reasons are in the table");
}

int main(void)
{
	table();
	codes();
	reasons();
	return tap_done();
}
