/*
 * queue: the queue dir's layout and its .env files; contract in queue.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fmt.h>
#include <scan.h>
#include "durable.h"
#include "queue.h"

static const char *const state_names[] = {"pending", "done", "failed", "bounced"};

const char *queue_state_name(enum queue_state s)
{
	return (unsigned)s < 4 ? state_names[s] : "?";
}

void queue_env_free(struct queue_env *e)
{
	unsigned i;

	for (i = 0; i < e->n; i++) {
		free(e->r[i].addr);
		stralloc_free(&e->r[i].reason);
	}
	free(e->r);
	stralloc_free(&e->sender);
	memset(e, 0, sizeof *e);
}

int queue_set_reason(struct queue_rcpt *r, const char *reason)
{
	size_t i, n = strlen(reason);

	if (n > QUEUE_REASON_MAX) n = QUEUE_REASON_MAX;
	if (!stralloc_copyb(&r->reason, reason, n) || !stralloc_0(&r->reason)) return 0;
	r->reason.len--;
	for (i = 0; i < n; i++)
		if ((unsigned char)r->reason.s[i] < 32 || r->reason.s[i] == 127) r->reason.s[i] = ' ';
	return 1;
}

int queue_env_add(struct queue_env *e, const char *addr, long long next)
{
	struct queue_rcpt *r;

	if (e->n >= QUEUE_RCPT_MAX) return 0;
	/* Grow in steps of powers of two: envelopes are built one rcpt at a time. */
	if ((e->n & (e->n - 1)) == 0) {
		unsigned cap = e->n ? e->n * 2 : 1;
		r = realloc(e->r, cap * sizeof *r);
		if (!r) return 0;
		e->r = r;
	}
	r = &e->r[e->n];
	memset(r, 0, sizeof *r);
	if (!(r->addr = strdup(addr))) return 0;
	if (!stralloc_copys(&r->reason, "") || !stralloc_0(&r->reason)) {
		free(r->addr);
		return 0;
	}
	r->reason.len = 0;
	r->next = next;
	e->n++;
	return 1;
}

/* Splits line at tabs into at most max fields (the last one takes the rest). */
static unsigned split_tabs(char *line, char **f, unsigned max)
{
	unsigned n = 0;

	f[n++] = line;
	while (n < max) {
		char *t = strchr(line, '\t');
		if (!t) break;
		*t = 0;
		line = t + 1;
		f[n++] = line;
	}
	return n;
}

static int scan_ll_all(const char *s, long long *out)
{
	unsigned long long v;
	size_t n = scan_ulonglong(s, &v);

	if (!n || s[n] || v > (unsigned long long)1 << 62) return 0;
	*out = (long long)v;
	return 1;
}

static int parse_rcpt(struct queue_env *e, char *line, const char **why)
{
	char *f[5];
	long long tries, next;
	unsigned st;
	struct queue_rcpt *r;

	if (split_tabs(line, f, 5) != 5) return *why = "short rcpt line", -1;
	for (st = 0; st < 4; st++)
		if (!strcmp(f[0], state_names[st])) break;
	if (st == 4) return *why = "unknown recipient state", -1;
	if (!scan_ll_all(f[1], &tries) || tries > 1000000 || !scan_ll_all(f[2], &next))
		return *why = "bad number in rcpt line", -1;
	if (!*f[3] || strlen(f[3]) > 1000) return *why = "bad recipient address", -1;
	if (!queue_env_add(e, f[3], next)) return *why = e->n >= QUEUE_RCPT_MAX ? "too many recipients" : "out of memory", -1;
	r = &e->r[e->n - 1];
	r->state = (enum queue_state)st;
	r->tries = (unsigned)tries;
	if (!queue_set_reason(r, f[4])) return *why = "out of memory", -1;
	return 0;
}

int queue_env_parse(struct queue_env *e, const char *buf, size_t len, const char **why)
{
	stralloc copy = {0};
	char *p, *end, *nl, *f[2];
	int have_created = 0, have_size = 0, have_sender = 0, rc = -1;
	long long v;

	memset(e, 0, sizeof *e);
	*why = "out of memory";
	if (len > QUEUE_ENV_MAX) return *why = "file too large", -1;
	if (memchr(buf, 0, len)) return *why = "NUL byte", -1;
	if (!stralloc_copyb(&copy, buf, len) || !stralloc_0(&copy)) return -1;
	p = copy.s;
	end = copy.s + len;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || (size_t)(nl - p) != 14 || memcmp(p, "posthorn-env 1", 14)) {
		*why = "not a posthorn-env 1 file";
		goto out;
	}
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) { *why = "last line not terminated"; goto out; }
		*nl = 0;
		if (!strncmp(p, "rcpt\t", 5)) {
			if (parse_rcpt(e, p + 5, why)) goto out;
			continue;
		}
		if (split_tabs(p, f, 2) != 2) { *why = "line without a tab"; goto out; }
		if (!strcmp(f[0], "created") && scan_ll_all(f[1], &v)) {
			e->created = v;
			have_created = 1;
		} else if (!strcmp(f[0], "size") && scan_ll_all(f[1], &v)) {
			e->size = (unsigned long long)v;
			have_size = 1;
		} else if (!strcmp(f[0], "sender") && strlen(f[1]) <= 1000) {
			if (!stralloc_copys(&e->sender, f[1]) || !stralloc_0(&e->sender)) goto out;
			e->sender.len--;
			have_sender = 1;
		} else {
			*why = "unknown or malformed field";
			goto out;
		}
	}
	if (!have_created || !have_size || !have_sender) { *why = "missing field"; goto out; }
	if (!e->n) { *why = "no recipients"; goto out; }
	rc = 0;
out:
	stralloc_free(&copy);
	if (rc) queue_env_free(e);
	return rc;
}

static int cat_num(stralloc *out, unsigned long long v)
{
	char num[FMT_ULONG + 4] = {0};
	return stralloc_catb(out, num, fmt_ulonglong(num, v));
}

int queue_env_format(stralloc *out, const struct queue_env *e)
{
	unsigned i;

	if (!stralloc_cats(out, "posthorn-env 1\ncreated\t") || !cat_num(out, (unsigned long long)e->created) ||
	    !stralloc_cats(out, "\nsize\t") || !cat_num(out, e->size) ||
	    !stralloc_cats(out, "\nsender\t") || !stralloc_catb(out, e->sender.s, e->sender.len) ||
	    !stralloc_cats(out, "\n"))
		return 0;
	for (i = 0; i < e->n; i++) {
		const struct queue_rcpt *r = &e->r[i];
		if (!stralloc_cats(out, "rcpt\t") || !stralloc_cats(out, queue_state_name(r->state)) ||
		    !stralloc_cats(out, "\t") || !cat_num(out, r->tries) ||
		    !stralloc_cats(out, "\t") || !cat_num(out, (unsigned long long)(r->next < 0 ? 0 : r->next)) ||
		    !stralloc_cats(out, "\t") || !stralloc_cats(out, r->addr) ||
		    !stralloc_cats(out, "\t") || !stralloc_catb(out, r->reason.s, r->reason.len) ||
		    !stralloc_cats(out, "\n"))
			return 0;
	}
	return 1;
}

int queue_path(stralloc *out, const char *qdir, const char *sub, const char *name)
{
	return stralloc_copys(out, qdir) && stralloc_cats(out, "/") && stralloc_cats(out, sub) &&
	       stralloc_cats(out, name) && stralloc_0(out) && (out->len--, 1);
}

int queue_id_ok(const char *id)
{
	size_t n = strlen(id);
	return n && n <= QUEUE_ID_MAX && id[0] != '.' && !strchr(id, '/');
}

/* Creates QDIR/SUB (a FIFO when fifo) if missing.  Made by root (the
 * runner after an upgrade), it is given to the queue dir's owner, so the
 * injector, which runs as that owner, can use it. */
static int make_node(const char *qdir, const char *sub, int fifo)
{
	stralloc p = {0};
	struct stat st;
	int rc;

	if (!queue_path(&p, qdir, sub, "")) return -1;
	rc = fifo ? mkfifo(p.s, 0600) : mkdir(p.s, 0700);
	if (!rc && geteuid() == 0 && !stat(qdir, &st) && st.st_uid != 0 && chown(p.s, st.st_uid, st.st_gid)) rc = -1;
	else if (rc && errno == EEXIST) rc = 0;
	stralloc_free(&p);
	return rc;
}

int queue_make_dirs(const char *qdir)
{
	if (mkdir(qdir, 0700) && errno != EEXIST) return -1;
	return make_node(qdir, "tmp", 0) || make_node(qdir, "q", 0) || make_node(qdir, "trigger", 1) ? -1 : 0;
}

int queue_env_read(const char *qdir, const char *id, struct queue_env *e, const char **why)
{
	stralloc path = {0}, text = {0};
	char buf[8192];
	int fd, rc = -1;
	ssize_t r;

	*why = "";
	if (!queue_path(&path, qdir, "q/", id) || !stralloc_cats(&path, ".env") || !stralloc_0(&path)) return -1;
	fd = open(path.s, O_RDONLY | O_CLOEXEC);
	stralloc_free(&path);
	if (fd < 0) return -1;
	while ((r = read(fd, buf, sizeof buf)) != 0) {
		if (r < 0) {
			if (errno == EINTR) continue;
			goto out;
		}
		if (text.len + (size_t)r > QUEUE_ENV_MAX || !stralloc_catb(&text, buf, (size_t)r)) {
			errno = text.len + (size_t)r > QUEUE_ENV_MAX ? EFBIG : ENOMEM;
			goto out;
		}
	}
	if (queue_env_parse(e, text.s ? text.s : "", text.len, why)) {
		errno = EINVAL;
		goto out;
	}
	rc = 0;
out:
	close(fd);
	stralloc_free(&text);
	return rc;
}

int queue_env_write(const char *qdir, const char *id, const struct queue_env *e)
{
	stralloc text = {0}, tmp = {0}, dst = {0}, qd = {0};
	char num[FMT_ULONG];
	int fd = -1, rc = -1, saved;

	if (!queue_env_format(&text, e)) goto out;
	if (!queue_path(&tmp, qdir, "tmp/r.", id) || !stralloc_cats(&tmp, ".") ||
	    !stralloc_catb(&tmp, num, fmt_ulong(num, (unsigned long)getpid())) || !stralloc_0(&tmp))
		goto out;
	if (!queue_path(&dst, qdir, "q/", id) || !stralloc_cats(&dst, ".env") || !stralloc_0(&dst)) goto out;
	if (!queue_path(&qd, qdir, "q", "")) goto out;
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) goto out;
	if (durable_writeall(fd, text.s, text.len) || fsync(fd)) goto fail;
	if (close(fd)) { fd = -1; goto fail; }
	fd = -1;
	if (rename(tmp.s, dst.s)) goto fail;
	if (durable_sync_dir(qd.s)) goto out;
	rc = 0;
	goto out;
fail:
	saved = errno;
	if (fd >= 0) close(fd);
	fd = -1;
	unlink(tmp.s);
	errno = saved;
out:
	saved = errno;
	stralloc_free(&text);
	stralloc_free(&tmp);
	stralloc_free(&dst);
	stralloc_free(&qd);
	errno = saved;
	return rc;
}

/* One write of len bytes into the FIFO, without blocking. */
static void trigger_write(const char *qdir, const char *buf, size_t len)
{
	stralloc p = {0};
	int fd;

	if (!queue_path(&p, qdir, "", "trigger")) return;
	/* O_NONBLOCK: without a reader the open fails with ENXIO at once; with a
	 * reader whose FIFO is full, the write fails with EAGAIN.  Either way the
	 * runner has been told or will look on its timer (a full FIFO makes it
	 * list the whole queue). */
	fd = open(p.s, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	stralloc_free(&p);
	if (fd < 0) return;
	if (write(fd, buf, len) < 0) { /* nothing to do: see above */ }
	close(fd);
}

void queue_trigger(const char *qdir, char byte)
{
	trigger_write(qdir, &byte, 1);
}

void queue_trigger_id(const char *qdir, const char *id)
{
	char rec[QUEUE_ID_MAX + 3];
	size_t n = strlen(id);

	if (!queue_id_ok(id) || n + 2 > sizeof rec) return;
	rec[0] = 'n';
	memcpy(rec + 1, id, n);
	rec[n + 1] = '\n';
	trigger_write(qdir, rec, n + 2);
}
