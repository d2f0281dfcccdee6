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
	stralloc local_prog, remote_prog;  /* the deliverers (bounces: lib/inject) */
	stralloc remote_user;     /* "remoteuser": the account posthorn-remote runs as; "" = none */
};
extern struct config cfg;

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

struct job {
	pid_t pid;
	struct entry *e;
	unsigned *rcpt;            /* recipient indices, malloc'ed */
	unsigned n;
	int remote;
	char *domain;              /* remote: malloc'ed */
	int outfd;                 /* read end of its stdout, -1 at EOF */
	stralloc out;              /* what it wrote, bounded */
	int exited, status;
	long long deadline;
	int killed;                /* we killed it at its deadline */
};

/* main.c */
int runq_load_config(void);
const char *runq_conf_dir(void);
long long now_s(void);

/* sched.c */
extern volatile int runq_term, runq_hup;
int sched_run(int daemon, int flush);   /* the event loop; returns an exit code */
int entry_is_local(const char *addr, char *why, size_t whylen);

/* jobs.c */
#define JOBS_MAX 1000
extern struct job *jobs[JOBS_MAX];
extern unsigned njobs;
/* Starts argv with the message on fd 0.  runas (or null): when we are
 * root, the account (a name or UID:GID) the job runs as; an empty one
 * makes the job fail temporarily rather than run as root. */
int job_start(struct job *j, char *const argv[], int msgfd, const char *runas);
void job_read(struct job *j);
void jobs_reap(void);             /* waitpid(WNOHANG) all, marks exited */
void jobs_kill_overdue(long long now);
int jobs_selfpipe(void);          /* read end of the SIGCHLD self-pipe */
void jobs_init(void);
void job_free(struct job *j);

/* bounce.c: injects a bounce for the failed recipients idx[0..n-1] of e.
 * 0 sent (or nothing owed), -1 could not (try again later). */
int bounce_send(struct entry *e, const unsigned *idx, unsigned n);

/* admin.c */
int admin_list(void);
int admin_action(char action, const char *id);
#endif
