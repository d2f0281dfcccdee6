/*
 * handoff: the login half's side of the hand-over to posthorn-mailauth;
 * the contract is in handoff.h.
 *
 * Decisions made here:
 * - The login half waits while the session process runs, even when it has
 *   nothing to relay: tcpserver and inetd count connections by their own
 *   child, which must live as long as the session.
 * - The credentials and the state go down one pipe before the child is
 *   waited for; they are bounded (a login line, a STREAM_BUF of pipelined
 *   input), so they fit in a pipe's buffer and the write cannot block on a
 *   child that does not read.
 * - SIGPIPE is ignored here: a child that died before reading must give us
 *   a failed write, not kill the session.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "conf.h"
#include "exedir.h"
#include "handoff.h"
#include "log.h"

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t r = write(fd, buf, len);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Moves fd to at least 10, so that dup2 onto 0, 1, 3, 4 cannot clobber a
 * source that happens to be one of them. */
static int high(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD, 10);
}

_Noreturn static void run_child(const char *path, const char *service, int in, int out, int state, int status)
{
	int i = high(in), o = high(out), st = high(state), ss = high(status);

	if (i < 0 || o < 0 || st < 0 || ss < 0) _exit(HANDOFF_TEMP);
	if (dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(st, HANDOFF_STATE_FD) < 0 || dup2(ss, HANDOFF_STATUS_FD) < 0)
		_exit(HANDOFF_TEMP);
	close(i);
	close(o);
	close(st);
	close(ss);
	/* The session's socket is a plain blocking one, whatever the TLS side
	 * did to its own fds. */
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
	execl(path, "posthorn-mailauth", "-C", conf_dir(), service, (char *)0);
	log_event("error", "op", "exec", "file", path, "error", strerror(errno), (char *)0);
	_exit(HANDOFF_TEMP);
}

/* Waits at most seconds for the session's "+": 1 when it came, 0 when the
 * pipe closed without it, -1 on timeout. */
static int wait_ready(int fd, unsigned seconds)
{
	struct pollfd p = {fd, POLLIN, 0};
	char c;
	ssize_t r;

	for (;;) {
		int n = poll(&p, 1, (int)seconds * 1000);
		if (n < 0 && errno == EINTR) continue;
		if (n == 0) return -1;
		if (n < 0) return 0;
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR) continue;
		return r == 1 && c == HANDOFF_READY;
	}
}

static int child_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) return HANDOFF_TEMP;
	return WIFEXITED(st) ? WEXITSTATUS(st) : HANDOFF_TEMP;
}

int handoff_login(struct stream *io, const char *service, const char *login, const char *password,
                  const char *method, const char *tag)
{
	const char *version = stream_tls_version(io), *cipher = stream_tls_cipher(io);
	stralloc path = {0}, msg = {0};
	int statep[2] = {-1, -1}, statusp[2] = {-1, -1}, sp[2] = {-1, -1};
	int tls = io->tls != 0, code;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if (stream_flush(io) || !exedir_path(&path, "posthorn-mailauth")) return HANDOFF_TEMP;
	if (pipe2(statep, O_CLOEXEC) || pipe2(statusp, O_CLOEXEC) ||
	    (tls && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp))) {
		code = HANDOFF_TEMP;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		code = HANDOFF_TEMP;
		goto out;
	}
	if (pid == 0)
		run_child(path.s, service, tls ? sp[1] : io->infd, tls ? sp[1] : io->outfd, statep[0], statusp[1]);
	close(statep[0]);
	close(statusp[1]);
	statep[0] = statusp[1] = -1;
	if (tls) {
		close(sp[1]);
		sp[1] = -1;
	}
	/* Everything the session needs, then EOF. */
	if (!stralloc_copys(&msg, login) || !stralloc_0(&msg) || !stralloc_cats(&msg, password) || !stralloc_0(&msg) ||
	    !stralloc_cats(&msg, "method ") || !stralloc_cats(&msg, method) ||
	    !stralloc_cats(&msg, "\ntls ") || !stralloc_cats(&msg, version ? version : "-") ||
	    (version && (!stralloc_cats(&msg, " ") || !stralloc_cats(&msg, cipher ? cipher : "-"))) ||
	    (tag && (!stralloc_cats(&msg, "\ntag ") || !stralloc_cats(&msg, tag))) || !stralloc_cats(&msg, "\n\n") ||
	    !stralloc_catb(&msg, io->in + io->inpos, stream_pending(io)))
		msg.len = 0;
	if (msg.len) write_all(statep[1], msg.s, msg.len);
	if (msg.s) explicit_bzero(msg.s, msg.a);
	close(statep[1]);
	statep[1] = -1;
	/* mailauth may wait up to 60 s (a fail delay) before it answers */
	code = wait_ready(statusp[0], (io->timeout ? io->timeout : 600) + 70);
	if (code <= 0) {
		/* Not started: the child has exited, or is about to (or hangs). */
		if (code < 0) kill(pid, SIGKILL);
		code = child_status(pid);
		if (code != HANDOFF_BAD && code != HANDOFF_INUSE) code = HANDOFF_TEMP;
		goto out;
	}
	/* It serves the client now: what was pipelined went with the state. */
	stream_discard(io);
	close(statusp[0]);
	if (tls) {
		stream_relay(io, sp[0]);
		close(sp[0]);
		stream_close(io);
	} else {
		close(io->infd);
		if (io->outfd != io->infd) close(io->outfd);
	}
	_exit(child_status(pid));
out:
	stralloc_free(&path);
	stralloc_free(&msg);
	if (statep[0] >= 0) close(statep[0]);
	if (statep[1] >= 0) close(statep[1]);
	if (statusp[0] >= 0) close(statusp[0]);
	if (statusp[1] >= 0) close(statusp[1]);
	if (sp[0] >= 0) close(sp[0]);
	if (sp[1] >= 0) close(sp[1]);
	return code;
}

int handoff_read_state(struct loginstate *st)
{
	char buf[4096];

	st->text.len = 0;
	for (;;) {
		ssize_t r = read(HANDOFF_STATE_FD, buf, sizeof buf);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) return -1;
		if (r == 0) break;
		if ((size_t)r > LOGINSTATE_MAX - st->text.len) return -1;
		if (!stralloc_catb(&st->text, buf, (size_t)r)) return -1;
	}
	close(HANDOFF_STATE_FD);
	return loginstate_parse(st);
}

void handoff_ready(void)
{
	char c = HANDOFF_READY;

	while (write(HANDOFF_STATUS_FD, &c, 1) < 0 && errno == EINTR) {}
	close(HANDOFF_STATUS_FD);
}

void handoff_log_fail(int result, const char *login, const char *method, const char *ip, unsigned fails)
{
	char n[16];   /* a 10-digit number */

	if (result == HANDOFF_INUSE) return;
	if (result != HANDOFF_BAD) {
		log_event("login-fail", "user", login, "ip", ip, "method", method, "reason", "temporary", (char *)0);
		return;
	}
	snprintf(n, sizeof n, "%u", fails);
	log_event("login-fail", "user", login, "ip", ip, "method", method, "reason", "auth", "fails", n, (char *)0);
}

int handoff_resume(struct handoff_session *h, struct stream *io)
{
	const char *user = getenv("POSTHORN_USER");

	h->maildir = getenv("POSTHORN_MAILDIR");
	if (!user || !h->maildir || strlen(user) > AUTH_LOGIN_MAX || handoff_read_state(&h->st) < 0) return -1;
	memcpy(h->user, user, strlen(user) + 1);
	if (!loginstate_value(&h->st, "method", h->method, sizeof h->method)) memcpy(h->method, "-", 2);
	if (!loginstate_value(&h->st, "tls", h->tls, sizeof h->tls)) memcpy(h->tls, "-", 2);
	return stream_preload(io, h->st.pipelined, h->st.pipelinedlen) ? -1 : 0;
}

void handoff_serving(const struct handoff_session *h, const char *ip)
{
	handoff_ready();
	log_event("login", "user", h->user, "ip", ip, "method", h->method, "tls", strcmp(h->tls, "-") ? h->tls : "no",
		  (char *)0);
}
