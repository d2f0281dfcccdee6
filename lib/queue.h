#ifndef QUEUE_H
#define QUEUE_H
/*
 * The queue dir (see posthorn-queue(8), posthorn-runq(8)):
 *
 *     QUEUEDIR/tmp/        files being written (injector: "i.ID.*", runner: "r.*")
 *     QUEUEDIR/q/ID.msg    the message, immutable once committed
 *     QUEUEDIR/q/ID.env    envelope and per-recipient state, replaced by rename
 *     QUEUEDIR/trigger     FIFO: wakes the runner; the injector writes
 *                          "nID\n" (one atomic write), the admin tools one
 *                          byte ('a' reread all, 'f' flush)
 *     QUEUEDIR/lock        flock'ed by the one running runner
 *
 * An entry exists from the moment ID.env is in q/ (the injector renames the
 * message in first, so a visible .env always has its .msg).  The .env file
 * is text, one field per line, tab-separated, so an admin can read it:
 *
 *     posthorn-env 1
 *     created <unix seconds>
 *     size <bytes of the message>
 *     sender <address, empty for <>>
 *     rcpt <state> <tries> <next try, unix> <address> <last reason>
 *
 * Addresses hold no tab or control byte (RFC 5321 forbids them even in
 * quoted local parts); reasons are cleaned of them before they are stored.
 * Records are bounded by QUEUE_ENV_MAX bytes and QUEUE_RCPT_MAX recipients.
 */
#include <stddef.h>
#include <stralloc.h>

#define QUEUE_DEFAULT_DIR "/var/spool/posthorn"
#define QUEUE_RCPT_MAX 10000              /* hard cap; maxrcpt may lower it */
#define QUEUE_REASON_MAX 1000             /* bytes of a stored reason */
#define QUEUE_ENV_MAX (16 * 1024 * 1024)  /* bytes of a .env file */
#define QUEUE_ID_MAX 200

enum queue_state {
	QUEUE_PENDING = 0,  /* to be delivered (now or at next) */
	QUEUE_DONE,         /* delivered */
	QUEUE_FAILED,       /* failed for good; a bounce is owed */
	QUEUE_BOUNCED       /* failed, and the bounce is queued (or not owed) */
};

struct queue_rcpt {
	char *addr;                /* malloc'ed, NUL-terminated */
	enum queue_state state;
	unsigned tries;            /* temporary failures so far */
	long long next;            /* unix time of the next attempt */
	stralloc reason;           /* last reason, NUL-terminated ("" if none) */
};

struct queue_env {
	long long created;
	unsigned long long size;
	stralloc sender;           /* NUL-terminated; "" = null sender */
	unsigned n;                /* recipients */
	struct queue_rcpt *r;
};

/* Frees what queue_env_parse allocated and zeroes *e. */
void queue_env_free(struct queue_env *e);

/* Parses the text of a .env file.  0, or -1 with *why set to a static
 * English reason (a corrupt or foreign file). */
int queue_env_parse(struct queue_env *e, const char *buf, size_t len, const char **why);

/* Appends the text of e to out.  0 on ENOMEM. */
int queue_env_format(stralloc *out, const struct queue_env *e);

/* Adds a recipient (pending, no tries).  0 on ENOMEM or above QUEUE_RCPT_MAX. */
int queue_env_add(struct queue_env *e, const char *addr, long long next);

/* Sets a recipient's reason, cut at QUEUE_REASON_MAX and with tabs and
 * control bytes written as spaces.  0 on ENOMEM. */
int queue_set_reason(struct queue_rcpt *r, const char *reason);

/* out = "QDIR/SUB/NAME", NUL-terminated.  0 on ENOMEM. */
int queue_path(stralloc *out, const char *qdir, const char *sub, const char *name);

/* Creates tmp/, q/ and the trigger FIFO if missing (mode 0700/0600).
 * 0 or -1. */
int queue_make_dirs(const char *qdir);

/* Reads q/ID.env into *e.  0; -1 with errno (ENOENT: no such entry; EINVAL:
 * corrupt, *why says how). */
int queue_env_read(const char *qdir, const char *id, struct queue_env *e, const char **why);

/* Replaces q/ID.env durably: tmp/r.ID.env, fsync, rename, fsync q/.  0 or -1. */
int queue_env_write(const char *qdir, const char *id, const struct queue_env *e);

/* Is name a well-formed entry id (no '/', no leading '.', bounded)? */
int queue_id_ok(const char *id);

/* Writes one byte into the trigger FIFO without blocking; silent when no
 * runner listens. */
void queue_trigger(const char *qdir, char byte);

/* Tells a running runner that entry id was just committed: "nID\n" into
 * the FIFO in one write (atomic: an id is shorter than PIPE_BUF), so the
 * runner loads that entry instead of listing q/.  Without blocking and
 * silent like queue_trigger; a runner that finds its FIFO full looks at
 * the whole queue, so a record that did not fit is not lost. */
void queue_trigger_id(const char *qdir, const char *id);

/* "pending", "done", "failed", "bounced". */
const char *queue_state_name(enum queue_state s);
#endif
