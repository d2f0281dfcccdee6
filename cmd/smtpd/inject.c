/*
 * Handing a message to the injector: posthorn-queue in our own directory,
 * or the program named by $POSTHORN_QUEUE (else $QMAILQUEUE), so a filter
 * that speaks the same protocol can sit in front of the queue.
 *
 * The protocol (posthorn-queue(8)): the message on the injector's fd 0, then
 * the envelope on its fd 1 as "F<sender>\0", "T<rcpt>\0" ..., "\0"; its one
 * reason line on fd 2; exit 0 queued, 100 refused for good, anything else a
 * temporary failure.  It runs with POSTHORN_CONF set to our config dir
 * (it takes no options), so -C reaches the queue too.  The message is streamed into a pipe while it arrives,
 * so smtpd holds no copy of it; the envelope goes only after the last byte,
 * so a message we give up on (the client vanished, the text broke a rule)
 * is abandoned by closing both pipes without an envelope: the injector
 * then queues nothing.  We reply 250 only after the injector exited 0.
 *
 * The injector's reason ("2.0.0 queued as ID", "5.3.4 message too big")
 * goes into our reply; its RFC 3463 code is kept when its class matches
 * the exit code, else replaced by 2.0.0 / 5.3.0 / 4.3.0.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "conf.h"
#include "log.h"
#include "reply.h"
#include "smtpd.h"

#define REASON_MAX 4096        /* bytes of the injector's fd 2 we keep */
#define ABORT_GRACE 5          /* seconds an abandoned injector may take */

static stralloc injector;

static int find_injector(void)
{
	const char *env = getenv("POSTHORN_QUEUE");
	char self[PATH_MAX];
	ssize_t n;

	if (injector.len) return 0;
	if (!env || !*env) env = getenv("QMAILQUEUE");
	if (env && *env) return stralloc_copys(&injector, env) && stralloc_0(&injector) ? 0 : -1;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) return -1;
	self[n] = 0;
	*(strrchr(self, '/') ? strrchr(self, '/') + 1 : self) = 0;
	return stralloc_copys(&injector, self) && stralloc_cats(&injector, "posthorn-queue") && stralloc_0(&injector)
	       ? 0 : -1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) close(*fd);
	*fd = -1;
}

int inject_start(struct session *s)
{
	struct inject *j = &s->inj;
	int msg[2], env[2], err[2];
	pid_t pid;

	if (find_injector()) {
		log_event("inject", "error", "unable to find the injector", (char *)0);
		return R_QUEUE_TEMP;
	}
	if (pipe2(msg, O_CLOEXEC)) return R_QUEUE_TEMP;
	if (pipe2(env, O_CLOEXEC)) {
		close(msg[0]), close(msg[1]);
		return R_QUEUE_TEMP;
	}
	if (pipe2(err, O_CLOEXEC)) {
		close(msg[0]), close(msg[1]), close(env[0]), close(env[1]);
		return R_QUEUE_TEMP;
	}
	pid = fork();
	if (pid < 0) {
		close(msg[0]), close(msg[1]), close(env[0]), close(env[1]), close(err[0]), close(err[1]);
		log_event("inject", "error", "fork failed", (char *)0);
		return R_QUEUE_TEMP;
	}
	if (!pid) {
		/* dup2 clears close-on-exec on the copies; the originals go at exec */
		if (dup2(msg[0], 0) < 0 || dup2(env[0], 1) < 0 || dup2(err[1], 2) < 0) _exit(111);
		signal(SIGPIPE, SIG_DFL);
		/* the injector takes no options: it finds our config dir here */
		setenv("POSTHORN_CONF", conf_dir(), 1);
		execl(injector.s, injector.s, (char *)0);
		{
			const char *e = strerror(errno);
			ssize_t w = write(2, "4.3.0 unable to run the injector: ", 34);
			w = write(2, e, strlen(e));
			(void)w;
		}
		_exit(111);
	}
	close(msg[0]), close(env[0]), close(err[1]);
	j->pid = pid;
	j->msgfd = msg[1];
	j->envfd = env[1];
	j->errfd = err[0];
	j->broken = 0;
	j->buflen = 0;
	fcntl(j->msgfd, F_SETFL, fcntl(j->msgfd, F_GETFL) | O_NONBLOCK);
	fcntl(j->envfd, F_SETFL, fcntl(j->envfd, F_GETFL) | O_NONBLOCK);
	return R_NONE;
}

/* Writes all of buf to a non-blocking pipe within timeout seconds; 0/-1. */
static int write_timed(int fd, const char *buf, size_t len, unsigned long timeout)
{
	long long deadline = now_ms() + (long long)timeout * 1000;

	while (len) {
		ssize_t r = write(fd, buf, len);
		if (r > 0) {
			buf += r;
			len -= (size_t)r;
			deadline = now_ms() + (long long)timeout * 1000;
			continue;
		}
		if (r < 0 && errno != EAGAIN && errno != EINTR) return -1;
		{
			struct pollfd p = {fd, POLLOUT, 0};
			long long left = deadline - now_ms();
			if (left <= 0) return -1;
			if (poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) < 0 && errno != EINTR) return -1;
		}
	}
	return 0;
}

static void flush_buf(struct session *s)
{
	struct inject *j = &s->inj;

	if (j->buflen && !j->broken && write_timed(j->msgfd, j->buf, j->buflen, SMTPD_INJECT_TIMEOUT))
		j->broken = 1;
	j->buflen = 0;
}

int inject_write(struct session *s, const char *buf, size_t len)
{
	struct inject *j = &s->inj;

	while (len) {
		size_t n = sizeof j->buf - j->buflen;
		if (n > len) n = len;
		memcpy(j->buf + j->buflen, buf, n);
		j->buflen += n;
		buf += n;
		len -= n;
		if (j->buflen == sizeof j->buf) flush_buf(s);
	}
	return j->broken ? -1 : 0;
}

/* Reads the injector's fd 2 to its end and reaps it, killing it when it
 * takes longer than timeout seconds.  Returns the wait status. */
static int reap(struct session *s, stralloc *reason, unsigned long timeout)
{
	struct inject *j = &s->inj;
	long long deadline = now_ms() + (long long)timeout * 1000;
	char buf[1024];
	int status = 0;

	reason->len = 0;
	for (;;) {
		struct pollfd p = {j->errfd, POLLIN, 0};
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0) {
			kill(j->pid, SIGKILL);
			log_event("inject", "error", "injector timed out, killed", (char *)0);
			break;
		}
		if (poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) <= 0) continue;
		r = read(j->errfd, buf, sizeof buf);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		if (reason->len < REASON_MAX) stralloc_catb(reason, buf, (size_t)r > REASON_MAX - reason->len ? REASON_MAX - reason->len : (size_t)r);
	}
	close_fd(&j->errfd);
	while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
		;
	j->pid = 0;
	return status;
}

void inject_abort(struct session *s)
{
	struct inject *j = &s->inj;
	stralloc junk = {0};

	if (!j->pid) return;
	j->buflen = 0;
	close_fd(&j->msgfd);
	close_fd(&j->envfd);   /* no envelope: nothing is queued */
	reap(s, &junk, ABORT_GRACE);
	stralloc_free(&junk);
}

/* The last non-empty line of text, cleaned of control bytes. */
static void last_line(stralloc *text, char *out, size_t size)
{
	size_t end = text->len, start, i, o = 0;

	while (end && (text->s[end - 1] == '\n' || text->s[end - 1] == '\r')) end--;
	start = end;
	while (start && text->s[start - 1] != '\n') start--;
	for (i = start; i < end && o + 1 < size; i++) {
		unsigned char c = (unsigned char)text->s[i];
		out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[o] = 0;
}

/* "4.3.0 text": splits off an enhanced code of the wanted class. */
static const char *split_code(char *line, char class, char esc[16])
{
	size_t i = 0;
	int dots = 0;

	while (line[i] && line[i] != ' ' && i < 15) {
		if (line[i] == '.') dots++;
		else if (line[i] < '0' || line[i] > '9') return line;
		i++;
	}
	if (dots != 2 || line[0] != class || line[i] != ' ') return line;
	memcpy(esc, line, i);
	esc[i] = 0;
	return line + i + 1;
}

int inject_finish(struct session *s, stralloc *result)
{
	struct inject *j = &s->inj;
	static stralloc reason;
	char line[512], esc[16];
	const char *text;
	int status, code, envbad = 0;
	size_t i;

	flush_buf(s);
	close_fd(&j->msgfd);
	if (!j->broken) {
		stralloc env = {0};
		int ok = stralloc_copys(&env, "F") && stralloc_cat(&env, &s->tx.sender) && stralloc_0(&env);
		for (i = 0; ok && i < s->tx.rcpts.len;) {
			size_t n = strlen(s->tx.rcpts.s + i);
			ok = stralloc_cats(&env, "T") && stralloc_catb(&env, s->tx.rcpts.s + i, n + 1);
			i += n + 1;
		}
		ok = ok && stralloc_0(&env);
		if (!ok || write_timed(j->envfd, env.s, env.len, SMTPD_INJECT_TIMEOUT)) envbad = 1;
		stralloc_free(&env);
	}
	close_fd(&j->envfd);
	status = reap(s, &reason, SMTPD_INJECT_TIMEOUT);
	last_line(&reason, line, sizeof line);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !envbad && !j->broken) {
		code = 250;
		strcpy(esc, "2.0.0");
		text = split_code(line, '2', esc);
		if (!*text) text = "queued";
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 100) {
		code = 554;
		strcpy(esc, "5.3.0");
		text = split_code(line, '5', esc);
		if (!*text) text = "message refused by the queue";
	} else {
		code = 451;
		strcpy(esc, "4.3.0");
		text = split_code(line, '4', esc);
		if (!*text || text == line) text = *line && WIFEXITED(status) ? line : "temporary failure queueing the message";
	}
	reply_raw(s, code, esc, text, 0);
	result->len = 0;
	{
		char num[8];
		num[0] = (char)('0' + code / 100), num[1] = (char)('0' + code / 10 % 10), num[2] = (char)('0' + code % 10);
		num[3] = ' ';
		num[4] = 0;
		if (!stralloc_copys(result, num) || !stralloc_cats(result, esc) || !stralloc_cats(result, " ") ||
		    !stralloc_cats(result, text) || !stralloc_0(result))
			result->len = 0;
	}
	return code;
}
