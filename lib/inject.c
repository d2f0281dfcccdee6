/*
 * inject: the client of the injection protocol; see inject.h.
 *
 * One child per message.  Our ends of its fd 0 and fd 1 are non-blocking,
 * and every wait is a poll on the pipe we write and on its fd 2 at once:
 * an injector that talks on fd 2 before it reads all its input (a filter
 * that logs) never dead-locks against us.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "conf.h"
#include "exedir.h"
#include "exitcode.h"
#include "inject.h"
#include "injenv.h"

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

/* Progress made: the injector has timeout seconds again. */
static void progress(struct inject *q)
{
	q->deadline = q->timeout ? now_ms() + (long long)q->timeout * 1000 : 0;
}

/* Milliseconds left for poll: -1 (no timeout), 0 (deadline passed). */
static int left_ms(const struct inject *q)
{
	long long left;

	if (!q->deadline) return -1;
	left = q->deadline - now_ms();
	if (left <= 0) return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

int inject_path(stralloc *path)
{
	const char *env = getenv("POSTHORN_QUEUE");

	if (!env || !*env) env = getenv("QMAILQUEUE");
	if (env && *env) return stralloc_copys(path, env) && stralloc_0(path);
	return exedir_path(path, "posthorn-queue");
}

/* Our environment (environ, from <unistd.h> with _GNU_SOURCE) with
 * POSTHORN_CONF set to our config dir: built before fork, so the child
 * only calls execve.  The strings are environ's and
 * one of ours that lives as long as the process. */
static char **child_environment(void)
{
	static stralloc conf;
	size_t n = 0, i, k = 0;
	char **envp;

	conf.len = 0;
	if (!stralloc_copys(&conf, "POSTHORN_CONF=") || !stralloc_cats(&conf, conf_dir()) || !stralloc_0(&conf))
		return 0;
	while (environ && environ[n]) n++;
	envp = malloc((n + 2) * sizeof *envp);
	if (!envp) return 0;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "POSTHORN_CONF=", 14)) envp[k++] = environ[i];
	envp[k++] = conf.s;
	envp[k] = 0;
	return envp;
}

/* In the child: fd a becomes 0, b 1, c 2.  Sources below 3 are first
 * moved up, so one dup2 cannot overwrite another's source. */
static int child_fds(int a, int b, int c)
{
	int fds[3] = {a, b, c}, i;

	for (i = 0; i < 3; i++)
		if (fds[i] < 3 && (fds[i] = fcntl(fds[i], F_DUPFD, 3)) < 0) return -1;
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0) return -1;   /* dup2 clears close-on-exec */
	return 0;
}

_Noreturn static void child(struct inject *q, int in, int env, int err)
{
	const char *e;
	stralloc line = {0};

	setpgid(0, 0);   /* a timeout kills what a filter started, too */
	signal(SIGPIPE, SIG_DFL);
	if (child_fds(in, env, err) < 0) _exit(EXIT_TEMP);
	execve(q->path.s, (char *const[]){q->path.s, 0}, q->envp);
	/* the reason line goes where the injector's would have gone */
	e = strerror(errno);
	if (status_cat(&line, ST_INJECT_START) && stralloc_cats(&line, ": ") && stralloc_cats(&line, e) &&
	    stralloc_cats(&line, "\n"))
		if (write(2, line.s, line.len) < 0) {}
	_exit(EXIT_TEMP);
}

/* Starts the injector with posix_spawn: glibc's runs the child on our
 * memory until it calls execve (clone with CLONE_VM|CLONE_VFORK), where
 * fork copies our page tables and then every page either of us writes.
 * tools/bench-exec, one SMTP message (smtpd and the queue it starts): 254
 * page faults with fork, 225 with this.  Its child does what child() does:
 * its own process group, SIGPIPE back to default, a, b, c as 0, 1, 2
 * (each source moved above 2 first, here, so that no dup2 overwrites the
 * source of the next).  The pid, or -1 with errno when it did not start
 * (the caller then forks, so that the reason takes the usual way). */
static pid_t spawn(struct inject *q, int a, int b, int c)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t pipe_;
	int src[3] = {a, b, c}, up[3] = {-1, -1, -1}, i, e;
	pid_t pid = -1;

	for (i = 0; i < 3; i++)
		if (src[i] < 3 && (src[i] = up[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) < 0) goto out;
	sigemptyset(&pipe_);
	sigaddset(&pipe_, SIGPIPE);
	if ((e = posix_spawn_file_actions_init(&fa))) goto out_errno;
	if ((e = posix_spawnattr_init(&at))) {
		posix_spawn_file_actions_destroy(&fa);
		goto out_errno;
	}
	for (i = 0; i < 3 && !e; i++) e = posix_spawn_file_actions_adddup2(&fa, src[i], i);
	if (!e) e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
	if (!e) e = posix_spawnattr_setpgroup(&at, 0);
	if (!e) e = posix_spawnattr_setsigdefault(&at, &pipe_);
	if (!e) e = posix_spawn(&pid, q->path.s, &fa, &at, (char *const[]){q->path.s, 0}, q->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
out_errno:
	if (e) pid = -1, errno = e;
out:
	e = errno;
	for (i = 0; i < 3; i++) close_fd(&up[i]);
	errno = e;
	return pid;
}

int inject_open(struct inject *q, int msgfd, unsigned timeout)
{
	int in[2] = {-1, -1}, env[2] = {-1, -1}, err[2] = {-1, -1}, saved;

	signal(SIGPIPE, SIG_IGN);
	inject_abort(q);   /* a caller that forgot the last one: nothing leaks */
	q->msgfd = q->envfd = q->errfd = -1;
	q->timeout = timeout;
	q->broken = q->timedout = q->nomem = q->sign = 0;
	q->env.len = q->head.len = q->buflen = q->linelen = q->curlen = 0;
	free(q->envp);
	q->envp = 0;
	if (!inject_path(&q->path)) {
		if (!errno) errno = ENOENT;
		return -1;
	}
	if (!(q->envp = child_environment())) return errno = ENOMEM, -1;
	if ((msgfd < 0 && pipe2(in, O_CLOEXEC)) || pipe2(env, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) goto fail;
	q->pid = spawn(q, msgfd >= 0 ? msgfd : in[0], env[0], err[1]);
	if (q->pid < 0) q->pid = fork();   /* e.g. no such file: child() says so on fd 2 */
	if (q->pid < 0) goto fail;
	if (!q->pid) child(q, msgfd >= 0 ? msgfd : in[0], env[0], err[1]);
	setpgid(q->pid, q->pid);   /* as the child does: no race with our kill */
	close_fd(&in[0]);
	close_fd(&env[0]);
	close_fd(&err[1]);
	q->msgfd = in[1];
	q->envfd = env[1];
	q->errfd = err[0];
	if ((q->msgfd >= 0 && fcntl(q->msgfd, F_SETFL, O_NONBLOCK) < 0) || fcntl(q->envfd, F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(q->errfd, F_SETFL, O_NONBLOCK) < 0) {
		saved = errno;
		inject_abort(q);
		errno = saved;
		return -1;
	}
	progress(q);
	return 0;
fail:
	saved = errno;
	close_fd(&in[0]), close_fd(&in[1]), close_fd(&env[0]), close_fd(&env[1]), close_fd(&err[0]), close_fd(&err[1]);
	q->pid = 0;
	free(q->envp);
	q->envp = 0;
	errno = saved;
	return -1;
}

/* One byte of fd 2 into the reason: the last non-empty line wins, each cut
 * at INJECT_LINE_MAX, control bytes (they would break a reply or a log
 * line) as '?'. */
static void reason_byte(struct inject *q, char c)
{
	if (c == '\n') {
		if (q->curlen) {
			memcpy(q->line, q->cur, q->curlen);
			q->linelen = q->curlen;
			q->curlen = 0;
		}
		return;
	}
	if (c == '\r') return;
	if (q->curlen < INJECT_LINE_MAX) q->cur[q->curlen++] = (unsigned char)c < 0x20 || c == 0x7f ? '?' : c;
}

/* Reads what fd 2 has now; closes it at EOF. */
static void drain(struct inject *q)
{
	char buf[4096];

	while (q->errfd >= 0) {
		ssize_t r = read(q->errfd, buf, sizeof buf), i;
		if (r < 0 && errno == EINTR) continue;
		if (r < 0 && errno == EAGAIN) return;
		if (r <= 0) {
			close_fd(&q->errfd);
			return;
		}
		for (i = 0; i < r; i++) reason_byte(q, buf[i]);
	}
}

/* Writes all of buf to fd (ours, non-blocking), reading fd 2 meanwhile.
 * 0, or -1: the reader went away, or no progress for q->timeout seconds
 * (q->timedout set). */
static int send_all(struct inject *q, int fd, const char *buf, size_t len)
{
	while (len) {
		struct pollfd p[2] = {{fd, POLLOUT, 0}, {q->errfd, POLLIN, 0}};
		ssize_t w = write(fd, buf, len);
		int ms;

		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			progress(q);
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) return -1;
		ms = left_ms(q);
		if (!ms) {
			q->timedout = 1;
			return -1;
		}
		if (poll(p, q->errfd >= 0 ? 2 : 1, ms) < 0 && errno != EINTR) return -1;
		if (q->errfd >= 0 && p[1].revents) drain(q);
	}
	return 0;
}

static void flush_buf(struct inject *q)
{
	if (q->buflen && !q->broken && send_all(q, q->msgfd, q->buf, q->buflen)) q->broken = 1;
	q->buflen = 0;
}

int inject_put(struct inject *q, const char *buf, size_t len)
{
	while (len && !q->broken) {
		size_t n = sizeof q->buf - q->buflen;
		if (n > len) n = len;
		memcpy(q->buf + q->buflen, buf, n);
		q->buflen += n;
		buf += n;
		len -= n;
		if (q->buflen == sizeof q->buf) flush_buf(q);
	}
	return q->broken ? -1 : 0;
}

void inject_from(struct inject *q, const char *sender)
{
	if (!injenv_from(&q->env, sender)) q->nomem = 1;
}

void inject_account(struct inject *q, const char *account)
{
	if (!injenv_account(&q->env, account)) q->nomem = 1;
}

void inject_to(struct inject *q, const char *rcpt)
{
	if (!injenv_to(&q->env, rcpt)) q->nomem = 1;
}

void inject_sign(struct inject *q)
{
	q->sign = 1;
}

int inject_prepend(struct inject *q, const char *text, size_t len)
{
	size_t old = q->head.len;

	if (!len) return 0;
	if (len > QUEUE_HEAD_MAX || old > QUEUE_HEAD_MAX - len) return errno = E2BIG, -1;
	if (!stralloc_readyplus(&q->head, len)) {
		q->nomem = 1;
		return errno = ENOMEM, -1;
	}
	memmove(q->head.s + len, q->head.s, old);
	memcpy(q->head.s, text, len);
	q->head.len = old + len;
	return 0;
}

static void kill_it(struct inject *q)
{
	kill(-q->pid, SIGKILL);
	kill(q->pid, SIGKILL);
}

/* Reads fd 2 to its end and reaps the child, killing it when the deadline
 * passes.  Returns the wait status, or -1 when there was none to get (the
 * child was reaped elsewhere): no verdict, a temporary failure. */
static int reap(struct inject *q)
{
	int status = 0, killed = 0;

	while (q->errfd >= 0) {
		struct pollfd p = {q->errfd, POLLIN, 0};
		int ms = left_ms(q);
		if (!ms) {
			q->timedout = 1;
			break;
		}
		if (poll(&p, 1, ms) < 0 && errno != EINTR) break;
		drain(q);
	}
	close_fd(&q->errfd);
	for (;;) {
		pid_t w;
		if (q->timedout && !killed) {
			kill_it(q);
			killed = 1;
		}
		w = waitpid(q->pid, &status, killed ? 0 : WNOHANG);
		if (w == q->pid) break;
		if (w < 0 && errno != EINTR) {
			status = -1;
			break;
		}
		/* fd 2 closed, the child still running: a short wait at a time,
		 * so the deadline still holds */
		if (!killed && w == 0) {
			if (!left_ms(q)) q->timedout = 1;
			else poll(0, 0, 10);
		}
	}
	q->pid = 0;
	if (q->curlen) reason_byte(q, '\n');
	return status;
}

void inject_abort(struct inject *q)
{
	if (!q->pid) return;
	q->buflen = 0;
	close_fd(&q->msgfd);
	close_fd(&q->envfd);   /* no envelope: nothing is queued */
	q->timeout = INJECT_ABORT_GRACE;
	progress(q);
	reap(q);
	free(q->envp);
	q->envp = 0;
}

/* The verdict, its code and text, from what the injector did and said. */
static void verdict(struct inject_result *r, int exited)
{
	enum status_id dflt;
	char class;
	unsigned n = status_code_len(r->line);

	if (exited && r->exitcode == 0 && !r->incomplete) r->exit = EXIT_DONE, dflt = ST_INJECT_OK, r->code = 250;
	else if (exited && r->exitcode == EXIT_PERM) r->exit = EXIT_PERM, dflt = ST_INJECT_PERM, r->code = 554;
	else r->exit = EXIT_TEMP, dflt = ST_INJECT_TEMP, r->code = 451;
	class = status_esc(dflt)[0];
	strcpy(r->esc, status_esc(dflt));   /* fits: the table's codes are short */
	if (n && n <= ESC_MAX && r->line[0] == class && (r->line[n] == ' ' || !r->line[n])) {
		memcpy(r->esc, r->line, n);
		r->esc[n] = 0;
		strcpy(r->text, r->line[n] ? r->line + n + 1 : "");   /* same size */
	} else if (exited) {
		strcpy(r->text, r->line);
	} else {
		r->text[0] = 0;
	}
	if (!r->text[0]) strcpy(r->text, status_text(dflt));   /* short texts */
}

void inject_close(struct inject *q, struct inject_result *r)
{
	int status;

	memset(r, 0, sizeof *r);
	r->exitcode = -1;
	if (!q->pid) {
		/* never started: the caller's inject_open failed */
		r->incomplete = 1;
		verdict(r, 0);
		return;
	}
	if (q->msgfd >= 0) flush_buf(q);
	close_fd(&q->msgfd);
	if (q->nomem || !injenv_end(&q->env)) q->nomem = 1;
	q->item.len = 0;
	if (q->head.len && !injenv_head(&q->item, q->head.s, q->head.len)) q->nomem = 1;
	if (q->sign && !injenv_sign(&q->item)) q->nomem = 1;
	if (q->nomem || q->broken || q->timedout) r->incomplete = 1;
	else if (send_all(q, q->envfd, q->item.s, q->item.len) || send_all(q, q->envfd, q->env.s, q->env.len))
		r->incomplete = 1;
	/* A message we could not hand over whole gets no envelope, so the
	 * injector queues nothing. */
	close_fd(&q->envfd);
	if (!q->timedout) progress(q);
	status = reap(q);
	free(q->envp);
	q->envp = 0;

	memcpy(r->line, q->line, q->linelen);
	r->line[q->linelen] = 0;
	r->timedout = q->timedout;
	if (status != -1 && WIFEXITED(status) && !q->timedout) r->exitcode = WEXITSTATUS(status);
	if (status != -1 && WIFSIGNALED(status)) r->signal = WTERMSIG(status);
	verdict(r, r->exitcode >= 0);
	if (q->nomem && r->exit == EXIT_TEMP && !r->line[0]) strcpy(r->text, status_text(ST_NOMEM));
}
