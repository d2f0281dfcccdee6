/*
 * userdb: users.cdb through tinycdb; contract in userdb.h, file format in
 * posthorn-users(5).
 *
 * The file is trusted no further than its bytes: before any lookup the
 * table of contents is checked against the file size (tinycdb checks only
 * what a single lookup touches), so a truncated or overwritten file is
 * USERDB_CORRUPT on every call instead of answering some keys and not
 * others.  Every value must parse as a userrec line filed under its own key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cdb.h>
#include "durable.h"
#include "userdb.h"

#define TOC_SIZE 2048   /* 256 (position, slots) pairs of 4 bytes each */

/* The longest key: "@" plus a domain, or an address key. */
#define KEY_MAX (ADDR_PATH_MAX + 1)

/* fits: a key cut at KEY_MAX, and one of our own short texts */
static char corrupt_reason[ADDR_PATH_MAX + 128];

const char *userdb_corrupt_reason(void) { return corrupt_reason; }

/* Records why; returns USERDB_CORRUPT with errno EPROTO. */
static int corrupt(const char *key, size_t keylen, const char *why)
{
	if (key)
		snprintf(corrupt_reason, sizeof corrupt_reason, "record %.*s: %s",
		         (int)(keylen > KEY_MAX ? KEY_MAX : keylen), key, why);
	else
		snprintf(corrupt_reason, sizeof corrupt_reason, "%s", why);
	errno = EPROTO;
	return USERDB_CORRUPT;
}

/* tinycdb says EPROTO for a file that is not a valid CDB; anything else is
 * the system's trouble (EIO, ENOMEM, ...) and worth a retry. */
static int cdb_failed(void)
{
	if (errno == EPROTO) return corrupt(0, 0, "not a valid CDB file");
	return USERDB_TEMP;
}

/* The hash tables follow the data, back to back, to the end of the file:
 * every table must lie inside that area and together fill it exactly. */
static int check_toc(const struct cdb *c, unsigned fsize)
{
	const unsigned char *toc = cdb_get(c, TOC_SIZE, 0);
	unsigned dend, i;
	unsigned long long total = 0;

	if (!toc) return corrupt(0, 0, "not a valid CDB file (shorter than its header)");
	dend = cdb_unpack(toc);
	if (dend < TOC_SIZE || dend > fsize) return corrupt(0, 0, "not a valid CDB file (its header points past its end)");
	for (i = 0; i < 256; i++) {
		unsigned pos = cdb_unpack(toc + 8 * i), slots = cdb_unpack(toc + 8 * i + 4);
		if (pos < dend || pos > fsize || (unsigned long long)slots * 8 > fsize - pos)
			return corrupt(0, 0, "not a valid CDB file (truncated or damaged)");
		total += (unsigned long long)slots * 8;
	}
	if (total != fsize - dend) return corrupt(0, 0, "not a valid CDB file (truncated or damaged)");
	return 0;
}

/* Opens and checks path.  0, USERDB_TEMP or USERDB_CORRUPT; on 0 the
 * caller must cdb_free and close *fd. */
static int db_open(const char *path, struct cdb *c, int *fd)
{
	struct stat st;
	int r;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) return USERDB_TEMP;
	if (fstat(*fd, &st) < 0) r = USERDB_TEMP;
	else if (!S_ISREG(st.st_mode)) r = corrupt(0, 0, "not a regular file");
	else if (st.st_size > 0xffffffffLL) r = corrupt(0, 0, "larger than a CDB can be");
	else if (cdb_init(c, *fd) < 0) r = cdb_failed();
	else if ((r = check_toc(c, (unsigned)st.st_size)) != 0) cdb_free(c);
	if (r == 0) return 0;
	{
		int e = errno;
		close(*fd);
		errno = e;
	}
	return r;
}

static void db_close(struct cdb *c, int fd)
{
	int e = errno;
	cdb_free(c);
	close(fd);
	errno = e;
}

/* Is r the record that belongs under key? */
static int key_matches(const struct userrec *r, const char *key, size_t keylen)
{
	size_t at = r->kind == USERREC_DOMAIN;

	if (at && (!keylen || key[0] != '@')) return 0;
	return strlen(r->name) == keylen - at && !memcmp(r->name, key + at, keylen - at);
}

/* Reads and parses the value of the current record of c. */
static int read_record(struct cdb *c, const char *key, size_t keylen, struct userrec *out)
{
	char line[USERREC_LINE_MAX];
	unsigned vlen = cdb_datalen(c);
	const char *why;

	if (vlen > USERREC_LINE_MAX) return corrupt(key, keylen, "record longer than a line may be");
	if (cdb_read(c, line, vlen, cdb_datapos(c)) < 0) return cdb_failed();
	if (userrec_parse(out, line, vlen, &why) < 0) return corrupt(key, keylen, why);
	if (!key_matches(out, key, keylen)) return corrupt(key, keylen, "filed under the wrong key");
	return USERDB_FOUND;
}

int userdb_get(const char *cdbpath, const char *key, size_t keylen, struct userrec *out)
{
	struct cdb c;
	int fd, r;

	if (!keylen || keylen > KEY_MAX) return USERDB_NOUSER;
	if ((r = db_open(cdbpath, &c, &fd)) != 0) return r;
	r = cdb_find(&c, key, (unsigned)keylen);
	if (r < 0) r = cdb_failed();
	else if (r == 0) r = USERDB_NOUSER;
	else r = read_record(&c, key, keylen, out);
	db_close(&c, fd);
	return r;
}

/* Looks up key into hit->rec; how is recorded on success. */
static int get_into(const char *cdbpath, const stralloc *key, struct userdb_hit *hit, enum userdb_how how)
{
	int r = userdb_get(cdbpath, key->s, key->len, &hit->rec);
	if (r == USERDB_FOUND) hit->how = how;
	return r;
}

static int resolve(const char *cdbpath, const struct addr *a, char delim, struct userdb_hit *hit, stralloc *key)
{
	struct addr base;
	char ext[ADDR_LOCAL_MAX + 1];
	size_t i;
	int r;

	if (a->empty || !a->domain[0]) return USERDB_NODOMAIN;
	if (!addr_key(key, a)) return USERDB_TEMP;
	if ((r = get_into(cdbpath, key, hit, USERDB_EXACT)) != USERDB_NOUSER) return r;

	if (addr_split_ext(a, delim, &base, ext)) {
		if (!addr_key(key, &base)) return USERDB_TEMP;
		r = get_into(cdbpath, key, hit, USERDB_BASE);
		if (r == USERDB_FOUND) memcpy(hit->ext, ext, sizeof hit->ext);
		if (r != USERDB_NOUSER) return r;
	}

	if (!stralloc_copys(key, "@") || !stralloc_cats(key, a->domain)) return USERDB_TEMP;
	for (i = 1; i < key->len; i++)
		if (key->s[i] >= 'A' && key->s[i] <= 'Z') key->s[i] += 32;
	r = userdb_get(cdbpath, key->s, key->len, &hit->rec);
	if (r == USERDB_NOUSER) return USERDB_NODOMAIN;
	if (r != USERDB_FOUND) return r;
	if (!hit->rec.catchall[0]) return USERDB_NOUSER;
	hit->how = USERDB_CATCHALL;
	return USERDB_FOUND;
}

int userdb_resolve(const char *cdbpath, const struct addr *a, char delim, struct userdb_hit *hit)
{
	stralloc key = {0};
	int r;

	hit->how = 0;
	hit->ext[0] = 0;
	r = resolve(cdbpath, a, delim, hit, &key);
	stralloc_free(&key);
	return r;
}

/* Key of a record without allocating: "@domain" or the address key. */
static void rec_key(const struct userrec *r, char out[KEY_MAX + 1])
{
	/* fits: "@" and a name of ADDR_PATH_MAX at most */
	snprintf(out, KEY_MAX + 1, "%s%s", r->kind == USERREC_DOMAIN ? "@" : "", r->name);
}

static int cmp_key(const void *a, const void *b)
{
	char ka[KEY_MAX + 1], kb[KEY_MAX + 1];
	rec_key(*(const struct userrec *const *)a, ka);
	rec_key(*(const struct userrec *const *)b, kb);
	return strcmp(ka, kb);
}

/* The first of two records that share a key, or null. */
static const struct userrec *find_duplicate(const struct userrec *records, unsigned long n, int *err)
{
	const struct userrec **by_key;
	const struct userrec *dup = 0;
	unsigned long i;

	*err = 0;
	if (n < 2) return 0;
	by_key = calloc(n, sizeof *by_key);
	if (!by_key) { *err = 1; return 0; }
	for (i = 0; i < n; i++) by_key[i] = &records[i];
	qsort(by_key, n, sizeof *by_key, cmp_key);
	for (i = 1; i < n && !dup; i++)
		if (!cmp_key(&by_key[i - 1], &by_key[i])) dup = by_key[i];
	free(by_key);
	return dup;
}

/* Walks every record of an open file into a growing array. */
static int load(struct cdb *c, struct userrec **records, unsigned long *n)
{
	unsigned pos, klen;
	unsigned long cap = 0;
	int r;

	cdb_seqinit(&pos, c);
	while ((r = cdb_seqnext(&pos, c)) > 0) {
		const char *key;
		if (*n == cap) {
			unsigned long ncap = cap ? cap * 2 : 64;
			struct userrec *grown;
			if (ncap > (unsigned long)-1 / sizeof **records) { errno = ENOMEM; return USERDB_TEMP; }
			grown = realloc(*records, ncap * sizeof **records);
			if (!grown) return USERDB_TEMP;
			*records = grown;
			cap = ncap;
		}
		klen = cdb_keylen(c);
		key = cdb_get(c, klen, cdb_keypos(c));
		if (!key) return cdb_failed();
		if (!klen || klen > KEY_MAX) return corrupt(key, klen, "key of impossible length");
		if ((r = read_record(c, key, klen, &(*records)[*n])) != USERDB_FOUND) return r;
		++*n;
	}
	if (r < 0) return cdb_failed();
	/* seqnext stops quietly when fewer than 8 bytes are left before the
	 * tables; a clean file ends its last record exactly there. */
	if (pos != cdb_unpack(cdb_get(c, 4, 0))) return corrupt(0, 0, "not a valid CDB file (stray bytes after the records)");
	return 0;
}

int userdb_load(const char *cdbpath, struct userrec **records, unsigned long *n)
{
	struct cdb c;
	int fd, r, err;
	const struct userrec *dup;

	*records = 0;
	*n = 0;
	if ((r = db_open(cdbpath, &c, &fd)) != 0) {
		if (r == USERDB_TEMP && errno == ENOENT) return 0;
		return r;
	}
	r = load(&c, records, n);
	db_close(&c, fd);
	if (r == 0) {
		dup = find_duplicate(*records, *n, &err);
		if (err) r = USERDB_TEMP;
		else if (dup) r = corrupt(dup->name, strlen(dup->name), "key stored twice");
	}
	if (r != 0) {
		int e = errno;
		free(*records);
		*records = 0;
		*n = 0;
		errno = e;
	}
	return r;
}

void userdb_free(struct userrec *records) { free(records); }

/* A rebuild keeps the mode and owner of the file it replaces, so an admin's
 * chmod 0640 / chgrp (to hide the hashes from local users) survives. */
static int copy_attributes(int fd, const char *cdbpath)
{
	struct stat st;

	if (stat(cdbpath, &st) < 0) {
		if (errno != ENOENT) return -1;
		return fchmod(fd, 0644);
	}
	if (fchmod(fd, st.st_mode & 07777) < 0) return -1;
	if (fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM) return -1;
	return 0;
}

static int write_records(int fd, const struct userrec *records, unsigned long n)
{
	struct cdb_make cm;
	stralloc key = {0}, line = {0};
	unsigned long i;
	int r = -1;

	if (cdb_make_start(&cm, fd) < 0) return -1;
	for (i = 0; i < n; i++) {
		if (!userrec_key(&key, &records[i]) || !userrec_format(&line, &records[i])) goto out;
		if (line.len > USERREC_LINE_MAX) { errno = E2BIG; goto out; }
		if (cdb_make_add(&cm, key.s, (unsigned)key.len, line.s, (unsigned)line.len) < 0) goto out;
	}
	if (cdb_make_finish(&cm) < 0) goto out;
	r = 0;
out:
	stralloc_free(&key);
	stralloc_free(&line);
	return r;
}

int userdb_write(const char *cdbpath, const struct userrec *records, unsigned long n)
{
	stralloc tmp = {0};
	int fd, err, e;

	if (find_duplicate(records, n, &err)) { errno = EEXIST; return -1; }
	if (err) return -1;
	fd = durable_open_tmp(&tmp, cdbpath, 0600);
	if (fd < 0) { stralloc_free(&tmp); return -1; }
	if (copy_attributes(fd, cdbpath) < 0 || write_records(fd, records, n) < 0) {
		e = errno;
		close(fd);
		unlink(tmp.s);
		stralloc_free(&tmp);
		errno = e;
		return -1;
	}
	e = durable_commit(fd, tmp.s, cdbpath);
	stralloc_free(&tmp);
	return e;
}

int userdb_lock(const char *cdbpath)
{
	stralloc path = {0};
	int fd;

	if (!stralloc_copys(&path, cdbpath) || !stralloc_cats(&path, ".lock") || !stralloc_0(&path)) {
		stralloc_free(&path);
		return -1;
	}
	fd = open(path.s, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	stralloc_free(&path);
	if (fd < 0) return -1;
	while (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		if (e == EINTR) continue;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
