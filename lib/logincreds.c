/* logincreds: posthorn-mailauth's reader of "login\0password\0"; see
 * logincreds.h. */
#include <errno.h>
#include <unistd.h>
#include "logincreds.h"

/* One NUL-terminated field, a byte at a time, so nothing after it is read. */
static int field(int fd, char *out, size_t cap)
{
	size_t n = 0;

	if (!cap) return -1;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR) continue;
		if (r != 1) return -1;
		if (!c) break;
		if (n + 1 >= cap) return -1;
		out[n++] = c;
	}
	out[n] = 0;
	return 0;
}

int logincreds_read(int fd, char *login, size_t logincap, char *password, size_t pwcap)
{
	if (field(fd, login, logincap) < 0) return -1;
	return field(fd, password, pwcap);
}
