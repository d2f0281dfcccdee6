/*
 * sched: the queue in memory and the event loop.
 *
 * Entries are kept in an array sorted by id.  A scan lists the .env files of
 * q/ and loads the ones not yet known; a full reload (after an admin action)
 * rereads them all.  Each recipient is pending, done, failed or bounced (queue.h); a
 * pending one is due when its next-attempt time has come and no job has it.
 *
 * Results are applied in memory and written back with queue_env_write
 * (durable) before anything else depends on them.  An entry whose every
 * recipient is done or bounced is removed: .env first (the commit point),
 * then .msg.  Those unlinks are not fsync'ed: a crash just after them can
 * at worst repeat a delivery, never lose one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <scan.h>
#include "addr.h"
#include "exitcode.h"
#include "log.h"
#include "runq.h"
#include "status.h"
#include "userdb.h"

#define RESCAN_SECONDS 300       /* daemon: a full look at the queue at least this often */
#define STALE_SECONDS 86400      /* an injector's temp file older than this is dead */
#define ORPHAN_SECONDS 3600      /* a .msg without its .env for this long is dead */

volatile int runq_term, runq_hup;

/* The run's settings: sched_run's argument, for the whole run (a SIGHUP
 * replaces what it points to, whole, between two turns of the loop). */
static struct config *cfg;
static struct entry **entries;
static unsigned nentries, capentries;
static unsigned running_local, running_remote;
static int want_scan, want_reload, want_new;
static size_t fifo_full_at = 4096 - (QUEUE_ID_MAX + 2);   /* see read_fifo; set from the FIFO's size */

static void on_term(int sig) { (void)sig; runq_term = 1; }
static void on_hup(int sig) { (void)sig; runq_hup = 1; }

static char numbuf[8][24];   /* fits "%lld": 20 characters at most */
static const char *num(int slot, long long v)
{
	snprintf(numbuf[slot], sizeof numbuf[slot], "%lld", v);
	return numbuf[slot];
}

/* ---- entries ---- */

static int cmp_entry(const void *a, const void *b)
{
	return strcmp((*(struct entry *const *)a)->id, (*(struct entry *const *)b)->id);
}

/* Binary search in entries[0..n), which is sorted. */
static struct entry *find_entry(const char *id, unsigned n)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		int c = strcmp(entries[mid]->id, id);
		if (!c) return entries[mid];
		if (c < 0) lo = mid + 1;
		else hi = mid;
	}
	return 0;
}

static void entry_free(struct entry *e)
{
	queue_env_free(&e->env);
	free(e->inflight);
	free(e->kind);
	free(e->id);
	free(e);
}

static int msg_path(stralloc *p, const char *id, const char *ext)
{
	return queue_path(p, cfg->qdir.s, "q/", id) && stralloc_cats(p, ext) && stralloc_0(p);
}

/* Loads q/ID.env into a new entry, or null (logged when it is broken). */
static struct entry *entry_load(const char *id)
{
	struct entry *e = calloc(1, sizeof *e);
	const char *why;
	stralloc p = {0};

	if (!e || !(e->id = strdup(id))) goto fail;
	if (queue_env_read(cfg->qdir.s, id, &e->env, &why)) {
		if (errno == EINVAL) {
			/* Kept for the admin to look at: never delete mail we cannot read. */
			log_event("corrupt", "id", id, "error", why, (char *)0);
		} else if (errno != ENOENT)
			log_event("error", "id", id, "error", "unable to read the envelope", "errno", strerror(errno), (char *)0);
		goto fail;
	}
	if (!msg_path(&p, id, ".msg")) goto fail;
	if (access(p.s, F_OK) && errno == ENOENT) {
		/* Only a crash between the injector's two renames leaves this; the
		 * injector had not said "queued", so nothing was promised. */
		stralloc_free(&p);
		if (msg_path(&p, id, ".env")) unlink(p.s);
		log_event("removed", "id", id, "reason", "envelope without message (interrupted injection)", (char *)0);
		goto fail;
	}
	stralloc_free(&p);
	e->inflight = calloc(e->env.n, 1);
	e->kind = calloc(e->env.n, 1);
	if (!e->inflight || !e->kind) goto fail;
	/* Left over from before a crash: a bounce owed, or nothing left to do
	 * but removing the files.  settle() sees to both. */
	{
		unsigned i;
		for (i = 0; i < e->env.n; i++)
			if (e->env.r[i].state != QUEUE_PENDING) e->dirty = 1;
	}
	return e;
fail:
	stralloc_free(&p);
	if (e) entry_free(e);
	return 0;
}

static int add_entry(struct entry *e)
{
	if (nentries == capentries) {
		unsigned cap = capentries ? capentries * 2 : 64;
		struct entry **n = realloc(entries, cap * sizeof *n);
		if (!n) return 0;
		entries = n;
		capentries = cap;
	}
	entries[nentries++] = e;
	return 1;
}

static int is_env_name(const char *name, size_t *idlen)
{
	size_t n = strlen(name);
	if (n < 5 || strcmp(name + n - 4, ".env") || name[0] == '.') return 0;
	*idlen = n - 4;
	return *idlen <= QUEUE_ID_MAX;
}

/* Puts e into entries[] at its sorted place.  0 on ENOMEM. */
static int insert_entry(struct entry *e)
{
	unsigned lo = 0, hi = nentries;

	if (!add_entry(e)) return 0;
	hi = nentries - 1;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (strcmp(entries[mid]->id, e->id) < 0) lo = mid + 1;
		else hi = mid;
	}
	memmove(&entries[lo + 1], &entries[lo], (nentries - 1 - lo) * sizeof *entries);
	entries[lo] = e;
	return 1;
}

/* Ids the injectors named in the FIFO since the last look, each
 * NUL-terminated. */
static stralloc new_ids;

/* Loads the entries named in new_ids that are not known yet: an injection
 * costs the runner this, not a listing of the whole q/. */
static void load_new(void)
{
	size_t i = 0;

	while (i < new_ids.len) {
		const char *id = new_ids.s + i;
		struct entry *e;
		i += strlen(id) + 1;
		if (!queue_id_ok(id) || find_entry(id, nentries)) continue;
		/* An id with no entry (bogus, or done already) loads nothing. */
		if ((e = entry_load(id)) && !insert_entry(e)) entry_free(e);
	}
	new_ids.len = 0;
}

/* Lists q/; loads new entries; with reload, rereads known ones (keeping
 * in-flight marks) and forgets those whose .env is gone. */
static void scan(int reload)
{
	stralloc qd = {0};
	DIR *d;
	struct dirent *de;
	unsigned i, before = nentries;
	char id[QUEUE_ID_MAX + 1];
	size_t idlen;

	if (!queue_path(&qd, cfg->qdir.s, "q", "")) return;
	d = opendir(qd.s);
	stralloc_free(&qd);
	if (!d) {
		log_event("error", "error", "unable to list the queue", "errno", strerror(errno), (char *)0);
		return;
	}
	for (i = 0; i < nentries; i++) entries[i]->gone = 1;
	while ((de = readdir(d))) {
		struct entry *e;
		if (!is_env_name(de->d_name, &idlen)) continue;
		memcpy(id, de->d_name, idlen);
		id[idlen] = 0;
		if ((e = find_entry(id, before))) {
			e->gone = 0;
			continue;
		}
		/* New ones go after the sorted part; all is sorted below. */
		if ((e = entry_load(id)) && !add_entry(e)) entry_free(e);
	}
	closedir(d);
	/* The sorted part is entries[0..before); merge by sorting the lot. */
	if (nentries) qsort(entries, nentries, sizeof *entries, cmp_entry);
	for (i = 0; i < nentries;) {
		struct entry *e = entries[i];
		if (e->gone && !e->running) {
			memmove(&entries[i], &entries[i + 1], (nentries - i - 1) * sizeof *entries);
			nentries--;
			entry_free(e);
			continue;
		}
		/* An admin changed some .env: take the file's word, except for
		 * entries with results of ours not yet written. */
		if (reload && !e->gone && !e->running && !e->dirty) {
			struct queue_env fresh;
			const char *why;
			if (!queue_env_read(cfg->qdir.s, e->id, &fresh, &why)) {
				if (fresh.n == e->env.n) {
					queue_env_free(&e->env);
					e->env = fresh;
					e->due = 0;
					e->dirty = 1;   /* settle() looks at it: maybe a bounce is owed now */
				} else
					queue_env_free(&fresh);
			}
		}
		i++;
	}
}

/* ---- what a recipient needs ---- */

static int entry_is_local(const char *addr, char *why, size_t whylen)
{
	struct addr a;
	struct userdb_hit hit;
	int r;

	if (addr_parse(&a, addr, strlen(addr), ADDR_ALLOW_UTF8 | ADDR_ALLOW_RELAYCHARS) != ADDR_OK) return KIND_LOCAL;
	r = userdb_resolve(cfg->cdb.s, &a, cfg->delimiter, &hit);
	if (r == USERDB_NODOMAIN) return KIND_REMOTE;
	if (r == USERDB_TEMP || r == USERDB_CORRUPT) {
		/* a reason for people: a long path is cut, as queue_set_reason
		 * cuts every reason at QUEUE_REASON_MAX */
		snprintf(why, whylen, "%s%s", status_reason(ST_USERLIST_READ), cfg->cdb.s);
		return KIND_UNKNOWN;
	}
	return KIND_LOCAL;
}

/* e->kind[i], looked up once; KIND_UNKNOWN when users.cdb cannot be read
 * (why says so). */
static enum rcpt_kind classify(struct entry *e, unsigned i, char *why, size_t whylen)
{
	if (e->kind[i] == KIND_UNKNOWN) e->kind[i] = (unsigned char)entry_is_local(e->env.r[i].addr, why, whylen);
	return (enum rcpt_kind)e->kind[i];
}

static long long backoff(unsigned tries)
{
	unsigned long long d = cfg->retry_min;
	unsigned i;

	for (i = 1; i < tries && d < cfg->retry_max; i++) d *= 2;
	return (long long)(d > cfg->retry_max ? cfg->retry_max : d);
}

static void defer(struct entry *e, unsigned i, const char *reason, int count)
{
	struct queue_rcpt *r = &e->env.r[i];
	if (count) r->tries++;
	r->next = now_s() + backoff(r->tries ? r->tries : 1);
	queue_set_reason(r, reason);
	e->dirty = 1;
}

static void log_result(const struct entry *e, unsigned i, const char *kind, const char *status)
{
	const struct queue_rcpt *r = &e->env.r[i];
	log_event("delivery", "id", e->id, "rcpt", r->addr, "via", kind, "status", status, "tries", num(0, r->tries),
	          "reason", r->reason.s, (char *)0);
}

/* ---- starting jobs ---- */

/* local batches, below the results they apply */
static void batch_add(struct entry *e, unsigned i);
static void batch_flush(void);

static unsigned remote_running_for(const char *domain)
{
	unsigned i, n = 0;
	for (i = 0; i < njobs; i++)
		if (jobs[i]->remote && !strcmp(jobs[i]->domain, domain)) n++;
	return n;
}

static const char *domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : "";
}

static int open_msg(const struct entry *e)
{
	stralloc p = {0};
	int fd;

	if (!msg_path(&p, e->id, ".msg")) return -1;
	fd = open(p.s, O_RDONLY | O_CLOEXEC);
	stralloc_free(&p);
	return fd;
}

static void start_local(struct entry *e, unsigned i)
{
	struct job *j = job_new();
	char *argv[7];
	int fd;

	if (!j || !(j->rcpt = malloc(sizeof *j->rcpt))) { free(j); return; }
	fd = open_msg(e);
	if (fd < 0) {
		log_event("error", "id", e->id, "error", "unable to open the message", "errno", strerror(errno), (char *)0);
		defer(e, i, status_reason(ST_OPEN_QUEUED), 0);
		job_free(j);
		return;
	}
	argv[0] = cfg->local_prog.s;
	argv[1] = "-C";
	argv[2] = (char *)runq_conf_dir();
	argv[3] = e->env.sender.s;
	argv[4] = e->env.r[i].addr;
	argv[5] = 0;
	j->e = e;
	j->rcpt[0] = i;
	j->n = 1;
	if (job_start(j, argv, fd, 0, cfg->timeout)) {
		log_event("error", "id", e->id, "error", "unable to start posthorn-local", "errno", strerror(errno), (char *)0);
		defer(e, i, status_reason(ST_LOCAL_START), 0);
		close(fd);
		job_free(j);
		return;
	}
	close(fd);
	e->inflight[i] = 1;
	e->running++;
	running_local++;
}

/* All due remote recipients of e in the domain of recipient first. */
static void start_remote(struct entry *e, unsigned first, long long now)
{
	const char *domain = domain_of(e->env.r[first].addr);
	struct job *j;
	char **argv;
	unsigned i, n = 0;
	int fd;
	char why[300];

	/* Classify the rest now, so that one job takes the whole domain. */
	for (i = first + 1; i < e->env.n; i++)
		if (e->env.r[i].state == QUEUE_PENDING && !e->inflight[i]) classify(e, i, why, sizeof why);
	if (access(cfg->remote_prog.s, X_OK)) {
		/* Held, not bounced and not expired (no try is counted) until a
		 * remote deliverer is installed. */
		for (i = first; i < e->env.n; i++)
			if (e->kind[i] == KIND_REMOTE && !e->inflight[i] && e->env.r[i].state == QUEUE_PENDING &&
			    e->env.r[i].next <= now && !strcmp(domain_of(e->env.r[i].addr), domain)) {
				defer(e, i, status_reason(ST_REMOTE_MISSING), 0);
				log_result(e, i, "remote", "held");
			}
		return;
	}
	j = job_new();
	argv = calloc(e->env.n + 6, sizeof *argv);
	if (!j || !argv || !(j->rcpt = calloc(e->env.n, sizeof *j->rcpt)) || !(j->domain = strdup(domain))) {
		free(argv);
		if (j) job_free(j);
		return;
	}
	argv[0] = cfg->remote_prog.s;
	argv[1] = "-C";
	argv[2] = (char *)runq_conf_dir();
	argv[3] = j->domain;
	argv[4] = e->env.sender.s;
	for (i = first; i < e->env.n; i++)
		if (e->kind[i] == KIND_REMOTE && !e->inflight[i] && e->env.r[i].state == QUEUE_PENDING &&
		    e->env.r[i].next <= now && !strcmp(domain_of(e->env.r[i].addr), domain)) {
			j->rcpt[n] = i;
			argv[5 + n] = e->env.r[i].addr;
			n++;
		}
	argv[5 + n] = 0;
	j->n = n;
	j->e = e;
	j->remote = 1;
	fd = open_msg(e);
	if (fd < 0 || job_start(j, argv, fd, cfg->remote_user.s, cfg->timeout)) {
		log_event("error", "id", e->id, "error", "unable to start posthorn-remote", "errno", strerror(errno), (char *)0);
		for (i = 0; i < n; i++) defer(e, j->rcpt[i], status_reason(ST_REMOTE_START), 0);
		if (fd >= 0) close(fd);
		free(argv);
		job_free(j);
		return;
	}
	close(fd);
	free(argv);
	for (i = 0; i < n; i++) e->inflight[j->rcpt[i]] = 1;
	e->running++;
	running_remote++;
}

static void expire(struct entry *e, unsigned i)
{
	struct queue_rcpt *r = &e->env.r[i];
	char reason[QUEUE_REASON_MAX + 200];   /* fits: a stored reason is QUEUE_REASON_MAX at most */

	snprintf(reason, sizeof reason, "%s%lu seconds; last: %s", status_reason(ST_EXPIRED), cfg->lifetime, r->reason.len ? r->reason.s : "no attempt");
	queue_set_reason(r, reason);
	r->state = QUEUE_FAILED;
	e->dirty = 1;
	log_result(e, i, "queue", "expired");
}

/* When e next needs a look: 0 if a pending recipient that no job has is
 * due now (it may have waited for a free slot), else the earliest of their
 * next attempts and expiry times; LLONG_MAX if there is none. */
static long long entry_due(const struct entry *e, long long now)
{
	long long due = LLONG_MAX, t;
	unsigned i;

	for (i = 0; i < e->env.n; i++) {
		const struct queue_rcpt *r = &e->env.r[i];
		if (r->state != QUEUE_PENDING || e->inflight[i]) continue;
		if (r->next <= now) return 0;
		if (r->next < due) due = r->next;
		t = e->env.created + (long long)cfg->lifetime + 1;
		if (r->tries > 0 && t < due) due = t;
	}
	return due;
}

/* Starts what is due and allowed; returns the earliest future due time.
 * Entries whose cached due time lies ahead cost one comparison: a large
 * queue of deferred mail is not walked recipient by recipient at every
 * event. */
static long long start_due(long long now, int stopping)
{
	long long next = now + RESCAN_SECONDS;
	unsigned k, i;

	for (k = 0; k < nentries; k++) {
		struct entry *e = entries[k];
		if (e->due > now) {
			if (e->due < next) next = e->due;
			continue;
		}
		for (i = 0; i < e->env.n; i++) {
			struct queue_rcpt *r = &e->env.r[i];
			char why[300];
			if (r->state != QUEUE_PENDING || e->inflight[i]) continue;
			if (r->tries > 0 && now - e->env.created > (long long)cfg->lifetime) {
				expire(e, i);
				continue;
			}
			if (r->next > now) {
				if (r->next < next) next = r->next;
				continue;
			}
			if (stopping) continue;
			why[0] = 0;
			if (classify(e, i, why, sizeof why) == KIND_UNKNOWN) {
				defer(e, i, why, 0);
				continue;
			}
			if (e->kind[i] == KIND_LOCAL) {
				if (cfg->local_batch > 1) batch_add(e, i);
				else if (running_local < cfg->conc_local) start_local(e, i);
			} else if (running_remote < cfg->conc_remote &&
			           remote_running_for(domain_of(r->addr)) < cfg->conc_domain) {
				start_remote(e, i, now);
			}
		}
		e->due = entry_due(e, now);
		if (e->due && e->due < next) next = e->due;
	}
	batch_flush();
	return next;
}

/* ---- results ---- */

/* Remote output: one line per recipient, in argument order:
 * "ok REASON", "defer REASON" or "fail REASON" (posthorn-runq(8)). */
static void apply_remote(struct job *j, int code)
{
	struct entry *e = j->e;
	char *p = j->out.s, *end = j->out.s + j->out.len, *nl;
	const char *fallback = status_reason(ST_REMOTE_NO_RESULT);
	unsigned k = 0;

	while (p && p < end && k < j->n) {
		unsigned i = j->rcpt[k];
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) break;
		*nl = 0;
		if (!strncmp(p, "ok ", 3)) {
			e->env.r[i].state = QUEUE_DONE;
			queue_set_reason(&e->env.r[i], p + 3);
			log_result(e, i, "remote", "ok");
		} else if (!strncmp(p, "fail ", 5)) {
			e->env.r[i].state = QUEUE_FAILED;
			queue_set_reason(&e->env.r[i], p + 5);
			log_result(e, i, "remote", "fail");
		} else if (!strncmp(p, "defer ", 6)) {
			defer(e, i, p + 6, 1);
			log_result(e, i, "remote", "defer");
		} else {
			fallback = p;   /* a message-wide reason */
			p = nl + 1;
			continue;
		}
		e->dirty = 1;
		k++;
		p = nl + 1;
	}
	for (; k < j->n; k++) {
		unsigned i = j->rcpt[k];
		if (code == EXIT_PERM) {
			e->env.r[i].state = QUEUE_FAILED;
			queue_set_reason(&e->env.r[i], fallback);
			log_result(e, i, "remote", "fail");
		} else {
			defer(e, i, fallback, 1);
			log_result(e, i, "remote", "defer");
		}
		e->dirty = 1;
	}
}

/* The result of local delivery i of e: code class, reason line ("" when
 * posthorn-local said none). */
static void apply_local_one(struct entry *e, unsigned i, int code, const char *reason)
{
	if (!*reason) reason = status_reason(code == EXIT_DONE ? ST_LOCAL_DONE : ST_LOCAL_SILENT);
	if (code == EXIT_DONE) {
		e->env.r[i].state = QUEUE_DONE;
		queue_set_reason(&e->env.r[i], reason);
		log_result(e, i, "local", "ok");
	} else if (code == EXIT_PERM) {
		e->env.r[i].state = QUEUE_FAILED;
		queue_set_reason(&e->env.r[i], reason);
		log_result(e, i, "local", "fail");
	} else {
		defer(e, i, reason, 1);
		log_result(e, i, "local", "defer");
	}
	e->dirty = 1;
}

static void apply_local(struct job *j, int code)
{
	char *nl;

	if (!stralloc_0(&j->out)) j->out.len = 0;
	nl = strchr(j->out.s ? j->out.s : "", '\n');
	if (nl) *nl = 0;
	apply_local_one(j->e, j->rcpt[0], code, j->out.s ? j->out.s : "");
}

/* ---- local batches ---- */

static int write_entry(struct entry *e);

/* Delivery i of e is no longer in flight. */
static void delivery_over(struct entry *e, unsigned i)
{
	e->inflight[i] = 0;
	e->running--;
	e->due = 0;
}

/* Applies the result lines "K CODE REASON" (posthorn-local(8)) a batch
 * has written so far, each once.  An entry that still has deliveries in
 * flight is written now (settle_all writes only idle ones), so every
 * result is on disk before the batch is told to go on (batch_acks). */
static void batch_results(struct job *j)
{
	while (j->parsed < j->out.len) {
		char *p = j->out.s + j->parsed, *nl = memchr(p, '\n', j->out.len - j->parsed), *reason;
		unsigned long k, code;
		size_t a, b;
		struct entry *e;

		if (!nl) return;
		j->parsed = (size_t)(nl + 1 - j->out.s);
		*nl = 0;
		a = scan_ulong(p, &k);
		if (!a || p[a] != ' ' || k >= j->n || j->got[k]) continue;   /* garbled: the exit's fallback */
		b = scan_ulong(p + a + 1, &code);
		reason = p + a + 1 + b;
		if (!b || (*reason != ' ' && *reason)) continue;
		if (*reason) reason++;
		e = j->ents[k];
		apply_local_one(e, j->rcpt[k], code == EXIT_DONE || code == EXIT_PERM ? (int)code : EXIT_TEMP, reason);
		j->got[k] = 1;
		j->acks++;
		delivery_over(e, j->rcpt[k]);
		if (e->running) write_entry(e);
		/* the timeout is per delivery */
		j->deadline = now_s() + (long long)cfg->timeout;
	}
}

/* Tells each batch that its results are recorded: one byte per result,
 * and posthorn-local -a starts the next delivery only then, so a runner
 * killed at any instant repeats at most the delivery in flight.  Called
 * after settle_all has written what the results changed. */
static void batch_acks(void)
{
	static const char go[64] = {0};
	unsigned k;

	for (k = 0; k < njobs; k++) {
		struct job *j = jobs[k];
		while (j->batch && j->ackfd >= 0 && j->acks) {
			ssize_t w = write(j->ackfd, go, j->acks < sizeof go ? j->acks : sizeof go);
			if (w <= 0) {
				/* gone (EPIPE), or full, which a batch that reads a
				 * byte per delivery cannot make: it ends unacked */
				close(j->ackfd);
				j->ackfd = -1;
				break;
			}
			j->acks -= (unsigned)w;
		}
	}
}

/* The batch being filled by start_due: started when full or at the end of
 * the pass, so it holds only what is due now (nothing waits to fill one). */
static struct job *batch;

static void batch_start(void)
{
	struct job *j = batch;
	char **argv = calloc(6 + 3 * (size_t)j->n + 1, sizeof *argv);
	char (*fdnum)[16] = calloc(j->n, sizeof *fdnum);
	int ack[2] = {-1, -1};
	unsigned k;

	batch = 0;
	if (j->n == 1) {
		/* One delivery: the plain way, which costs no fork in
		 * posthorn-local (a delivery that arrives alone, the usual case
		 * of a runner that keeps up). */
		struct entry *e = j->ents[0];
		unsigned i = j->rcpt[0];
		delivery_over(e, i);
		running_local--;
		job_free(j);
		free(argv);
		free(fdnum);
		start_local(e, i);
		return;
	}
	if (!argv || !fdnum || pipe2(ack, O_CLOEXEC)) goto fail;
	argv[0] = cfg->local_prog.s;
	argv[1] = "-C";
	argv[2] = (char *)runq_conf_dir();
	argv[3] = "-ab";
	argv[4] = "--";
	for (k = 0; k < j->n; k++) {
		snprintf(fdnum[k], sizeof fdnum[k], "%d", j->fds[k]);
		argv[5 + 3 * k] = fdnum[k];
		argv[6 + 3 * k] = j->ents[k]->env.sender.s;
		argv[7 + 3 * k] = j->ents[k]->env.r[j->rcpt[k]].addr;
	}
	if (job_start_fds(j, argv, ack[0], j->fds, j->n, 0, cfg->timeout)) goto fail;
	close(ack[0]);
	fcntl(ack[1], F_SETFL, O_NONBLOCK);
	j->ackfd = ack[1];
	for (k = 0; k < j->n; k++) {
		close(j->fds[k]);
		j->fds[k] = -1;
	}
	free(argv);
	free(fdnum);
	return;
fail:
	log_event("error", "error", "unable to start posthorn-local", "errno", strerror(errno), (char *)0);
	if (ack[0] >= 0) close(ack[0]);
	if (ack[1] >= 0) close(ack[1]);
	for (k = 0; k < j->n; k++) {
		defer(j->ents[k], j->rcpt[k], status_reason(ST_LOCAL_START), 0);
		delivery_over(j->ents[k], j->rcpt[k]);
	}
	running_local--;
	job_free(j);
	free(argv);
	free(fdnum);
}

/* Adds local delivery i of e to the batch, opening one if a slot is free
 * (a batch is one running deliverer: concurrency-local counts processes). */
static void batch_add(struct entry *e, unsigned i)
{
	int fd;

	if (!batch) {
		struct job *j;
		size_t n = cfg->local_batch;
		if (running_local >= cfg->conc_local || !(j = job_new())) return;
		j->batch = 1;
		if (!(j->rcpt = calloc(n, sizeof *j->rcpt)) || !(j->ents = calloc(n, sizeof *j->ents)) ||
		    !(j->fds = calloc(n, sizeof *j->fds)) || !(j->got = calloc(n, 1))) {
			job_free(j);
			return;
		}
		batch = j;
		running_local++;
	}
	fd = open_msg(e);
	if (fd < 0) {
		log_event("error", "id", e->id, "error", "unable to open the message", "errno", strerror(errno), (char *)0);
		defer(e, i, status_reason(ST_OPEN_QUEUED), 0);
		return;
	}
	batch->ents[batch->n] = e;
	batch->rcpt[batch->n] = i;
	batch->fds[batch->n] = fd;
	batch->n++;
	e->inflight[i] = 1;
	e->running++;
	if (batch->n == cfg->local_batch) batch_start();
}

static void batch_flush(void)
{
	if (!batch) return;
	if (batch->n) {
		batch_start();
		return;
	}
	job_free(batch);
	batch = 0;
	running_local--;
}

static void finish_job(struct job *j)
{
	struct entry *e = j->e;
	int code;
	unsigned i;

	job_read(j);
	if (j->killed) {
		stralloc_copys(&j->out, status_reason(ST_DELIVERY_TIMEOUT));
		code = EXIT_TEMP;
	} else if (WIFEXITED(j->status))
		code = WEXITSTATUS(j->status) == EXIT_DONE || WEXITSTATUS(j->status) == EXIT_PERM ? WEXITSTATUS(j->status) : EXIT_TEMP;
	else {
		stralloc_copys(&j->out, status_reason(ST_DELIVERER_SIGNAL));
		code = EXIT_TEMP;
	}
	if (j->batch) {
		/* what it reported stands; the rest is retried */
		const char *why = j->killed ? status_reason(ST_DELIVERY_TIMEOUT) :
		                  WIFSIGNALED(j->status) ? status_reason(ST_DELIVERER_SIGNAL) : "";
		batch_results(j);
		for (i = 0; i < j->n; i++)
			if (!j->got[i]) {
				apply_local_one(j->ents[i], j->rcpt[i], EXIT_TEMP, why);
				delivery_over(j->ents[i], j->rcpt[i]);
			}
		running_local--;
		return;
	}
	if (j->remote) {
		apply_remote(j, code);
		running_remote--;
	} else {
		apply_local(j, code);
		running_local--;
	}
	for (i = 0; i < j->n; i++) e->inflight[j->rcpt[i]] = 0;
	e->running--;
	e->due = 0;
}

/* ---- entries that need writing, bouncing or removing ---- */

static void remove_entry_files(const struct entry *e)
{
	stralloc p = {0};
	if (msg_path(&p, e->id, ".env")) unlink(p.s);
	p.len = 0;
	if (msg_path(&p, e->id, ".msg")) unlink(p.s);
	stralloc_free(&p);
}

/* Writes e's .env back, unless an admin deleted the entry meanwhile. */
static int write_entry(struct entry *e)
{
	stralloc p = {0};
	int gone = msg_path(&p, e->id, ".env") && access(p.s, F_OK) && errno == ENOENT;

	stralloc_free(&p);
	if (gone) {
		e->gone = 1;
		return -1;
	}
	if (queue_env_write(cfg->qdir.s, e->id, &e->env)) {
		log_event("error", "id", e->id, "error", "unable to write the envelope", "errno", strerror(errno), (char *)0);
		return -1;
	}
	e->dirty = 0;
	return 0;
}

/* For an entry with no job running: bounce what failed, remove the entry
 * when nothing is pending, else write what changed.  1 if removed. */
static int settle(struct entry *e, int *injected)
{
	unsigned i, n = 0, open = 0, failed = 0;
	unsigned *idx = 0;

	for (i = 0; i < e->env.n; i++)
		if (e->env.r[i].state == QUEUE_FAILED) n++;
	if (n && now_s() >= e->settle_at && (idx = malloc(n * sizeof *idx))) {
		n = 0;
		for (i = 0; i < e->env.n; i++)
			if (e->env.r[i].state == QUEUE_FAILED) idx[n++] = i;
		/* The failures are on disk before the bounce goes out: a crash
		 * between the two repeats the bounce, never loses it. */
		if (!write_entry(e) && !bounce_send(cfg, e, idx, n)) {
			for (i = 0; i < n; i++) e->env.r[idx[i]].state = QUEUE_BOUNCED;
			e->dirty = 1;
			*injected = 1;
		} else if (!e->gone)
			e->settle_at = now_s() + (long long)cfg->retry_min;
		free(idx);
	}
	if (e->gone) return 1;
	for (i = 0; i < e->env.n; i++) {
		if (e->env.r[i].state == QUEUE_PENDING) open++;
		if (e->env.r[i].state == QUEUE_FAILED) failed++;
	}
	if (!open && !failed) {
		remove_entry_files(e);
		log_event("done", "id", e->id, (char *)0);
		return 1;
	}
	if (e->dirty) write_entry(e);
	if (failed) e->dirty = 1;   /* the bounce is still owed: try again at settle_at */
	return e->gone;
}

static void settle_all(int *injected, long long *next)
{
	unsigned k;

	for (k = 0; k < nentries;) {
		struct entry *e = entries[k];
		if (!e->running && (e->dirty || e->gone) && (e->gone || settle(e, injected))) {
			memmove(&entries[k], &entries[k + 1], (nentries - k - 1) * sizeof *entries);
			nentries--;
			entry_free(e);
			continue;
		}
		if (e->dirty && e->settle_at && e->settle_at < *next) *next = e->settle_at;
		k++;
	}
}

/* ---- start-up recovery ---- */

static void recover(void)
{
	stralloc dir = {0}, p = {0};
	DIR *d;
	struct dirent *de;
	struct stat st;
	long long now = now_s();

	if (queue_path(&dir, cfg->qdir.s, "tmp", "") && (d = opendir(dir.s))) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.') continue;
			if (!queue_path(&p, cfg->qdir.s, "tmp/", de->d_name)) continue;
			/* Our own temp files (r.*) are dead: we hold the runner lock.
			 * An injector's may belong to one still writing. */
			if (de->d_name[0] == 'r' || (!lstat(p.s, &st) && now - (long long)st.st_mtime > STALE_SECONDS)) {
				unlink(p.s);
				log_event("cleanup", "file", p.s, (char *)0);
			}
		}
		closedir(d);
	}
	if (queue_path(&dir, cfg->qdir.s, "q", "") && (d = opendir(dir.s))) {
		while ((de = readdir(d))) {
			size_t n = strlen(de->d_name);
			if (n < 5 || strcmp(de->d_name + n - 4, ".msg")) continue;
			if (!queue_path(&p, cfg->qdir.s, "q/", de->d_name)) continue;
			memcpy(p.s + p.len - 4, ".env", 4);
			if (!access(p.s, F_OK)) continue;
			memcpy(p.s + p.len - 4, ".msg", 4);
			/* ctime, not mtime: the injector's rename sets it, so a slow
			 * writer's message just renamed in is never taken for dead. */
			if (!lstat(p.s, &st) && now - (long long)st.st_ctime > ORPHAN_SECONDS) {
				unlink(p.s);
				log_event("cleanup", "file", p.s, "reason", "message without envelope", (char *)0);
			}
		}
		closedir(d);
	}
	stralloc_free(&dir);
	stralloc_free(&p);
}

/* ---- the loop ---- */

static void flush_all(void)
{
	unsigned k, i;
	for (k = 0; k < nentries; k++)
		for (i = 0; i < entries[k]->env.n; i++)
			if (entries[k]->env.r[i].state == QUEUE_PENDING) entries[k]->env.r[i].next = 0;
	for (k = 0; k < nentries; k++) entries[k]->due = 0;
}

static int open_fifo(int *keep)
{
	stralloc p = {0};
	int fd;

	if (!queue_path(&p, cfg->qdir.s, "", "trigger")) return -1;
	fd = open(p.s, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		/* A drain this big means a record may not have fitted. */
		int size = fcntl(fd, F_GETPIPE_SZ);
		if (size > QUEUE_ID_MAX + 2) fifo_full_at = (size_t)size - (QUEUE_ID_MAX + 2);
	}
	/* Our own writer keeps the FIFO from reporting EOF when injectors close. */
	*keep = fd >= 0 ? open(p.s, O_WRONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	stralloc_free(&p);
	return fd;
}

/* Drains the FIFO.  "nID\n" names a new entry; 'a' asks for a reread of
 * every entry, 'f' for a flush; any other byte for a listing of q/.  A
 * record can be split across reads, so its start is kept between calls; a
 * newline outside one means nothing.
 * Reading a FIFO's whole capacity means an injector may have found it
 * full and given up: then q/ is listed too. */
static void read_fifo(int fd)
{
	static char rec[QUEUE_ID_MAX + 2];
	static size_t reclen;     /* bytes of an "n..." record so far; 0 outside one */
	static int skipping;      /* in a record too long to be an id */
	char buf[4096];
	ssize_t r, i;
	size_t total = 0;

	while ((r = read(fd, buf, sizeof buf)) > 0) {
		total += (size_t)r;
		for (i = 0; i < r; i++) {
			char c = buf[i];
			if (reclen || skipping) {
				if (c == '\n') {
					if (!skipping && reclen > 1 && stralloc_catb(&new_ids, rec + 1, reclen - 1) &&
					    stralloc_0(&new_ids))
						want_new = 1;
					reclen = 0;
					skipping = 0;
				} else if (skipping || reclen == sizeof rec) {
					skipping = 1;
					reclen = 0;
					want_scan = 1;
				} else
					rec[reclen++] = c;
				continue;
			}
			if (c == 'n') {
				rec[0] = c;
				reclen = 1;
				continue;
			}
			if (c == '\n') continue;
			if (c == 'a') want_reload = 1;
			else if (c == 'f') want_reload = 2;
			want_scan = 1;
		}
	}
	if (total >= fifo_full_at) want_scan = 1;
}

int sched_run(struct config *c, int daemon, int flush)
{
	struct sigaction sa;
	struct pollfd *pfd;
	int fifo = -1, fifokeep = -1;
	long long lastscan = 0;

	cfg = c;
	jobs_init();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, 0);
	sigaction(SIGINT, &sa, 0);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, 0);
	pfd = calloc(JOBS_MAX + 2, sizeof *pfd);
	if (!pfd) return EXIT_TEMP;
	if (daemon) {
		fifo = open_fifo(&fifokeep);
		if (fifo < 0) log_event("warning", "error", "unable to open the trigger FIFO", "errno", strerror(errno), (char *)0);
		log_event("start", "mode", "daemon", (char *)0);
	}
	recover();
	want_scan = 1;
	for (;;) {
		long long now = now_s(), next;
		int injected = 0, timeout;
		unsigned n = 0, k;

		if (runq_hup) {
			/* all or nothing: a reload that fails keeps the old settings */
			struct config fresh = {0};
			runq_hup = 0;
			if (runq_load_config(&fresh)) {
				runq_free_config(&fresh);
				log_event("warning", "error", "config not reloaded", (char *)0);
			} else {
				runq_free_config(cfg);
				*cfg = fresh;
				log_event("config", "result", "reloaded", (char *)0);
			}
		}
		if (want_scan || (daemon && now - lastscan >= RESCAN_SECONDS)) {
			scan(want_reload != 0);
			if (want_reload == 2) flush = 1;
			want_scan = want_reload = want_new = 0;
			new_ids.len = 0;   /* the listing found them */
			lastscan = now;
		} else if (want_new) {
			want_new = 0;
			load_new();
		}
		if (flush) {
			flush_all();
			flush = 0;
		}
		next = start_due(now, runq_term);
		settle_all(&injected, &next);
		if (injected) {
			want_scan = 1;   /* bounces we just queued are due now */
			continue;
		}
		/* A pass ends when no job runs: all that was due has been tried. */
		if (!njobs && (runq_term || !daemon)) break;
		pfd[n].fd = jobs_selfpipe();
		pfd[n++].events = POLLIN;
		if (fifo >= 0) {
			pfd[n].fd = fifo;
			pfd[n++].events = POLLIN;
		}
		for (k = 0; k < njobs; k++)
			if (jobs[k]->outfd >= 0) {
				pfd[n].fd = jobs[k]->outfd;
				pfd[n++].events = POLLIN;
			}
		timeout = (int)((next - now_s()) * 1000);
		if (njobs && timeout > 1000) timeout = 1000;   /* deadlines of jobs */
		if (timeout < 0) timeout = 0;
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			log_event("fatal", "error", "poll failed", "errno", strerror(errno), (char *)0);
			return EXIT_TEMP;
		}
		if (fifo >= 0) read_fifo(fifo);
		for (k = 0; k < njobs; k++) {
			if (jobs[k]->outfd >= 0) job_read(jobs[k]);
			if (jobs[k]->batch) batch_results(jobs[k]);
		}
		jobs_reap();
		jobs_kill_overdue(now_s());
		for (k = 0; k < njobs;) {
			if (jobs[k]->exited) {
				struct job *j = jobs[k];
				finish_job(j);
				jobs[k] = jobs[--njobs];
				job_free(j);
				continue;
			}
			k++;
		}
		/* Record what finished before anything else (a scan, new jobs):
		 * a runner killed now repeats only the deliveries in flight. */
		{
			long long far = now_s() + RESCAN_SECONDS;
			settle_all(&injected, &far);
			if (injected) want_scan = 1;
			batch_acks();
		}
	}
	{
		int dummy = 0;
		long long far = now_s() + RESCAN_SECONDS;
		settle_all(&dummy, &far);
	}
	if (daemon) log_event("stop", (char *)0);
	return EXIT_DONE;
}
