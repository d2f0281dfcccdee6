/* imapstore: a Maildir++ folder with UIDs, flags and keywords; see imapstore.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "durable.h"
#include "imapstore.h"
#include "maildir.h"
#include "mdflags.h"
#include "path.h"
#include "uniq.h"

#define SCAN_TRIES 5
/* How long after a change its mtime may still be given to another change:
 * the kernel's coarse clock ticks every 1 to 10 ms (HZ 1000 to 100). */
#define STORE_TICK_NS 20000000LL

/* Bytes of a path relative to the folder: "cur/", a file name, NUL.  A
 * longer one names no file (rename would say ENAMETOOLONG); path_fmt says
 * so first. */
#define REL_MAX (4 + NAME_MAX + 1)

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static void mtime_of(const char *dir, const char *name, struct timespec *t)
{
	char p[2048];
	struct stat st;
	t->tv_sec = -1;
	t->tv_nsec = 0;
	if (path_join(p, sizeof p, dir, name) == 0 && stat(p, &st) == 0) *t = st.st_mtim;
}

int store_open(struct store *s, const char *dir)
{
	memset(s, 0, sizeof *s);
	return path_fmt(s->dir, sizeof s->dir, "%s", dir);
}

/* ---- keywords ---- */

int store_kw_read(struct store_kw *kw, const char *dir)
{
	char p[2048], line[STORE_KEYWORD_LEN + 16];
	FILE *f;

	kw->n = 0;
	if (path_join(p, sizeof p, dir, STORE_KEYWORDS_FILE) < 0) return -1;
	f = fopen(p, "re");
	if (!f) return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof line, f)) {
		char *sp = strchr(line, ' '), *nl = strchr(line, '\n');
		unsigned long i;
		if (!sp || !nl) continue;
		*nl = 0;
		i = strtoul(line, 0, 10);
		if (i != kw->n || i >= STORE_KEYWORDS_MAX || strlen(sp + 1) > STORE_KEYWORD_LEN || !sp[1]) continue;
		strcpy(kw->name[kw->n++], sp + 1);   /* fits: its length is checked above */
	}
	fclose(f);
	return 0;
}

static int kw_write(const struct store_kw *kw, const char *dir)
{
	char p[2048];
	stralloc out = {0};
	unsigned i;
	int r;

	if (path_join(p, sizeof p, dir, STORE_KEYWORDS_FILE) < 0) return -1;
	for (i = 0; i < kw->n; i++) {
		char num[16];
		snprintf(num, sizeof num, "%u ", i);   /* fits: i < STORE_KEYWORDS_MAX */
		if (!stralloc_cats(&out, num) || !stralloc_cats(&out, kw->name[i]) || !stralloc_cats(&out, "\n")) {
			stralloc_free(&out);
			errno = ENOMEM;
			return -1;
		}
	}
	r = durable_write(p, out.s ? out.s : "", out.len, 0600);
	stralloc_free(&out);
	return r;
}

static int kw_find(const struct store_kw *kw, const char *name)
{
	unsigned i;
	for (i = 0; i < kw->n; i++)
		if (!strcasecmp(kw->name[i], name)) return (int)i;
	return -1;
}

/* Finds or adds name in kw (the lock is held); *dirty is set on an add. */
static int kw_get(struct store_kw *kw, const char *name, int *dirty)
{
	int i = kw_find(kw, name);
	if (i >= 0) return i;
	if (kw->n >= STORE_KEYWORDS_MAX) { errno = ENOSPC; return -1; }
	if (!*name || strlen(name) > STORE_KEYWORD_LEN || strchr(name, '\n')) { errno = EINVAL; return -1; }
	strcpy(kw->name[kw->n], name);   /* fits: its length is checked above */
	*dirty = 1;
	return (int)kw->n++;
}

int store_keyword(struct store *s, const char *name, int create)
{
	int i = kw_find(&s->kw, name), fd, dirty = 0;

	if (i >= 0 || !create) return i;
	fd = uidlist_lock(s->dir);
	if (fd < 0) return -1;
	if (store_kw_read(&s->kw, s->dir) < 0) { close(fd); return -1; }
	i = kw_get(&s->kw, name, &dirty);
	if (i >= 0 && dirty && kw_write(&s->kw, s->dir) < 0) i = -1;
	{ int e = errno; close(fd); errno = e; }
	return i;
}

/* ---- names and flags ---- */

static size_t base_len(const char *name)
{
	const char *c = strchr(name, ':');
	return c ? (size_t)(c - name) : strlen(name);
}

/* The system flags (mdflags.h) and the keyword letters a..z. */
static uint32_t parse_info(const char *name)
{
	const char *c = mdflags_info(name);
	uint32_t f = mdflags_of(name);

	if (c)
		for (; *c; c++)
			if (*c >= 'a' && *c <= 'z') f |= STORE_KW(*c - 'a');
	return f;
}

void store_info(uint32_t flags, const char *keep, char *out)
{
	/* ASCII order: capitals (ours and any others found), then keywords */
	size_t o = mdflags_letters(flags & STORE_SYSTEM, keep, out);
	int c;

	for (c = 0; c < STORE_KEYWORDS_MAX; c++)
		if (flags & STORE_KW(c)) out[o++] = (char)('a' + c);
	out[o] = 0;
}

/* ---- listing ---- */

struct entry {
	uint32_t name;      /* offset in the scan's names: "cur/NAME" */
	uint16_t base;
	uint8_t innew;
	uint32_t uid;
};

struct scan {
	struct entry *e;
	unsigned long n, cap;
	stralloc names;
};

static int scan_dir(struct scan *sc, const char *dir, const char *sub)
{
	char p[2048];
	DIR *d;
	struct dirent *de;

	if (path_join(p, sizeof p, dir, sub) < 0) return -1;
	d = opendir(p);
	if (!d) return -1;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len > UIDLIST_NAME_MAX + 40) continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK) continue;
		if (sc->n == sc->cap) {
			unsigned long cap = sc->cap ? sc->cap * 2 : 256;
			struct entry *e = realloc(sc->e, cap * sizeof *e);
			if (!e) { closedir(d); return -1; }
			sc->e = e;
			sc->cap = cap;
		}
		sc->e[sc->n].name = (uint32_t)sc->names.len;
		sc->e[sc->n].base = (uint16_t)base_len(de->d_name);
		sc->e[sc->n].innew = sub[0] == 'n';
		sc->e[sc->n].uid = 0;
		if (!sc->e[sc->n].base || sc->e[sc->n].base > UIDLIST_NAME_MAX) continue;
		if (!stralloc_cats(&sc->names, sub) || !stralloc_cats(&sc->names, "/") ||
		    !stralloc_cats(&sc->names, de->d_name) || !stralloc_0(&sc->names)) {
			closedir(d);
			errno = ENOMEM;
			return -1;
		}
		sc->n++;
	}
	closedir(d);
	return 0;
}

/* Lists new/ then cur/, again if cur/ changed meanwhile. */
static int scan(struct scan *sc, const char *dir, struct timespec *tnew, struct timespec *tcur)
{
	int i;
	for (i = 0; i < SCAN_TRIES; i++) {
		struct timespec a, b;
		sc->n = 0;
		sc->names.len = 0;
		mtime_of(dir, "cur", &a);
		mtime_of(dir, "new", tnew);
		if (scan_dir(sc, dir, "new") < 0 || scan_dir(sc, dir, "cur") < 0) return -1;
		mtime_of(dir, "cur", &b);
		*tcur = b;
		/* a change within the same clock tick: store_sync's too_fresh */
		if (same_time(&a, &b)) return 0;
	}
	return 0;
}

static const char *ename(const struct scan *sc, const struct entry *e)
{
	return sc->names.s + e->name + 4;   /* past "cur/" or "new/" */
}

static const struct scan *cmp_scan;
static int cmp_delivery(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	/* new UIDs go in delivery order (the microseconds of the name too) */
	return maildir_name_cmp(ename(cmp_scan, a), ename(cmp_scan, b));
}

static int cmp_uid(const void *x, const void *y)
{
	const struct store_msg *a = x, *b = y;
	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

static int keep_present(void *arg, const struct uidlist_rec *r)
{
	return store_find(arg, r->uid) >= 0;
}

/* Notes that this store claimed the \Recent UIDs from the list's R to N
 * (the lock is held), and moves R.  0 or -1 (ENOMEM). */
static int claim_range(struct store *s)
{
	struct store_claim *c;

	if (s->ul.recent >= s->ul.next) return 0;
	if (s->nclaims && s->claims[s->nclaims - 1].hi == s->ul.recent) {
		s->claims[s->nclaims - 1].hi = s->ul.next;
	} else {
		if (s->nclaims == s->capclaims) {
			unsigned long cap = s->capclaims ? s->capclaims * 2 : 8;
			c = realloc(s->claims, cap * sizeof *c);
			if (!c) { errno = ENOMEM; return -1; }
			s->claims = c;
			s->capclaims = cap;
		}
		s->claims[s->nclaims].lo = s->ul.recent;
		s->claims[s->nclaims].hi = s->ul.next;
		s->nclaims++;
	}
	s->ul.recent = s->ul.next;
	return 0;
}

static int claimed(const struct store *s, uint32_t uid)
{
	unsigned long i;
	for (i = s->nclaims; i-- > 0;)
		if (uid >= s->claims[i].lo && uid < s->claims[i].hi) return 1;
	return 0;
}

/* Takes the lock and claims the unclaimed \Recent messages. */
static int claim_recent(struct store *s, struct timespec *tlist)
{
	int fd = uidlist_lock(s->dir), r = -1;

	if (fd < 0) return -1;
	if (uidlist_read(&s->ul, s->dir) == 0) {
		r = 0;
		if (s->ul.validity && s->ul.recent < s->ul.next) {
			if (claim_range(s) < 0 || uidlist_write(&s->ul, s->dir, 0, 0) < 0) r = -1;
			/* our own write is no news (read under the lock) */
			else mtime_of(s->dir, UIDLIST_FILE, tlist);
		}
	}
	{ int e = errno; close(fd); errno = e; }
	return r;
}

/* Assigns UIDs and moves new/ to cur/, under the lock; a claiming store
 * claims the new messages in the same write. */
static int assign(struct store *s, struct scan *sc, struct timespec *tnew, struct timespec *tcur,
		  struct timespec *tlist)
{
	unsigned long i;
	int fd = uidlist_lock(s->dir), moved = 0;

	if (fd < 0) return -1;
	if (uidlist_read(&s->ul, s->dir) < 0 || scan(sc, s->dir, tnew, tcur) < 0) goto fail;
	if (!s->ul.validity) {
		if (!(s->ul.validity = uidlist_fresh_validity(s->dir, fd))) goto fail;
		s->ul.next = 1;
	}
	cmp_scan = sc;
	if (sc->n > 1) qsort(sc->e, sc->n, sizeof *sc->e, cmp_delivery);
	for (i = 0; i < sc->n; i++) {
		struct entry *e = &sc->e[i];
		const char *n = ename(sc, e);
		e->uid = uidlist_find(&s->ul, n, e->base);
		if (!e->uid && !(e->uid = uidlist_add(&s->ul, n, e->base))) goto fail;
		if (e->innew) {
			/* fits: n (NAME_MAX at most) and, when it has none, ":2," */
			char from[2048], to[2048], rel[REL_MAX + 3];
			const char *info = mdflags_info(n);
			if (path_fmt(from, sizeof from, "%s/new/%s", s->dir, n) < 0 ||
			    path_fmt(rel, sizeof rel, "cur/%.*s:2,%s", (int)e->base, n, info ? info : "") < 0 ||
			    path_join(to, sizeof to, s->dir, rel) < 0)
				goto fail;
			if (rename(from, to) == 0) {
				size_t off = sc->names.len;
				if (!stralloc_cats(&sc->names, rel) || !stralloc_0(&sc->names)) goto fail;
				e->name = (uint32_t)off;
				e->innew = 0;
				moved = 1;
			}
		}
	}
	/* the list is written with the present messages only; built first */
	s->n = 0;
	for (i = 0; i < sc->n; i++) {
		/* build s->m now so keep_present can see it */
		struct store_msg *m;
		if (s->n == s->cap) {
			unsigned long cap = s->cap ? s->cap * 2 : 256;
			struct store_msg *nm = realloc(s->m, cap * sizeof *nm);
			if (!nm) goto fail;
			s->m = nm;
			s->cap = cap;
		}
		m = &s->m[s->n++];
		m->uid = sc->e[i].uid;
	}
	if (s->n > 1) qsort(s->m, s->n, sizeof *s->m, cmp_uid);
	if (s->claim && claim_range(s) < 0) goto fail;
	if (uidlist_write(&s->ul, s->dir, keep_present, s) < 0) goto fail;
	mtime_of(s->dir, UIDLIST_FILE, tlist);
	if (moved) {
		char p[2048];
		if (path_join(p, sizeof p, s->dir, "cur") == 0) durable_sync_dir(p);
		if (path_join(p, sizeof p, s->dir, "new") == 0) durable_sync_dir(p);
		mtime_of(s->dir, "cur", tcur);
		mtime_of(s->dir, "new", tnew);
	}
	close(fd);
	return 0;
fail:
	{ int e = errno; close(fd); errno = e; }
	return -1;
}

/* ---- the index (folderindex.h) ---- */

/* Copies the modseqs of the index into s->m (both ascending by UID). */
static void index_fill(struct store *s)
{
	unsigned long i, j = 0;
	for (i = 0; i < s->n; i++) {
		while (j < s->ix.n && s->ix.r[j].uid < s->m[i].uid) j++;
		s->m[i].modseq = j < s->ix.n && s->ix.r[j].uid == s->m[i].uid ? s->ix.r[j].modseq : s->ix.highest;
	}
}

/* Does the index differ from the listing in s->m?  A record of a UID
 * below the list's next UID that the listing lacks was expunged; one at
 * or above it may be a message assigned after our listing. */
static int index_differs(const struct store *s)
{
	unsigned long i = 0, j = 0;
	while (i < s->n || j < s->ix.n) {
		if (j >= s->ix.n || (i < s->n && s->m[i].uid < s->ix.r[j].uid)) return 1;
		if (i >= s->n || s->ix.r[j].uid < s->m[i].uid) {
			if (s->ix.r[j].uid < s->ul.next) return 1;
			j++;
			continue;
		}
		if (s->m[i].flags != s->ix.r[j].flags) return 1;
		i++;
		j++;
	}
	return 0;
}

/* Reads the index under the lock, rebuilding it when it does not fit the
 * folder.  0 or -1. */
static int index_load(struct store *s)
{
	int r = folderindex_read(&s->ix, s->dir);
	if (r < 0 && errno != EINVAL) return -1;
	if (r <= 0 || s->ix.validity != s->ul.validity) {
		/* a corrupt file's highest is lost: the floors cover it */
		folderindex_rebuild(&s->ix, s->dir, s->ul.validity, r > 0 ? s->ix.highest : 0);
		s->ixdirty = 1;
	}
	return 0;
}

/* Applies the listing to the index (the lock is held): new and changed
 * messages get modseqs, missing ones are expunged.  A message whose file
 * is no longer where the listing saw it was changed again meanwhile: the
 * next sync (its directory's mtime moved) looks at it. */
static int index_apply(struct store *s)
{
	unsigned long i = 0, j = 0;
	char p[2048];

	while (i < s->n || j < s->ix.n) {
		if (j < s->ix.n && (i >= s->n || s->ix.r[j].uid < s->m[i].uid)) {
			if (s->ix.r[j].uid < s->ul.next && s->ix.r[j].modseq) {
				if (folderindex_expunge(&s->ix, s->ix.r[j].uid) < 0) return -1;
				s->ixdirty = 1;
			}
			j++;
			continue;
		}
		if (j >= s->ix.n || s->m[i].uid < s->ix.r[j].uid || s->m[i].flags != s->ix.r[j].flags ||
		    !s->ix.r[j].modseq) {
			int r;
			if (store_path(s, i, p, sizeof p) < 0 || access(p, F_OK) < 0) {
				i++;
				continue;
			}
			if ((r = folderindex_set(&s->ix, s->m[i].uid, s->m[i].flags)) < 0) return -1;
			if (r) s->ixdirty = 1;
			/* a new record went in before j: skip it */
			if (j < s->ix.n && s->ix.r[j].uid == s->m[i].uid) j++;
			i++;
			continue;
		}
		i++;
		j++;
	}
	folderindex_compact(&s->ix);
	return 0;
}

/* The index in step with the listing just made (store_sync). */
static int index_sync(struct store *s, struct timespec *tix)
{
	int r = folderindex_read(&s->ix, s->dir), fd;

	if (r < 0 && errno != EINVAL) return -1;
	if (r > 0 && s->ix.validity == s->ul.validity && !index_differs(s)) {
		index_fill(s);
		return 0;
	}
	if ((fd = uidlist_lock(s->dir)) < 0) return -1;
	s->ixdirty = 0;
	r = index_load(s);
	if (r == 0) r = index_apply(s);
	if (r == 0 && s->ixdirty && folderindex_write(&s->ix, s->dir) < 0) r = -1;
	s->ixdirty = 0;
	/* our own write is no news */
	if (r == 0) mtime_of(s->dir, FOLDERINDEX_FILE, tix);
	{ int e = errno; close(fd); errno = e; }
	if (r == 0) index_fill(s);
	return r;
}

int store_begin(struct store *s)
{
	if (s->ixlocked) return 0;
	if ((s->ixfd = uidlist_lock(s->dir)) < 0) return -1;
	s->ixlocked = 1;
	s->ixdirty = 0;
	if (index_load(s) < 0) {
		int e = errno;
		close(s->ixfd);
		s->ixlocked = 0;
		errno = e;
		return -1;
	}
	index_fill(s);
	return 0;
}

int store_commit(struct store *s)
{
	int r = 0;
	if (!s->ixlocked) return 0;
	if (s->ixdirty && folderindex_write(&s->ix, s->dir) < 0) r = -1;
	s->ixdirty = 0;
	folderindex_compact(&s->ix);
	{ int e = errno; close(s->ixfd); s->ixlocked = 0; errno = e; }
	return r;
}

uint64_t store_highestmodseq(const struct store *s)
{
	return s->ix.highest;
}

/* Records message i's new flags (or, with gone, its expunge) in the
 * index, taking the lock for this one change when no store_begin did. */
static int index_note(struct store *s, unsigned long i, int gone)
{
	int own = !s->ixlocked, r;

	if (own && store_begin(s) < 0) return -1;
	if (gone) r = folderindex_expunge(&s->ix, s->m[i].uid);
	else {
		long k;
		r = folderindex_set(&s->ix, s->m[i].uid, s->m[i].flags);
		if (r >= 0 && (k = folderindex_find(&s->ix, s->m[i].uid)) >= 0) s->m[i].modseq = s->ix.r[k].modseq;
	}
	if (r > 0) r = 0;
	if (r == 0) s->ixdirty = 1;
	if (own && store_commit(s) < 0) r = -1;
	return r;
}

/* Could a change after start leave mtime t as it is?  A change is stamped
 * with the coarse clock, at least start for a change after start: only a
 * stamp of the same tick (or of the same second, on a file system that
 * keeps whole seconds) could be repeated. */
static int too_fresh(const struct timespec *t, const struct timespec *start)
{
	long long tn, sn;
	if (t->tv_sec < 0) return 0;
	if (!t->tv_nsec) return (long long)t->tv_sec + 1 >= (long long)start->tv_sec;
	tn = (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
	sn = (long long)start->tv_sec * 1000000000LL + start->tv_nsec;
	return tn + STORE_TICK_NS >= sn;
}

int store_sync(struct store *s, int force)
{
	struct scan sc = {0};
	struct timespec tnew, tcur, tlist, tkw, tix, start;
	unsigned long i, unknown = 0;
	int r = -1, any_unclaimed = 0;

	clock_gettime(CLOCK_REALTIME_COARSE, &start);
	mtime_of(s->dir, "new", &tnew);
	mtime_of(s->dir, "cur", &tcur);
	mtime_of(s->dir, UIDLIST_FILE, &tlist);
	mtime_of(s->dir, STORE_KEYWORDS_FILE, &tkw);
	mtime_of(s->dir, FOLDERINDEX_FILE, &tix);
	if (tcur.tv_sec < 0) { errno = ENOENT; return -1; }
	if (!force && s->synced && !s->unsure && same_time(&tnew, &s->t_new) && same_time(&tcur, &s->t_cur) &&
	    same_time(&tlist, &s->t_list) && same_time(&tkw, &s->t_kw) && same_time(&tix, &s->t_ix))
		return 0;
	if (store_kw_read(&s->kw, s->dir) < 0) return -1;
	if (uidlist_read(&s->ul, s->dir) < 0 || scan(&sc, s->dir, &tnew, &tcur) < 0) goto out;
	for (i = 0; i < sc.n; i++) {
		sc.e[i].uid = uidlist_find(&s->ul, ename(&sc, &sc.e[i]), sc.e[i].base);
		if (!sc.e[i].uid || sc.e[i].innew) unknown++;
	}
	if (unknown || !s->ul.validity) {
		if (assign(s, &sc, &tnew, &tcur, &tlist) < 0) goto out;
	}
	if (s->claim) {
		for (i = 0; i < sc.n && !any_unclaimed; i++) any_unclaimed = sc.e[i].uid >= s->ul.recent;
		if (any_unclaimed && claim_recent(s, &tlist) < 0) goto out;
	}
	/* rebuild the message list from the scan */
	{
		s->names.len = 0;
		s->n = 0;
		for (i = 0; i < sc.n; i++) {
			struct entry *e = &sc.e[i];
			struct store_msg *m;
			const char *n = ename(&sc, e);
			if (!e->uid) continue;
			if (s->n == s->cap) {
				unsigned long cap = s->cap ? s->cap * 2 : 256;
				struct store_msg *nm = realloc(s->m, cap * sizeof *nm);
				if (!nm) goto out;
				s->m = nm;
				s->cap = cap;
			}
			m = &s->m[s->n++];
			m->uid = e->uid;
			m->flags = parse_info(n);
			m->base = e->base;
			m->recent = s->claim ? claimed(s, e->uid) : e->uid >= s->ul.recent;
			m->name = (uint32_t)s->names.len;
			if (!stralloc_cats(&s->names, sc.names.s + e->name) || !stralloc_0(&s->names)) goto out;
		}
		if (s->n > 1) qsort(s->m, s->n, sizeof *s->m, cmp_uid);
		/* two names with one UID (a copy made by another tool): keep the first */
		for (i = 1; i < s->n; i++)
			if (s->m[i].uid == s->m[i - 1].uid) {
				memmove(&s->m[i], &s->m[i + 1], (s->n - i - 1) * sizeof *s->m);
				s->n--;
				i--;
			}
	}
	if (index_sync(s, &tix) < 0) goto out;
	s->t_new = tnew;
	s->t_cur = tcur;
	s->t_list = tlist;
	s->t_kw = tkw;
	s->t_ix = tix;
	s->unsure = too_fresh(&tnew, &start) || too_fresh(&tcur, &start) || too_fresh(&tlist, &start) ||
		    too_fresh(&tkw, &start) || too_fresh(&tix, &start);
	s->synced = 1;
	s->gen++;
	r = 1;
out:
	free(sc.e);
	stralloc_free(&sc.names);
	return r;
}

long store_find(const struct store *s, uint32_t uid)
{
	unsigned long lo = 0, hi = s->n;
	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;
		if (uid < s->m[mid].uid) hi = mid;
		else if (uid > s->m[mid].uid) lo = mid + 1;
		else return (long)mid;
	}
	return -1;
}

int store_path(const struct store *s, unsigned long i, char *buf, size_t cap)
{
	return path_join(buf, cap, s->dir, s->names.s + s->m[i].name);
}

/* Looks for message i under another name (renamed by someone else). */
static int relocate(struct store *s, unsigned long i)
{
	static const char *const subs[] = {"cur", "new"};
	const char *old = s->names.s + s->m[i].name + 4;
	char base[UIDLIST_NAME_MAX + 1], p[2048];
	size_t bl = s->m[i].base;
	unsigned k;

	memcpy(base, old, bl);
	base[bl] = 0;
	for (k = 0; k < 2; k++) {
		DIR *d;
		struct dirent *de;
		if (path_join(p, sizeof p, s->dir, subs[k]) < 0) return -1;
		if (!(d = opendir(p))) continue;
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, base, bl) || (de->d_name[bl] && de->d_name[bl] != ':')) continue;
			{
				size_t off = s->names.len;
				if (!stralloc_cats(&s->names, subs[k]) || !stralloc_cats(&s->names, "/") ||
				    !stralloc_cats(&s->names, de->d_name) || !stralloc_0(&s->names)) {
					closedir(d);
					errno = ENOMEM;
					return -1;
				}
				s->m[i].name = (uint32_t)off;
				s->m[i].flags = parse_info(de->d_name);
				s->gen++;
			}
			closedir(d);
			return 0;
		}
		closedir(d);
	}
	errno = ENOENT;
	return -1;
}

int store_open_msg(struct store *s, unsigned long i)
{
	char p[2048];
	int fd;

	if (store_path(s, i, p, sizeof p) < 0) return -1;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT) return fd;
	if (relocate(s, i) < 0) return -1;
	if (store_path(s, i, p, sizeof p) < 0) return -1;
	return open(p, O_RDONLY | O_CLOEXEC);
}

int store_setflags(struct store *s, unsigned long i, uint32_t add, uint32_t del)
{
	char from[2048], to[2048], info[STORE_INFO_MAX], rel[REL_MAX];
	int tries;

	for (tries = 0; tries < 3; tries++) {
		const char *name = s->names.s + s->m[i].name + 4;
		const char *keep = mdflags_info(name);
		uint32_t flags = (s->m[i].flags & ~del) | add;
		size_t off;

		store_info(flags, keep, info);
		/* more letters than the old name had can make it too long */
		if (path_fmt(rel, sizeof rel, "cur/%.*s:2,%s", (int)s->m[i].base, name, info) < 0 ||
		    store_path(s, i, from, sizeof from) < 0 || path_join(to, sizeof to, s->dir, rel) < 0)
			return -1;
		if (!strcmp(from, to)) { s->m[i].flags = flags; return index_note(s, i, 0); }
		if (rename(from, to) == 0) {
			off = s->names.len;
			if (!stralloc_cats(&s->names, rel) || !stralloc_0(&s->names)) { errno = ENOMEM; return -1; }
			s->m[i].name = (uint32_t)off;
			s->m[i].flags = flags;
			return index_note(s, i, 0);
		}
		if (errno != ENOENT) return -1;
		if (relocate(s, i) < 0) return errno == ENOENT ? 1 : -1;
	}
	return 1;
}

int store_remove(struct store *s, unsigned long i)
{
	char p[2048];
	int tries;

	for (tries = 0; tries < 3; tries++) {
		if (store_path(s, i, p, sizeof p) < 0) return -1;
		if (unlink(p) == 0) return index_note(s, i, 1);
		if (errno != ENOENT) return -1;
		if (relocate(s, i) < 0) return errno == ENOENT ? index_note(s, i, 1) : -1;
	}
	return 0;
}

/* ---- adding messages ---- */

int store_add_begin(struct store_adder *a, const char *dir)
{
	memset(a, 0, sizeof *a);
	a->lockfd = -1;
	if (path_fmt(a->dir, sizeof a->dir, "%s", dir) < 0) return -1;
	a->lockfd = uidlist_lock(dir);
	if (a->lockfd < 0) return -1;
	if (uidlist_read(&a->ul, dir) < 0 || store_kw_read(&a->kw, dir) < 0) {
		int e = errno;
		close(a->lockfd);
		a->lockfd = -1;
		errno = e;
		return -1;
	}
	if (!a->ul.validity) {
		if (!(a->ul.validity = uidlist_fresh_validity(dir, a->lockfd))) {
			int e = errno;
			close(a->lockfd);
			a->lockfd = -1;
			errno = e;
			return -1;
		}
		a->ul.next = 1;
	}
	return 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0) return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) { close(in); return -1; }
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (durable_writeall(out, buf, (size_t)n) < 0) break;
	if (n != 0 || fsync(out) < 0) {
		int e = errno;
		close(in);
		close(out);
		unlink(to);
		errno = e;
		return -1;
	}
	close(in);
	return close(out);
}

int store_add(struct store_adder *a, const char *src, int how, uint32_t sysflags, const char *const *kw, unsigned nkw,
	      time_t mtime, uint32_t *uid)
{
	stralloc u = {0};
	char info[STORE_INFO_MAX], rel[REL_MAX], to[2048];
	uint32_t flags = sysflags & STORE_SYSTEM;
	unsigned i;
	size_t base;

	for (i = 0; i < nkw; i++) {
		int k = kw_get(&a->kw, kw[i], &a->kwdirty);
		if (k >= 0) flags |= STORE_KW(k);
	}
	store_info(flags, "", info);
	if (!uniq_name(&u) || !stralloc_0(&u)) { stralloc_free(&u); errno = ENOMEM; return -1; }
	base = strlen(u.s);
	if (path_fmt(rel, sizeof rel, "cur/%s:2,%s", u.s, info) < 0 || path_join(to, sizeof to, a->dir, rel) < 0) {
		stralloc_free(&u);
		return -1;
	}
	if (how == STORE_ADD_RENAME) {
		if (rename(src, to) < 0) { stralloc_free(&u); return -1; }
	} else if (link(src, to) < 0) {
		if (copy_file(src, to) < 0) { stralloc_free(&u); return -1; }
	}
	if (mtime) {
		struct timespec ts[2];
		ts[0].tv_sec = ts[1].tv_sec = mtime;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		/* a hard link shares its times with the source: only for new files */
		if (how == STORE_ADD_RENAME) utimensat(AT_FDCWD, to, ts, 0);
	}
	*uid = uidlist_add(&a->ul, u.s, base);
	stralloc_free(&u);
	if (!*uid) return -1;
	a->added++;
	return 0;
}

int store_add_end(struct store_adder *a)
{
	int r = 0;
	char p[2048];

	if (a->lockfd < 0) { uidlist_free(&a->ul); return -1; }
	if (a->kwdirty && kw_write(&a->kw, a->dir) < 0) r = -1;
	if (a->added) {
		if (path_join(p, sizeof p, a->dir, "cur") == 0 && durable_sync_dir(p) < 0) r = -1;
		if (uidlist_write(&a->ul, a->dir, 0, 0) < 0) r = -1;
	}
	{ int e = errno; close(a->lockfd); errno = e; }
	a->lockfd = -1;
	uidlist_free(&a->ul);
	return r;
}

int store_write_tmp(const char *dir, const char *data, size_t len, stralloc *path)
{
	stralloc u = {0};
	char *buf;
	size_t i, o = 0;
	int fd, r;

	if (!stralloc_copys(path, dir) || !stralloc_cats(path, "/tmp/") || !uniq_name(&u) ||
	    !stralloc_cat(path, &u) || !stralloc_0(path)) {
		stralloc_free(&u);
		errno = ENOMEM;
		return -1;
	}
	stralloc_free(&u);
	buf = malloc(len + 1);
	if (!buf) return -1;
	for (i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n') continue;
		buf[o++] = data[i];
	}
	fd = open(path->s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) { free(buf); return -1; }
	r = durable_writeall(fd, buf, o);
	free(buf);
	if (r < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(path->s);
		errno = e;
		return -1;
	}
	return close(fd);
}

void store_free(struct store *s)
{
	store_commit(s);
	folderindex_free(&s->ix);
	uidlist_free(&s->ul);
	free(s->claims);
	free(s->m);
	stralloc_free(&s->names);
	memset(s, 0, sizeof *s);
}
