/*
 * Content scanning before the reply to the end of data (posthorn-smtpd(8),
 * "Content scanning"; its place in the chain is in posthorn(7)).
 *
 * While DATA or BDAT streams the text to the injector, a copy goes into a
 * memfd (anonymous memory, never a file on disk; one per connection,
 * emptied for each message).  A message over scan-maxsize is not copied:
 * it is passed unscanned with a mark.  At the end of data, after the
 * sender checks and before the injector gets its envelope:
 *
 *   clamd    (all mail, ours too: an outbound virus is refused as an
 *            inbound one) an infected message is refused, 554 5.7.1
 *            naming the signature;
 *   rspamd   (mail from outside only: not AUTH, not RELAYCLIENT) reject
 *            is 554 5.7.1 with rspamd's own text; soft reject and
 *            greylist 451 4.7.1; add header and rewrite subject put
 *            X-Spam-Status: Yes and X-Posthorn-Junk on the message (so
 *            posthorn-local files it as junk); no action puts
 *            X-Spam-Status: No.
 *
 * A refused message is never queued: the caller abandons the injector
 * before it has seen an envelope.  A scanner that is down, too slow
 * (scan-timeout, per scanner) or says what we cannot read is handled by
 * scan-failure: tempfail (451 4.7.0, the client retries) or pass (queued
 * with X-Posthorn-Scan saying what failed).  The marks go to the injector
 * as the H item (lib/inject's inject_prepend), like Authentication-Results.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "clamd.h"
#include "conf.h"
#include "log.h"
#include "reply.h"
#include "rspamd.h"
#include "scanconn.h"
#include "smtpd.h"

int scan_enabled(const struct session *s)
{
	return s->conf->clamd.len > 1 || s->conf->rspamd.len > 1;
}

int scan_incoming(const struct session *s)
{
	return !s->auth_user.len && !s->conf->relayclient;
}

static int use_rspamd(const struct session *s)
{
	return s->conf->rspamd.len > 1 && scan_incoming(s);
}

static int use_clamd(const struct session *s)
{
	return s->conf->clamd.len > 1;
}

/* An address setting: empty or missing is off; stored NUL-terminated. */
static int address(const char *name, stralloc *sa)
{
	if (conf_line(name, sa, "") < 0) return -1;
	if (sa->len > SCANCONN_ADDR_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return stralloc_0(sa) ? 0 : -1;
}

int scan_config(struct smtpd_conf *c, const char **bad)
{
	stralloc line = {0};
	unsigned long v;

	*bad = "rspamd";
	if (address("rspamd", &c->rspamd) < 0) return -1;
	*bad = "clamd";
	if (address("clamd", &c->clamd) < 0) return -1;
	*bad = "scan-timeout";
	if (conf_ulong("scan-timeout", &v, SMTPD_SCAN_TIMEOUT_DEFAULT) < 0) return -1;
	c->scan_timeout = v < 1 ? 1 : v > 3600 ? 3600 : v;
	*bad = "scan-maxsize";
	if (conf_ulong("scan-maxsize", &c->scan_maxsize, SMTPD_SCAN_MAXSIZE_DEFAULT) < 0) return -1;
	*bad = "scan-failure";
	if (conf_line("scan-failure", &line, "tempfail") < 0) return -1;
	c->scan_pass = line.len == 4 && !memcmp(line.s, "pass", 4);
	stralloc_free(&line);
	return 0;
}

void scan_begin(struct session *s)
{
	struct scan *sc = &s->scan;

	sc->keep = 0;
	sc->broken = 0;
	sc->size = 0;
	sc->log[0] = 0;
	if (!use_clamd(s) && !use_rspamd(s)) return;
	if (sc->fd <= 0) {   /* 0: not made yet (fd 0 is the client) */
		sc->fd = memfd_create("posthorn-scan", MFD_CLOEXEC);
		if (sc->fd < 0) {
			sc->fd = -1;
			sc->broken = 1;
			return;
		}
	} else if (ftruncate(sc->fd, 0) || lseek(sc->fd, 0, SEEK_SET) < 0) {
		sc->broken = 1;
		return;
	}
	sc->keep = 1;
}

void scan_data(struct session *s, const char *buf, size_t len)
{
	struct scan *sc = &s->scan;

	sc->size += len;
	if (!sc->keep) return;
	if (sc->size > s->conf->scan_maxsize) {
		/* too big to scan: the memory goes back at once */
		sc->keep = 0;
		if (ftruncate(sc->fd, 0)) sc->broken = 1;
		return;
	}
	while (len) {
		ssize_t w = write(sc->fd, buf, len);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) {
			sc->keep = 0;
			sc->broken = 1;
			return;
		}
		buf += w, len -= (size_t)w;
	}
}

static void note(struct scan *sc, const char *text)
{
	size_t n = strlen(sc->log);

	snprintf(sc->log + n, sizeof sc->log - n, "%s%s", n ? " " : "", text);
}

/* A failed scanner under scan-failure: R_SCAN_TEMP, or R_NONE with the
 * X-Posthorn-Scan mark added to head. */
static int failed(struct session *s, const char *scanner, const char *why, stralloc *head)
{
	char t[128];

	snprintf(t, sizeof t, "%s-failed", scanner);
	note(&s->scan, t);
	log_event("scan", "scanner", scanner, "error", why ? why : "?", "client", s->peer.remote_ip,
	          "result", s->conf->scan_pass ? "passed" : "tempfail", (char *)0);
	if (!s->conf->scan_pass) return R_SCAN_TEMP;
	if (!stralloc_cats(head, "X-Posthorn-Scan: ") || !stralloc_cats(head, scanner) ||
	    !stralloc_cats(head, " failed: ") || !stralloc_cats(head, why ? why : "?") || !stralloc_cats(head, "\n"))
		return R_QUEUE_TEMP;
	return R_NONE;
}

static int skipped(struct session *s, const char *scanner, stralloc *head)
{
	char field[96], mark[32];

	snprintf(field, sizeof field, "X-Posthorn-Scan: %s skipped: size %llu\n", scanner, s->scan.size);
	snprintf(mark, sizeof mark, "%s-skipped", scanner);
	note(&s->scan, mark);
	log_event("scan", "scanner", scanner, "result", "skipped, message too big", (char *)0);
	return stralloc_cats(head, field) ? R_NONE : R_QUEUE_TEMP;
}

static int rewind_copy(struct session *s)
{
	return lseek(s->scan.fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

static int clamd(struct session *s, stralloc *detail, stralloc *head)
{
	struct clamd_result r;
	char t[CLAMD_NAME_MAX + 16];

	if (rewind_copy(s)) return failed(s, "clamd", "cannot read the copy", head);
	clamd_scan(s->conf->clamd.s, s->scan.fd, (unsigned)s->conf->scan_timeout, &r);
	switch (r.status) {
	case CLAMD_CLEAN:
		note(&s->scan, "clamd-clean");
		return R_NONE;
	case CLAMD_INFECTED:
		snprintf(t, sizeof t, "virus=%s", r.name);
		note(&s->scan, t);
		if (!stralloc_copys(detail, r.name) || !stralloc_0(detail)) detail->len = 0;
		return R_SCAN_VIRUS;
	case CLAMD_TOOBIG:
		return skipped(s, "clamd", head);
	default:
		return failed(s, "clamd", r.why, head);
	}
}

static int rspamd(struct session *s, stralloc *detail, stralloc *head)
{
	struct rspamd_result r;
	struct rspamd_query q;
	char t[256];
	int yes;

	if (rewind_copy(s)) return failed(s, "rspamd", "cannot read the copy", head);
	memset(&q, 0, sizeof q);
	q.from = s->tx.sender.s;
	q.rcpts = s->tx.rcpts.s;
	q.nrcpt = s->tx.nrcpt;
	q.ip = s->peer.remote_ip[0] ? s->peer.remote_ip : 0;
	q.helo = s->helo_name.len ? s->helo_name.s : 0;
	q.hostname = s->peer.remote_host[0] ? s->peer.remote_host : 0;
	q.user = s->auth_user.len ? s->auth_user.s : 0;
	if (rspamd_check(s->conf->rspamd.s, &q, s->scan.fd, s->scan.size, (unsigned)s->conf->scan_timeout, &r) < 0)
		return failed(s, "rspamd", r.why, head);
	snprintf(t, sizeof t, "rspamd=%.2f/%s", r.score, r.action_name);
	note(&s->scan, t);
	switch (r.action) {
	case RSPAMD_REJECT:
		if (!stralloc_copys(detail, r.message[0] ? r.message : "spam") || !stralloc_0(detail)) detail->len = 0;
		return R_SCAN_SPAM;
	case RSPAMD_SOFT_REJECT:
	case RSPAMD_GREYLIST:
		if (!stralloc_copys(detail, r.message[0] ? r.message : r.action_name) || !stralloc_0(detail))
			detail->len = 0;
		return R_SCAN_DEFER;
	default:
		break;
	}
	yes = r.action == RSPAMD_ADD_HEADER || r.action == RSPAMD_REWRITE_SUBJECT;
	snprintf(t, sizeof t, "X-Spam-Status: %s, score=%.2f required=%.2f action=\"%s\" (rspamd)\n", yes ? "Yes" : "No",
	         r.score, r.required, r.action_name);
	if (!stralloc_cats(head, t)) return R_QUEUE_TEMP;
	if (yes) {
		snprintf(t, sizeof t, "X-Posthorn-Junk: rspamd action=\"%s\" score=%.2f\n", r.action_name, r.score);
		if (!stralloc_cats(head, t)) return R_QUEUE_TEMP;
	}
	return R_NONE;
}

int scan_end(struct session *s, stralloc *detail)
{
	static stralloc head;
	struct scan *sc = &s->scan;
	int r = R_NONE;

	if (!use_clamd(s) && !use_rspamd(s)) return R_NONE;
	head.len = 0;
	detail->len = 0;
	if (sc->size > s->conf->scan_maxsize) {
		if (use_clamd(s)) r = skipped(s, "clamd", &head);
		if (r == R_NONE && use_rspamd(s)) r = skipped(s, "rspamd", &head);
	} else if (sc->broken) {
		if (use_clamd(s)) r = failed(s, "clamd", "cannot keep a copy of the message", &head);
		if (r == R_NONE && use_rspamd(s)) r = failed(s, "rspamd", "cannot keep a copy of the message", &head);
	} else {
		if (use_clamd(s)) r = clamd(s, detail, &head);
		if (r == R_NONE && use_rspamd(s)) r = rspamd(s, detail, &head);
	}
	if (sc->fd > 0 && ftruncate(sc->fd, 0)) sc->broken = 1;   /* the memory back before the queue */
	if (r != R_NONE) return r;
	if (head.len && inject_prepend(&s->inj, head.s, head.len) < 0 && errno != E2BIG) return R_QUEUE_TEMP;
	return R_NONE;
}
