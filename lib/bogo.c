/* bogofilter as a program: see bogo.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bogo.h"

extern char **environ;

#define NUMBER_MAX 32   /* bytes of a score: "%g" prints at most ~12 */

int bogo_parse(const char *s, size_t n, struct bogo_result *r)
{
	char num[NUMBER_MAX + 1], *end;
	size_t i, k;
	double d;

	if (n && s[n - 1] == '\n') n--;
	if (n < 3 || s[1] != ' ') return -1;
	switch (s[0]) {
	case 'S': r->verdict = BOGO_SPAM; break;
	case 'H': r->verdict = BOGO_HAM; break;
	case 'U': r->verdict = BOGO_UNSURE; break;
	default: return -1;
	}
	k = n - 2;
	if (k > NUMBER_MAX) return -1;
	/* Only what a C-locale "%g" of 0..1 prints: no sign of its own, no
	 * hex, inf or nan for strtod to take. */
	if (s[2] < '0' || s[2] > '9') return -1;
	for (i = 2; i < n; i++) {
		char c = s[i];
		if (!(c >= '0' && c <= '9') && c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+')
			return -1;
	}
	memcpy(num, s + 2, k);
	num[k] = 0;
	/* An overflow gives HUGE_VAL, refused below; an underflow a number
	 * near 0, which is what it is. */
	d = strtod(num, &end);
	if (end != num + k) return -1;
	if (!(d >= 0.0 && d <= 1.0)) return -1;
	r->score = (unsigned)(d * 10000.0 + 0.5);
	return 0;
}

int bogo_exit_verdict(int code)
{
	switch (code) {
	case 0: return BOGO_SPAM;
	case 1: return BOGO_HAM;
	case 2: return BOGO_UNSURE;
	}
	return -1;
}

const char *bogo_word(enum bogo_verdict v)
{
	return v == BOGO_SPAM ? "Yes" : v == BOGO_HAM ? "No" : "Unsure";
}

void bogo_score_fmt(char out[7], unsigned score)
{
	if (score > 10000) score = 10000;
	out[0] = (char)('0' + score / 10000);
	out[1] = '.';
	out[2] = (char)('0' + score / 1000 % 10);
	out[3] = (char)('0' + score / 100 % 10);
	out[4] = (char)('0' + score / 10 % 10);
	out[5] = (char)('0' + score % 10);
	out[6] = 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Spawns argv with fd as its stdin and a pipe as its stdout, reads at most
 * BOGO_OUTPUT_MAX bytes of that (more is an error: *outlen is then
 * BOGO_OUTPUT_MAX + 1) until EOF, then reaps it; everything within timeout
 * seconds, after which it is killed.  Returns its exit code (0..255), or -1
 * with *why. */
static int run(char *const argv[], int fd, unsigned timeout, char *out, size_t *outlen, const char **why)
{
	posix_spawn_file_actions_t fa;
	long long deadline = now_ms() + (long long)timeout * 1000;
	int p[2], status, e, timedout = 0, pidfd;
	pid_t pid;

	*outlen = 0;
	if (lseek(fd, 0, SEEK_SET) < 0) { *why = "unable to rewind the message"; return -1; }
	if (pipe2(p, O_CLOEXEC) < 0) { *why = "unable to make a pipe"; return -1; }
	if ((e = posix_spawn_file_actions_init(&fa))) {
		close(p[0]);
		close(p[1]);
		errno = e;
		*why = "out of memory";
		return -1;
	}
	/* dup2 clears close-on-exec on the copies, so the child keeps 0 and 1
	 * and nothing else of ours. */
	e = posix_spawn_file_actions_adddup2(&fa, fd, 0);
	if (!e) e = posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	if (!e) e = posix_spawn(&pid, argv[0], &fa, 0, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (e) {
		close(p[0]);
		errno = e;
		*why = e == ENOENT ? "program not found" : "unable to start the program";
		return -1;
	}
	for (;;) {
		struct pollfd pf;
		char buf[BOGO_OUTPUT_MAX + 1];
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0) { timedout = 1; break; }
		pf.fd = p[0];
		pf.events = POLLIN;
		r = poll(&pf, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) { timedout = 1; break; }
		if (r == 0) continue;
		r = read(p[0], buf, sizeof buf);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		if (*outlen + (size_t)r > BOGO_OUTPUT_MAX) {
			*outlen = BOGO_OUTPUT_MAX + 1;
			break;
		}
		memcpy(out + *outlen, buf, (size_t)r);
		*outlen += (size_t)r;
	}
	close(p[0]);
	/* It may close its stdout and still run: reap it within the deadline.
	 * A pidfd (Linux 5.3) becomes readable when it exits, so we wait no
	 * longer than it takes; without one we look every millisecond. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	while (!timedout && *outlen <= BOGO_OUTPUT_MAX) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		long long left;
		if (w == pid) {
			if (pidfd >= 0) close(pidfd);
			goto reaped;
		}
		if (w < 0 && errno != EINTR) {
			if (pidfd >= 0) close(pidfd);
			*why = "unable to wait for the program";
			return -1;
		}
		left = deadline - now_ms();
		if (left <= 0) timedout = 1;
		else if (pidfd >= 0) {
			struct pollfd pf;
			pf.fd = pidfd;
			pf.events = POLLIN;
			poll(&pf, 1, left > INT_MAX ? INT_MAX : (int)left);
		} else
			poll(0, 0, 1);
	}
	if (pidfd >= 0) close(pidfd);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) break;
	*why = timedout ? "timed out" : "too much output";
	return -1;
reaped:
	if (!WIFEXITED(status)) { *why = "killed by a signal"; return -1; }
	return WEXITSTATUS(status);
}

int bogo_classify(const char *prog, const char *dir, int fd, unsigned timeout, struct bogo_result *r,
		  const char **why)
{
	char out[BOGO_OUTPUT_MAX + 1];
	/* A read needs no transaction: skipping the detection of one saves
	 * about 0.4 ms of CPU per message. */
	char *argv[] = {(char *)prog, "-T", "--db-transaction=no", "-d", (char *)dir, 0};
	size_t n;
	int code = run(argv, fd, timeout, out, &n, why);

	if (code < 0) return -1;
	if (bogo_exit_verdict(code) < 0) { *why = code == 3 ? "error exit" : "unknown exit code"; return -1; }
	if (bogo_parse(out, n, r) < 0) { *why = "unreadable output"; return -1; }
	if ((int)r->verdict != bogo_exit_verdict(code)) { *why = "output does not match the exit code"; return -1; }
	return 0;
}

int bogo_register(const char *prog, const char *dir, int fd, enum bogo_learn how, unsigned timeout,
		  const char **why)
{
	static const char *const flags[] = {"-s", "-n", "-Ns", "-Sn"};
	char out[BOGO_OUTPUT_MAX + 1];
	char *argv[] = {(char *)prog, (char *)flags[how], "-d", (char *)dir, 0};
	size_t n;
	int code = run(argv, fd, timeout, out, &n, why);

	if (code < 0) return -1;
	if (code) { *why = "error exit"; return -1; }
	return 0;
}
