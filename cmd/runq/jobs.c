/*
 * jobs: deliverer processes.  A job is one posthorn-local (one recipient, or
 * a batch: posthorn-local -ab, messages on the fds it is given, fd 0 a pipe
 * of acknowledgements) or one posthorn-remote (one domain); the message file
 * is its fd 0, a pipe its fd 1, our stderr its fd 2 (so its log lines reach our logger).  Output is
 * kept up to JOB_OUTPUT_MAX bytes; the rest is read and dropped so that the
 * child never blocks on a full pipe.
 *
 * A job dies with us (PR_SET_PDEATHSIG): a runner killed with SIGKILL
 * cannot record what its deliveries did, so its successor repeats them;
 * left running, every one of them would be delivered twice.  Killed, a
 * delivery is not made (posthorn-local and posthorn-remote are safe to
 * kill at any instant), except one that finished in the instant before.
 * SIGTERM is not affected: the runner then waits for its jobs.
 *
 * posthorn-remote talks to the internet: a runner running as root starts
 * it as the remoteuser account, never as root.  posthorn-local drops to
 * the mail owner itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <buffer.h>
#include "exitcode.h"
#include "log.h"
#include "privs.h"
#include "runq.h"
#include "status.h"

#define JOB_OUTPUT_MAX (4 * 1024 * 1024)

struct job *jobs[JOBS_MAX];
unsigned njobs;
static int selfpipe[2] = {-1, -1};

static void on_chld(int sig)
{
	int saved = errno;
	char c = 0;
	if (write(selfpipe[1], &c, 1) < 0) { /* full: a wake-up is pending anyway */ }
	errno = saved;
	(void)sig;
}

void jobs_init(void)
{
	struct sigaction sa;

	if (pipe2(selfpipe, O_NONBLOCK | O_CLOEXEC)) {
		log_event("fatal", "error", "unable to make a pipe", "errno", strerror(errno), (char *)0);
		_exit(EXIT_TEMP);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, 0);
}

int jobs_selfpipe(void) { return selfpipe[0]; }

/* A status line ("4.3.0 text\n") into line, for a child of vfork to
 * write: it may make system calls only, so every text it could need is
 * made before.  Cut at the buffer's end (the table's texts are short). */
static void make_line(char *line, size_t size, enum status_id id)
{
	snprintf(line, size, "%s %s\n", status_esc(id), status_text(id));
}

/* Started with vfork: the child runs on our memory and stack, we wait
 * until it calls execve or _exit, and no page tables are copied.  fork
 * cost each local delivery 31 more page faults (tools/bench-exec and a
 * pass of 200 messages: 117 against 86 per delivery).  So the child only
 * makes system calls: the account of runas is looked up here, each
 * failure line made here.  Signals are blocked around vfork, and the child
 * sets our handlers back to default before it unblocks them: a handler of
 * ours run in the child would write into our memory. */
int job_start(struct job *j, char *const argv[], int msgfd, const char *runas, unsigned long timeout)
{
	return job_start_fds(j, argv, msgfd, 0, 0, runas, timeout);
}

int job_start_fds(struct job *j, char *const argv[], int msgfd, const int *keep, unsigned nkeep, const char *runas,
                  unsigned long timeout)
{
	unsigned k;
	char fail[128], dropfail[128], execfail[128];
	uid_t uid = 0;
	gid_t gid = 0;
	int out[2], become = runas && geteuid() == 0, sig;
	sigset_t all, old;
	volatile pid_t parent = getpid();   /* volatile: live across vfork */
	pid_t pid;

	if (njobs >= JOBS_MAX) return -1;
	/* posthorn-remote as the remoteuser account (see the top); the lines
	 * say why the child could not become it */
	fail[0] = 0;
	if (become && !*runas) make_line(fail, sizeof fail, ST_REMOTE_NOT_ROOT);
	else if (become && privs_lookup(runas, &uid, &gid)) make_line(fail, sizeof fail, ST_REMOTEUSER);
	make_line(dropfail, sizeof dropfail, ST_REMOTEUSER);
	make_line(execfail, sizeof execfail, ST_DELIVERER_EXEC);
	if (pipe2(out, O_CLOEXEC)) return -1;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0) {
		struct sigaction sa;
		const char *msg = execfail;

		for (sig = 1; sig < NSIG; sig++)
			if (!sigaction(sig, 0, &sa) && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)
				signal(sig, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, 0);
		/* Armed, then checked: a runner that died before the prctl is
		 * seen by getppid. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent) _exit(EXIT_TEMP);
		if (dup2(msgfd, 0) < 0 || dup2(out[1], 1) < 0) _exit(EXIT_TEMP);
		/* ours are close-on-exec; in the child's own table only */
		for (k = 0; k < nkeep; k++)
			if (fcntl(keep[k], F_SETFD, 0) < 0) _exit(EXIT_TEMP);
		if (fail[0]) msg = fail;
		else if (become && privs_drop(uid, gid)) msg = dropfail;
		else execv(argv[0], argv);
		if (write(1, msg, strlen(msg)) < 0) {}
		_exit(EXIT_TEMP);
	}
	sigprocmask(SIG_SETMASK, &old, 0);
	if (pid < 0) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	close(out[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	j->pid = pid;
	j->outfd = out[0];
	j->exited = 0;
	j->killed = 0;
	j->out.len = 0;
	j->deadline = now_s() + (long long)timeout;
	jobs[njobs++] = j;
	return 0;
}

void job_read(struct job *j)
{
	char buf[8192];
	ssize_t r;

	while (j->outfd >= 0) {
		r = read(j->outfd, buf, sizeof buf);
		if (r < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN) return;
		}
		if (r <= 0) {
			close(j->outfd);
			j->outfd = -1;
			return;
		}
		if (j->out.len + (size_t)r <= JOB_OUTPUT_MAX) stralloc_catb(&j->out, buf, (size_t)r);
	}
}

void jobs_reap(void)
{
	char buf[64];
	pid_t pid;
	int status;
	unsigned i;

	while (read(selfpipe[0], buf, sizeof buf) > 0) {}
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < njobs; i++)
			if (jobs[i]->pid == pid && !jobs[i]->exited) {
				jobs[i]->exited = 1;
				jobs[i]->status = status;
				break;
			}
	}
}

void jobs_kill_overdue(long long now)
{
	unsigned i;

	for (i = 0; i < njobs; i++)
		if (!jobs[i]->exited && !jobs[i]->killed && now >= jobs[i]->deadline) {
			kill(jobs[i]->pid, SIGKILL);
			jobs[i]->killed = 1;
		}
}

struct job *job_new(void)
{
	struct job *j = calloc(1, sizeof *j);

	if (j) j->outfd = j->ackfd = -1;
	return j;
}

void job_free(struct job *j)
{
	unsigned k;

	if (j->outfd >= 0) close(j->outfd);
	free(j->rcpt);
	free(j->domain);
	if (j->fds)
		for (k = 0; k < j->n; k++)
			if (j->fds[k] >= 0) close(j->fds[k]);
	if (j->batch && j->ackfd >= 0) close(j->ackfd);
	free(j->fds);
	free(j->ents);
	free(j->got);
	stralloc_free(&j->out);
	free(j);
}
