/* uidlist: the per-folder UID list of posthorn-imapd; see uidlist.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "durable.h"
#include "maillock.h"
#include "path.h"
#include "uidlist.h"

#define UIDLIST_FILE_MAX (256UL << 20)

static uint32_t hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	while (len--) h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static const char *name_of(const struct uidlist *l, unsigned long i)
{
	return l->names.s + l->r[i].name;
}

static int index_put(struct uidlist *l, unsigned long i)
{
	const char *n = name_of(l, i);
	unsigned long mask = l->idxcap - 1, h = hash(n, strlen(n)) & mask;
	while (l->idx[h]) h = (h + 1) & mask;
	l->idx[h] = (uint32_t)(i + 1);
	return 0;
}

static int index_grow(struct uidlist *l, unsigned long want)
{
	unsigned long cap = 64, i;
	uint32_t *idx;

	while (cap < want * 2) cap *= 2;
	if (cap <= l->idxcap) return 0;
	idx = calloc(cap, sizeof *idx);
	if (!idx) return -1;
	free(l->idx);
	l->idx = idx;
	l->idxcap = cap;
	for (i = 0; i < l->n; i++) index_put(l, i);
	return 0;
}

uint32_t uidlist_find(const struct uidlist *l, const char *name, size_t len)
{
	unsigned long mask, h;

	if (!l->idxcap) return 0;
	mask = l->idxcap - 1;
	h = hash(name, len) & mask;
	while (l->idx[h]) {
		unsigned long i = l->idx[h] - 1;
		const char *n = name_of(l, i);
		if (!strncmp(n, name, len) && !n[len]) return l->r[i].uid;
		h = (h + 1) & mask;
	}
	return 0;
}

static int add_rec(struct uidlist *l, uint32_t uid, const char *name, size_t len)
{
	if (!len || len > UIDLIST_NAME_MAX || memchr(name, 0, len) || memchr(name, '/', len)) {
		errno = EINVAL;
		return -1;
	}
	if (l->n == l->cap) {
		unsigned long cap = l->cap ? l->cap * 2 : 256;
		struct uidlist_rec *r = realloc(l->r, cap * sizeof *r);
		if (!r) return -1;
		l->r = r;
		l->cap = cap;
	}
	if (l->names.len > 0xffffff00UL) { errno = ENOMEM; return -1; }
	l->r[l->n].uid = uid;
	l->r[l->n].name = (uint32_t)l->names.len;
	if (!stralloc_catb(&l->names, name, len) || !stralloc_0(&l->names)) { errno = ENOMEM; return -1; }
	if (index_grow(l, l->n + 1) < 0) return -1;
	index_put(l, l->n);
	l->n++;
	return 0;
}

static int num(const char **p, const char *end, uint32_t *out)
{
	unsigned long long v = 0;
	const char *q = *p;
	if (q >= end || *q < '0' || *q > '9') return -1;
	while (q < end && *q >= '0' && *q <= '9') {
		v = v * 10 + (unsigned)(*q++ - '0');
		if (v > 0xffffffffULL) return -1;
	}
	*out = (uint32_t)v;
	*p = q;
	return 0;
}

int uidlist_parse(struct uidlist *l, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	uint32_t last = 0;

	l->n = 0;
	l->names.len = 0;
	l->validity = 0;
	l->next = 1;
	l->recent = 1;
	if (l->idx) memset(l->idx, 0, l->idxcap * sizeof *l->idx);
	if (!len) return 0;
	nl = memchr(p, '\n', len);
	if (!nl || end - p < 4 || memcmp(p, "1 V", 3)) goto bad;
	p += 3;
	if (num(&p, nl, &l->validity) < 0 || !l->validity) goto bad;
	if (nl - p < 3 || memcmp(p, " N", 2)) goto bad;
	p += 2;
	if (num(&p, nl, &l->next) < 0 || !l->next) goto bad;
	/* R: the first unclaimed \Recent UID; a list written before there
	 * was R has no unclaimed message */
	l->recent = l->next;
	if (nl - p >= 3 && !memcmp(p, " R", 2)) {
		p += 2;
		if (num(&p, nl, &l->recent) < 0 || !l->recent || l->recent > l->next) goto bad;
	}
	/* fields added later are skipped */
	p = nl + 1;
	while (p < end) {
		uint32_t uid;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) goto bad;
		if (num(&p, nl, &uid) < 0 || !uid || uid <= last || uid >= l->next) goto bad;
		if (p >= nl || *p != ' ') goto bad;
		p++;
		if (add_rec(l, uid, p, (size_t)(nl - p)) < 0) { if (errno == EINVAL) goto bad; return -1; }
		last = uid;
		p = nl + 1;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int uidlist_read(struct uidlist *l, const char *dir)
{
	char path[4096];
	struct stat st;
	char *buf;
	int fd, r;
	ssize_t got = 0;

	if (path_join(path, sizeof path, dir, UIDLIST_FILE) < 0) return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) return -1;
		return uidlist_parse(l, "", 0);
	}
	if (fstat(fd, &st) < 0) { close(fd); return -1; }
	if ((unsigned long long)st.st_size > UIDLIST_FILE_MAX) { close(fd); errno = EFBIG; return -1; }
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) { close(fd); return -1; }
	while (got < st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)(st.st_size - got));
		if (k < 0 && errno == EINTR) continue;
		if (k <= 0) break;
		got += k;
	}
	close(fd);
	r = uidlist_parse(l, buf, (size_t)got);
	free(buf);
	return r;
}

uint32_t uidlist_add(struct uidlist *l, const char *name, size_t len)
{
	uint32_t uid = l->next;
	if (uid == 0xffffffffU) { errno = ERANGE; return 0; }
	if (add_rec(l, uid, name, len) < 0) return 0;
	l->next++;
	return uid;
}

int uidlist_write(const struct uidlist *l, const char *dir, int (*keep)(void *, const struct uidlist_rec *),
		  void *arg)
{
	char path[4096];
	stralloc tmp = {0}, out = {0};
	char line[64];
	unsigned long i;
	int fd, r;

	if (path_join(path, sizeof path, dir, UIDLIST_FILE) < 0) return -1;
	/* cannot truncate: three 10-digit numbers */
	snprintf(line, sizeof line, "1 V%lu N%lu R%lu\n", (unsigned long)l->validity, (unsigned long)l->next,
		 (unsigned long)(l->recent && l->recent <= l->next ? l->recent : l->next));
	if (!stralloc_copys(&out, line)) goto nomem;
	for (i = 0; i < l->n; i++) {
		if (keep && !keep(arg, &l->r[i])) continue;
		snprintf(line, sizeof line, "%lu ", (unsigned long)l->r[i].uid);   /* fits: a 10-digit number */
		if (!stralloc_cats(&out, line) || !stralloc_cats(&out, name_of(l, i)) || !stralloc_cats(&out, "\n"))
			goto nomem;
	}
	fd = durable_open_tmp(&tmp, path, 0600);
	if (fd < 0) { stralloc_free(&out); stralloc_free(&tmp); return -1; }
	if (durable_writeall(fd, out.s, out.len) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp.s);
		stralloc_free(&out);
		stralloc_free(&tmp);
		errno = e;
		return -1;
	}
	r = durable_commit(fd, tmp.s, path);
	stralloc_free(&out);
	stralloc_free(&tmp);
	return r;
nomem:
	stralloc_free(&out);
	errno = ENOMEM;
	return -1;
}

int uidlist_lock(const char *dir)
{
	char path[4096];

	if (path_join(path, sizeof path, dir, UIDLIST_LOCK) < 0) return -1;
	/* holders keep it for a directory scan and one file write */
	return maillock_wait(path, UIDLIST_LOCK_WAIT);
}

uint32_t uidlist_new_validity(uint32_t old)
{
	uint32_t v = (uint32_t)time(0);
	if (v <= old) v = old + 1;
	if (!v) v = 1;
	return v;
}

/* The number at the start of fd's file; 0 for none (an empty or new
 * file, or text that is no number up to 0xffffffff). */
static uint32_t read_validity(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	unsigned long long v = 0;
	ssize_t i;

	if (n <= 0) return 0;
	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
		v = v * 10 + (unsigned)(buf[i] - '0');
		if (v > 0xffffffffULL) return 0;
	}
	return (uint32_t)v;
}

/* v as ten digits and LF at the start of fd's file, fsync'ed.  The length
 * never changes, so an old value is overwritten whole. */
static int write_validity(int fd, uint32_t v)
{
	char buf[16];
	int n = snprintf(buf, sizeof buf, "%010lu\n", (unsigned long)v);   /* fits: 10 digits and LF */

	if (pwrite(fd, buf, (size_t)n, 0) != n) return -1;
	if (ftruncate(fd, n) < 0) return -1;
	return fsync(fd);
}

/* The Maildir of folder dir into out: dir's parent for a Maildir++
 * folder, dir itself otherwise. */
static int maildir_of(const char *dir, char *out, size_t cap)
{
	size_t len = strlen(dir), b;

	while (len > 1 && dir[len - 1] == '/') len--;
	for (b = len; b > 0 && dir[b - 1] != '/'; b--) {}
	if (dir[b] == '.' && !(len - b == 1) && !(len - b == 2 && dir[b + 1] == '.')) {
		/* ".Sent" -> "."; "/m/.Sent" -> "/m"; "m/.Sent" -> "m" */
		len = b;
		while (len > 1 && dir[len - 1] == '/') len--;
		if (!len) { dir = "."; len = 1; }
	}
	if (len >= cap) { errno = ENAMETOOLONG; return -1; }
	memcpy(out, dir, len);
	out[len] = 0;
	return 0;
}

uint32_t uidlist_fresh_validity(const char *dir, int lockfd)
{
	char root[4096], path[4096];
	uint32_t last, v;
	int fd, made = 0;

	if (maildir_of(dir, root, sizeof root) < 0) return 0;
	if (path_join(path, sizeof path, root, UIDLIST_VALIDITY_FILE) < 0) return 0;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) made = 1;
		else if (errno == EEXIST) fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0) return 0;
	if (maillock_wait_fd(fd, UIDLIST_LOCK_WAIT) < 0) goto fail;
	last = read_validity(fd);
	if (read_validity(lockfd) > last) last = read_validity(lockfd);
	if (last == 0xffffffffU) { errno = ERANGE; goto fail; }
	v = uidlist_new_validity(last);
	if (write_validity(fd, v) < 0) goto fail;
	/* the record's directory entry is durable before any value is used */
	if (made && durable_sync_dir(root) < 0) goto fail;
	close(fd);
	/* the folder's own copy: a second line of defence, so a failure here
	 * is no failure of the whole */
	write_validity(lockfd, v);
	return v;
fail:
	{ int e = errno; close(fd); errno = e; }
	return 0;
}

void uidlist_free(struct uidlist *l)
{
	free(l->r);
	free(l->idx);
	stralloc_free(&l->names);
	memset(l, 0, sizeof *l);
}
