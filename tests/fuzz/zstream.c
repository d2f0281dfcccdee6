/*
 * Fuzz target for lib/zstream's inflating reader: the input is what a
 * client sends after COMPRESS DEFLATE (any bytes), put on a socketpair
 * and read through lib/stream as posthorn-imapd reads it.  The first byte
 * picks the reading: lines under a bound (as commands are read) or
 * stream_read in small pieces (as literals are).
 *
 * Invariants: no line ever exceeds its bound (an over-long one is
 * STREAM_TOOLONG and kept nowhere), no read gives more than it was asked
 * for, and every run ends (EOF or an error), however the input inflates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "stream.h"
#include "zstream.h"

#define LINE_MAX_FUZZ 1000

static struct stream s;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static stralloc line;
	int sv[2], mode, r;
	char buf[97];
	long n;
	size_t total = 0;

	if (size < 1 || size > 65536) return 0;
	mode = data[0] & 1;
	data++;
	size--;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) abort();
	/* the socket's buffer holds 64 KiB: the write does not block */
	if (size && write(sv[1], data, size) != (ssize_t)size) abort();
	close(sv[1]);
	stream_init(&s, sv[0], sv[0], 1);
	if (zstream_start(&s)) abort();
	while (total < 256 * 1024) {
		if (mode == 0) {
			r = stream_getline(&s, &line, LINE_MAX_FUZZ);
			if (line.len > LINE_MAX_FUZZ) abort();
			if (r == STREAM_TOOLONG) {
				if (line.len) abort();
				continue;
			}
			if (r != STREAM_OK) break;
			if (!line.len || line.s[line.len - 1] != '\n') abort();
			total += line.len;
		} else {
			n = stream_read(&s, buf, sizeof buf);
			if (n > (long)sizeof buf) abort();
			if (n <= 0) break;
			total += (size_t)n;
		}
	}
	stream_close(&s);
	close(sv[0]);
	return 0;
}
