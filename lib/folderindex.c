/* folderindex: the per-folder CONDSTORE/QRESYNC index; see folderindex.h
 * and posthorn-index(5). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stralloc.h>
#include "durable.h"
#include "folderindex.h"
#include "path.h"

/* the largest file: every record and every range, header and checksum */
#define FILE_MAX (FOLDERINDEX_HEAD + FOLDERINDEX_MSGS_MAX * FOLDERINDEX_REC + \
		  FOLDERINDEX_VANISHED_MAX * FOLDERINDEX_VREC + 8)

/* Little-endian on disk whatever the host. */
static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* FNV-1a, 64 bits: finds torn and hand-edited files, not attacks (whoever
 * can write the file can write the Maildir). */
static uint64_t checksum(const unsigned char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	while (len--) h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

static int grow_recs(struct folderindex *x, unsigned long want)
{
	unsigned long cap = x->cap ? x->cap : 256;
	struct folderindex_rec *r;

	if (want <= x->cap) return 0;
	if (want > FOLDERINDEX_MSGS_MAX) { errno = EFBIG; return -1; }
	while (cap < want) cap *= 2;
	r = realloc(x->r, cap * sizeof *r);
	if (!r) { errno = ENOMEM; return -1; }
	x->r = r;
	x->cap = cap;
	return 0;
}

static int grow_gone(struct folderindex *x, unsigned long want)
{
	unsigned long cap = x->capg ? x->capg : 16;
	struct folderindex_gone *g;

	if (want <= x->capg) return 0;
	while (cap < want) cap *= 2;
	g = realloc(x->g, cap * sizeof *g);
	if (!g) { errno = ENOMEM; return -1; }
	x->g = g;
	x->capg = cap;
	return 0;
}

int folderindex_parse(struct folderindex *x, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	unsigned long n, ng, i;
	uint64_t highest;

	x->n = x->ng = x->dead = 0;
	x->validity = 0;
	x->highest = x->gone_floor = 0;
	if (len < FOLDERINDEX_HEAD + 8 || len > FILE_MAX || memcmp(p, FOLDERINDEX_MAGIC, 8)) goto bad;
	if (get64(p + len - 8) != checksum(p, len - 8)) goto bad;
	n = get32(p + 12);
	ng = get32(p + 32);
	if (n > FOLDERINDEX_MSGS_MAX || ng > FOLDERINDEX_VANISHED_MAX) goto bad;
	/* sizes in 64 bits: n and ng are bounded above, no overflow */
	if ((uint64_t)len != FOLDERINDEX_HEAD + (uint64_t)n * FOLDERINDEX_REC + (uint64_t)ng * FOLDERINDEX_VREC + 8)
		goto bad;
	highest = get64(p + 16);
	if (!get32(p + 8) || highest > FOLDERINDEX_MODSEQ_MAX || get64(p + 24) > highest) goto bad;
	/* reserved: zero in this version (a later one changes the magic) */
	if (get32(p + 36) || get64(p + 40)) goto bad;
	if (grow_recs(x, n) < 0 || grow_gone(x, ng) < 0) return -1;
	p += FOLDERINDEX_HEAD;
	for (i = 0; i < n; i++, p += FOLDERINDEX_REC) {
		struct folderindex_rec *r = &x->r[i];
		r->uid = get32(p);
		r->flags = get32(p + 4);
		r->modseq = get64(p + 8);
		r->size = get64(p + 16);
		r->date = (int64_t)get64(p + 24);
		if (!r->uid || (i && r->uid <= x->r[i - 1].uid) || !r->modseq || r->modseq > highest) goto bad;
	}
	for (i = 0; i < ng; i++, p += FOLDERINDEX_VREC) {
		struct folderindex_gone *g = &x->g[i];
		g->lo = get32(p);
		g->hi = get32(p + 4);
		g->modseq = get64(p + 8);
		/* ranges apart: one UID between them at least (else they'd be one) */
		if (!g->lo || g->hi < g->lo || !g->modseq || g->modseq > highest) goto bad;
		if (i && (uint64_t)x->g[i - 1].hi + 1 >= g->lo) goto bad;
	}
	x->n = n;
	x->ng = ng;
	x->validity = get32((const unsigned char *)data + 8);
	x->highest = highest;
	x->gone_floor = get64((const unsigned char *)data + 24);
	return 0;
bad:
	x->n = x->ng = 0;
	x->validity = 0;
	x->highest = x->gone_floor = 0;
	errno = EINVAL;
	return -1;
}

int folderindex_read(struct folderindex *x, const char *dir)
{
	char path[4096];
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, r;

	x->n = x->ng = x->dead = 0;
	x->validity = 0;
	x->highest = x->gone_floor = 0;
	if (path_join(path, sizeof path, dir, FOLDERINDEX_FILE) < 0) return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0) { close(fd); return -1; }
	if ((unsigned long long)st.st_size > FILE_MAX) { close(fd); errno = EINVAL; return -1; }
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) { close(fd); return -1; }
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k < 0 && errno == EINTR) continue;
		if (k <= 0) break;
		got += (size_t)k;
	}
	close(fd);
	r = folderindex_parse(x, buf, got);
	free(buf);
	return r < 0 ? -1 : 1;
}

int folderindex_format(const struct folderindex *x, char **out, size_t *len)
{
	/* records expunged in this batch (modseq 0) are left out */
	size_t sz = FOLDERINDEX_HEAD + (x->n - x->dead) * FOLDERINDEX_REC + x->ng * FOLDERINDEX_VREC + 8;
	unsigned char *b = calloc(1, sz), *p;
	unsigned long i;

	if (!b) return -1;
	memcpy(b, FOLDERINDEX_MAGIC, 8);
	put32(b + 8, x->validity);
	put32(b + 12, (uint32_t)(x->n - x->dead));
	put64(b + 16, x->highest);
	put64(b + 24, x->gone_floor);
	put32(b + 32, (uint32_t)x->ng);
	p = b + FOLDERINDEX_HEAD;
	for (i = 0; i < x->n; i++) {
		if (!x->r[i].modseq) continue;
		put32(p, x->r[i].uid);
		put32(p + 4, x->r[i].flags);
		put64(p + 8, x->r[i].modseq);
		put64(p + 16, x->r[i].size);
		put64(p + 24, (uint64_t)x->r[i].date);
		p += FOLDERINDEX_REC;
	}
	for (i = 0; i < x->ng; i++, p += FOLDERINDEX_VREC) {
		put32(p, x->g[i].lo);
		put32(p + 4, x->g[i].hi);
		put64(p + 8, x->g[i].modseq);
	}
	put64(p, checksum(b, sz - 8));
	*out = (char *)b;
	*len = sz;
	return 0;
}

/* The floor file: the last HIGHESTMODSEQ written, in decimal.  Written in
 * place without fsync: the time floor covers a crash before it reaches
 * the disk; this one covers a clock set back. */
static uint64_t floor_read(const char *dir)
{
	char path[4096], buf[32];
	uint64_t v = 0;
	ssize_t n, i;
	int fd;

	if (path_join(path, sizeof path, dir, FOLDERINDEX_FLOOR_FILE) < 0) return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(buf[i] - '0');
		if (v > FOLDERINDEX_MODSEQ_MAX) return 0;
	}
	return v;
}

static void floor_write(const char *dir, uint64_t v)
{
	char path[4096], buf[32];
	int fd, n;

	if (path_join(path, sizeof path, dir, FOLDERINDEX_FLOOR_FILE) < 0) return;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0) return;
	n = snprintf(buf, sizeof buf, "%020llu\n", (unsigned long long)v);   /* fits: 20 digits and LF */
	/* same length each time: an old value is overwritten whole */
	if (pwrite(fd, buf, (size_t)n, 0) == n && ftruncate(fd, n) < 0) {
		/* only a longer old value could stay: none is longer */
	}
	close(fd);
}

int folderindex_write(const struct folderindex *x, const char *dir)
{
	char path[4096];
	stralloc tmp = {0};
	char *data;
	size_t len;
	int fd, r;

	if (path_join(path, sizeof path, dir, FOLDERINDEX_FILE) < 0) return -1;
	if (folderindex_format(x, &data, &len) < 0) return -1;
	fd = durable_open_tmp(&tmp, path, 0600);
	if (fd < 0) { free(data); stralloc_free(&tmp); return -1; }
	if (durable_writeall(fd, data, len) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp.s);
		free(data);
		stralloc_free(&tmp);
		errno = e;
		return -1;
	}
	free(data);
	r = durable_commit(fd, tmp.s, path);
	stralloc_free(&tmp);
	if (r == 0) floor_write(dir, x->highest);
	return r;
}

void folderindex_rebuild(struct folderindex *x, const char *dir, uint32_t validity, uint64_t old)
{
	uint64_t f = floor_read(dir), t = (uint64_t)time(0) << FOLDERINDEX_TIME_SHIFT;

	if (t > f) f = t;
	if (old > f) f = old;
	x->n = x->ng = x->dead = 0;
	x->validity = validity;
	/* one more: modseq f itself may have been seen */
	x->highest = f < FOLDERINDEX_MODSEQ_MAX ? f + 1 : f;
	/* nothing is known of earlier expunges (RFC 7162 3.2.5.2) */
	x->gone_floor = x->highest;
}

long folderindex_find(const struct folderindex *x, uint32_t uid)
{
	unsigned long lo = 0, hi = x->n;
	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;
		if (uid < x->r[mid].uid) hi = mid;
		else if (uid > x->r[mid].uid) lo = mid + 1;
		else return x->r[mid].modseq ? (long)mid : -1;
	}
	return -1;
}

/* Where uid's record is or would go. */
static unsigned long find_pos(const struct folderindex *x, uint32_t uid)
{
	unsigned long lo = 0, hi = x->n;
	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;
		if (x->r[mid].uid < uid) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

uint64_t folderindex_next(struct folderindex *x)
{
	if (x->highest >= FOLDERINDEX_MODSEQ_MAX) { errno = ERANGE; return 0; }
	return ++x->highest;
}

int folderindex_set(struct folderindex *x, uint32_t uid, uint32_t flags)
{
	unsigned long i = find_pos(x, uid);
	uint64_t modseq;

	if (i < x->n && x->r[i].uid == uid && x->r[i].flags == flags && x->r[i].modseq) return 0;
	if (!(modseq = folderindex_next(x))) return -1;
	if (i < x->n && x->r[i].uid == uid) {
		if (!x->r[i].modseq) x->dead--;   /* expunged in this batch, yet here */
		x->r[i].flags = flags;
		x->r[i].modseq = modseq;
		return 1;
	}
	if (grow_recs(x, x->n + 1) < 0) return -1;
	/* new messages have the largest UIDs: this is an append */
	memmove(&x->r[i + 1], &x->r[i], (x->n - i) * sizeof *x->r);
	x->r[i].uid = uid;
	x->r[i].flags = flags;
	x->r[i].modseq = modseq;
	x->r[i].size = 0;
	x->r[i].date = 0;
	x->n++;
	return 1;
}

int folderindex_touch(struct folderindex *x, long i)
{
	uint64_t modseq = folderindex_next(x);
	if (!modseq) return -1;
	x->r[i].modseq = modseq;
	return 0;
}

int folderindex_expunge(struct folderindex *x, uint32_t uid)
{
	long i = folderindex_find(x, uid);
	uint64_t modseq = folderindex_next(x);

	if (!modseq) return -1;
	if (i >= 0) {
		/* a tombstone: removing it here would make an EXPUNGE of many
		 * messages quadratic; folderindex_compact drops them */
		x->r[i].modseq = 0;
		x->dead++;
	}
	return folderindex_gone(x, uid, modseq);
}

void folderindex_compact(struct folderindex *x)
{
	unsigned long i, o = 0;
	if (!x->dead) return;
	for (i = 0; i < x->n; i++)
		if (x->r[i].modseq) x->r[o++] = x->r[i];
	x->n = o;
	x->dead = 0;
}

/* Drops the range with the oldest modseq, raising gone_floor to it. */
static void drop_oldest(struct folderindex *x)
{
	unsigned long i, o = 0;
	for (i = 1; i < x->ng; i++)
		if (x->g[i].modseq < x->g[o].modseq) o = i;
	if (x->g[o].modseq > x->gone_floor) x->gone_floor = x->g[o].modseq;
	memmove(&x->g[o], &x->g[o + 1], (x->ng - o - 1) * sizeof *x->g);
	x->ng--;
}

int folderindex_gone(struct folderindex *x, uint32_t uid, uint64_t modseq)
{
	unsigned long lo = 0, hi = x->ng, i;
	struct folderindex_gone *g;

	if (!uid) return 0;
	/* the first range whose hi + 1 >= uid: the one uid joins or precedes */
	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;
		if ((uint64_t)x->g[mid].hi + 1 < uid) lo = mid + 1;
		else hi = mid;
	}
	i = lo;
	if (i < x->ng && x->g[i].lo <= (uint64_t)uid + 1) {
		/* inside, or next to it; the range's modseq is its newest
		 * expunge's, so asking about any UID in it errs to "vanished" */
		g = &x->g[i];
		if (uid < g->lo) g->lo = uid;
		if (uid > g->hi) g->hi = uid;
		if (modseq > g->modseq) g->modseq = modseq;
		if (i + 1 < x->ng && (uint64_t)g->hi + 1 >= x->g[i + 1].lo) {
			g->hi = x->g[i + 1].hi;
			if (x->g[i + 1].modseq > g->modseq) g->modseq = x->g[i + 1].modseq;
			memmove(&x->g[i + 1], &x->g[i + 2], (x->ng - i - 2) * sizeof *x->g);
			x->ng--;
		}
		return 0;
	}
	if (grow_gone(x, x->ng + 1) < 0) return -1;
	memmove(&x->g[i + 1], &x->g[i], (x->ng - i) * sizeof *x->g);
	x->g[i].lo = x->g[i].hi = uid;
	x->g[i].modseq = modseq;
	x->ng++;
	if (x->ng > FOLDERINDEX_VANISHED_MAX) drop_oldest(x);
	return 0;
}

int folderindex_gone_complete(const struct folderindex *x, uint64_t since)
{
	return since >= x->gone_floor;
}

void folderindex_free(struct folderindex *x)
{
	free(x->r);
	free(x->g);
	memset(x, 0, sizeof *x);
}
