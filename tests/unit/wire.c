/* Unit tests of lib/wire: CRLF line ends, dot-stuffing, TOP limits, sizes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "wire.h"

static char out[4096];

/* The encoding of in (whole message if lines < 0, else TOP lines). */
static const char *enc(const char *in, long lines, size_t step)
{
	struct wire w;
	size_t len = strlen(in), i, o = 0;

	wire_init(&w, lines);
	for (i = 0; i < len; i += step)
		o += wire_encode(&w, in + i, len - i < step ? len - i : step, out + o);
	o += wire_finish(&w, out + o);
	out[o] = 0;
	return out;
}

int main(void)
{
	char path[] = "/tmp/posthorn-wire-XXXXXX";
	unsigned long long size;
	const char *msg = "H: 1\nH: 2\n\nb1\nb2\nb3\n";
	int fd;

	is_str(enc("a\nb\n", -1, 100), "a\r\nb\r\n", "LF becomes CRLF");
	is_str(enc("a\r\nb\r\n", -1, 100), "a\r\nb\r\n", "CRLF stays");
	is_str(enc("a\r\nb\r\n", -1, 1), "a\r\nb\r\n", "CRLF split across chunks stays");
	is_str(enc(".a\n..\n.\nb.\n", -1, 100), "..a\r\n...\r\n..\r\nb.\r\n", "dot-stuffing at line starts only");
	is_str(enc(".a\n..\n.\nb.\n", -1, 1), "..a\r\n...\r\n..\r\nb.\r\n", "dot-stuffing, one byte at a time");
	is_str(enc("last", -1, 100), "last\r\n", "a last line without LF gets CRLF");
	is_str(enc("", -1, 100), "", "empty message: nothing");
	is_str(enc("a\rb\n", -1, 100), "a\rb\r\n", "a bare CR passes");
	is_str(enc(msg, 0, 100), "H: 1\r\nH: 2\r\n\r\n", "TOP 0: header and blank line");
	is_str(enc(msg, 2, 3), "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\r\n", "TOP 2");
	is_str(enc(msg, 99, 100), "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\r\nb3\r\n", "TOP beyond the end");
	is_str(enc("H: 1\r\n\r\nb1\r\nb2\r\n", 1, 1), "H: 1\r\n\r\nb1\r\n", "TOP 1 with CRLF header end");
	is_str(enc("H: 1\nH: 2", 0, 100), "H: 1\r\nH: 2\r\n", "TOP of a message with no body");

	is_int(wire_size_mem("a\nb\n", 4), 6, "size: LF counts 2");
	is_int(wire_size_mem("a\r\nb\r\n", 6), 6, "size: CRLF counts 2");
	is_int(wire_size_mem("last", 4), 6, "size: final CRLF added");
	is_int(wire_size_mem(".a\n", 3), 4, "size: stuffing not counted");
	is_int(wire_size_mem("", 0), 0, "size: empty");

	fd = mkstemp(path);
	ok(fd >= 0, "temp file");
	{
		/* 100,000 lines of "x\n" and one "\r\n" straddling the 64 KiB read */
		size_t n = 200000, i;
		char *big = malloc(n + 3);
		for (i = 0; i < n; i += 2) { big[i] = 'x'; big[i + 1] = '\n'; }
		big[65535] = '\r';
		big[65536] = '\n';
		memcpy(big + n, "end", 3);
		ok(write(fd, big, n + 3) == (ssize_t)(n + 3), "write");
		lseek(fd, 0, SEEK_SET);
		ok(wire_size_fd(fd, &size) == 0, "wire_size_fd");
		is_int(size, wire_size_mem(big, n + 3), "wire_size_fd = wire_size_mem across read chunks");
		free(big);
	}
	close(fd);
	unlink(path);
	return tap_done();
}
