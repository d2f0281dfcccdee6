/* wire: stored message to its CRLF, dot-stuffed wire form; see wire.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "wire.h"

#define WIRE_READ_BUF 65536

void wire_init(struct wire *w, long body_lines)
{
	memset(w, 0, sizeof *w);
	w->bol = 1;
	w->stuff = 1;
	if (body_lines >= 0) {
		w->limited = 1;
		w->left = (unsigned long)body_lines;
	}
}

/* A line ended (its LF was written): track the header/body boundary and
 * the TOP limit.  A header ends at the first empty line (LF or CRLF only). */
static void line_done(struct wire *w)
{
	int empty = w->linelen == 0 || (w->linelen == 1 && w->cr);

	if (!w->body) {
		if (empty) {
			w->body = 1;
			if (w->limited && !w->left) w->done = 1;
		}
	} else if (w->limited && (!w->left || !--w->left)) {
		w->done = 1;
	}
	w->bol = 1;
	w->linelen = 0;
	w->cr = 0;
}

size_t wire_encode(struct wire *w, const char *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len && !w->done; i++) {
		char c = in[i];
		if (c == '\n') {
			if (!w->cr) out[o++] = '\r';
			out[o++] = '\n';
			line_done(w);
			continue;
		}
		if (w->bol && c == '.' && w->stuff) out[o++] = '.';
		out[o++] = c;
		w->bol = 0;
		w->cr = c == '\r';
		w->linelen++;
	}
	return o;
}

size_t wire_finish(struct wire *w, char *out)
{
	if (w->bol || w->done) return 0;
	out[0] = '\r';
	out[1] = '\n';
	w->bol = 1;
	return 2;
}

/* Counts in chunks: every LF not after a CR adds one byte.  *prev carries
 * the last byte across chunks. */
static unsigned long long count_chunk(const char *s, size_t len, char *prev)
{
	unsigned long long n = len;
	const char *p = s, *end = s + len, *lf;

	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p)))) {
		char before = lf == s ? *prev : lf[-1];
		if (before != '\r') n++;
		p = lf + 1;
	}
	if (len) *prev = s[len - 1];
	return n;
}

unsigned long long wire_size_mem(const char *s, size_t len)
{
	char prev = '\n';
	unsigned long long n = count_chunk(s, len, &prev);

	return n + (len && prev != '\n' ? 2 : 0);
}

int wire_size_fd(int fd, unsigned long long *size)
{
	char buf[WIRE_READ_BUF];
	char prev = '\n';
	unsigned long long n = 0, total = 0;

	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0) {
			if (errno == EINTR) continue;
			return -1;
		}
		if (r == 0) break;
		n += count_chunk(buf, (size_t)r, &prev);
		total += (unsigned long long)r;
	}
	*size = n + (total && prev != '\n' ? 2 : 0);
	return 0;
}
