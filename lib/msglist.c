/* msglist: a Maildir folder as a numbered message list; see msglist.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "maildir.h"
#include "mdflags.h"
#include "msglist.h"
#include "wire.h"

static int open_dir(const char *dir, const char *sub)
{
	stralloc p = {0};
	int fd;

	if (!stralloc_copys(&p, dir) || !stralloc_cats(&p, "/") || !stralloc_cats(&p, sub) || !stralloc_0(&p)) {
		stralloc_free(&p);
		errno = ENOMEM;
		return -1;
	}
	fd = open(p.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	stralloc_free(&p);
	return fd;
}

/* The part of a name before its info (":2,..."). */
static size_t unique_len(const char *name)
{
	const char *colon = strchr(name, ':');
	return colon ? (size_t)(colon - name) : strlen(name);
}

static int add(struct msglist *ml, const char *name, int cur, unsigned long max)
{
	struct msglist_msg *m;

	if (ml->n >= max) {
		ml->left_out++;
		return 0;
	}
	if (ml->n == ml->cap) {
		unsigned long cap = ml->cap ? ml->cap * 2 : 256;
		if (cap > max) cap = max;
		if (cap > SIZE_MAX / sizeof *m) { errno = ENOMEM; return -1; }
		m = realloc(ml->m, cap * sizeof *m);
		if (!m) return -1;
		ml->m = m;
		ml->cap = cap;
	}
	m = &ml->m[ml->n];
	m->name = ml->names.len;
	m->cur = (unsigned char)cur;
	m->sized = 0;
	m->size = 0;
	if (!stralloc_cats(&ml->names, name) || !stralloc_0(&ml->names)) { errno = ENOMEM; return -1; }
	ml->n++;
	return 0;
}

static int wanted(const struct dirent *de)
{
	if (de->d_name[0] == '.') return 0;
	if (strlen(de->d_name) > MSGLIST_NAME_MAX) return 0;
	return de->d_type == DT_REG || de->d_type == DT_UNKNOWN || de->d_type == DT_LNK;
}

static int scan_dir(struct msglist *ml, int dirfd, int cur, unsigned long max)
{
	int fd = dup(dirfd);
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (fd < 0) return -1;
	d = fdopendir(fd);
	if (!d) { close(fd); return -1; }
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d))) {
		if (wanted(de) && add(ml, de->d_name, cur, max) < 0) { rc = -1; break; }
		errno = 0;
	}
	if (!de && errno) rc = -1;
	closedir(d);
	return rc;
}

/* Delivery order: maildir_name_cmp. */
static int by_name(const void *a, const void *b, void *names)
{
	return maildir_name_cmp((const char *)names + ((const struct msglist_msg *)a)->name,
	                        (const char *)names + ((const struct msglist_msg *)b)->name);
}

int msglist_scan(struct msglist *ml, const char *dir, unsigned long max)
{
	memset(ml, 0, sizeof *ml);
	ml->newfd = ml->curfd = -1;
	if ((ml->newfd = open_dir(dir, "new")) < 0 || (ml->curfd = open_dir(dir, "cur")) < 0 ||
	    scan_dir(ml, ml->curfd, 1, max) < 0 || scan_dir(ml, ml->newfd, 0, max) < 0) {
		int e = errno;
		msglist_free(ml);
		errno = e;
		return -1;
	}
	if (ml->n > 1) qsort_r(ml->m, ml->n, sizeof *ml->m, by_name, ml->names.s);
	return 0;
}

const char *msglist_name(const struct msglist *ml, unsigned long i)
{
	return ml->names.s + ml->m[i].name;
}

static int dirfd_of(const struct msglist *ml, unsigned long i)
{
	return ml->m[i].cur ? ml->curfd : ml->newfd;
}

/* Looks for message i under another name with the same unique part, in
 * cur/ first (where a moved message goes), then new/.  0 and the entry
 * updated, or -1 with ENOENT. */
static int relocate(struct msglist *ml, unsigned long i)
{
	const char *old = msglist_name(ml, i);
	size_t u = unique_len(old);
	int pass;

	for (pass = 0; pass < 2; pass++) {
		int fd = dup(pass == 0 ? ml->curfd : ml->newfd);
		DIR *d;
		struct dirent *de;
		if (fd < 0) return -1;
		if (!(d = fdopendir(fd))) { close(fd); return -1; }
		rewinddir(d);
		while ((de = readdir(d))) {
			if (!strncmp(de->d_name, old, u) && (de->d_name[u] == ':' || !de->d_name[u]) &&
			    strlen(de->d_name) <= MSGLIST_NAME_MAX) {
				size_t off = ml->names.len;
				int ok = stralloc_cats(&ml->names, de->d_name) && stralloc_0(&ml->names);
				closedir(d);
				if (!ok) { errno = ENOMEM; return -1; }
				ml->m[i].name = off;
				ml->m[i].cur = (unsigned char)(pass == 0);
				return 0;
			}
		}
		closedir(d);
	}
	errno = ENOENT;
	return -1;
}

static int open_once(struct msglist *ml, unsigned long i)
{
	struct stat st;
	int fd = openat(dirfd_of(ml, i), msglist_name(ml, i), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) return -1;
	/* O_NONBLOCK so that a FIFO planted in the folder cannot hang us. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int msglist_open(struct msglist *ml, unsigned long i)
{
	int fd = open_once(ml, i);

	if (fd >= 0 || errno != ENOENT) return fd;
	if (relocate(ml, i) < 0) return -1;
	return open_once(ml, i);
}

int msglist_size(struct msglist *ml, unsigned long i, unsigned long long *size)
{
	int fd, r, e;

	if (!ml->m[i].sized) {
		if ((fd = msglist_open(ml, i)) < 0) return -1;
		r = wire_size_fd(fd, &ml->m[i].size);
		e = errno;
		close(fd);
		if (r < 0) { errno = e; return -1; }
		ml->m[i].sized = 1;
	}
	*size = ml->m[i].size;
	return 0;
}

static uint64_t fnv1a(const char *s, size_t n, uint64_t h)
{
	size_t k;

	for (k = 0; k < n; k++) {
		h ^= (unsigned char)s[k];
		h *= 0x100000001b3ULL;
	}
	return h;
}

size_t msglist_uid(const struct msglist *ml, unsigned long i, char out[MSGLIST_UID_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	const char *name = msglist_name(ml, i);
	size_t u = unique_len(name), k;
	uint64_t h[2];
	int j;

	for (k = 0; k < u; k++)
		if ((unsigned char)name[k] < 0x21 || (unsigned char)name[k] > 0x7e) break;
	if (u && k == u && u <= MSGLIST_UID_MAX) {
		memcpy(out, name, u);
		out[u] = 0;
		return u;
	}
	/* Two FNV-1a hashes with different starting points: 128 bits. */
	h[0] = fnv1a(name, u, 0xcbf29ce484222325ULL);
	h[1] = fnv1a(name, u, 0x84222325cbf29ce4ULL);
	out[0] = 'H';
	for (j = 0; j < 32; j++)
		out[1 + j] = hex[(h[j / 16] >> (60 - 4 * (j % 16))) & 15];
	out[33] = 0;
	return 33;
}

int msglist_remove(struct msglist *ml, unsigned long i)
{
	if (unlinkat(dirfd_of(ml, i), msglist_name(ml, i), 0) == 0) return 0;
	if (errno != ENOENT) return -1;
	if (relocate(ml, i) < 0) return errno == ENOENT ? 0 : -1;
	if (unlinkat(dirfd_of(ml, i), msglist_name(ml, i), 0) == 0 || errno == ENOENT) return 0;
	return -1;
}

int msglist_tocur(struct msglist *ml, unsigned long i, uint32_t flags)
{
	stralloc to = {0};
	const char *name = msglist_name(ml, i);
	char letters[MDFLAGS_CAPITALS_MAX + 1];
	int r;

	if (ml->m[i].cur) return 0;
	mdflags_letters(flags, 0, letters);
	if (!stralloc_catb(&to, name, unique_len(name)) || !stralloc_cats(&to, ":2,") ||
	    !stralloc_cats(&to, letters) || !stralloc_0(&to)) {
		stralloc_free(&to);
		errno = ENOMEM;
		return -1;
	}
	r = renameat(ml->newfd, name, ml->curfd, to.s);
	if (r < 0 && errno == ENOENT) r = 0;   /* moved or removed by someone else */
	stralloc_free(&to);
	return r;
}

int msglist_sync(struct msglist *ml)
{
	int r = 0;

	if (ml->newfd >= 0 && fsync(ml->newfd) < 0) r = -1;
	if (ml->curfd >= 0 && fsync(ml->curfd) < 0) r = -1;
	return r;
}

void msglist_free(struct msglist *ml)
{
	free(ml->m);
	stralloc_free(&ml->names);
	if (ml->newfd >= 0) close(ml->newfd);
	if (ml->curfd >= 0) close(ml->curfd);
	ml->m = 0;
	ml->n = ml->cap = 0;
	ml->newfd = ml->curfd = -1;
}
