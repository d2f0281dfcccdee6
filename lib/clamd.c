/*
 * clamd's INSTREAM protocol (see clamd.h).  The "z" prefix makes clamd
 * end its reply with NUL rather than LF, so the reply's end is plain even
 * when a signature name were to hold odd bytes.
 */
#include <string.h>
#include <unistd.h>
#include "clamd.h"
#include "scanconn.h"

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

void clamd_parse_reply(const char *buf, size_t len, struct clamd_result *r)
{
	const char *nul = memchr(buf, 0, len);
	size_t n, i;

	memset(r, 0, sizeof *r);
	r->status = CLAMD_ERROR;
	r->why = "unreadable reply";
	if (nul) len = (size_t)(nul - buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) len--;
	if (!len) {
		r->why = "empty reply";
		return;
	}
	if (len > CLAMD_REPLY_MAX) return;
	if (ends_with(buf, len, "size limit exceeded. ERROR")) {
		r->status = CLAMD_TOOBIG;
		r->why = "size limit exceeded";
		return;
	}
	if (ends_with(buf, len, " ERROR")) {
		r->why = "clamd error";
		return;
	}
	/* "stream: " then OK or "NAME FOUND"; an older clamd may say
	 * "fd[N]: " or a path: the name is after the last ": " */
	if (len < 8 || memcmp(buf, "stream: ", 8)) return;
	buf += 8, len -= 8;
	if (len == 2 && !memcmp(buf, "OK", 2)) {
		r->status = CLAMD_CLEAN;
		r->why = 0;
		return;
	}
	if (!ends_with(buf, len, " FOUND") || len == 6) return;
	n = len - 6;
	if (n > CLAMD_NAME_MAX) n = CLAMD_NAME_MAX;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		r->name[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	r->name[n] = 0;
	r->status = CLAMD_INFECTED;
	r->why = 0;
}

/* Sends the file in INSTREAM chunks.  0, or -1 with *why. */
static int send_stream(int fd, int msgfd, long long deadline, const char **why)
{
	static char buf[4 + CLAMD_CHUNK];
	static const char end[4] = {0, 0, 0, 0};

	for (;;) {
		ssize_t n = read(msgfd, buf + 4, CLAMD_CHUNK);
		if (n < 0) {
			*why = "cannot read the message";
			return -1;
		}
		if (n == 0) break;
		buf[0] = (char)((size_t)n >> 24 & 0xff), buf[1] = (char)((size_t)n >> 16 & 0xff);
		buf[2] = (char)((size_t)n >> 8 & 0xff), buf[3] = (char)((size_t)n & 0xff);
		if (scanconn_write(fd, buf, (size_t)n + 4, deadline, why)) return -1;
	}
	return scanconn_write(fd, end, sizeof end, deadline, why);
}

void clamd_scan(const char *addr, int msgfd, unsigned timeout, struct clamd_result *r)
{
	static const char cmd[] = "zINSTREAM";   /* with its NUL */
	char reply[CLAMD_REPLY_MAX + 1];
	long long deadline = scanconn_deadline(timeout);
	const char *why = 0, *rwhy = 0;
	size_t got = 0;
	int fd, sent;

	memset(r, 0, sizeof *r);
	r->status = CLAMD_ERROR;
	if ((fd = scanconn_open(addr, deadline, &why)) < 0) {
		r->why = why;
		return;
	}
	sent = scanconn_write(fd, cmd, sizeof cmd, deadline, &why) == 0 && send_stream(fd, msgfd, deadline, &why) == 0;
	/* clamd stops reading and answers when the stream is over its limit:
	 * its reply is worth reading even when our write failed */
	while (got < sizeof reply - 1) {
		ssize_t n = scanconn_read(fd, reply + got, sizeof reply - 1 - got, deadline, &rwhy);
		if (n <= 0) break;
		got += (size_t)n;
		if (memchr(reply, 0, got)) break;
	}
	close(fd);
	if (!got) {
		r->why = !sent ? why : rwhy ? rwhy : "no reply";
		return;
	}
	clamd_parse_reply(reply, got, r);
}
