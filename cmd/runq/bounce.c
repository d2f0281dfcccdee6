/*
 * bounce: sends the bounce owed for an entry's failed recipients, through
 * posthorn-queue like any other message (see posthorn-runq(8), BOUNCES):
 *   - sender not null: an RFC 3464 report to the sender, from <>;
 *   - null sender (the entry is itself a bounce): a double bounce to
 *     doublebounceto, also from <>;
 *   - null sender and the failed recipient is doublebounceto itself: the
 *     failure is logged and dropped, so bounces never loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bounce.h"
#include "log.h"
#include "runq.h"

/* Runs the injector with the file at path as message and "F\0T<to>\0\0" as
 * envelope.  0 when it exited 0. */
static int inject(const struct config *c, const char *path, const char *to, const char *id)
{
	int msgfd, env[2], err[2], status;
	char reply[512];
	ssize_t r;
	size_t got = 0;
	stralloc e = {0};
	pid_t pid;

	msgfd = open(path, O_RDONLY | O_CLOEXEC);
	if (msgfd < 0) return -1;
	if (pipe2(env, O_CLOEXEC)) { close(msgfd); return -1; }
	if (pipe2(err, O_CLOEXEC)) { close(msgfd); close(env[0]); close(env[1]); return -1; }
	pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(msgfd, 0) < 0 || dup2(env[0], 1) < 0 || dup2(err[1], 2) < 0) _exit(111);
		execl(c->queue_prog.s, c->queue_prog.s, "-C", runq_conf_dir(), (char *)0);
		_exit(111);
	}
	close(msgfd);
	close(env[0]);
	close(err[1]);
	if (pid < 0) { close(env[1]); close(err[0]); return -1; }
	/* The envelope is a few hundred bytes: the pipe takes it at once. */
	if (stralloc_copyb(&e, "F\0T", 3) && stralloc_cats(&e, to) && stralloc_catb(&e, "\0\0", 2))
		if (write(env[1], e.s, e.len) < 0) { /* the injector's exit code tells */ }
	close(env[1]);
	stralloc_free(&e);
	while (got < sizeof reply - 1 && (r = read(err[0], reply + got, sizeof reply - 1 - got)) != 0) {
		if (r < 0) {
			if (errno == EINTR) continue;
			break;
		}
		got += (size_t)r;
	}
	close(err[0]);
	reply[got] = 0;
	if (got && reply[got - 1] == '\n') reply[got - 1] = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_event("bounce", "id", id, "to", to, "result", reply, (char *)0);
		return 0;
	}
	log_event("bounce", "id", id, "to", to, "result", "failed", "reason", reply, (char *)0);
	return -1;
}

int bounce_send(const struct config *c, struct entry *e, const unsigned *idx, unsigned n)
{
	struct bounce_rcpt *br = calloc(n ? n : 1, sizeof *br);
	struct bounce_info b;
	stralloc text = {0}, path = {0}, tmp = {0};
	char num[24];
	unsigned i, m = 0;
	int dbl = e->env.sender.len == 0, rc = -1, fd = -1, msgfd = -1;

	if (!br) return -1;
	for (i = 0; i < n; i++) {
		const struct queue_rcpt *r = &e->env.r[idx[i]];
		if (dbl && !strcasecmp(r->addr, c->doublebounceto.s)) {
			log_event("discard", "id", e->id, "rcpt", r->addr, "reason", r->reason.s,
			          "why", "a double bounce that failed", (char *)0);
			continue;
		}
		br[m].addr = r->addr;
		br[m].reason = r->reason.s;
		br[m].expired = !strncmp(r->reason.s, "4.4.7", 5);
		m++;
	}
	if (!m) {
		free(br);
		return 0;
	}
	memset(&b, 0, sizeof b);
	b.me = c->me.s;
	b.id = e->id;
	b.orig_sender = e->env.sender.s;
	b.arrival = e->env.created;
	b.double_bounce = dbl;
	b.rcpt = br;
	b.n = m;
	if (!queue_path(&path, c->qdir.s, "q/", e->id) || !stralloc_cats(&path, ".msg") || !stralloc_0(&path)) goto out;
	msgfd = open(path.s, O_RDONLY | O_CLOEXEC);
	if (msgfd < 0 || !bounce_build(&text, &b, msgfd)) goto out;
	snprintf(num, sizeof num, ".%ld", (long)getpid());
	if (!queue_path(&tmp, c->qdir.s, "tmp/r.bounce.", e->id) || !stralloc_cats(&tmp, num) || !stralloc_0(&tmp))
		goto out;
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) goto out;
	if (write(fd, text.s, text.len) != (ssize_t)text.len) goto out;
	close(fd);
	fd = -1;
	rc = inject(c, tmp.s, dbl ? c->doublebounceto.s : e->env.sender.s, e->id);
out:
	if (rc) log_event("error", "id", e->id, "error", "unable to send the bounce", (char *)0);
	if (fd >= 0) close(fd);
	if (msgfd >= 0) close(msgfd);
	if (tmp.len) unlink(tmp.s);   /* only ever the temp copy, never the message */
	stralloc_free(&tmp);
	stralloc_free(&path);
	stralloc_free(&text);
	free(br);
	return rc;
}
