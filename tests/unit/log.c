/* Unit tests of lib/log: quoting keeps one event on one line. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "tap.h"
#include "log.h"

static const char *q(const char *v)
{
	static char out[LOG_VALUE_MAX * 4 + 16];
	unsigned long len = 0;
	log_quote(out, &len, sizeof out - 1, v);
	out[len] = 0;
	return out;
}

int main(void)
{
	char big[LOG_VALUE_MAX + 100];
	char path[] = "/tmp/posthorn-log-XXXXXX";
	char got[512];
	int fd, saved;
	ssize_t n;

	is_str(q("alice@example.org"), "alice@example.org", "plain value unquoted");
	is_str(q(""), "\"\"", "empty value quoted");
	is_str(q(0), "-", "null value is -");
	is_str(q("two words"), "\"two words\"", "space forces quotes");
	is_str(q("a\"b\\c"), "\"a\\\"b\\\\c\"", "quote and backslash escaped");
	is_str(q("line\r\nnext"), "\"line\\x0d\\x0anext\"", "CR LF escaped, never a new line");
	is_str(q("k=v"), "\"k=v\"", "= forces quotes");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	ok(strlen(q(big)) == LOG_VALUE_MAX + 3 && !strcmp(q(big) + LOG_VALUE_MAX, "..."), "long value cut and marked");

	fd = mkstemp(path);
	saved = dup(2);
	dup2(fd, 2);
	log_init("/some/dir/posthorn-test");
	log_event("deliver", "rcpt", "bob@example.org", "reason", "4.2.2 over quota", "x", (char *)0, (char *)0);
	dup2(saved, 2);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	is_str(got, "posthorn-test: event=deliver rcpt=bob@example.org reason=\"4.2.2 over quota\" x=-\n",
	       "event line: program name, key=value pairs, one newline");
	unlink(path);
	return tap_done();
}
