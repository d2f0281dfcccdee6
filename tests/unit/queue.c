/* Unit tests for lib/queue: .env parsing and formatting (hostile files
 * included), reasons cleaned of control bytes, ids, dirs, the trigger. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "queue.h"
#include "tap.h"

static const char good[] =
	"posthorn-env 1\ncreated\t100\nsize\t5\nsender\ta@b.test\n"
	"rcpt\tpending\t2\t160\tx@y.test\t4.2.0 busy\n"
	"rcpt\tdone\t0\t0\t\"q r\"@y.test\t2.0.0 ok\n";

static void parse_good(void)
{
	struct queue_env e;
	stralloc out = {0};
	const char *why = 0;

	is_int(queue_env_parse(&e, good, sizeof good - 1, &why), 0, "a good .env parses");
	is_int(e.n, 2, "two recipients");
	is_int(e.created, 100, "created");
	is_int(e.size, 5, "size");
	is_str(e.sender.s, "a@b.test", "sender");
	is_int(e.r[0].state, QUEUE_PENDING, "first pending");
	is_int(e.r[0].tries, 2, "tries");
	is_int(e.r[0].next, 160, "next");
	is_str(e.r[0].reason.s, "4.2.0 busy", "reason");
	is_str(e.r[1].addr, "\"q r\"@y.test", "a quoted local part with a space survives");
	ok(queue_env_format(&out, &e), "formats");
	ok(out.len == sizeof good - 1 && !memcmp(out.s, good, out.len), "and formats back to the same text");
	queue_env_free(&e);
	stralloc_free(&out);
}

static void parse_bad(void)
{
	static const struct { const char *name, *text; } bad[] = {
		{"empty", ""},
		{"wrong magic", "posthorn-env 2\ncreated\t1\nsize\t1\nsender\t\nrcpt\tpending\t0\t0\ta@b\t\n"},
		{"no recipients", "posthorn-env 1\ncreated\t1\nsize\t1\nsender\t\n"},
		{"missing size", "posthorn-env 1\ncreated\t1\nsender\t\nrcpt\tpending\t0\t0\ta@b\t\n"},
		{"unknown state", "posthorn-env 1\ncreated\t1\nsize\t1\nsender\t\nrcpt\tlost\t0\t0\ta@b\t\n"},
		{"short rcpt line", "posthorn-env 1\ncreated\t1\nsize\t1\nsender\t\nrcpt\tpending\t0\t0\n"},
		{"negative number", "posthorn-env 1\ncreated\t-1\nsize\t1\nsender\t\nrcpt\tpending\t0\t0\ta@b\t\n"},
		{"huge number", "posthorn-env 1\ncreated\t99999999999999999999999\nsize\t1\nsender\t\nrcpt\tpending\t0\t0\ta@b\t\n"},
		{"unterminated last line", "posthorn-env 1\ncreated\t1\nsize\t1\nsender\t\nrcpt\tpending\t0\t0\ta@b\t"},
		{"unknown field", "posthorn-env 1\ncreated\t1\nsize\t1\nsender\t\ncolour\tblue\nrcpt\tpending\t0\t0\ta@b\t\n"},
		{"empty address", "posthorn-env 1\ncreated\t1\nsize\t1\nsender\t\nrcpt\tpending\t0\t0\t\t\n"},
	};
	struct queue_env e;
	const char *why;
	char name[200];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = 0;
		snprintf(name, sizeof name, "refused: %s", bad[i].name);
		ok(queue_env_parse(&e, bad[i].text, strlen(bad[i].text), &why) == -1 && why && *why, name);
	}
	why = 0;
	ok(queue_env_parse(&e, "posthorn-env 1\n\0", 16, &why) == -1, "refused: a NUL byte");
}

static void reasons_and_ids(void)
{
	struct queue_env e = {0};
	char big[3000];

	ok(queue_env_add(&e, "a@b.test", 0), "add a recipient");
	ok(queue_set_reason(&e.r[0], "5.1.1 no\tsuch\nuser\r"), "set a reason with control bytes");
	is_str(e.r[0].reason.s, "5.1.1 no such user ", "tabs, newlines and CRs become spaces");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	queue_set_reason(&e.r[0], big);
	is_int(e.r[0].reason.len, QUEUE_REASON_MAX, "a long reason is cut at QUEUE_REASON_MAX");
	queue_env_free(&e);
	ok(queue_id_ok("1795442809.M1P2Q3.host"), "a normal id is fine");
	ok(!queue_id_ok("../x"), "an id with a slash is not");
	ok(!queue_id_ok(".hidden"), "an id with a leading dot is not");
	ok(!queue_id_ok(""), "an empty id is not");
}

static void dirs_and_files(void)
{
	char dir[] = "/tmp/posthorn-queue-unit-XXXXXX";
	struct queue_env e = {0}, back;
	struct stat st;
	stralloc p = {0};
	const char *why;

	if (!mkdtemp(dir)) { ok(0, "mkdtemp"); return; }
	ok(queue_make_dirs(dir) == 0, "queue_make_dirs");
	queue_path(&p, dir, "", "trigger");
	ok(stat(p.s, &st) == 0 && S_ISFIFO(st.st_mode), "the trigger is a FIFO");
	queue_trigger(dir, 'q');   /* no reader: must not block */
	ok(1, "a trigger without a reader returns at once");
	ok(queue_make_dirs(dir) == 0, "queue_make_dirs again is fine");
	stralloc_copys(&e.sender, "");
	stralloc_0(&e.sender);
	e.sender.len = 0;
	e.created = 7;
	queue_env_add(&e, "z@y.test", 9);
	ok(queue_env_write(dir, "ID1", &e) == 0, "queue_env_write");
	ok(queue_env_read(dir, "ID1", &back, &why) == 0 && back.n == 1 && back.r[0].next == 9 && back.sender.len == 0,
	   "queue_env_read gets it back");
	queue_env_free(&back);
	errno = 0;
	ok(queue_env_read(dir, "nope", &back, &why) == -1 && errno == ENOENT, "a missing entry is ENOENT");
	queue_env_free(&e);
	if (system("rm -rf /tmp/posthorn-queue-unit-*") != 0) diag("cleanup failed");
}

int main(void)
{
	parse_good();
	parse_bad();
	reasons_and_ids();
	dirs_and_files();
	return tap_done();
}
