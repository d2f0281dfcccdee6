/*
 * Unit tests for lib/zstream (the deflate layer of lib/stream) over
 * socketpairs, with the peer's side done with zlib directly or with a
 * forked zstream: a round trip both ways (lines, a big write, sync flushes
 * that let the peer read without more data), input pipelined before the
 * start, corrupt input, an ended stream, and a bomb (MiBs from KiBs) that
 * must cost no memory beyond the stream's bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include "stream.h"
#include "zstream.h"
#include "tap.h"

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		perror("socketpair");
		exit(1);
	}
}

static void put_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t r = write(fd, p, len);
		if (r <= 0) _exit(9);
		p += r;
		len -= (size_t)r;
	}
}

/* Raw deflate of len bytes with a sync flush (finish: an ended stream)
 * into a malloc'd buffer. */
static unsigned char *deflate_buf(const void *in, size_t len, size_t *outlen, int finish)
{
	z_stream z;
	size_t cap = len + len / 100 + 1024;
	unsigned char *out = malloc(cap);

	memset(&z, 0, sizeof z);
	if (!out || deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(1);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, finish ? Z_FINISH : Z_SYNC_FLUSH) == Z_STREAM_ERROR) exit(1);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* A forked peer under zstream that echoes every line it reads until EOF. */
static pid_t echo_peer(int fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		static struct stream s;
		stralloc line = {0};
		stream_init(&s, fd, fd, 10);
		if (zstream_start(&s)) _exit(2);
		while (stream_getline(&s, &line, 1 << 20) == STREAM_OK)
			if (stream_put(&s, line.s, line.len) || stream_flush(&s)) _exit(3);
		stream_close(&s);
		_exit(0);
	}
	return pid;
}

static void test_roundtrip(void)
{
	static struct stream s;
	stralloc line = {0};
	char *big = malloc(300000);
	int sv[2], st, i, good = 1;
	pid_t pid;

	pair(sv);
	pid = echo_peer(sv[1]);
	close(sv[1]);
	stream_init(&s, sv[0], sv[0], 10);
	is_int(zstream_start(&s), 0, "round trip: zstream_start");
	ok(zstream_active(&s), "round trip: active");
	is_int(zstream_start(&s), STREAM_ERROR, "round trip: a second start is refused");
	/* each line waits for its echo: the sync flush of both sides is
	 * what lets it arrive (otherwise a timeout after 10 s) */
	for (i = 0; i < 50 && good; i++) {
		char want[64];
		snprintf(want, sizeof want, "a1 NOOP %d\r\n", i);
		stream_puts(&s, want);
		good = stream_getline(&s, &line, 1000) == STREAM_OK && !strcmp(line.s, want);
	}
	ok(good, "round trip: 50 lines echoed, one at a time");
	/* one put bigger than the buffer (zwrite without a flush), then the
	 * flush a read makes */
	for (i = 0; i < 299998; i++) big[i] = (char)('a' + (i * 7 + i / 13) % 26);
	big[299998] = '\r';
	big[299999] = '\n';
	is_int(stream_put(&s, big, 300000), 0, "round trip: a 300000-byte put");
	is_int(stream_getline(&s, &line, 1 << 20), STREAM_OK, "round trip: its echo");
	ok(line.len == 300000 && !memcmp(line.s, big, 300000), "round trip: the same bytes back");
	stream_close(&s);
	shutdown(sv[0], SHUT_WR);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "round trip: the peer ended well");
	close(sv[0]);
	free(big);
	stralloc_free(&line);
}

/* A client that sends its first compressed bytes in the same write as
 * the command (before our OK): they are not lost. */
static void test_preread(void)
{
	static struct stream s;
	stralloc line = {0};
	size_t zlen;
	unsigned char *z = deflate_buf("b1 NOOP\r\nb2 LOGOUT\r\n", 20, &zlen, 0);
	int sv[2];

	pair(sv);
	put_all(sv[1], "a COMPRESS DEFLATE\r\n", 20);
	put_all(sv[1], z, zlen);
	stream_init(&s, sv[0], sv[0], 5);
	is_int(stream_getline(&s, &line, 1000), STREAM_OK, "preread: the command in the clear");
	is_int(zstream_start(&s), 0, "preread: start");
	is_int(stream_getline(&s, &line, 1000), STREAM_OK, "preread: first compressed line");
	is_str(line.s, "b1 NOOP\r\n", "preread: its text");
	is_int(stream_getline(&s, &line, 1000), STREAM_OK, "preread: second line");
	is_str(line.s, "b2 LOGOUT\r\n", "preread: its text");
	stream_close(&s);
	close(sv[0]);
	close(sv[1]);
	free(z);
	stralloc_free(&line);
}

static void test_corrupt(void)
{
	static struct stream s;
	stralloc line = {0};
	static const unsigned char junk[] = {0xff, 0xff, 0xff, 0xff, 0x13, 0x37, 'h', 'i', '\r', '\n'};
	size_t zlen;
	unsigned char *z;
	int sv[2];

	pair(sv);
	put_all(sv[1], junk, sizeof junk);
	stream_init(&s, sv[0], sv[0], 5);
	zstream_start(&s);
	is_int(stream_getline(&s, &line, 1000), STREAM_ERROR, "corrupt: STREAM_ERROR");
	ok(strstr(stream_error(&s), "inflate") != 0, "corrupt: the error names inflate");
	stream_close(&s);
	close(sv[0]);
	close(sv[1]);

	/* a stream the peer finished: what it held is read, then an error */
	z = deflate_buf("c1 NOOP\r\n", 9, &zlen, 1);
	pair(sv);
	put_all(sv[1], z, zlen);
	put_all(sv[1], "more", 4);
	stream_init(&s, sv[0], sv[0], 5);
	zstream_start(&s);
	is_int(stream_getline(&s, &line, 1000), STREAM_OK, "ended: the line before the end");
	is_int(stream_getline(&s, &line, 1000), STREAM_ERROR, "ended: then STREAM_ERROR");
	ok(strstr(stream_error(&s), "ended") != 0, "ended: the error says so");
	stream_close(&s);
	close(sv[0]);
	close(sv[1]);
	free(z);

	/* EOF in the middle of compressed data */
	pair(sv);
	z = deflate_buf("d1 NOOP\r\n", 9, &zlen, 0);
	put_all(sv[1], z, zlen - 6);
	close(sv[1]);
	stream_init(&s, sv[0], sv[0], 5);
	zstream_start(&s);
	is_int(stream_getline(&s, &line, 1000), STREAM_EOF, "truncated: STREAM_EOF");
	stream_close(&s);
	close(sv[0]);
	free(z);
	stralloc_free(&line);
}

/* 16 MiB of one byte (about 16 KiB deflated) as one line, then a short
 * line: the long one is TOOLONG and kept nowhere, the short one reads. */
static void test_bomb(void)
{
	static struct stream s;
	stralloc line = {0};
	size_t n = 16u << 20, zlen, total = 0;
	char *plain = malloc(n + 20), buf[4096];
	unsigned char *z;
	int sv[2], status;
	pid_t pid;
	long r;

	memset(plain, 'A', n);
	memcpy(plain + n, "\r\ne1 NOOP\r\n", 11);
	z = deflate_buf(plain, n + 11, &zlen, 0);
	free(plain);
	ok(zlen < 64 * 1024, "bomb: 16 MiB deflate to under 64 KiB");
	pair(sv);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		put_all(sv[1], z, zlen);
		put_all(sv[1], z, zlen);   /* the second copy is read with stream_read */
		_exit(0);
	}
	close(sv[1]);
	stream_init(&s, sv[0], sv[0], 10);
	zstream_start(&s);
	is_int(stream_getline(&s, &line, 1000), STREAM_TOOLONG, "bomb: the long line is TOOLONG");
	ok(line.a <= 2000, "bomb: and no memory went to it");
	is_int(stream_getline(&s, &line, 1000), STREAM_OK, "bomb: the next line");
	is_str(line.s, "e1 NOOP\r\n", "bomb: reads whole");
	/* a reader that takes it all in small reads gets every byte, never
	 * more than it asked for at once */
	while (total < n + 11 && (r = stream_read(&s, buf, sizeof buf)) > 0) {
		if ((size_t)r > sizeof buf) break;
		total += (size_t)r;
	}
	is_int(total, n + 11, "bomb: stream_read gives all 16 MiB");
	waitpid(pid, &status, 0);
	stream_close(&s);
	close(sv[0]);
	free(z);
	stralloc_free(&line);
}

/* stream_pending says there is more when the inflater holds output the
 * buffer had no room for (so IDLE does not poll a quiet socket for it). */
static void test_pending(void)
{
	static struct stream s;
	size_t zlen, total = 0;
	char *plain = malloc(100000), buf[100];
	unsigned char *z;
	int sv[2], ok_all = 1;
	long r;

	memset(plain, 'x', 100000);
	z = deflate_buf(plain, 100000, &zlen, 0);
	pair(sv);
	put_all(sv[1], z, zlen);
	stream_init(&s, sv[0], sv[0], 2);
	zstream_start(&s);
	while (total < 100000 && (r = stream_read(&s, buf, sizeof buf)) > 0) {
		total += (size_t)r;
		if (total < 100000 && !stream_pending(&s)) ok_all = 0;
	}
	is_int(total, 100000, "pending: all bytes read");
	ok(ok_all, "pending: nonzero until the last byte");
	is_int(stream_pending(&s), 0, "pending: 0 at the end");
	stream_close(&s);
	close(sv[0]);
	close(sv[1]);
	free(z);
	free(plain);
}

int main(void)
{
	test_roundtrip();
	test_preread();
	test_corrupt();
	test_bomb();
	test_pending();
	return tap_done();
}
