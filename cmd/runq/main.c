/*
 * posthorn-runq: the queue runner (see posthorn-runq(8)).
 *
 *     posthorn-runq [-C DIR]             one pass: deliver what is due, exit
 *     posthorn-runq [-C DIR] -f          flush: deliver everything now
 *     posthorn-runq [-C DIR] -d          daemon, for s6 / daemontools
 *     posthorn-runq [-C DIR] -l          list the queue (mailq)
 *     posthorn-runq [-C DIR] -D|-B|-X ID deliver now / bounce / delete one
 *
 * Only one runner delivers at a time: it holds an flock on QUEUEDIR/lock.
 * A pass or flush asked for while a daemon runs is handed to the daemon
 * through the trigger FIFO.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <buffer.h>
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "runq.h"

long long now_s(void) { return (long long)time(0); }

const char *runq_conf_dir(void) { return conf_dir(); }

static int prog_path(stralloc *out, const char *envname, const char *name)
{
	const char *env = getenv(envname);
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) return stralloc_copys(out, env) && stralloc_0(out);
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) return 0;
	self[n] = 0;
	*(strrchr(self, '/') ? strrchr(self, '/') + 1 : self) = 0;
	return stralloc_copys(out, self) && stralloc_cats(out, name) && stralloc_0(out);
}

static int ulong_setting(const char *name, unsigned long *v, unsigned long dflt, unsigned long min)
{
	if (conf_ulong(name, v, dflt) < 0) {
		log_event("config", "file", name, "error", strerror(errno), (char *)0);
		return -1;
	}
	if (*v < min) *v = min;
	return 0;
}

/* See runq.h.  A setting that cannot be read is logged. */
int runq_load_config(struct config *c)
{
	stralloc dom = {0}, delim = {0};
	char host[256];
	int r = -1;

	if (gethostname(host, sizeof host)) strcpy(host, "localhost");   /* fits: a short constant */
	host[sizeof host - 1] = 0;
	if (conf_line("queuedir", &c->qdir, QUEUE_DEFAULT_DIR) < 0 || conf_line("me", &c->me, host) < 0 ||
	    conf_line("defaultdomain", &dom, c->me.s) < 0 || conf_line("delimiter", &delim, "+") < 0 ||
	    conf_line("remoteuser", &c->remote_user, "") < 0) {
		log_event("config", "error", strerror(errno), (char *)0);
		goto out;
	}
	c->delimiter = delim.len ? delim.s[0] : 0;
	if (!stralloc_copys(&c->doublebounceto, "postmaster@") || !stralloc_cats(&c->doublebounceto, dom.s) ||
	    !stralloc_0(&c->doublebounceto))
		goto out;
	if (conf_line("doublebounceto", &c->doublebounceto, c->doublebounceto.s) < 0) goto out;
	if (ulong_setting("concurrency-local", &c->conc_local, 10, 1) ||
	    ulong_setting("concurrency-remote", &c->conc_remote, 20, 1) ||
	    ulong_setting("concurrency-domain", &c->conc_domain, 5, 1) ||
	    ulong_setting("retry-min", &c->retry_min, 300, 1) ||
	    ulong_setting("retry-max", &c->retry_max, 14400, 1) ||
	    ulong_setting("queue-lifetime", &c->lifetime, 432000, 1) ||
	    ulong_setting("delivery-timeout", &c->timeout, 3600, 1) ||
	    ulong_setting("local-batch", &c->local_batch, 32, 1))
		goto out;
	if (c->local_batch > LOCAL_BATCH_MAX) c->local_batch = LOCAL_BATCH_MAX;
	if (c->conc_local + c->conc_remote > JOBS_MAX - 1) {
		c->conc_local = JOBS_MAX / 2;
		c->conc_remote = JOBS_MAX / 2 - 1;
	}
	if (c->retry_max < c->retry_min) c->retry_max = c->retry_min;
	if (!conf_path(&c->cdb, "users.cdb")) goto out;
	if (!prog_path(&c->local_prog, "POSTHORN_LOCAL", "posthorn-local") ||
	    !prog_path(&c->remote_prog, "POSTHORN_REMOTE", "posthorn-remote"))
		goto out;
	r = 0;
out:
	stralloc_free(&dom);
	stralloc_free(&delim);
	return r;
}

void runq_free_config(struct config *c)
{
	stralloc_free(&c->qdir);
	stralloc_free(&c->me);
	stralloc_free(&c->doublebounceto);
	stralloc_free(&c->cdb);
	stralloc_free(&c->local_prog);
	stralloc_free(&c->remote_prog);
	stralloc_free(&c->remote_user);
}

static void usage(void)
{
	buffer_puts(buffer_2, "usage: posthorn-runq [-C dir] [-f | -d | -l | -D id | -B id | -X id]\n");
	buffer_flush(buffer_2);
	exit(EXIT_USAGE);
}

static int lock_queue(const char *qdir)
{
	stralloc p = {0};
	int fd;

	if (!queue_path(&p, qdir, "", "lock")) return -1;
	fd = open(p.s, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	stralloc_free(&p);
	if (fd < 0) return -1;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return errno == EWOULDBLOCK ? -2 : -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct config cfg = {0};
	const char *confdir = 0, *id = 0;
	char mode = 0;
	int opt, lock;

	log_init("posthorn-runq");
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	while ((opt = getopt(argc, argv, "C:fdlD:B:X:")) != -1) {
		switch (opt) {
		case 'C': confdir = optarg; break;
		case 'f': case 'd': case 'l':
			if (mode) usage();
			mode = (char)opt;
			break;
		case 'D': case 'B': case 'X':
			if (mode) usage();
			mode = (char)opt;
			id = optarg;
			break;
		default: usage();
		}
	}
	if (optind != argc) usage();
	conf_init(confdir);
	if (runq_load_config(&cfg)) return EXIT_TEMP;
	if (mode == 'l') return admin_list(cfg.qdir.s);
	if (queue_make_dirs(cfg.qdir.s)) {
		log_event("fatal", "error", "unable to set up the queue dir", "dir", cfg.qdir.s, "errno", strerror(errno), (char *)0);
		return EXIT_TEMP;
	}
	if (id) {
		int r = admin_action(cfg.qdir.s, mode, id);
		if (r != EXIT_DONE || mode == 'X') return r;
		mode = 0;   /* then run a pass so the change takes effect */
	}
	lock = lock_queue(cfg.qdir.s);
	if (lock == -2) {
		if (mode == 'd') {
			log_event("fatal", "error", "another queue runner is running", (char *)0);
			return EXIT_TEMP;
		}
		queue_trigger(cfg.qdir.s, mode == 'f' ? 'f' : 'a');
		buffer_puts(buffer_1, "a queue runner is running; asked it to ");
		buffer_puts(buffer_1, mode == 'f' ? "flush the queue\n" : "run the queue\n");
		buffer_flush(buffer_1);
		return EXIT_DONE;
	}
	if (lock < 0) {
		log_event("fatal", "error", "unable to lock the queue", "errno", strerror(errno), (char *)0);
		return EXIT_TEMP;
	}
	return sched_run(&cfg, mode == 'd', mode == 'f');
}
