/*
 * bounce: sends the bounce owed for an entry's failed recipients, through
 * the injector (lib/inject) like any other message (see posthorn-runq(8),
 * BOUNCES):
 *   - sender not null: an RFC 3464 report to the sender, from <>;
 *   - null sender (the entry is itself a bounce): a double bounce to
 *     doublebounceto, also from <>;
 *   - null sender and the failed recipient is doublebounceto itself: the
 *     failure is logged and dropped, so bounces never loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "bounce.h"
#include "exitcode.h"
#include "inject.h"
#include "log.h"
#include "runq.h"
#include "status.h"

/* Seconds the injector may go without progress: the runner waits for it,
 * so a hung filter must not hold the whole queue. */
#define BOUNCE_INJECT_TIMEOUT 600

/* Injects the file at path (a bounce we wrote) from <> to one recipient,
 * through lib/inject like every message.  0 when it was queued. */
static int inject(const char *path, const char *to, const char *id)
{
	static struct inject q;
	struct inject_result r;
	int msgfd = open(path, O_RDONLY | O_CLOEXEC);

	if (msgfd < 0) return -1;
	if (inject_open(&q, msgfd, BOUNCE_INJECT_TIMEOUT)) {
		log_event("bounce", "id", id, "to", to, "result", "failed", "reason", strerror(errno), (char *)0);
		close(msgfd);
		return -1;
	}
	close(msgfd);   /* the injector has its own copy as fd 0 */
	inject_sign(&q);   /* our own mail: signed when the bounce's From domain has keys */
	inject_from(&q, "");
	inject_to(&q, to);
	inject_close(&q, &r);
	if (r.exit == EXIT_DONE) {
		log_event("bounce", "id", id, "to", to, "result", r.line, (char *)0);
		return 0;
	}
	log_event("bounce", "id", id, "to", to, "result", "failed", "reason", r.line[0] ? r.line : r.text, (char *)0);
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
		br[m].expired = !strncmp(r->reason.s, ESC_EXPIRED, sizeof ESC_EXPIRED - 1);
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
	rc = inject(tmp.s, dbl ? c->doublebounceto.s : e->env.sender.s, e->id);
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
