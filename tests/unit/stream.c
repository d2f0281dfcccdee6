/*
 * Unit tests for lib/stream over socketpairs and pipes, with a forked peer
 * where one is needed: line reading and bounds, timeouts, EOF, discard,
 * write buffering, a dead peer without SIGPIPE, and real TLS handshakes
 * (certificate made with the openssl CLI) including a STARTTLS injection.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <tls.h>
#include "stream.h"
#include "tap.h"

static char tmpdir[256], certfile[300], keyfile[300];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		perror("socketpair");
		exit(1);
	}
}

static void put_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t r = write(fd, buf, len);
		if (r <= 0) _exit(9);
		buf += r;
		len -= (size_t)r;
	}
}

static int child_status(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid) return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_lines(void)
{
	static const char data[] = "HELO a\r\nMAIL b\nlast";
	stralloc line = {0};
	struct stream s;
	int sv[2];

	pair(sv);
	put_all(sv[1], data, sizeof data - 1);
	close(sv[1]);
	stream_init(&s, sv[0], sv[0], 5);
	is_int(stream_getline(&s, &line, 100), STREAM_OK, "lines: CRLF line");
	is_str(line.s, "HELO a\r\n", "lines: CR and LF kept");
	is_int(line.len, 8, "lines: length counts CRLF");
	is_int(stream_getline(&s, &line, 100), STREAM_OK, "lines: bare LF line");
	is_str(line.s, "MAIL b\n", "lines: bare LF kept");
	is_int(stream_getline(&s, &line, 100), STREAM_EOF, "lines: partial last line gives EOF");
	is_int(line.len, 0, "lines: partial line dropped");
	is_int(stream_getline(&s, &line, 100), STREAM_EOF, "lines: EOF again");
	close(sv[0]);
	stralloc_free(&line);
}

static void test_bound(void)
{
	stralloc line = {0};
	struct stream s;
	pid_t pid;
	int sv[2];

	pair(sv);
	if (!(pid = fork())) {
		static char big[40001];
		close(sv[0]);
		memset(big, 'x', sizeof big - 1);
		big[sizeof big - 1] = '\n';
		put_all(sv[1], "123456789\n", 10);       /* exactly at the bound */
		put_all(sv[1], "1234567890\n", 11);      /* one over */
		put_all(sv[1], "next\n", 5);
		put_all(sv[1], big, sizeof big);         /* over, across many fills */
		put_all(sv[1], "after\r\n", 7);
		_exit(0);
	}
	close(sv[1]);
	stream_init(&s, sv[0], sv[0], 5);
	is_int(stream_getline(&s, &line, 10), STREAM_OK, "bound: line of exactly max bytes");
	is_str(line.s, "123456789\n", "bound: its text");
	is_int(stream_getline(&s, &line, 10), STREAM_TOOLONG, "bound: max+1 bytes is TOOLONG");
	is_int(line.len, 0, "bound: nothing kept of the long line");
	ok(strstr(stream_error(&s), "longer"), "bound: error text");
	is_int(stream_getline(&s, &line, 10), STREAM_OK, "bound: next line after TOOLONG");
	is_str(line.s, "next\n", "bound: next line intact");
	is_int(stream_getline(&s, &line, 1000), STREAM_TOOLONG, "bound: 40000-byte line");
	is_int(stream_getline(&s, &line, 1000), STREAM_OK, "bound: line after long one");
	is_str(line.s, "after\r\n", "bound: discarded exactly up to LF");
	is_int(stream_getline(&s, &line, 1000), STREAM_EOF, "bound: EOF");
	is_int(child_status(pid), 0, "bound: writer done");
	close(sv[0]);
	stralloc_free(&line);
}

static void test_timeout(void)
{
	stralloc line = {0};
	struct stream s;
	char c;
	double t0, dt;
	int sv[2];

	pair(sv);
	stream_init(&s, sv[0], sv[0], 1);
	t0 = now();
	is_int(stream_getline(&s, &line, 100), STREAM_TIMEOUT, "timeout: silent peer");
	dt = now() - t0;
	ok(dt >= 0.9 && dt < 3, "timeout: after about 1 second");
	ok(strstr(stream_error(&s), "timed out"), "timeout: error text");
	put_all(sv[1], "par", 3);
	t0 = now();
	is_int(stream_getline(&s, &line, 100), STREAM_TIMEOUT, "timeout: peer stops mid-line");
	dt = now() - t0;
	ok(dt >= 0.9 && dt < 3, "timeout: mid-line after about 1 second");
	is_int(stream_read(&s, &c, 1), STREAM_TIMEOUT, "timeout: stream_read");
	close(sv[0]);
	close(sv[1]);
	stralloc_free(&line);
}

static void test_discard_and_read(void)
{
	static const char data[] = "abc\ndef\ngh";
	stralloc line = {0};
	struct stream s;
	char buf[8];
	int sv[2];

	pair(sv);
	put_all(sv[1], data, sizeof data - 1);
	stream_init(&s, sv[0], sv[0], 5);
	is_int(stream_getline(&s, &line, 100), STREAM_OK, "discard: first line");
	is_int(stream_pending(&s), 6, "discard: rest is pending");
	is_int(stream_discard(&s), 6, "discard: count of dropped bytes");
	is_int(stream_pending(&s), 0, "discard: nothing pending");
	is_int(stream_discard(&s), 0, "discard: again drops nothing");

	put_all(sv[1], "hello", 5);
	close(sv[1]);
	is_int(stream_read(&s, buf, 3), 3, "read: partial");
	ok(!memcmp(buf, "hel", 3), "read: bytes");
	is_int(stream_read(&s, buf, sizeof buf), 2, "read: rest of buffer");
	ok(!memcmp(buf, "lo", 2), "read: rest bytes");
	is_int(stream_read(&s, buf, sizeof buf), STREAM_EOF, "read: EOF");
	close(sv[0]);
	stralloc_free(&line);
}

/* The peer of test_writes: answers a greeting, then counts a big upload. */
static void write_peer(int fd)
{
	stralloc line = {0};
	struct stream s;
	char reply[64];
	long total = 0, r;
	char buf[4096];

	stream_init(&s, fd, fd, 5);
	if (stream_getline(&s, &line, 100) || strcmp(line.s, "220 hi\r\n")) _exit(2);
	if (stream_puts(&s, "EHLO x\r\n") || stream_flush(&s)) _exit(3);
	while ((r = stream_read(&s, buf, sizeof buf)) > 0) {
		if (memchr(buf, '\n', (size_t)r)) {
			total += r;
			break;
		}
		total += r;
	}
	snprintf(reply, sizeof reply, "%ld\n", total);
	if (stream_puts(&s, reply) || stream_flush(&s)) _exit(4);
	_exit(0);
}

static void test_writes(void)
{
	static char big[100001];
	stralloc line = {0};
	struct stream s;
	pid_t pid;
	int sv[2];

	pair(sv);
	if (!(pid = fork())) {
		close(sv[0]);
		write_peer(sv[1]);
	}
	close(sv[1]);
	stream_init(&s, sv[0], sv[0], 5);
	is_int(stream_puts(&s, "220 hi\r\n"), STREAM_OK, "writes: buffered put");
	is_int(s.outlen, 8, "writes: held in the buffer");
	is_int(stream_getline(&s, &line, 100), STREAM_OK, "writes: a read flushes first");
	is_str(line.s, "EHLO x\r\n", "writes: peer answered the flushed line");
	memset(big, 'y', sizeof big - 1);
	big[sizeof big - 1] = '\n';
	is_int(stream_put(&s, big, 10), STREAM_OK, "writes: small put");
	is_int(stream_put(&s, big + 10, sizeof big - 10), STREAM_OK, "writes: put larger than buffer");
	is_int(stream_flush(&s), STREAM_OK, "writes: flush");
	is_int(stream_getline(&s, &line, 100), STREAM_OK, "writes: peer's count");
	is_str(line.s, "100001\n", "writes: every byte arrived in order");
	is_int(child_status(pid), 0, "writes: peer happy");
	close(sv[0]);
	stralloc_free(&line);
}

static void test_dead_peer(void)
{
	struct stream s;
	sigset_t pend;
	int sv[2], p[2];

	signal(SIGPIPE, SIG_DFL);
	pair(sv);
	close(sv[1]);
	stream_init(&s, sv[0], sv[0], 2);
	stream_puts(&s, "250 lost\r\n");
	is_int(stream_flush(&s), STREAM_ERROR, "dead peer: socket write fails");
	ok(strstr(stream_error(&s), "write"), "dead peer: error names the write");
	close(sv[0]);

	if (pipe(p)) exit(1);
	close(p[0]);
	stream_init(&s, -1, p[1], 2);
	stream_puts(&s, "250 lost\r\n");
	is_int(stream_flush(&s), STREAM_ERROR, "dead peer: pipe write fails, no SIGPIPE death");
	sigemptyset(&pend);
	sigpending(&pend);
	ok(!sigismember(&pend, SIGPIPE), "dead peer: no SIGPIPE left pending");
	is_int(stream_flush(&s), STREAM_OK, "dead peer: failed output was dropped");
	stream_close(&s);
	close(p[1]);
}

static int make_cert(void)
{
	const char *t = getenv("TMPDIR");
	char cmd[1200];

	snprintf(tmpdir, sizeof tmpdir, "%s/stream-test.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) return 0;
	snprintf(certfile, sizeof certfile, "%s/cert.pem", tmpdir);
	snprintf(keyfile, sizeof keyfile, "%s/key.pem", tmpdir);
	snprintf(cmd, sizeof cmd,
	         "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	         " -keyout %s -out %s -days 2 -subj /CN=localhost"
	         " -addext subjectAltName=DNS:localhost >/dev/null 2>&1", keyfile, certfile);
	return system(cmd) == 0;
}

static struct tls *server_ctx(void)
{
	struct tls_config *cfg = tls_config_new();
	struct tls *srv = tls_server();

	if (!cfg || !srv || tls_config_set_cert_file(cfg, certfile) ||
	    tls_config_set_key_file(cfg, keyfile) || tls_configure(srv, cfg))
		return 0;
	tls_config_free(cfg);
	return srv;
}

static struct tls *client_ctx(void)
{
	struct tls_config *cfg = tls_config_new();
	struct tls *cli = tls_client();

	if (!cfg || !cli || tls_config_set_ca_file(cfg, certfile) || tls_configure(cli, cfg))
		return 0;
	tls_config_free(cfg);
	return cli;
}

/* The server of test_tls: an SMTP-like STARTTLS exchange.  It reports what
 * it saw in its replies, so the client's checks say what went wrong. */
static void tls_server_peer(int fd)
{
	stralloc line = {0};
	struct stream s;
	struct tls *srv = server_ctx();
	char reply[200];
	size_t pending;
	int r;

	if (!srv) _exit(2);
	stream_init(&s, fd, fd, 5);
	if (stream_getline(&s, &line, 100) || strcmp(line.s, "STARTTLS\r\n")) _exit(3);
	pending = stream_pending(&s);
	stream_puts(&s, "220 ready\r\n");
	if (stream_starttls_server(&s, srv)) _exit(4);
	if (stream_pending(&s)) _exit(5);
	if (stream_getline(&s, &line, 100)) _exit(6);
	line.s[strcspn(line.s, "\r\n")] = 0;
	snprintf(reply, sizeof reply, "250 pending=%zu line=%s %s\r\n", pending, line.s,
	         stream_tls_version(&s) ? stream_tls_version(&s) : "none");
	stream_puts(&s, reply);
	r = stream_getline(&s, &line, 1000);
	stream_puts(&s, r == STREAM_TOOLONG ? "552 too long\r\n" : "500 ?\r\n");
	if (stream_getline(&s, &line, 1000)) _exit(7);
	stream_puts(&s, line.s);
	stream_close(&s);
	tls_free(srv);
	_exit(0);
}

static void test_tls(void)
{
	static char big[200001];
	stralloc line = {0};
	struct stream s;
	struct tls *cli;
	const char *v;
	pid_t pid;
	int sv[2];

	pair(sv);
	if (!(pid = fork())) {
		close(sv[0]);
		tls_server_peer(sv[1]);
	}
	close(sv[1]);
	cli = client_ctx();
	ok(cli, "tls: client context");
	stream_init(&s, sv[0], sv[0], 5);
	ok(!stream_tls_version(&s) && !stream_tls_cipher(&s), "tls: nothing in the clear");
	/* RSET is pipelined behind STARTTLS: the server must drop it */
	stream_puts(&s, "STARTTLS\r\nRSET\r\n");
	is_int(stream_getline(&s, &line, 100), STREAM_OK, "tls: STARTTLS answered");
	is_str(line.s, "220 ready\r\n", "tls: 220 ready");
	if (!is_int(stream_starttls_client(&s, cli, "localhost"), STREAM_OK, "tls: client handshake"))
		diag(stream_error(&s));
	v = stream_tls_version(&s);
	ok(v && !strncmp(v, "TLSv1.", 6), "tls: version is TLSv1.x");
	ok(stream_tls_cipher(&s) && *stream_tls_cipher(&s), "tls: cipher named");
	stream_puts(&s, "hello over tls\r\n");
	is_int(stream_getline(&s, &line, 200), STREAM_OK, "tls: reply over TLS");
	ok(!strncmp(line.s, "250 pending=6 line=hello over tls TLSv1.", 40),
	   "tls: server discarded the 6 pipelined bytes and read our line");
	if (strncmp(line.s, "250", 3)) diag(line.s);
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\n';
	is_int(stream_put(&s, big, sizeof big), STREAM_OK, "tls: 200 kB line written");
	is_int(stream_getline(&s, &line, 100), STREAM_OK, "tls: answer to long line");
	is_str(line.s, "552 too long\r\n", "tls: server saw TOOLONG over TLS");
	stream_puts(&s, "QUIT\r\n");
	is_int(stream_getline(&s, &line, 100), STREAM_OK, "tls: line after TOOLONG");
	is_str(line.s, "QUIT\r\n", "tls: echoed intact");
	is_int(stream_getline(&s, &line, 100), STREAM_EOF, "tls: close_notify is EOF");
	is_int(child_status(pid), 0, "tls: server side passed its checks");
	stream_close(&s);
	ok(!s.tls, "tls: closed");
	tls_free(cli);
	close(sv[0]);
	stralloc_free(&line);
}

static void test_tls_badname(void)
{
	struct stream s;
	struct tls *cli = client_ctx();
	pid_t pid;
	int sv[2];

	pair(sv);
	if (!(pid = fork())) {
		/* Under TLS 1.3 the client checks the name after its Finished, so
		 * the server may see the handshake succeed; but never a line. */
		struct tls *srv = server_ctx();
		stralloc line = {0};
		close(sv[0]);
		stream_init(&s, sv[1], sv[1], 5);
		if (!srv) _exit(2);
		if (stream_starttls_server(&s, srv)) _exit(0);
		_exit(stream_getline(&s, &line, 100) == STREAM_OK ? 1 : 0);
	}
	close(sv[1]);
	stream_init(&s, sv[0], sv[0], 5);
	is_int(stream_starttls_client(&s, cli, "wrong.example"), STREAM_ERROR, "tls: wrong name refused");
	ok(strstr(stream_error(&s), "handshake"), "tls: error says handshake");
	ok(!s.tls, "tls: no session after failure");
	close(sv[0]);
	is_int(child_status(pid), 0, "tls: server got no line from the failed client");
	tls_free(cli);
}

static void test_tls_timeout(void)
{
	struct stream s;
	struct tls *cli = client_ctx();
	double t0, dt;
	int sv[2];

	pair(sv);
	stream_init(&s, sv[0], sv[0], 1);
	t0 = now();
	is_int(stream_starttls_client(&s, cli, "localhost"), STREAM_TIMEOUT, "tls: silent server times out");
	dt = now() - t0;
	ok(dt >= 0.9 && dt < 3, "tls: handshake timeout about 1 second");
	tls_free(cli);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	char cmd[600];

	test_lines();
	test_bound();
	test_timeout();
	test_discard_and_read();
	test_writes();
	test_dead_peer();
	if (!ok(make_cert(), "tls: openssl made a test certificate"))
		return tap_done();
	test_tls();
	test_tls_badname();
	test_tls_timeout();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd)) diag("could not remove the temp dir");
	return tap_done();
}
