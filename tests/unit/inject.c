/* Unit tests for lib/inject, with shell scripts as injectors (the filter
 * interface): what the injector gets (message, envelope, our config dir),
 * the verdict, code and text from its exit code and reason line, a
 * message given as a file, a missing injector, one that stops reading, a
 * chatty one, one killed by a signal, one that hangs (the timeout), an
 * abandoned message, which variable names the injector, no fd left
 * behind, and header text prepended (the envelope's H item). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "conf.h"
#include "exitcode.h"
#include "inject.h"
#include "injenv.h"
#include "tap.h"

static char dir[] = "/tmp/posthorn-inject-XXXXXX";
static char capture[512], path[512];
static struct inject q;

static void script(const char *name, const char *body)
{
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(path, 0755);
}

static size_t slurp(const char *name, char *buf, size_t cap)
{
	char p[512];
	int fd;
	ssize_t r;
	size_t n = 0;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	fd = open(p, O_RDONLY);
	if (fd < 0) return (size_t)-1;
	while (n < cap && (r = read(fd, buf + n, cap - n)) > 0) n += (size_t)r;
	close(fd);
	return n;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d) return -1;
	while ((e = readdir(d))) n++;
	closedir(d);
	return n;
}

/* One message through the injector named by $POSTHORN_QUEUE. */
static void send(struct inject_result *r, const char *msg, unsigned timeout)
{
	if (inject_open(&q, -1, timeout)) {
		ok(0, "inject_open");
		memset(r, 0, sizeof *r);
		return;
	}
	inject_put(&q, msg, strlen(msg));
	inject_from(&q, "a@b.test");
	inject_to(&q, "x@y.test");
	inject_to(&q, "z@y.test");
	inject_close(&q, r);
}

static void handover(void)
{
	struct inject_result r;
	char buf[256];
	size_t n;
	int before = count_fds();

	setenv("POSTHORN_QUEUE", capture, 1);
	setenv("POSTHORN_CONF", "/elsewhere", 1);
	conf_init("/the/config/dir");
	send(&r, "Subject: hi\n\nbody\n", 0);
	is_int(r.exit, EXIT_DONE, "exit 0: done");
	is_int(r.code, 250, "250");
	is_str(r.esc, "2.0.0", "its enhanced code");
	is_str(r.text, "queued as 1", "its text");
	is_str(r.line, "2.0.0 queued as 1", "its line as said");
	is_int(r.exitcode, 0, "exit code 0");
	n = slurp("msg", buf, sizeof buf);
	ok(n == 18 && !memcmp(buf, "Subject: hi\n\nbody\n", 18), "the message on its fd 0");
	n = slurp("env", buf, sizeof buf);
	ok(n == 31 && !memcmp(buf, "Fa@b.test\0Tx@y.test\0Tz@y.test\0\0", 31), "the envelope on its fd 1");
	n = slurp("conf", buf, sizeof buf);
	ok(n == 16 && !memcmp(buf, "/the/config/dir\n", 16), "our config dir as POSTHORN_CONF, replacing the one we had");
	is_int(count_fds(), before, "no fd left open");
	ok(q.pid == 0, "the child reaped");
}

static void verdicts(void)
{
	struct inject_result r;

	setenv("R", "5.1.3 bad recipient", 1);
	setenv("X", "100", 1);
	send(&r, "m\n", 0);
	ok(r.exit == EXIT_PERM && r.code == 554, "exit 100: permanent, 554");
	ok(!strcmp(r.esc, "5.1.3") && !strcmp(r.text, "bad recipient"), "its code and text");
	setenv("R", "no code here", 1);
	send(&r, "m\n", 0);
	ok(r.exit == EXIT_PERM && !strcmp(r.esc, "5.3.0") && !strcmp(r.text, "no code here"),
	   "a line without a code: 5.3.0 and the whole line");
	setenv("R", "5.1.1 wrong class", 1);
	setenv("X", "111", 1);
	send(&r, "m\n", 0);
	ok(r.exit == EXIT_TEMP && r.code == 451 && !strcmp(r.esc, "4.3.0") && !strcmp(r.text, "5.1.1 wrong class"),
	   "exit 111 with a 5.x.x line: 451 4.3.0, the line as text");
	setenv("X", "7", 1);
	setenv("R", "4.2.1 busy", 1);
	send(&r, "m\n", 0);
	ok(r.exit == EXIT_TEMP && r.exitcode == 7 && !strcmp(r.esc, "4.2.1"), "another exit code: temporary");
	setenv("X", "0", 1);
	setenv("R", "", 1);
	send(&r, "m\n", 0);
	ok(r.exit == EXIT_DONE && !strcmp(r.esc, "2.0.0") && !strcmp(r.text, "queued") && !r.line[0],
	   "exit 0, nothing said: 2.0.0 queued");
	setenv("R", "first\n\nsecond\x01line\r\n\n", 1);
	send(&r, "m\n", 0);
	is_str(r.line, "second?line", "the last non-empty line, control bytes as '?', CR dropped");
	unsetenv("R");
	unsetenv("X");
}

static void long_line(void)
{
	struct inject_result r;
	char sh[200];

	snprintf(sh, sizeof sh, "cat >/dev/null; cat <&1 >/dev/null\n"
	         "head -c 5000 /dev/zero | tr '\\0' y >&2; echo >&2; echo '2.0.0' $(head -c 2000 /dev/zero | tr '\\0' z) >&2\n");
	script("long", sh);
	setenv("POSTHORN_QUEUE", path, 1);
	send(&r, "m\n", 0);
	ok(r.exit == EXIT_DONE && strlen(r.line) == INJECT_LINE_MAX && !strncmp(r.line, "2.0.0 zzz", 9),
	   "a long last line is cut at INJECT_LINE_MAX");
}

static void chatty(void)
{
	struct inject_result r;
	char msg[200000];

	/* 1 MB on fd 2 before it reads anything: we must keep reading it */
	script("chatty", "head -c 1000000 /dev/zero | tr '\\0' x >&2; echo >&2\n"
	                 "cat >/dev/null; cat <&1 >/dev/null; echo 2.0.0 fine >&2\n");
	setenv("POSTHORN_QUEUE", path, 1);
	memset(msg, 'm', sizeof msg - 1);
	msg[sizeof msg - 1] = 0;
	send(&r, msg, 0);
	ok(r.exit == EXIT_DONE && !strcmp(r.text, "fine"), "a chatty injector does not dead-lock us");
}

static void early_refusal(void)
{
	struct inject_result r;
	static char msg[1000000];
	int put;

	script("early", "echo '5.3.4 too big' >&2\nexit 100\n");
	setenv("POSTHORN_QUEUE", path, 1);
	memset(msg, 'w', sizeof msg);
	if (inject_open(&q, -1, 0)) return (void)ok(0, "inject_open");
	put = inject_put(&q, msg, sizeof msg);
	inject_from(&q, "");
	inject_to(&q, "x@y.test");
	inject_close(&q, &r);
	is_int(put, -1, "writing to an injector that left fails (no SIGPIPE death)");
	ok(r.exit == EXIT_PERM && r.incomplete && !strcmp(r.esc, "5.3.4"), "and its refusal is the verdict");
}

static void signal_and_missing(void)
{
	struct inject_result r;

	script("killer", "cat >/dev/null\nkill -9 $$\n");
	setenv("POSTHORN_QUEUE", path, 1);
	send(&r, "m\n", 0);
	ok(r.exit == EXIT_TEMP && r.signal == 9 && r.exitcode == -1, "killed by a signal: temporary, signal 9");
	is_str(r.text, "temporary failure queueing the message", "with the default text");
	setenv("POSTHORN_QUEUE", "/nonexistent/injector", 1);
	send(&r, "m\n", 0);
	ok(r.exit == EXIT_TEMP && r.exitcode == EXIT_TEMP, "a missing injector: temporary");
	is_str(r.line, "4.3.0 unable to run the injector: No such file or directory", "and says why");
}

static void timeout(void)
{
	struct inject_result r;
	char buf[32], proc[64], sh[300];
	size_t n;
	int i, gone = 0;

	snprintf(sh, sizeof sh, "cat >/dev/null; sleep 300 & echo $! > %s/sleeper; wait\n", dir);
	script("hang", sh);
	setenv("POSTHORN_QUEUE", path, 1);
	send(&r, "m\n", 1);
	ok(r.exit == EXIT_TEMP && r.timedout && r.signal == 9, "a hanging injector is killed after the timeout");
	is_str(r.text, "temporary failure queueing the message", "with the default text");
	n = slurp("sleeper", buf, sizeof buf - 1);
	buf[n == (size_t)-1 ? 0 : n] = 0;
	snprintf(proc, sizeof proc, "/proc/%d/stat", atoi(buf));
	/* its child too (the process group): gone, or a zombie for init */
	for (i = 0; i < 500 && !gone; i++) {
		char st[256];
		int fd = open(proc, O_RDONLY);
		ssize_t k = fd >= 0 ? read(fd, st, sizeof st - 1) : 0;
		if (fd >= 0) close(fd);
		st[k > 0 ? k : 0] = 0;
		gone = fd < 0 || (strrchr(st, ')') && strrchr(st, ')')[2] == 'Z');
		if (!gone) usleep(10000);
	}
	ok(atoi(buf) > 0 && gone, "and what it started, with its process group");
}

static void abandoned(void)
{
	char buf[64];
	size_t n;

	setenv("POSTHORN_QUEUE", capture, 1);
	unlink(strcat(strcpy(buf, dir), "/env"));
	if (inject_open(&q, -1, 0)) return (void)ok(0, "inject_open");
	inject_put(&q, "half a mess", 11);
	inject_from(&q, "a@b.test");
	inject_abort(&q);
	n = slurp("env", buf, sizeof buf);
	is_int(n, 0, "an abandoned message: the injector got no envelope");
	ok(q.pid == 0, "and was reaped");
	inject_abort(&q);
	ok(1, "a second abort is harmless");
}

static void from_file(void)
{
	struct inject_result r;
	char p[512], buf[64];
	int fd;
	size_t n;

	snprintf(p, sizeof p, "%s/bounce", dir);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (write(fd, "Subject: bounce\n\nx\n", 19) != 19) ok(0, "write");
	lseek(fd, 0, SEEK_SET);
	if (inject_open(&q, fd, 10)) return (void)ok(0, "inject_open");
	inject_from(&q, "");
	inject_to(&q, "s@b.test");
	inject_close(&q, &r);
	close(fd);
	ok(r.exit == EXIT_DONE, "a message from a file");
	n = slurp("msg", buf, sizeof buf);
	ok(n == 19 && !memcmp(buf, "Subject: bounce\n\nx\n", 19), "reaches its fd 0");
	n = slurp("env", buf, sizeof buf);
	ok(n == 13 && !memcmp(buf, "F\0Ts@b.test\0\0", 13), "with a null sender");
}

static void prepend(void)
{
	static const char want[] = "HX-A: 1\n\tfolded\nX-B: 2\n\0Fa@b.test\0Tx@y.test\0\0";
	static char big[QUEUE_HEAD_MAX + 2];
	struct inject_result r;
	char buf[128];
	size_t n;

	setenv("POSTHORN_QUEUE", capture, 1);
	unsetenv("R");
	unsetenv("X");
	if (inject_open(&q, -1, 10)) return (void)ok(0, "inject_open");
	inject_put(&q, "Subject: s\n\nb\n", 15);
	is_int(inject_prepend(&q, "X-B: 2\n", 7), 0, "prepend during the message");
	inject_from(&q, "a@b.test");
	is_int(inject_prepend(&q, "X-A: 1\n\tfolded\n", 15), 0, "and again after the sender");
	is_int(inject_prepend(&q, "", 0), 0, "nothing to prepend is fine");
	inject_to(&q, "x@y.test");
	inject_close(&q, &r);
	ok(r.exit == EXIT_DONE, "queued");
	n = slurp("env", buf, sizeof buf);
	ok(n == sizeof want - 1 && !memcmp(buf, want, n), "the envelope starts with H, the last call's text on top");
	n = slurp("msg", buf, sizeof buf);
	ok(n == 15 && !memcmp(buf, "Subject: s\n\nb\n", 15), "the message itself untouched");

	send(&r, "m\n", 0);
	n = slurp("env", buf, sizeof buf);
	ok(n == 31 && buf[0] == 'F', "the next message has no H item: inject_open forgets it");

	if (inject_open(&q, -1, 10)) return (void)ok(0, "inject_open");
	memset(big, 'a', sizeof big);
	errno = 0;
	ok(inject_prepend(&q, big, QUEUE_HEAD_MAX + 1) == -1 && errno == E2BIG, "more than QUEUE_HEAD_MAX: E2BIG");
	is_int(inject_prepend(&q, big, QUEUE_HEAD_MAX - 1), 0, "QUEUE_HEAD_MAX - 1 bytes are taken");
	is_int(inject_prepend(&q, big, 1), 0, "one more makes QUEUE_HEAD_MAX");
	errno = 0;
	ok(inject_prepend(&q, big, 1) == -1 && errno == E2BIG, "and the next byte is E2BIG");
	is_int(q.head.len, QUEUE_HEAD_MAX, "the refused text was not taken");
	inject_abort(&q);
}

static void which(void)
{
	stralloc p = {0};
	char want[600];

	setenv("POSTHORN_QUEUE", "/a", 1);
	setenv("QMAILQUEUE", "/b", 1);
	ok(inject_path(&p) && !strcmp(p.s, "/a"), "POSTHORN_QUEUE first");
	unsetenv("POSTHORN_QUEUE");
	ok(inject_path(&p) && !strcmp(p.s, "/b"), "else QMAILQUEUE (qmail's name)");
	setenv("QMAILQUEUE", "", 1);
	ok(inject_path(&p), "else");
	{
		ssize_t n = readlink("/proc/self/exe", want, sizeof want - 20);
		want[n > 0 ? n : 0] = 0;
		strcpy(strrchr(want, '/') + 1, "posthorn-queue");
	}
	is_str(p.s, want, "posthorn-queue beside our executable");
	unsetenv("QMAILQUEUE");
	stralloc_free(&p);
}

int main(void)
{
	char body[600];

	signal(SIGPIPE, SIG_DFL);   /* inject_open must ignore it itself */
	if (!mkdtemp(dir)) return ok(0, "mkdtemp"), tap_done();
	snprintf(body, sizeof body,
	         "cat > %s/msg; cat <&1 > %s/env; printf '%%s\\n' \"$POSTHORN_CONF\" > %s/conf\n"
	         "printf '%%b\\n' \"${R-2.0.0 queued as 1}\" >&2; exit ${X:-0}\n", dir, dir, dir);
	script("capture", body);
	snprintf(capture, sizeof capture, "%s", path);

	handover();
	verdicts();
	long_line();
	chatty();
	early_refusal();
	signal_and_missing();
	timeout();
	abandoned();
	from_file();
	prepend();
	which();
	{
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd)) {}
	}
	return tap_done();
}
