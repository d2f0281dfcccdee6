#ifndef RUNQ_H
#define RUNQ_H
/*
 * posthorn-runq's modules (see posthorn-runq(8)):
 *   main.c   options, modes, configuration, the runner lock
 *   sched.c  the queue in memory: scan, schedule, results, retries, expiry
 *   jobs.c   deliverer processes: spawn, collect output, reap, time out
 *   bounce.c bounces and double bounces, injected through lib/inject
 *   admin.c  list (mailq), and the per-message actions by id
 * One process, one thread: the event loop in sched.c polls the trigger FIFO,
 * a self-pipe written by the SIGCHLD handler, and each job's output pipe.
 *
 * The settings are one struct config, main()'s, read by runq_load_config;
 * the modules get what they need of it as arguments (admin.c the queue
 * dir, jobs.c the timeout, bounce.c and sched.c a pointer), so no module
 * reads a setting behind its caller's back.  sched_run owns it for the
 * run: on SIGHUP it reads a fresh one and replaces the old whole, between
 * two turns of its loop.
 */
#include <sys/types.h>
#include <stralloc.h>
#include "queue.h"

struct config {
	stralloc qdir;            /* queue dir, NUL-terminated */
	stralloc me;              /* this host's name */
	stralloc doublebounceto;  /* where double bounces go */
	stralloc cdb;             /* path of users.cdb */
	char delimiter;
	unsigned long conc_local, conc_remote, conc_domain;
	unsigned long retry_min, retry_max, lifetime, timeout;
	unsigned long local_batch; /* local deliveries per posthorn-local (1: one each) */
	stralloc local_prog, remote_prog;  /* the deliverers (bounces: lib/inject) */
	stralloc remote_user;     /* "remoteuser": the account posthorn-remote runs as; "" = none */
};

enum rcpt_kind { KIND_UNKNOWN = 0, KIND_LOCAL, KIND_REMOTE };

struct entry {
	char *id;                  /* queue id, malloc'ed */
	struct queue_env env;
	unsigned char *inflight;   /* per recipient: a job is delivering it */
	unsigned char *kind;       /* per recipient: enum rcpt_kind */
	unsigned running;          /* jobs running for this entry */
	int dirty;                 /* env changed since it was written */
	int gone;                  /* the .env vanished (deleted by an admin) */
	long long due;             /* no recipient needs a look before this; 0 = now */
	long long settle_at;       /* no bounce attempt before this (after one failed) */
};

/* posthorn-local -b takes at most this many deliveries */
#define LOCAL_BATCH_MAX 1000

struct job {
	pid_t pid;
	struct entry *e;           /* null for a batch: see ents */
	unsigned *rcpt;            /* recipient indices, malloc'ed */
	unsigned n;
	/* A local batch (posthorn-local -b): delivery k is recipient rcpt[k]
	 * of ents[k], its message open on fds[k] until the job starts;
	 * got[k] once its result line was applied.  parsed: bytes of out
	 * read as result lines. */
	int batch;
	struct entry **ents;
	int *fds;
	unsigned char *got;
	size_t parsed;
	int ackfd;                 /* batch: write end of its fd 0, one byte per recorded result */
	unsigned acks;             /* batch: results applied, not yet acknowledged */
	int remote;
	char *domain;              /* remote: malloc'ed */
	int outfd;                 /* read end of its stdout, -1 at EOF */
	stralloc out;              /* what it wrote, bounded */
	int exited, status;
	long long deadline;
	int killed;                /* we killed it at its deadline */
};

/* main.c */
/* Reads the settings into c (zeroed, or freed by runq_free_config).  0, or
 * -1 (logged; c then holds a part: free it). */
int runq_load_config(struct config *c);
void runq_free_config(struct config *c);
const char *runq_conf_dir(void);
long long now_s(void);

/* sched.c */
extern volatile int runq_term, runq_hup;
/* The event loop; returns an exit code.  c is the run's config, replaced
 * on SIGHUP (see the top). */
int sched_run(struct config *c, int daemon, int flush);

/* jobs.c */
#define JOBS_MAX 1000
extern struct job *jobs[JOBS_MAX];
extern unsigned njobs;
/* Starts argv with the message on fd 0, to be killed after timeout
 * seconds.  runas (or null): when we are root, the account (a name or
 * UID:GID) the job runs as; an empty one makes the job fail temporarily
 * rather than run as root. */
int job_start(struct job *j, char *const argv[], int msgfd, const char *runas, unsigned long timeout);
/* The same, handing the child keep[0..nkeep) too (a batch's messages). */
int job_start_fds(struct job *j, char *const argv[], int msgfd, const int *keep, unsigned nkeep, const char *runas,
                  unsigned long timeout);
void job_read(struct job *j);
void jobs_reap(void);             /* waitpid(WNOHANG) all, marks exited */
void jobs_kill_overdue(long long now);
int jobs_selfpipe(void);          /* read end of the SIGCHLD self-pipe */
void jobs_init(void);
/* A zeroed job with no descriptors (-1): what job_free can always free. */
struct job *job_new(void);
void job_free(struct job *j);

/* bounce.c: injects a bounce for the failed recipients idx[0..n-1] of e.
 * 0 sent (or nothing owed), -1 could not (try again later). */
int bounce_send(const struct config *c, struct entry *e, const unsigned *idx, unsigned n);

/* admin.c */
int admin_list(const char *qdir);
int admin_action(const char *qdir, char action, const char *id);
#endif
