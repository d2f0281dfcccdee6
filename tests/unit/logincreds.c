/* Unit tests for lib/logincreds: posthorn-mailauth's reader of
 * "login\0password\0" from a caller it does not trust.  Fields that fit
 * exactly, one byte too long, empty, cut off by EOF; and the state behind
 * the credentials stays unread for the session. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "logincreds.h"
#include "tap.h"

static char login[8], password[6];
static int fds[2];

/* Writes len bytes into a fresh pipe, closes its write end, reads. */
static int feed(const char *buf, size_t len)
{
	int r;

	if (pipe(fds)) return -2;
	if (len && write(fds[1], buf, len) != (ssize_t)len) return -2;
	close(fds[1]);
	memset(login, 'x', sizeof login);
	memset(password, 'x', sizeof password);
	r = logincreds_read(fds[0], login, sizeof login, password, sizeof password);
	return r;
}

static void done_with(void) { close(fds[0]); }

#define FEED(lit) feed(lit, sizeof lit - 1)

int main(void)
{
	char rest[16];
	ssize_t n;

	is_int(FEED("alice\0secret\0method plain\n\n"), -1, "a password one byte over its buffer: refused");
	done_with();
	is_int(FEED("alice\0pass\0method plain\n\n"), 0, "login and password");
	is_str(login, "alice", "login");
	is_str(password, "pass", "password");
	n = read(fds[0], rest, sizeof rest);
	ok(n == 14 && !memcmp(rest, "method plain\n\n", 14), "the state behind them is left for the session");
	done_with();
	is_int(FEED("1234567\0" "12345\0"), 0, "fields that fill their buffers exactly");
	ok(!strcmp(login, "1234567") && !strcmp(password, "12345"), "are read whole");
	done_with();
	is_int(FEED("12345678\0pw\0"), -1, "a login one byte over its buffer: refused, not cut");
	done_with();
	is_int(FEED("\0\0"), 0, "empty fields are read (the check refuses them)");
	ok(!login[0] && !password[0], "as empty strings");
	done_with();
	is_int(FEED(""), -1, "nothing at all");
	done_with();
	is_int(FEED("alice"), -1, "EOF in the login");
	done_with();
	is_int(FEED("alice\0pass"), -1, "EOF in the password");
	done_with();
	is_int(logincreds_read(-1, login, sizeof login, password, sizeof password), -1, "a read error");
	is_int(logincreds_read(0, login, 0, password, sizeof password), -1, "a zero-sized buffer");
	return tap_done();
}
